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
import { hex, throw_ } from "./panic.ts";
import type { Runtime } from "./rt.ts";
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

