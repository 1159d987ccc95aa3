// The unicorn binding itself: what only it has to get right (the counter
// probe, code rewritten from the host, write tracing, software interrupts)
// and the message when libunicorn is missing.
import { describe, it, expect, afterEach } from "vitest";
import { execFileSync } from "node:child_process";
import { countUnicornCalls, UnicornEngine, unicornAvailable, unicornCalls, unicornFastCount, UNICORN_MISSING } from "../../src/engine/unicorn.ts";
import { PROT_EXEC, PROT_READ, PROT_WRITE, REG_RIP, type Stop } from "../../src/engine/engine.ts";
import { RAX, RBX, RCX, RDX } from "../../src/x86/regs.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { setup, P, CODE, DATA, HOST } from "./fixtures.ts";

describe("unicorn binding without the library", () => {
  it("says how to install it", () => {
    const script = `import { UnicornEngine } from "./src/engine/unicorn.ts";
try { new UnicornEngine(); console.log("created"); } catch (e) { console.log(e.message); }`;
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      env: { ...process.env, GMPEMU_LIBUNICORN: "/nonexistent/libunicorn.so.2" },
      encoding: "utf8",
    });
    expect(out.trim()).toBe(UNICORN_MISSING);
    expect(UNICORN_MISSING).toContain("apt-get install libunicorn2");
  });
});

describe.skipIf(!oracleAvailable("libunicorn", unicornAvailable()))("unicorn binding", () => {
  let e: UnicornEngine;
  afterEach(() => e?.close());

  it("found unicorn's instruction counter (exact counts without stepping)", () => {
    expect(unicornFastCount()).toBe(true);
  });

  it("runs code the host rewrote after it was translated", () => {
    e = new UnicornEngine();
    // MOVL $1, AX; INT3
    setup(e, [0xb8, 1, 0, 0, 0, 0xcc]);
    expect(e.run(10).kind).toBe("breakpoint");
    expect(e.getReg(RAX)).toBe(1n);
    e.write(CODE + 1, Uint8Array.of(2));
    e.setReg(REG_RIP, BigInt(CODE));
    expect(e.run(10).kind).toBe("breakpoint");
    expect(e.getReg(RAX)).toBe(2n);
  });

  it("on declared code, stops only at the real special instructions, not at their bytes inside others", () => {
    // MOVL $0x310f, AX (the RDTSC bytes 0f 31 at CODE+1, inside it); RDTSC; INT3.
    const code = [0xb8, 0x0f, 0x31, 0, 0, 0x0f, 0x31, 0xcc];
    const exits = (x: UnicornEngine): Set<number> => (x as unknown as { exitSet: Set<number> }).exitSet;
    for (const declare of [false, true]) {
      e = new UnicornEngine();
      setup(e, code);
      if (declare) e.declareCode(CODE, CODE + code.length);
      expect(e.run(10)).toEqual({ kind: "breakpoint", addr: CODE + 7 });
      // The virtual TSC (one instruction retired before it) either way.
      expect(e.getReg(RAX)).toBe(1n);
      // Undeclared, every offset is classified: the false RDTSC inside the MOV is an exit too.
      expect(exits(e).has(CODE + 5)).toBe(true);
      expect(exits(e).has(CODE + 1)).toBe(!declare);
      e.close();
    }
  });

  it("finds the special instructions of declared code past bytes it cannot decode when the code is declared in pieces", () => {
    // VMOVDQU (SI), Y0 (AVX: the interpreter lacks it, so its length is not
    // trusted and the walk stops there); RDTSC; INT3. The run starts at the RDTSC.
    const code = [0xc5, 0xfe, 0x6f, 0x06, 0x0f, 0x31, 0xcc];
    const exits = (x: UnicornEngine): Set<number> => (x as unknown as { exitSet: Set<number> }).exitSet;
    for (const pieces of [false, true]) {
      e = new UnicornEngine();
      setup(e, code);
      if (pieces) { e.declareCode(CODE, CODE + 4); e.declareCode(CODE + 4, CODE + code.length); }
      else e.declareCode(CODE, CODE + code.length);
      e.setReg(REG_RIP, BigInt(CODE + 4));
      expect(e.run(10)).toEqual({ kind: "breakpoint", addr: CODE + 6 });
      expect(exits(e).has(CODE)).toBe(true);
      // One piece: the RDTSC is never classified, and QEMU runs it (the host's TSC).
      expect(exits(e).has(CODE + 4)).toBe(pieces);
      if (pieces) expect(e.getReg(RAX)).toBe(0n); // the virtual TSC: nothing retired before it
      e.close();
    }
  });

  it("forgets declared code that is unmapped: new code mapped there is classified at every offset", () => {
    // MOVL $0x310f, AX (RDTSC's bytes at CODE+1); INT3.
    const code = [0xb8, 0x0f, 0x31, 0, 0, 0xcc];
    const exits = (x: UnicornEngine): Set<number> => (x as unknown as { exitSet: Set<number> }).exitSet;
    e = new UnicornEngine();
    setup(e, code);
    e.declareCode(CODE, CODE + code.length);
    expect(e.run(10).kind).toBe("breakpoint");
    expect(exits(e).has(CODE + 1)).toBe(false);
    e.unmap(CODE, 0x10000);
    e.map(CODE, 0x10000, PROT_READ | PROT_EXEC);
    e.write(CODE, Uint8Array.from(code));
    e.setReg(REG_RIP, BigInt(CODE));
    expect(e.run(10).kind).toBe("breakpoint");
    expect(exits(e).has(CODE + 1)).toBe(true);
  });

  it("stops at a host function with four native calls, and a host write into data flushes nothing", () => {
    countUnicornCalls(true);
    try {
      e = new UnicornEngine();
      // JMP HOST
      const rel = HOST - (CODE + 5);
      setup(e, [0xe9, rel & 0xff, (rel >> 8) & 0xff, (rel >> 16) & 0xff, (rel >>> 24) & 0xff]);
      e.setHostRange(HOST, HOST + 0x1000);
      const hostCall = (): void => {
        e.setReg(REG_RIP, BigInt(CODE));
        e.setReg(RBX, e.getReg(RBX) + 1n); // what a host function does: reads and writes registers
        expect(e.run(100)).toEqual({ kind: "hostcall", addr: HOST });
        e.hmem.setU32(DATA, e.hmem.u32(DATA) + 1); // and data
      };
      hostCall(); // the first fetch grants the pages
      const ffi = unicornCalls.ffi, starts = unicornCalls.emuStart;
      for (let i = 0; i < 10; i++) hostCall();
      // uc_emu_start, uc_emu_stop (the hook), one batch write, one batch read.
      expect(unicornCalls.emuStart - starts).toBe(10);
      expect(unicornCalls.ffi - ffi).toBe(40);
      // A host write into code removes its translations: one more call.
      const before = unicornCalls.ffi;
      e.write(CODE + 16, Uint8Array.of(0x90));
      expect(unicornCalls.ffi - before).toBeGreaterThan(0);
    } finally {
      countUnicornCalls(false);
    }
  });

  it("traces the writes of each instruction when asked", () => {
    e = new UnicornEngine();
    setup(e, P.atomics);
    e.traceWrites(true);
    e.step();
    expect(e.takeWrites()).toEqual([[DATA, 8]]);
    e.traceWrites(false);
    e.step();
    expect(e.takeWrites()).toEqual([]);
  });

  it("reports INT $3 as a breakpoint and other INT n as #GP at the INT", () => {
    e = new UnicornEngine();
    setup(e, [0x90, 0xcd, 0x03, 0xcd, 0x80]);
    expect(e.run(10)).toEqual({ kind: "breakpoint", addr: CODE + 1 });
    expect(e.getReg(REG_RIP)).toBe(BigInt(CODE + 3));
    expect(e.icount).toBe(2);
    expect(e.run(10)).toEqual({ kind: "fault", fault: { type: "gp", rip: CODE + 3, why: expect.stringContaining("INT $0x80") } });
    expect(e.getReg(REG_RIP)).toBe(BigInt(CODE + 3));
    expect(e.icount).toBe(2);
  });

  it("reports a second #DE as #DE, not as a double fault", () => {
    e = new UnicornEngine();
    setup(e, P.divZero);
    for (let i = 0; i < 3; i++) {
      e.setReg(REG_RIP, BigInt(CODE));
      expect(e.run(10)).toEqual({ kind: "fault", fault: { type: "de", rip: CODE + 7 } });
    }
    expect(e.icount).toBe(6);
  });

  it("executes from our page buffers: a region split by protect and unmap keeps its bytes on both sides", () => {
    e = new UnicornEngine();
    const R = 0x700000;
    e.map(CODE, 0x1000, PROT_READ | PROT_EXEC);
    e.map(R, 0x4000, PROT_READ | PROT_WRITE); // one native block
    expect(e.nativeBlocks).toBe(2); // CODE's and R's
    for (let p = 0; p < 4; p++) e.hmem.setU32(R + p * 0x1000 + 8, 0x1000 + p);
    e.protect(R + 0x1000, 0x1000, PROT_READ); // splits unicorn's region in three
    e.unmap(R + 0x2000, 0x1000); // and the last part in two
    // MOVQ (BX), AX; MOVQ CX, (DX); INT3
    e.hmem.write(CODE, Uint8Array.of(0x48, 0x8b, 0x03, 0x48, 0x89, 0x0a, 0xcc));
    const run = (load: number, store: number): Stop => {
      e.setRegN(RAX, 0); e.setRegN(RBX, load); e.setRegN(RCX, 0xabcd); e.setRegN(RDX, store);
      e.setRegN(REG_RIP, CODE);
      return e.run(10);
    };
    for (const p of [0, 1, 3]) {
      expect(run(R + p * 0x1000 + 8, R + 0x10)).toEqual({ kind: "breakpoint", addr: CODE + 6 });
      expect(e.getRegN(RAX)).toBe(0x1000 + p); // the guest reads what the host wrote
    }
    expect(e.hmem.u32(R + 0x10)).toBe(0xabcd); // and the host what the guest wrote
    expect(run(R + 8, R + 0x3010).kind).toBe("breakpoint");
    expect(e.hmem.u32(R + 0x3010)).toBe(0xabcd);
    expect(run(R + 8, R + 0x1010)).toEqual({ kind: "fault", fault: { type: "page", addr: BigInt(R + 0x1010), access: "write", rip: CODE + 3 } });
    expect(run(R + 0x2008, R)).toEqual({ kind: "fault", fault: { type: "page", addr: BigInt(R + 0x2008), access: "read", rip: CODE } });
    expect(() => e.hmem.u8(R + 0x2000)).toThrow("memory at 0x702000 is not mapped");
    // The block goes when its last page does.
    e.unmap(R, 0x2000);
    expect(e.nativeBlocks).toBe(2); // CODE and R's last page
    e.unmap(R + 0x3000, 0x1000);
    expect(e.nativeBlocks).toBe(1);
  });

  it("maps over a mapped range as Memory does: pages keep their bytes and take the new protection", () => {
    e = new UnicornEngine();
    e.map(DATA, 0x1000, PROT_READ | PROT_WRITE);
    e.hmem.setU32(DATA, 77);
    e.map(DATA - 0x1000, 0x3000, PROT_READ);
    expect(e.hmem.u32(DATA)).toBe(77);
    expect(e.mem.protOf(DATA)).toBe(PROT_READ);
    expect(e.mem.protOf(DATA + 0x1000)).toBe(PROT_READ);
  });

  it("refuses to be used after close", () => {
    e = new UnicornEngine();
    e.close();
    expect(() => e.getReg(RAX)).toThrow(/after close/);
  });
});
