// Goroutine stacks: stackalloc and stackfree, with per-P caches (stack.go).
//
// A stack is a power-of-two block of emulated memory [lo, hi). Small stacks
// — 2, 4, 8 and 16 KiB, orders 0 to _NumStackOrders-1 — come from three
// levels:
//
//   the P's cache   mcache.stackcache[order]: a free list threaded through
//                   the first word of each free stack, with its total size;
//   the global pool stackpool[order]: a list of 32 KiB stack spans that
//                   still have free stacks, each span keeping its own free
//                   list (mspan.manualFreeList) and count (allocCount);
//   the page heap   a new 32 KiB span (mheap.allocManual), cut into stacks.
//
// An empty cache is refilled with half of _StackCacheSize from the pool; a
// cache that has grown to _StackCacheSize gives half back. A pool span whose
// stacks are all free again goes back to the heap (we never run a GC, so
// the condition "gcphase == _GCoff" of Go always holds). Stacks of 32 KiB
// and more are spans of their own, freed straight back to the heap; stackLarge
// (free large spans by log2 of their pages) is kept because Go keeps it, but
// it only fills while a GC is running, which is never.
//
// Who asks matters, as in Go: stackalloc runs on the g0 stack (it throws
// otherwise), and uses the P's cache only if the M has a P and is not in a
// preemptoff section; otherwise it goes to the pool directly.
//
// Not modelled: stack poisoning on free, efence/stackFromSystem debug modes,
// race/msan/asan hooks.

import type { HostResult, HostTable } from "./bridge.ts";
import { lock, unlock } from "./lock_futex.ts";
import {
  mSpanList_getFirst, mSpanList_init, mSpanList_insert, mSpanList_isEmpty, mSpanList_remove, mheap_allocManual,
  mheap_freeManual, spanOfUnchecked,
} from "./mheap.ts";
import {
  g_goid, g_m, g_preempt, g_preemptShrink, g_preemptStop, g_sched, g_stack_hi, g_stack_lo, g_stackguard0, g_stktopsp,
  g_syscallsp, g_throwsplit, g_waiting, gclink_next, gobuf_bp, gobuf_ctxt, gobuf_g, gobuf_lr, gobuf_pc, gobuf_sp,
  m_curg, m_g0, m_gsignal, m_locks, m_morebuf, m_p, m_preemptoff, mSpanList__size, mcache_stackcache, mspan_allocCount, mspan_elemsize,
  mspan_manualFreeList, mspan_npages, mspan_startAddr, mspan_state, p_mcache, rtglobals_startingStackSize, stackLarge_free,
  stackLarge_lock, stackfreelist__size, stackfreelist_list, stackfreelist_size, stackpoolElem__size,
  stackpoolElem_item, stackpoolItem_mu, stackpoolItem_span, stringStruct_len, sudog_elem, sudog_waitlink,
} from "./offsets.ts";
import { SIG_P } from "./os_linux.ts";
import { hex, throw_ } from "./panic.ts";
import { canPreemptM } from "./preempt.ts";
import { casgstatus, gopreempt_m, readgstatus } from "./proc.ts";
import type { H, Runtime } from "./rt.ts";
import {
  _FixedStack, _GCoff, _Gcopystack, _Grunning, _NumStackOrders, _PageShift, _StackCacheSize, _StackGuard,
  mSpanManual, spanAllocStack, stackForceMove, stackFork, stackLargeT, stackPreempt,
} from "./runtime2.ts";

/** A stack's bounds, as Go's stack struct: [lo, hi). */
export interface stack {
  lo: number;
  hi: number;
}

const sfl_list = stackfreelist_list;
const sfl_size = stackfreelist_size;
const item_mu = stackpoolElem_item + stackpoolItem_mu;
const item_span = stackpoolElem_item + stackpoolItem_span;
const large_lock = stackLarge_lock;
const large_free = stackLarge_free;

/** Address of stackpool[order].item. */
function stackpoolMu(rt: Runtime, order: number): number {
  return rt.stackpool + order * stackpoolElem__size + item_mu;
}

function stackpoolSpans(rt: Runtime, order: number): number {
  return rt.stackpool + order * stackpoolElem__size + item_span;
}

function stackLargeFree(rt: Runtime, log2npage: number): number {
  return rt.stackLarge + large_free + log2npage * mSpanList__size;
}

/** Address of c.stackcache[order]. */
export function stackcacheOf(c: number, order: number): number {
  return c + mcache_stackcache + order * stackfreelist__size;
}

// stackinit
export function stackinit(rt: Runtime): void {
  if (_StackCacheSize & ((1 << _PageShift) - 1)) throw_("cache size must be a multiple of page size");
  for (let i = 0; i < _NumStackOrders; i++) {
    mSpanList_init(rt, stackpoolSpans(rt, i));
    rt.mem.setU64(stackpoolMu(rt, i), 0n);
  }
  const nlarge = stackLargeT.fields.free.size / mSpanList__size;
  for (let i = 0; i < nlarge; i++) mSpanList_init(rt, stackLargeFree(rt, i));
  rt.mem.setU64(rt.stackLarge + large_lock, 0n);
  rt.mem.setU32(rt.gvar(rtglobals_startingStackSize), _FixedStack);
}

// stacklog2: floor(log2(n)).
export function stacklog2(n: number): number {
  let log2 = 0;
  while (n > 1) {
    n = Math.floor(n / 2);
    log2++;
  }
  return log2;
}

// stackpoolalloc: a free stack of the given order from the global pool.
// stackpool[order].item.mu must be held.
export function stackpoolalloc(rt: Runtime, order: number): number {
  const mem = rt.mem;
  const list = stackpoolSpans(rt, order);
  let s = mSpanList_getFirst(rt, list);
  if (s === 0) {
    // No span with free stacks: get one from the heap and cut it up.
    s = mheap_allocManual(rt, _StackCacheSize >> _PageShift, spanAllocStack);
    if (s === 0) throw_("out of memory");
    if (mem.u16(s + mspan_allocCount) !== 0) throw_("bad allocCount");
    if (mem.ptr(s + mspan_manualFreeList) !== 0) throw_("bad manualFreeList");
    const elemsize = _FixedStack << order;
    mem.setPtr(s + mspan_elemsize, elemsize);
    const base = mem.ptr(s + mspan_startAddr);
    for (let i = 0; i < _StackCacheSize; i += elemsize) {
      const x = base + i;
      mem.setPtr(x + gclink_next, mem.ptr(s + mspan_manualFreeList));
      mem.setPtr(s + mspan_manualFreeList, x);
    }
    mSpanList_insert(rt, list, s);
  }
  const x = mem.ptr(s + mspan_manualFreeList);
  if (x === 0) throw_("span has no free stacks");
  mem.setPtr(s + mspan_manualFreeList, mem.ptr(x + gclink_next));
  mem.setU16(s + mspan_allocCount, mem.u16(s + mspan_allocCount) + 1);
  if (mem.ptr(s + mspan_manualFreeList) === 0) {
    // All stacks in s are allocated.
    mSpanList_remove(rt, list, s);
  }
  return x;
}

// stackpoolfree: returns stack x of the given order to the global pool.
// stackpool[order].item.mu must be held.
export function stackpoolfree(rt: Runtime, x: number, order: number): void {
  const mem = rt.mem;
  const s = spanOfUnchecked(rt, x);
  if (s === 0 || mem.u8(s + mspan_state) !== mSpanManual) throw_("freeing stack not in a stack span");
  const list = stackpoolSpans(rt, order);
  if (mem.ptr(s + mspan_manualFreeList) === 0) {
    // s will now have a free stack.
    mSpanList_insert(rt, list, s);
  }
  mem.setPtr(x + gclink_next, mem.ptr(s + mspan_manualFreeList));
  mem.setPtr(s + mspan_manualFreeList, x);
  const n = mem.u16(s + mspan_allocCount) - 1;
  mem.setU16(s + mspan_allocCount, n);
  if (rt.gcphase === _GCoff && n === 0) {
    // Every stack in s is free: give the span back to the heap.
    mSpanList_remove(rt, list, s);
    mem.setPtr(s + mspan_manualFreeList, 0);
    mheap_freeManual(rt, s, spanAllocStack);
  }
}

// stackcacherefill: moves _StackCacheSize/2 bytes of stacks from the global
// pool to c's cache.
export function stackcacherefill(rt: Runtime, c: number, order: number): void {
  const mem = rt.mem;
  let list = 0;
  let size = 0;
  lock(rt, stackpoolMu(rt, order));
  while (size < _StackCacheSize / 2) {
    const x = stackpoolalloc(rt, order);
    mem.setPtr(x + gclink_next, list);
    list = x;
    size += _FixedStack << order;
  }
  unlock(rt, stackpoolMu(rt, order));
  const sc = stackcacheOf(c, order);
  mem.setPtr(sc + sfl_list, list);
  mem.setPtr(sc + sfl_size, size);
}

// stackcacherelease: moves stacks from c's cache back to the global pool
// until the cache holds _StackCacheSize/2 bytes.
export function stackcacherelease(rt: Runtime, c: number, order: number): void {
  const mem = rt.mem;
  const sc = stackcacheOf(c, order);
  let x = mem.ptr(sc + sfl_list);
  let size = mem.ptr(sc + sfl_size);
  lock(rt, stackpoolMu(rt, order));
  while (size > _StackCacheSize / 2) {
    const y = mem.ptr(x + gclink_next);
    stackpoolfree(rt, x, order);
    x = y;
    size -= _FixedStack << order;
  }
  unlock(rt, stackpoolMu(rt, order));
  mem.setPtr(sc + sfl_list, x);
  mem.setPtr(sc + sfl_size, size);
}

// stackcache_clear: empties every order of c's cache into the pool.
export function stackcache_clear(rt: Runtime, c: number): void {
  const mem = rt.mem;
  for (let order = 0; order < _NumStackOrders; order++) {
    lock(rt, stackpoolMu(rt, order));
    const sc = stackcacheOf(c, order);
    let x = mem.ptr(sc + sfl_list);
    while (x !== 0) {
      const y = mem.ptr(x + gclink_next);
      stackpoolfree(rt, x, order);
      x = y;
    }
    mem.setPtr(sc + sfl_list, 0);
    mem.setPtr(sc + sfl_size, 0);
    unlock(rt, stackpoolMu(rt, order));
  }
}

/** The order of a small stack size n (2048 << order == n). */
function stackOrder(n: number): number {
  let order = 0;
  let n2 = n;
  while (n2 > _FixedStack) {
    order++;
    n2 = Math.floor(n2 / 2);
  }
  return order;
}

/** The mcache to use for stacks, or 0 to go to the pool directly. */
function stackCacheFor(rt: Runtime, gp: number): number {
  const mem = rt.mem;
  const mp = mem.ptr(gp + g_m);
  const pp = mem.ptr(mp + m_p);
  // m.preemptoff is a string; non-empty means its length is non-zero.
  if (pp === 0 || mem.ptr(mp + m_preemptoff + stringStruct_len) !== 0) return 0;
  return mem.ptr(pp + p_mcache);
}

// stackalloc: a stack of n bytes (a power of 2). Must run on g0.
export function stackalloc(rt: Runtime, n: number): stack {
  const mem = rt.mem;
  const thisg = rt.getg();
  if (thisg === 0 || thisg !== mem.ptr(mem.ptr(thisg + g_m) + m_g0)) throw_("stackalloc not on scheduler stack");
  if (!Number.isInteger(n) || n <= 0 || (n & (n - 1)) !== 0) throw_("stack size not a power of 2");

  let v: number;
  if (n < _FixedStack << _NumStackOrders && n < _StackCacheSize) {
    const order = stackOrder(n);
    const c = stackCacheFor(rt, thisg);
    let x: number;
    if (c === 0) {
      lock(rt, stackpoolMu(rt, order));
      x = stackpoolalloc(rt, order);
      unlock(rt, stackpoolMu(rt, order));
    } else {
      const sc = stackcacheOf(c, order);
      x = mem.ptr(sc + sfl_list);
      if (x === 0) {
        stackcacherefill(rt, c, order);
        x = mem.ptr(sc + sfl_list);
      }
      mem.setPtr(sc + sfl_list, mem.ptr(x + gclink_next));
      mem.setPtr(sc + sfl_size, mem.ptr(sc + sfl_size) - n);
    }
    v = x;
  } else {
    let s = 0;
    const npage = Math.floor(n / (1 << _PageShift));
    const log2npage = stacklog2(npage);

    // Try the cache of large stacks first.
    lock(rt, rt.stackLarge + large_lock);
    const fl = stackLargeFree(rt, log2npage);
    if (!mSpanList_isEmpty(rt, fl)) {
      s = mSpanList_getFirst(rt, fl);
      mSpanList_remove(rt, fl, s);
    }
    unlock(rt, rt.stackLarge + large_lock);

    if (s === 0) {
      s = mheap_allocManual(rt, npage, spanAllocStack);
      if (s === 0) throw_("out of memory");
      mem.setPtr(s + mspan_elemsize, n);
    }
    v = mem.ptr(s + mspan_startAddr);
  }
  return { lo: v, hi: v + n };
}

// stackfree: frees stk, which must be a stack stackalloc returned.
export function stackfree(rt: Runtime, stk: stack): void {
  const mem = rt.mem;
  const gp = rt.getg();
  const v = stk.lo;
  const n = stk.hi - stk.lo;
  if (n <= 0 || (n & (n - 1)) !== 0) throw_("stack not a power of 2");
  if (n < _FixedStack << _NumStackOrders && n < _StackCacheSize) {
    const order = stackOrder(n);
    const x = v;
    const c = gp === 0 ? 0 : stackCacheFor(rt, gp);
    if (c === 0) {
      lock(rt, stackpoolMu(rt, order));
      stackpoolfree(rt, x, order);
      unlock(rt, stackpoolMu(rt, order));
    } else {
      const sc = stackcacheOf(c, order);
      if (mem.ptr(sc + sfl_size) >= _StackCacheSize) stackcacherelease(rt, c, order);
      mem.setPtr(x + gclink_next, mem.ptr(sc + sfl_list));
      mem.setPtr(sc + sfl_list, x);
      mem.setPtr(sc + sfl_size, mem.ptr(sc + sfl_size) + n);
    }
  } else {
    const s = spanOfUnchecked(rt, v);
    if (s === 0 || mem.u8(s + mspan_state) !== mSpanManual) {
      throw_("bad span state", `${hex(s === 0 ? 0 : mem.ptr(s + mspan_startAddr))} ${hex(v)}`);
    }
    if (rt.gcphase === _GCoff) {
      // Free the stack immediately.
      mheap_freeManual(rt, s, spanAllocStack);
    } else {
      const log2npage = stacklog2(mem.ptr(s + mspan_npages));
      lock(rt, rt.stackLarge + large_lock);
      mSpanList_insert(rt, stackLargeFree(rt, log2npage), s);
      unlock(rt, rt.stackLarge + large_lock);
    }
  }
}

/** A g's stack, read from memory. */
export function gstack(rt: Runtime, gp: number): stack {
  return { lo: rt.mem.ptr(gp + g_stack_lo), hi: rt.mem.ptr(gp + g_stack_hi) };
}

/** Writes a g's stack bounds. */
export function setgstack(rt: Runtime, gp: number, stk: stack): void {
  rt.mem.setPtr(gp + g_stack_lo, stk.lo);
  rt.mem.setPtr(gp + g_stack_hi, stk.hi);
}

// --- stack growth: newstack and copystack ----------------------------------------
//
// A goroutine starts on a small stack (_StackMin, 2 KiB). Every function
// that is not NOSPLIT opens with the stack-split check the assembler
// inserts: it compares SP (less the frame, for big frames) with
// g.stackguard0 and, when it is too low, calls morestack before touching
// its frame. morestack (asm_amd64.s) records the function, stopped in its
// prologue, in g.sched, and its caller in m.morebuf, moves to g0 and calls
// runtime.newstack, the host function here. newstack never returns: it
// ends by resuming the goroutine with gogo(&gp.sched), which re-runs the
// prologue, now on a stack with room, or by scheduling something else.
//
// The guard is low for one of two reasons, and newstack tells them apart as
// Go does, by the guard's value alone:
//
//   stackPreempt  the scheduler asked the goroutine to stop (preemptone
//                 sets it so that the next prologue fails). If the M may
//                 be preempted (canPreemptM), the goroutine behaves as if
//                 it had called Gosched (gopreempt_m): running → runnable,
//                 onto the global queue, schedule. Otherwise the guard is
//                 restored and it runs on; gp.preempt stays set, so the
//                 next check-in catches it.
//   anything else the stack really is short: allocate one twice as big
//                 (more if the failing function's frame needs it), copy,
//                 and resume.
//
// copystack moves the used part of the stack, [sched.sp, hi), to the top
// of the new one, so every address in it moves by delta = new.hi - old.hi.
// What points into the stack must move with it:
//
//   g.sched.sp, g.sched.bp, g.sched.ctxt  (adjustctxt)
//   the frame-pointer chain               (adjustframe's saved BP): from
//                                         sched.bp, each frame's saved BP
//                                         slot holds the caller's BP
//   sudog.elem of g.waiting               (adjustsudogs)
//   suspended host frames                 a generator's frame on this stack
//                                         (runtime.main waiting for main.main
//                                         to return) moves with it
//                                         (Bridge.moveFrames); a resume
//                                         point's frame is found from SP
//   pointers to locals in frames          see below
//
// The one real departure from Go is the last line. Go adjusts pointers in
// frames precisely, with the compiler's stack maps (adjustpointers walks
// each frame's locals and arguments bitmap). Our programs are assembly,
// which has no stack maps, so we adjust conservatively: after the precise
// passes, every 8-byte word of the copied region whose value lies in
// [old.lo, old.hi) is taken for a pointer into the stack and moved. Return
// addresses (text or host addresses) never fall in that range, and neither
// do frame pointers already moved. The risk is an integer that happens to
// equal an address in the old stack; with stacks in the heap arena at
// 0xc000000000 and up, that needs a value of about 2^39 within a window of
// the stack's size. programs/deeprec.s keeps a pointer to a local of an
// outer frame in every frame's arguments across growth, and a pointer to
// its own local across the call that grows, to show both being moved.
//
// funcMaxSPDelta is not available (no pcsp tables): the frame size that
// the assembler settled on for the function at gp.sched.pc (the linked
// image's `frame`) stands in for it when sizing the new stack.
//
// Not modelled: shrinkstack (no GC calls it), preemptPark (preemptStop is
// only set by the GC's suspendG), stack poisoning and stackDebug prints,
// racy channel sudogs (activeStackChans: a goroutine that grows is
// running, so it is not parked on a channel).

/** Go's maxstackceiling: twice the default maxstacksize. */
const maxstackceiling = 2_000_000_000;

// newstack: on g0, from morestack. Grows gp's stack or acts on a preemption
// request; ends in gogo or schedule, never returns.
function newstack(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const st = rt.stats.newstack;
  st.newstack++;
  const thisg = rt.getg();
  const mp = mem.ptr(thisg + g_m);
  if (thisg !== mem.ptr(mp + m_g0)) throw_("runtime: newstack not on g0");
  const morebuf = mp + m_morebuf;
  const morebufg = mem.ptr(morebuf + gobuf_g);
  if (morebufg !== 0 && mem.u64(morebufg + g_stackguard0) === stackFork) throw_("stack growth after fork");
  const curg = mem.ptr(mp + m_curg);
  if (morebufg !== curg) {
    throw_("runtime: wrong goroutine in newstack",
      `runtime: newstack called from g=${hex(morebufg)}`,
      `\tm=${hex(mp)} m->curg=${hex(curg)} m->g0=${hex(mem.ptr(mp + m_g0))} m->gsignal=${hex(mem.ptr(mp + m_gsignal))}`);
  }
  const gp = curg;
  if (mem.u8(gp + g_throwsplit) !== 0) {
    throw_("runtime: stack split at bad time",
      `runtime: newstack sp=${hex(mem.ptr(gp + g_sched + gobuf_sp))} stack=[${hex(mem.ptr(gp + g_stack_lo))}, ${hex(mem.ptr(gp + g_stack_hi))}]`,
      `\tmorebuf={pc:${hex(mem.ptr(morebuf + gobuf_pc))} sp:${hex(mem.ptr(morebuf + gobuf_sp))} lr:${hex(mem.ptr(morebuf + gobuf_lr))}}`,
      `\tsched={pc:${hex(mem.ptr(gp + g_sched + gobuf_pc))} sp:${hex(mem.ptr(gp + g_sched + gobuf_sp))} lr:${hex(mem.ptr(gp + g_sched + gobuf_lr))} ctxt:${hex(mem.ptr(gp + g_sched + gobuf_ctxt))}}`);
  }
  // morebuf has served (it is for tracebacks of the failure); clear it.
  mem.setPtr(morebuf + gobuf_pc, 0);
  mem.setPtr(morebuf + gobuf_lr, 0);
  mem.setPtr(morebuf + gobuf_sp, 0);
  mem.setPtr(morebuf + gobuf_g, 0);

  const stackguard0 = mem.u64(gp + g_stackguard0);
  const preempt = stackguard0 === stackPreempt;
  const lo = mem.ptr(gp + g_stack_lo), hi = mem.ptr(gp + g_stack_hi);
  if (preempt && !canPreemptM(rt, mp)) {
    // Not now: let it run on; gp.preempt is still set for the next check-in.
    st.preemptDeferred++;
    mem.setPtr(gp + g_stackguard0, lo + _StackGuard);
    return h.jump(rt.asm.gogo, SIG_P, gp + g_sched);
  }
  if (lo === 0) throw_("missing stack in newstack");
  // The CALL to morestack cost a word below the function's SP.
  const sp = mem.ptr(gp + g_sched + gobuf_sp) - 8;
  if (sp < lo) {
    throw_("runtime: split stack overflow",
      `runtime: gp=${hex(gp)}, goid=${mem.int(gp + g_goid)}, gp->status=${hex(readgstatus(rt, gp))}`,
      ` runtime: split stack overflow: ${hex(sp)} < ${hex(lo)}`);
  }

  if (preempt) {
    if (gp === mem.ptr(mp + m_g0)) throw_("runtime: preempt g0");
    if (mem.ptr(mp + m_p) === 0 && mem.i32(mp + m_locks) === 0) throw_("runtime: g is running but p is not set");
    // shrinkstack is the GC's; without one nothing sets preemptShrink.
    mem.setU8(gp + g_preemptShrink, 0);
    if (mem.u8(gp + g_preemptStop) !== 0) throw_("newstack: preemptStop set, but preemptPark is not modelled (no GC to suspend goroutines)");
    // gopreempt_m: as if gp had called Gosched. The request is consumed
    // here (execute would reset both again when gp next runs).
    st.preempt++;
    mem.setPtr(gp + g_stackguard0, lo + _StackGuard);
    mem.setU8(gp + g_preempt, 0);
    return gopreempt_m(rt, h, gp);
  }

  // Grow: twice the size, and more until the failing function's frame fits
  // with _StackGuard to spare above the part already used.
  const oldsize = hi - lo;
  let newsize = oldsize * 2;
  const frame = rt.image.symAt(mem.ptr(gp + g_sched + gobuf_pc))?.frame;
  if (frame !== undefined) {
    const needed = frame + _StackGuard;
    const used = hi - mem.ptr(gp + g_sched + gobuf_sp);
    while (newsize - used < needed) newsize *= 2;
  }
  if (stackguard0 === stackForceMove) newsize = oldsize; // a debug mode of Go's: move without growing
  if (newsize > rt.maxstacksize || newsize > maxstackceiling) {
    const limit = rt.maxstacksize < maxstackceiling ? rt.maxstacksize : maxstackceiling;
    throw_("stack overflow",
      `runtime: goroutine stack exceeds ${limit}-byte limit`,
      `runtime: sp=${hex(sp)} stack=[${hex(lo)}, ${hex(hi)}]`);
  }
  casgstatus(rt, gp, _Grunning, _Gcopystack);
  copystack(rt, gp, newsize);
  casgstatus(rt, gp, _Gcopystack, _Grunning);
  return h.jump(rt.asm.gogo, SIG_P, gp + g_sched);
}

// copystack: moves gp's stack to a new one of newsize bytes, adjusting
// every pointer into the old one (see above), and frees the old.
export function copystack(rt: Runtime, gp: number, newsize: number): void {
  const mem = rt.mem;
  const st = rt.stats.newstack;
  if (mem.ptr(gp + g_syscallsp) !== 0) throw_("stack growth not allowed in system call");
  const old = gstack(rt, gp);
  if (old.lo === 0) throw_("nil stackbase");
  const schedsp = mem.ptr(gp + g_sched + gobuf_sp);
  if (schedsp < old.lo || schedsp > old.hi) {
    throw_("copystack: sched.sp outside the stack", `runtime: copystack: sp=${hex(schedsp)} stack=[${hex(old.lo)}, ${hex(old.hi)}]`);
  }
  const used = old.hi - schedsp;
  const nw: stack = stackalloc(rt, newsize);
  const delta = nw.hi - old.hi;
  const inOld = (p: number): boolean => p >= old.lo && p < old.hi;

  // The used part, read once; the pointer passes work on this copy (in the
  // old stack's coordinates) and it is written to the new stack at the end.
  const buf = mem.bytes(schedsp, used);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const word = (addr: number): number => {
    const i = addr - schedsp;
    return dv.getUint32(i + 4, true) * 0x1_0000_0000 + dv.getUint32(i, true);
  };
  const setWord = (addr: number, v: number): void => {
    const i = addr - schedsp;
    dv.setUint32(i, v % 0x1_0000_0000, true);
    dv.setUint32(i + 4, Math.floor(v / 0x1_0000_0000), true);
  };
  const moved = new Set<number>();

  // adjustsudogs: channel operations in flight point at stack slots.
  for (let sg = mem.ptr(gp + g_waiting); sg !== 0; sg = mem.ptr(sg + sudog_waitlink)) {
    const elem = mem.ptr(sg + sudog_elem);
    if (inOld(elem)) {
      mem.setPtr(sg + sudog_elem, elem + delta);
      st.sudogs++;
    }
  }

  // adjustctxt: the gobuf's pointers.
  const sched_ = gp + g_sched;
  const ctxt = mem.ptr(sched_ + gobuf_ctxt);
  if (inOld(ctxt)) mem.setPtr(sched_ + gobuf_ctxt, ctxt + delta);
  const bp0 = mem.ptr(sched_ + gobuf_bp);
  if (bp0 !== 0 && inOld(bp0)) mem.setPtr(sched_ + gobuf_bp, bp0 + delta);

  // adjustframe's saved frame pointers: walk the chain from sched.bp. Each
  // BP points at its frame's saved-BP slot, which holds the caller's BP.
  let fpslots = 0;
  for (let bp = bp0; bp >= schedsp && bp + 8 <= old.hi && bp % 8 === 0; ) {
    const saved = word(bp);
    if (!inOld(saved)) break; // the outermost frame (0) or a frame not on this stack
    if (saved <= bp) throw_("copystack: frame-pointer chain goes down the stack", `runtime: copystack: bp=${hex(bp)} saved bp=${hex(saved)}`);
    setWord(bp, saved + delta);
    moved.add(bp);
    fpslots++;
    bp = saved;
  }

  // adjustpointers, conservatively: any other word that looks like a pointer into the old stack.
  let cons = 0;
  for (let a = Math.ceil(schedsp / 8) * 8; a + 8 <= old.hi; a += 8) {
    if (moved.has(a)) continue;
    const v = word(a);
    if (inOld(v)) {
      setWord(a, v + delta);
      cons++;
    }
  }

  mem.setBytes(nw.hi - used, buf);

  // Generators of host functions suspended on this stack (runtime.main waiting on main.main).
  const hostFrames = rt.bridge.moveFrames(old.lo, old.hi, delta);

  setgstack(rt, gp, nw);
  // The new guard, unless a preemption request is pending (Go's copystack
  // clobbers it; a pending request would then wait for the next one).
  if (mem.u64(gp + g_stackguard0) !== stackPreempt) mem.setPtr(gp + g_stackguard0, nw.lo + _StackGuard);
  mem.setPtr(sched_ + gobuf_sp, nw.hi - used);
  const stktop = mem.ptr(gp + g_stktopsp);
  if (inOld(stktop)) mem.setPtr(gp + g_stktopsp, stktop + delta);

  if (rt.opts.poisonCopy) mem.setBytes(old.lo, new Uint8Array(old.hi - old.lo).fill(0xfc));
  stackfree(rt, old);

  st.copystack++;
  st.bytesCopied += used;
  st.maxStackSize = Math.max(st.maxStackSize, newsize);
  if (st.sizes.length < 64) st.sizes.push(newsize);
  st.framePointers += fpslots;
  st.conservative += cons;
  st.hostFrames += hostFrames;
}

/** Declares runtime.newstack, the host function morestack calls on g0. */
export function register(t: HostTable<Runtime>): void {
  t.define("runtime.newstack", "", newstack);
}
