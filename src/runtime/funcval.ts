// funcvals: Go's representation of a func value, a pointer to a word that
// holds the code address (and, for a closure, the captured variables after
// it). Machine code calls through one with `MOVQ 0(DX), R; CALL R`, mcall
// takes one in AX, newproc takes one as its argument.
import { persistentalloc, type Runtime } from "./rt.ts";

/** A funcval for code at `pc` with no captured variables, never freed. */
export function malloc_funcval(rt: Runtime, pc: number): number {
  const fv = persistentalloc(rt, 8, 8);
  rt.mem.setPtr(fv, pc);
  return fv;
}
