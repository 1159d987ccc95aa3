// Data movement: MOV, MOVZX/MOVSX, LEA, XCHG, XADD, CMPXCHG, CMOVcc, SETcc,
// CQO/CDQ.
//
// None of these touch the flags except XADD (as ADD) and CMPXCHG (as CMP of
// the accumulator with the destination). Memory is written before registers
// so a faulting store leaves the registers as they were. CMOVcc always reads
// its source (a bad address faults even when the condition is false) and
// always zero-extends a 32-bit destination register, as the hardware does.
// CMPXCHG writes its memory destination back even on failure (the locked
// read-modify-write always stores), so it faults on a read-only page either
// way. LOCK itself needs no code: the emulated CPU is single-threaded per
// step, and the kernel switches threads only between instructions.

import { F_ADD, F_SUB, type Cpu } from "./cpu.ts";
import { K_MEM, K_REG, type Handler } from "./decode.ts";
import { ea, mask, rd, readD, readS, wr, writeD } from "./operands.ts";

export const mov: Handler = (c, i) => {
  const v = readS(c, i);
  writeD(c, i, v, c.th);
};

/** MOVQ reg, reg (64-bit). */
export const mov64rr: Handler = (c, i) => {
  const r = c.r, d = 2 * i.dn, s = 2 * i.sn;
  r[d] = r[s]!; r[d + 1] = r[s + 1]!;
};

/** MOVQ mem, reg (64-bit load). */
export const mov64load: Handler = (c, i) => {
  const lo = c.mem.read64(ea(c, i));
  const r = c.r, d = 2 * i.dn;
  r[d] = lo; r[d + 1] = c.mem.hi;
};

/** MOVQ reg, mem (64-bit store). */
export const mov64store: Handler = (c, i) => {
  const r = c.r, s = 2 * i.sn;
  c.mem.write64(ea(c, i), r[s]!, r[s + 1]!);
};

/** MOVQ/MOVL $imm, reg. */
export const movImmReg: Handler = (c, i) => {
  const r = c.r, d = 2 * i.dn;
  r[d] = i.immLo; r[d + 1] = i.size === 8 ? i.immHi : 0;
};

export const movzx: Handler = (c, i) => {
  const v = readS(c, i);
  writeD(c, i, v, 0);
};

export const movsx: Handler = (c, i) => {
  const v = readS(c, i);
  const w = i.ssz;
  const sv = w === 1 ? (v << 24) >> 24 : w === 2 ? (v << 16) >> 16 : v | 0;
  if (i.size === 8) writeD(c, i, sv, sv >> 31);
  else writeD(c, i, i.size === 4 ? sv >>> 0 : sv & mask(i.size), 0);
};

/** LEA: the exact 64-bit effective address (no segment), truncated to the width. */
export const lea: Handler = (c, i) => {
  const r = c.r;
  let lo: number, hi: number;
  if (i.ripRel) { hi = Math.floor(i.disp / 4294967296); lo = (i.disp - hi * 4294967296) | 0; }
  else { lo = i.disp | 0; hi = lo >> 31; }
  if (i.base >= 0) {
    const bl = r[2 * i.base]!, bh = r[2 * i.base + 1]!;
    const s = (lo >>> 0) + (bl >>> 0);
    lo = s | 0; hi = (hi + bh + (s > 0xffffffff ? 1 : 0)) | 0;
  }
  if (i.index >= 0) {
    let xl = r[2 * i.index]!, xh = r[2 * i.index + 1]!;
    const sh = i.scale === 1 ? 0 : i.scale === 2 ? 1 : i.scale === 4 ? 2 : 3;
    if (sh) { xh = (xh << sh) | (xl >>> (32 - sh)); xl = xl << sh; }
    const s = (lo >>> 0) + (xl >>> 0);
    lo = s | 0; hi = (hi + xh + (s > 0xffffffff ? 1 : 0)) | 0;
  }
  if (i.size === 8) writeD(c, i, lo, hi);
  else writeD(c, i, i.size === 4 ? lo >>> 0 : lo & 0xffff, 0);
};

export const xchg: Handler = (c, i) => {
  const a = readD(c, i), ah = c.th;
  const b = readS(c, i), bh = c.th;
  // Memory first, so a fault changes nothing.
  if (i.sk === K_MEM) { wr(c, i, i.sk, i.sn, i.size, a, ah); writeD(c, i, b, bh); }
  else { writeD(c, i, b, bh); wr(c, i, i.sk, i.sn, i.size, a, ah); }
};

export const xadd: Handler = (c, i) => {
  const w = i.size;
  const a = readD(c, i), ah = c.th;
  const b = readS(c, i), bh = c.th;
  let rl: number, rh = 0;
  if (w === 8) { const lo = (a >>> 0) + (b >>> 0); rl = lo | 0; rh = (ah + bh + (lo > 0xffffffff ? 1 : 0)) | 0; }
  else rl = w === 4 ? (a + b) >>> 0 : (a + b) & mask(w);
  if (i.dk === K_MEM) { writeD(c, i, rl, rh); wr(c, i, i.sk, i.sn, w, a, ah); }
  else { wr(c, i, i.sk, i.sn, w, a, ah); writeD(c, i, rl, rh); }
  setFlags(c, F_ADD, w, a, ah, b, bh, rl, rh);
};

export const cmpxchg: Handler = (c, i) => {
  const w = i.size;
  const d = readD(c, i), dh = c.th;
  const acc = rd(c, i, K_REG, 0, w), acch = c.th;
  let rl: number, rh = 0;
  if (w === 8) { const lo = (acc >>> 0) - (d >>> 0); rl = lo | 0; rh = (acch - dh - (lo < 0 ? 1 : 0)) | 0; }
  else rl = w === 4 ? (acc - d) >>> 0 : (acc - d) & mask(w);
  if ((rl | rh) === 0) {
    const s = readS(c, i);
    writeD(c, i, s, c.th);
  } else {
    if (i.dk === K_MEM) writeD(c, i, d, dh);
    wr(c, i, K_REG, 0, w, d, dh);
  }
  setFlags(c, F_SUB, w, acc, acch, d, dh, rl, rh);
};

function setFlags(c: Cpu, op: number, w: number, dl: number, dh: number, sl: number, sh: number, rl: number, rh: number): void {
  c.fop = op; c.fsz = w; c.fdl = dl; c.fdh = dh; c.fsl = sl; c.fsh = sh; c.frl = rl; c.frh = rh;
}

export const cmovcc: Handler = (c, i) => {
  const v = readS(c, i), vh = c.th;
  if (c.cond(i.cc)) writeD(c, i, v, vh);
  else if (i.size === 4 && i.dk === K_REG) c.r[2 * i.dn + 1] = 0;
};

export const setcc: Handler = (c, i) => {
  writeD(c, i, c.cond(i.cc) ? 1 : 0, 0);
};

export const cqo: Handler = (c) => {
  const s = c.r[1]! >> 31;
  c.r[4] = s; c.r[5] = s;
};

export const cwd: Handler = (c) => {
  c.r[4] = (c.r[4]! & ~0xffff) | ((c.r[0]! << 16) >> 31 & 0xffff);
};

export const cdq: Handler = (c) => {
  c.r[4] = c.r[0]! >> 31; c.r[5] = 0;
};

