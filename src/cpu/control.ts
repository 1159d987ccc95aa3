// Control transfer: Jcc, JMP, CALL, RET.
//
// Branch targets of rel8/rel32 forms were made absolute by the decoder; the
// handlers only choose between target and fall-through and set cpu.rip. They
// end their block, so the run loop picks the next block from cpu.rip. CALL
// pushes the return address before changing RIP (a push fault leaves RIP at
// the CALL). An indirect target beyond user space is not checked here: the
// fetch at the new RIP faults with that address (#PF, or #GP when the
// address is not canonical; Cpu.setRip64 keeps such a value exact).

import type { Handler } from "./decode.ts";
import { pop64, push64, readD } from "./operands.ts";

export const jcc: Handler = (c, i) => {
  c.rip = c.cond(i.cc) ? i.target : i.next;
};

export const jne: Handler = (c, i) => {
  c.rip = c.zf ? i.next : i.target;
};

export const jeq: Handler = (c, i) => {
  c.rip = c.zf ? i.target : i.next;
};

export const jmp: Handler = (c, i) => {
  c.rip = i.target;
};

export const jmpInd: Handler = (c, i) => {
  const v = readD(c, i);
  c.setRip64(v, c.th);
};

function pushNext(c: Parameters<Handler>[0], next: number): void {
  const hi = Math.floor(next / 4294967296);
  push64(c, (next - hi * 4294967296) | 0, hi);
}

export const call: Handler = (c, i) => {
  pushNext(c, i.next);
  c.rip = i.target;
};

export const callInd: Handler = (c, i) => {
  const v = readD(c, i), vh = c.th;
  pushNext(c, i.next);
  c.setRip64(v, vh);
};

export const ret: Handler = (c) => {
  const v = pop64(c);
  c.setRip64(v, c.th);
};
