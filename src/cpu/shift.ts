// Shifts and rotates: SHL SHR SAR ROL ROR, by 1, by an immediate, by CL.
//
// The count is masked to 5 bits (6 for 64-bit operands) first. A masked
// count of 0 changes no flag (the destination is still written, which
// zero-extends a 32-bit register as any 32-bit write does). Flags are
// computed eagerly:
//   shifts:  CF = the last bit shifted out; SF ZF PF from the result; OF =
//            MSB(result) XOR CF for SHL, MSB(original) for SHR, 0 for SAR
//            (defined by the SDM for count 1 only; for larger counts we use
//            the same formula, which is what QEMU computes); AF = 0
//            (undefined); CF beyond the width of an 8/16-bit operand is 0
//            (undefined).
//   rotates: only CF and OF change: ROL CF = LSB(result), OF = MSB XOR CF;
//            ROR CF = MSB(result), OF = MSB XOR next-to-MSB (OF defined for
//            count 1 only, same formula otherwise).
// 64-bit operands are shifted as 32-bit halves (sh64 below). SHL, SHR and
// SAR of a 64-bit register by an immediate (SHLQ $1, R9) have a fast path
// that records the shift for the lazy flags (cpu.ts F_SHL...) instead of
// computing them: the same flags, when something reads them.

import { CF, OF, ZF, SF } from "../x86/regs.ts";
import { F_SAR, F_SHL, F_SHR, PARITY } from "./cpu.ts";
import type { Cpu } from "./cpu.ts";
import { K_IMM, type Handler, type Insn } from "./decode.ts";
import { mask, readD, writeD } from "./operands.ts";

const S_SHL = 0, S_SHR = 1, S_SAR = 2, S_ROL = 3, S_ROR = 4;
export const SHIFT_KIND: Record<string, number> = { shl: S_SHL, shr: S_SHR, sar: S_SAR, rol: S_ROL, ror: S_ROR };

// Results of sh64 (module scratch: no allocation).
let ol = 0, oh = 0;

/** 64-bit shift of (lo, hi) by n in 0..63. */
function sh64(k: number, lo: number, hi: number, n: number): void {
  if (n === 0) { ol = lo; oh = hi; return; }
  if (k === S_SHL) {
    if (n < 32) { oh = (hi << n) | (lo >>> (32 - n)); ol = lo << n; }
    else { oh = lo << (n - 32); ol = 0; }
  } else if (k === S_SHR) {
    if (n < 32) { ol = (lo >>> n) | (hi << (32 - n)); oh = hi >>> n; }
    else { ol = hi >>> (n - 32); oh = 0; }
  } else {
    if (n < 32) { ol = (lo >>> n) | (hi << (32 - n)); oh = hi >> n; }
    else { ol = hi >> (n - 32); oh = hi >> 31; }
  }
  ol |= 0; oh |= 0;
}

function count(c: Cpu, i: Insn): number {
  // The count operand is the source: an immediate (1 or u8) or CL.
  return i.sk === K_IMM ? i.immLo : c.r[2]! & 0xff;
}

export function shiftHandler(op: string): Handler {
  const k = SHIFT_KIND[op]!;
  return (c, i) => {
    const w = i.size;
    const bits = w * 8;
    const n = count(c, i) & (w === 8 ? 63 : 31);
    const a = readD(c, i), ah = c.th;
    if (n === 0) { writeD(c, i, a, ah); return; }
    let rl: number, rh = 0;
    let f = 0;
    if (k === S_ROL || k === S_ROR) {
      const m = n % bits;
      let msb: number, msb2: number, lsb: number;
      if (w === 8) {
        if (m === 0) { rl = a; rh = ah; }
        else {
          // rotate = (x << m) | (x >>> (64 - m)) for ROL; ROR by m = ROL by 64 - m.
          const left = k === S_ROL ? m : 64 - m;
          sh64(S_SHL, a, ah, left); const l1 = ol, h1 = oh;
          sh64(S_SHR, a, ah, 64 - left); rl = l1 | ol; rh = h1 | oh;
        }
        msb = (rh >>> 31) & 1; msb2 = (rh >>> 30) & 1; lsb = rl & 1;
      } else {
        const left = k === S_ROL ? m : (bits - m) % bits;
        rl = left === 0 ? a : (((a << left) | (a >>> (bits - left))) & mask(w)) >>> 0;
        msb = (rl >>> (bits - 1)) & 1; msb2 = (rl >>> (bits - 2)) & 1; lsb = rl & 1;
      }
      writeD(c, i, rl, rh);
      const cf = k === S_ROL ? lsb : msb;
      const of = k === S_ROL ? msb ^ cf : msb ^ msb2;
      c.materialize();
      c.fl = ((c.fl & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0)) >>> 0;
      return;
    }
    let cf: number, of: number, msbR: number;
    if (w === 8) {
      sh64(k, a, ah, n - 1); const pl = ol, ph = oh;
      sh64(k, a, ah, n); rl = ol; rh = oh;
      msbR = (rh >>> 31) & 1;
      if (k === S_SHL) { cf = (ph >>> 31) & 1; of = cf ^ msbR; }
      else { cf = pl & 1; of = ((ph >>> 31) & 1) ^ msbR; }
    } else {
      if (k === S_SHL) {
        rl = ((a << n) & mask(w)) >>> 0;
        cf = n <= bits ? (a >>> (bits - n)) & 1 : 0;
        msbR = (rl >>> (bits - 1)) & 1;
        of = cf ^ msbR;
      } else if (k === S_SHR) {
        rl = a >>> n;
        const prev = n - 1 < 32 ? a >>> (n - 1) : 0;
        cf = prev & 1;
        msbR = (rl >>> (bits - 1)) & 1;
        of = ((prev >>> (bits - 1)) & 1) ^ msbR;
      } else {
        const sv = w === 1 ? (a << 24) >> 24 : w === 2 ? (a << 16) >> 16 : a | 0;
        rl = ((sv >> n) & mask(w)) >>> 0;
        cf = (sv >> (n - 1)) & 1;
        msbR = (rl >>> (bits - 1)) & 1;
        of = 0;
      }
    }
    writeD(c, i, rl, rh);
    if (cf) f |= CF;
    if (of) f |= OF;
    if (msbR) f |= SF;
    if ((rl | rh) === 0) f |= ZF;
    f |= PARITY[rl & 0xff]!;
    c.setArith(f);
  };
}

/**
 * SHL/SHR/SAR of a 64-bit register by an immediate count n, 1..63: the fast
 * path, one closure per operation and count range (below 32 or not, known
 * at decode time) with its shift written out: small enough for the JIT to
 * inline into a fused block, where sh64 with its branches is not. A count
 * of 0 (mod 64) is a no-op the decoder resolves elsewhere.
 */
export function shift64riHandler(op: "shl" | "shr" | "sar", low: boolean): Handler {
  switch (op) {
    case "shl":
      return low
        ? (c, i) => {
          const n = i.immLo & 63, r = c.r, d = 2 * i.dn;
          const a = r[d]!, ah = r[d + 1]!;
          const rl = a << n, rh = (ah << n) | (a >>> (32 - n));
          r[d] = rl; r[d + 1] = rh;
          c.fop = F_SHL; c.fsz = 8; c.fdl = a; c.fdh = ah; c.fsl = n; c.frl = rl; c.frh = rh;
        }
        : (c, i) => {
          const n = i.immLo & 63, r = c.r, d = 2 * i.dn;
          const a = r[d]!, ah = r[d + 1]!;
          const rh = a << (n - 32);
          r[d] = 0; r[d + 1] = rh;
          c.fop = F_SHL; c.fsz = 8; c.fdl = a; c.fdh = ah; c.fsl = n; c.frl = 0; c.frh = rh;
        };
    case "shr":
      return low
        ? (c, i) => {
          const n = i.immLo & 63, r = c.r, d = 2 * i.dn;
          const a = r[d]!, ah = r[d + 1]!;
          const rl = (a >>> n) | (ah << (32 - n)), rh = (ah >>> n) | 0;
          r[d] = rl; r[d + 1] = rh;
          c.fop = F_SHR; c.fsz = 8; c.fdl = a; c.fdh = ah; c.fsl = n; c.frl = rl; c.frh = rh;
        }
        : (c, i) => {
          const n = i.immLo & 63, r = c.r, d = 2 * i.dn;
          const a = r[d]!, ah = r[d + 1]!;
          const rl = (ah >>> (n - 32)) | 0;
          r[d] = rl; r[d + 1] = 0;
          c.fop = F_SHR; c.fsz = 8; c.fdl = a; c.fdh = ah; c.fsl = n; c.frl = rl; c.frh = 0;
        };
    case "sar":
      return low
        ? (c, i) => {
          const n = i.immLo & 63, r = c.r, d = 2 * i.dn;
          const a = r[d]!, ah = r[d + 1]!;
          const rl = (a >>> n) | (ah << (32 - n)), rh = ah >> n;
          r[d] = rl; r[d + 1] = rh;
          c.fop = F_SAR; c.fsz = 8; c.fdl = a; c.fdh = ah; c.fsl = n; c.frl = rl; c.frh = rh;
        }
        : (c, i) => {
          const n = i.immLo & 63, r = c.r, d = 2 * i.dn;
          const a = r[d]!, ah = r[d + 1]!;
          const rl = ah >> (n - 32), rh = ah >> 31;
          r[d] = rl; r[d + 1] = rh;
          c.fop = F_SAR; c.fsz = 8; c.fdl = a; c.fdh = ah; c.fsl = n; c.frl = rl; c.frh = rh;
        };
  }
}
