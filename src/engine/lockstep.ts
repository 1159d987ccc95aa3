// Lockstep: one program on two engines, compared after every instruction.
//
// Both engines are prepared identically by the caller (same mappings, same
// bytes, same registers). Then each steps one instruction and the states are
// compared: the sixteen general registers, RIP, RFLAGS (only the flags the
// instruction defines), FS and GS base, the sixteen X registers, and the
// memory the instruction wrote. The first difference ends the run with a
// report a person can act on: the instruction (address, bytes, disassembly,
// symbol and source line) and both register files side by side, differing
// registers marked.
//
// Memory writes are found through the engine that can trace them (unicorn's
// write hook, enabled only while in lockstep); the bytes written are then
// read back from both engines. A write that only one engine performed is
// caught when it lands where the other wrote, or by the caller's final
// comparison of whole regions (`compareRegions`), which the differential test
// uses for its scratch memory.
//
// Two drivers. When neither engine can call back per instruction, both
// step. When one can (unicorn's runObserved), it drives: it runs under a
// per-instruction hook and the other engine steps inside the callback,
// which avoids unicorn retranslating code at every single step.
//
// Undefined flags: the SDM leaves some flags undefined (AF after AND, OF
// after a multi-bit shift, everything after DIV...). They are masked out per
// instruction with src/cpu/flags.ts's undefinedFlags, given the op the
// interpreter's decoder finds and, for shifts, the masked count. When the
// engines disagree on an undefined flag, one engine's value is copied into
// the other, so that a later instruction that reads it compares results
// computed from the same input.
// Rejected: comparing flags only at branches (a wrong flag would be caught
// late, far from its cause).
import {
  type Engine, type Stop, REG_IDS, REG_NAMES, REG_RCX, REG_RIP, REG_RFLAGS, NREGS,
} from "./engine.ts";
import { ARITH_FLAGS } from "../x86/regs.ts";
import { decode, bufSource, K_XMM, type Insn } from "../cpu/decode.ts";
import { disassemble } from "../cpu/disasm.ts";
import { undefinedFlags } from "../cpu/flags.ts";

/** An engine that can report the memory its last step wrote (unicorn). */
export interface WriteTracing {
  traceWrites(on: boolean): void;
  /** Writes since the last call, as [address, size] pairs. */
  takeWrites(): [number, number][];
}

function tracer(e: Engine): WriteTracing | null {
  const t = e as Partial<WriteTracing>;
  return typeof t.traceWrites === "function" && typeof t.takeWrites === "function" ? (e as Engine & WriteTracing) : null;
}

// --- the instruction: decoded by the interpreter's decoder -------------------

function decodeAt(bytes: Uint8Array, rip: number): Insn | undefined {
  try {
    const i = decode(bufSource(bytes, 0, rip), rip);
    return i.op === "bad" ? undefined : i;
  } catch {
    return undefined;
  }
}

/** Whether the instruction names an XMM register (the 128-bit moves, MOVQ, the scalar float instructions). */
function touchesXmm(i: Insn): boolean {
  return i.args.some((a) => a.k === K_XMM);
}

/** The RFLAGS bits to ignore after the instruction: those the SDM leaves undefined. */
function flagMaskFor(i: Insn | undefined, before: State): number {
  if (!i) return ARITH_FLAGS; // undecodable: both engines should fault; flags are moot
  const op = i.op;
  if (op === "shl" || op === "shr" || op === "sar" || op === "rol" || op === "ror") {
    // The count as the CPU masks it: CL, an immediate, or the implied 1.
    const kind = i.form?.args[0];
    const raw = kind === "cl" ? Number(before.regs[REG_RCX]! & 0xffn) : kind === "one" ? 1 : i.immLo & 0xff;
    return undefinedFlags(op, { count: raw & (i.size === 8 ? 63 : 31), size: i.size });
  }
  return undefinedFlags(op);
}

/** Go-syntax disassembly of the instruction, or "?" when it does not decode. */
function disasmAt(bytes: Uint8Array, rip: number): { text: string; len: number } {
  const d = disassemble(bytes, 0, rip);
  return d.text === "?" ? { text: "(undecodable)", len: Math.min(bytes.length, 4) } : d;
}

// --- state and comparison ---------------------------------------------------------


export interface State {
  regs: bigint[];
  xmm: Uint8Array[];
}

export function captureState(e: Engine, withXmm = true): State {
  const regs: bigint[] = [];
  for (const r of REG_IDS) regs.push(e.getReg(r));
  const xmm: Uint8Array[] = [];
  if (withXmm) for (let i = 0; i < 16; i++) xmm.push(e.getXmm(i));
  return { regs, xmm };
}

function hex64(v: bigint): string {
  return "0x" + BigInt.asUintN(64, v).toString(16).padStart(16, "0");
}
function hexBytes(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
}
function eqBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function stopText(s: Stop): string {
  switch (s.kind) {
    case "hostcall": return `hostcall 0x${s.addr.toString(16)}`;
    case "breakpoint": return `breakpoint 0x${s.addr.toString(16)}`;
    case "break": return `break at 0x${s.addr.toString(16)}`;
    case "fault": {
      const f = s.fault;
      if (f.type === "page") return `page fault (${f.access} 0x${f.addr.toString(16)}) at 0x${f.rip.toString(16)}`;
      if (f.type === "gp") return `#GP at 0x${f.rip.toString(16)}`;
      return `#${f.type.toUpperCase()} at 0x${f.rip.toString(16)}`;
    }
    default: return s.kind;
  }
}

function sameStop(a: Stop, b: Stop): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "hostcall" && b.kind === "hostcall") return a.addr === b.addr;
  if (a.kind === "breakpoint" && b.kind === "breakpoint") return a.addr === b.addr;
  if (a.kind === "break" && b.kind === "break") return a.addr === b.addr;
  if (a.kind === "fault" && b.kind === "fault") {
    const x = a.fault, y = b.fault;
    if (x.type !== y.type || x.rip !== y.rip) return false;
    if (x.type === "page" && y.type === "page") return x.addr === y.addr && x.access === y.access;
    return true;
  }
  return true;
}

/** How to describe an address: symbol+offset and source line, when known (text overrides the disassembly). */
export type Describe = (addr: number) => { where?: string; line?: string; text?: string };

export interface LockstepOptions {
  /** Stop after this many instructions (both engines agreeing all along). */
  maxSteps: number;
  /** Compare the X registers after every instruction (default true). */
  xmm?: boolean;
  /** Symbolization and disassembly for the report. */
  describe?: Describe;
  /**
   * Called when both engines stopped for the same reason other than the
   * budget; return true to go on stepping (after handling the stop on both
   * engines identically), false to end the run.
   */
  onStop?: (stop: Stop) => boolean;
  /**
   * Breakpoints: the run stops with {kind: "break"} before any instruction
   * after the first whose address this accepts (the caller checks the first).
   */
  stopAt?: (addr: number) => boolean;
  /** Regions compared whole, every `regionEvery` steps and at the end. */
  compareRegions?: [number, number][];
  regionEvery?: number;
}

export interface Divergence {
  /** Instructions both engines executed identically before this one. */
  step: number;
  rip: number;
  bytes: Uint8Array;
  /** Short descriptions of each difference. */
  diffs: string[];
  /** The full human-readable report. */
  report: string;
}

export interface LockstepResult {
  /** Instructions executed and compared. */
  steps: number;
  /** Why the run ended (as both engines agreed), when it did not diverge. */
  stop: Stop;
  divergence?: Divergence;
}

/** Up to 15 bytes at addr, fewer at the end of mapped memory. */
export function insnBytes(e: Engine, addr: number): Uint8Array {
  for (let n = 15; n > 0; n--) {
    try {
      return e.read(addr, n);
    } catch {
      // shorter
    }
  }
  return new Uint8Array(0);
}

/** An engine that can run while calling back before each instruction (unicorn). */
export interface Observable {
  runObserved(maxInsns: number, before: (addr: number) => boolean): Stop;
}

function observable(e: Engine): (Engine & Observable) | null {
  return typeof (e as Partial<Observable>).runObserved === "function" ? (e as Engine & Observable) : null;
}

/**
 * Compares the engines after one instruction. `a` and `b` keep their roles
 * in the report whichever engine drives the run.
 */
class Comparer {
  steps = 0;
  private prev: State | null = null;
  private readonly ta: WriteTracing | null;
  private readonly tb: WriteTracing | null;
  private readonly withXmm: boolean;

  /**
   * The engine whose undefined flags are overwritten with the other's when
   * they differ, so that a later instruction reading them (ADC after a wide
   * SHR) does not diverge over a value the SDM never defined. In observed
   * runs it is the follower: the driver is inside a hook, where a flags
   * write may not reach code already translated.
   */
  follower: Engine;

  constructor(private readonly a: Engine, private readonly b: Engine, private readonly opts: LockstepOptions) {
    this.follower = b;
    this.withXmm = opts.xmm ?? true;
    this.ta = tracer(a);
    this.tb = tracer(b);
  }

  begin(): void {
    this.ta?.traceWrites(true);
    this.tb?.traceWrites(true);
    this.ta?.takeWrites();
    this.tb?.takeWrites();
  }
  end(): void {
    this.ta?.traceWrites(false);
    this.tb?.traceWrites(false);
  }

  /** The state and bytes before the next instruction (from engine a). */
  before(): { rip: number; bytes: Uint8Array; state: State } {
    const rip = Number(this.a.getReg(REG_RIP));
    return { rip, bytes: insnBytes(this.a, rip), state: this.prev ?? captureState(this.a, false) };
  }

  /** Forgets the cached state (a stop handler may have changed it). */
  invalidate(): void {
    this.prev = null;
  }

  /** Compares after an instruction both engines attempted; returns a divergence or undefined. */
  after(pre: { rip: number; bytes: Uint8Array; state: State }, sa: Stop, sb: Stop): Divergence | undefined {
    const { a, b } = this;
    const diffs: string[] = [];
    if (!sameStop(sa, sb)) diffs.push(`stop: ${a.name} ${stopText(sa)}, ${b.name} ${stopText(sb)}`);
    const insn = decodeAt(pre.bytes, pre.rip);
    // X registers change only under SSE instructions; compare them there,
    // at every stop, and where the instruction did not decode.
    const xmm = this.withXmm && (!insn || touchesXmm(insn) || sa.kind !== "count" || sb.kind !== "count");
    const A = captureState(a, xmm), B = captureState(b, xmm);
    const mask = BigInt(flagMaskFor(insn, pre.state));
    const marked = new Set<number>();
    for (let r = 0; r < NREGS; r++) {
      let x = A.regs[r]!, y = B.regs[r]!;
      if (r === REG_RFLAGS) {
        if ((x ^ y) & mask) {
          const [from, to] = this.follower === b ? [A, B] : [B, A];
          const synced = (to.regs[r]! & ~mask) | (from.regs[r]! & mask);
          this.follower.setReg(REG_RFLAGS, synced);
          to.regs[r] = synced;
        }
        x &= ~mask;
        y &= ~mask;
      }
      if (x !== y) {
        marked.add(r);
        diffs.push(`${REG_NAMES[r]}: ${a.name} ${hex64(A.regs[r]!)}, ${b.name} ${hex64(B.regs[r]!)}`);
      }
    }
    for (let i = 0; i < A.xmm.length; i++) {
      if (!eqBytes(A.xmm[i]!, B.xmm[i]!)) diffs.push(`X${i}: ${a.name} ${hexBytes(A.xmm[i]!)}, ${b.name} ${hexBytes(B.xmm[i]!)}`);
    }
    const writes = [...(this.ta?.takeWrites() ?? []), ...(this.tb?.takeWrites() ?? [])];
    for (const [addr, size] of writes) {
      const ma = tryRead(a, addr, size), mb = tryRead(b, addr, size);
      // A write that faulted on both engines left nothing to compare.
      if (!ma && !mb) continue;
      if (!ma || !mb || !eqBytes(ma, mb)) {
        diffs.push(`memory 0x${addr.toString(16)}+${size}: ${a.name} ${ma ? hexBytes(ma) : "unreadable"}, ${b.name} ${mb ? hexBytes(mb) : "unreadable"}`);
      }
    }
    const completed = sa.kind === "count" || sa.kind === "syscall" || sa.kind === "breakpoint" || sa.kind === "halt";
    if (completed) this.steps++;
    const every = this.opts.regionEvery ?? 1;
    if (diffs.length === 0 && this.opts.compareRegions && (sa.kind !== "count" || this.steps % every === 0)) {
      diffs.push(...compareRegionsNow(a, b, this.opts.compareRegions));
    }
    this.prev = A;
    if (diffs.length === 0) return undefined;
    return report(a, b, this.steps - (completed ? 1 : 0), pre.rip, pre.bytes, pre.state, A, B, marked, diffs, this.opts.describe, sa, sb);
  }

  /** The final whole-region comparison when the budget ran out. */
  finalRegions(stop: Stop): Divergence | undefined {
    if (!this.opts.compareRegions) return undefined;
    const diffs = compareRegionsNow(this.a, this.b, this.opts.compareRegions);
    if (diffs.length === 0) return undefined;
    const rip = Number(this.a.getReg(REG_RIP));
    const s = captureState(this.a, false);
    return report(this.a, this.b, this.steps, rip, insnBytes(this.a, rip), s, s, captureState(this.b, false), new Set(), diffs, this.opts.describe, stop, stop);
  }
}

/**
 * Runs both engines one instruction at a time, comparing after each. When
 * one engine can call back per instruction (unicorn), it drives: it runs
 * freely under its hook and the other engine steps inside the callback.
 */
export function runLockstep(a: Engine, b: Engine, opts: LockstepOptions): LockstepResult {
  const cmp = new Comparer(a, b, opts);
  cmp.begin();
  try {
    const oa = observable(a), ob = observable(b);
    return oa || ob ? driveObserved(cmp, a, b, oa ? "a" : "b", opts) : driveStepping(cmp, a, b, opts);
  } finally {
    cmp.end();
  }
}

function driveStepping(cmp: Comparer, a: Engine, b: Engine, opts: LockstepOptions): LockstepResult {
  let stop: Stop = { kind: "count" };
  let first = true;
  while (cmp.steps < opts.maxSteps) {
    const pre = cmp.before();
    if (!first && opts.stopAt?.(pre.rip)) return { steps: cmp.steps, stop: { kind: "break", addr: pre.rip } };
    first = false;
    const sa = a.step();
    const sb = b.step();
    const divergence = cmp.after(pre, sa, sb);
    if (divergence) return { steps: cmp.steps, stop: sa, divergence };
    if (sa.kind !== "count") {
      stop = sa;
      cmp.invalidate();
      if (opts.onStop && opts.onStop(sa)) continue;
      return { steps: cmp.steps, stop };
    }
  }
  const divergence = cmp.finalRegions(stop);
  return divergence ? { steps: cmp.steps, stop, divergence } : { steps: cmp.steps, stop: { kind: "count" } };
}

function driveObserved(cmp: Comparer, a: Engine, b: Engine, driver: "a" | "b", opts: LockstepOptions): LockstepResult {
  const drv = (driver === "a" ? a : b) as Engine & Observable;
  const other = driver === "a" ? b : a;
  cmp.follower = other;
  // The driver's stop and the follower's, put back in (a, b) order.
  const order = (sd: Stop, so: Stop): [Stop, Stop] => (driver === "a" ? [sd, so] : [so, sd]);
  const COUNT: Stop = { kind: "count" };
  let stop: Stop = COUNT;
  while (cmp.steps < opts.maxSteps) {
    let pre = cmp.before();
    let divergence: Divergence | undefined;
    let calls = 0;
    let breakAt = -1;
    const c0 = drv.icount;
    const sd = drv.runObserved(opts.maxSteps - cmp.steps, () => {
      // The driver finished one instruction and has not started the next.
      calls++;
      const [sa, sb] = order(COUNT, other.step());
      divergence = cmp.after(pre, sa, sb);
      if (divergence || cmp.steps >= opts.maxSteps) return false;
      pre = cmp.before();
      if (opts.stopAt?.(pre.rip)) {
        breakAt = pre.rip;
        return false;
      }
      return true;
    });
    if (divergence) return { steps: cmp.steps, stop: sd, divergence };
    // Instructions the driver retired after the last callback (the one that
    // ended the run, or the last before a stop at an instruction it did not
    // execute) are compared now; a stop that retires its instruction
    // (SYSCALL, INT3, HLT, the budget) belongs to the last of them.
    const completing = sd.kind === "count" || sd.kind === "syscall" || sd.kind === "breakpoint" || sd.kind === "halt";
    for (let pending = drv.icount - c0 - calls; pending > 0; pending--) {
      const mine = pending === 1 && completing ? sd : COUNT;
      const [sa, sb] = order(mine, other.step());
      const d = cmp.after(pre, sa, sb);
      if (d) return { steps: cmp.steps, stop: sa, divergence: d };
      pre = cmp.before();
    }
    if (!completing) {
      // A host call or a fault: the driver did not execute the instruction; neither may the follower.
      const [sa, sb] = order(sd, other.step());
      const d = cmp.after(pre, sa, sb);
      if (d) return { steps: cmp.steps, stop: sa, divergence: d };
    }
    if (breakAt >= 0 && sd.kind === "count") return { steps: cmp.steps, stop: { kind: "break", addr: breakAt } };
    if (sd.kind === "count") continue;
    stop = sd;
    cmp.invalidate();
    if (opts.onStop && opts.onStop(sd)) continue;
    return { steps: cmp.steps, stop };
  }
  const d = cmp.finalRegions(stop);
  return d ? { steps: cmp.steps, stop, divergence: d } : { steps: cmp.steps, stop: COUNT };
}

function tryRead(e: Engine, addr: number, size: number): Uint8Array | null {
  try {
    return e.read(addr, size);
  } catch {
    return null;
  }
}

function compareRegionsNow(a: Engine, b: Engine, regions: [number, number][]): string[] {
  const out: string[] = [];
  for (const [start, end] of regions) {
    const ma = a.read(start, end - start), mb = b.read(start, end - start);
    for (let i = 0; i < ma.length; i++) {
      if (ma[i] !== mb[i]) {
        const at = start + (i & ~7);
        out.push(`memory 0x${at.toString(16)}: ${a.name} ${hexBytes(ma.subarray(at - start, at - start + 8))}, ${b.name} ${hexBytes(mb.subarray(at - start, at - start + 8))}`);
        break;
      }
    }
  }
  return out;
}

function report(
  a: Engine, b: Engine, step: number, rip: number, bytes: Uint8Array,
  before: State, A: State, B: State, marked: Set<number>, diffs: string[],
  describe: Describe | undefined, sa: Stop, sb: Stop,
): Divergence {
  const d = describe?.(rip) ?? {};
  const dis = disasmAt(bytes, rip);
  const lines: string[] = [];
  lines.push(`divergence after ${step} instructions, at 0x${rip.toString(16)}${d.where ? ` <${d.where}>` : ""}${d.line ? ` (${d.line})` : ""}`);
  lines.push(`  ${hexBytes(bytes.subarray(0, dis.len)).padEnd(30)} ${d.text ?? dis.text}`);
  if (sa.kind !== "count" || sb.kind !== "count") lines.push(`  stop: ${a.name} ${stopText(sa)}; ${b.name} ${stopText(sb)}`);
  lines.push(`  ${"".padEnd(8)} ${"before".padEnd(18)}  ${a.name.padEnd(18)}  ${b.name.padEnd(18)}`);
  for (let r = 0; r < NREGS; r++) {
    const mark = marked.has(r) ? "  <-- differs" : "";
    lines.push(`  ${REG_NAMES[r]!.padEnd(8)} ${hex64(before.regs[r]!)}  ${hex64(A.regs[r]!)}  ${hex64(B.regs[r]!)}${mark}`);
  }
  for (const x of diffs) lines.push(`  ${x}`);
  return { step, rip, bytes, diffs, report: lines.join("\n") };
}

