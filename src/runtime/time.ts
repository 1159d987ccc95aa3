// Timers (time.go): goroutines sleeping until a virtual time.
//
// As in Go 1.19, each P keeps its timers in a 4-ary min-heap ordered by
// `when` (p.timers, a []*timer grown by append, with p.numTimers,
// p.deletedTimers, p.timer0When — the earliest — and
// p.timerModifiedEarliest), under p.timersLock; every timer is a `timer`
// in emulated memory, carrying its function and argument (for time.Sleep,
// goroutineReady and the sleeping g) and a status that moves through Go's
// state machine (timerNoStatus → timerWaiting → timerRunning → ...).
//
// time.Sleep parks its goroutine with resetForSleep as gopark's unlock
// function, which (re)adds the goroutine's own timer (g.timer) to the P's
// heap, so that no M can ready it before it is parked. The M that runs a P
// runs its due timers at the top of findRunnable (checkTimers); an M out of
// work steals due timers from other Ps on stealWork's last pass. runOneTimer
// calls the timer's function with the P's timers lock released; for a
// sleep that is goroutineReady, which readies the goroutine on the current
// P.
//
// What is not modelled: netpoll. Go's findRunnable, out of work, blocks in
// netpoll until the next timer (timers start the poller); here that M
// sleeps on its park note with the timeout (proc.ts), and wakeNetPoller
// wakes it early when a sooner timer is added. time.Timer, time.After and
// AfterFunc (startTimer, stopTimer, resetTimer) are not exposed to programs
// yet; deltimer and the modified-timer paths are ported with the rest of
// the state machine for them.

import { maybe, type HostGen, type HostTable } from "./bridge.ts";
import { lock, unlock } from "./lock_futex.ts";
import { mallocgc } from "./malloc.ts";
import {
  eface_data, g_timer, m_p, p_deletedTimers, p_numTimers, p_timer0When, p_timerModifiedEarliest, p_timers,
  p_timersLock, slice_array, slice_cap, slice_len, timer__size, timer_arg, timer_f, timer_nextwhen, timer_period,
  timer_pp, timer_seq, timer_status, timer_when,
} from "./offsets.ts";
import { throw_ } from "./panic.ts";
import { acquirem, releasem } from "./runtime1.ts";
import type { H, Runtime } from "./rt.ts";
import { roundupsize } from "./sizeclasses.ts";

// Timer statuses (time.go).
export const timerNoStatus = 0, timerWaiting = 1, timerRunning = 2, timerDeleted = 3, timerRemoving = 4;
export const timerRemoved = 5, timerModifying = 6, timerModifiedEarlier = 7, timerModifiedLater = 8, timerMoving = 9;
/** maxWhen: the largest when (1<<63 - 1), as a number (timeSleepUntil's "none"). */
const maxWhen = Number.MAX_SAFE_INTEGER;

/** A timer's function, called by runOneTimer with (arg.data, seq); may need to wake an M. */
export type TimerFunc = (rt: Runtime, h: H, arg: number, seq: number) => HostGen<void> | undefined;
const timerFuncs = new Map<number, TimerFunc>();

function badTimer(): never {
  throw_("timer data corruption");
}

// --- the heap: pp.timers as a []*timer in memory -------------------------------

function ntimers(rt: Runtime, pp: number): number {
  return rt.mem.int(pp + p_timers + slice_len);
}

function timerAt(rt: Runtime, pp: number, i: number): number {
  return rt.mem.ptr(rt.mem.ptr(pp + p_timers + slice_array) + 8 * i);
}

function setTimerAt(rt: Runtime, pp: number, i: number, t: number): void {
  rt.mem.setPtr(rt.mem.ptr(pp + p_timers + slice_array) + 8 * i, t);
}

function when(rt: Runtime, t: number): number {
  return rt.mem.int(t + timer_when);
}

// pp.timers = append(pp.timers, t): growslice's doubling (up to 256
// elements, then by 1.25), the new array from mallocgc, rounded up to its
// size class, as Go's append does.
function appendTimer(rt: Runtime, pp: number, t: number): void {
  const mem = rt.mem;
  const s = pp + p_timers;
  const len = mem.int(s + slice_len), cap = mem.int(s + slice_cap);
  if (len === cap) {
    const need = len + 1;
    let newcap = cap;
    const doublecap = cap + cap;
    if (need > doublecap) newcap = need;
    else if (cap < 256) newcap = doublecap;
    else while (newcap > 0 && newcap < need) newcap += Math.floor((newcap + 3 * 256) / 4);
    const capmem = roundupsize(newcap * 8);
    newcap = Math.floor(capmem / 8);
    const arr = mallocgc(rt, capmem, 0, true);
    mem.copy(arr, mem.ptr(s + slice_array), 8 * len);
    mem.setPtr(s + slice_array, arr);
    mem.setInt(s + slice_cap, newcap);
  }
  mem.setPtr(mem.ptr(s + slice_array) + 8 * len, t);
  mem.setInt(s + slice_len, len + 1);
}

// siftupTimer: moves timer i up the 4-ary heap; returns where it ends.
function siftupTimer(rt: Runtime, pp: number, i: number): number {
  if (i >= ntimers(rt, pp)) badTimer();
  const tmp = timerAt(rt, pp, i);
  const w = when(rt, tmp);
  if (w <= 0) badTimer();
  while (i > 0) {
    const p = Math.floor((i - 1) / 4); // parent
    const tp = timerAt(rt, pp, p);
    if (w >= when(rt, tp)) break;
    setTimerAt(rt, pp, i, tp);
    i = p;
  }
  if (tmp !== timerAt(rt, pp, i)) setTimerAt(rt, pp, i, tmp);
  return i;
}

// siftdownTimer: moves timer i down the 4-ary heap.
function siftdownTimer(rt: Runtime, pp: number, i: number): void {
  const n = ntimers(rt, pp);
  if (i >= n) badTimer();
  const tmp = timerAt(rt, pp, i);
  const w0 = when(rt, tmp);
  if (w0 <= 0) badTimer();
  for (;;) {
    let c = i * 4 + 1; // left child
    let c3 = c + 2; // mid child
    if (c >= n) break;
    let w = when(rt, timerAt(rt, pp, c));
    if (c + 1 < n && when(rt, timerAt(rt, pp, c + 1)) < w) {
      w = when(rt, timerAt(rt, pp, c + 1));
      c++;
    }
    if (c3 < n) {
      let w3 = when(rt, timerAt(rt, pp, c3));
      if (c3 + 1 < n && when(rt, timerAt(rt, pp, c3 + 1)) < w3) {
        w3 = when(rt, timerAt(rt, pp, c3 + 1));
        c3++;
      }
      if (w3 < w) {
        w = w3;
        c = c3;
      }
    }
    if (w >= w0) break;
    setTimerAt(rt, pp, i, timerAt(rt, pp, c));
    i = c;
  }
  if (tmp !== timerAt(rt, pp, i)) setTimerAt(rt, pp, i, tmp);
}

function updateTimer0When(rt: Runtime, pp: number): void {
  rt.mem.setInt(pp + p_timer0When, ntimers(rt, pp) === 0 ? 0 : when(rt, timerAt(rt, pp, 0)));
}

function updateTimerModifiedEarliest(rt: Runtime, pp: number, nextwhen: number): void {
  const old = rt.mem.int(pp + p_timerModifiedEarliest);
  if (old !== 0 && old < nextwhen) return;
  rt.mem.setInt(pp + p_timerModifiedEarliest, nextwhen);
}

function addNumTimers(rt: Runtime, pp: number, d: number): number {
  const n = (rt.mem.u32(pp + p_numTimers) + d) >>> 0;
  rt.mem.setU32(pp + p_numTimers, n);
  return n;
}

function addDeletedTimers(rt: Runtime, pp: number, d: number): void {
  rt.mem.setU32(pp + p_deletedTimers, (rt.mem.u32(pp + p_deletedTimers) + d) >>> 0);
}

// doaddtimer: t onto pp's heap. pp.timersLock must be held.
function doaddtimer(rt: Runtime, pp: number, t: number): void {
  const mem = rt.mem;
  if (mem.ptr(t + timer_pp) !== 0) throw_("doaddtimer: P already set in timer");
  mem.setPtr(t + timer_pp, pp);
  const i = ntimers(rt, pp);
  appendTimer(rt, pp, t);
  siftupTimer(rt, pp, i);
  if (t === timerAt(rt, pp, 0)) mem.setInt(pp + p_timer0When, when(rt, t));
  addNumTimers(rt, pp, 1);
}

// dodeltimer: removes timer i from pp's heap; returns the smallest index
// whose timer changed. pp.timersLock must be held.
function dodeltimer(rt: Runtime, pp: number, i: number): number {
  const mem = rt.mem;
  const t = timerAt(rt, pp, i);
  if (mem.ptr(t + timer_pp) !== pp) throw_("dodeltimer: wrong P");
  mem.setPtr(t + timer_pp, 0);
  const last = ntimers(rt, pp) - 1;
  if (i !== last) setTimerAt(rt, pp, i, timerAt(rt, pp, last));
  setTimerAt(rt, pp, last, 0);
  mem.setInt(pp + p_timers + slice_len, last);
  let smallestChanged = i;
  if (i !== last) {
    smallestChanged = siftupTimer(rt, pp, i);
    siftdownTimer(rt, pp, i);
  }
  if (i === 0) updateTimer0When(rt, pp);
  if (addNumTimers(rt, pp, -1) === 0) mem.setInt(pp + p_timerModifiedEarliest, 0);
  return smallestChanged;
}

// dodeltimer0: removes the first timer of pp's heap. pp.timersLock must be held.
function dodeltimer0(rt: Runtime, pp: number): void {
  const mem = rt.mem;
  const t = timerAt(rt, pp, 0);
  if (mem.ptr(t + timer_pp) !== pp) throw_("dodeltimer0: wrong P");
  mem.setPtr(t + timer_pp, 0);
  const last = ntimers(rt, pp) - 1;
  if (last > 0) setTimerAt(rt, pp, 0, timerAt(rt, pp, last));
  setTimerAt(rt, pp, last, 0);
  mem.setInt(pp + p_timers + slice_len, last);
  if (last > 0) siftdownTimer(rt, pp, 0);
  updateTimer0When(rt, pp);
  if (addNumTimers(rt, pp, -1) === 0) mem.setInt(pp + p_timerModifiedEarliest, 0);
}

// cleantimers: clears deleted and moves modified timers at the head of
// pp's heap. pp.timersLock must be held.
function cleantimers(rt: Runtime, pp: number): void {
  const mem = rt.mem;
  while (ntimers(rt, pp) > 0) {
    const t = timerAt(rt, pp, 0);
    if (mem.ptr(t + timer_pp) !== pp) throw_("cleantimers: bad p");
    const s = mem.u32(t + timer_status);
    if (s === timerDeleted) {
      mem.setU32(t + timer_status, timerRemoving);
      dodeltimer0(rt, pp);
      mem.setU32(t + timer_status, timerRemoved);
      addDeletedTimers(rt, pp, -1);
    } else if (s === timerModifiedEarlier || s === timerModifiedLater) {
      mem.setU32(t + timer_status, timerMoving);
      mem.setInt(t + timer_when, mem.int(t + timer_nextwhen));
      dodeltimer0(rt, pp);
      doaddtimer(rt, pp, t);
      mem.setU32(t + timer_status, timerWaiting);
    } else {
      return;
    }
  }
}

// --- adding, deleting, modifying ------------------------------------------------

// deltimer: deletes timer t; true if it was pending (it will not run).
export function deltimer(rt: Runtime, t: number): boolean {
  const mem = rt.mem;
  const s = mem.u32(t + timer_status);
  switch (s) {
    case timerWaiting: case timerModifiedLater: case timerModifiedEarlier: {
      const mp = acquirem(rt);
      mem.setU32(t + timer_status, timerDeleted);
      releasem(rt, mp);
      addDeletedTimers(rt, mem.ptr(t + timer_pp), 1);
      return true;
    }
    case timerDeleted: case timerRemoving: case timerRemoved: case timerNoStatus:
      return false;
    default:
      // timerRunning, timerMoving, timerModifying: another M is at it
      // mid-function, which a host function's atomicity rules out here.
      return badTimer();
  }
}

// modtimer: sets t to fire at `when` (and every `period` after), adding
// it to the current P's heap if it is not on one. True if it was pending.
// wake is a time the poller must be woken for (the caller calls the
// scheduler's wakeNetPoller with it), or 0.
export function modtimer(rt: Runtime, t: number, whenNs: number, period: number, f: number, arg: number, seq: number): { pending: boolean; wake: number } {
  const mem = rt.mem;
  if (whenNs <= 0) throw_("timer when must be positive");
  if (period < 0) throw_("timer period must be non-negative");
  const status = mem.u32(t + timer_status);
  let wasRemoved = false, pending = false;
  switch (status) {
    case timerWaiting: case timerModifiedEarlier: case timerModifiedLater:
      pending = true;
      break;
    case timerNoStatus: case timerRemoved:
      wasRemoved = true;
      break;
    case timerDeleted:
      addDeletedTimers(rt, mem.ptr(t + timer_pp), -1);
      break;
    default:
      badTimer(); // running/removing/moving/modifying: see deltimer
  }
  const mp = acquirem(rt);
  mem.setU32(t + timer_status, timerModifying);
  mem.setInt(t + timer_period, period);
  mem.setPtr(t + timer_f, f);
  mem.setPtr(t + timer_arg + eface_data, arg);
  mem.setPtr(t + timer_seq, seq);
  if (wasRemoved) {
    mem.setInt(t + timer_when, whenNs);
    const pp = mem.ptr(mp + m_p);
    lock(rt, pp + p_timersLock);
    doaddtimer(rt, pp, t);
    unlock(rt, pp + p_timersLock);
    mem.setU32(t + timer_status, timerWaiting);
    releasem(rt, mp);
    return { pending, wake: whenNs };
  }
  // The timer is in some P's heap, perhaps another P's: record the new time
  // and let that P move it (cleantimers, adjusttimers).
  mem.setInt(t + timer_nextwhen, whenNs);
  const newStatus = whenNs < mem.int(t + timer_when) ? timerModifiedEarlier : timerModifiedLater;
  const tpp = mem.ptr(t + timer_pp);
  if (newStatus === timerModifiedEarlier) updateTimerModifiedEarliest(rt, tpp, whenNs);
  mem.setU32(t + timer_status, newStatus);
  releasem(rt, mp);
  return { pending, wake: newStatus === timerModifiedEarlier ? whenNs : 0 };
}

// --- running timers -----------------------------------------------------------------

/** nobarrierWakeTime: when pp next has a timer to look at (0: none). */
export function nobarrierWakeTime(rt: Runtime, pp: number): number {
  const next = rt.mem.int(pp + p_timer0When);
  const nextAdj = rt.mem.int(pp + p_timerModifiedEarliest);
  return next === 0 || (nextAdj !== 0 && nextAdj < next) ? nextAdj : next;
}

/**
 * Whether checkTimers(pp) would do anything now: a timer is due, or (on
 * the M's own P) deleted timers make up more than a quarter of the heap.
 * schedule's fast path needs the answer without running anything.
 */
export function timersDue(rt: Runtime, pp: number): boolean {
  const next = nobarrierWakeTime(rt, pp);
  if (next === 0) return false;
  if (rt.now >= next) return true;
  return rt.mem.u32(pp + p_deletedTimers) > Math.floor(rt.mem.u32(pp + p_numTimers) / 4);
}

/** checkTimers' results besides running timers. */
export interface TimerCheck { pollUntil: number; ran: boolean }

// checkTimers: runs pp's timers that are due. pollUntil is when its next
// timer is due (0: none); ran says whether any ran.
export function* checkTimers(rt: Runtime, h: H, pp: number): HostGen<TimerCheck> {
  const mem = rt.mem;
  const next = nobarrierWakeTime(rt, pp);
  if (next === 0) return { pollUntil: 0, ran: false };
  const now = rt.now;
  const own = pp === mem.ptr(rt.getm() + m_p);
  if (now < next) {
    // Nothing due; but clear deleted timers on our own P if there are many.
    if (!own || mem.u32(pp + p_deletedTimers) <= Math.floor(mem.u32(pp + p_numTimers) / 4)) return { pollUntil: next, ran: false };
  }
  lock(rt, pp + p_timersLock);
  let pollUntil = 0, ran = false;
  if (ntimers(rt, pp) > 0) {
    adjusttimers(rt, pp, now);
    while (ntimers(rt, pp) > 0) {
      const tw = yield* runtimer(rt, h, pp, now);
      if (tw !== 0) {
        if (tw > 0) pollUntil = tw;
        break;
      }
      ran = true;
    }
  }
  if (own && mem.u32(pp + p_deletedTimers) > Math.floor(ntimers(rt, pp) / 4)) clearDeletedTimers(rt, pp);
  unlock(rt, pp + p_timersLock);
  return { pollUntil, ran };
}

// adjusttimers: moves timers whose time was changed to their place. pp.timersLock held.
function adjusttimers(rt: Runtime, pp: number, now: number): void {
  const mem = rt.mem;
  const first = mem.int(pp + p_timerModifiedEarliest);
  if (first === 0 || first > now) return;
  mem.setInt(pp + p_timerModifiedEarliest, 0);
  const moved: number[] = [];
  for (let i = 0; i < ntimers(rt, pp); i++) {
    const t = timerAt(rt, pp, i);
    if (mem.ptr(t + timer_pp) !== pp) throw_("adjusttimers: bad p");
    const s = mem.u32(t + timer_status);
    if (s === timerDeleted) {
      mem.setU32(t + timer_status, timerRemoving);
      const changed = dodeltimer(rt, pp, i);
      mem.setU32(t + timer_status, timerRemoved);
      addDeletedTimers(rt, pp, -1);
      i = changed - 1;
    } else if (s === timerModifiedEarlier || s === timerModifiedLater) {
      mem.setU32(t + timer_status, timerMoving);
      mem.setInt(t + timer_when, mem.int(t + timer_nextwhen));
      const changed = dodeltimer(rt, pp, i);
      moved.push(t);
      i = changed - 1;
    } else if (s !== timerWaiting) {
      badTimer();
    }
  }
  for (const t of moved) {
    doaddtimer(rt, pp, t);
    mem.setU32(t + timer_status, timerWaiting);
  }
}

// runtimer: examines the first timer of pp's heap and runs it if it is
// due: 0 when it ran, -1 when the heap is now empty, else when it is due.
// pp.timersLock must be held; runOneTimer releases it while the function runs.
function* runtimer(rt: Runtime, h: H, pp: number, now: number): HostGen<number> {
  const mem = rt.mem;
  for (;;) {
    const t = timerAt(rt, pp, 0);
    if (mem.ptr(t + timer_pp) !== pp) throw_("runtimer: bad p");
    const s = mem.u32(t + timer_status);
    switch (s) {
      case timerWaiting:
        if (when(rt, t) > now) return when(rt, t);
        mem.setU32(t + timer_status, timerRunning);
        yield* runOneTimer(rt, h, pp, t, now);
        return 0;
      case timerDeleted:
        mem.setU32(t + timer_status, timerRemoving);
        dodeltimer0(rt, pp);
        mem.setU32(t + timer_status, timerRemoved);
        addDeletedTimers(rt, pp, -1);
        if (ntimers(rt, pp) === 0) return -1;
        break;
      case timerModifiedEarlier: case timerModifiedLater:
        mem.setU32(t + timer_status, timerMoving);
        mem.setInt(t + timer_when, mem.int(t + timer_nextwhen));
        dodeltimer0(rt, pp);
        doaddtimer(rt, pp, t);
        mem.setU32(t + timer_status, timerWaiting);
        break;
      default:
        badTimer();
    }
  }
}

// runOneTimer: runs timer t (the first of pp's heap): reschedules or
// removes it, then calls its function with pp.timersLock released.
function* runOneTimer(rt: Runtime, h: H, pp: number, t: number, now: number): HostGen<void> {
  const mem = rt.mem;
  const f = mem.ptr(t + timer_f), arg = mem.ptr(t + timer_arg + eface_data), seq = mem.ptr(t + timer_seq);
  const period = mem.int(t + timer_period);
  if (period > 0) {
    const delta = when(rt, t) - now;
    let w = when(rt, t) + period * (1 + Math.trunc(-delta / period));
    if (w < 0) w = maxWhen;
    mem.setInt(t + timer_when, w);
    siftdownTimer(rt, pp, 0);
    mem.setU32(t + timer_status, timerWaiting);
    updateTimer0When(rt, pp);
  } else {
    dodeltimer0(rt, pp);
    mem.setU32(t + timer_status, timerNoStatus);
  }
  unlock(rt, pp + p_timersLock);
  const fn = timerFuncs.get(mem.ptr(f));
  if (fn === undefined) throw_("runOneTimer: timer function is not a runtime function");
  yield* maybe(fn(rt, h, arg, seq));
  lock(rt, pp + p_timersLock);
}

// clearDeletedTimers: drops every deleted timer from pp's heap. pp.timersLock held.
function clearDeletedTimers(rt: Runtime, pp: number): void {
  const mem = rt.mem;
  mem.setInt(pp + p_timerModifiedEarliest, 0);
  let cdel = 0, to = 0, changedHeap = false;
  const n = ntimers(rt, pp);
  for (let i = 0; i < n; i++) {
    const t = timerAt(rt, pp, i);
    const s = mem.u32(t + timer_status);
    if (s === timerWaiting) {
      if (changedHeap) {
        setTimerAt(rt, pp, to, t);
        siftupTimer(rt, pp, to);
      }
      to++;
    } else if (s === timerModifiedEarlier || s === timerModifiedLater) {
      mem.setU32(t + timer_status, timerMoving);
      mem.setInt(t + timer_when, mem.int(t + timer_nextwhen));
      setTimerAt(rt, pp, to, t);
      siftupTimer(rt, pp, to);
      to++;
      changedHeap = true;
      mem.setU32(t + timer_status, timerWaiting);
    } else if (s === timerDeleted) {
      mem.setU32(t + timer_status, timerRemoving);
      mem.setPtr(t + timer_pp, 0);
      cdel++;
      mem.setU32(t + timer_status, timerRemoved);
      changedHeap = true;
    } else {
      badTimer();
    }
  }
  for (let i = to; i < n; i++) setTimerAt(rt, pp, i, 0);
  addDeletedTimers(rt, pp, -cdel);
  addNumTimers(rt, pp, -cdel);
  mem.setInt(pp + p_timers + slice_len, to);
  updateTimer0When(rt, pp);
}

/** timeSleepUntil: when the next timer of any P is due (Infinity: none). */
export function timeSleepUntil(rt: Runtime): number {
  let next = Infinity;
  const mem = rt.mem;
  const n = rt.nallp;
  for (let i = 0; i < n; i++) {
    const pp = rt.allpAt(i);
    const w = mem.int(pp + p_timer0When);
    if (w !== 0 && w < next) next = w;
    const w2 = mem.int(pp + p_timerModifiedEarliest);
    if (w2 !== 0 && w2 < next) next = w2;
  }
  return next;
}

/** The timers on pp's heap, in heap order (tests and the debugger). */
export function timersOf(rt: Runtime, pp: number): { t: number; when: number; status: number; arg: number }[] {
  const out = [];
  for (let i = 0; i < ntimers(rt, pp); i++) {
    const t = timerAt(rt, pp, i);
    out.push({ t, when: when(rt, t), status: rt.mem.u32(t + timer_status), arg: rt.mem.ptr(t + timer_arg + eface_data) });
  }
  return out;
}

/** Declares a timer function: a host function's funcval, which runOneTimer calls by address. */
export function defineTimerFunc(t: HostTable<Runtime>, name: string, fn: TimerFunc): string {
  t.define(name, "p p p", (rt, h) => fn(rt, h, h.arg(1), h.arg(2)));
  timerFuncs.set(t.resolve(name)!, fn);
  return name;
}
