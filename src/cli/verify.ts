// `gmpemu verify FILE.s`: run one function of an assembly file on both
// engines in lockstep and report the first divergence. A Go program
// (FILE.go, compiled with Go 1.19) is verified whole, as an assembly
// program with main·main is.
//
// The file is assembled (src/engine/asmload.ts), loaded identically into the
// interpreter and into unicorn (src/engine/load.ts: fresh stack, TLS with a
// stand-in g, a sentinel return address on the host page), and the entry
// function (default: the first TEXT symbol) runs until it returns to the
// sentinel, calls a function the file does not define, or uses up
// --max-steps. Exit status: 0 verified, 1 divergence, 2 a fault or an
// unusable input (with a message, never a stack trace).
import { nodeSource } from "../node/nodefs.ts";
import type { Command } from "commander";
import { InterpEngine } from "../engine/interp.ts";
import { UnicornEngine } from "../engine/unicorn.ts";
import { loadImage, prepareCall, SENTINEL } from "../engine/load.ts";
import { runLockstep, insnBytes } from "../engine/lockstep.ts";
import { assembleFileSimple, type SimpleImage } from "../engine/asmload.ts";
import { disassemble } from "../cpu/disasm.ts";
import { REG_RIP, type Stop } from "../engine/engine.ts";
import { LockstepDivergence } from "../engine/pair.ts";
import { runProgram, type NodeRunOptions, type RunOptions } from "../node/boot.ts";
import { buildImage, lookupSymbol } from "../asm/index.ts";
import { runFlags, runOptions, UsageError, type RunFlagValues } from "./flags.ts";
import { addCheckOptions, CheckSession, type CheckCliOptions } from "./check.ts";
import { runInputs } from "./outpath.ts";

interface VerifyOptions extends RunFlagValues, CheckCliOptions {
  maxSteps?: string;
  entry?: string;
}

/** The run flags that mean something only for a whole program (the runtime's). */
const PROGRAM_ONLY: readonly [keyof RunFlagValues, string][] = [
  ["asyncpreemptoff", "--asyncpreemptoff"], ["preemptEvery", "--preempt-every"], ["maxStack", "--max-stack"],
  ["schedtrace", "--schedtrace"],
];

/**
 * An address with its symbol and line. `exact` is the unsigned address when
 * `addr`, a double, cannot hold it (a kernel-half or non-canonical RIP:
 * see Fault in src/cpu/fault.ts); no such address has a symbol.
 */
function where(image: SimpleImage, addr: number, exact?: bigint): string {
  if (addr > Number.MAX_SAFE_INTEGER) return `0x${(exact ?? BigInt(addr)).toString(16)}`;
  const sym = image.symbolize(addr);
  const line = image.pcToLine(addr);
  return `0x${addr.toString(16)}${sym ? ` <${sym}>` : ""}${line ? ` (${line.file}:${line.line})` : ""}`;
}

function insnText(bytes: Uint8Array, addr: number, image: SimpleImage): string {
  const d = disassemble(bytes, 0, addr, (a) => image.symbolize(a));
  const hex = [...bytes.subarray(0, d.len)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  return `${hex.padEnd(30)} ${d.text === "?" ? "(undecodable)" : d.text}`;
}

/**
 * A whole program (one that defines main·main): boot the runtime on the
 * lockstep engine and run it to its end, every instruction of every thread
 * executed by both CPUs and compared. The program's own output goes where
 * it always goes (stderr, as Go's print does).
 */
export function verifyProgram(
  file: string,
  opts: { maxSteps: number; procs: number; seed: number; quiet?: boolean; run?: Omit<NodeRunOptions, "engine" | "procs" | "seed" | "maxInsns"> },
  out: (s: string) => void,
): number {
  let r;
  try {
    // run: runtime options (timeslice, preemptEvery...) for the machine under verification.
    const ropts: NodeRunOptions = { ...opts.run, engine: "lockstep", procs: opts.procs, seed: opts.seed, maxInsns: opts.maxSteps };
    // quiet: the program's own output is dropped (tests compare it elsewhere).
    if (opts.quiet) ropts.stdout = ropts.stderr = () => {};
    r = runProgram([file], ropts);
  } catch (e) {
    if (e instanceof LockstepDivergence) {
      out(e.report + "\n");
      return 1;
    }
    throw e;
  }
  const how = r.how === "exit" ? `the program exited with status ${r.code}` : r.how === "budget" ? "stopped after --max-steps" : `the program died (${r.how}, status ${r.code})`;
  out(`verified ${r.insns} instructions: 0 divergences (${how})\n`);
  return 0;
}

/** What verifyFile runs: a function (entry) or the whole program, with the run's options for the latter. */
export interface VerifyFileOptions {
  maxSteps: number;
  /** The function to run alone, as the source spells it (·f, main·f, main.f). */
  entry?: string;
  procs?: number;
  seed?: number;
  /** The runtime's options for a whole program (timeslice, preemptEvery, ...). */
  run?: Omit<NodeRunOptions, "engine" | "procs" | "seed" | "maxInsns">;
  /** Lossy immediates are errors. */
  strict?: boolean;
}

/** Runs the verification; returns the exit status and writes its report. */
export function verifyFile(file: string, opts: VerifyFileOptions, out: (s: string) => void): number {
  if (file.endsWith(".go")) {
    if (opts.entry !== undefined) throw new Error("--entry: a Go program is verified whole (from runtime·rt0_go)");
    return verifyProgram(file, { maxSteps: opts.maxSteps < 0 ? Number.MAX_SAFE_INTEGER : opts.maxSteps, procs: opts.procs ?? 1, seed: opts.seed ?? 1, run: { ...opts.run } }, out);
  }
  // The assembler's warnings (and --strict) once, for either mode.
  const built = buildImage([file], { source: nodeSource, strict: opts.strict === true, resolve: () => 0 });
  if (opts.entry === undefined && built.image.lookup("main.main")) {
    const run = { ...opts.run, warn: () => {}, strict: opts.strict === true };
    for (const w of built.warnings) process.stderr.write(w.format() + "\n");
    return verifyProgram(file, { maxSteps: opts.maxSteps < 0 ? Number.MAX_SAFE_INTEGER : opts.maxSteps, procs: opts.procs ?? 1, seed: opts.seed ?? 1, run }, out);
  }
  for (const w of built.warnings) process.stderr.write(w.format() + "\n");
  if (opts.run?.check || opts.run?.runtimeAsm) throw new Error(`${file}: --check and --runtime-asm need a whole program (one that defines main·main), not a function`);
  const image = assembleFileSimple(file, { source: nodeSource });
  if (opts.maxSteps < 0) opts = { ...opts, maxSteps: 1_000_000 };
  const text = image.symbols.filter((s) => s.kind === "text");
  if (text.length === 0) throw new Error(`${file}: no TEXT symbol to run`);
  let entry = text[0]!;
  if (opts.entry !== undefined) {
    // A bare name (sum10) is the package's, as gdb's `break sum10` would find it.
    let m = lookupSymbol(image.image, opts.entry);
    if (!m.ok && !/[.\u00b7]/.test(opts.entry)) {
      const pkg = lookupSymbol(image.image, "\u00b7" + opts.entry);
      if (pkg.ok) m = pkg;
    }
    const sym = m.ok ? text.find((s) => s.name === m.name) : undefined;
    if (!sym) throw new UsageError(`--entry: ${m.ok ? `${m.name} is not a TEXT symbol` : m.message} (TEXT symbols: ${text.map((s) => s.name).join(", ")})`, "verify");
    entry = sym;
  }
  const a = new InterpEngine();
  const b = new UnicornEngine();
  try {
    for (const e of [a, b]) {
      loadImage(e, image);
      prepareCall(e, entry.addr);
    }
    const r = runLockstep(a, b, {
      maxSteps: opts.maxSteps,
      describe: (addr) => {
        const sym = image.symbolize(addr);
        const line = image.pcToLine(addr);
        const d: { where?: string; line?: string } = {};
        if (sym) d.where = sym;
        if (line) d.line = `${line.file}:${line.line}`;
        return d;
      },
    });
    if (r.divergence) {
      out(r.divergence.report + "\n");
      return 1;
    }
    return finish(r.steps, r.stop, image, a, out);
  } finally {
    b.close();
  }
}

function finish(steps: number, stop: Stop, image: SimpleImage, a: InterpEngine, out: (s: string) => void): number {
  const ok = `verified ${steps} instructions: 0 divergences`;
  switch (stop.kind) {
    case "hostcall":
      if (stop.addr === SENTINEL) out(`${ok}\n`);
      else out(`${ok} (stopped at a call to ${image.symbolize(stop.addr) ?? `0x${stop.addr.toString(16)}`})\n`);
      return 0;
    case "count":
      out(`${ok} (stopped after --max-steps)\n`);
      return 0;
    case "fault": {
      const f = stop.fault;
      const bytes = insnBytes(a, f.rip);
      const what = f.type === "page" ? `unexpected fault address 0x${f.addr.toString(16)} (${f.access})`
        : f.type === "ud" ? "illegal instruction (#UD)"
        : f.type === "de" ? "integer divide error (#DE)" : `general protection fault (${f.why})`;
      // Past 2^53 the fault's RIP is the nearest double; the engine holds it exactly.
      const exact = f.rip > Number.MAX_SAFE_INTEGER ? a.getReg(REG_RIP) : undefined;
      out(`${what}\n  at ${where(image, f.rip, exact)}\n  ${insnText(bytes, f.rip, image)}\n(both engines agree; ${steps} instruction${steps === 1 ? "" : "s"} verified before it)\n`);
      return 2;
    }
    default: {
      const rip = Number(a.getReg(REG_RIP));
      out(`${ok} (stopped: ${stop.kind} at ${where(image, rip)})\n`);
      return 0;
    }
  }
}

export function registerVerify(program: Command, setStatus: (s: number) => void): void {
  const cmd = program
    .command("verify")
    .description("run a function of FILE.s (or a whole FILE.go) on the interpreter and on unicorn in lockstep, comparing every instruction")
    .argument("<file>", "Go assembly file (.s), or a Go program (.go)")
    .option("--max-steps <n>", "stop after this many instructions (default: 1000000 for a function, no limit for a program)")
    .option("--entry <sym>", "function to run alone, as the source spells it: ·f, main·f or main.f (default: the whole program if it has main·main, else the first TEXT symbol)")
    .option("--force", "overwrite an existing output file even if it is not of the kind written (never an input)");
  runFlags(cmd, { omit: ["engine", "maxInsns"] });
  addCheckOptions(cmd)
    .action((file: string, o: VerifyOptions) => {
      let maxSteps = -1;
      if (o.maxSteps !== undefined) maxSteps = posIntOf("--max-steps", o.maxSteps);
      const r = runOptions("verify", o);
      const opts: VerifyFileOptions = { maxSteps, procs: r.procs ?? 1, seed: r.seed ?? 1 };
      if (o.entry !== undefined) {
        opts.entry = o.entry;
        // Only a whole program has a runtime to take these.
        for (const [k, flag] of PROGRAM_ONLY) {
          if (o[k] !== undefined) throw new UsageError(`${flag} applies to a whole program, not to --entry's one function`, "verify");
        }
        if (o.sysmon === false) throw new UsageError("--no-sysmon applies to a whole program, not to --entry's one function", "verify");
      }
      if (r.strict) opts.strict = true;
      const { procs: _p, seed: _s, strict: _st, ...run } = r;
      const check = new CheckSession(o, runInputs([file]));
      opts.run = check.apply(run);
      const status = verifyFile(file, opts, (s) => process.stdout.write(s));
      setStatus(check.finish(status));
    });
}

function posIntOf(name: string, v: string): number {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name}: not a positive integer: ${v}`, "verify");
  return n;
}
