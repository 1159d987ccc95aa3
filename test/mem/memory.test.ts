import { describe, expect, it } from "vitest";
import { Memory, MemFault, MemError, faultAddr, PAGE_SIZE } from "../../src/mem/memory.ts";
import { PROT_READ, PROT_WRITE, PROT_EXEC, PROT_ALL } from "../../src/engine/engine.ts";

function faultOf(f: () => unknown): { addr: bigint; access: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof MemFault) return { addr: faultAddr(e.addr), access: e.access };
    throw e;
  }
  throw new Error("no fault");
}

describe("Memory", () => {
  it("reads and writes little-endian values of every width", () => {
    const m = new Memory();
    m.map(0x10000, PAGE_SIZE, PROT_READ | PROT_WRITE);
    m.write32(0x10000, 0x11223344);
    expect([...m.read(0x10000, 4)]).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(m.read8(0x10001)).toBe(0x33);
    expect(m.read16(0x10002)).toBe(0x1122);
    m.write64(0x10008, 0x55667788 | 0, 0x99aabbcc | 0);
    expect(m.read64(0x10008) >>> 0).toBe(0x55667788);
    expect(m.hi >>> 0).toBe(0x99aabbcc);
    expect(m.readU64(0x10008)).toBe(0x99aabbcc55667788n);
    m.writeU64(0x10010, -2n);
    expect(m.readU64(0x10010)).toBe(0xfffffffffffffffen);
    expect(m.read32(0x10010)).toBe(-2); // int32, the register file's representation
    m.write16(0x10020, 0x1ffff);
    expect(m.read16(0x10020)).toBe(0xffff);
    expect(m.read8(0x10022)).toBe(0);
  });

  it("accesses that straddle two pages work and are all-or-nothing", () => {
    const m = new Memory();
    m.map(0x10000, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    m.write64(0x10ffc, 0x04030201, 0x08070605);
    expect([...m.read(0x10ffc, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(m.read64(0x10ffd) >>> 0).toBe(0x05040302);
    m.protect(0x11000, PAGE_SIZE, PROT_READ);
    expect(faultOf(() => m.write64(0x10ffc, 0, 0))).toEqual({ addr: 0x11000n, access: "write" });
    expect([...m.read(0x10ffc, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]); // nothing written
    expect(faultOf(() => m.write32(0x10ffe, 0))).toEqual({ addr: 0x11000n, access: "write" });
    expect(faultOf(() => m.write16(0x10fff, 0))).toEqual({ addr: 0x11000n, access: "write" });
    expect(faultOf(() => m.write(0x10ff0, new Uint8Array(32)))).toEqual({ addr: 0x11000n, access: "write" });
    expect(m.read8(0x10ff0)).toBe(0);
  });

  it("faults carry the address and the access kind", () => {
    const m = new Memory();
    m.map(0x20000, PAGE_SIZE, PROT_READ);
    m.map(0x30000, PAGE_SIZE, PROT_WRITE);
    expect(faultOf(() => m.read8(0x1fff))).toEqual({ addr: 0x1fffn, access: "read" });
    expect(faultOf(() => m.write8(0x20010, 1))).toEqual({ addr: 0x20010n, access: "write" });
    expect(faultOf(() => m.read64(0x30000))).toEqual({ addr: 0x30000n, access: "read" });
    expect(faultOf(() => m.execPage(0x20000))).toEqual({ addr: 0x20000n, access: "exec" });
    expect(faultOf(() => m.read32(-8))).toEqual({ addr: 0xfffffffffffffff8n, access: "read" });
    expect(faultOf(() => m.read8(2 ** 47))).toEqual({ addr: 0x800000000000n, access: "read" });
    // A read after a cached read of another page still checks permissions.
    m.map(0x40000, PAGE_SIZE, PROT_READ);
    m.read8(0x40000);
    expect(faultOf(() => m.read8(0x50000))).toEqual({ addr: 0x50000n, access: "read" });
  });

  it("unmap and protect take effect even for cached pages", () => {
    const m = new Memory();
    m.map(0x10000, PAGE_SIZE, PROT_READ | PROT_WRITE);
    m.write8(0x10000, 7);
    expect(m.read8(0x10000)).toBe(7);
    m.protect(0x10000, PAGE_SIZE, PROT_READ);
    expect(faultOf(() => m.write8(0x10000, 1))).toEqual({ addr: 0x10000n, access: "write" });
    expect(m.read8(0x10000)).toBe(7);
    m.protect(0x10000, PAGE_SIZE, 0);
    expect(faultOf(() => m.read8(0x10000))).toEqual({ addr: 0x10000n, access: "read" });
    m.unmap(0x10000, PAGE_SIZE);
    expect(m.isMapped(0x10000)).toBe(false);
    m.map(0x10000, PAGE_SIZE, PROT_ALL);
    expect(m.read8(0x10000)).toBe(0); // fresh pages are zero
  });

  it("rejects bad ranges with a message", () => {
    const m = new Memory();
    expect(() => m.map(0x10001, PAGE_SIZE, PROT_READ)).toThrow(MemError);
    expect(() => m.map(0x10000, 100, PROT_READ)).toThrow(/multiples of 4096/);
    expect(() => m.map(2 ** 47 - PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ)).toThrow(/outside user space/);
    expect(() => m.protect(0x10000, PAGE_SIZE, PROT_READ)).toThrow(/not mapped/);
  });

  it("lists regions merged by permission", () => {
    const m = new Memory();
    m.map(0x10000, 3 * PAGE_SIZE, PROT_READ);
    m.protect(0x12000, PAGE_SIZE, PROT_READ | PROT_EXEC);
    m.map(0x20000, PAGE_SIZE, PROT_READ);
    expect(m.regions()).toEqual([
      { start: 0x10000, end: 0x12000, prot: PROT_READ },
      { start: 0x12000, end: 0x13000, prot: PROT_READ | PROT_EXEC },
      { start: 0x20000, end: 0x21000, prot: PROT_READ },
    ]);
  });

  it("calls the code-write hook only for pages marked as code", () => {
    const m = new Memory();
    m.map(0x10000, 2 * PAGE_SIZE, PROT_ALL);
    const hits: number[] = [];
    m.onCodeWrite = (pn) => hits.push(pn);
    m.write8(0x10000, 1);
    expect(hits).toEqual([]);
    m.pageAt(0x11000)!.code = true;
    m.write8(0x10001, 1);
    m.write32(0x11004, 1);
    m.write64(0x10ffc, 1, 2); // straddles into the code page
    m.poke(0x11000, new Uint8Array([0x90]));
    // Every write touching the code page calls it (a straddling store may
    // call it once per byte); writes to the data page never do.
    expect([...new Set(hits)]).toEqual([0x11]);
    expect(hits.length).toBeGreaterThanOrEqual(3);
  });

  it("snapshots copy pages; restore brings back contents and permissions", () => {
    const m = new Memory();
    m.map(0x10000, PAGE_SIZE, PROT_READ | PROT_WRITE);
    m.write8(0x10000, 1);
    const s = m.snapshot();
    m.write8(0x10000, 2);
    m.protect(0x10000, PAGE_SIZE, PROT_READ);
    m.map(0x20000, PAGE_SIZE, PROT_READ);
    m.restore(s);
    expect(m.read8(0x10000)).toBe(1);
    expect(m.isMapped(0x20000)).toBe(false);
    m.write8(0x10000, 3); // writable again
    m.restore(s);
    expect(m.read8(0x10000)).toBe(1); // the snapshot itself was not changed
  });
});

describe("HostView's TLB", () => {
  // Counts the lookups that miss the host TLB and go to the page map.
  function countLookups(m: Memory): { n: number } {
    const pages = (m as unknown as { pages: Map<number, unknown> }).pages;
    const c = { n: 0 };
    const get = pages.get.bind(pages);
    pages.get = (k: number) => { c.n++; return get(k); };
    return c;
  }

  it("keeps the runtime's globals, Go's first heap page, a stack and the text in it at once", () => {
    // 0x7f0000000000 and 0xc000000000 share their low page-number bits (as
    // do 0x402000 and 0xc00000b000 modulo 64 slots with the hash): a
    // switch touches all of them, and every alternation went to the map.
    const m = new Memory();
    const hot = [0x7f00_0000_0000, 0xc0_0000_0000, 0xc0_0000_b000, 0x40_2000, 0x7fff_efff_f000, 0xc0_0002_2000];
    for (const a of hot) m.map(a, PAGE_SIZE, PROT_READ | PROT_WRITE);
    const h = m.host;
    for (const a of hot) h.setWord(a + 8, a); // own the pages, fill the TLB
    const c = countLookups(m);
    for (let i = 0; i < 100; i++) for (const a of hot) expect(h.word(a + 8)).toBe(a);
    expect(c.n).toBe(0);
  });

  it("forgets a page that is unmapped, whatever its slot", () => {
    const m = new Memory();
    m.map(0xc0_0000_0000, PAGE_SIZE, PROT_READ | PROT_WRITE);
    m.map(0x7f00_0000_0000, PAGE_SIZE, PROT_READ | PROT_WRITE);
    m.host.setU32(0xc0_0000_0010, 7);
    m.host.setU32(0x7f00_0000_0010, 9);
    m.unmap(0xc0_0000_0000, PAGE_SIZE);
    expect(() => m.host.u32(0xc0_0000_0010)).toThrow(/0xc000000010 is not mapped/);
    expect(m.host.u32(0x7f00_0000_0010)).toBe(9);
    m.map(0xc0_0000_0000, PAGE_SIZE, PROT_READ | PROT_WRITE);
    expect(m.host.u32(0xc0_0000_0010)).toBe(0);
  });
});
