// String instructions compiled Go code uses: MOVS (memmove's REP MOVSQ,
// the compiler's large copies) and STOS (its large clears), with or
// without a REP prefix.
//
// One step is one element: with REP, RCX = 0 does nothing but move RIP on;
// otherwise one element is moved (or stored), RSI/RDI advance by its size
// (backwards with DF set), RCX counts down, and RIP stays on the
// instruction. So a REP instruction is interruptible between elements, as
// on hardware, each element is one instruction for the instruction count
// (the virtual clock), and a fault leaves the registers as they were
// before the faulting element: memory is accessed before any register
// changes.
//
// RIP stays on the instruction after the last element too, and the next
// step, finding RCX 0, moves on: RCX = n takes n + 1 steps. That is what
// QEMU does (its REP loop is not optimised when instructions are counted),
// so unicorn, the oracle `verify` runs in lockstep, counts the same; a CPU
// single-stepped with TF would trap n times. Rejected: counting n and
// making the unicorn engine correct its counter at every REP (a special
// case in the oracle's hot path, to differ from it by one step).

import type { Cpu } from "./cpu.ts";
import type { Handler, Insn } from "./decode.ts";

const TWO32 = 4294967296;
const RCX = 1, RSI = 6, RDI = 7;
const DF = 0x400;

function reg(c: Cpu, n: number): number {
  return c.r[2 * n + 1]! * TWO32 + (c.r[2 * n]! >>> 0);
}

function setReg(c: Cpu, n: number, v: number): void {
  // Addresses and counts: exact below 2^53, wrapped to 64 bits otherwise.
  const hi = Math.floor(v / TWO32);
  c.r[2 * n] = (v - hi * TWO32) | 0;
  c.r[2 * n + 1] = hi | 0;
}

/** With REP: false (and RIP past the instruction) when RCX is 0. */
function enter(c: Cpu, i: Insn): boolean {
  if (i.rep === 0) return true;
  if ((c.r[2 * RCX]! | c.r[2 * RCX + 1]!) !== 0) return true;
  c.rip = i.next;
  return false;
}

/** After one element: count down RCX and stay on the instruction (the next step sees RCX). */
function leave(c: Cpu, i: Insn): void {
  if (i.rep === 0) {
    c.rip = i.next;
    return;
  }
  const lo = c.r[2 * RCX]!;
  c.r[2 * RCX] = (lo - 1) | 0;
  if (lo === 0) c.r[2 * RCX + 1] = (c.r[2 * RCX + 1]! - 1) | 0;
  c.rip = i.addr;
}

export const movs: Handler = (c, i) => {
  if (!enter(c, i)) return;
  const w = i.size, m = c.mem;
  const si = reg(c, RSI), di = reg(c, RDI);
  if (w === 8) {
    const lo = m.read64(si), hi = m.hi;
    m.write64(di, lo, hi);
  } else if (w === 4) m.write32(di, m.read32(si));
  else if (w === 2) m.write16(di, m.read16(si));
  else m.write8(di, m.read8(si));
  const d = (c.fl & DF) !== 0 ? -w : w;
  setReg(c, RSI, si + d);
  setReg(c, RDI, di + d);
  leave(c, i);
};

export const stos: Handler = (c, i) => {
  if (!enter(c, i)) return;
  const w = i.size, m = c.mem, r = c.r;
  const di = reg(c, RDI);
  if (w === 8) m.write64(di, r[0]!, r[1]!);
  else if (w === 4) m.write32(di, r[0]!);
  else if (w === 2) m.write16(di, r[0]! & 0xffff);
  else m.write8(di, r[0]! & 0xff);
  setReg(c, RDI, di + ((c.fl & DF) !== 0 ? -w : w));
  leave(c, i);
};
