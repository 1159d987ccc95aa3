// Non-interactive traces: the instructions of the context-switch routines,
// or the scheduler's events, one line each, for labs to read and to diff.
//
// The instruction trace runs the machine as `gmpemu run` does (the
// kernel's seeded slices, sysmon, preemption signals), but with the
// engine's run replaced by a loop of single steps that formats a line only
// when RIP lies in one of the watched routines. The routines' address
// ranges are looked up once, when the trace starts, so the per-instruction
// cost outside them is one register read and a few number comparisons. A
// line reads
//
//   0x40110c M0 asm/asm_amd64.s:173 gogo<1>+0xc  MOVQ (BX), SP  SP=0xc00001c7d8
//
// the address, the M whose thread executed it, the source line (paths
// relative to the repository, so the output does not depend on where it is
// checked out), the symbol and offset, the disassembly, and the registers
// the instruction changed with their new values (a MOV, LEA or POP into a
// register shows it even when the value was already there); `g` is the
// TLS slot that get_tls/g(CX) address, which gogo and mcall write. Nothing
// in a line depends on the host (no timestamps, no absolute paths), and
// the machine is deterministic for a seed, so the same program and seed
// give the same bytes.
//
// Why not kernel.stepOnce(): it switches threads only when the current one
// blocks, so sysmon never runs while a goroutine spins, and a program that
// needs preemption (programs/spin.s on one P) never ends. Stepping inside
// the kernel's own slices keeps the interleaving, the events and the
// preemptions those of `gmpemu run` for the same seed; thread switches and
// signal deliveries happen between the slices, so the instruction at RIP
// is always the one that runs next. The event trace (--events) listens to
// the scheduler and runs the machine unstepped.

import { relative, resolve, dirname, isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import type { Image } from "../asm/link.ts";
import { disassemble } from "../cpu/disasm.ts";
import { REG_FS_BASE, REG_RIP, type Engine, type Stop, regId } from "../engine/engine.ts";
import { insnBytes, subscribe } from "../debug/view.ts";
import type { Exit } from "../os/kernel.ts";
import { buildMachine, type Machine, type RunOptions } from "../node/boot.ts";
import { packageRoot } from "../node/root.ts";
import { g_m, m_id } from "../runtime/offsets.ts";
import type { SchedEvent } from "../runtime/events.ts";
import { GPR_NAMES } from "../x86/regs.ts";

/** The repository root: source paths in traces are relative to it. */
export const REPO_ROOT = packageRoot();

/** The switch routines traced when --only is not given. */
export const DEFAULT_ROUTINES: readonly string[] = [
  "runtime.gogo", "runtime.mcall", "runtime.systemstack", "runtime.systemstack_switch",
  "gosave_systemstack_switch<>", "runtime.morestack", "runtime.morestack_noctxt",
  "runtime.asyncPreempt", "runtime.goexit",
];

/** Default instruction budget of a trace (a runaway program still ends). */
export const DEFAULT_TRACE_MAX_INSNS = 50_000_000;

/** A name given to --only that is no routine: the command's usage is at fault, not the program. */
export class TraceUsageError extends Error {}

export interface Routine { name: string; lo: number; hi: number }

/**
 * Resolves Go names to the text symbols' address ranges. Accepts
 * `runtime.gogo` and `runtime·gogo`, `·main` for package main, a bare name
 * (`mcall`: the runtime's, else main's), and `foo<>`
 * for every file-local `foo<N>`. A runtime routine brings its file-local
 * helper of the same short name along (runtime.gogo jumps to gogo<>, where
 * the registers are loaded). Throws on a name that is no text symbol.
 */
export function resolveRoutines(image: Image, names: readonly string[]): Routine[] {
  const text = image.symbols.filter((s) => s.kind === "text" && s.size > 0);
  const out = new Map<string, Routine>();
  const add = (s: { name: string; addr: number; size: number }): void => {
    out.set(s.name, { name: s.name, lo: s.addr, hi: s.addr + s.size });
  };
  for (const raw of names) {
    let n = raw.trim().replace(/\u00b7/g, ".").replace(/∕/g, "/");
    if (n === "") continue;
    if (n.startsWith(".")) n = "main" + n;
    const local = /^(?:[\w/]+\.)?([\w]+)<\d*>$/.exec(n);
    if (local) {
      const re = new RegExp(`^${local[1]}<\\d+>$`);
      const hits = text.filter((s) => re.test(s.name));
      if (hits.length === 0) throw new TraceUsageError(`--only: no text symbol ${raw}`);
      hits.forEach(add);
      continue;
    }
    // A bare name is the runtime's, else the program's: mcall, main.
    if (!n.includes(".") && !text.some((x) => x.name === n)) {
      n = text.some((x) => x.name === "runtime." + n) ? "runtime." + n : "main." + n;
    }
    const s = text.find((x) => x.name === n);
    if (!s) throw new TraceUsageError(`--only: no text symbol ${raw} (names like runtime.gogo, runtime·mcall, gogo<>)`);
    add(s);
    const short = n.startsWith("runtime.") ? n.slice("runtime.".length) : undefined;
    if (short) {
      const re = new RegExp(`^${short}<\\d+>$`);
      text.filter((x) => re.test(x.name)).forEach(add);
    }
  }
  return [...out.values()].sort((a, b) => a.lo - b.lo);
}

/** A source path as traces print it: relative to the repository when inside it. */
export function displayPath(file: string): string {
  const abs = isAbsolute(file) ? file : resolve(file);
  const rel = relative(REPO_ROOT, abs);
  return rel.startsWith("..") || isAbsolute(rel) ? file : rel.split("\\").join("/");
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/** Scheduler event as one stable line: `t=0.537µs M0 P0 G6 gosched`. */
export function formatEvent(ev: SchedEvent): string {
  const t = (ev.t / 1000).toFixed(3);
  let s = `t=${t}µs M${ev.m >= 0 ? ev.m : "-"} P${ev.p >= 0 ? ev.p : "-"} G${ev.goid} ${ev.kind}`;
  if (ev.by !== 0 && ev.by !== ev.goid) s += ` by=G${ev.by}`;
  if (ev.detail) s += ` (${ev.detail})`;
  return s;
}

export interface TraceOptions extends RunOptions {
  /** Routines to trace (Go names); DEFAULT_ROUTINES when absent or empty. */
  only?: readonly string[];
}

export interface TraceResult {
  exit: Exit | { kind: "budget" };
  insns: number;
  lines: number;
  machine: Machine;
}

/** Quiet machine: the program's own output must not mix with the trace. */
function quiet(opts: RunOptions): RunOptions {
  const sink = opts.stderr ?? ((b: Uint8Array) => void process.stderr.write(b));
  return { ...opts, stdout: opts.stdout ?? sink, stderr: sink };
}

const NREGS = 16;

/**
 * The instruction trace: one line per executed instruction of the watched
 * routines, written through `write` (without the newline).
 */
export function traceInsns(files: readonly string[], opts: TraceOptions, write: (line: string) => void): TraceResult {
  const m = buildMachine(files, quiet(opts));
  try {
    return traceMachine(m, opts, write);
  } finally {
    m.engine.close();
  }
}

/** The instruction trace on a machine already built (tests may prepare it). */
export function traceMachine(m: Machine, opts: TraceOptions, write: (line: string) => void): TraceResult {
  const { engine: e, kernel, image } = m;
  const routines = resolveRoutines(image, opts.only && opts.only.length ? opts.only : DEFAULT_ROUTINES);
  const los = Float64Array.from(routines.map((r) => r.lo));
  const his = Float64Array.from(routines.map((r) => r.hi));
  const minLo = routines.length ? Math.min(...los) : 0, maxHi = routines.length ? Math.max(...his) : 0;
  const inRange = (pc: number): boolean => {
    if (pc < minLo || pc >= maxHi) return false;
    for (let i = 0; i < los.length; i++) if (pc >= los[i]! && pc < his[i]!) return true;
    return false;
  };
  const mOf = mResolver(m);
  const symbolize = (a: number): string | undefined => image.symbolize(a);
  const lineCache = new Map<number, string>();
  const where = (pc: number): string => {
    let s = lineCache.get(pc);
    if (s === undefined) {
      const l = image.pcToLine(pc);
      s = `${l ? `${displayPath(l.file)}:${l.line}` : "?"} ${image.symbolize(pc) ?? "?"}`;
      lineCache.set(pc, s);
    }
    return s;
  };

  // The kernel runs the machine as `gmpemu run` does; only the engine's
  // run is replaced, for the duration, by one that steps and looks at RIP
  // before each instruction. Thread switches and signal deliveries happen
  // between the kernel's calls to run, so RIP is always the next
  // instruction of the thread that executes it.
  let lines = 0;
  const stepping = (n: number): Stop => {
    for (let i = 0; i < n; i++) {
      const rip = Number(e.getReg(REG_RIP));
      if (!inRange(rip)) {
        const stop = e.step();
        if (stop.kind !== "count") return stop;
        continue;
      }
      const before = gprs(e), fs = e.getReg(REG_FS_BASE), g = tlsG(e, fs);
      const text = disassemble(insnBytes(e, rip), 0, rip, symbolize).text;
      const tid = kernel.cur?.tid ?? 0;
      const stop = e.step();
      // A host call or a fault stops before the instruction: nothing ran.
      if (stop.kind === "count" || stop.kind === "syscall" || stop.kind === "breakpoint") {
        write(formatLine(rip, mOf(tid, fs), where(rip), text, before, g, e));
        lines++;
      }
      if (stop.kind !== "count") return stop;
    }
    return { kind: "count" };
  };
  // Host calls made in place (runHosted) would run past `stepping`: the
  // trace hides the engine's runHosted so that the kernel uses run.
  const hadOwnRun = Object.prototype.hasOwnProperty.call(e, "run");
  const ownRun = e.run;
  const hadOwnHosted = Object.prototype.hasOwnProperty.call(e, "runHosted");
  const ownHosted = e.runHosted;
  e.run = stepping;
  (e as { runHosted?: Engine["runHosted"] }).runHosted = undefined;
  const start = e.icount;
  let exit: TraceResult["exit"];
  try {
    exit = kernel.run(opts.maxInsns ?? DEFAULT_TRACE_MAX_INSNS);
  } finally {
    if (hadOwnRun) e.run = ownRun;
    else delete (e as { run?: unknown }).run;
    if (hadOwnHosted) (e as { runHosted?: Engine["runHosted"] }).runHosted = ownHosted;
    else delete (e as { runHosted?: unknown }).runHosted;
  }
  return { exit, insns: e.icount - start, lines, machine: m };
}

function gprs(e: Engine): bigint[] {
  const out = new Array<bigint>(NREGS);
  for (let i = 0; i < NREGS; i++) out[i] = e.getReg(regId(i));
  return out;
}

/** The g in the thread's TLS slot (-8(FS)), or undefined before TLS is set up. */
function tlsG(e: Engine, fs: bigint): bigint | undefined {
  if (fs === 0n) return undefined;
  try {
    return new DataView(e.read(Number(fs) - 8, 8).buffer).getBigUint64(0, true);
  } catch {
    return undefined;
  }
}

/** The M a thread is (from TLS g's m), cached per thread once known. */
function mResolver(m: Machine): (tid: number, fs: bigint) => string {
  const known = new Map<number, number>();
  return (tid, fs) => {
    const k = known.get(tid);
    if (k !== undefined) return `M${k}`;
    const g = tlsG(m.engine, fs);
    if (g !== undefined && g !== 0n) {
      try {
        const mem = m.mem;
        const mp = mem.ptr(Number(g) + g_m);
        if (mp !== 0) {
          const id = mem.int(mp + m_id);
          known.set(tid, id);
          return `M${id}`;
        }
      } catch {
        // not mapped yet
      }
    }
    return `T${tid}`;
  };
}

function formatLine(rip: number, mName: string, where: string, text: string, before: readonly bigint[], g: bigint | undefined, e: Engine): string {
  const deltas: string[] = [];
  for (let i = 0; i < NREGS; i++) {
    const v = e.getReg(regId(i));
    if (v !== before[i]) deltas.push(`${GPR_NAMES[i]}=${hex(v)}`);
  }
  // A load that leaves a register's value as it was still wrote it (gogo's
  // MOVQ gobuf_bp(BX), BP when BP already held that value): show it.
  const dst = /^(?:MOV\w*|LEA\w*|POP\w*)\s.*,\s*([A-Z0-9]+)$/.exec(text)?.[1];
  const di = dst !== undefined ? GPR_NAMES.indexOf(dst as (typeof GPR_NAMES)[number]) : -1;
  if (di >= 0 && e.getReg(regId(di)) === before[di]) deltas.push(`${dst}=${hex(e.getReg(regId(di)))}`);
  const fs = e.getReg(REG_FS_BASE);
  const g2 = tlsG(e, fs);
  if (g2 !== undefined && g2 !== g) deltas.push(`g=${hex(g2)}`);
  return `${hex(rip)} ${mName} ${where}  ${text}${deltas.length ? "  " + deltas.join(" ") : ""}`;
}

/**
 * The event trace: one line per scheduler event, run with kernel.run (the
 * interleaving of `gmpemu run` for the same seed).
 */
export function traceEvents(files: readonly string[], opts: RunOptions, write: (line: string) => void): TraceResult {
  const m = buildMachine(files, quiet(opts));
  let lines = 0;
  subscribe(m, (ev) => {
    write(formatEvent(ev));
    lines++;
  });
  try {
    const exit = m.kernel.run(opts.maxInsns ?? DEFAULT_TRACE_MAX_INSNS);
    return { exit, insns: m.engine.icount, lines, machine: m };
  } finally {
    m.engine.close();
  }
}
