// Multiply and divide: MUL, IMUL (two and three operands), DIV, IDIV.
//
// Products are formed exactly without BigInt: the operands are split into
// 16-bit limbs and multiplied schoolbook-style into a 128-bit result (mulu
// below); a signed product corrects the high half of the unsigned one.
// MUL: CF = OF = (high half != 0). IMUL: CF = OF = (the full signed product
// differs from the sign-extended truncated result). SF ZF PF are undefined
// for both; we set them from the low result as QEMU does, and AF = 0.
//
// Division is rare in the runtime's assembly, so DIV and IDIV of 32- and
// 64-bit operands use BigInt (a documented cold path, never in the
// simple-ALU hot loop); 8- and 16-bit division uses doubles. A zero divisor
// or a quotient that does not fit the width raises #DE with no register
// changed. The flags after a division are undefined; we leave them as they
// were.

import { CF, OF, SF, ZF } from "../x86/regs.ts";
import { CpuFault, PARITY, type Cpu } from "./cpu.ts";
import { K_REG, type Handler, type Insn } from "./decode.ts";
import { mask, rd, readD, readS, wr, writeD } from "./operands.ts";

// 128-bit product, four uint32 words, least significant first.
const P = new Float64Array(4);
const L = new Float64Array(8);
const A = new Float64Array(4), B = new Float64Array(4);

/** Unsigned 64x64 -> 128 into P. */
function mulu(al: number, ah: number, bl: number, bh: number): void {
  A[0] = al & 0xffff; A[1] = (al >>> 16) & 0xffff; A[2] = ah & 0xffff; A[3] = (ah >>> 16) & 0xffff;
  B[0] = bl & 0xffff; B[1] = (bl >>> 16) & 0xffff; B[2] = bh & 0xffff; B[3] = (bh >>> 16) & 0xffff;
  L.fill(0);
  for (let x = 0; x < 4; x++) for (let y = 0; y < 4; y++) L[x + y]! += A[x]! * B[y]!;
  let carry = 0;
  for (let k = 0; k < 8; k++) {
    const v = L[k]! + carry;
    L[k] = v % 65536;
    carry = Math.floor(v / 65536);
  }
  for (let k = 0; k < 4; k++) P[k] = L[2 * k]! + L[2 * k + 1]! * 65536;
}

/** Signed 64x64 -> 128 into P (two's complement words). */
function muls(al: number, ah: number, bl: number, bh: number): void {
  mulu(al, ah, bl, bh);
  // high -= (a < 0 ? b : 0) + (b < 0 ? a : 0), modulo 2^64
  if (ah < 0) sub128hi(bl, bh);
  if (bh < 0) sub128hi(al, ah);
}

function sub128hi(l: number, h: number): void {
  let lo = P[2]! - (l >>> 0);
  let borrow = 0;
  if (lo < 0) { lo += 4294967296; borrow = 1; }
  let hi = P[3]! - (h >>> 0) - borrow;
  if (hi < 0) hi += 4294967296;
  P[2] = lo; P[3] = hi;
}

function lowFlags(c: Cpu, overflow: boolean, rl: number, rh: number, w: number): void {
  let f = overflow ? CF | OF : 0;
  if ((rl | rh) === 0) f |= ZF;
  const msb = w === 8 ? rh >>> 31 : (rl >>> (w * 8 - 1)) & 1;
  if (msb) f |= SF;
  f |= PARITY[rl & 0xff]!;
  c.setArith(f);
}

/** IMUL r, r/m (imul2) and IMUL r, r/m, imm (imul3): truncated signed product. */
export const imul: Handler = (c: Cpu, i: Insn) => {
  const w = i.size;
  // imul2: dst * src; imul3: src * imm.
  let al: number, ah: number;
  if (i.op === "imul3") { al = i.immLo; ah = i.immHi; }
  else { al = readD(c, i); ah = c.th; }
  let bl = readS(c, i), bh = c.th;
  if (w < 8) { al = sext(al, w); ah = al >> 31; bl = sext(bl, w); bh = bl >> 31; }
  muls(al, ah, bl, bh);
  let rl: number, rh = 0, overflow: boolean;
  if (w === 8) {
    rl = P[0]! | 0; rh = P[1]! | 0;
    const ext = rh < 0 ? 0xffffffff : 0;
    overflow = P[2] !== ext || P[3] !== ext;
  } else {
    // The product of two sign-extended w-byte values fits in 64 bits (P[0], P[1]).
    rl = (P[0]! & mask(w)) >>> 0;
    const t = sext(rl, w);
    overflow = (t | 0) !== (P[0]! | 0) || (P[1]! | 0) !== (t >> 31);
  }
  writeD(c, i, rl, rh);
  lowFlags(c, overflow, rl, rh, w);
};

function sext(v: number, w: number): number {
  return w === 1 ? (v << 24) >> 24 : w === 2 ? (v << 16) >> 16 : v | 0;
}

/**
 * MUL r/m (unsigned) and one-operand IMUL r/m (signed): the accumulator times
 * the operand into AX / DX:AX / EDX:EAX / RDX:RAX. MUL sets CF = OF when the
 * high half is not zero; IMUL when it is not the sign extension of the low.
 */
export function mulHandler(signed: boolean): Handler {
  return (c, i) => {
    const w = i.size;
    let s = readD(c, i), sh = c.th;
    let a = rd(c, i, K_REG, 0, w), ah = c.th;
    const r = c.r;
    if (w === 8) {
      if (signed) muls(a, ah, s, sh); else mulu(a, ah, s, sh);
      r[0] = P[0]! | 0; r[1] = P[1]! | 0; r[4] = P[2]! | 0; r[5] = P[3]! | 0;
      const ext = signed && r[1]! < 0 ? 0xffffffff : 0;
      lowFlags(c, P[2] !== ext || P[3] !== ext, r[0]!, r[1]!, 8);
      return;
    }
    if (signed) {
      const sx = (v: number): number => (w === 1 ? (v << 24) >> 24 : w === 2 ? (v << 16) >> 16 : v | 0);
      a = sx(a); s = sx(s); ah = a >> 31; sh = s >> 31;
      muls(a, ah, s, sh);
    } else mulu(a, 0, s, 0);
    // The 2w-byte product's low and high w-byte halves (P holds it exactly).
    const full = w === 4 ? 0 : P[0]!;
    let lo: number, hi: number, overflow: boolean;
    if (w === 4) {
      lo = P[0]!; hi = P[1]!;
      overflow = signed ? hi !== ((lo >>> 31) ? 0xffffffff : 0) : hi !== 0;
      r[0] = lo | 0; r[1] = 0; r[4] = hi | 0; r[5] = 0;
    } else {
      const bits = w * 8;
      lo = full & mask(w); hi = Math.floor(full / 2 ** bits) & mask(w);
      overflow = signed ? hi !== ((lo >>> (bits - 1)) & 1 ? mask(w) : 0) : hi !== 0;
      if (w === 1) wr(c, i, K_REG, 0, 2, (hi << 8) | lo, 0);
      else { wr(c, i, K_REG, 0, 2, lo, 0); wr(c, i, K_REG, 2, 2, hi, 0); }
    }
    lowFlags(c, overflow, lo >>> 0, 0, w);
  };
}

function de(i: Insn, why: string): never {
  throw new CpuFault("de", `divide error (#DE) at 0x${i.addr.toString(16)}: ${why}`);
}

function u64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function divHandler(signed: boolean): Handler {
  return (c, i) => {
    const w = i.size;
    const s = readD(c, i), sh = c.th;
    const r = c.r;
    if (w <= 2) {
      const bits = w * 8;
      let num: number;
      let den = s;
      if (w === 1) num = r[0]! & 0xffff;
      else num = ((r[4]! & 0xffff) * 65536) + (r[0]! & 0xffff);
      if (signed) {
        num = w === 1 ? (num << 16) >> 16 : num | 0;
        den = w === 1 ? (den << 24) >> 24 : (den << 16) >> 16;
      }
      if (den === 0) de(i, "division by zero");
      const q = Math.trunc(num / den), rem = num - q * den;
      const lim = 2 ** bits;
      if (signed ? q < -lim / 2 || q >= lim / 2 : q >= lim) de(i, "quotient overflow");
      if (w === 1) r[0] = (r[0]! & ~0xffff) | (q & 0xff) | ((rem & 0xff) << 8);
      else { wr(c, i, K_REG, 0, 2, q & 0xffff, 0); wr(c, i, K_REG, 2, 2, rem & 0xffff, 0); }
      return;
    }
    const bits = BigInt(w * 8);
    let num: bigint, den: bigint;
    if (w === 4) {
      num = (BigInt(r[4]! >>> 0) << 32n) | BigInt(r[0]! >>> 0);
      den = BigInt(s >>> 0);
    } else {
      num = (u64(r[4]!, r[5]!) << 64n) | u64(r[0]!, r[1]!);
      den = u64(s, sh);
    }
    if (signed) { num = BigInt.asIntN(Number(bits) * 2, num); den = BigInt.asIntN(Number(bits), den); }
    if (den === 0n) de(i, "division by zero");
    const q = num / den, rem = num % den;
    const lim = 1n << bits;
    if (signed ? q < -(lim >> 1n) || q >= lim >> 1n : q >= lim) de(i, "quotient overflow");
    const qu = BigInt.asUintN(Number(bits), q), ru = BigInt.asUintN(Number(bits), rem);
    if (w === 4) {
      r[0] = Number(qu) | 0; r[1] = 0; r[4] = Number(ru) | 0; r[5] = 0;
    } else {
      r[0] = Number(qu & 0xffffffffn) | 0; r[1] = Number(qu >> 32n) | 0;
      r[4] = Number(ru & 0xffffffffn) | 0; r[5] = Number(ru >> 32n) | 0;
    }
  };
}

