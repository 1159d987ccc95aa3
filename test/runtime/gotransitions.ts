// Every status change Go 1.19's runtime makes, written from its source
// (runtime/proc.go, stack.go, preempt.go, mgc.go, mgcmark.go, heapdump.go,
// debugcall.go: the call sites of casgstatus, casGToPreemptScan and
// casGFromPreempted), for the tests that hold gmpemu's state machine
// (src/runtime/gstatus.ts) and its runs to Go's. Not derived from
// gstatus.ts: the point is to compare the two.
import {
  _Gcopystack, _Gdead, _Gidle, _Gpreempted, _Grunnable, _Grunning, _Gsyscall, _Gwaiting,
} from "../../src/runtime/runtime2.ts";

export interface GoTransition {
  from: number;
  to: number;
  /** Where Go 1.19 makes it. */
  go: string;
  /** Our host functions where it must happen, where Go makes it in a function ported as one. */
  fn?: string[];
  /** Why it cannot happen in gmpemu. */
  notHere?: string;
}

/**
 * Every status change Go 1.19's runtime makes, from its source (runtime/
 * proc.go, stack.go, preempt.go, mgc*.go, heapdump.go, debugcall.go): the
 * casgstatus, casGToPreemptScan and casGFromPreempted call sites, each with
 * the functions that make it. `fn` names the host function of ours where
 * the change must happen when Go makes it in a function we port as one;
 * `notHere` says why a change cannot happen in gmpemu.
 */
export const GO_TRANSITIONS: readonly GoTransition[] = [
  { from: _Gidle, to: _Gdead, go: "newproc1 (a G that malg just made), oneNewExtraM" },
  { from: _Gdead, to: _Grunnable, go: "newproc1" },
  { from: _Grunnable, to: _Grunning, go: "execute" },
  { from: _Grunning, to: _Gwaiting, go: "park_m; stopTheWorld, the GC's mark phase, heapdump, debugcall", fn: ["runtime.park_m"] },
  { from: _Gwaiting, to: _Grunnable, go: "ready; park_m when unlockf fails; netpoll's injectglist; the GC's workers and assists" },
  { from: _Grunning, to: _Grunnable, go: "goschedImpl (gosched_m, gopreempt_m), goyield_m, debugcall", fn: ["runtime.gosched_m", "runtime.gopreempt_m", "sync.runtime_Semrelease"] },
  { from: _Grunning, to: _Gdead, go: "goexit0", fn: ["runtime.goexit0"] },
  { from: _Grunning, to: _Gsyscall, go: "reentersyscall (entersyscall), entersyscallblock", fn: ["runtime.entersyscall"] },
  { from: _Gsyscall, to: _Grunning, go: "exitsyscall (its fast path)", fn: ["runtime.exitsyscall"] },
  { from: _Gsyscall, to: _Grunnable, go: "exitsyscall0", fn: ["runtime.exitsyscall0"] },
  { from: _Grunning, to: _Gcopystack, go: "newstack (around copystack)", fn: ["runtime.newstack"] },
  { from: _Gcopystack, to: _Grunning, go: "newstack (around copystack)", fn: ["runtime.newstack"] },
  { from: _Gdead, to: _Gsyscall, go: "needm (a cgo callback on an extra M)", notHere: "no cgo: no extra Ms" },
  { from: _Gsyscall, to: _Gdead, go: "dropm", notHere: "no cgo: no extra Ms" },
  { from: _Grunning, to: _Gpreempted, go: "preemptPark (casGToPreemptScan, to _Gscan|_Gpreempted), for suspendG", notHere: "no garbage collector: nobody suspends a G (preemptStop)" },
  { from: _Gpreempted, to: _Gwaiting, go: "suspendG (casGFromPreempted)", notHere: "no garbage collector" },
  { from: _Gwaiting, to: _Grunning, go: "stopTheWorld, gcStart, the mark phase, heapdump (around work on the system stack)", notHere: "no garbage collector and no stop-the-world" },
];

/**
 * Edges gstatus.ts allows that Go 1.19 never takes: casgcopystack (a
 * waiting or runnable G to _Gcopystack, for shrinkstack) exists in proc.go
 * but has no caller in 1.19, and copystack leaves the status alone. Nothing
 * in gmpemu takes them either (the runs below would show it); they are
 * listed here so that the table and Go's list are compared exactly.
 */
export const ALLOWED_NOT_GO: readonly (readonly [number, number])[] = [[_Gwaiting, _Gcopystack], [_Gcopystack, _Gwaiting]];

/** Go's changes gstatus.ts does not allow: stop-the-world's, as there is no garbage collector. */
export const NOT_PORTED: readonly (readonly [number, number])[] = [[_Gwaiting, _Grunning]];
