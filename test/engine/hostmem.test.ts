// Host access to the machine (hmem, getRegN/setRegN) on every engine: values
// round-trip and agree with the cold bigint API and with what the guest
// itself reads and writes; an unmapped byte throws EngineMemoryError with the
// same message everywhere and a failing write changes nothing; permissions
// are ignored; a host write into code is seen by the next execution; and a
// million calls of each allocate nothing.
import { describe, it, expect, afterEach } from "vitest";
import { createEngine, ENGINE_NAMES, engineAvailable, type EngineName } from "../../src/engine/index.ts";
import {
  EngineMemoryError, PROT_EXEC, PROT_READ, PROT_WRITE, REG_IDS, REG_RFLAGS, REG_RIP,
  type Engine, type RegId,
} from "../../src/engine/engine.ts";
import { LockstepEngine } from "../../src/engine/pair.ts";
import { RAX, RBX, RCX } from "../../src/x86/regs.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { measureAlloc, NO_ALLOC_GROWTH } from "./alloc.ts";

const CODE = 0x400000, DATA = 0x500000, RO = 0x600000, NONE = 0x700000, GAP = 0x504000;

function setup(name: EngineName): Engine {
  const e = createEngine(name);
  e.map(CODE, 0x1000, PROT_READ | PROT_EXEC);
  e.map(DATA, 0x4000, PROT_READ | PROT_WRITE); // DATA..DATA+0x4000; GAP unmapped beyond
  e.map(RO, 0x1000, PROT_READ);
  e.map(NONE, 0x1000, 0);
  e.setRegN(REG_RFLAGS, 0x202); // engines start with different flags
  return e;
}

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineMemoryError);
    return (e as Error).message;
  }
  throw new Error("no error");
}

for (const name of ENGINE_NAMES) {
  const available = name === "interp" ? true : oracleAvailable("libunicorn", engineAvailable(name));
  describe.skipIf(!available)(`host access on ${name}`, () => {
    let e: Engine;
    afterEach(() => e?.close());

    it("round-trips every width, at page boundaries too, and agrees with read/readU64", () => {
      e = setup(name);
      const h = e.hmem;
      for (const a of [DATA, DATA + 0x7ff, DATA + 0xffd, DATA + 0xffe, DATA + 0xfff, DATA + 0x1ffe]) {
        h.setU32(a, 0xdeadbeef);
        expect(h.u32(a)).toBe(0xdeadbeef);
        expect(h.u16(a)).toBe(0xbeef);
        expect(h.u16(a + 2)).toBe(0xdead);
        expect(h.u8(a + 3)).toBe(0xde);
        expect([...e.read(a, 4)]).toEqual([0xef, 0xbe, 0xad, 0xde]);
        h.setU16(a, -2); // stored modulo 2^16
        expect(h.u16(a)).toBe(0xfffe);
        h.setU8(a, 0x1ff);
        expect(h.u8(a)).toBe(0xff);
        h.setU32(a, -1);
        expect(h.u32(a)).toBe(0xffffffff);
      }
      h.setU32(DATA + 0xffc, 0x11223344);
      h.setU32(DATA + 0x1000, 0x55667788);
      expect(e.readU64(DATA + 0xffc)).toBe(0x5566778811223344n);
      e.writeU64(DATA + 0x20, 0x0102030405060708n);
      expect(h.u32(DATA + 0x20)).toBe(0x05060708);
      expect(h.u32(DATA + 0x24)).toBe(0x01020304);
    });

    it("read (fresh and into a buffer), write, fill and copy, across pages", () => {
      e = setup(name);
      const h = e.hmem;
      const src = Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + 3) & 0xff);
      h.write(DATA + 0xf80, src); // straddles into the second page
      expect([...h.read(DATA + 0xf80, 300)]).toEqual([...src]);
      const into = new Uint8Array(16).fill(0xaa);
      expect(h.read(DATA + 0xff8, 10, into)).toBe(into);
      expect([...into.subarray(0, 10)]).toEqual([...src.subarray(0x78, 0x82)]);
      expect(into[10]).toBe(0xaa);
      expect(() => h.read(DATA, 17, into)).toThrow(RangeError);
      h.fill(DATA + 0xff0, 0x20, 0x5a);
      expect([...h.read(DATA + 0xfee, 0x24)]).toEqual([src[0x6e], src[0x6f], ...new Array(0x20).fill(0x5a), src[0x90], src[0x91]]);
      // memmove both ways, overlapping, across the page boundary.
      const ref = h.read(DATA, 0x3000);
      const mm = (dst: number, s: number, n: number): void => {
        ref.copyWithin(dst - DATA, s - DATA, s - DATA + n);
        h.copy(dst, s, n);
        expect(Buffer.from(h.read(DATA, 0x3000)).equals(Buffer.from(ref))).toBe(true);
      };
      for (let i = 0; i < 0x3000; i++) h.setU8(DATA + i, (i * 13) ^ (i >> 8));
      ref.set(h.read(DATA, 0x3000));
      mm(DATA + 0xf90, DATA + 0xfa0, 0x100); // down by 16
      mm(DATA + 0xfa0, DATA + 0xf90, 0x100); // up by 16
      mm(DATA + 0x1003, DATA + 0xff0, 0x1500); // up, long, three pages
      mm(DATA + 0x10, DATA + 0x1fff, 0x20); // disjoint
      mm(DATA + 0x5, DATA + 0x5, 0x40); // onto itself
      if (e instanceof LockstepEngine) {
        // Writes went to both CPUs.
        expect(Buffer.from(e.b.hmem.read(DATA, 0x3000)).equals(Buffer.from(ref))).toBe(true);
      }
    });

    it("ignores permissions but not mapping", () => {
      e = setup(name);
      const h = e.hmem;
      h.setU32(RO, 0x12345678);
      expect(h.u32(RO)).toBe(0x12345678);
      h.setU8(NONE + 5, 9);
      expect(h.u8(NONE + 5)).toBe(9);
      h.setU8(CODE, 0x90);
      expect(h.u8(CODE)).toBe(0x90);
    });

    it("throws EngineMemoryError naming the first unmapped byte, and a failing write changes nothing", () => {
      e = setup(name);
      const h = e.hmem;
      expect(messageOf(() => h.u8(GAP))).toBe("memory at 0x504000 is not mapped");
      expect(messageOf(() => h.u32(GAP - 2))).toBe("memory at 0x504000 is not mapped");
      expect(messageOf(() => h.read(GAP - 4, 8, new Uint8Array(8)))).toBe("memory at 0x504000 is not mapped");
      expect(messageOf(() => e.readU64(0))).toBe("memory at 0x0 is not mapped");
      expect(messageOf(() => h.u8(-8))).toBe("memory at 0xfffffffffffffff8 is not mapped");
      h.setU32(GAP - 4, 0x01020304);
      for (const f of [
        () => h.setU32(GAP - 2, 0xffffffff),
        () => h.setU16(GAP - 1, 0xffff),
        () => h.write(GAP - 4, new Uint8Array(8).fill(0xff)),
        () => h.fill(GAP - 4, 8, 0xff),
        () => h.copy(GAP - 4, DATA, 8),
        () => e.writeU64(GAP - 4, -1n),
      ]) {
        expect(messageOf(f)).toBe("memory at 0x504000 is not mapped");
        expect(h.u32(GAP - 4)).toBe(0x01020304);
      }
      expect(messageOf(() => h.copy(DATA, GAP - 4, 8))).toBe("memory at 0x504000 is not mapped");
      expect(h.u32(DATA)).toBe(0);
    });

    it("getRegN/setRegN round-trip every register and agree with getReg/setReg", () => {
      e = setup(name);
      const ids: RegId[] = REG_IDS.filter((r) => r !== REG_RFLAGS);
      for (const r of ids) {
        for (const v of [0, 1, 0xffffffff, 0x100000000, 0x7fffffffffff, Number.MAX_SAFE_INTEGER]) {
          if (r === REG_RIP && v > 0x7fffffffffff) continue; // RIP holds canonical addresses
          e.setRegN(r, v);
          expect(e.getRegN(r)).toBe(v);
          expect(e.getReg(r)).toBe(BigInt(v));
        }
        e.setReg(r, 0x123456789an);
        expect(e.getRegN(r)).toBe(0x123456789a);
      }
      e.setRegN(REG_RFLAGS, 0x8d5);
      expect(e.getRegN(REG_RFLAGS)).toBe(0x8d7); // bit 1 always reads 1
      expect(e.getReg(REG_RFLAGS)).toBe(0x8d7n);
      e.setReg(RAX, -1n);
      expect(e.getRegN(RAX)).toBe(2 ** 64); // not exact above 2^53, but unsigned
      for (const bad of [-1, 0.5, 2 ** 53, NaN, Infinity]) expect(() => e.setRegN(RBX, bad)).toThrow(RangeError);
    });

    it("RIP reads back unsigned, also in the kernel half", () => {
      e = setup(name);
      e.setReg(REG_RIP, 0xffffffffdeadbeefn);
      expect(e.getReg(REG_RIP)).toBe(0xffffffffdeadbeefn);
      expect(e.getRegN(REG_RIP)).toBeGreaterThan(0);
    });

    it("the guest sees host writes and the host sees guest writes", () => {
      e = setup(name);
      // MOVQ (BX), AX; ADDQ $1, AX; MOVQ AX, 8(BX); INT3
      e.hmem.write(CODE, Uint8Array.of(0x48, 0x8b, 0x03, 0x48, 0x83, 0xc0, 0x01, 0x48, 0x89, 0x43, 0x08, 0xcc));
      e.hmem.setU32(DATA + 0x100, 41);
      e.hmem.setU32(DATA + 0x104, 0x10);
      e.setRegN(RBX, DATA + 0x100);
      e.setRegN(REG_RIP, CODE);
      expect(e.run(10).kind).toBe("breakpoint");
      expect(e.getRegN(RAX)).toBe(0x10_0000_002a);
      expect(e.hmem.u32(DATA + 0x108)).toBe(42);
      expect(e.hmem.u32(DATA + 0x10c)).toBe(0x10);
    });

    it("a host write into code is seen by the next execution (self-modifying code)", () => {
      e = setup(name);
      // MOVL $1, AX; INT3 — run it, patch the immediate, run again.
      e.hmem.write(CODE, Uint8Array.of(0xb8, 1, 0, 0, 0, 0xcc));
      for (const [patch, want] of [[0, 1], [2, 2], [7, 7]] as const) {
        if (patch) e.hmem.setU8(CODE + 1, patch);
        e.setRegN(REG_RIP, CODE);
        expect(e.run(10).kind).toBe("breakpoint");
        expect(e.getRegN(RAX)).toBe(want);
      }
      // Every other writer too: setU32, write, fill, copy.
      const run = (): number => { e.setRegN(REG_RIP, CODE); e.run(10); return e.getRegN(RAX); };
      e.hmem.setU32(CODE + 1, 0x11); expect(run()).toBe(0x11);
      e.hmem.write(CODE + 1, Uint8Array.of(0x22)); expect(run()).toBe(0x22);
      e.hmem.fill(CODE + 1, 1, 0x33); expect(run()).toBe(0x33);
      e.hmem.setU8(DATA, 0x44);
      e.hmem.copy(CODE + 1, DATA, 1); expect(run()).toBe(0x44);
    });
  });
}

describe("host access allocates nothing", () => {
  const N = 1_000_000;
  const names = ENGINE_NAMES.filter((n) => n === "interp" || engineAvailable(n));
  if (!engineAvailable("unicorn")) oracleAvailable("libunicorn", false);

  for (const name of names) {
    it(`a million calls of each HostMem method and of getRegN/setRegN on ${name}`, async () => {
      const e = setup(name);
      try {
        const h = e.hmem;
        const buf = new Uint8Array(16);
        const src = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
        // Accumulators are loop locals: a closure variable holding a
        // non-small number would itself allocate a heap number per store.
        let sink = 0;
        const calls: [string, () => void][] = [
          ["u8", () => { let s = 0; for (let i = 0; i < N; i++) s = (s + h.u8(DATA + (i & 0x1fff))) | 0; sink |= s; }],
          ["u16", () => { let s = 0; for (let i = 0; i < N; i++) s = (s + h.u16(DATA + (i & 0x1fff))) | 0; sink |= s; }],
          ["u32", () => { let s = 0; for (let i = 0; i < N; i++) s = (s + h.u32(DATA + (i & 0x1fff))) | 0; sink |= s; }],
          ["setU8", () => { for (let i = 0; i < N; i++) h.setU8(DATA + (i & 0x1fff), i); }],
          ["setU16", () => { for (let i = 0; i < N; i++) h.setU16(DATA + (i & 0x1fff), i); }],
          ["setU32", () => { for (let i = 0; i < N; i++) h.setU32(DATA + (i & 0x1fff), i); }],
          ["read into", () => { let s = 0; for (let i = 0; i < N; i++) s = (s + h.read(DATA + (i & 0x1fff), 16, buf)[3]!) | 0; sink |= s; }],
          ["write", () => { for (let i = 0; i < N; i++) h.write(DATA + (i & 0x1fff), src); }],
          ["fill", () => { for (let i = 0; i < N; i++) h.fill(DATA + (i & 0x1fff), 24, i); }],
          ["copy", () => { for (let i = 0; i < N; i++) h.copy(DATA + 0x2000 + (i & 0xfff), DATA + (i & 0x1fff), 24); }],
          ["getRegN", () => { let s = 0; for (let i = 0; i < N; i++) s = (s + e.getRegN((i & 15) as RegId)) | 0; sink |= s; }],
          ["setRegN", () => { for (let i = 0; i < N; i++) e.setRegN((i & 15) as RegId, DATA + i); }],
        ];
        for (const [what, f] of calls) {
          const r = await measureAlloc(f);
          expect(r.minorGCs, `${what}: young collections`).toBe(0);
          expect(r.heapGrowth, `${what}: heap growth`).toBeLessThan(NO_ALLOC_GROWTH);
        }
        expect(sink).not.toBe(0);
      } finally {
        e.close();
      }
    });
  }

  it("the measurement sees an allocating call (engine.read without a buffer)", async () => {
    const e = setup("interp");
    try {
      let keep: Uint8Array | null = null;
      const r = await measureAlloc(() => {
        for (let i = 0; i < N; i++) keep = e.read(DATA + (i & 0xfff), 16);
      });
      expect(keep).not.toBeNull();
      expect(r.minorGCs > 0 || r.heapGrowth >= NO_ALLOC_GROWTH).toBe(true);
    } finally {
      e.close();
    }
  });
});
