// Operand access shared by the handler families.
//
// Values travel as numbers: widths 1, 2 and 4 as unsigned values masked to
// the width; width 8 as two int32 halves, the low half returned and the high
// half left in cpu.th (no allocation, no BigInt). Writes follow the x86-64
// rules: a 32-bit register write zero-extends into the high half, 8- and
// 16-bit writes preserve the rest of the register, AH..BH are bits 8-15.
//
// Effective addresses are computed in double arithmetic with registers read
// as signed 64-bit values, which is exact while the sum stays within ±2^53
// and gives the right wrapped value for the usual negative offsets and
// indexes (FS:-8, -8(SP)(BX*8) with BX = -1). A sum outside the canonical
// range [-2^47, 2^47) is recomputed exactly, modulo 2^64, on 32-bit halves
// (eaWrapped): it may wrap back to a mapped address (a base of 2^63 indexed
// by 8), and otherwise it is non-canonical and faults as #GP (exec.ts). LEA,
// which must produce exact 64-bit results from arbitrary register values,
// uses the halves too.

import type { Cpu } from "./cpu.ts";
import { K_HREG, K_IMM, K_MEM, K_REG, K_XMM, SEG_FS, type Insn } from "./decode.ts";

const TWO32 = 4294967296;

const CANON = 140737488355328; // 2^47
/** What eaWrapped returns for a non-canonical address: one no page can have. */
const NONCANONICAL = 2 ** 62;

export function ea(c: Cpu, i: Insn): number {
  const r = c.r;
  let a = i.disp;
  const b = i.base;
  if (b >= 0) a += r[2 * b + 1]! * TWO32 + (r[2 * b]! >>> 0);
  const x = i.index;
  if (x >= 0) a += (r[2 * x + 1]! * TWO32 + (r[2 * x]! >>> 0)) * i.scale;
  if (i.seg !== 0) a += i.seg === SEG_FS ? c.fsBase : c.gsBase;
  if (a >= CANON || a < -CANON) return eaWrapped(c, i);
  return a;
}

/** The effective address modulo 2^64 on halves: the signed value when canonical, else NONCANONICAL. */
function eaWrapped(c: Cpu, i: Insn): number {
  const r = c.r;
  let lo: number, hi: number;
  if (i.ripRel) { hi = Math.floor(i.disp / TWO32); lo = (i.disp - hi * TWO32) | 0; }
  else { lo = i.disp | 0; hi = lo >> 31; }
  const add = (l: number, h: number): void => {
    const s = (lo >>> 0) + (l >>> 0);
    lo = s | 0;
    hi = (hi + h + (s > 0xffffffff ? 1 : 0)) | 0;
  };
  if (i.base >= 0) add(r[2 * i.base]!, r[2 * i.base + 1]!);
  if (i.index >= 0) {
    let xl = r[2 * i.index]!, xh = r[2 * i.index + 1]!;
    const sh = i.scale === 1 ? 0 : i.scale === 2 ? 1 : i.scale === 4 ? 2 : 3;
    if (sh) { xh = (xh << sh) | (xl >>> (32 - sh)); xl = xl << sh; }
    add(xl, xh);
  }
  if (i.seg !== 0) {
    const sb = i.seg === SEG_FS ? c.fsBase : c.gsBase;
    const sh = Math.floor(sb / TWO32);
    add((sb - sh * TWO32) | 0, sh | 0);
  }
  const top = hi >> 15;
  return top === 0 || top === -1 ? hi * TWO32 + (lo >>> 0) : NONCANONICAL;
}

/** Reads operand (k, n) of width w; width 8 leaves the high half in c.th. */
export function rd(c: Cpu, i: Insn, k: number, n: number, w: number): number {
  const r = c.r;
  switch (k) {
    case K_REG:
      if (w === 8) { c.th = r[2 * n + 1]!; return r[2 * n]!; }
      c.th = 0;
      if (w === 4) return r[2 * n]! >>> 0;
      return w === 2 ? r[2 * n]! & 0xffff : r[2 * n]! & 0xff;
    case K_IMM:
      c.th = i.immHi;
      return w === 8 ? i.immLo : i.immLo >>> 0;
    case K_MEM: {
      const a = ea(c, i);
      const m = c.mem;
      if (w === 8) { const lo = m.read64(a); c.th = m.hi; return lo; }
      c.th = 0;
      if (w === 4) return m.read32(a) >>> 0;
      return w === 2 ? m.read16(a) : m.read8(a);
    }
    case K_HREG:
      c.th = 0;
      return (r[2 * n]! >> 8) & 0xff;
    case K_XMM:
      // The low 64 bits (MOVQ forms).
      c.th = c.x[4 * n + 1]!;
      return w === 8 ? c.x[4 * n]! : c.x[4 * n]! >>> 0;
  }
  c.th = 0;
  return 0;
}

/** Writes operand (k, n) of width w. */
export function wr(c: Cpu, i: Insn, k: number, n: number, w: number, lo: number, hi: number): void {
  const r = c.r;
  switch (k) {
    case K_REG:
      if (w === 8) { r[2 * n] = lo; r[2 * n + 1] = hi; }
      else if (w === 4) { r[2 * n] = lo; r[2 * n + 1] = 0; }
      else if (w === 2) r[2 * n] = (r[2 * n]! & ~0xffff) | (lo & 0xffff);
      else r[2 * n] = (r[2 * n]! & ~0xff) | (lo & 0xff);
      return;
    case K_MEM: {
      const a = ea(c, i);
      const m = c.mem;
      if (w === 8) m.write64(a, lo, hi);
      else if (w === 4) m.write32(a, lo);
      else if (w === 2) m.write16(a, lo);
      else m.write8(a, lo);
      return;
    }
    case K_HREG:
      r[2 * n] = (r[2 * n]! & ~0xff00) | ((lo & 0xff) << 8);
      return;
  }
  throw new Error(`internal: write to operand kind ${k}`);
}

export function readD(c: Cpu, i: Insn): number { return rd(c, i, i.dk, i.dn, i.size); }
export function readS(c: Cpu, i: Insn): number { return rd(c, i, i.sk, i.sn, i.ssz); }
export function writeD(c: Cpu, i: Insn, lo: number, hi: number): void { wr(c, i, i.dk, i.dn, i.size, lo, hi); }

/** Mask of a width below 8. */
export function mask(w: number): number {
  return w === 1 ? 0xff : w === 2 ? 0xffff : 0xffffffff;
}

/** Sign bit of a width-w value (w < 8, value unsigned). */
export function signOf(v: number, w: number): number {
  return (v >>> (w * 8 - 1)) & 1;
}

/** Stack helpers: push/pop 64-bit values (memory first, then RSP). */
export function push64(c: Cpu, lo: number, hi: number): void {
  const r = c.r;
  const sp = r[9]! * TWO32 + (r[8]! >>> 0) - 8;
  c.mem.write64(sp, lo, hi);
  setRsp(c, sp);
}

/** Pops a 64-bit value: returns low half, high in c.th. Updates RSP. */
export function pop64(c: Cpu): number {
  const r = c.r;
  const sp = r[9]! * TWO32 + (r[8]! >>> 0);
  const lo = c.mem.read64(sp);
  c.th = c.mem.hi;
  setRsp(c, sp + 8);
  return lo;
}

function setRsp(c: Cpu, sp: number): void {
  // sp is exact (a mapped stack address); split it back into halves.
  const hi = Math.floor(sp / TWO32);
  c.r[8] = (sp - hi * TWO32) | 0;
  c.r[9] = hi | 0;
}

/** A 64-bit value as a number (exact below 2^53; for addresses). */
export function addrOf(lo: number, hi: number): number {
  return hi * TWO32 + (lo >>> 0);
}
