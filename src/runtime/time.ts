// Timers (time.go): goroutines sleeping until a virtual time.
//
// TEMPORARY (step one of the runtime rebuild): one list in JavaScript,
// scanned in insertion order, as before the rebuild; Go's per-P timer heaps
// in emulated memory replace it next.

import type { HostGen } from "./bridge.ts";
import { waitReasonSleep } from "./runtime2.ts";
import type { H, Runtime } from "./rt.ts";
import { defineUnlockf, gopark, ready, wakeNetPoller, maybe } from "./proc.ts";
import type { HostTable } from "./bridge.ts";

interface Timers { list: { when: number; gp: number }[]; pending: Map<number, number> }
const all = new WeakMap<Runtime, Timers>();
function timers(rt: Runtime): Timers {
  let t = all.get(rt);
  if (t === undefined) all.set(rt, (t = { list: [], pending: new Map() }));
  return t;
}

/** Whether some timer is due now (schedule's fast path must not skip checkTimers then). */
export function timersDue(rt: Runtime): boolean {
  const now = rt.now;
  for (const t of timers(rt).list) if (t.when <= now) return true;
  return false;
}

/** The earliest timer's time, or Infinity when there is none. */
export function timeSleepUntil(rt: Runtime): number {
  let next = Infinity;
  for (const t of timers(rt).list) if (t.when < next) next = t.when;
  return next;
}

/** Timers whose time has come: their goroutines become runnable. */
export function* checkTimers(rt: Runtime, h: H, _pp: number): HostGen<void> {
  const now = rt.now;
  const list = timers(rt).list;
  for (let i = 0; i < list.length; ) {
    const t = list[i]!;
    if (t.when <= now) {
      list.splice(i, 1);
      yield* maybe(ready(rt, h, t.gp, true));
    } else i++;
  }
}

let resetForSleep = "";

export function register(t: HostTable<Runtime>): void {
  // resetForSleep: the unlock function of timeSleep's gopark: add the timer
  // once the goroutine is parked, so no M can ready it too early.
  resetForSleep = defineUnlockf(t, "runtime.resetForSleep", (rt, h, gp) => {
    const tt = timers(rt);
    const when = tt.pending.get(gp)!;
    tt.pending.delete(gp);
    tt.list.push({ when, gp });
    const w = wakeNetPoller(rt, h, when);
    if (w === undefined) return true;
    return (function* () { yield* w; return true; })();
  });
  // timeSleep: park until ns of virtual time have passed.
  t.define("runtime.timeSleep", "p", (rt, h) => {
    const ns = h.argInt(0);
    if (ns <= 0) return undefined;
    timers(rt).pending.set(rt.getg(), rt.now + ns);
    return gopark(rt, h, resetForSleep, 0, waitReasonSleep);
  });
}
