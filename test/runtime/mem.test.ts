// Mem: typed little-endian access to emulated memory, nothing cached.
import { describe, expect, it } from "vitest";
import { createEngine } from "../../src/engine/index.ts";
import { PROT_READ, PROT_WRITE } from "../../src/engine/engine.ts";
import { Mem } from "../../src/runtime/mem.ts";
import { g, gobuf, off } from "../../src/runtime/runtime2.ts";
import { GoThrow, fatal, hex, throw_ } from "../../src/runtime/panic.ts";

function fresh(): Mem {
  const e = createEngine("interp");
  e.map(0x10000, 0x2000, PROT_READ | PROT_WRITE);
  return new Mem(e);
}

describe("Mem", () => {
  it("reads and writes every width little-endian, through the engine", () => {
    const mem = fresh();
    const a = 0x10000;
    mem.setU64(a, 0x0807060504030201n);
    expect([...mem.engine.read(a, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(mem.u8(a + 1)).toBe(2);
    expect(mem.u16(a + 1)).toBe(0x0302);
    expect(mem.u32(a + 4)).toBe(0x08070605);
    mem.setU32(a, 0xfffffffe);
    expect(mem.u32(a)).toBe(0xfffffffe);
    expect(mem.i32(a)).toBe(-2);
    mem.setI32(a, -5);
    expect(mem.u32(a)).toBe(0xfffffffb);
    mem.setU16(a, 0xbeef);
    mem.setU8(a + 2, 0x7f);
    expect(mem.u32(a)).toBe(0xff7fbeef);
    mem.setU64(a, -1n);
    expect(mem.u64(a)).toBe(0xffff_ffff_ffff_ffffn);
    expect(mem.i64(a)).toBe(-1n);
    expect(mem.int(a)).toBe(-1);
  });

  it("setWord/word/sword/int agree with BigInt at every edge, aligned and across a page", () => {
    const mem = fresh();
    const values = [0, 1, 0xffffffff, 2 ** 32, 2 ** 32 + 1, 2 ** 47 - 1, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63,
      -1, -2, -(2 ** 32), -(2 ** 32) - 1, -(2 ** 53) + 1, -(2 ** 53)];
    for (const a of [0x10010, 0x10ffc, 0x10ff9]) {
      for (const v of values) {
        mem.setWord(a, v);
        const want = BigInt.asUintN(64, BigInt(v));
        expect(mem.u64(a), `setWord(${v}) at 0x${a.toString(16)}`).toBe(want);
        if (v >= 0 && v < 2 ** 53) expect(mem.word(a)).toBe(v);
        if (Number.isSafeInteger(v)) {
          expect(mem.sword(a)).toBe(v);
          expect(mem.int(a)).toBe(v);
        } else if (v > 0) {
          expect(() => mem.int(a)).toThrow(/beyond 2\^53/);
        }
      }
    }
  });

  it("ptr/setPtr carry 47-bit addresses as numbers and refuse anything else", () => {
    const mem = fresh();
    const a = 0x10008;
    mem.setPtr(a, 0x7fff_ffff_fff8);
    expect(mem.ptr(a)).toBe(0x7fff_ffff_fff8);
    expect(mem.u64(a)).toBe(0x7fff_ffff_fff8n);
    mem.setPtr(a, 0xc000_0010_00);
    expect(mem.u32(a + 4)).toBe(0xc0);
    mem.setU64(a, 0xffff_ffff_ffff_fad0n); // stackPreempt is not an address
    expect(() => mem.ptr(a)).toThrow(/not an address/);
    expect(() => mem.setPtr(a, -8)).toThrow(/not an address/);
    expect(() => mem.setPtr(a, 2 ** 47)).toThrow(/not an address/);
    mem.setInt(a, 2 ** 53 - 1);
    expect(mem.int(a)).toBe(2 ** 53 - 1);
    mem.setU64(a, 1n << 60n);
    expect(() => mem.int(a)).toThrow(/beyond 2\^53/);
  });

  it("is the single truth: writes made behind its back are seen at once", () => {
    const mem = fresh();
    const gp = 0x10100;
    const sp = gp + off(g, "sched") + off(gobuf, "sp");
    expect(sp).toBe(gp + 56);
    mem.setPtr(sp, 0x1234);
    mem.engine.writeU64(sp, 0x5678n);
    expect(mem.ptr(sp)).toBe(0x5678);
  });

  it("zero and copy cover whole ranges, across pages", () => {
    const mem = fresh();
    mem.setBytes(0x10ff0, new Uint8Array(32).fill(9));
    mem.copy(0x10000, 0x10ff0, 32);
    expect([...mem.bytes(0x10000, 32)].every((b) => b === 9)).toBe(true);
    mem.zero(0x10ff8, 16);
    expect([...mem.bytes(0x10ff0, 32)]).toEqual([...new Array(8).fill(9), ...new Array(16).fill(0), ...new Array(8).fill(9)]);
  });
});

describe("throw", () => {
  it("raises GoThrow with Go's message and the lines printed before it", () => {
    let e: unknown;
    try {
      throw_("runqputslow: queue is not full", "runtime: detail");
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(GoThrow);
    const t = e as GoThrow;
    expect(t.msg).toBe("runqputslow: queue is not full");
    expect(t.kind).toBe("throw");
    expect(t.message).toBe("fatal error: runqputslow: queue is not full");
    expect(t.text()).toBe("runtime: detail\nfatal error: runqputslow: queue is not full\n");
    expect(() => fatal("all goroutines are asleep - deadlock!")).toThrow(GoThrow);
    expect(hex(255)).toBe("0xff");
    expect(hex(0xffff_ffff_ffff_fad0n)).toBe("0xfffffffffffffad0");
  });
});
