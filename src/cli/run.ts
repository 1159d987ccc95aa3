// `gmpemu run PROGRAM.s…`: boot the runtime and run a Go assembly program on
// the emulated machine. The program's output (fds 1 and 2) goes to ours; the
// exit status is the program's (2 for a fatal error, as in Go). Output files
// are checked before the run and written after it (src/cli/outpath.ts); a
// failed write is reported and leaves a non-zero status: the program's if it
// failed, else 4.
import type { Command } from "commander";
import { checkOutputs, runInputs, statusAfterOutputFailure, writeOutput, OutputPathError } from "./outpath.ts";
import { ChromeTraceBuilder } from "../trace/chrome.ts";
import { MIN_PREEMPT_EVERY, runProgram } from "../node/boot.ts";
import { ENGINE_NAMES } from "../engine/index.ts";

interface RunCliOptions {
  procs: string;
  seed: string;
  engine: string;
  maxInsns?: string;
  stats?: boolean;
  asyncpreemptoff?: boolean;
  timeslice?: string;
  preemptEvery?: string;
  maxStack?: string;
  sysmon: boolean;
  schedtrace?: string;
  traceOut?: string;
  force?: boolean;
}

/** A duration: "10ms", "250us", "1s", or plain nanoseconds. */
function duration(name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s)?$/.exec(v.trim());
  if (!m) throw new Error(`${name}: not a duration (like 10ms, 250us or 5000000): ${v}`);
  const scale = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 }[(m[2] ?? "ns") as "ns"];
  const ns = Math.round(Number(m[1]) * scale);
  if (ns < 1) throw new Error(`${name}: must be at least 1ns: ${v}`);
  return ns;
}

/** The --trace-out path, refused when it would lose something the user gave (src/cli/outpath.ts). */
export function checkOutputPath(out: string, inputs: readonly string[], force = false): void {
  checkOutputs([{ option: "--trace-out", path: out, kind: "chrome-trace" }], inputs, { force });
}

function posInt(name: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: not an integer >= ${min}: ${v}`);
  return n;
}

export function registerRun(program: Command, setStatus: (s: number) => void): void {
  program
    .command("run")
    .description("run a Go program on the emulated runtime: Go assembly (package main, TEXT ·main), or Go source (.go, compiled with Go 1.19)")
    .argument("<files...>", "the program's files: .s (assembly) or .go (source)")
    .option("--procs <n>", "GOMAXPROCS: the number of Ps", "1")
    .option("--seed <n>", "seed of the kernel's thread interleaving", "1")
    .option("--engine <name>", `CPU engine (${ENGINE_NAMES.join(", ")})`, "interp")
    .option("--max-insns <n>", "stop after this many instructions")
    .option("--stats", "print instruction, host-call, preemption and stack counts to stderr at the end")
    .option("--asyncpreemptoff", "no preemption signals, as GODEBUG=asyncpreemptoff=1 (sysmon still sets the cooperative flag)")
    .option("--timeslice <duration>", "forcePreemptNS: how long a goroutine may keep its P before sysmon preempts it (virtual time)", "10ms")
    .option("--preempt-every <n>", "raise a preemption signal on the running thread every n instructions (labs)")
    .option("--max-stack <bytes>", "the largest goroutine stack before 'fatal error: stack overflow' (Go's 1000000000)")
    .option("--no-sysmon", "do not start sysmon (no preemption by time slice)")
    .option("--schedtrace <ms>", "print Go's GODEBUG=schedtrace line every <ms> ms of virtual time (from sysmon)")
    .option("--trace-out <file.json>", "write the scheduler's events as a Chrome trace (open in Perfetto or chrome://tracing)")
    .option("--force", "overwrite an existing output file even if it is not of the kind written (never an input)")
    .action((files: string[], o: RunCliOptions) => {
      const opts: Parameters<typeof runProgram>[1] = {
        procs: posInt("--procs", o.procs),
        seed: posInt("--seed", o.seed, 0),
        engine: o.engine,
      };
      if (!ENGINE_NAMES.includes(o.engine as never)) throw new Error(`--engine: unknown engine "${o.engine}" (engines: ${ENGINE_NAMES.join(", ")})`);
      if (o.maxInsns !== undefined) opts.maxInsns = posInt("--max-insns", o.maxInsns);
      if (o.asyncpreemptoff) opts.asyncpreemptoff = true;
      if (o.timeslice !== undefined) opts.timeslice = duration("--timeslice", o.timeslice);
      if (o.preemptEvery !== undefined) opts.preemptEvery = posInt("--preempt-every", o.preemptEvery, MIN_PREEMPT_EVERY);
      if (o.maxStack !== undefined) opts.maxStack = posInt("--max-stack", o.maxStack, 4096);
      if (!o.sysmon) opts.nosysmon = true;
      if (o.schedtrace !== undefined) opts.schedtrace = posInt("--schedtrace", o.schedtrace);
      let trace: ChromeTraceBuilder | undefined;
      let endNs: (() => number) | undefined;
      if (o.traceOut !== undefined) {
        checkOutputPath(o.traceOut, runInputs(files), o.force === true);
        const tb = new ChromeTraceBuilder();
        trace = tb;
        opts.observe = (m) => {
          m.listeners.push(tb.listener);
          endNs = () => m.kernel.now;
        };
      }
      // Written however the run ended: a trace of a fatal error is the useful one.
      let written = true;
      const writeTrace = (): void => {
        if (!trace || !endNs || o.traceOut === undefined) return;
        try {
          writeOutput("--trace-out", o.traceOut, JSON.stringify(trace.finish(endNs())) + "\n");
        } catch (e) {
          if (!(e instanceof OutputPathError)) throw e;
          process.stderr.write(`gmpemu: ${e.message}\n`);
          written = false;
        }
      };
      let r: ReturnType<typeof runProgram>;
      try {
        r = runProgram(files, opts);
      } catch (e) {
        writeTrace();
        throw e;
      }
      writeTrace();
      if (o.stats) {
        const m = r.machine;
        process.stderr.write(`gmpemu: ${r.insns} instructions, ${m.bridge.calls} host calls, ${m.kernel.threads.length} threads, virtual time ${m.kernel.now} ns\n`);
        const ps = m.stats.preempt;
        {
          const refused = [...ps.refused].map(([why, n]) => `${n} ${why}`).join(", ");
          process.stderr.write(
            `gmpemu: preemption: ${ps.requests} requests, ${ps.signals} signals sent, ${m.kernel.signalsDelivered} delivered, ` +
            `${ps.taken} taken (asyncPreempt), ${[...ps.refused.values()].reduce((a, b) => a + b, 0)} refused${refused ? ` (${refused})` : ""}; ` +
            `${ps.sysmonRounds} sysmon rounds, ${ps.handoffs} handoffs\n`);
        }
        const ns = m.stats.newstack;
        if (ns.newstack > 0) {
          process.stderr.write(`gmpemu: stacks: ${ns.newstack} morestack calls, ${ns.preempt} cooperative preemptions, ${ns.copystack} copies (largest ${ns.maxStackSize} bytes, ${ns.bytesCopied} bytes copied)\n`);
        }
        const sc = m.stats.syscalls;
        if (sc.enters > 0) {
          process.stderr.write(`gmpemu: system calls: ${sc.enters} entered, ${sc.fast} back to their P, ${sc.fastIdle} to an idle P, ${sc.slow} queued (exitsyscall0)\n`);
        }
      }
      setStatus(written ? r.code : statusAfterOutputFailure(r.code));
    });
}
