// `gmpemu run PROGRAM.s…`: boot the runtime and run a Go assembly program on
// the emulated machine. The program's output (fds 1 and 2) goes to ours; the
// exit status is the program's (2 for a fatal error, as in Go). Output files
// are checked before the run and written after it (src/cli/outpath.ts); a
// failed write is reported and leaves a non-zero status: the program's if it
// failed, else 4.
import type { Command } from "commander";
import { checkOutputs, runInputs, statusAfterOutputFailure, writeOutput, OutputPathError } from "./outpath.ts";
import { ChromeTraceBuilder } from "../trace/chrome.ts";
import { runProgram } from "../node/boot.ts";
import { addCheckOptions, CheckSession, type CheckCliOptions } from "./check.ts";
import { runFlags, runOptions, type RunFlagValues } from "./flags.ts";

interface RunCliOptions extends RunFlagValues, CheckCliOptions {
  stats?: boolean;
  traceOut?: string;
  force?: boolean;
}

/** The --trace-out path, refused when it would lose something the user gave (src/cli/outpath.ts). */
export function checkOutputPath(out: string, inputs: readonly string[], force = false): void {
  checkOutputs([{ option: "--trace-out", path: out, kind: "chrome-trace" }], inputs, { force });
}

export function registerRun(program: Command, setStatus: (s: number) => void): void {
  const cmd = program
    .command("run")
    .description("run a Go program on the emulated runtime: Go assembly (package main, TEXT ·main), or Go source (.go, compiled with Go 1.19)")
    .argument("<files...>", "the program's files: .s (assembly) or .go (source)");
  runFlags(cmd)
    .option("--stats", "print instruction, host-call, preemption and stack counts to stderr at the end")
    .option("--trace-out <file.json>", "write the scheduler's events as a Chrome trace (open in Perfetto or chrome://tracing)")
    .option("--force", "overwrite an existing output file even if it is not of the kind written (never an input)");
  addCheckOptions(cmd)
    .action((files: string[], o: RunCliOptions) => {
      const opts = runOptions("run", o);
      const check = new CheckSession(o, runInputs(files));
      check.apply(opts);
      let trace: ChromeTraceBuilder | undefined;
      let endNs: (() => number) | undefined;
      if (o.traceOut !== undefined) {
        checkOutputPath(o.traceOut, [...runInputs(files), ...(o.runtimeAsm ?? [])], o.force === true);
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
        check.finish(1);
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
      setStatus(check.finish(written ? r.code : statusAfterOutputFailure(r.code)));
    });
}
