// Semaphores (sema.go): semacquire and semrelease, what sync.Mutex,
// sync.WaitGroup and the runtime itself sleep on.
//
// As in Go, waiters are not kept per semaphore but in a global table of
// 251 roots (semtable), hashed by the semaphore's address; each root is a
// treap of sudogs, one per address, ordered by address and balanced by a
// random ticket (a heap on tickets), with the other waiters on the same
// address in a list behind it (waitlink/waittail). semacquire parks its
// goroutine with the sudog queued under the root's lock (goparkunlock),
// semrelease dequeues the first waiter on the address and readies it; with
// handoff (sync.Mutex in starvation mode) it passes the count straight to
// the waiter (ticket = 1) and yields the P to it. All of it is in emulated
// memory: the table, the roots, the sudogs.
//
// A goroutine that parks continues at a resume point with its sudog in the
// host function's locals (a frame slot on its stack, where Go keeps the
// local `s`), so acquiring a contended semaphore allocates nothing in
// JavaScript. Profiling (blockevent, mutexevent) is not ported.

import { RAX } from "../x86/regs.ts";
import { finish, type HostResult, type HostTable, type ResumeDef } from "./bridge.ts";
import { acquireSudog, releaseSudog } from "./chan.ts";
import { emit } from "./events.ts";
import { lock, unlock } from "./lock_futex.ts";
import {
  m_curg, m_locks, m_p, rtglobals_semtable, semaRoot_lock, semaRoot_nwait, semaRoot_treap, sudog_acquiretime,
  sudog_elem, sudog_g, sudog_next, sudog_parent, sudog_prev, sudog_releasetime, sudog_ticket, sudog_waitlink,
  sudog_waittail, g_goid,
} from "./offsets.ts";
import { SIG_P as SIG_MCALL } from "./os_linux.ts";
import { throw_ } from "./panic.ts";
import { casgstatus, readgstatus } from "./gstatus.ts";
import { defineUnlockf, dropg, fastrand, gopark, goready, schedule } from "./proc.ts";
import { persistentalloc, type H, type Runtime } from "./rt.ts";
import { runqput } from "./runq.ts";
import { _Grunnable, _Grunning, _Gscan, waitReasonSemacquire } from "./runtime2.ts";

/** semTabSize: prime, so as not to correlate with any user pattern. */
export const semTabSize = 251;
const semTabElem = 64; // a semaRoot padded to a cache line

// (*semTable).rootFor
export function semroot(rt: Runtime, addr: number): number {
  const mem = rt.mem;
  let tab = mem.ptr(rt.gvar(rtglobals_semtable));
  if (tab === 0) {
    // The table is a global of Go's (bss); ours appears on first use.
    tab = persistentalloc(rt, semTabSize * semTabElem, 64);
    mem.setPtr(rt.gvar(rtglobals_semtable), tab);
  }
  return tab + (Math.floor(addr / 8) % semTabSize) * semTabElem;
}

// cansemacquire: takes one count of *addr if it has one.
function cansemacquire(rt: Runtime, addr: number): boolean {
  const v = rt.mem.u32(addr);
  if (v === 0) return false;
  rt.mem.setU32(addr, v - 1);
  return true;
}

// Where a semacquire keeps its sudog and its lifo flag across parks (its locals).
const L_S = 0, L_LIFO = 8;
const semLocals = 16;

let parkunlock_c = "";

// semacquire1: takes one count of *addr, parking until semrelease gives one.
function semacquire1(rt: Runtime, h: H, addr: number, lifo: boolean, parked: ResumeDef<Runtime>): HostResult {
  const mem = rt.mem;
  const gp = rt.getg();
  if (gp !== mem.ptr(rt.getm() + m_curg)) throw_("semacquire not on the G stack");
  // Easy case.
  if (cansemacquire(rt, addr)) return undefined;
  // Harder case: count ourselves in nwait, try once more, queue, sleep.
  const s = acquireSudog(rt);
  mem.setInt(s + sudog_releasetime, 0);
  mem.setInt(s + sudog_acquiretime, 0);
  mem.setU32(s + sudog_ticket, 0);
  mem.setPtr(h.locals + L_S, s);
  mem.setPtr(h.locals + L_LIFO, lifo ? 1 : 0);
  return semacquireTry(rt, h, addr, parked);
}

// One round of semacquire1's loop: queue and park, or done.
function semacquireTry(rt: Runtime, h: H, addr: number, parked: ResumeDef<Runtime>): HostResult {
  const mem = rt.mem;
  const s = mem.ptr(h.locals + L_S);
  const root = semroot(rt, addr);
  lock(rt, root + semaRoot_lock);
  // Add ourselves to nwait to disable "easy case" in semrelease.
  mem.setU32(root + semaRoot_nwait, mem.u32(root + semaRoot_nwait) + 1);
  // Check cansemacquire to avoid a missed wakeup.
  if (cansemacquire(rt, addr)) {
    mem.setU32(root + semaRoot_nwait, mem.u32(root + semaRoot_nwait) - 1);
    unlock(rt, root + semaRoot_lock);
    releaseSudog(rt, s);
    return undefined;
  }
  // Any semrelease after the cansemacquire knows we're waiting (we set
  // nwait above), so go to sleep.
  semqueue(rt, root, addr, s, mem.u8(h.locals + L_LIFO) !== 0);
  return gopark(rt, h, parkunlock_c, root + semaRoot_lock, waitReasonSemacquire, parked);
}

// After goparkunlock: a ticket (handoff) or a count we can take ends it.
function semacquireParked(rt: Runtime, h: H, addr: number, parked: ResumeDef<Runtime>): HostResult {
  const mem = rt.mem;
  const s = mem.ptr(h.locals + L_S);
  if (mem.u32(s + sudog_ticket) !== 0 || cansemacquire(rt, addr)) {
    releaseSudog(rt, s);
    return undefined;
  }
  return semacquireTry(rt, h, addr, parked);
}

// semrelease1: gives one count back to *addr and readies a waiter, if any;
// with handoff, passes the count straight to it and yields the P.
function semrelease1(rt: Runtime, h: H, addr: number, handoff: boolean): HostResult {
  const mem = rt.mem;
  const root = semroot(rt, addr);
  mem.setU32(addr, (mem.u32(addr) + 1) >>> 0);
  // Easy case: no waiters? (After the add, to avoid a missed wakeup.)
  if (mem.u32(root + semaRoot_nwait) === 0) return undefined;
  // Harder case: search for a waiter and wake it.
  lock(rt, root + semaRoot_lock);
  if (mem.u32(root + semaRoot_nwait) === 0) {
    // The count is already consumed by another goroutine.
    unlock(rt, root + semaRoot_lock);
    return undefined;
  }
  const s = semdequeue(rt, root, addr);
  if (s !== 0) mem.setU32(root + semaRoot_nwait, mem.u32(root + semaRoot_nwait) - 1);
  unlock(rt, root + semaRoot_lock);
  if (s === 0) return undefined;
  if (mem.u32(s + sudog_ticket) !== 0) throw_("corrupted semaphore ticket");
  if (handoff && cansemacquire(rt, addr)) mem.setU32(s + sudog_ticket, 1);
  // readyWithTime (no profiling: releasetime stays 0).
  const w = goready(rt, h, mem.ptr(s + sudog_g));
  const yieldP = mem.u32(s + sudog_ticket) === 1 && mem.i32(rt.getm() + m_locks) === 0;
  if (w !== undefined) {
    return (function* () {
      yield* w;
      if (yieldP) return yield* finish(goyield(rt, h));
      return undefined;
    })();
  }
  // Direct G handoff: the waiter is in runnext; run it now, inheriting our slice.
  return yieldP ? goyield(rt, h) : undefined;
}

// goyield: like Gosched, but the goroutine goes to the local run queue (and
// the event is "preempt", as Go's trace says).
function goyield(rt: Runtime, h: H): HostResult {
  rt.engine.setRegN(RAX, rt.funcval("runtime.goyield_m"));
  return h.tailcall(rt.asm.mcall, SIG_MCALL, 0);
}

function goyield_m(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const gp = h.arg(0);
  const pp = mem.ptr(rt.getm() + m_p);
  if ((readgstatus(rt, gp) & ~_Gscan) !== _Grunning) throw_("bad g status");
  casgstatus(rt, gp, _Grunning, _Grunnable);
  emit(rt, "preempt", gp, undefined, mem.int(gp + g_goid));
  dropg(rt);
  runqput(rt, pp, gp, false);
  return schedule(rt, h);
}

// (*semaRoot).queue: s waits on addr; lifo puts it first in line.
function semqueue(rt: Runtime, root: number, addr: number, s: number, lifo: boolean): void {
  const mem = rt.mem;
  mem.setPtr(s + sudog_g, rt.getg());
  mem.setPtr(s + sudog_elem, addr);
  mem.setPtr(s + sudog_next, 0);
  mem.setPtr(s + sudog_prev, 0);
  let last = 0;
  let pt = root + semaRoot_treap; // the slot that points at t
  for (let t = mem.ptr(pt); t !== 0; t = mem.ptr(pt)) {
    if (mem.ptr(t + sudog_elem) === addr) {
      // Already have addr in the tree.
      if (lifo) {
        // Substitute s in t's place in the treap, t first in s's wait list.
        mem.setPtr(pt, s);
        mem.setU32(s + sudog_ticket, mem.u32(t + sudog_ticket));
        mem.setInt(s + sudog_acquiretime, mem.int(t + sudog_acquiretime));
        mem.setPtr(s + sudog_parent, mem.ptr(t + sudog_parent));
        mem.setPtr(s + sudog_prev, mem.ptr(t + sudog_prev));
        mem.setPtr(s + sudog_next, mem.ptr(t + sudog_next));
        if (mem.ptr(s + sudog_prev) !== 0) mem.setPtr(mem.ptr(s + sudog_prev) + sudog_parent, s);
        if (mem.ptr(s + sudog_next) !== 0) mem.setPtr(mem.ptr(s + sudog_next) + sudog_parent, s);
        mem.setPtr(s + sudog_waitlink, t);
        mem.setPtr(s + sudog_waittail, mem.ptr(t + sudog_waittail));
        if (mem.ptr(s + sudog_waittail) === 0) mem.setPtr(s + sudog_waittail, t);
        mem.setPtr(t + sudog_parent, 0);
        mem.setPtr(t + sudog_prev, 0);
        mem.setPtr(t + sudog_next, 0);
        mem.setPtr(t + sudog_waittail, 0);
      } else {
        // Add s to the end of t's wait list.
        const tail = mem.ptr(t + sudog_waittail);
        if (tail === 0) mem.setPtr(t + sudog_waitlink, s);
        else mem.setPtr(tail + sudog_waitlink, s);
        mem.setPtr(t + sudog_waittail, s);
        mem.setPtr(s + sudog_waitlink, 0);
      }
      return;
    }
    last = t;
    pt = addr < mem.ptr(t + sudog_elem) ? t + sudog_prev : t + sudog_next;
  }
  // A new leaf in the tree of unique addresses; its ticket is its random
  // heap priority (the lowest bit set: zero means "no ticket" elsewhere).
  mem.setU32(s + sudog_ticket, (fastrand(rt) | 1) >>> 0);
  mem.setPtr(s + sudog_parent, last);
  mem.setPtr(pt, s);
  // Rotate up into the tree according to the ticket.
  for (;;) {
    const parent = mem.ptr(s + sudog_parent);
    if (parent === 0 || mem.u32(parent + sudog_ticket) <= mem.u32(s + sudog_ticket)) break;
    if (mem.ptr(parent + sudog_prev) === s) rotateRight(rt, root, parent);
    else {
      if (mem.ptr(parent + sudog_next) !== s) throw_("semaRoot queue");
      rotateLeft(rt, root, parent);
    }
  }
}

// (*semaRoot).dequeue: the first goroutine blocked on addr, out of the tree; or 0.
function semdequeue(rt: Runtime, root: number, addr: number): number {
  const mem = rt.mem;
  let ps = root + semaRoot_treap;
  let s = mem.ptr(ps);
  for (; s !== 0; s = mem.ptr(ps)) {
    if (mem.ptr(s + sudog_elem) === addr) break;
    ps = addr < mem.ptr(s + sudog_elem) ? s + sudog_prev : s + sudog_next;
  }
  if (s === 0) return 0;
  const t = mem.ptr(s + sudog_waitlink);
  if (t !== 0) {
    // Substitute t, also waiting on addr, for s in the tree.
    mem.setPtr(ps, t);
    mem.setU32(t + sudog_ticket, mem.u32(s + sudog_ticket));
    mem.setPtr(t + sudog_parent, mem.ptr(s + sudog_parent));
    mem.setPtr(t + sudog_prev, mem.ptr(s + sudog_prev));
    if (mem.ptr(t + sudog_prev) !== 0) mem.setPtr(mem.ptr(t + sudog_prev) + sudog_parent, t);
    mem.setPtr(t + sudog_next, mem.ptr(s + sudog_next));
    if (mem.ptr(t + sudog_next) !== 0) mem.setPtr(mem.ptr(t + sudog_next) + sudog_parent, t);
    mem.setPtr(t + sudog_waittail, mem.ptr(t + sudog_waitlink) !== 0 ? mem.ptr(s + sudog_waittail) : 0);
    mem.setInt(t + sudog_acquiretime, 0);
    mem.setPtr(s + sudog_waitlink, 0);
    mem.setPtr(s + sudog_waittail, 0);
  } else {
    // Rotate s down to be a leaf, respecting priorities, and cut it off.
    for (;;) {
      const next = mem.ptr(s + sudog_next), prev = mem.ptr(s + sudog_prev);
      if (next === 0 && prev === 0) break;
      if (next === 0 || (prev !== 0 && mem.u32(prev + sudog_ticket) < mem.u32(next + sudog_ticket))) rotateRight(rt, root, s);
      else rotateLeft(rt, root, s);
    }
    const parent = mem.ptr(s + sudog_parent);
    if (parent !== 0) {
      if (mem.ptr(parent + sudog_prev) === s) mem.setPtr(parent + sudog_prev, 0);
      else mem.setPtr(parent + sudog_next, 0);
    } else {
      mem.setPtr(root + semaRoot_treap, 0);
    }
  }
  mem.setPtr(s + sudog_parent, 0);
  mem.setPtr(s + sudog_elem, 0);
  mem.setPtr(s + sudog_next, 0);
  mem.setPtr(s + sudog_prev, 0);
  mem.setU32(s + sudog_ticket, 0);
  return s;
}

// (*semaRoot).rotateLeft: (x a (y b c)) becomes (y (x a b) c).
function rotateLeft(rt: Runtime, root: number, x: number): void {
  const mem = rt.mem;
  const p = mem.ptr(x + sudog_parent);
  const y = mem.ptr(x + sudog_next);
  const b = mem.ptr(y + sudog_prev);
  mem.setPtr(y + sudog_prev, x);
  mem.setPtr(x + sudog_parent, y);
  mem.setPtr(x + sudog_next, b);
  if (b !== 0) mem.setPtr(b + sudog_parent, x);
  mem.setPtr(y + sudog_parent, p);
  if (p === 0) mem.setPtr(root + semaRoot_treap, y);
  else if (mem.ptr(p + sudog_prev) === x) mem.setPtr(p + sudog_prev, y);
  else {
    if (mem.ptr(p + sudog_next) !== x) throw_("semaRoot rotateLeft");
    mem.setPtr(p + sudog_next, y);
  }
}

// (*semaRoot).rotateRight: (y (x a b) c) becomes (x a (y b c)).
function rotateRight(rt: Runtime, root: number, y: number): void {
  const mem = rt.mem;
  const p = mem.ptr(y + sudog_parent);
  const x = mem.ptr(y + sudog_prev);
  const b = mem.ptr(x + sudog_next);
  mem.setPtr(x + sudog_next, y);
  mem.setPtr(y + sudog_parent, x);
  mem.setPtr(y + sudog_prev, b);
  if (b !== 0) mem.setPtr(b + sudog_parent, y);
  mem.setPtr(x + sudog_parent, p);
  if (p === 0) mem.setPtr(root + semaRoot_treap, x);
  else if (mem.ptr(p + sudog_prev) === y) mem.setPtr(p + sudog_prev, x);
  else {
    if (mem.ptr(p + sudog_next) !== y) throw_("semaRoot rotateRight");
    mem.setPtr(p + sudog_next, x);
  }
}

/** The sudogs waiting on addr, in the order semrelease wakes them (tests and the debugger). */
export function semwaiters(rt: Runtime, addr: number): number[] {
  const mem = rt.mem;
  const out: number[] = [];
  for (let s = mem.ptr(semroot(rt, addr) + semaRoot_treap); s !== 0;) {
    if (mem.ptr(s + sudog_elem) === addr) {
      for (let t = s; t !== 0; t = mem.ptr(t + sudog_waitlink)) out.push(mem.ptr(t + sudog_g));
      break;
    }
    s = addr < mem.ptr(s + sudog_elem) ? mem.ptr(s + sudog_prev) : mem.ptr(s + sudog_next);
  }
  return out;
}

/** Declares the semaphore calls (the runtime's, and sync's linknamed ones). */
export function register(t: HostTable<Runtime>): void {
  // parkunlock_c: goparkunlock's unlock function: release the lock.
  parkunlock_c = defineUnlockf(t, "runtime.parkunlock_c", (rt, _h, _gp, l) => {
    unlock(rt, l);
    return true;
  });
  const acquire = (name: string, sigText: string, lifoArg: number): void => {
    const fn = t.define(name, sigText, (rt, h) => semacquire1(rt, h, h.arg(0), lifoArg >= 0 && h.arg(lifoArg) !== 0, parked), semLocals);
    const parked = t.resume(fn, "p", (rt, h) => semacquireParked(rt, h, h.arg(0), parked));
  };
  acquire("runtime.semacquire", "p", -1);
  acquire("sync.runtime_Semacquire", "p", -1);
  // sync.runtime_SemacquireMutex(addr *uint32, lifo bool, skipframes int)
  acquire("sync.runtime_SemacquireMutex", "p b p", 1);
  t.define("runtime.semrelease", "p", (rt, h) => semrelease1(rt, h, h.arg(0), false));
  // sync.runtime_Semrelease(addr *uint32, handoff bool, skipframes int)
  t.define("sync.runtime_Semrelease", "p b p", (rt, h) => semrelease1(rt, h, h.arg(0), h.arg(1) !== 0));
  t.define("runtime.goyield_m", "p", goyield_m);
}
