// SSE scalar floating point: MOVSD/MOVSS, the arithmetic (ADD SUB MUL DIV
// MIN MAX SQRT, SD and SS), the compares (UCOMIS, COMIS, CMPSD/CMPSS), the
// conversions between integers and floats and between the two widths, and
// the 128-bit bitwise ANDPD/ANDNPD/ORPD (and PS).
//
// What code compiled by Go 1.19 for GOAMD64=v1 runs when it touches a
// float64 or float32, and what fmt and strconv run to print and parse one.
//
// The arithmetic is JavaScript's: a double operation is IEEE-754 binary64
// with round-to-nearest-even, which is what the CPU does under the default
// MXCSR (0x1F80: all exceptions masked, round to nearest, no FTZ/DAZ, so
// denormals are kept and produced). A single operation is computed in
// double and rounded once to binary32 (Math.fround, or a Float32Array
// store): for +, -, *, / and sqrt of binary32 operands the double result
// rounds to the same binary32 as the exact one, because 53 >= 2*24+2 (the
// double rounding is innocuous). The one conversion where that fails,
// int64 to float32, rounds to odd first (see toF32).
//
// NaNs are handled on the bits, never through a JavaScript NaN, whose
// payload the engine may change: as the SDM's table 4-7 says for SSE, a NaN
// operand is returned quieted (the destination's, the first source, when
// both are NaN), and an invalid operation on numbers (Inf-Inf, 0*Inf, 0/0,
// sqrt of a negative) gives the default NaN, "QNaN floating-point
// indefinite": 0xFFF8000000000000 (double), 0xFFC00000 (single). MIN and
// MAX return the second (source) operand unchanged when either is a NaN or
// both are zeros. A truncating conversion whose value does not fit (or is
// NaN) gives the "integer indefinite", the most negative integer of the
// width. Compares: unordered sets ZF, PF and CF; greater clears them;
// less sets CF; equal sets ZF; OF, SF and AF are cleared. CMPSD/CMPSS take
// their predicate from bits 2:0 of the immediate, as the SDM says for the
// legacy encoding (QEMU 5 raises #UD above 7; src/engine/unicorn.ts sends
// them to these handlers).
//
// Exceptions are masked, so none is ever raised and MXCSR's sticky status
// flags are not kept: no Go code reads them (STMXCSR and LDMXCSR are not
// in the table; Go 1.19's compiled code and runtime never execute them, and
// a program that changed the rounding mode could not be honoured here).
//
// The XMM registers are Int32Array lanes (cpu.x) with Float64Array and
// Float32Array views over the same bytes (cpu.xd, cpu.xf; the host is
// little-endian, as x86 is): lane pair 2k,2k+1 is xd[k], lane k is xf[k].
// Memory operands go through the module scratch S and its views (SD, SS). Nothing
// allocates per instruction.
//
// Rejected: one handler per (op, width) written out by hand (fourteen
// near-copies); a generic handler switching on the op string (the hot loop
// would compare strings). The factories below close over small integers.

import { AF, CF, OF, PF, SF, ZF } from "../x86/regs.ts";
import type { Cpu } from "./cpu.ts";
import { F_NONE } from "./cpu.ts";
import { K_MEM, K_XMM, type Handler, type Insn } from "./decode.ts";
import { ea, rd, wr } from "./operands.ts";

/** Scratch for a memory operand: 64 bits, with float views. */
const S = new Int32Array(4);
const SD = new Float64Array(S.buffer);
const SS = new Float32Array(S.buffer);

const QUIET_D = 0x00080000; // in the high half
const QUIET_F = 0x00400000;
const INDEF_D_HI = 0xfff80000 | 0;
const INDEF_F = 0xffc00000 | 0;

function nanD(hi: number, lo: number): boolean {
  return (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) | lo) !== 0;
}
function nanF(v: number): boolean {
  return (v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0;
}

/** Reads the source's low w bytes (8 or 4) into S[0..]. */
function src(c: Cpu, i: Insn, w: number): void {
  if (i.sk === K_XMM) {
    const b = 4 * i.sn;
    S[0] = c.x[b]!;
    if (w === 8) S[1] = c.x[b + 1]!;
    return;
  }
  const a = ea(c, i), m = c.mem;
  if (w === 8) { S[0] = m.read64(a); S[1] = m.hi; }
  else S[0] = m.read32(a);
}

/** MOVSD / MOVSS: a load from memory zeroes the rest of the register; between registers only the low element moves. */
export const movsd: Handler = (c, i) => {
  const w = i.size;
  if (i.dk === K_MEM) {
    const x = c.x, b = 4 * i.sn, a = ea(c, i);
    if (w === 8) c.mem.write64(a, x[b]!, x[b + 1]!);
    else c.mem.write32(a, x[b]!);
    return;
  }
  src(c, i, w);
  const x = c.x, b = 4 * i.dn;
  x[b] = S[0]!;
  if (w === 8) x[b + 1] = S[1]!;
  if (i.sk === K_MEM) {
    if (w === 4) x[b + 1] = 0;
    x[b + 2] = 0; x[b + 3] = 0;
  }
};

export const FA_ADD = 0, FA_SUB = 1, FA_MUL = 2, FA_DIV = 3, FA_MIN = 4, FA_MAX = 5, FA_SQRT = 6;

/** ADD/SUB/MUL/DIV/MIN/MAX/SQRT, SD (i.size 8) or SS (4): the low element of the destination only. */
export function arith(k: number): Handler {
  return (c, i) => {
    const x = c.x, b = 4 * i.dn;
    if (i.size === 8) {
      src(c, i, 8);
      const sl = S[0]!, sh = S[1]!;
      const s = SD[0]!;
      if (k === FA_MIN || k === FA_MAX) {
        // The destination stays only when it is strictly less (greater): NaN and ±0 pairs take the source.
        const d = c.xd[b >> 1]!;
        if (k === FA_MIN ? !(d < s) : !(d > s)) { x[b] = sl; x[b + 1] = sh; }
        return;
      }
      if (k === FA_SQRT) {
        if (nanD(sh, sl)) { x[b] = sl; x[b + 1] = sh | QUIET_D; return; }
        const r = Math.sqrt(s);
        if (r !== r) { x[b] = 0; x[b + 1] = INDEF_D_HI; } else c.xd[b >> 1] = r;
        return;
      }
      const dh = x[b + 1]!;
      if (nanD(dh, x[b]!)) { x[b + 1] = dh | QUIET_D; return; }
      if (nanD(sh, sl)) { x[b] = sl; x[b + 1] = sh | QUIET_D; return; }
      const d = c.xd[b >> 1]!;
      const r = k === FA_ADD ? d + s : k === FA_SUB ? d - s : k === FA_MUL ? d * s : d / s;
      if (r !== r) { x[b] = 0; x[b + 1] = INDEF_D_HI; } else c.xd[b >> 1] = r;
      return;
    }
    src(c, i, 4);
    const sv = S[0]!;
    const s = SS[0]!;
    if (k === FA_MIN || k === FA_MAX) {
      const d = c.xf[b]!;
      if (k === FA_MIN ? !(d < s) : !(d > s)) x[b] = sv;
      return;
    }
    if (k === FA_SQRT) {
      if (nanF(sv)) { x[b] = sv | QUIET_F; return; }
      const r = Math.sqrt(s);
      if (r !== r) x[b] = INDEF_F; else c.xf[b] = r;
      return;
    }
    const dv = x[b]!;
    if (nanF(dv)) { x[b] = dv | QUIET_F; return; }
    if (nanF(sv)) { x[b] = sv | QUIET_F; return; }
    const d = c.xf[b]!;
    // One rounding to binary32 of the double result (exact for + - * /, see the essay).
    const r = k === FA_ADD ? d + s : k === FA_SUB ? d - s : k === FA_MUL ? d * s : d / s;
    if (r !== r) x[b] = INDEF_F; else c.xf[b] = r;
  };
}

const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;

/** UCOMISD/COMISD (and SS): ZF PF CF from the compare of the destination with the source. */
export const comis: Handler = (c, i) => {
  let d: number, s: number;
  if (i.size === 8) { src(c, i, 8); s = SD[0]!; d = c.xd[2 * i.dn]!; }
  else { src(c, i, 4); s = SS[0]!; d = c.xf[4 * i.dn]!; }
  const f = d !== d || s !== s ? ZF | PF | CF : d < s ? CF : d === s ? ZF : 0;
  c.fop = F_NONE;
  c.fl = (c.fl & ~ARITH_FLAGS) | f;
};

/** CMPSD/CMPSS X, X, $pred: the low element becomes all ones when the predicate holds, else zero. */
export const cmps: Handler = (c, i) => {
  let d: number, s: number;
  if (i.size === 8) { src(c, i, 8); s = SD[0]!; d = c.xd[2 * i.dn]!; }
  else { src(c, i, 4); s = SS[0]!; d = c.xf[4 * i.dn]!; }
  let t: boolean;
  switch (i.immLo & 7) {
    case 0: t = d === s; break;
    case 1: t = d < s; break;
    case 2: t = d <= s; break;
    case 3: t = d !== d || s !== s; break;
    case 4: t = !(d === s); break;
    case 5: t = !(d < s); break;
    case 6: t = !(d <= s); break;
    default: t = d === d && s === s; break;
  }
  const v = t ? -1 : 0, b = 4 * i.dn;
  c.x[b] = v;
  if (i.size === 8) c.x[b + 1] = v;
};

const TWO32 = 4294967296;

/**
 * A 64-bit integer (halves) rounded once to binary32. Above 2^53 the
 * double conversion would round first; rounding to odd to 53 bits instead
 * (truncate, then set the lowest kept bit when anything was dropped) keeps
 * the information the second rounding needs, as 53 >= 24 + 2.
 */
function toF32(lo: number, hi: number): number {
  let neg = false;
  if (hi < 0) {
    neg = true;
    lo = -lo | 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
  }
  let mh = hi >>> 0, ml = lo >>> 0;
  if (mh >= 0x200000) {
    // Bits in the magnitude beyond 53: drop them, remembering inexactness in the last kept bit.
    const k = 32 - Math.clz32(mh) + 32 - 53; // 1..11
    const drop = ml & ((1 << k) - 1);
    ml = (ml - drop) >>> 0;
    if (drop !== 0) ml = (ml | (1 << k)) >>> 0;
  }
  const v = Math.fround(mh * TWO32 + ml);
  return neg ? -v : v;
}

/** CVTSQ2SD/CVTSL2SD (f 8) and CVTSQ2SS/CVTSL2SS (f 4): a signed integer of i.size bytes to the low element. */
export function cvtsi2f(f: number): Handler {
  return (c, i) => {
    const w = i.size;
    let lo = rd(c, i, i.sk, i.sn, w);
    const hi = w === 8 ? c.th : 0;
    const b = 4 * i.dn;
    if (f === 8) {
      // hi*2^32 is exact; adding the low half rounds once.
      c.xd[b >> 1] = w === 8 ? hi * TWO32 + (lo >>> 0) : lo | 0;
    } else {
      if (w === 4) { lo = lo | 0; c.xf[b] = lo; }
      else c.xf[b] = toF32(lo, hi);
    }
  };
}

/** CVTTSD2SQ/SL (f 8) and CVTTSS2SQ/SL (f 4): truncation toward zero; NaN or out of range gives the integer indefinite. */
export function cvttf2si(f: number): Handler {
  return (c, i) => {
    src(c, i, f);
    const v = f === 8 ? SD[0]! : SS[0]!;
    const t = Math.trunc(v);
    const w = i.size;
    if (w === 8) {
      if (!(t >= -9223372036854775808 && t < 9223372036854775808)) { wr(c, i, i.dk, i.dn, 8, 0, 0x80000000 | 0); return; }
      const hi = Math.floor(t / TWO32);
      wr(c, i, i.dk, i.dn, 8, (t - hi * TWO32) | 0, hi | 0);
    } else {
      wr(c, i, i.dk, i.dn, 4, t >= -2147483648 && t < 2147483648 ? t | 0 : 0x80000000 | 0, 0);
    }
  };
}

/** CVTSD2SS: rounded to nearest; a NaN keeps its sign and the top of its payload, quieted. */
export const cvtsd2ss: Handler = (c, i) => {
  src(c, i, 8);
  const lo = S[0]!, hi = S[1]!, b = 4 * i.dn;
  if (nanD(hi, lo)) {
    c.x[b] = (hi & 0x80000000) | 0x7f800000 | QUIET_F | ((hi & 0xfffff) << 3) | (lo >>> 29);
    return;
  }
  c.xf[b] = SD[0]!;
};

/** CVTSS2SD: exact; a NaN keeps its sign and payload, quieted. */
export const cvtss2sd: Handler = (c, i) => {
  src(c, i, 4);
  const v = S[0]!, b = 4 * i.dn;
  if (nanF(v)) {
    const m = v & 0x7fffff;
    c.x[b] = (m & 7) << 29;
    c.x[b + 1] = (v & 0x80000000) | 0x7ff00000 | QUIET_D | (m >>> 3);
    return;
  }
  c.xd[b >> 1] = SS[0]!;
};

export const B_AND = 0, B_ANDN = 1, B_OR = 2;

/** ANDPD/ANDPS, ANDNPD/ANDNPS (NOT destination, AND source), ORPD/ORPS: all 128 bits. */
export function bitwise(k: number): Handler {
  return (c, i) => {
    if (i.sk === K_XMM) {
      const sb = 4 * i.sn;
      for (let j = 0; j < 4; j++) S[j] = c.x[sb + j]!;
    } else {
      const a = ea(c, i), m = c.mem;
      m.probeRead(a, 16);
      S[0] = m.read64(a); S[1] = m.hi;
      S[2] = m.read64(a + 8); S[3] = m.hi;
    }
    const x = c.x, b = 4 * i.dn;
    for (let j = 0; j < 4; j++) {
      const d = x[b + j]!, s = S[j]!;
      x[b + j] = k === B_AND ? d & s : k === B_ANDN ? ~d & s : d | s;
    }
  };
}
