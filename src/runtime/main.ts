// runtime.main (proc.go): goroutine 1, and the runtime's own goroutines.
//
// runtime·rt0_go queues runtime.main with newproc and starts scheduling.
// Like Go's, it starts sysmon on an M of its own, locks itself to m0 for
// the runtime's initialization (lockOSThread: each time it blocks, m0
// hands its P to another M and waits for it — which is why Go, and we,
// enter main.main with schedtick 4 and three threads), starts the
// runtime's goroutines (forcegchelper; gcenable's bgsweep and bgscavenge,
// waiting for each to report in on a channel), unlocks, calls main.main,
// and exits with status 0 when it returns. The runtime's goroutines park
// for good: there is no GC here to wake them.

import { RDX } from "../x86/regs.ts";
import { finish, maybe, type HostGen, type HostTable } from "./bridge.ts";
import { chanrecvG, chansendG, closechan, makechan } from "./chan.ts";
import { funcval__size, rtglobals_mainStarted, rtglobals_runtimeInitTime } from "./offsets.ts";
import { SIG_I, SIG_NONE } from "./os_linux.ts";
import { throw_ } from "./panic.ts";
import { doInit } from "./gosrc.ts";
import { goHost, goparkG, lockOSThread, newm, unlockOSThread } from "./proc.ts";
import type { H, Runtime } from "./rt.ts";
import { waitReasonForceGCIdle, waitReasonGCScavengeWait, waitReasonGCSweepWait } from "./runtime2.ts";

// runtime.main: goroutine 1. Starts the runtime's own goroutines as Go's
// does before main.main (runtime init's forcegchelper; gcenable's bgsweep
// and bgscavenge, waiting for each to report in on a channel), which is also
// what makes the scheduler's state at main.main Go's (schedtick, goids 2-4,
// the free list), then runs main.main and exits.
function* runtimeMain(rt: Runtime, h: H): HostGen {
  const mem = rt.mem;
  mem.setU8(rt.gvar(rtglobals_mainStarted), 1);
  // sysmon, on an M of its own without a P (Go does this on the system stack).
  if (!rt.opts.nosysmon) yield* newm(rt, h, "runtime.sysmon", 0, -1);
  // The main goroutine is locked to m0 during initialization: some
  // programs' init needs the main thread.
  lockOSThread(rt);
  if (rt.getm() !== rt.m0) throw_("runtime.main not on m0");
  mem.setInt(rt.gvar(rtglobals_runtimeInitTime), rt.now);
  // runtime's init: go forcegchelper().
  yield* maybe(goHost(rt, h, "runtime.forcegchelper", []));
  // gcenable: go bgsweep(c); go bgscavenge(c); <-c; <-c.
  const c = makechan(rt, 8, 2);
  yield* maybe(goHost(rt, h, "runtime.bgsweep", [c]));
  yield* maybe(goHost(rt, h, "runtime.bgscavenge", [c]));
  yield* chanrecvG(rt, h, c, 0, true);
  yield* chanrecvG(rt, h, c, 0, true);
  // main_init_done = make(chan bool); doInit(&main_inittask) (a compiled
  // program's packages; an assembly program has none); close(main_init_done).
  const initDone = makechan(rt, 1, 0);
  if (rt.go !== undefined) yield* doInit(rt, h, rt.go.mainInittask);
  yield* finish(closechan(rt, h, initDone));
  unlockOSThread(rt);
  yield h.call(rt.asm.mainmain, SIG_NONE);
  yield h.call(rt.asm.exit, SIG_I, 0);
  throw_("runtime.main: exit returned");
}

/** Declares runtime.main and the runtime's goroutines. */
export function register(t: HostTable<Runtime>): void {
  t.define("runtime.main", "", (rt, h) => runtimeMain(rt, h));
  // The runtime's system goroutines: each parks for good (no GC here to wake them).
  t.define("runtime.forcegchelper", "", function* (rt, h) {
    for (;;) yield* goparkG(rt, h, undefined, 0, waitReasonForceGCIdle);
  });
  for (const [name, reason] of [["runtime.bgsweep", waitReasonGCSweepWait], ["runtime.bgscavenge", waitReasonGCScavengeWait]] as const) {
    t.define(name, "", function* (rt, h) {
      // The closure {fn, c} is in DX, as gogo left it; report in on c.
      const c = rt.mem.ptr(rt.engine.getRegN(RDX) + funcval__size);
      const one = h.scratch(8);
      rt.mem.setPtr(one, 1);
      yield* chansendG(rt, h, c, one, true);
      for (;;) yield* goparkG(rt, h, undefined, 0, reason);
    });
  }
}
