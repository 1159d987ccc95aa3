// stackalloc/stackfree: the P's stack cache, the global pool, large stacks.
import { describe, expect, it } from "vitest";
import {
  stackalloc, stackcacheOf, stackcache_clear, stackfree, stacklog2, type stack,
} from "../../src/runtime/stackalloc.ts";
import { mheap_allocManual, mheap_freeManual, mheap_freeRuns, heapPagesInUse, spanOf } from "../../src/runtime/mheap.ts";
import { mspan_allocCount, mspan_elemsize, mspan_npages, mspan_startAddr, mspan_state } from "../../src/runtime/offsets.ts";
import { malg } from "../../src/runtime/proc.ts";
import { _FixedStack, _StackCacheSize, m, mSpanManual, off, p, pageSize, spanAllocStack } from "../../src/runtime/runtime2.ts";
import type { Runtime } from "../../src/runtime/rt.ts";
import { acquireP, catchThrow, setup } from "./rtutil.ts";

function cache(rt: Runtime, order: number): { list: number; size: number; n: number } {
  const c = rt.mem.ptr(rt.allp[0]! + off(p, "mcache"));
  const sc = stackcacheOf(c, order);
  let n = 0;
  for (let x = rt.mem.ptr(sc); x !== 0; x = rt.mem.ptr(x)) n++;
  return { list: rt.mem.ptr(sc), size: rt.mem.ptr(sc + 8), n };
}

function usable(rt: Runtime, s: stack): void {
  // Mapped read-write, both ends.
  rt.mem.setU64(s.lo, 0x1122334455667788n);
  rt.mem.setU64(s.hi - 8, 0x99n);
  expect(rt.mem.u64(s.lo)).toBe(0x1122334455667788n);
  expect(rt.mem.u64(s.hi - 8)).toBe(0x99n);
}

describe("stackalloc and stackfree", () => {
  it("orders 0..3 from the pool when the M has no P: aligned, in a 32 KiB stack span, reused LIFO", () => {
    const rt = setup(1);
    for (let order = 0; order < 4; order++) {
      const n = _FixedStack << order;
      const a = stackalloc(rt, n);
      const b = stackalloc(rt, n);
      expect(a.hi - a.lo).toBe(n);
      // Stacks are cut from page-aligned spans: aligned to their size up to a page.
      expect(a.lo % Math.min(n, pageSize)).toBe(0);
      expect(a.lo).toBeGreaterThanOrEqual(rt.heapBase);
      expect(Math.abs(a.lo - b.lo)).toBeGreaterThanOrEqual(n);
      usable(rt, a);
      usable(rt, b);
      const s = spanOf(rt, a.lo);
      expect(rt.mem.u8(s + mspan_state)).toBe(mSpanManual);
      expect(rt.mem.ptr(s + mspan_npages)).toBe(_StackCacheSize / pageSize);
      expect(rt.mem.ptr(s + mspan_elemsize)).toBe(n);
      expect(rt.mem.u16(s + mspan_allocCount)).toBe(2);
      stackfree(rt, b);
      expect(stackalloc(rt, n)).toEqual(b);
    }
  });

  it("a pool span whose stacks are all free goes back to the heap", () => {
    const rt = setup(1);
    const per = _StackCacheSize / _FixedStack;
    const stks = Array.from({ length: per }, () => stackalloc(rt, _FixedStack));
    const span = spanOf(rt, stks[0]!.lo);
    expect(stks.every((s) => spanOf(rt, s.lo) === span)).toBe(true);
    expect(new Set(stks.map((s) => s.lo)).size).toBe(per);
    const base = rt.mem.ptr(span + mspan_startAddr);
    const inUse = heapPagesInUse(rt);
    // A 17th stack needs a second span.
    const extra = stackalloc(rt, _FixedStack);
    expect(spanOf(rt, extra.lo)).not.toBe(span);
    for (const s of stks) stackfree(rt, s);
    expect(heapPagesInUse(rt)).toBe(inUse);
    expect(mheap_freeRuns(rt)).toEqual([[base, _StackCacheSize / pageSize]]);
    // The freed pages are handed out again; a fresh span's free list starts
    // with its highest stack, as Go builds it.
    const again = stackalloc(rt, 4096);
    expect(rt.mem.ptr(spanOf(rt, again.lo) + mspan_startAddr)).toBe(base);
    expect(again.lo).toBe(base + _StackCacheSize - 4096);
  });

  it("with a P: refill moves _StackCacheSize/2 to the cache, release gives back down to half", () => {
    const rt = setup(1);
    acquireP(rt, rt.allp[0]!);
    expect(cache(rt, 0)).toEqual({ list: 0, size: 0, n: 0 });
    const a = stackalloc(rt, _FixedStack);
    // 16 KiB of 2 KiB stacks arrived; one was taken.
    expect(cache(rt, 0).n).toBe(7);
    expect(cache(rt, 0).size).toBe(_StackCacheSize / 2 - _FixedStack);
    // The stacks handed to the cache are no longer free in the pool span.
    expect(rt.mem.u16(spanOf(rt, a.lo) + mspan_allocCount)).toBe(8);
    stackfree(rt, a);
    expect(cache(rt, 0)).toMatchObject({ list: a.lo, size: _StackCacheSize / 2, n: 8 });
    expect(stackalloc(rt, _FixedStack)).toEqual(a);

    // Free 16 more stacks from the pool (allocated without the P) into the cache.
    acquireP(rt, 0);
    const more = Array.from({ length: 17 }, () => stackalloc(rt, _FixedStack));
    acquireP(rt, rt.allp[0]!);
    stackfree(rt, a);
    for (let i = 0; i < 8; i++) stackfree(rt, more[i]!);
    expect(cache(rt, 0).size).toBe(_StackCacheSize); // full
    stackfree(rt, more[8]!); // release to half, then push
    expect(cache(rt, 0).size).toBe(_StackCacheSize / 2 + _FixedStack);
    expect(cache(rt, 0).list).toBe(more[8]!.lo);
    expect(cache(rt, 0).n).toBe(9);
  });

  it("an M in a preemptoff section bypasses its P's cache", () => {
    const rt = setup(1);
    acquireP(rt, rt.allp[0]!);
    // m.preemptoff = "gcing" (a string header: pointer, length 5).
    rt.mem.setPtr(rt.m0 + off(m, "preemptoff"), rt.heapBase);
    rt.mem.setInt(rt.m0 + off(m, "preemptoff") + 8, 5);
    const a = stackalloc(rt, _FixedStack);
    expect(cache(rt, 0)).toEqual({ list: 0, size: 0, n: 0 });
    expect(rt.mem.u16(spanOf(rt, a.lo) + mspan_allocCount)).toBe(1);
    rt.mem.setInt(rt.m0 + off(m, "preemptoff") + 8, 0);
    stackfree(rt, a);
    expect(cache(rt, 0)).toMatchObject({ list: a.lo, size: _FixedStack, n: 1 });
  });

  it("orders use separate caches; stackcache_clear empties them into the pool", () => {
    const rt = setup(1);
    acquireP(rt, rt.allp[0]!);
    const s8 = stackalloc(rt, 8192);
    expect(cache(rt, 2)).toMatchObject({ size: _StackCacheSize / 2 - 8192, n: 1 });
    expect(cache(rt, 0).n).toBe(0);
    stackfree(rt, s8);
    const inUse = heapPagesInUse(rt);
    expect(inUse).toBeGreaterThan(0);
    const c = rt.mem.ptr(rt.allp[0]! + off(p, "mcache"));
    stackcache_clear(rt, c);
    expect(cache(rt, 2)).toEqual({ list: 0, size: 0, n: 0 });
    // All stacks of the span were free again, so the span went back to the heap.
    expect(heapPagesInUse(rt)).toBe(inUse - _StackCacheSize / pageSize);
  });

  it("32 KiB and larger stacks are spans of their own, freed straight back to the heap", () => {
    const rt = setup(1);
    const a = stackalloc(rt, 32768);
    const b = stackalloc(rt, 65536);
    usable(rt, a);
    usable(rt, b);
    const sa = spanOf(rt, a.lo);
    expect(rt.mem.ptr(sa + mspan_startAddr)).toBe(a.lo);
    expect(rt.mem.ptr(sa + mspan_npages)).toBe(4);
    expect(rt.mem.ptr(sa + mspan_elemsize)).toBe(32768);
    expect(spanOf(rt, a.hi - 1)).toBe(sa);
    expect(rt.mem.ptr(spanOf(rt, b.lo) + mspan_npages)).toBe(8);
    stackfree(rt, a);
    expect(mheap_freeRuns(rt)).toEqual([[a.lo, 4]]);
    expect(stackalloc(rt, 32768)).toEqual(a);
    expect(stacklog2(8)).toBe(3);
    expect(stacklog2(1)).toBe(0);
  });

  it("throws off g0 and on sizes that are not powers of 2", () => {
    const rt = setup(1);
    expect(catchThrow(() => stackalloc(rt, 3000)).msg).toBe("stack size not a power of 2");
    expect(catchThrow(() => stackfree(rt, { lo: rt.heapBase, hi: rt.heapBase + 3000 })).msg).toBe("stack not a power of 2");
    const user = malg(rt, 2048);
    rt.mem.setPtr(user + 48, rt.m0); // user.m = m0
    rt.getg = () => user;
    expect(catchThrow(() => stackalloc(rt, 2048)).msg).toBe("stackalloc not on scheduler stack");
  });
});

describe("the page heap", () => {
  it("coalesces a freed span with free neighbours on both sides", () => {
    const rt = setup(1);
    const a = mheap_allocManual(rt, 1, spanAllocStack);
    const b = mheap_allocManual(rt, 2, spanAllocStack);
    const c = mheap_allocManual(rt, 1, spanAllocStack);
    const guard = mheap_allocManual(rt, 1, spanAllocStack);
    const base = (s: number): number => rt.mem.ptr(s + mspan_startAddr);
    expect(base(b)).toBe(base(a) + pageSize);
    expect(base(c)).toBe(base(b) + 2 * pageSize);
    const a0 = base(a);
    const c0 = base(c);
    mheap_freeManual(rt, a, spanAllocStack);
    mheap_freeManual(rt, c, spanAllocStack);
    expect(mheap_freeRuns(rt).sort((x, y) => x[0] - y[0])).toEqual([[a0, 1], [c0, 1]]);
    mheap_freeManual(rt, b, spanAllocStack);
    expect(mheap_freeRuns(rt)).toEqual([[a0, 4]]);
    // First fit splits the run: 3 pages from its front, 1 left.
    const d = mheap_allocManual(rt, 3, spanAllocStack);
    expect(base(d)).toBe(a0);
    expect(mheap_freeRuns(rt)).toEqual([[a0 + 3 * pageSize, 1]]);
    expect(spanOf(rt, a0 + 2 * pageSize)).toBe(d);
    void guard;
  });

  it("throws when a span is freed twice", () => {
    const rt = setup(1);
    const a = mheap_allocManual(rt, 1, spanAllocStack);
    mheap_freeManual(rt, a, spanAllocStack);
    expect(catchThrow(() => mheap_freeManual(rt, a, spanAllocStack)).msg).toBe("mheap.freeSpanLocked - invalid free");
  });
});
