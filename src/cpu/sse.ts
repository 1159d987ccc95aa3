// SSE moves and zeroing: MOVUPS, MOVOU (MOVDQU), MOVQ between XMM and
// memory/GPRs, XORPS, PXOR.
//
// An XMM register is four int32 lanes in cpu.x. 128-bit loads read all 16
// bytes before changing the register; 128-bit stores check that all 16
// bytes are writable before storing any, so a store straddling into an
// unmapped page changes nothing. No alignment is required by these forms.

import type { Cpu } from "./cpu.ts";
import { K_XMM, type Handler, type Insn } from "./decode.ts";
import { ea, rd, wr } from "./operands.ts";

// 128-bit scratch for loads.
const T = new Int32Array(4);

function load128(c: Cpu, i: Insn, k: number, n: number): void {
  if (k === K_XMM) { for (let j = 0; j < 4; j++) T[j] = c.x[4 * n + j]!; return; }
  const a = ea(c, i);
  c.mem.probeRead(a, 16);
  T[0] = c.mem.read64(a); T[1] = c.mem.hi;
  T[2] = c.mem.read64(a + 8); T[3] = c.mem.hi;
}

function store128(c: Cpu, i: Insn, k: number, n: number): void {
  if (k === K_XMM) { for (let j = 0; j < 4; j++) c.x[4 * n + j] = T[j]!; return; }
  const a = ea(c, i);
  c.mem.probeWrite(a, 16);
  c.mem.write64(a, T[0]!, T[1]!);
  c.mem.write64(a + 8, T[2]!, T[3]!);
}

/** MOVUPS / MOVDQU: 128-bit move. */
export const mov128: Handler = (c, i) => {
  load128(c, i, i.sk, i.sn);
  store128(c, i, i.dk, i.dn);
};

/** XORPS / PXOR: 128-bit xor into an XMM register. */
export const xor128: Handler = (c, i) => {
  load128(c, i, i.sk, i.sn);
  const b = 4 * i.dn;
  for (let j = 0; j < 4; j++) c.x[b + j] = c.x[b + j]! ^ T[j]!;
};

/**
 * MOVQ forms between XMM and XMM/memory (F3 0F 7E load, 66 0F D6 store) and
 * between XMM and a GPR/memory (66 REX.W 0F 6E / 7E). Writing an XMM register
 * zeroes its upper 64 bits; writing memory or a GPR stores 64 bits.
 */
export const movq: Handler = (c, i) => {
  // MOVL forms (66 0F 6E/7E without REX.W) move 32 bits, zero-extended.
  const w = i.size === 4 ? 4 : 8;
  const lo = rd(c, i, i.sk, i.sn, w), hi = w === 8 ? c.th : 0;
  if (i.dk === K_XMM) {
    const b = 4 * i.dn;
    c.x[b] = lo; c.x[b + 1] = hi; c.x[b + 2] = 0; c.x[b + 3] = 0;
  } else {
    wr(c, i, i.dk, i.dn, w, lo, hi);
  }
};

