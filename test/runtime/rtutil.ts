// Shared set-up for the runtime tests: a fresh engine and runtime, Ps, Gs.
import { createEngine } from "../../src/engine/index.ts";
import { newRuntime } from "../../src/runtime/init.ts";
import type { Runtime, RuntimeOptions } from "../../src/runtime/rt.ts";
import { allpgrow, malg } from "../../src/runtime/proc.ts";
import { casgstatus } from "../../src/runtime/gstatus.ts";
import { _Gdead, _Gidle, g, m, off } from "../../src/runtime/runtime2.ts";
import { mallocgc } from "../../src/runtime/malloc.ts";
import { GoThrow } from "../../src/runtime/panic.ts";

export function setup(nprocs = 2, opts: RuntimeOptions = {}): Runtime {
  const rt = newRuntime(createEngine("interp"), opts);
  allpgrow(rt, nprocs);
  return rt;
}

/** n plain Gs (no stacks), as Go's tests use `make([]g, n)`. */
export function makeGs(rt: Runtime, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(mallocgc(rt, g.size, 0, true));
  return out;
}

/** A dead G with a stack of the given size, ready for gfput. */
export function deadG(rt: Runtime, stacksize: number): number {
  const gp = malg(rt, stacksize);
  casgstatus(rt, gp, _Gidle, _Gdead);
  return gp;
}

/** Wires m0 to a P, as procresize does (so stackalloc/mallocgc use its mcache). */
export function acquireP(rt: Runtime, pp: number): void {
  rt.mem.setPtr(rt.m0 + off(m, "p"), pp);
}

/** Runs f and returns the GoThrow it raised (fails if none). */
export function catchThrow(f: () => unknown): GoThrow {
  try {
    f();
  } catch (e) {
    if (e instanceof GoThrow) return e;
    throw e;
  }
  throw new Error("expected a GoThrow");
}
