// The page heap: spans of 8 KiB pages carved from the heap arena, for
// mallocgc's size-class spans and for goroutine stacks.
//
// Go's mheap hands out runs of pages as mspans. A span is in use by the heap
// (one size class; mallocgc hands out its objects), manual (a stack span: the
// stack allocator manages its objects itself), or free. The heap grows upward
// from the arena base (0xc000000000 as on linux/amd64), reserving one 64 MiB
// arena at a time; every arena has a table mapping each of its pages to the
// span that owns it (heapArena.spans), which is how stackfree finds the span
// of a stack from its address (spanOfUnchecked).
//
// Everything is in emulated memory: the mheap state, the mspans (from a
// fixalloc, as in Go), the per-arena span tables. Only the base and limit of
// the heap's address range are constants of the Runtime.
//
// Ours is simpler than Go's in one place: free pages. Go 1.19 tracks them in
// a radix tree of bitmaps (pageAlloc) and frees the mspan record. We keep
// every free run of pages as an mspan in state mSpanDead on one list, `free`,
// allocate first fit, and coalesce a freed span with free neighbours found
// through the span tables. For that to work, the first and last page of every
// free run, and every page of an in-use span, point to their span (interior
// pages of a free run may point anywhere; nothing reads them). Memory fresh
// from the arena is zero (needzero = 0); reused pages may hold old data
// (needzero = 1), and mallocgc clears them, as in Go.
//
// The mheap layout is ours (Go's is 92 KB of page-allocator state that no
// assembly reads); mspan and mSpanList are Go's.
//
// The heap is mapped into the engine lazily, in 256 KiB steps, as it grows:
// mapping whole 64 MiB arenas would cost 64 MiB of host memory per arena and
// per snapshot.

import { PROT_READ, PROT_WRITE } from "../engine/engine.ts";
import { _FixAllocChunk, heapArenaBytes, maxArenasCap, mSpanDead, mSpanInUse, mSpanManual, pageSize, pagesPerArena, spanAllocHeap } from "./runtime2.ts";
import {
  fixalloc_chunk, fixalloc_inuse, fixalloc_list, fixalloc_nalloc, fixalloc_nchunk, fixalloc_size, mSpanList_first as list_first,
  mSpanList_last as list_last, mcache__size, mheap_arenas, mheap_cachealloc, mheap_curArenaBase, mheap_curArenaEnd,
  mheap_free, mheap_lock, mheap_mapped, mheap_pagesInUse, mheap_spanalloc, mheap_sweepgen, mspan__size,
  mspan_allocCache, mspan_allocCount, mspan_divMul, mspan_elemsize, mspan_freeIndexForScan, mspan_freeindex,
  mspan_limit, mspan_list, mspan_manualFreeList, mspan_needzero, mspan_nelems, mspan_next, mspan_npages,
  mspan_prev, mspan_spanclass, mspan_startAddr, mspan_state, mspan_sweepgen,
} from "./offsets.ts";
import { class_to_divmagic, class_to_size, spanClassSizeclass } from "./sizeclasses.ts";
import { lock, unlock } from "./lock_futex.ts";
import { hex, throw_ } from "./panic.ts";
import { alignUp, persistentalloc, type Runtime } from "./rt.ts";

const heapMapChunk = 256 << 10;


// --- fixalloc ------------------------------------------------------------------

// (*fixalloc).init
export function fixalloc_init(rt: Runtime, f: number, size: number): void {
  const mem = rt.mem;
  mem.setPtr(f + fixalloc_size, size);
  mem.setPtr(f + fixalloc_list, 0);
  mem.setPtr(f + fixalloc_chunk, 0);
  mem.setU32(f + fixalloc_nchunk, 0);
  mem.setU32(f + fixalloc_nalloc, Math.floor(_FixAllocChunk / size) * size);
  mem.setPtr(f + fixalloc_inuse, 0);
}

// (*fixalloc).alloc (zeroing, as Go's fixallocs for mspan and mcache do)
export function fixalloc_alloc(rt: Runtime, f: number): number {
  const mem = rt.mem;
  const size = mem.ptr(f + fixalloc_size);
  if (size === 0) throw_("runtime: use of FixAlloc_Alloc before FixAlloc_Init\n");
  const inuse = mem.ptr(f + fixalloc_inuse);
  const list = mem.ptr(f + fixalloc_list);
  if (list !== 0) {
    mem.setPtr(f + fixalloc_list, mem.ptr(list));
    mem.setPtr(f + fixalloc_inuse, inuse + size);
    mem.zero(list, size);
    return list;
  }
  if (mem.u32(f + fixalloc_nchunk) < size) {
    const nalloc = mem.u32(f + fixalloc_nalloc);
    mem.setPtr(f + fixalloc_chunk, persistentalloc(rt, nalloc, 0));
    mem.setU32(f + fixalloc_nchunk, nalloc);
  }
  const v = mem.ptr(f + fixalloc_chunk);
  mem.setPtr(f + fixalloc_chunk, v + size);
  mem.setU32(f + fixalloc_nchunk, mem.u32(f + fixalloc_nchunk) - size);
  mem.setPtr(f + fixalloc_inuse, inuse + size);
  return v;
}

// (*fixalloc).free
export function fixalloc_free(rt: Runtime, f: number, p: number): void {
  const mem = rt.mem;
  mem.setPtr(f + fixalloc_inuse, mem.ptr(f + fixalloc_inuse) - mem.ptr(f + fixalloc_size));
  mem.setPtr(p, mem.ptr(f + fixalloc_list));
  mem.setPtr(f + fixalloc_list, p);
}

// --- mSpanList -------------------------------------------------------------------

// (*mSpanList).init
export function mSpanList_init(rt: Runtime, list: number): void {
  rt.mem.setPtr(list + list_first, 0);
  rt.mem.setPtr(list + list_last, 0);
}

// (*mSpanList).isEmpty
export function mSpanList_isEmpty(rt: Runtime, list: number): boolean {
  return rt.mem.ptr(list + list_first) === 0;
}

export function mSpanList_getFirst(rt: Runtime, list: number): number {
  return rt.mem.ptr(list + list_first);
}

// (*mSpanList).insert: span at the front.
export function mSpanList_insert(rt: Runtime, list: number, span: number): void {
  const mem = rt.mem;
  const next = mem.ptr(span + mspan_next), prev = mem.ptr(span + mspan_prev), l = mem.ptr(span + mspan_list);
  if (next !== 0 || prev !== 0 || l !== 0) {
    throw_("mSpanList.insert", `runtime: failed mSpanList.insert ${hex(span)} ${hex(next)} ${hex(prev)} ${hex(l)}`);
  }
  const first = mem.ptr(list + list_first);
  mem.setPtr(span + mspan_next, first);
  if (first !== 0) mem.setPtr(first + mspan_prev, span);
  else mem.setPtr(list + list_last, span);
  mem.setPtr(list + list_first, span);
  mem.setPtr(span + mspan_list, list);
}

// (*mSpanList).remove
export function mSpanList_remove(rt: Runtime, list: number, span: number): void {
  const mem = rt.mem;
  if (mem.ptr(span + mspan_list) !== list) {
    throw_("mSpanList.remove", `runtime: failed mSpanList.remove span.npages=${mem.ptr(span + mspan_npages)} span=${hex(span)} prev=${hex(mem.ptr(span + mspan_prev))} span.list=${hex(mem.ptr(span + mspan_list))} list=${hex(list)}`);
  }
  const next = mem.ptr(span + mspan_next), prev = mem.ptr(span + mspan_prev);
  if (mem.ptr(list + list_first) === span) mem.setPtr(list + list_first, next);
  else mem.setPtr(prev + mspan_next, next);
  if (mem.ptr(list + list_last) === span) mem.setPtr(list + list_last, prev);
  else mem.setPtr(next + mspan_prev, prev);
  mem.setPtr(span + mspan_next, 0);
  mem.setPtr(span + mspan_prev, 0);
  mem.setPtr(span + mspan_list, 0);
}

// --- spans -----------------------------------------------------------------------

// (*mspan).base
export function spanBase(rt: Runtime, s: number): number {
  return rt.mem.ptr(s + mspan_startAddr);
}

// (*mspan).init
function span_init(rt: Runtime, s: number, base: number, npages: number): void {
  // A span record comes zeroed from fixalloc or is re-initialised here.
  rt.mem.zero(s, mspan__size);
  rt.mem.setPtr(s + mspan_startAddr, base);
  rt.mem.setPtr(s + mspan_npages, npages);
  rt.mem.setU8(s + mspan_state, mSpanDead);
}

/** The heapArena table of the arena holding p, or 0. */
function arenaOf(rt: Runtime, p: number): number {
  if (p < rt.heapBase || p >= rt.heapLimit) return 0;
  const ai = Math.floor((p - rt.heapBase) / heapArenaBytes);
  return rt.mem.ptr(rt.mheap_ + mheap_arenas + 8 * ai);
}

// spanOf: the span containing p, or 0 if p is outside the heap's reserved arenas.
export function spanOf(rt: Runtime, p: number): number {
  const ha = arenaOf(rt, p);
  if (ha === 0) return 0;
  const page = Math.floor(((p - rt.heapBase) % heapArenaBytes) / pageSize);
  return rt.mem.ptr(ha + 8 * page);
}

// spanOfUnchecked: the span containing p, which must be in an allocated span.
export function spanOfUnchecked(rt: Runtime, p: number): number {
  return spanOf(rt, p);
}

function setSpan(rt: Runtime, p: number, s: number): void {
  const ha = arenaOf(rt, p);
  if (ha === 0) throw_("setSpan: address outside the heap arenas");
  const page = Math.floor(((p - rt.heapBase) % heapArenaBytes) / pageSize);
  rt.mem.setPtr(ha + 8 * page, s);
}

// (*mheap).setSpans
function setSpans(rt: Runtime, base: number, npages: number, s: number): void {
  for (let i = 0; i < npages; i++) setSpan(rt, base + i * pageSize, s);
}

// --- the heap ------------------------------------------------------------------------

// (*mheap).init
export function mheap_init(rt: Runtime): void {
  const h = rt.mheap_;
  const mem = rt.mem;
  if (rt.maxArenas > maxArenasCap) throw_("mheap: too many arenas");
  fixalloc_init(rt, h + mheap_spanalloc, mspan__size);
  fixalloc_init(rt, h + mheap_cachealloc, mcache__size);
  mSpanList_init(rt, h + mheap_free);
  mem.setPtr(h + mheap_curArenaBase, rt.heapBase);
  mem.setPtr(h + mheap_curArenaEnd, rt.heapBase);
  mem.setPtr(h + mheap_mapped, rt.heapBase);
}

/** The address of mheap_.cachealloc, the fixalloc of mcaches. */
export function cacheallocOf(rt: Runtime): number {
  return rt.mheap_ + mheap_cachealloc;
}

export function heapSweepgen(rt: Runtime): number {
  return rt.mem.u32(rt.mheap_ + mheap_sweepgen);
}

export function heapPagesInUse(rt: Runtime): number {
  return rt.mem.ptr(rt.mheap_ + mheap_pagesInUse);
}

// (*mheap).grow: hands out npage fresh pages from the current arena,
// reserving (and indexing) new arenas and mapping memory as needed.
function mheap_grow(rt: Runtime, npage: number): number {
  const mem = rt.mem;
  const h = rt.mheap_;
  const ask = npage * pageSize;
  const base = mem.ptr(h + mheap_curArenaBase);
  let end = mem.ptr(h + mheap_curArenaEnd);
  const nbase = base + ask;
  while (nbase > end) {
    if (end + heapArenaBytes > rt.heapLimit) {
      throw_("out of memory", `runtime: out of memory: cannot allocate ${ask}-byte block (heap limit ${hex(rt.heapLimit)})`);
    }
    // Reserve the next arena: its span table.
    const ai = (end - rt.heapBase) / heapArenaBytes;
    const table = persistentalloc(rt, 8 * pagesPerArena, 8);
    mem.setPtr(h + mheap_arenas + 8 * ai, table);
    end += heapArenaBytes;
    mem.setPtr(h + mheap_curArenaEnd, end);
  }
  mem.setPtr(h + mheap_curArenaBase, nbase);
  const mapped = mem.ptr(h + mheap_mapped);
  if (nbase > mapped) {
    const nmapped = Math.min(alignUp(nbase, heapMapChunk), end);
    rt.engine.map(mapped, nmapped - mapped, PROT_READ | PROT_WRITE);
    mem.setPtr(h + mheap_mapped, nmapped);
  }
  return base;
}

// (*mheap).allocSpan: npages pages as a span of type typ (spanAllocHeap with a
// span class, or a manual type), from a free run if one fits, else fresh.
function mheap_allocSpan(rt: Runtime, npages: number, typ: number, spanclass: number): number {
  const mem = rt.mem;
  const h = rt.mheap_;
  const free = h + mheap_free;
  lock(rt, h + mheap_lock);
  let base = 0;
  let needzero = 0;
  for (let r = mSpanList_getFirst(rt, free); r !== 0; r = mem.ptr(r + mspan_next)) {
    const n = mem.ptr(r + mspan_npages);
    if (n < npages) continue;
    base = mem.ptr(r + mspan_startAddr);
    needzero = 1;
    if (n === npages) {
      mSpanList_remove(rt, free, r);
      fixalloc_free(rt, h + mheap_spanalloc, r);
    } else {
      // Keep the tail as the free run; its last page still points to r.
      const rest = base + npages * pageSize;
      mem.setPtr(r + mspan_startAddr, rest);
      mem.setPtr(r + mspan_npages, n - npages);
      setSpan(rt, rest, r);
    }
    break;
  }
  if (base === 0) base = mheap_grow(rt, npages);

  const s = fixalloc_alloc(rt, h + mheap_spanalloc);
  span_init(rt, s, base, npages);
  mem.setU8(s + mspan_needzero, needzero);
  const nbytes = npages * pageSize;
  if (typ !== spanAllocHeap) {
    mem.setPtr(s + mspan_manualFreeList, 0);
    mem.setPtr(s + mspan_nelems, 0);
    mem.setPtr(s + mspan_limit, base + nbytes);
    mem.setU8(s + mspan_state, mSpanManual);
  } else {
    mem.setU8(s + mspan_spanclass, spanclass);
    const sizeclass = spanClassSizeclass(spanclass);
    if (sizeclass === 0) {
      mem.setPtr(s + mspan_elemsize, nbytes);
      mem.setPtr(s + mspan_nelems, 1);
      mem.setU32(s + mspan_divMul, 0);
    } else {
      const elemsize = class_to_size[sizeclass]!;
      mem.setPtr(s + mspan_elemsize, elemsize);
      mem.setPtr(s + mspan_nelems, Math.floor(nbytes / elemsize));
      mem.setU32(s + mspan_divMul, class_to_divmagic[sizeclass]!);
    }
    mem.setPtr(s + mspan_freeindex, 0);
    mem.setPtr(s + mspan_freeIndexForScan, 0);
    mem.setU64(s + mspan_allocCache, 0xffff_ffff_ffff_ffffn);
    mem.setU32(s + mspan_sweepgen, mem.u32(h + mheap_sweepgen));
    mem.setU8(s + mspan_state, mSpanInUse);
  }
  setSpans(rt, base, npages, s);
  mem.setPtr(h + mheap_pagesInUse, mem.ptr(h + mheap_pagesInUse) + npages);
  unlock(rt, h + mheap_lock);
  return s;
}

// (*mheap).alloc: a heap span of class spanclass.
export function mheap_alloc(rt: Runtime, npages: number, spanclass: number): number {
  return mheap_allocSpan(rt, npages, spanAllocHeap, spanclass);
}

// (*mheap).allocManual: a span the caller manages (stacks).
export function mheap_allocManual(rt: Runtime, npages: number, typ: number): number {
  if (typ === spanAllocHeap) throw_("manual span allocation called with non-manually-managed type");
  return mheap_allocSpan(rt, npages, typ, 0);
}

// (*mheap).freeManual
export function mheap_freeManual(rt: Runtime, s: number, _typ: number): void {
  rt.mem.setU8(s + mspan_needzero, 1);
  lock(rt, rt.mheap_ + mheap_lock);
  mheap_freeSpanLocked(rt, s);
  unlock(rt, rt.mheap_ + mheap_lock);
}

// (*mheap).freeSpanLocked: returns s's pages to the free runs, merged with
// free neighbours.
function mheap_freeSpanLocked(rt: Runtime, s: number): void {
  const mem = rt.mem;
  const h = rt.mheap_;
  const free = h + mheap_free;
  const state = mem.u8(s + mspan_state);
  if (state !== mSpanManual && state !== mSpanInUse) {
    throw_("mheap.freeSpanLocked - invalid free", `runtime: s.state=${state} s=${hex(s)}`);
  }
  if (mem.ptr(s + mspan_list) !== 0) throw_("mheap.freeSpanLocked - span is on a list");
  let base = mem.ptr(s + mspan_startAddr);
  let npages = mem.ptr(s + mspan_npages);
  mem.setPtr(h + mheap_pagesInUse, mem.ptr(h + mheap_pagesInUse) - npages);

  const isFreeRun = (r: number): boolean =>
    r !== 0 && mem.u8(r + mspan_state) === mSpanDead && mem.ptr(r + mspan_list) === free;
  const before = base > rt.heapBase ? spanOf(rt, base - 1) : 0;
  if (isFreeRun(before)) {
    mSpanList_remove(rt, free, before);
    base = mem.ptr(before + mspan_startAddr);
    npages += mem.ptr(before + mspan_npages);
    fixalloc_free(rt, h + mheap_spanalloc, before);
  }
  const end = base + npages * pageSize;
  const after = end < mem.ptr(h + mheap_curArenaBase) ? spanOf(rt, end) : 0;
  if (isFreeRun(after)) {
    mSpanList_remove(rt, free, after);
    npages += mem.ptr(after + mspan_npages);
    fixalloc_free(rt, h + mheap_spanalloc, after);
  }
  span_init(rt, s, base, npages);
  mem.setU8(s + mspan_needzero, 1);
  setSpan(rt, base, s);
  setSpan(rt, base + (npages - 1) * pageSize, s);
  mSpanList_insert(rt, free, s);
}

/** The free runs of pages, as [base, npages] (for tests and the debugger). */
export function mheap_freeRuns(rt: Runtime): [number, number][] {
  const out: [number, number][] = [];
  const mem = rt.mem;
  for (let r = mSpanList_getFirst(rt, rt.mheap_ + mheap_free); r !== 0; r = mem.ptr(r + mspan_next)) {
    out.push([mem.ptr(r + mspan_startAddr), mem.ptr(r + mspan_npages)]);
  }
  return out;
}
