// Stack instructions: PUSHQ, POPQ, PUSHFQ, POPFQ.
//
// PUSH writes the slot below RSP before moving RSP, so a push onto an
// unmapped guard page faults with RSP unchanged. POP to memory computes the
// destination address after RSP has moved (the SDM's rule, which matters for
// POPQ 8(SP)) and puts RSP back if the store faults. PUSHFQ stores RFLAGS
// with RF and VM clear; POPFQ at CPL 3 changes only CF PF AF ZF SF DF OF
// NT AC ID — IF and IOPL stay. TF stays clear: single-stepping is not
// emulated, so gmpemu's CPU never sets it (a departure: Linux would deliver
// SIGTRAP after the next instruction).

import type { Handler } from "./decode.ts";
import { pop64, push64, readD, writeD } from "./operands.ts";

const POPF_MASK = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800 | 0x4000 | 0x40000 | 0x200000;

export const push: Handler = (c, i) => {
  const v = readD(c, i);
  push64(c, v, c.th);
};

export const pushReg: Handler = (c, i) => {
  const r = c.r, d = 2 * i.dn;
  push64(c, r[d]!, r[d + 1]!);
};

export const pop: Handler = (c, i) => {
  const sl = c.r[8]!, sh = c.r[9]!;
  const v = pop64(c), vh = c.th;
  try {
    writeD(c, i, v, vh);
  } catch (e) {
    c.r[8] = sl; c.r[9] = sh;
    throw e;
  }
};

export const popReg: Handler = (c, i) => {
  const v = pop64(c);
  const r = c.r, d = 2 * i.dn;
  r[d] = v; r[d + 1] = c.th;
};

export const pushf: Handler = (c) => {
  push64(c, c.rflags & ~0x30000, 0);
};

export const popf: Handler = (c) => {
  const v = pop64(c);
  c.rflags = (c.rflags & ~POPF_MASK) | (v & POPF_MASK);
};
