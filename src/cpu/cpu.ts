// The CPU state: register file, RIP, RFLAGS (lazily), segment bases, XMM.
//
// Registers are stored as 32-bit halves in one Int32Array: RAX is r[0] (low)
// and r[1] (high), RCX r[2]/r[3], ... R15 r[30]/r[31]. Every handler does its
// 64-bit arithmetic on these halves, so the hot loop never touches BigInt and
// never allocates. The XMM registers are four 32-bit lanes each in x[4*i..],
// with float views over the same bytes for the scalar float instructions.
//
// Flags are lazy. An arithmetic instruction does not compute CF..OF; it
// records what it did (fop: which operation, fsz: its width) and its
// operands and result (fd*, fs*, fr*). The flags are materialized into `fl`
// only when something reads them other than through the cheap paths (ZF is
// "result is zero" whatever the operation; INC and DEC need only the carry,
// which carry() computes alone). 64-bit shifts by an immediate record
// themselves too (F_SHL, F_SHR, F_SAR: the operand, the count in fsl, the
// result); other shifts, multiplies and rotates write `fl` eagerly and
// clear fop. The materialized value is exact per the Intel SDM for every
// defined flag; for the flags the SDM leaves undefined we produce what QEMU
// (and so unicorn) produces where that is cheap, and flags.ts exports
// undefinedFlags() so a lockstep comparison can ignore them.
//
// ADD and SUB record only the source and the result (fs*, fr*): the
// destination they started from is r - s or r + s, which materialize() and
// cond() work out when they need it, so the hot ALU handlers store two
// fields fewer. INC and DEC record the result alone (the source is 1).
//
// Invariants: for widths 1, 2 and 4 the lazy operands and result are stored
// as unsigned values masked to the width with the high halves 0; for width 8
// they are the raw int32 halves. fd* is meaningless after F_ADD, F_SUB,
// F_INC and F_DEC, and fs* after F_INC and F_DEC.
// `fl` always has bit 1 set.

import { CF, PF, AF, ZF, SF, OF } from "../x86/regs.ts";
import type { Memory } from "../mem/memory.ts";

/**
 * RFLAGS bits a write from outside the CPU (the engines' setReg, as a
 * signal return) can set: CF PF AF ZF SF IF DF OF NT AC ID, and bit 1,
 * which always reads 1. TF is not among them: single-stepping is not
 * emulated, so no instruction ever finds it set (POPF leaves it clear too).
 * IOPL, RF, VM, VIF and VIP are the kernel's.
 */
export const RFLAGS_SETTABLE = 0x1 | 0x2 | 0x4 | 0x10 | 0x40 | 0x80 | 0x200 | 0x400 | 0x800 | 0x4000 | 0x40000 | 0x200000;

/** Lazy flag operations. */
export const F_NONE = 0, F_ADD = 1, F_SUB = 2, F_LOGIC = 3, F_INC = 4, F_DEC = 5, F_ADC = 6, F_SBB = 7;
/** 64-bit shifts (count 1..63 in fsl), recorded by the immediate-count fast path (shift.ts). */
export const F_SHL = 8, F_SHR = 9, F_SAR = 10;

/** Why the CPU stopped inside a block (set by the handler that stops). */
export const STOP_NONE = 0, STOP_SYSCALL = 1, STOP_BREAKPOINT = 2, STOP_HALT = 3;

/** A CPU exception raised by a handler. Memory faults arrive as MemFault. */
export class CpuFault extends Error {
  constructor(public readonly type: "ud" | "de" | "gp", why: string, public readonly bytes?: Uint8Array) {
    super(why);
  }
}

/** Parity flag lookup: PF is set when the low byte has an even number of ones. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let n = 0;
  for (let b = i; b; b >>= 1) n += b & 1;
  PARITY[i] = n & 1 ? 0 : PF;
}

const ARITH = CF | PF | AF | ZF | SF | OF;

export class Cpu {
  /** GPRs as (low, high) int32 pairs. */
  readonly r = new Int32Array(32);
  /** XMM0-15 as four int32 lanes each, lane 0 least significant. */
  readonly x = new Int32Array(64);
  /** The same XMM bytes as doubles (xd[2i] is XMMi's low 64 bits) and floats (xf[4i] its low 32): src/cpu/float.ts. */
  readonly xd = new Float64Array(this.x.buffer);
  readonly xf = new Float32Array(this.x.buffer);
  /** RIP, signed (exact for canonical addresses); NaN after a branch to a non-canonical one. */
  rip = 0;
  /** The exact RIP while `rip` is NaN, as int32 halves. */
  ncLo = 0;
  ncHi = 0;
  fsBase = 0;
  gsBase = 0;

  /** Materialized RFLAGS; the arithmetic bits are stale while fop != F_NONE. */
  fl = 0x202;
  fop = F_NONE;
  fsz = 8;
  fdl = 0; fdh = 0;
  fsl = 0; fsh = 0;
  frl = 0; frh = 0;
  /** Carry/borrow in of ADC/SBB (0 or 1). */
  fcin = 0;

  /** Scratch: the high half of the last 64-bit operand read. */
  th = 0;
  /** Set by SYSCALL/INT3/HLT handlers; the run loop returns. */
  stop = STOP_NONE;
  /** Address of the instruction that stopped (INT3). */
  stopAddr = 0;
  /** Instructions retired. */
  icount = 0;
  /** Set when a write dropped decoded code (exec.ts: a fused block then stops early). */
  smc = false;
  /** Instructions a fused block completed before the one that threw. */
  bk = 0;
  /** Instructions of the passes a looping fused block completed before that (exec.ts fuse). */
  bkt = 0;

  constructor(public readonly mem: Memory) {}

  // ---- flags -------------------------------------------------------------

  /** RFLAGS, materialized. */
  get rflags(): number {
    if (this.fop !== F_NONE) this.materialize();
    return this.fl;
  }

  set rflags(v: number) {
    this.fop = F_NONE;
    this.fl = (v | 2) >>> 0;
  }

  /** Computes the arithmetic flags from the lazy record into fl. */
  materialize(): void {
    const op = this.fop;
    if (op === F_NONE) return;
    const w = this.fsz;
    let f = 0;
    const rl = this.frl, rh = this.frh;
    let sl = this.fsl, sh = this.fsh;
    let dl = this.fdl, dh = this.fdh;
    if (op === F_INC || op === F_DEC) { sl = 1; sh = 0; }
    if (op === F_ADD || op === F_SUB || op === F_INC || op === F_DEC) {
      // The destination before the operation: r - s (ADD, INC) or r + s (SUB, DEC).
      const up = op === F_ADD || op === F_INC;
      if (w === 8) {
        if (up) { const lo = (rl >>> 0) - (sl >>> 0); dl = lo | 0; dh = (rh - sh - (lo < 0 ? 1 : 0)) | 0; }
        else { const lo = (rl >>> 0) + (sl >>> 0); dl = lo | 0; dh = (rh + sh + (lo > 0xffffffff ? 1 : 0)) | 0; }
      } else {
        const v = up ? rl - sl : rl + sl;
        dl = w === 4 ? v >>> 0 : v & maskOf(w);
        dh = 0;
      }
    }
    // ZF, SF, PF depend only on the result.
    if ((rl | rh) === 0) f |= ZF;
    const signR = w === 8 ? rh < 0 : ((rl >>> (w * 8 - 1)) & 1) === 1;
    if (signR) f |= SF;
    f |= PARITY[rl & 0xff]!;
    switch (op) {
      case F_ADD: case F_ADC: case F_INC: {
        const cin = op === F_ADC ? this.fcin : 0;
        if (op === F_INC) f |= this.fl & CF;
        else if (w === 8) {
          const c1 = (dl >>> 0) + (sl >>> 0) + cin > 0xffffffff ? 1 : 0;
          if ((dh >>> 0) + (sh >>> 0) + c1 > 0xffffffff) f |= CF;
        } else {
          if (dl + sl + cin > maskOf(w)) f |= CF;
        }
        if (((dl ^ sl ^ rl) & 0x10) !== 0) f |= AF;
        if (w === 8) { if (((dh ^ rh) & (sh ^ rh)) < 0) f |= OF; }
        else if ((((dl ^ rl) & (sl ^ rl)) >>> (w * 8 - 1)) & 1) f |= OF;
        break;
      }
      case F_SUB: case F_SBB: case F_DEC: {
        const bin = op === F_SBB ? this.fcin : 0;
        if (op === F_DEC) f |= this.fl & CF;
        else if (w === 8) {
          const b1 = (dl >>> 0) - (sl >>> 0) - bin < 0 ? 1 : 0;
          if ((dh >>> 0) - (sh >>> 0) - b1 < 0) f |= CF;
        } else {
          if (dl < sl + bin) f |= CF;
        }
        if (((dl ^ sl ^ rl) & 0x10) !== 0) f |= AF;
        if (w === 8) { if (((dh ^ sh) & (dh ^ rh)) < 0) f |= OF; }
        else if ((((dl ^ sl) & (dl ^ rl)) >>> (w * 8 - 1)) & 1) f |= OF;
        break;
      }
      case F_LOGIC:
        break;
      case F_SHL: case F_SHR: case F_SAR: {
        // As shift.ts's eager code: CF the last bit out, OF from the sign
        // change (the SDM's for count 1, QEMU's beyond), AF clear.
        const c = shiftCarryOut(op, dl, dh, sl);
        if (c) f |= CF;
        const before = op === F_SHL ? c : shiftMsbBefore(op, dl, dh, sl);
        if ((before ^ (rh >>> 31)) & 1) f |= OF;
        break;
      }
    }
    this.fl = ((this.fl & ~ARITH) | f) >>> 0;
    this.fop = F_NONE;
  }

  /** CF alone (0 or CF), without materializing the rest: what INC and DEC keep. */
  carry(): number {
    const op = this.fop;
    switch (op) {
      case F_NONE: case F_INC: case F_DEC: return this.fl & CF;
      case F_LOGIC: return 0;
      case F_SHL: case F_SHR: case F_SAR: return shiftCarryOut(op, this.fdl, this.fdh, this.fsl) ? CF : 0;
    }
    this.materialize();
    return this.fl & CF;
  }

  /** Replaces the arithmetic flags by `f` (eager instructions). */
  setArith(f: number): void {
    if (this.fop !== F_NONE) this.fop = F_NONE;
    this.fl = ((this.fl & ~ARITH) | f) >>> 0;
  }

  get zf(): boolean {
    return this.fop !== F_NONE ? (this.frl | this.frh) === 0 : (this.fl & ZF) !== 0;
  }

  get cf(): boolean {
    if (this.fop !== F_NONE) this.materialize();
    return (this.fl & CF) !== 0;
  }

  /** Evaluates condition code cc (0-15, hardware order). */
  cond(cc: number): boolean {
    let v: boolean;
    if (this.fop === F_SUB && this.fsz === 8) {
      // After a 64-bit CMP/SUB every condition follows from the operands
      // directly, without materializing RFLAGS (the destination is r + s).
      const sl = this.fsl, sh = this.fsh, rh = this.frh;
      const lo = (this.frl >>> 0) + (sl >>> 0);
      const dl = lo | 0, dh = (rh + sh + (lo > 0xffffffff ? 1 : 0)) | 0;
      const cf = (dh >>> 0) < (sh >>> 0) || (dh === sh && (dl >>> 0) < (sl >>> 0));
      const zf = (this.frl | rh) === 0;
      const sf = rh < 0;
      const of = ((dh ^ sh) & (dh ^ rh)) < 0;
      switch (cc >> 1) {
        case 0: v = of; break;
        case 1: v = cf; break;
        case 2: v = zf; break;
        case 3: v = cf || zf; break;
        case 4: v = sf; break;
        case 5: v = (PARITY[this.frl & 0xff]! & PF) !== 0; break;
        case 6: v = sf !== of; break;
        default: v = zf || sf !== of; break;
      }
      return (cc & 1) !== 0 ? !v : v;
    }
    switch (cc >> 1) {
      case 2: v = this.zf; break;
      default: {
        if (this.fop !== F_NONE) this.materialize();
        const f = this.fl;
        switch (cc >> 1) {
          case 0: v = (f & OF) !== 0; break;
          case 1: v = (f & CF) !== 0; break;
          case 3: v = (f & (CF | ZF)) !== 0; break;
          case 4: v = (f & SF) !== 0; break;
          case 5: v = (f & PF) !== 0; break;
          case 6: v = ((f & SF) !== 0) !== ((f & OF) !== 0); break;
          default: v = (f & ZF) !== 0 || ((f & SF) !== 0) !== ((f & OF) !== 0); break;
        }
      }
    }
    return (cc & 1) !== 0 ? !v : v;
  }

  // ---- RIP ---------------------------------------------------------------------

  /** Sets RIP from a 64-bit value's halves (branch targets); see exec.ts on non-canonical ones. */
  setRip64(lo: number, hi: number): void {
    const top = hi >> 15;
    if (top === 0 || top === -1) this.rip = hi * 4294967296 + (lo >>> 0);
    else { this.rip = NaN; this.ncLo = lo; this.ncHi = hi; }
  }

  /** RIP as the unsigned 64-bit value. */
  ripExact(): bigint {
    if (Number.isNaN(this.rip)) return (BigInt(this.ncHi >>> 0) << 32n) | BigInt(this.ncLo >>> 0);
    return BigInt.asUintN(64, BigInt(this.rip));
  }

  /** RIP as an unsigned number (exact below 2^53). */
  ripU(): number {
    if (Number.isNaN(this.rip)) return (this.ncHi >>> 0) * 4294967296 + (this.ncLo >>> 0);
    return this.rip >= 0 ? this.rip : this.rip + 18446744073709551616;
  }

  // ---- cold-path register access ----------------------------------------------

  getReg64(n: number): bigint {
    return (BigInt(this.r[2 * n + 1]! >>> 0) << 32n) | BigInt(this.r[2 * n]! >>> 0);
  }

  setReg64(n: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.r[2 * n] = Number(u & 0xffffffffn) | 0;
    this.r[2 * n + 1] = Number(u >> 32n) | 0;
  }

  getXmm(i: number): Uint8Array {
    const out = new Uint8Array(16);
    const dv = new DataView(out.buffer);
    for (let k = 0; k < 4; k++) dv.setInt32(4 * k, this.x[4 * i + k]!, true);
    return out;
  }

  setXmm(i: number, v: Uint8Array): void {
    const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
    for (let k = 0; k < 4; k++) this.x[4 * i + k] = k * 4 + 4 <= v.byteLength ? dv.getInt32(4 * k, true) : 0;
  }
}

/** The last bit a 64-bit shift by n (1..63) of (lo, hi) moved out: the carry. */
function shiftCarryOut(op: number, lo: number, hi: number, n: number): number {
  // SHL: bit 64-n of the operand; SHR and SAR: bit n-1.
  const k = op === F_SHL ? 64 - n : n - 1;
  return k < 32 ? (lo >>> k) & 1 : (hi >>> (k - 32)) & 1;
}

/** The sign bit of a 64-bit SHR/SAR by n-1 (the value before the last step), for OF. */
function shiftMsbBefore(op: number, _lo: number, hi: number, n: number): number {
  if (op === F_SAR) return hi >>> 31;
  return n === 1 ? hi >>> 31 : 0;
}

export function maskOf(w: number): number {
  return w === 1 ? 0xff : w === 2 ? 0xffff : 0xffffffff;
}
