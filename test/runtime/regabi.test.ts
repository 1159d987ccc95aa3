// The bridge's ABIInternal entries: a host function called with Go's
// register ABI gets its arguments from AX, BX, CX, DI, SI, R8... (spilled
// into the caller's spill area, so h.arg reads them as for ABI0) and X0...
// for floats; its results go to AX, BX... when it returns, with R14 = g;
// and it may call machine code and resume at a resume point (whose
// address carries the ABI) or suspend as a generator, results still
// delivered in registers. The same host function called at its ABI0 entry
// returns its results in the frame.
import { describe, expect, it } from "vitest";
import { createEngine } from "../../src/engine/index.ts";
import { PROT_READ, PROT_WRITE, REG_FS_BASE, REG_RIP } from "../../src/engine/engine.ts";
import type { Thread } from "../../src/os/kernel.ts";
import { ABI_INTERNAL, Bridge, HOST_BASE, HOST_FUNCS, HostFault, HostTable, sig, type HostGen, type ResumeDef } from "../../src/runtime/bridge.ts";
import { Mem } from "../../src/runtime/mem.ts";
import { R14, RAX, RBX, RCX, RDI, RSI, RSP, regId } from "../../src/x86/regs.ts";

const STACK = 0x10_0000, STACK_TOP = STACK + 0x10000;
const CALLEE = 0x40_0000;
const RET = 0x40_1234;
const TLS = 0x20_0000;
const G = 0x20_0100;

interface Ctx { seen: number[] }

function machine(define: (t: HostTable<Ctx>) => void) {
  const e = createEngine("interp");
  e.map(STACK, 0x10000, PROT_READ | PROT_WRITE);
  e.map(TLS, 0x1000, PROT_READ | PROT_WRITE);
  const mem = new Mem(e);
  // FS base just past the g slot, which holds G (as the runtime's TLS does).
  e.setRegN(REG_FS_BASE, TLS + 0x800);
  mem.setPtr(TLS + 0x800 - 8, G);
  const t = new HostTable<Ctx>();
  define(t);
  const ctx: Ctx = { seen: [] };
  const b = new Bridge(e, mem, t, ctx);
  b.install();
  const thread = {} as Thread;
  /** Calls host function `name` as compiled code would: return address at SP, arguments in registers. */
  const callInternal = (name: string, regs: Record<number, number | bigint>): void => {
    const sp = STACK_TOP - 0x100;
    mem.setPtr(sp, RET);
    for (const [r, v] of Object.entries(regs)) e.setReg(regId(Number(r)), BigInt(v));
    e.setRegN(RSP, sp);
    e.setRegN(R14, 0);
    b.onHostCall(thread, t.resolveInternal(name)!);
  };
  return { e, mem, t, b, ctx, thread, callInternal };
}

describe("host functions by Go's register ABI (ABIInternal)", () => {
  it("spills the argument registers where ABI0's arguments are, and returns results in registers with R14 = g", () => {
    const m = machine((t) => {
      t.define("t.sum", "p i b p : p i", (ctx, h) => {
        ctx.seen.push(h.arg(0), h.arg(1), h.arg(2), h.arg(3));
        h.ret(0, h.arg(0) + h.arg(3));
        h.ret(1, h.arg(1) * 2);
      });
    });
    const sp = STACK_TOP - 0x100;
    m.callInternal("t.sum", { [RAX]: 40, [RBX]: 0xffff_ffff_0000_0007n, [RCX]: 0x1ff, [RDI]: 2 });
    // The low 32 bits of BX and the low byte of CX, as an int32 and a bool.
    expect(m.ctx.seen).toEqual([40, 7, 0xff, 2]);
    // Spilled at 8(SP), 16(SP), 20(SP), 24(SP): ABI0's argument offsets.
    expect(m.mem.word(sp + 8)).toBe(40);
    expect(m.mem.u32(sp + 16)).toBe(7);
    expect(m.mem.u8(sp + 20)).toBe(0xff);
    expect(m.mem.word(sp + 24)).toBe(2);
    // Returned: RIP at the return address, SP above it, results in AX and BX.
    expect(m.e.getRegN(REG_RIP)).toBe(RET);
    expect(m.e.getRegN(RSP)).toBe(sp + 8);
    expect(m.e.getRegN(RAX)).toBe(42);
    expect(m.e.getRegN(RBX)).toBe(14);
    expect(m.e.getRegN(R14)).toBe(G);
    // Nothing was written into the caller's frame for the results (ABIInternal reserves none).
    expect(m.mem.word(sp + 32)).toBe(0);
  });

  it("the ABI0 entry of the same function returns its results in the frame", () => {
    const m = machine((t) => {
      t.define("t.sum", "p p : p", (_ctx, h) => { h.ret(0, h.arg(0) + h.arg(1)); });
    });
    const sp = STACK_TOP - 0x100;
    m.mem.setPtr(sp, RET);
    m.mem.setWord(sp + 8, 3);
    m.mem.setWord(sp + 16, 4);
    m.e.setRegN(RSP, sp);
    m.e.setRegN(RAX, 99);
    m.b.onHostCall(m.thread, m.t.resolve("t.sum")!);
    expect(m.mem.word(sp + 24)).toBe(7);
    expect(m.e.getRegN(RAX)).toBe(99);
    expect(m.t.resolveInternal("t.sum")).toBe(m.t.resolve("t.sum")! + ABI_INTERNAL);
  });

  it("negative and 64-bit values cross exactly (two's complement above 2^53)", () => {
    const m = machine((t) => {
      t.define("t.neg", "p : p", (_ctx, h) => { h.ret(0, Number(BigInt.asIntN(64, h.argU64(0))) - 1); });
    });
    const sp = STACK_TOP - 0x100;
    m.mem.setPtr(sp, RET);
    m.e.setRegN(RSP, sp);
    m.e.setReg(RAX, -5n);
    m.b.onHostCall(m.thread, m.t.resolveInternal("t.neg")!);
    expect(m.e.getReg(RAX)).toBe(BigInt.asUintN(64, -6n));
  });

  it("argInt reads each width signed: an int64 below -2^31, an int32, a byte", () => {
    let seen: number[] = [];
    const m = machine((t) => {
      t.define("t.ints", "p i b", (_ctx, h) => { seen = [h.argInt(0), h.argInt(1), h.argInt(2)]; });
    });
    // -70000's low byte (0x90) read as a byte would be -112: the int32 must be read as 32 bits.
    m.callInternal("t.ints", { [RAX]: BigInt.asUintN(64, -5_000_000_000n), [RBX]: 0xfffe_ee90, [RCX]: 0x80 });
    expect(seen).toEqual([-5_000_000_000, -70000, -128]);
  });

  it("the host region's address classes: entries 16 apart (ABI0, +8 ABIInternal), nothing between, resume points above the functions", () => {
    let resume!: ResumeDef<Ctx>;
    const m = machine((t) => {
      t.define("t.first", "", () => {});
      const fn = t.define("t.second", "", () => {});
      resume = t.resume(fn, "", () => {});
    });
    const first = m.t.resolve("t.first")!, second = m.t.resolve("t.second")!;
    expect(first).toBe(HOST_BASE);
    expect(second).toBe(HOST_BASE + 16);
    for (const [a, name] of [[first, "t.first"], [first + ABI_INTERNAL, "t.first"], [second, "t.second"], [second + ABI_INTERNAL, "t.second"]] as const) {
      expect(m.b.fnAt(a)?.name).toBe(name);
      expect(m.b.nameAt(a)).toBe(name);
    }
    // Between entries, below the region, past the last function: no function.
    for (const a of [first + 4, first + 12, second + 1, HOST_BASE - 16, HOST_BASE - 8, second + 16]) {
      expect(m.b.fnAt(a)).toBeUndefined();
      expect(m.b.nameAt(a)).toBeUndefined();
    }
    // The first resume point is the first address past the function slots: a resume point, not a function.
    expect(resume.addr).toBe(HOST_BASE + HOST_FUNCS);
    expect(m.b.fnAt(resume.addr)).toBeUndefined();
    expect(m.b.nameAt(resume.addr)).toBe("t.second·resume");
    expect(m.b.nameAt(resume.addr + 4)).toBe("t.second·resume");
    expect(m.b.nameAt(resume.addr + 16)).toBeUndefined();
    // A host call between entries is a fault, and one below the region too.
    expect(() => m.b.onHostCall(m.thread, first + 4)).toThrow(HostFault);
    expect(() => m.b.onHostCall(m.thread, HOST_BASE - 8)).toThrow(HostFault);
  });

  it("a function's return resume point for a signature is made once and reused (the resume region holds 4096)", () => {
    let fn!: ReturnType<HostTable<Ctx>["define"]>;
    const m = machine((t) => { fn = t.define("t.caller", "p", () => {}); });
    const first = m.b.returnResume(fn, sig("p : p"));
    for (let i = 0; i < 5000; i++) expect(m.b.returnResume(fn, sig("p : p"))).toBe(first);
    expect(m.b.returnResume(fn, sig("p p : p")).addr).toBe(first.addr + 16);
  });

  it("a resume point after a call keeps the ABI: the results still go to registers, the frame is found from SP", () => {
    let resume!: ResumeDef<Ctx>;
    const m = machine((t) => {
      const fn = t.define("t.callThen", "p : p p", (_ctx, h) => {
        h.ret(0, 111); // set before the call, kept across it in the result area
        return h.callThen(CALLEE, resume, h.arg(0) + 1);
      }, 16);
      resume = t.resume(fn, "p : p", (_ctx, h) => { h.ret(1, h.result(0) * 10); });
    });
    const sp = STACK_TOP - 0x100;
    m.callInternal("t.callThen", { [RAX]: 5, [RBX]: 0xdead });
    // Now at the callee with its ABI0 frame: argument 6.
    expect(m.e.getRegN(REG_RIP)).toBe(CALLEE);
    const csp = m.e.getRegN(RSP);
    expect(m.mem.word(csp + 8)).toBe(6);
    const ret = m.mem.ptr(csp);
    // The return address is the resume point's, +4 for an ABIInternal activation.
    expect((ret - resume.addr) & 4).toBe(4);
    expect(m.b.nameAt(ret)).toBe("t.callThen·resume");
    // The callee writes its result and returns (RET: SP above the return address).
    m.mem.setWord(csp + 16, 7);
    m.e.setRegN(RSP, csp + 8);
    m.e.setRegN(RAX, 0);
    m.b.onHostCall(m.thread, ret);
    expect(m.e.getRegN(REG_RIP)).toBe(RET);
    expect(m.e.getRegN(RSP)).toBe(sp + 8);
    expect(m.e.getRegN(RAX)).toBe(111);
    expect(m.e.getRegN(RBX)).toBe(70);
    // The frame of the suspended activation is found from the return address alone.
    expect(m.b.frameOfReturn(ret, csp + 8)).toEqual({ name: "t.callThen", frameSp: sp });
    expect(m.b.cfaOffsetOfReturn(ret)).toBe(sp + 8 - (csp + 8));
  });

  it("a generator suspended at a continuation token returns its results in registers too", () => {
    const m = machine((t) => {
      t.define("t.gen", "p p : p", (_ctx, h) => (function* (): HostGen {
        yield h.call(CALLEE, sig("p : p"), h.arg(1));
        h.ret(0, h.result(0) + h.arg(0));
      })());
    });
    m.callInternal("t.gen", { [RAX]: 1000, [RBX]: 20, [RSI]: 9 });
    const csp = m.e.getRegN(RSP);
    expect(m.mem.word(csp + 8)).toBe(20);
    const token = m.mem.ptr(csp);
    expect(m.b.nameAt(token)).toBe("t.gen (continuation)");
    m.mem.setWord(csp + 16, 3);
    m.e.setRegN(RSP, csp + 8);
    m.b.onHostCall(m.thread, token);
    expect(m.e.getRegN(REG_RIP)).toBe(RET);
    expect(m.e.getRegN(RAX)).toBe(1003);
  });

  it("an address between a resume point's four entries is a fault, not a silent return", () => {
    let resume!: ResumeDef<Ctx>;
    const m = machine((t) => {
      const fn = t.define("t.f", "", () => undefined);
      resume = t.resume(fn, "", () => undefined);
    });
    m.e.setRegN(RSP, STACK_TOP - 0x100);
    expect(() => m.b.onHostCall(m.thread, resume.addr + 2)).toThrow(HostFault);
    expect(() => m.b.onHostCall(m.thread, m.t.resolve("t.f")! + 4)).toThrow(HostFault);
  });
});
