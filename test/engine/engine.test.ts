// The Engine interface, checked on every engine with the same programs:
// results, instruction counts, faults with their addresses, host-call stops,
// SYSCALL and INT3 stops, and snapshot/restore round trips. Unicorn is an
// oracle (test/helpers/oracles.ts): without libunicorn its block is skipped,
// unless GMPEMU_REQUIRE_ORACLES=1.
import { describe, it, expect, afterEach } from "vitest";
import { createEngine, ENGINE_NAMES, engineAvailable } from "../../src/engine/index.ts";
import type { Engine, Stop } from "../../src/engine/engine.ts";
import { REG_IDS, REG_RIP, REG_RFLAGS, REG_FS_BASE, PROT_READ, PROT_WRITE } from "../../src/engine/engine.ts";
import { RAX, RBX, RCX, RSP, R11 } from "../../src/x86/regs.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { setup, P, CODE, DATA, RODATA, HOST, UNMAPPED, STACK_TOP } from "./fixtures.ts";

for (const name of ENGINE_NAMES) {
  const available = name === "unicorn" ? oracleAvailable("libunicorn", engineAvailable(name)) : true;
  describe.skipIf(!available)(`engine ${name}`, () => {
    let e: Engine;
    const make = (code: number[]): Engine => {
      e = createEngine(name);
      setup(e, code);
      return e;
    };
    afterEach(() => e?.close());

    it("runs a loop to the INT3 and counts every instruction", () => {
      make(P.sumLoop);
      const s = e.run(1000);
      expect(s).toEqual({ kind: "breakpoint", addr: CODE + P.sumLoop.length - 1 });
      expect(e.getReg(RAX)).toBe(55n);
      expect(e.getReg(RCX)).toBe(0n);
      expect(e.icount).toBe(2 + 3 * 10 + 1);
      expect(e.getReg(REG_RIP)).toBe(BigInt(CODE + P.sumLoop.length));
    });

    it("stops after exactly the budget", () => {
      make(P.nops);
      expect(e.run(7)).toEqual({ kind: "count" });
      expect(e.icount).toBe(7);
      expect(e.getReg(REG_RIP)).toBe(BigInt(CODE + 7));
      expect(e.run(5)).toEqual({ kind: "count" });
      expect(e.icount).toBe(12);
      expect(e.step()).toEqual({ kind: "count" });
      expect(e.icount).toBe(13);
      expect(e.getReg(REG_RIP)).toBe(BigInt(CODE + 13));
    });

    it("stepping and running agree", () => {
      make(P.sumLoop);
      let s: Stop;
      let n = 0;
      while ((s = e.step()).kind === "count") n++;
      expect(s.kind).toBe("breakpoint");
      expect(n).toBe(32);
      expect(e.icount).toBe(33);
      expect(e.getReg(RAX)).toBe(55n);
    });

    it("reports SYSCALL after it, with RCX and R11 set", () => {
      make(P.syscall);
      expect(e.run(100)).toEqual({ kind: "syscall" });
      const after = BigInt(CODE + 9);
      expect(e.getReg(REG_RIP)).toBe(after);
      expect(e.getReg(RCX)).toBe(after);
      expect(e.getReg(R11) & 0xffn).toBe(e.getReg(REG_RFLAGS) & 0xffn);
      expect(e.getReg(RAX)).toBe(60n);
      expect(e.icount).toBe(2);
    });

    it.each([
      ["unmapped read", P.readUnmapped, BigInt(UNMAPPED), "read", CODE + 1, 1],
      ["unmapped write", P.writeUnmapped, BigInt(UNMAPPED + 0x10), "write", CODE + 1, 1],
      ["write to read-only", P.writeReadOnly, BigInt(RODATA + 8), "write", CODE + 1, 1],
      ["fetch from data", P.execData, BigInt(DATA), "exec", DATA, 2],
      ["fetch from unmapped", P.execUnmapped, BigInt(UNMAPPED), "exec", UNMAPPED, 2],
    ] as const)("faults on %s with the address and access", (_n, code, addr, access, rip, retired) => {
      make([...code]);
      const s = e.run(100);
      expect(s).toEqual({ kind: "fault", fault: { type: "page", addr, access, rip } });
      expect(e.getReg(REG_RIP)).toBe(BigInt(rip));
      // The faulting instruction did not retire.
      expect(e.icount).toBe(retired);
    });

    it("reports the first inaccessible byte of a straddling access", () => {
      make(P.straddle);
      const s = e.run(10);
      expect(s).toEqual({ kind: "fault", fault: { type: "page", addr: BigInt(STACK_TOP), access: "read", rip: CODE } });
      expect(e.icount).toBe(0);
    });

    it("raises #UD with the bytes and #DE at the instruction", () => {
      make(P.ud2);
      const s = e.run(10);
      expect(s.kind).toBe("fault");
      if (s.kind === "fault" && s.fault.type === "ud") {
        expect(s.fault.rip).toBe(CODE + 1);
        expect([...s.fault.bytes.subarray(0, 2)]).toEqual([0x0f, 0x0b]);
      } else {
        expect.unreachable(`expected #UD, got ${JSON.stringify(s)}`);
      }
      expect(e.icount).toBe(1);
      e.close();
      make(P.divZero);
      expect(e.run(10)).toEqual({ kind: "fault", fault: { type: "de", rip: CODE + 7 } });
      expect(e.icount).toBe(2);
    });

    it("stops before executing in the host range", () => {
      make(P.callHost);
      e.setHostRange(HOST, HOST + 0x1000);
      expect(e.run(100)).toEqual({ kind: "hostcall", addr: HOST + 0x40 });
      expect(e.icount).toBe(2);
      expect(e.getReg(REG_RIP)).toBe(BigInt(HOST + 0x40));
      const sp = Number(e.getReg(RSP));
      expect(sp).toBe(STACK_TOP - 0x108);
      expect(e.readU64(sp)).toBe(BigInt(CODE + 9));
      // Staying there stops again without executing anything.
      expect(e.step()).toEqual({ kind: "hostcall", addr: HOST + 0x40 });
      expect(e.icount).toBe(2);
      // The host "returns": pop the return address, continue.
      e.setReg(REG_RIP, e.readU64(sp));
      e.setReg(RSP, BigInt(sp + 8));
      expect(e.step()).toEqual({ kind: "count" });
      expect(e.getReg(REG_RIP)).toBe(BigInt(CODE + 10));
    });

    it("addresses FS-relative memory through FS base", () => {
      make(P.fsLoad);
      e.setReg(REG_FS_BASE, BigInt(DATA + 0x100));
      e.writeU64(DATA + 0x108, 0xdead_beef_cafe_f00dn);
      expect(e.run(10).kind).toBe("breakpoint");
      expect(e.getReg(RAX)).toBe(0xdead_beef_cafe_f00dn);
      expect(e.readU64(DATA + 0x110)).toBe(0xdead_beef_cafe_f00dn);
    });

    it("pushes, pops and calls through the stack", () => {
      make(P.stack);
      expect(e.run(10).kind).toBe("breakpoint");
      expect(e.getReg(RBX)).toBe(5n);
      expect(e.getReg(RCX)).toBe(BigInt(CODE + 8));
      expect(e.getReg(RSP)).toBe(BigInt(STACK_TOP - 0x100));
    });

    it("moves and xors X registers", () => {
      make(P.sse);
      const v = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
      e.write(DATA, v);
      const x2 = Uint8Array.from({ length: 16 }, () => 0xff);
      e.setXmm(2, x2);
      expect(e.getXmm(2)).toEqual(x2);
      expect(e.run(10).kind).toBe("breakpoint");
      expect(e.getXmm(1)).toEqual(v);
      const want = v.map((b) => b ^ 0xff);
      expect(e.getXmm(2)).toEqual(want);
      expect(e.read(DATA + 16, 16)).toEqual(want);
    });

    it("does atomic read-modify-writes", () => {
      make(P.atomics);
      e.writeU64(DATA, 100n);
      e.setReg(RAX, 5n);
      e.setReg(RCX, 77n);
      expect(e.run(10).kind).toBe("breakpoint");
      // XADD: memory 105, AX 100; CMPXCHG compares AX (100) with 105: fails, AX = 105.
      expect(e.readU64(DATA)).toBe(105n);
      expect(e.getReg(RAX)).toBe(105n);
    });

    it("restores a snapshot: registers, memory, mappings, icount", () => {
      make(P.sumLoop);
      e.run(5);
      const snap = e.snapshot();
      const rax = e.getReg(RAX), rip = e.getReg(REG_RIP), count = e.icount;
      e.writeU64(DATA, 42n);
      e.map(0x200000, 0x1000, PROT_READ | PROT_WRITE);
      e.protect(DATA, 0x1000, PROT_READ);
      e.setXmm(3, new Uint8Array(16).fill(9));
      e.run(1000);
      expect(e.getReg(RAX)).toBe(55n);
      e.restore(snap);
      expect(e.getReg(RAX)).toBe(rax);
      expect(e.getReg(REG_RIP)).toBe(rip);
      expect(e.icount).toBe(count);
      expect(e.readU64(DATA)).toBe(0n);
      expect(e.getXmm(3)).toEqual(new Uint8Array(16));
      expect(() => e.read(0x200000, 1)).toThrow();
      e.writeU64(DATA, 1n); // writable again
      // And it runs on to the same end.
      expect(e.run(1000).kind).toBe("breakpoint");
      expect(e.getReg(RAX)).toBe(55n);
      expect(e.icount).toBe(33);
    });

    it("round-trips every register", () => {
      make(P.nops);
      for (const r of REG_IDS.slice(0, 16)) {
        const v = 0x0102_0304_0506_0708n * BigInt(r + 1);
        e.setReg(r, v);
        expect(e.getReg(r)).toBe(BigInt.asUintN(64, v));
      }
      e.setReg(REG_FS_BASE, 0x7fff_1234_5000n);
      expect(e.getReg(REG_FS_BASE)).toBe(0x7fff_1234_5000n);
      e.setReg(REG_RFLAGS, 0x8d5n);
      expect(e.getReg(REG_RFLAGS) & 0xfffn).toBe(0x8d7n); // bit 1 always set
    });
  });
}
