// Setting up the runtime's memory: the part of Go's start-up (schedinit)
// that the data layer owns.
//
// newRuntime lays out the globals (rt.ts), then runs what schedinit runs
// first: mallocinit (the heap and mcache0) and stackinit (the stack pools),
// and sets sched.maxmcount. What comes after in schedinit — mcommoninit for
// m0, procresize handing P 0 to m0 — is the scheduler's, built from
// mcommoninit and allpgrow (proc.ts).

import type { Engine } from "../engine/engine.ts";
import { mallocinit } from "./malloc.ts";
import { stackinit } from "./stack.ts";
import { Runtime, type RuntimeOptions } from "./rt.ts";
import { off, schedt } from "./runtime2.ts";

export function newRuntime(engine: Engine, opts: RuntimeOptions = {}): Runtime {
  const rt = new Runtime(engine, opts);
  mallocinit(rt);
  stackinit(rt);
  rt.mem.setI32(rt.sched + off(schedt, "maxmcount"), 10000);
  return rt;
}
