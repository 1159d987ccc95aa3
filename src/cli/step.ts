// `gmpemu step FILE.s|FILE.go`: the interactive stepper (src/step/stepper.ts), with
// line editing and history from node:readline, or `--script FILE` to run
// commands non-interactively (one per line, # comments), echoing each.
import type { Command } from "commander";
import { readFileSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { Stepper } from "../step/stepper.ts";

interface StepCliOptions { procs: string; seed: string; engine: string; script?: string; timeslice?: string; preemptEvery?: string }

const HELP = `commands:
  s                 to the next line of the program's source, into calls and other goroutines
  n                 to the next line of this goroutine in this function (over calls and parks)
  si [N]            N instructions (any thread, the scheduler's host functions count as one step)
  ni                one instruction, stepping over a CALL
  finish            until the current function returns
  until SYM|ADDR|FILE:LINE
  c                 continue to a breakpoint, a watchpoint or the end
  se                to the next scheduler event (switch, park, ready, ...)
  sg GOID [N]       N instructions of goroutine GOID only (the others run but do not stop)
  rsi [N]           N steps back (the machine is replayed from the start)
  rc                back to the previous stop
  b SYM|ADDR|FILE:LINE [if goid == N]
  b @switch|@preempt|@newproc|@park|@ready|@steal|@syscall|@signal [if goid == N]
  watch ADDR|g.sched.sp|g.sched.pc|g.sched.bp
  delete [ID...]
  x/Nfu ADDR|$REG   (f: x d u c; u: b h w g)
  regs  g [GOID]  goroutines  m  p  sched  bt  threads  thread TID
  help  quit
`;

/** The largest script read (a script is typed by a person; /dev/zero is not one). */
const SCRIPT_MAX = 1 << 20;

/** A --script file's text, or a one-line error naming the file. */
function readScript(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(`--script: ${path}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message}`);
  }
  if (st.isDirectory()) throw new Error(`--script: ${path}: is a directory`);
  if (!st.isFile()) throw new Error(`--script: ${path}: not a regular file`);
  if (st.size > SCRIPT_MAX) throw new Error(`--script: ${path}: larger than ${SCRIPT_MAX} bytes`);
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(`--script: ${path}: cannot read it${code === "EACCES" ? ": permission denied" : ""}`);
  }
}

export function registerStep(program: Command, setStatus: (s: number) => void): void {
  program
    .command("step")
    .description("step through a program instruction by instruction, with the scheduler's state beside the registers")
    .argument("<file>", "a program: Go assembly (package main, TEXT ·main) or Go source (.go, built with Go 1.19)")
    .option("--procs <n>", "GOMAXPROCS", "1")
    .option("--seed <n>", "the kernel's interleaving seed", "1")
    .option("--engine <name>", "CPU engine (interp, unicorn)", "interp")
    .option("--script <file>", "run the commands in this file instead of reading a terminal")
    .option("--timeslice <ns>", "forcePreemptNS in virtual nanoseconds (sysmon's time slice)")
    .option("--preempt-every <n>", "a preemption signal every n instructions")
    .action(async (file: string, o: StepCliOptions) => {
      const procs = Number(o.procs), seed = Number(o.seed);
      if (!Number.isInteger(procs) || procs < 1) throw new Error(`--procs: not an integer >= 1: ${o.procs}`);
      if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed: not an integer >= 0: ${o.seed}`);
      // The script is read before the machine is built: a typo costs nothing.
      let script: string | undefined;
      if (o.script !== undefined) script = readScript(o.script);
      const color = !o.script && process.stdout.isTTY === true;
      const sopts: ConstructorParameters<typeof Stepper>[1] = { procs, seed, engine: o.engine, color, root: process.cwd() };
      if (o.timeslice !== undefined) {
        const ns = Number(o.timeslice);
        if (!Number.isInteger(ns) || ns < 1) throw new Error(`--timeslice: not a positive number of nanoseconds: ${o.timeslice}`);
        sopts.timeslice = ns;
      }
      if (o.preemptEvery !== undefined) {
        const k = Number(o.preemptEvery);
        if (!Number.isInteger(k) || k < 1) throw new Error(`--preempt-every: not an integer >= 1: ${o.preemptEvery}`);
        sopts.preemptEvery = k;
      }
      const s = new Stepper(file, sopts);
      const run = (line: string): boolean => {
        const t = line.trim();
        if (t === "quit" || t === "q") return false;
        if (t === "help" || t === "h") { process.stdout.write(HELP); return true; }
        try {
          process.stdout.write(s.exec(t));
        } catch (e) {
          process.stdout.write(`error: ${(e as Error).message}\n`);
          if (o.script) setStatus(1);
        }
        return true;
      };
      if (script !== undefined) {
        for (const line of script.split("\n")) {
          if (line.trim() === "" || line.trim().startsWith("#")) continue;
          process.stdout.write(`(gmpemu) ${line.trim()}\n`);
          if (!run(line)) break;
        }
        s.m.engine.close();
        return;
      }
      process.stdout.write(s.view());
      const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: "(gmpemu) ", historySize: 1000 });
      rl.prompt();
      let last = "si";
      for await (const line of rl) {
        const l = line.trim() === "" ? last : line;
        last = l;
        if (!run(l)) break;
        rl.prompt();
      }
      rl.close();
      s.m.engine.close();
    });
}
