// The memory allocator: mallocgc over per-P caches of size-class spans.
//
// Go's allocator in three levels, as in malloc.go: an allocation up to 32 KiB
// is rounded up to its size class (sizeclasses.ts) and taken from the span
// the P's mcache holds for that class (mcache.alloc[spanClass]); when that
// span is full, refill swaps in a fresh span from the page heap (mheap.ts);
// bigger allocations get a span of their own (allocLarge). Objects are
// handed out in address order within a span, so addresses come out as Go's
// would for the same sequence of allocations.
//
// There is no garbage collector: nothing is ever freed, so a span is full
// for good once its last object is handed out, and the mcentral level (which
// exists to hold partly-free swept spans) reduces to "ask the heap for a new
// span". With nothing freed, a span's allocation bitmap would stay all-free,
// so freeindex alone says which object is next: that is nextFreeFast's answer
// for a fresh span, without the bitmap.
//
// mallocgc returns zeroed memory when needzero is set: fresh heap memory is
// already zero (it was mapped zero and never used), and pages that held a
// freed stack before are cleared (span.needzero), as in Go.
//
// Not modelled: the tiny allocator (small pointer-free objects share 16-byte
// blocks in Go; here each gets its own slot of its size class), heap bitmaps,
// profiling samples, GC assists.

import { _PageMask, _PageSize, maxSmallSize, numSpanClasses, pageShift } from "./runtime2.ts";
import {
  class_to_allocnpages, class_to_size, makeSpanClass, sizeToClass, spanClassSizeclass,
} from "./sizeclasses.ts";
import { cacheallocOf, fixalloc_alloc, heapSweepgen, mheap_alloc, mheap_init } from "./mheap.ts";
import {
  _type_ptrdata, g_m, m_gsignal, m_mallocing, m_p, mcache_alloc, mcache_flushGen, mspan__size, mspan_allocCount,
  mspan_elemsize, mspan_freeIndexForScan, mspan_freeindex, mspan_limit, mspan_needzero, mspan_nelems,
  mspan_startAddr, mspan_sweepgen, p_mcache, rtglobals_mcache0,
} from "./offsets.ts";
import { lock, unlock } from "./lock_futex.ts";
import { throw_ } from "./panic.ts";
import type { HostTable } from "./bridge.ts";
import type { Runtime } from "./rt.ts";

export { persistentalloc } from "./rt.ts";

const type_ptrdata = _type_ptrdata;

// mallocinit: the heap, the empty span, and mcache0 for bootstrapping.
export function mallocinit(rt: Runtime): void {
  if (_PageSize !== 1 << pageShift) throw_("mallocinit: page size");
  mheap_init(rt);
  // emptymspan is all zeros: no elements, nothing allocated.
  rt.mem.zero(rt.emptymspan, mspan__size);
  rt.mem.setPtr(rt.gvar(rtglobals_mcache0), allocmcache(rt));
}

// allocmcache
export function allocmcache(rt: Runtime): number {
  lock(rt, rt.mheap_);
  const c = fixalloc_alloc(rt, cacheallocOf(rt));
  rt.mem.setU32(c + mcache_flushGen, heapSweepgen(rt));
  unlock(rt, rt.mheap_);
  for (let i = 0; i < numSpanClasses; i++) rt.mem.setPtr(c + mcache_alloc + 8 * i, rt.emptymspan);
  return c;
}

// getMCache: the mcache of mp's P, or mcache0 while bootstrapping (no P yet).
export function getMCache(rt: Runtime, mp: number): number {
  const pp = mp === 0 ? 0 : rt.mem.ptr(mp + m_p);
  return pp === 0 ? rt.mcache0 : rt.mem.ptr(pp + p_mcache);
}

// (*mcache).refill: replaces c's full span of class spc with one with free space.
export function mcache_refill(rt: Runtime, c: number, spc: number): void {
  const mem = rt.mem;
  const slot = c + mcache_alloc + 8 * spc;
  const s = mem.ptr(slot);
  if (mem.u16(s + mspan_allocCount) !== mem.ptr(s + mspan_nelems)) {
    throw_("refill of span with free space remaining");
  }
  // The full span is not given back anywhere: without a GC it stays full.
  const ns = mcentral_grow(rt, spc);
  if (mem.u16(ns + mspan_allocCount) === mem.ptr(ns + mspan_nelems)) throw_("span has no free space");
  mem.setU32(ns + mspan_sweepgen, heapSweepgen(rt) + 3);
  mem.setPtr(slot, ns);
}

// (*mcentral).grow: a fresh span for class spc.
function mcentral_grow(rt: Runtime, spc: number): number {
  const sizeclass = spanClassSizeclass(spc);
  const npages = class_to_allocnpages[sizeclass]!;
  const size = class_to_size[sizeclass]!;
  const s = mheap_alloc(rt, npages, spc);
  const n = Math.floor((npages << pageShift) / size);
  rt.mem.setPtr(s + mspan_limit, rt.mem.ptr(s + mspan_startAddr) + size * n);
  return s;
}

// (*mcache).nextFree: the next free object of class spc, refilling if the
// cached span is full. Returns the object and the span it is in.
export function mcache_nextFree(rt: Runtime, c: number, spc: number): { v: number; span: number } {
  const mem = rt.mem;
  let s = mem.ptr(c + mcache_alloc + 8 * spc);
  let freeindex = mem.ptr(s + mspan_freeindex);
  if (freeindex === mem.ptr(s + mspan_nelems)) {
    mcache_refill(rt, c, spc);
    s = mem.ptr(c + mcache_alloc + 8 * spc);
    freeindex = mem.ptr(s + mspan_freeindex);
  }
  const v = mem.ptr(s + mspan_startAddr) + freeindex * mem.ptr(s + mspan_elemsize);
  mem.setPtr(s + mspan_freeindex, freeindex + 1);
  mem.setU16(s + mspan_allocCount, mem.u16(s + mspan_allocCount) + 1);
  return { v, span: s };
}

// (*mcache).allocLarge: a span of its own for an object over 32 KiB.
export function mcache_allocLarge(rt: Runtime, _c: number, size: number, noscan: boolean): number {
  let npages = Math.floor(size / _PageSize);
  if (size & _PageMask) npages++;
  const s = mheap_alloc(rt, npages, makeSpanClass(0, noscan));
  rt.mem.setPtr(s + mspan_limit, rt.mem.ptr(s + mspan_startAddr) + size);
  return s;
}

// mallocgc: size bytes of memory, zeroed if needzero. typ is the address of
// the object's _type, or 0 for memory without pointers.
export function mallocgc(rt: Runtime, size: number, typ: number, needzero: boolean): number {
  if (size === 0) return rt.zerobase;
  if (!Number.isSafeInteger(size) || size < 0) throw_("mallocgc: bad size");
  const mem = rt.mem;

  // acquirem
  const gp = rt.getg();
  const mp = gp === 0 ? 0 : mem.ptr(gp + g_m);
  if (mp !== 0) {
    if (mem.u32(mp + m_mallocing) !== 0) throw_("malloc deadlock");
    if (mem.ptr(mp + m_gsignal) === gp) throw_("malloc during signal");
    mem.setU32(mp + m_mallocing, 1);
  }

  const c = getMCache(rt, mp);
  if (c === 0) throw_("mallocgc called without a P or outside bootstrapping");
  const noscan = typ === 0 || mem.ptr(typ + type_ptrdata) === 0;
  let x: number;
  let span: number;
  if (size <= maxSmallSize) {
    const sizeclass = sizeToClass(size);
    size = class_to_size[sizeclass]!;
    const spc = makeSpanClass(sizeclass, noscan);
    ({ v: x, span } = mcache_nextFree(rt, c, spc));
    if (needzero && mem.u8(span + mspan_needzero) !== 0) mem.zero(x, size);
  } else {
    span = mcache_allocLarge(rt, c, size, noscan);
    mem.setPtr(span + mspan_freeindex, 1);
    mem.setU16(span + mspan_allocCount, 1);
    size = mem.ptr(span + mspan_elemsize);
    x = mem.ptr(span + mspan_startAddr);
    if (needzero && mem.u8(span + mspan_needzero) !== 0) mem.zero(x, size);
  }
  mem.setPtr(span + mspan_freeIndexForScan, mem.ptr(span + mspan_freeindex));

  // releasem
  if (mp !== 0) mem.setU32(mp + m_mallocing, 0);
  return x;
}

/** Declares runtime.mallocgc for programs (size, typ, needzero). */
export function register(t: HostTable<Runtime>): void {
  t.define("runtime.mallocgc", "p p p : p", (rt, h) => { h.ret(0, mallocgc(rt, h.arg(0), h.arg(1), (h.arg(2) & 0xff) !== 0)); });
}
