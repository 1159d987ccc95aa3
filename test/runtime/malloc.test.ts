// mallocgc: size classes, alignment, distinct zeroed blocks, large objects.
import { describe, expect, it } from "vitest";
import { mallocgc } from "../../src/runtime/malloc.ts";
import { spanOf } from "../../src/runtime/mheap.ts";
import { mspan_elemsize, mspan_nelems, mspan_npages, mspan_startAddr, mspan_state } from "../../src/runtime/offsets.ts";
import {
  class_to_allocnpages, class_to_divmagic, class_to_size, sizeToClass,
} from "../../src/runtime/sizeclasses.ts";
import { stackalloc, stackfree } from "../../src/runtime/stackalloc.ts";
import { _NumSizeClasses, _type, m, mSpanInUse, maxSmallSize, mspan, off, pageSize } from "../../src/runtime/runtime2.ts";
import { persistentalloc } from "../../src/runtime/rt.ts";
import { catchThrow, setup } from "./rtutil.ts";

const spanclassOff = off(mspan, "spanclass");

describe("size classes", () => {
  it("sizeToClass picks the smallest class that fits, for every size 1..32768", () => {
    for (let size = 1; size <= maxSmallSize; size++) {
      const c = sizeToClass(size);
      expect(c).toBeGreaterThan(0);
      if (class_to_size[c]! < size || class_to_size[c - 1]! >= size) {
        throw new Error(`size ${size}: class ${c} (${class_to_size[c]})`);
      }
    }
  });

  it("the tables agree with Go's (spot values from sizeclasses.go)", () => {
    expect(class_to_size.length).toBe(_NumSizeClasses);
    expect(class_to_size[2]).toBe(16);
    expect(class_to_size[26]).toBe(512);
    expect(class_to_size[52]).toBe(9472);
    expect(class_to_size[67]).toBe(32768);
    expect(class_to_allocnpages[52]).toBe(7);
    expect(class_to_allocnpages[65]).toBe(10);
    expect(class_to_divmagic[1]).toBe(2 ** 29); // ^uint32(0)/8 + 1
    expect(class_to_divmagic[3]).toBe(Math.floor(0xffffffff / 24) + 1);
    // Each class wastes less than 1/8 of its span at the tail (mksizeclasses' rule).
    for (let c = 1; c < _NumSizeClasses; c++) {
      const span = class_to_allocnpages[c]! * pageSize;
      expect((span % class_to_size[c]!) * 8).toBeLessThanOrEqual(span);
    }
  });
});

describe("mallocgc", () => {
  it("returns aligned, distinct, non-overlapping, zeroed blocks in spans of the right class", () => {
    const rt = setup(1);
    const blocks: [number, number][] = [];
    const sizes = [1, 7, 8, 9, 16, 17, 24, 33, 100, 392, 416, 1000, 1024, 1025, 3000, 4096, 8192, 9000, 20000, 32768];
    for (const size of sizes) {
      for (let k = 0; k < 3; k++) {
        const x = mallocgc(rt, size, 0, true);
        const c = sizeToClass(size);
        const elem = class_to_size[c]!;
        expect(x % 8).toBe(0);
        if ((elem & (elem - 1)) === 0) expect(x % Math.min(elem, pageSize)).toBe(0);
        const s = spanOf(rt, x);
        expect(rt.mem.u8(s + mspan_state)).toBe(mSpanInUse);
        expect(rt.mem.ptr(s + mspan_elemsize)).toBe(elem);
        expect(rt.mem.u8(s + spanclassOff) >> 1).toBe(c);
        expect(rt.mem.u8(s + spanclassOff) & 1).toBe(1); // noscan: no type
        expect(rt.mem.ptr(s + mspan_npages)).toBe(class_to_allocnpages[c]);
        expect((x - rt.mem.ptr(s + mspan_startAddr)) % elem).toBe(0);
        expect(rt.mem.bytes(x, elem).every((b) => b === 0)).toBe(true);
        // Scribble over the whole block: neighbours must not see it.
        rt.mem.setBytes(x, new Uint8Array(elem).fill(0xa5));
        blocks.push([x, elem]);
      }
    }
    blocks.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < blocks.length; i++) expect(blocks[i - 1]![0] + blocks[i - 1]![1]).toBeLessThanOrEqual(blocks[i]![0]);
  });

  it("hands out a span's objects in address order, then refills with a new span", () => {
    const rt = setup(1);
    const first = mallocgc(rt, 1024, 0, false);
    const s = spanOf(rt, first);
    const n = rt.mem.ptr(s + mspan_nelems);
    expect(n).toBe(8);
    let prev = first;
    for (let i = 1; i < n; i++) {
      const x = mallocgc(rt, 1000, 0, false);
      expect(x).toBe(prev + 1024);
      prev = x;
    }
    const next = mallocgc(rt, 1024, 0, false);
    expect(spanOf(rt, next)).not.toBe(s);
  });

  it("a type with pointers gets the scan span class", () => {
    const rt = setup(1);
    const typ = persistentalloc(rt, _type.size, 8);
    rt.mem.setPtr(typ + off(_type, "size"), 48);
    rt.mem.setPtr(typ + off(_type, "ptrdata"), 8);
    const x = mallocgc(rt, 48, typ, true);
    expect(rt.mem.u8(spanOf(rt, x) + spanclassOff)).toBe(sizeToClass(48) << 1);
  });

  it("clears memory reused from a freed stack (span.needzero), and not when needzero is false", () => {
    const rt = setup(1);
    const stk = stackalloc(rt, 32768);
    rt.mem.setBytes(stk.lo, new Uint8Array(32768).fill(0xcc));
    stackfree(rt, stk);
    // Class 67 (32 KiB) spans are 4 pages: exactly the freed run.
    const x = mallocgc(rt, 32768, 0, true);
    expect(x).toBe(stk.lo);
    expect(rt.mem.bytes(x, 32768).every((b) => b === 0)).toBe(true);

    const stk2 = stackalloc(rt, 32768);
    rt.mem.setBytes(stk2.lo, new Uint8Array(32768).fill(0xcc));
    stackfree(rt, stk2);
    const y = mallocgc(rt, 32768, 0, false);
    expect(y).toBe(stk2.lo);
    expect(rt.mem.u8(y)).toBe(0xcc);
  });

  it("large objects get a span of their own, rounded up to pages", () => {
    const rt = setup(1);
    const x = mallocgc(rt, 100000, 0, true);
    expect(x % pageSize).toBe(0);
    const s = spanOf(rt, x);
    expect(rt.mem.ptr(s + mspan_npages)).toBe(13);
    expect(rt.mem.ptr(s + mspan_elemsize)).toBe(13 * pageSize);
    expect(rt.mem.u8(s + spanclassOff) >> 1).toBe(0);
    expect(spanOf(rt, x + 13 * pageSize - 1)).toBe(s);
    rt.mem.setU8(x + 99999, 1);
    const y = mallocgc(rt, 40000, 0, true);
    expect(y).toBeGreaterThanOrEqual(x + 13 * pageSize);
  });

  it("size 0 is &zerobase; reentry throws malloc deadlock", () => {
    const rt = setup(1);
    expect(mallocgc(rt, 0, 0, true)).toBe(rt.zerobase);
    expect(mallocgc(rt, 0, 0, true)).toBe(mallocgc(rt, 0, 0, true));
    rt.mem.setU32(rt.m0 + off(m, "mallocing"), 1);
    expect(catchThrow(() => mallocgc(rt, 8, 0, true)).msg).toBe("malloc deadlock");
  });

  it("the heap grows across 64 MiB arenas; a span may straddle two", () => {
    const rt = setup(1);
    const xs = Array.from({ length: 4 }, () => mallocgc(rt, 20 << 20, 0, false));
    const last = xs[3]!;
    expect(last).toBeLessThan(rt.heapBase + (64 << 20));
    expect(last + (20 << 20)).toBeGreaterThan(rt.heapBase + (64 << 20));
    expect(spanOf(rt, last + (20 << 20) - 1)).toBe(spanOf(rt, last));
    rt.mem.setU8(last + (20 << 20) - 1, 7);
    expect(rt.mem.u8(last + (20 << 20) - 1)).toBe(7);
  });

  it("throws out of memory past the heap limit", () => {
    const rt = setup(1, { maxArenas: 1 });
    expect(catchThrow(() => mallocgc(rt, 70 << 20, 0, false)).msg).toBe("out of memory");
  });
});
