// Setting up the runtime's memory: the part of Go's start-up (schedinit)
// that the data layer owns.
//
// newRuntime lays out the globals (rt.ts), then runs what schedinit runs
// first: mallocinit (the heap and mcache0) and stackinit (the stack pools),
// and sets sched.maxmcount. What comes after in schedinit — mcommoninit for
// m0, procresize handing P 0 to m0 — is the scheduler's (proc.ts), run by
// rt0_go's call of runtime.schedinit.

import type { Engine } from "../engine/engine.ts";
import { mallocinit } from "./malloc.ts";
import { schedt_maxmcount } from "./offsets.ts";
import { stackinit } from "./stackalloc.ts";
import { Runtime, type MachineParts, type RuntimeOptions } from "./rt.ts";

export function newRuntime(engine: Engine, opts: RuntimeOptions = {}, parts?: MachineParts): Runtime {
  const rt = new Runtime(engine, opts, parts);
  mallocinit(rt);
  stackinit(rt);
  rt.mem.setI32(rt.sched + schedt_maxmcount, 10000);
  return rt;
}
