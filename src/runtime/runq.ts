// Run queues and G lists (proc.go): where runnable goroutines wait.
//
// Every structure is Go's, in emulated memory at Go's offsets:
//
//   p.runq        a 256-slot ring of *g with runqhead/runqtail (uint32,
//                 free-running: t-h is the length, index mod 256), plus
//                 p.runnext, the G to run next, ahead of the ring. Only the
//                 owner P puts; any P may take (runqgrab steals half).
//   sched.runq    the global queue: a gQueue (head, tail) linked through
//                 g.schedlink, with its length in sched.runqsize.
//   gList         a stack of Gs linked through g.schedlink (free Gs).
//
// A gQueue or gList here is the address of one in memory (sched.runq,
// p.gFree); the few that Go keeps as locals (the batch runqputslow builds,
// gfput's overflow lists) are head/tail pairs in local variables. Nothing
// on these paths allocates: the scheduler's hot path runs through them
// millions of times.
//
// Atomics are plain loads and stores (see mem.ts); every CAS in Go's code
// is kept as a compare followed by a store, so the code keeps Go's shape,
// and its retry loops end at once. randomizeScheduler is false (it is
// raceenabled in Go), so runqputslow's shuffle is not ported. runqgrab's
// usleep(3) before stealing a running P's runnext is skipped: a host
// function cannot sleep, and the kernel interleaves threads only between
// engine runs.

import type { Mem } from "./mem.ts";
import { lock, unlock } from "./lock_futex.ts";
import {
  g_schedlink, gList_head, gQueue_head, gQueue_tail, p_runnext, p_runq, p_runqhead, p_runqtail, schedt_lock,
  schedt_runq, schedt_runqsize,
} from "./offsets.ts";
import { throw_ } from "./panic.ts";
import type { Runtime } from "./rt.ts";

/** len(p.runq). */
export const runqLen = 256;

// --- gQueue and gList in memory -------------------------------------------------

// (*gQueue).empty
export function gqEmpty(mem: Mem, q: number): boolean {
  return mem.ptr(q + gQueue_head) === 0;
}

// (*gQueue).push: gp at the head.
export function gqPush(mem: Mem, q: number, gp: number): void {
  const head = mem.ptr(q + gQueue_head);
  mem.setPtr(gp + g_schedlink, head);
  mem.setPtr(q + gQueue_head, gp);
  if (mem.ptr(q + gQueue_tail) === 0) mem.setPtr(q + gQueue_tail, gp);
}

// (*gQueue).pushBack: gp at the tail.
export function gqPushBack(mem: Mem, q: number, gp: number): void {
  mem.setPtr(gp + g_schedlink, 0);
  const t = mem.ptr(q + gQueue_tail);
  if (t !== 0) mem.setPtr(t + g_schedlink, gp);
  else mem.setPtr(q + gQueue_head, gp);
  mem.setPtr(q + gQueue_tail, gp);
}

// (*gQueue).pushBackAll: the queue head..tail (linked) at q's tail.
export function gqPushBackAll(mem: Mem, q: number, head: number, tail: number): void {
  if (tail === 0) return;
  mem.setPtr(tail + g_schedlink, 0);
  const t = mem.ptr(q + gQueue_tail);
  if (t !== 0) mem.setPtr(t + g_schedlink, head);
  else mem.setPtr(q + gQueue_head, head);
  mem.setPtr(q + gQueue_tail, tail);
}

// (*gQueue).pop: the head, or 0.
export function gqPop(mem: Mem, q: number): number {
  const gp = mem.ptr(q + gQueue_head);
  if (gp !== 0) {
    const next = mem.ptr(gp + g_schedlink);
    mem.setPtr(q + gQueue_head, next);
    if (next === 0) mem.setPtr(q + gQueue_tail, 0);
  }
  return gp;
}

// (*gList).empty
export function glEmpty(mem: Mem, l: number): boolean {
  return mem.ptr(l + gList_head) === 0;
}

// (*gList).push
export function glPush(mem: Mem, l: number, gp: number): void {
  mem.setPtr(gp + g_schedlink, mem.ptr(l + gList_head));
  mem.setPtr(l + gList_head, gp);
}

// (*gList).pushAll: prepends the queue head..tail (linked).
export function glPushAll(mem: Mem, l: number, head: number, tail: number): void {
  if (head === 0) return;
  mem.setPtr(tail + g_schedlink, mem.ptr(l + gList_head));
  mem.setPtr(l + gList_head, head);
}

// (*gList).pop
export function glPop(mem: Mem, l: number): number {
  const gp = mem.ptr(l + gList_head);
  if (gp !== 0) mem.setPtr(l + gList_head, mem.ptr(gp + g_schedlink));
  return gp;
}

/** The Gs linked through schedlink from gp, in order (tests and the debugger). */
export function walkSchedlink(mem: Mem, gp: number): number[] {
  const out: number[] = [];
  for (; gp !== 0; gp = mem.ptr(gp + g_schedlink)) {
    out.push(gp);
    if (out.length > 1 << 22) throw_("schedlink list is cyclic");
  }
  return out;
}

// --- local run queues ----------------------------------------------------------

function runqslot(pp: number, i: number): number {
  return pp + p_runq + 8 * (i % runqLen);
}

// runqempty: whether pp has no G in runnext or its ring.
export function runqempty(rt: Runtime, pp: number): boolean {
  const mem = rt.mem;
  return mem.u32(pp + p_runqhead) === mem.u32(pp + p_runqtail) && mem.ptr(pp + p_runnext) === 0;
}

/** Number of Gs in pp's ring (not counting runnext). */
export function runqsize(rt: Runtime, pp: number): number {
  return (rt.mem.u32(pp + p_runqtail) - rt.mem.u32(pp + p_runqhead)) >>> 0;
}

/** The Gs in pp's ring, head first (tests and the debugger). */
export function runqlist(rt: Runtime, pp: number): number[] {
  const mem = rt.mem;
  const h = mem.u32(pp + p_runqhead), n = runqsize(rt, pp);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(mem.ptr(runqslot(pp, (h + i) >>> 0)));
  return out;
}

// runqput: gp onto pp's local queue: in runnext if next (kicking the old
// runnext to the tail), else at the tail; a full ring sends half of it and
// gp to the global queue. Only pp's owner calls it.
export function runqput(rt: Runtime, pp: number, gp: number, next: boolean): void {
  const mem = rt.mem;
  if (next) {
    const oldnext = mem.ptr(pp + p_runnext);
    mem.setPtr(pp + p_runnext, gp);
    if (oldnext === 0) return;
    // Kick the old runnext out to the regular run queue.
    gp = oldnext;
  }
  for (;;) {
    const h = mem.u32(pp + p_runqhead);
    const t = mem.u32(pp + p_runqtail);
    if (((t - h) >>> 0) < runqLen) {
      mem.setPtr(runqslot(pp, t), gp);
      mem.setU32(pp + p_runqtail, (t + 1) >>> 0);
      return;
    }
    if (runqputslow(rt, pp, gp, h, t)) return;
    // The queue is not full now, so the put above must succeed.
  }
}

// runqputslow: moves the older half of pp's full ring, and gp after it, to
// the global queue.
export function runqputslow(rt: Runtime, pp: number, gp: number, h: number, t: number): boolean {
  const mem = rt.mem;
  const n = Math.floor(((t - h) >>> 0) / 2);
  if (n !== runqLen / 2) throw_("runqputslow: queue is not full");
  const batch = new Array<number>(n + 1);
  for (let i = 0; i < n; i++) batch[i] = mem.ptr(runqslot(pp, (h + i) >>> 0));
  if (mem.u32(pp + p_runqhead) !== h) return false; // cas-release
  mem.setU32(pp + p_runqhead, (h + n) >>> 0);
  batch[n] = gp;

  // Link the goroutines.
  for (let i = 0; i < n; i++) mem.setPtr(batch[i]! + g_schedlink, batch[i + 1]!);

  // Now put the batch on the global queue.
  lock(rt, rt.sched + schedt_lock);
  globrunqputbatch(rt, batch[0]!, batch[n]!, n + 1);
  unlock(rt, rt.sched + schedt_lock);
  return true;
}

// runqputbatch: the queue head..tail (qsize Gs, linked) onto pp's ring;
// what does not fit goes to the global queue.
export function runqputbatch(rt: Runtime, pp: number, head: number, tail: number, qsize: number): void {
  const mem = rt.mem;
  const h = mem.u32(pp + p_runqhead);
  let t = mem.u32(pp + p_runqtail);
  let n = 0;
  while (head !== 0 && ((t - h) >>> 0) < runqLen) {
    const gp = head;
    head = gp === tail ? 0 : mem.ptr(gp + g_schedlink);
    mem.setPtr(runqslot(pp, t), gp);
    t = (t + 1) >>> 0;
    n++;
  }
  qsize -= n;
  mem.setU32(pp + p_runqtail, t);
  if (head !== 0) {
    lock(rt, rt.sched + schedt_lock);
    globrunqputbatch(rt, head, tail, qsize);
    unlock(rt, rt.sched + schedt_lock);
  }
}

/** runqget's second result: the G came from runnext and inherits the time slice. */
export let runqgetInheritTime = false;

// runqget: the next G of pp's local queue — runnext first, which inherits
// the current time slice (runqgetInheritTime) — or 0. Only pp's owner
// calls it. (Go returns (gp, inheritTime); a second result would cost an
// allocation per call here.)
export function runqget(rt: Runtime, pp: number): number {
  const mem = rt.mem;
  const next = mem.ptr(pp + p_runnext);
  if (next !== 0) {
    mem.setPtr(pp + p_runnext, 0);
    runqgetInheritTime = true;
    return next;
  }
  runqgetInheritTime = false;
  const h = mem.u32(pp + p_runqhead);
  const t = mem.u32(pp + p_runqtail);
  if (t === h) return 0;
  const gp = mem.ptr(runqslot(pp, h));
  mem.setU32(pp + p_runqhead, (h + 1) >>> 0);
  return gp;
}

// runqdrain: takes every G of pp's local queue (runnext first), as a list in order.
export function runqdrain(rt: Runtime, pp: number): number[] {
  const mem = rt.mem;
  const out: number[] = [];
  const oldNext = mem.ptr(pp + p_runnext);
  if (oldNext !== 0) {
    mem.setPtr(pp + p_runnext, 0);
    out.push(oldNext);
  }
  const h = mem.u32(pp + p_runqhead);
  const t = mem.u32(pp + p_runqtail);
  const qn = (t - h) >>> 0;
  if (qn === 0) return out;
  if (qn > runqLen) throw_("runqdrain: inconsistent runqhead/runqtail");
  // Advance head first, then take: once head moved, the Gs are ours alone.
  mem.setU32(pp + p_runqhead, (h + qn) >>> 0);
  for (let i = 0; i < qn; i++) out.push(mem.ptr(runqslot(pp, (h + i) >>> 0)));
  return out;
}

// runqgrab: takes half of pp's ring (rounded up) into batch, a 256-slot ring
// in memory (the thief's p.runq), starting at batchHead; with
// stealRunNextG, takes pp's runnext when the ring is empty. Returns how many.
export function runqgrab(rt: Runtime, pp: number, batch: number, batchHead: number, stealRunNextG: boolean): number {
  const mem = rt.mem;
  for (;;) {
    const h = mem.u32(pp + p_runqhead);
    const t = mem.u32(pp + p_runqtail);
    let n = (t - h) >>> 0;
    n = n - Math.floor(n / 2);
    if (n === 0) {
      if (stealRunNextG) {
        const next = mem.ptr(pp + p_runnext);
        if (next !== 0) {
          // Go sleeps 3µs here when pp is running, to let pp schedule its
          // runnext first; a host function cannot sleep (see the essay).
          mem.setPtr(pp + p_runnext, 0);
          mem.setPtr(batch + 8 * (batchHead % runqLen), next);
          return 1;
        }
      }
      return 0;
    }
    if (n > runqLen / 2) continue; // read inconsistent h and t
    for (let i = 0; i < n; i++) {
      const gp = mem.ptr(runqslot(pp, (h + i) >>> 0));
      mem.setPtr(batch + 8 * (((batchHead + i) >>> 0) % runqLen), gp);
    }
    mem.setU32(pp + p_runqhead, (h + n) >>> 0); // cas-release, commits consume
    return n;
  }
}

// runqsteal: steals half of p2's local queue into pp's; returns one of the
// stolen Gs (for pp to run now), or 0.
export function runqsteal(rt: Runtime, pp: number, p2: number, stealRunNextG: boolean): number {
  const mem = rt.mem;
  const t = mem.u32(pp + p_runqtail);
  let n = runqgrab(rt, p2, pp + p_runq, t, stealRunNextG);
  if (n === 0) return 0;
  n--;
  const gp = mem.ptr(runqslot(pp, (t + n) >>> 0));
  if (n === 0) return gp;
  const h = mem.u32(pp + p_runqhead);
  if (((t - h + n) >>> 0) >= runqLen) throw_("runqsteal: runq overflow");
  mem.setU32(pp + p_runqtail, (t + n) >>> 0);
  return gp;
}

// --- the global run queue ------------------------------------------------------

/** sched.runqsize. */
export function schedRunqsize(rt: Runtime): number {
  return rt.mem.i32(rt.sched + schedt_runqsize);
}

/** The Gs of the global queue, head first (tests and the debugger). */
export function globrunqlist(rt: Runtime): number[] {
  return walkSchedlink(rt.mem, rt.mem.ptr(rt.sched + schedt_runq + gQueue_head));
}

// globrunqput: gp at the tail of the global queue. sched.lock must be held.
export function globrunqput(rt: Runtime, gp: number): void {
  gqPushBack(rt.mem, rt.sched + schedt_runq, gp);
  rt.mem.setI32(rt.sched + schedt_runqsize, schedRunqsize(rt) + 1);
}

// globrunqputhead: gp at the head of the global queue. sched.lock must be held.
export function globrunqputhead(rt: Runtime, gp: number): void {
  gqPush(rt.mem, rt.sched + schedt_runq, gp);
  rt.mem.setI32(rt.sched + schedt_runqsize, schedRunqsize(rt) + 1);
}

// globrunqputbatch: the n Gs head..tail (linked) at the tail of the global
// queue. sched.lock must be held.
export function globrunqputbatch(rt: Runtime, head: number, tail: number, n: number): void {
  gqPushBackAll(rt.mem, rt.sched + schedt_runq, head, tail);
  rt.mem.setI32(rt.sched + schedt_runqsize, schedRunqsize(rt) + n);
}

// globrunqget: a G from the global queue for pp, moving up to a fair share
// more (sched.runqsize/gomaxprocs+1, at most max if max > 0, at most half of
// pp's ring) onto pp's local queue. sched.lock must be held.
export function globrunqget(rt: Runtime, pp: number, max: number): number {
  const size = schedRunqsize(rt);
  if (size === 0) return 0;
  let n = Math.trunc(size / rt.gomaxprocs) + 1;
  if (n > size) n = size;
  if (max > 0 && n > max) n = max;
  if (n > runqLen / 2) n = runqLen / 2;
  rt.mem.setI32(rt.sched + schedt_runqsize, size - n);
  const q = rt.sched + schedt_runq;
  const gp = gqPop(rt.mem, q);
  n--;
  for (; n > 0; n--) runqput(rt, pp, gqPop(rt.mem, q), false);
  return gp;
}
