// `gmpemu verify FILE.s`: run one function of an assembly file on both
// engines in lockstep and report the first divergence.
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
import { runProgram, type RunOptions } from "../node/boot.ts";

interface VerifyOptions {
  maxSteps?: string;
  entry?: string;
  procs: string;
  seed: string;
}

function where(image: SimpleImage, addr: number): string {
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
  opts: { maxSteps: number; procs: number; seed: number; quiet?: boolean; run?: Omit<RunOptions, "engine" | "procs" | "seed" | "maxInsns"> },
  out: (s: string) => void,
): number {
  let r;
  try {
    // run: runtime options (timeslice, preemptEvery...) for the machine under verification.
    const ropts: RunOptions = { ...opts.run, engine: "lockstep", procs: opts.procs, seed: opts.seed, maxInsns: opts.maxSteps };
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

/** Runs the verification; returns the exit status and writes its report. */
export function verifyFile(file: string, opts: { maxSteps: number; entry?: string; procs?: number; seed?: number }, out: (s: string) => void): number {
  const image = assembleFileSimple(file, { source: nodeSource });
  if (opts.entry === undefined && image.image.lookup("main.main")) {
    return verifyProgram(file, { maxSteps: opts.maxSteps < 0 ? Number.MAX_SAFE_INTEGER : opts.maxSteps, procs: opts.procs ?? 1, seed: opts.seed ?? 1 }, out);
  }
  if (opts.maxSteps < 0) opts = { ...opts, maxSteps: 1_000_000 };
  const text = image.symbols.filter((s) => s.kind === "text");
  if (text.length === 0) throw new Error(`${file}: no TEXT symbol to run`);
  const entry = opts.entry
    ? text.find((s) => s.name === opts.entry || s.name === `main.${opts.entry}` || s.name.endsWith(`.${opts.entry}`))
    : text[0];
  if (!entry) throw new Error(`${file}: no TEXT symbol ${opts.entry} (symbols: ${text.map((s) => s.name).join(", ")})`);
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
      out(`${what}\n  at ${where(image, f.rip)}\n  ${insnText(bytes, f.rip, image)}\n(both engines agree; ${steps} instruction${steps === 1 ? "" : "s"} verified before it)\n`);
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
  program
    .command("verify")
    .description("run a function of FILE.s on the interpreter and on unicorn in lockstep, comparing every instruction")
    .argument("<file>", "Go assembly file (.s)")
    .option("--max-steps <n>", "stop after this many instructions (default: 1000000 for a function, no limit for a program)")
    .option("--entry <sym>", "function to run alone (default: the whole program if it has main·main, else the first TEXT symbol)")
    .option("--procs <n>", "for a whole program: GOMAXPROCS", "1")
    .option("--seed <n>", "for a whole program: the kernel's interleaving seed", "1")
    .action((file: string, o: VerifyOptions) => {
      const maxSteps = o.maxSteps === undefined ? -1 : Number(o.maxSteps);
      if (o.maxSteps !== undefined && (!Number.isInteger(maxSteps) || maxSteps <= 0)) throw new Error(`--max-steps: not a positive integer: ${o.maxSteps}`);
      const procs = Number(o.procs), seed = Number(o.seed);
      if (!Number.isInteger(procs) || procs <= 0) throw new Error(`--procs: not a positive integer: ${o.procs}`);
      if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed: not an integer >= 0: ${o.seed}`);
      const opts: { maxSteps: number; entry?: string; procs: number; seed: number } = { maxSteps, procs, seed };
      if (o.entry !== undefined) opts.entry = o.entry;
      const status = verifyFile(file, opts, (s) => process.stdout.write(s));
      setStatus(status);
    });
}
