// time.Sleep (time.go): timeSleep, resetForSleep and goroutineReady.
//
// A sleeping goroutine keeps its own timer (g.timer, allocated on its first
// sleep), whose function is goroutineReady and whose argument is the
// goroutine. timeSleep sets the timer's nextwhen and parks with
// resetForSleep as gopark's unlock function: only once the goroutine is
// parked does resetForSleep put the timer on the P's heap (time.ts), so that
// no M can ready the goroutine before it has stopped. When the timer is due,
// the M that runs it calls goroutineReady, which readies the goroutine on
// that M's P.

import type { HostTable } from "./bridge.ts";
import { mallocgc } from "./malloc.ts";
import { eface_data, g_timer, timer__size, timer_arg, timer_f, timer_nextwhen, timer_period, timer_seq } from "./offsets.ts";
import { defineUnlockf, gopark, goready, wakeNetPoller } from "./proc.ts";
import type { Runtime } from "./rt.ts";
import { waitReasonSleep } from "./runtime2.ts";
import { defineTimerFunc, modtimer } from "./time.ts";

/** maxWhen as a number: a sleep that would overflow sleeps "forever". */
const maxWhen = Number.MAX_SAFE_INTEGER;

let goroutineReadyFV = "";
let resetForSleep = "";

export function register(t: HostTable<Runtime>): void {
  // goroutineReady(arg any, seq uintptr): the sleeping goroutine is ready.
  goroutineReadyFV = defineTimerFunc(t, "runtime.goroutineReady", (rt, h, gp) => goready(rt, h, gp));
  // resetForSleep: timeSleep's unlock function: (re)add the goroutine's
  // timer once it is parked, so no M can ready it too early.
  resetForSleep = defineUnlockf(t, "runtime.resetForSleep", (rt, h, _gp, tm) => {
    const mem = rt.mem;
    const { wake } = modtimer(rt, tm, mem.int(tm + timer_nextwhen), mem.int(tm + timer_period),
      mem.ptr(tm + timer_f), mem.ptr(tm + timer_arg + eface_data), mem.ptr(tm + timer_seq));
    const w = wake !== 0 ? wakeNetPoller(rt, h, wake) : undefined;
    if (w === undefined) return true;
    return (function* () { yield* w; return true; })();
  });
  // timeSleep: park until ns of virtual time have passed.
  t.define("runtime.timeSleep", "p", (rt, h) => {
    const ns = h.argInt(0);
    if (ns <= 0) return undefined;
    const mem = rt.mem;
    const gp = rt.getg();
    let tm = mem.ptr(gp + g_timer);
    if (tm === 0) {
      tm = mallocgc(rt, timer__size, 0, true);
      mem.setPtr(gp + g_timer, tm);
    }
    mem.setPtr(tm + timer_f, rt.funcval(goroutineReadyFV));
    mem.setPtr(tm + timer_arg + eface_data, gp);
    let nextwhen = rt.now + ns;
    if (nextwhen < 0) nextwhen = maxWhen;
    mem.setInt(tm + timer_nextwhen, nextwhen);
    return gopark(rt, h, resetForSleep, tm, waitReasonSleep);
  });
}
