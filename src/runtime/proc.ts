// The scheduler's data structures and their operations (proc.go): run
// queues, free Gs, G status, goids, allgs, Ms and Ps being set up.
//
// Every structure is Go's, in emulated memory at Go's offsets:
//
//   p.runq        a 256-slot ring of *g with runqhead/runqtail (uint32,
//                 free-running: t-h is the length, index mod 256), plus
//                 p.runnext, the G to run next, ahead of the ring. Only the
//                 owner P puts; any P may take (runqgrab steals half).
//   sched.runq    the global queue: a gQueue (head, tail) linked through
//                 g.schedlink, with its length in sched.runqsize.
//   p.gFree,      free (dead) Gs kept for reuse: per P a gList and a count,
//   sched.gFree   overflowing to the global lists (with and without stacks)
//                 64 → 32 at a time, refilled 32 at a time.
//   g.atomicstatus  _Gidle, _Grunnable, ...; casgstatus changes it.
//   goids         handed out per P in batches of _GoidCacheBatch from
//                 sched.goidgen, so the main goroutine is 1.
//
// A gQueue or gList may sit in memory (sched.runq, p.gFree) or be a local
// of a function (the batch runqputslow builds); the gQueue and gList classes
// here are both, so each port reads like Go's code.
//
// Atomics are plain loads and stores (see mem.ts); every CAS in Go's code
// is kept as a compare followed by a store, so the code keeps Go's shape,
// and its retry loops end at once. randomizeScheduler is false (it is
// raceenabled in Go), so runqputslow's shuffle is not ported.
//
// Differences, all forced by the host-function model: casgstatus cannot
// wait for a GC scanner to release _Gscan, so an unexpected old status
// throws at once; runqgrab's usleep(3) before stealing a running P's
// runnext is skipped (a host function cannot sleep; the scheduler layer may
// yield there instead); runtime locks are checked, not slept on
// (lock_futex.ts). Scheduling-latency tracking in casgstatus is not ported
// (it needs nanotime and only feeds runtime/metrics).

import {
  _Gcopystack, _Gdead, _Gidle, _GoidCacheBatch, _Gpreempted, _Grunnable, _Grunning, _Gscan, _Gsyscall, _Gwaiting,
  _Pgcstop, _StackGuard, _StackSystem,
  g as gT, gList as gListT, gQueue as gQueueT, m as mT, off, p as pT, pGFree, schedt, schedtGFree,
} from "./runtime2.ts";
import type { Mem } from "./mem.ts";
import { mallocgc, allocmcache } from "./malloc.ts";
import { stackalloc, stackfree, gstack, setgstack } from "./stack.ts";
import { lock, unlock } from "./lock_futex.ts";
import { hex, throw_ } from "./panic.ts";
import { persistentalloc, systemstack, type Runtime } from "./rt.ts";

// Offsets, named as go_asm.h names them.
const g_stackguard0 = off(gT, "stackguard0");
const g_stackguard1 = off(gT, "stackguard1");
const g_m = off(gT, "m");
const g_atomicstatus = off(gT, "atomicstatus");
const g_goid = off(gT, "goid");
const g_schedlink = off(gT, "schedlink");
const m_id = off(mT, "id");
const m_gsignal = off(mT, "gsignal");
const m_fastrand = off(mT, "fastrand");
const m_alllink = off(mT, "alllink");
const p_id = off(pT, "id");
const p_status = off(pT, "status");
const p_mcache = off(pT, "mcache");
const p_deferpool = off(pT, "deferpool");
const p_deferpoolbuf = off(pT, "deferpoolbuf");
const p_sudogcache = off(pT, "sudogcache");
const p_sudogbuf = off(pT, "sudogbuf");
const p_goidcache = off(pT, "goidcache");
const p_goidcacheend = off(pT, "goidcacheend");
const p_runqhead = off(pT, "runqhead");
const p_runqtail = off(pT, "runqtail");
const p_runq = off(pT, "runq");
const p_runnext = off(pT, "runnext");
const p_gFree = off(pT, "gFree");
const p_gFree_n = p_gFree + off(pGFree, "n");
const schedt_goidgen = off(schedt, "goidgen");
const schedt_lock = off(schedt, "lock");
const schedt_mnext = off(schedt, "mnext");
const schedt_maxmcount = off(schedt, "maxmcount");
const schedt_nmfreed = off(schedt, "nmfreed");
const schedt_runq = off(schedt, "runq");
const schedt_runqsize = off(schedt, "runqsize");
const schedt_gFree = off(schedt, "gFree");
const gFree_lock = schedt_gFree + off(schedtGFree, "lock");
const gFree_stack = schedt_gFree + off(schedtGFree, "stack");
const gFree_noStack = schedt_gFree + off(schedtGFree, "noStack");
const gFree_n = schedt_gFree + off(schedtGFree, "n");
const gQueue_head = off(gQueueT, "head");
const gQueue_tail = off(gQueueT, "tail");
const gList_head = off(gListT, "head");

/** len(p.runq). */
export const runqLen = 256;

// --- gQueue and gList ----------------------------------------------------------

// gQueue: a queue of Gs linked through g.schedlink; either a struct in
// emulated memory (gQueue.at) or a local (new gQueue(mem)).
export class gQueue {
  private h = 0;
  private t = 0;
  /** addr < 0: a local; else the address of a gQueue struct. */
  constructor(private readonly mem: Mem, private readonly addr = -1) {}

  static at(mem: Mem, addr: number): gQueue {
    return new gQueue(mem, addr);
  }

  get head(): number { return this.addr < 0 ? this.h : this.mem.ptr(this.addr + gQueue_head); }
  set head(v: number) { if (this.addr < 0) this.h = v; else this.mem.setPtr(this.addr + gQueue_head, v); }
  get tail(): number { return this.addr < 0 ? this.t : this.mem.ptr(this.addr + gQueue_tail); }
  set tail(v: number) { if (this.addr < 0) this.t = v; else this.mem.setPtr(this.addr + gQueue_tail, v); }

  // (*gQueue).empty
  empty(): boolean {
    return this.head === 0;
  }

  // (*gQueue).push: gp at the head.
  push(gp: number): void {
    this.mem.setPtr(gp + g_schedlink, this.head);
    this.head = gp;
    if (this.tail === 0) this.tail = gp;
  }

  // (*gQueue).pushBack: gp at the tail.
  pushBack(gp: number): void {
    this.mem.setPtr(gp + g_schedlink, 0);
    const t = this.tail;
    if (t !== 0) this.mem.setPtr(t + g_schedlink, gp);
    else this.head = gp;
    this.tail = gp;
  }

  // (*gQueue).pushBackAll: all of q2 at the tail; q2 must not be used after.
  pushBackAll(q2: gQueue): void {
    const t2 = q2.tail;
    if (t2 === 0) return;
    this.mem.setPtr(t2 + g_schedlink, 0);
    const t = this.tail;
    if (t !== 0) this.mem.setPtr(t + g_schedlink, q2.head);
    else this.head = q2.head;
    this.tail = t2;
  }

  // (*gQueue).pop: the head, or 0.
  pop(): number {
    const gp = this.head;
    if (gp !== 0) {
      this.head = this.mem.ptr(gp + g_schedlink);
      if (this.head === 0) this.tail = 0;
    }
    return gp;
  }

  // (*gQueue).popList: everything, as a (local) gList.
  popList(): gList {
    const l = new gList(this.mem);
    l.head = this.head;
    this.head = 0;
    this.tail = 0;
    return l;
  }

  /** The Gs in order (walks schedlink; for tests and the debugger). */
  toArray(): number[] {
    return walkSchedlink(this.mem, this.head);
  }
}

// gList: a stack of Gs linked through g.schedlink; in memory or a local.
export class gList {
  private h = 0;
  constructor(private readonly mem: Mem, private readonly addr = -1) {}

  static at(mem: Mem, addr: number): gList {
    return new gList(mem, addr);
  }

  get head(): number { return this.addr < 0 ? this.h : this.mem.ptr(this.addr + gList_head); }
  set head(v: number) { if (this.addr < 0) this.h = v; else this.mem.setPtr(this.addr + gList_head, v); }

  // (*gList).empty
  empty(): boolean {
    return this.head === 0;
  }

  // (*gList).push
  push(gp: number): void {
    this.mem.setPtr(gp + g_schedlink, this.head);
    this.head = gp;
  }

  // (*gList).pushAll: prepends all of q.
  pushAll(q: gQueue): void {
    if (!q.empty()) {
      this.mem.setPtr(q.tail + g_schedlink, this.head);
      this.head = q.head;
    }
  }

  // (*gList).pop
  pop(): number {
    const gp = this.head;
    if (gp !== 0) this.head = this.mem.ptr(gp + g_schedlink);
    return gp;
  }

  toArray(): number[] {
    return walkSchedlink(this.mem, this.head);
  }
}

function walkSchedlink(mem: Mem, gp: number): number[] {
  const out: number[] = [];
  for (; gp !== 0; gp = mem.ptr(gp + g_schedlink)) {
    out.push(gp);
    if (out.length > 1 << 22) throw_("schedlink list is cyclic");
  }
  return out;
}

/** sched.runq. */
export function schedRunq(rt: Runtime): gQueue {
  return gQueue.at(rt.mem, rt.sched + schedt_runq);
}

export function schedRunqsize(rt: Runtime): number {
  return rt.mem.i32(rt.sched + schedt_runqsize);
}

/** sched.gFree.stack / sched.gFree.noStack / sched.gFree.n. */
export function schedGFreeStack(rt: Runtime): gList {
  return gList.at(rt.mem, rt.sched + gFree_stack);
}

export function schedGFreeNoStack(rt: Runtime): gList {
  return gList.at(rt.mem, rt.sched + gFree_noStack);
}

export function schedGFreeN(rt: Runtime): number {
  return rt.mem.i32(rt.sched + gFree_n);
}

/** p.gFree (its gList) and p.gFree.n. */
export function pGFreeList(rt: Runtime, pp: number): gList {
  return gList.at(rt.mem, pp + p_gFree);
}

export function pGFreeN(rt: Runtime, pp: number): number {
  return rt.mem.i32(pp + p_gFree_n);
}

// --- G status ------------------------------------------------------------------

// readgstatus
export function readgstatus(rt: Runtime, gp: number): number {
  return rt.mem.u32(gp + g_atomicstatus);
}

/**
 * The transitions Go's runtime makes with casgstatus (runtime2.go's state
 * machine): newproc1 (idle→dead→runnable), execute (runnable→running),
 * gosched/preemption (running→runnable), park_m (running→waiting), ready
 * (waiting→runnable), goexit0 (running→dead), syscalls (running→syscall→
 * running or runnable; dead↔syscall for extra Ms), newstack and stack
 * shrinking (running/waiting↔copystack), and async preemption
 * (running→preempted→waiting). Go checks only that the old value matches;
 * we also reject any other pair, so a scheduler bug cannot move a G along
 * an edge the real runtime never takes.
 */
export const legalTransitions: ReadonlySet<string> = new Set([
  [_Gidle, _Gdead], [_Gdead, _Grunnable], [_Gdead, _Gsyscall],
  [_Grunnable, _Grunning],
  [_Grunning, _Grunnable], [_Grunning, _Gwaiting], [_Grunning, _Gsyscall], [_Grunning, _Gdead],
  [_Grunning, _Gpreempted], [_Grunning, _Gcopystack],
  [_Gwaiting, _Grunnable], [_Gwaiting, _Gcopystack],
  [_Gcopystack, _Grunning], [_Gcopystack, _Gwaiting],
  [_Gsyscall, _Grunning], [_Gsyscall, _Grunnable], [_Gsyscall, _Gdead],
  [_Gpreempted, _Gwaiting],
].map(([a, b]) => `${a}>${b}`));

const statusName = ["Gidle", "Grunnable", "Grunning", "Gsyscall", "Gwaiting", "Gmoribund_unused", "Gdead", "Genqueue_unused", "Gcopystack", "Gpreempted"];

// casgstatus: gp's status from oldval to newval. Neither may be a _Gscan
// status, gp must be in oldval, and the pair must be one Go's runtime makes.
export function casgstatus(rt: Runtime, gp: number, oldval: number, newval: number): void {
  if ((oldval & _Gscan) !== 0 || (newval & _Gscan) !== 0 || oldval === newval) {
    throw_("casgstatus: bad incoming values", `runtime: casgstatus: oldval=${hex(oldval)} newval=${hex(newval)}`);
  }
  if (!legalTransitions.has(`${oldval}>${newval}`)) {
    throw_(
      `casgstatus: illegal transition from ${statusName[oldval] ?? hex(oldval)} to ${statusName[newval] ?? hex(newval)}`,
      `runtime: casgstatus: gp=${hex(gp)} goid=${rt.mem.int(gp + g_goid)} oldval=${hex(oldval)} newval=${hex(newval)}`,
    );
  }
  const cur = readgstatus(rt, gp);
  if (cur !== oldval) {
    if (oldval === _Gwaiting && cur === _Grunnable) throw_("casgstatus: waiting for Gwaiting but is Grunnable");
    // Go spins here until a GC scanner drops _Gscan; nothing else runs during
    // a host function, so the status can never become oldval.
    throw_(
      "casgstatus: bad status",
      `runtime: casgstatus: gp=${hex(gp)} goid=${rt.mem.int(gp + g_goid)} status=${hex(cur)} oldval=${hex(oldval)} newval=${hex(newval)}`,
    );
  }
  rt.mem.setU32(gp + g_atomicstatus, newval);
}

// --- local run queues ----------------------------------------------------------

function runqslot(pp: number, i: number): number {
  return pp + p_runq + 8 * (i % runqLen);
}

// runqempty: whether pp has no G in runnext or its ring.
export function runqempty(rt: Runtime, pp: number): boolean {
  const mem = rt.mem;
  const head = mem.u32(pp + p_runqhead);
  const tail = mem.u32(pp + p_runqtail);
  const runnext = mem.ptr(pp + p_runnext);
  return head === tail && runnext === 0;
}

/** Number of Gs in pp's ring (not counting runnext). */
export function runqsize(rt: Runtime, pp: number): number {
  return (rt.mem.u32(pp + p_runqtail) - rt.mem.u32(pp + p_runqhead)) >>> 0;
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
  const q = new gQueue(mem);
  q.head = batch[0]!;
  q.tail = batch[n]!;

  // Now put the batch on the global queue.
  lock(rt, rt.sched + schedt_lock);
  globrunqputbatch(rt, q, n + 1);
  unlock(rt, rt.sched + schedt_lock);
  return true;
}

// runqputbatch: all Gs of q onto pp's ring; what does not fit goes to the
// global queue.
export function runqputbatch(rt: Runtime, pp: number, q: gQueue, qsize: number): void {
  const mem = rt.mem;
  const h = mem.u32(pp + p_runqhead);
  let t = mem.u32(pp + p_runqtail);
  let n = 0;
  while (!q.empty() && ((t - h) >>> 0) < runqLen) {
    const gp = q.pop();
    mem.setPtr(runqslot(pp, t), gp);
    t = (t + 1) >>> 0;
    n++;
  }
  qsize -= n;
  mem.setU32(pp + p_runqtail, t);
  if (!q.empty()) {
    lock(rt, rt.sched + schedt_lock);
    globrunqputbatch(rt, q, qsize);
    unlock(rt, rt.sched + schedt_lock);
  }
}

// runqget: the next G of pp's local queue — runnext first, which inherits
// the current time slice — or [0, false]. Only pp's owner calls it.
export function runqget(rt: Runtime, pp: number): [gp: number, inheritTime: boolean] {
  const mem = rt.mem;
  const next = mem.ptr(pp + p_runnext);
  if (next !== 0) {
    mem.setPtr(pp + p_runnext, 0);
    return [next, true];
  }
  for (;;) {
    const h = mem.u32(pp + p_runqhead);
    const t = mem.u32(pp + p_runqtail);
    if (t === h) return [0, false];
    const gp = mem.ptr(runqslot(pp, h));
    mem.setU32(pp + p_runqhead, (h + 1) >>> 0);
    return [gp, false];
  }
}

// runqdrain: takes every G of pp's local queue (runnext first).
export function runqdrain(rt: Runtime, pp: number): [drainQ: gQueue, n: number] {
  const mem = rt.mem;
  const drainQ = new gQueue(mem);
  let n = 0;
  const oldNext = mem.ptr(pp + p_runnext);
  if (oldNext !== 0) {
    mem.setPtr(pp + p_runnext, 0);
    drainQ.pushBack(oldNext);
    n++;
  }
  const h = mem.u32(pp + p_runqhead);
  const t = mem.u32(pp + p_runqtail);
  const qn = (t - h) >>> 0;
  if (qn === 0) return [drainQ, n];
  if (qn > runqLen) throw_("runqdrain: inconsistent runqhead/runqtail");
  // Advance head first, then link: once head moved, the Gs are ours alone.
  mem.setU32(pp + p_runqhead, (h + qn) >>> 0);
  for (let i = 0; i < qn; i++) {
    drainQ.pushBack(mem.ptr(runqslot(pp, (h + i) >>> 0)));
    n++;
  }
  return [drainQ, n];
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

// globrunqput: gp at the tail of the global queue. sched.lock must be held.
export function globrunqput(rt: Runtime, gp: number): void {
  schedRunq(rt).pushBack(gp);
  rt.mem.setI32(rt.sched + schedt_runqsize, schedRunqsize(rt) + 1);
}

// globrunqputhead: gp at the head of the global queue. sched.lock must be held.
export function globrunqputhead(rt: Runtime, gp: number): void {
  schedRunq(rt).push(gp);
  rt.mem.setI32(rt.sched + schedt_runqsize, schedRunqsize(rt) + 1);
}

// globrunqputbatch: all n Gs of batch at the tail of the global queue, and
// batch emptied. sched.lock must be held.
export function globrunqputbatch(rt: Runtime, batch: gQueue, n: number): void {
  schedRunq(rt).pushBackAll(batch);
  rt.mem.setI32(rt.sched + schedt_runqsize, schedRunqsize(rt) + n);
  batch.head = 0;
  batch.tail = 0;
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
  const q = schedRunq(rt);
  const gp = q.pop();
  n--;
  for (; n > 0; n--) runqput(rt, pp, q.pop(), false);
  return gp;
}

// --- free Gs -------------------------------------------------------------------

// gfput: puts dead gp on pp's free list, freeing a non-standard stack; past
// 64 free Gs, moves all but 31 to the global lists.
export function gfput(rt: Runtime, pp: number, gp: number): void {
  const mem = rt.mem;
  if (readgstatus(rt, gp) !== _Gdead) throw_("gfput: bad status (not Gdead)");
  const stk = gstack(rt, gp);
  if (stk.hi - stk.lo !== rt.startingStackSize) {
    // Non-standard stack size: free it.
    stackfree(rt, stk);
    setgstack(rt, gp, { lo: 0, hi: 0 });
    mem.setU64(gp + g_stackguard0, 0n);
  }
  const local = pGFreeList(rt, pp);
  local.push(gp);
  let n = pGFreeN(rt, pp) + 1;
  mem.setI32(pp + p_gFree_n, n);
  if (n >= 64) {
    let inc = 0;
    const stackQ = new gQueue(mem);
    const noStackQ = new gQueue(mem);
    while (n >= 32) {
      gp = local.pop();
      n--;
      if (gstack(rt, gp).lo === 0) noStackQ.push(gp);
      else stackQ.push(gp);
      inc++;
    }
    mem.setI32(pp + p_gFree_n, n);
    lock(rt, rt.sched + gFree_lock);
    schedGFreeNoStack(rt).pushAll(noStackQ);
    schedGFreeStack(rt).pushAll(stackQ);
    mem.setI32(rt.sched + gFree_n, schedGFreeN(rt) + inc);
    unlock(rt, rt.sched + gFree_lock);
  }
}

// gfget: a free G from pp's list (refilled with up to 32 from the global
// lists when empty, preferring Gs with stacks), with a standard-size stack;
// or 0.
export function gfget(rt: Runtime, pp: number): number {
  const mem = rt.mem;
  const local = pGFreeList(rt, pp);
  const gstk = schedGFreeStack(rt);
  const gnostk = schedGFreeNoStack(rt);
  if (local.empty() && (!gstk.empty() || !gnostk.empty())) {
    lock(rt, rt.sched + gFree_lock);
    // Move a batch of free Gs to the P.
    while (pGFreeN(rt, pp) < 32) {
      // Prefer Gs with stacks.
      let gp = gstk.pop();
      if (gp === 0) {
        gp = gnostk.pop();
        if (gp === 0) break;
      }
      mem.setI32(rt.sched + gFree_n, schedGFreeN(rt) - 1);
      local.push(gp);
      mem.setI32(pp + p_gFree_n, pGFreeN(rt, pp) + 1);
    }
    unlock(rt, rt.sched + gFree_lock);
  }
  const gp = local.pop();
  if (gp === 0) return 0;
  mem.setI32(pp + p_gFree_n, pGFreeN(rt, pp) - 1);
  const stk = gstack(rt, gp);
  if (stk.lo !== 0 && stk.hi - stk.lo !== rt.startingStackSize) {
    // The stack was the right size when gp was freed, but the standard
    // size has changed since: free it.
    systemstack(rt, () => {
      stackfree(rt, stk);
      setgstack(rt, gp, { lo: 0, hi: 0 });
      mem.setU64(gp + g_stackguard0, 0n);
    });
  }
  if (gstack(rt, gp).lo === 0) {
    // The stack was freed in gfput or just above: allocate a new one.
    const nstk = systemstack(rt, () => stackalloc(rt, rt.startingStackSize));
    setgstack(rt, gp, nstk);
    mem.setPtr(gp + g_stackguard0, nstk.lo + _StackGuard);
  }
  return gp;
}

// gfpurge: moves all of pp's free Gs to the global lists.
export function gfpurge(rt: Runtime, pp: number): void {
  const mem = rt.mem;
  let inc = 0;
  const stackQ = new gQueue(mem);
  const noStackQ = new gQueue(mem);
  const local = pGFreeList(rt, pp);
  while (!local.empty()) {
    const gp = local.pop();
    mem.setI32(pp + p_gFree_n, pGFreeN(rt, pp) - 1);
    if (gstack(rt, gp).lo === 0) noStackQ.push(gp);
    else stackQ.push(gp);
    inc++;
  }
  lock(rt, rt.sched + gFree_lock);
  schedGFreeNoStack(rt).pushAll(noStackQ);
  schedGFreeStack(rt).pushAll(stackQ);
  mem.setI32(rt.sched + gFree_n, schedGFreeN(rt) + inc);
  unlock(rt, rt.sched + gFree_lock);
}

// --- creating Gs ------------------------------------------------------------------

// round2: the smallest power of 2 >= x.
export function round2(x: number): number {
  let s = 0;
  while (2 ** s < x) s++;
  return 2 ** s;
}

// malg: a new G (status _Gidle) with a stack big enough for stacksize bytes,
// or no stack if stacksize < 0.
export function malg(rt: Runtime, stacksize: number): number {
  const mem = rt.mem;
  const newg = mallocgc(rt, gT.size, 0, true);
  if (stacksize >= 0) {
    stacksize = round2(_StackSystem + stacksize);
    const stk = systemstack(rt, () => stackalloc(rt, stacksize));
    setgstack(rt, newg, stk);
    mem.setPtr(newg + g_stackguard0, stk.lo + _StackGuard);
    mem.setU64(newg + g_stackguard1, 0xffff_ffff_ffff_ffffn);
    // Clear the bottom word of the stack.
    mem.setPtr(stk.lo, 0);
  }
  return newg;
}

// newproc1 (its goid block): the next goid from pp's cache, refilling the
// cache with the next _GoidCacheBatch ids of sched.goidgen when it is used up.
export function newgoid(rt: Runtime, pp: number): number {
  const mem = rt.mem;
  let cache = mem.int(pp + p_goidcache);
  if (cache === mem.int(pp + p_goidcacheend)) {
    // sched.goidgen is the last id handed out; this batch is
    // [goidgen+1, goidgen+_GoidCacheBatch]. The main goroutine gets 1.
    const gen = mem.int(rt.sched + schedt_goidgen) + _GoidCacheBatch;
    mem.setInt(rt.sched + schedt_goidgen, gen);
    cache = gen - (_GoidCacheBatch - 1);
    mem.setInt(pp + p_goidcacheend, cache + _GoidCacheBatch);
  }
  mem.setInt(pp + p_goidcache, cache + 1);
  return cache;
}

// allgadd: records gp in allgs.
export function allgadd(rt: Runtime, gp: number): void {
  if (readgstatus(rt, gp) === _Gidle) throw_("allgadd: bad status Gidle");
  const mem = rt.mem;
  const allglock = rt.gvar("allglock");
  lock(rt, allglock);
  appendPtr(rt, rt.gvar("allgs"), gp);
  mem.setInt(rt.gvar("allglen"), mem.int(rt.gvar("allgs") + 8));
  unlock(rt, allglock);
}

/** append(*slice, v) for a []uintptr in runtime memory; the array grows by doubling. */
function appendPtr(rt: Runtime, slice: number, v: number): void {
  const mem = rt.mem;
  let arr = mem.ptr(slice);
  const len = mem.int(slice + 8);
  const cap = mem.int(slice + 16);
  if (len === cap) {
    const ncap = cap === 0 ? 8 : cap * 2;
    const narr = persistentalloc(rt, 8 * ncap, 8);
    mem.copy(narr, arr, 8 * len);
    arr = narr;
    mem.setPtr(slice, arr);
    mem.setInt(slice + 16, ncap);
  }
  mem.setPtr(arr + 8 * len, v);
  mem.setInt(slice + 8, len + 1);
}

// --- Ms ------------------------------------------------------------------------

// mcount: Ms created and not freed.
export function mcount(rt: Runtime): number {
  return rt.mem.int(rt.sched + schedt_mnext) - rt.mem.int(rt.sched + schedt_nmfreed);
}

// checkmcount. sched.lock must be held.
export function checkmcount(rt: Runtime): void {
  const max = rt.mem.i32(rt.sched + schedt_maxmcount);
  if (mcount(rt) > max) throw_("thread exhaustion", `runtime: program exceeds ${max}-thread limit`);
}

// mReserveID: the next M id. sched.lock must be held.
export function mReserveID(rt: Runtime): number {
  const id = rt.mem.int(rt.sched + schedt_mnext);
  rt.mem.setInt(rt.sched + schedt_mnext, id + 1);
  checkmcount(rt);
  return id;
}

// mpreinit (os_linux.go): the signal-handling G with its 32 KiB stack.
export function mpreinit(rt: Runtime, mp: number): void {
  const gsignal = malg(rt, 32 * 1024);
  rt.mem.setPtr(mp + m_gsignal, gsignal);
  rt.mem.setPtr(gsignal + g_m, mp);
}

// mcommoninit: gives mp its id (id, or the next one if id < 0), its fastrand
// state and gsignal, and links it into allm.
export function mcommoninit(rt: Runtime, mp: number, id: number): void {
  const mem = rt.mem;
  lock(rt, rt.sched + schedt_lock);
  mem.setInt(mp + m_id, id >= 0 ? id : mReserveID(rt));
  // Go hashes the id and cputicks with the AES hash; we mix the id with the
  // run's seed, so runs are reproducible.
  const seed = mem.u64(rt.gvar("fastrandseed"));
  const mid = BigInt(mem.int(mp + m_id));
  const lo = Number(mix64(mid ^ seed) & 0xffff_ffffn);
  let hi = Number(mix64(mid ^ ~seed ^ 0x9e37_79b9n) & 0xffff_ffffn);
  if ((lo | hi) === 0) hi = 1;
  mem.setU64(mp + m_fastrand, (BigInt(hi) << 32n) | BigInt(lo));
  mpreinit(rt, mp);
  const gsignal = mem.ptr(mp + m_gsignal);
  if (gsignal !== 0) mem.setPtr(gsignal + g_stackguard1, gstack(rt, gsignal).lo + _StackGuard);
  // Link into allm.
  mem.setPtr(mp + m_alllink, mem.ptr(rt.gvar("allm")));
  mem.setPtr(rt.gvar("allm"), mp);
  unlock(rt, rt.sched + schedt_lock);
}

/** splitmix64's finalizer. */
function mix64(x: bigint): bigint {
  x = BigInt.asUintN(64, x);
  x = BigInt.asUintN(64, (x ^ (x >> 30n)) * 0xbf58_476d_1ce4_e5b9n);
  x = BigInt.asUintN(64, (x ^ (x >> 27n)) * 0x94d0_49bb_1331_11ebn);
  return x ^ (x >> 31n);
}

// fastrand: wyrand over getg().m.fastrand.
export function fastrand(rt: Runtime): number {
  const mem = rt.mem;
  const mp = mem.ptr(rt.getg() + g_m);
  const s = BigInt.asUintN(64, mem.u64(mp + m_fastrand) + 0xa076_1d64_78bd_642fn);
  mem.setU64(mp + m_fastrand, s);
  const prod = s * (s ^ 0xe703_7ed1_a0b4_28dbn);
  const hi = BigInt.asUintN(64, prod >> 64n);
  const lo = BigInt.asUintN(64, prod);
  return Number((hi ^ lo) & 0xffff_ffffn);
}

// fastrandn: a number in [0, n).
export function fastrandn(rt: Runtime, n: number): number {
  return Number((BigInt(fastrand(rt)) * BigInt(n >>> 0)) >> 32n);
}

// --- Ps ------------------------------------------------------------------------

// (*p).init: pp as P number id, status _Pgcstop, with an mcache (mcache0
// for P 0).
export function pinit(rt: Runtime, pp: number, id: number): void {
  const mem = rt.mem;
  mem.setI32(pp + p_id, id);
  mem.setU32(pp + p_status, _Pgcstop);
  // sudogcache = sudogbuf[:0], deferpool = deferpoolbuf[:0].
  mem.setPtr(pp + p_sudogcache, pp + p_sudogbuf);
  mem.setInt(pp + p_sudogcache + 8, 0);
  mem.setInt(pp + p_sudogcache + 16, 128);
  mem.setPtr(pp + p_deferpool, pp + p_deferpoolbuf);
  mem.setInt(pp + p_deferpool + 8, 0);
  mem.setInt(pp + p_deferpool + 16, 32);
  if (mem.ptr(pp + p_mcache) === 0) {
    if (id === 0) {
      const c0 = rt.mcache0;
      if (c0 === 0) throw_("missing mcache?");
      mem.setPtr(pp + p_mcache, c0);
    } else {
      mem.setPtr(pp + p_mcache, allocmcache(rt));
    }
  }
}

// procresize (its first half): grows allp to nprocs Ps, each new one
// allocated and initialised, and sets gomaxprocs. Handing Ps to Ms,
// idling the rest and destroying surplus Ps is the scheduler's part.
export function allpgrow(rt: Runtime, nprocs: number): void {
  if (nprocs <= 0) throw_("procresize: invalid arg");
  const mem = rt.mem;
  const allp = rt.gvar("allp");
  const old = mem.int(allp + 8);
  if (nprocs < old) throw_("procresize: shrinking allp is the scheduler's part, not ported here");
  if (nprocs > old) {
    lock(rt, rt.gvar("allpLock"));
    for (let i = old; i < nprocs; i++) {
      const pp = mallocgc(rt, pT.size, 0, true);
      pinit(rt, pp, i);
      appendPtr(rt, allp, pp);
    }
    unlock(rt, rt.gvar("allpLock"));
  }
  mem.setU32(rt.gvar("gomaxprocs"), nprocs);
}

/** gp's goid. */
export function goid(rt: Runtime, gp: number): number {
  return rt.mem.int(gp + g_goid);
}
