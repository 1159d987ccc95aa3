// Pages mapped without data share one zero page until their first write
// (Memory's Page.lazy). Every write path must give the page bytes of its
// own first: a path that forgot would write into the shared zero page, and
// every other unwritten page (here the sentinel) would stop reading zero.
import { describe, expect, it } from "vitest";
import { Memory, PAGE_SIZE } from "../../src/mem/memory.ts";
import { PROT_READ, PROT_WRITE, PROT_EXEC } from "../../src/engine/engine.ts";

const A = 0x10000, SENTINEL = 0x40000;

const writes: [string, (m: Memory) => void][] = [
  ["write8", (m) => m.write8(A + 5, 0x7f)],
  ["write16", (m) => m.write16(A + 6, 0x1234)],
  ["write32", (m) => m.write32(A + 8, 0x12345678)],
  ["write64", (m) => m.write64(A + 16, 1, 2)],
  ["write32 across pages", (m) => m.write32(A + PAGE_SIZE - 2, 0x01020304)],
  ["write", (m) => m.write(A + 3, new Uint8Array([9, 9, 9]))],
  ["poke", (m) => m.poke(A + 3, new Uint8Array([9, 9, 9]))],
  ["host setU8", (m) => m.host.setU8(A + 1, 0xee)],
  ["host setU16", (m) => m.host.setU16(A + 2, 0xeeee)],
  ["host setU32", (m) => m.host.setU32(A + 4, 0xdeadbeef)],
  ["host write", (m) => m.host.write(A + 1, new Uint8Array([1, 2, 3]))],
  ["host fill", (m) => m.host.fill(A, 64, 0xab)],
  ["host copy", (m) => { m.poke(A + 2 * PAGE_SIZE, new Uint8Array([5, 6, 7])); m.host.copy(A + 100, A + 2 * PAGE_SIZE, 3); }],
];

describe("lazy pages", () => {
  it("maps 16 MiB without giving any page bytes, and reads it as zeros", () => {
    const m = new Memory();
    m.map(0x7f000000, 16 << 20, PROT_READ | PROT_EXEC);
    expect(m.pageAt(0x7f000000)!.lazy).toBe(true);
    expect(m.pageAt(0x7f000000 + (16 << 20) - 1)!.lazy).toBe(true);
    expect(m.read64(0x7f123450)).toBe(0);
    expect(m.host.u32(0x7f0ffff0)).toBe(0);
  });

  for (const [name, w] of writes) {
    it(`${name} gives the page bytes of its own; other pages still read zero`, () => {
      const m = new Memory();
      m.map(A, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE);
      m.map(SENTINEL, PAGE_SIZE, PROT_READ | PROT_WRITE);
      // Warm the CPU's read TLB with the lazy pages, as a guest would.
      expect(m.read64(A)).toBe(0);
      expect(m.read64(SENTINEL)).toBe(0);
      w(m);
      expect(m.pageAt(A)!.lazy).toBe(false);
      expect([...m.peek(SENTINEL, PAGE_SIZE)].every((b) => b === 0)).toBe(true);
      expect(m.read64(SENTINEL)).toBe(0);
      // The written bytes are there, through the CPU's (cached) read path.
      expect([...m.peek(A, 2 * PAGE_SIZE)].some((b) => b !== 0)).toBe(true);
    });
  }

  it("snapshots keep unwritten pages lazy, and restore them zeroed", () => {
    const m = new Memory();
    m.map(A, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    m.write32(A, 42);
    const s = m.snapshot();
    m.write32(A + PAGE_SIZE, 7);
    m.restore(s);
    expect(m.read32(A)).toBe(42);
    expect(m.read32(A + PAGE_SIZE)).toBe(0);
    expect(m.pageAt(A + PAGE_SIZE)!.lazy).toBe(true);
  });

  it("owned pages share 1 MiB slabs, and an unmapped page's slot comes back zeroed", () => {
    const m = new Memory();
    const FAR = 0x1000000;
    m.map(A, 300 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    for (let i = 0; i < 300; i++) m.write8(A + i * PAGE_SIZE + 7, 0x55);
    const bufs = new Set<ArrayBufferLike>();
    for (let i = 0; i < 300; i++) bufs.add(m.pageAt(A + i * PAGE_SIZE)!.u8.buffer);
    expect(bufs.size).toBe(2);
    // Unmap a written page; the next page to be written gets its slot, zeroed.
    const freed = m.pageAt(A + 5 * PAGE_SIZE)!;
    const slot = [freed.u8.buffer, freed.u8.byteOffset];
    m.unmap(A + 5 * PAGE_SIZE, PAGE_SIZE);
    m.map(FAR, PAGE_SIZE, PROT_READ | PROT_WRITE);
    m.write8(FAR, 1);
    const p = m.pageAt(FAR)!;
    expect([p.u8.buffer, p.u8.byteOffset]).toEqual(slot);
    expect(m.read8(FAR + 7)).toBe(0);
    expect(m.read8(FAR)).toBe(1);
    // Pages around it were not disturbed.
    expect(m.read8(A + 4 * PAGE_SIZE + 7)).toBe(0x55);
    expect(m.read8(A + 6 * PAGE_SIZE + 7)).toBe(0x55);
  });
});
