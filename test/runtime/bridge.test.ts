// The bridge (src/runtime/bridge.ts) on its own, with no runtime: an
// engine, a stack, a host table of test functions, and calls made the way
// machine code makes them (a return address at SP, ABI0 arguments above
// it, RIP at the host address). Where a host function calls machine code,
// the test plays the callee: it writes the callee's results into its frame
// and returns as RET does (SP just above the return address, RIP at it),
// so every offset the bridge computes is checked against the ABI0 layout,
// not against the bridge's own arithmetic.
import { describe, expect, it } from "vitest";
import { createEngine } from "../../src/engine/index.ts";
import { PROT_READ, PROT_WRITE, REG_RIP, type Engine } from "../../src/engine/engine.ts";
import type { Thread } from "../../src/os/kernel.ts";
import {
  Bridge, CALLED, finish, HOST_BASE, HOST_FUNCS, HOST_SIZE, HostFault, HostTable, JUMPED, maybe, sig,
  type HostCall, type HostGen, type HostResult,
} from "../../src/runtime/bridge.ts";
import { Mem } from "../../src/runtime/mem.ts";
import { GoFault } from "../../src/runtime/panic.ts";

const RESUME_BASE = HOST_BASE + HOST_FUNCS;
const TOKEN_BASE = RESUME_BASE + 0x1_0000;
const STACK = 0x7000_0000;
const STACK_TOP = STACK + 0x10000;
const RSP = 4;
/** A return address in "machine code" (never executed: the test plays the caller). */
const CALLER_PC = 0x40_1234;
/** A callee in "machine code". */
const CALLEE = 0x40_2000;

interface Ctx { log: string[] }
type HC = HostCall<Ctx>;

function machine(define: (t: HostTable<Ctx>) => void) {
  const e: Engine = createEngine("interp");
  e.map(STACK, STACK_TOP - STACK, PROT_READ | PROT_WRITE);
  const mem = new Mem(e);
  const t = new HostTable<Ctx>();
  t.section("test/runtime/bridge.test.ts", define);
  const ctx: Ctx = { log: [] };
  const b = new Bridge<Ctx>(e, mem, t, ctx);
  b.install();
  const thread = { tid: 1000 } as Thread;
  const sp = (): number => e.getRegN(RSP);
  const rip = (): number => e.getRegN(REG_RIP);
  /** Machine code calls host function `name` with these argument words at 8(SP)…; SP is 16-aligned + 8 at entry. */
  const call = (name: string, args: bigint[] = [], at = STACK_TOP - 0x100): void => {
    const frame = at - 8 * (args.length + 4);
    mem.setPtr(frame, CALLER_PC);
    args.forEach((v, i) => mem.setU64(frame + 8 + 8 * i, v));
    e.setRegN(RSP, frame);
    b.onHostCall(thread, t.resolve(name)!);
  };
  /** The callee returns (RET): SP just above its return address, control to that address. */
  const ret = (): void => {
    const at = sp();
    const to = mem.ptr(at);
    e.setRegN(RSP, at + 8);
    e.setRegN(REG_RIP, to);
    b.onHostCall(thread, to);
  };
  return { e, mem, t, b, ctx, thread, sp, rip, call, ret };
}

describe("signatures", () => {
  it("ABI0 layout: each slot aligned to its size, results from the next 8-byte boundary", () => {
    const futex = sig("p i i p p i : i");
    expect(futex.args.map((s) => [s.off, s.size])).toEqual([[0, 8], [8, 4], [12, 4], [16, 8], [24, 8], [32, 4]]);
    expect(futex.rets.map((s) => [s.off, s.size])).toEqual([[40, 4]]);
    expect(futex.size).toBe(48);
    const mixed = sig("b i b p : b p");
    expect(mixed.args.map((s) => s.off)).toEqual([0, 4, 8, 16]);
    expect(mixed.rets.map((s) => s.off)).toEqual([24, 32]);
    expect(mixed.size).toBe(40);
    expect(sig("").size).toBe(0);
    expect(sig(": p").rets[0]!.off).toBe(0);
    expect(sig("b").size).toBe(8);
    expect(sig("p p : i")).toBe(sig("p p : i")); // parsed once
    expect(() => sig("p q")).toThrow(/^bridge: bad signature "p q"$/);
  });
});

describe("the host table", () => {
  it("gives functions addresses 16 bytes apart in declaration order, and resume points their own", () => {
    const t = new HostTable<Ctx>();
    let a!: ReturnType<typeof t.define>;
    t.section("one.ts", (x) => {
      a = x.define("f.a", "", () => undefined);
      x.define("f.b", "p", () => undefined, 32);
    });
    t.section("two.ts", (x) => x.define("f.c", "", () => undefined));
    expect(t.resolve("f.a")).toBe(HOST_BASE);
    expect(t.resolve("f.b")).toBe(HOST_BASE + 16);
    expect(t.resolve("f.c")).toBe(HOST_BASE + 32);
    expect(t.resolve("nope")).toBeUndefined();
    expect(t.addrOfFn(a)).toBe(HOST_BASE);
    expect(t.fileOf("f.b")).toBe("one.ts");
    expect(t.fileOf("f.c")).toBe("two.ts");
    expect(t.fileOf("nope")).toBeUndefined();
    const r0 = t.resume(a, "p", () => undefined);
    const r1 = t.resume(a, "p i : i", () => undefined, "after");
    expect(r0).toMatchObject({ name: "f.a·resume", addr: RESUME_BASE });
    expect(r1).toMatchObject({ name: "f.a·after", addr: RESUME_BASE + 16 });
    expect(r1.callSig).toBe(sig("p i : i"));
  });

  it("refuses a name twice, locals not a multiple of 16, and a full table", () => {
    const t = new HostTable<Ctx>();
    t.define("x", "", () => undefined);
    expect(() => t.define("x", "", () => undefined)).toThrow("bridge: x defined twice");
    expect(() => t.define("y", "", () => undefined, 8)).toThrow("bridge: y: locals must be a multiple of 16");
    for (let i = 1; i < HOST_FUNCS / 16; i++) t.define(`f${i}`, "", () => undefined);
    expect(() => t.define("one.more", "", () => undefined)).toThrow("bridge: too many host functions");
    const u = new HostTable<Ctx>();
    const f = u.define("f", "", () => undefined);
    for (let i = 0; i < 0x1_0000 / 16; i++) u.resume(f, "", () => undefined);
    expect(() => u.resume(f, "", () => undefined)).toThrow("bridge: too many resume points");
  });
});

describe("calls into host functions", () => {
  it("reads arguments of every width, signed and unsigned, writes results, and returns as RET", () => {
    let seen: unknown[] = [];
    const m = machine((t) => t.define("f", "p i b p : p i b", (_c, h) => {
      seen = [h.name, h.pc, h.callerSp, h.arg(0), h.arg(1), h.arg(2), h.argInt(1), h.argInt(2), h.argInt(3), h.argU64(3), h.argU64(1), h.argU64(2), h.thread.tid];
      h.ret(0, -2);
      h.ret(1, -3);
      h.ret(2, 0x1ff);
    }));
    // Arguments: 0x1122334455, int32 -5 (at +8), byte 0xfe (at +12), int64 -7 (at +16).
    const frame = STACK_TOP - 0x100 - 8 * 8;
    m.mem.setPtr(frame, CALLER_PC);
    m.mem.setU64(frame + 8, 0x11_2233_4455n);
    m.mem.setU64(frame + 16, 0x0000_00fe_ffff_fffbn);
    m.mem.setU64(frame + 24, BigInt.asUintN(64, -7n));
    m.e.setRegN(RSP, frame);
    m.b.onHostCall(m.thread, m.t.resolve("f")!);
    expect(seen).toEqual(["f", CALLER_PC, frame + 8, 0x11_2233_4455, 0xffff_fffb, 0xfe, -5, -2, -7, BigInt.asUintN(64, -7n), 0xffff_fffbn, 0xfen, 1000]);
    // Results after the arguments (p i b p: 24 bytes): p at +24, i at +32, b at +36.
    expect(m.mem.u64(frame + 8 + 24)).toBe(BigInt.asUintN(64, -2n));
    expect(m.mem.u32(frame + 8 + 32)).toBe(0xffff_fffd);
    expect(m.mem.u8(frame + 8 + 36)).toBe(0xff);
    expect(m.mem.u8(frame + 8 + 37)).toBe(0);
    // RET: RIP at the return address, SP above it.
    expect(m.rip()).toBe(CALLER_PC);
    expect(m.sp()).toBe(frame + 8);
    expect(m.b.calls).toBe(1);
    expect(m.b.activeFn).toBeUndefined();
  });

  it("a plain call into machine code and back through a resume point: the callee's frame, its results, the host frame found from SP", () => {
    let resumed: unknown[] = [];
    const m = machine((t) => {
      const f = t.define("f", "p : p", (_c, h) => h.callThen(CALLEE, back, 7, h.arg(0) * 2, 9), 32);
      const back = t.resume(f, "p p b : p i", (_c, h) => {
        resumed = [h.frameSp, h.result(0), h.result(1), h.arg(0), h.locals];
        h.ret(0, h.result(0) + h.result(1));
      });
    });
    m.call("f", [21n]);
    const frameSp = STACK_TOP - 0x100 - 8 * 5;
    const callSp = m.sp();
    // The callee's frame: below the host frame and its 32 bytes of locals, 16-aligned plus the return address.
    expect(m.rip()).toBe(CALLEE);
    expect((callSp + 8) % 16).toBe(0);
    expect(callSp + 8 + 24).toBeLessThanOrEqual(frameSp - 32);
    expect(m.mem.u64(callSp + 8)).toBe(7n);
    expect(m.mem.u64(callSp + 16)).toBe(42n);
    expect(m.mem.u8(callSp + 24)).toBe(9);
    // The return address is the resume point, plus the padding that gives the host frame back.
    const retAddr = m.mem.ptr(callSp);
    expect(retAddr === RESUME_BASE || retAddr === RESUME_BASE + 8).toBe(true);
    expect(m.b.nameAt(retAddr)).toBe("f·resume");
    expect(m.b.frameOfReturn(retAddr, callSp + 8)).toEqual({ name: "f", frameSp });
    expect(m.b.cfaOffsetOfReturn(retAddr)).toBe(frameSp + 8 - (callSp + 8));
    // The callee's results: p at +24, i at +32.
    m.mem.setU64(callSp + 8 + 24, 100n);
    m.mem.setU32(callSp + 8 + 32, 0xffff_ffff);
    m.ret();
    expect(resumed).toEqual([frameSp, 100, -1, 21, frameSp - 32]);
    expect(m.mem.u64(frameSp + 8 + 8)).toBe(99n);
    expect(m.rip()).toBe(CALLER_PC);
    expect(m.sp()).toBe(frameSp + 8);
  });

  it("a resume point finds its frame again after the stack moved (copystack moves by whole pages)", () => {
    let got = 0;
    const m = machine((t) => {
      const f = t.define("f", "p", (_c, h) => h.callThen(CALLEE, back), 16);
      const back = t.resume(f, "", (_c, h) => { got = h.arg(0); });
    });
    // Both paddings: host frames at SP ≡ 0 and ≡ 8 (mod 16).
    for (const at of [STACK_TOP - 0x200, STACK_TOP - 0x208]) {
      m.call("f", [0x55n], at);
      const callSp = m.sp();
      const delta = -0x1000;
      const frameSp = at - 8 * 5;
      m.mem.copy(frameSp + delta - 64, frameSp - 64, 128);
      m.e.setRegN(RSP, callSp + delta);
      got = 0;
      m.ret();
      expect(got).toBe(0x55);
      expect(m.sp()).toBe(frameSp + delta + 8);
      expect(m.rip()).toBe(CALLER_PC);
    }
  });

  it("tailcall: machine code runs, then the host function returns to its caller", () => {
    const m = machine((t) => t.define("f", "p : p", (_c, h) => {
      h.ret(0, 5);
      return h.tailcall(CALLEE, sig("p"), 3);
    }));
    m.call("f", [1n]);
    const frameSp = STACK_TOP - 0x100 - 8 * 5;
    expect(m.rip()).toBe(CALLEE);
    expect(m.mem.u64(m.sp() + 8)).toBe(3n);
    expect(m.b.nameAt(m.mem.ptr(m.sp()))).toBe("f·return");
    m.ret();
    expect(m.rip()).toBe(CALLER_PC);
    expect(m.sp()).toBe(frameSp + 8);
    expect(m.mem.u64(frameSp + 16)).toBe(5n);
  });

  it("jump: control goes for good, the frame below the host frame or at the SP given", () => {
    const m = machine((t) => {
      t.define("j", "", (_c, h) => h.jump(CALLEE, sig("p p"), 1, 2), 16);
      t.define("k", "", (_c, h) => h.jumpSp(CALLEE, sig("p"), STACK_TOP - 0x40, 6));
    });
    m.call("j");
    const frameSp = STACK_TOP - 0x100 - 32;
    expect(m.rip()).toBe(CALLEE);
    expect(m.sp()).toBe(Math.floor((frameSp - 16 - 16) / 16) * 16 - 8);
    expect(m.mem.ptr(m.sp())).toBe(0);
    expect([m.mem.u64(m.sp() + 8), m.mem.u64(m.sp() + 16)]).toEqual([1n, 2n]);
    m.call("k");
    expect(m.sp()).toBe(Math.floor((STACK_TOP - 0x40 - 8) / 16) * 16 - 8);
    expect(m.mem.u64(m.sp() + 8)).toBe(6n);
  });
});

describe("generators and continuation tokens", () => {
  it("each yielded call gets a token as its return address; results are read where the callee left them", () => {
    const trail: unknown[] = [];
    const m = machine((t) => t.define("g", "p : p", function* (_c: Ctx, h: HC) {
      yield h.call(CALLEE, sig("p i : i p"), h.arg(0), 2);
      trail.push(h.result(0), h.result(1));
      const s = h.scratch(24);
      trail.push(s);
      yield h.call(CALLEE, sig("p : b"), s);
      trail.push(h.result(0));
      h.ret(0, 77);
    }, 16));
    m.call("g", [10n]);
    const frameSp = STACK_TOP - 0x100 - 40;
    const t1 = m.mem.ptr(m.sp());
    expect(t1).toBe(TOKEN_BASE);
    expect(m.b.nameAt(t1)).toBe("g (continuation)");
    expect(m.b.frameOfReturn(t1, m.sp() + 8)).toEqual({ name: "g", frameSp });
    expect(m.b.cfaOffsetOfReturn(t1)).toBe(frameSp - m.sp());
    expect([m.mem.u64(m.sp() + 8), m.mem.u32(m.sp() + 16)]).toEqual([10n, 2]);
    // int32 result at +16 (signed), p at +24.
    m.mem.setU32(m.sp() + 8 + 16, 0xffff_fff0);
    m.mem.setU64(m.sp() + 8 + 24, 0xabcdefn);
    m.ret();
    // The second call: its frame below the 24 bytes of scratch (rounded to 32), below the 16 of locals.
    expect(trail).toEqual([-16, 0xabcdef, frameSp - 16 - 32]);
    expect(m.sp() + 8 + 8).toBeLessThanOrEqual(frameSp - 16 - 32);
    // The first token was freed and is used again.
    expect(m.mem.ptr(m.sp())).toBe(TOKEN_BASE);
    m.mem.setU8(m.sp() + 8 + 8, 0x80);
    m.ret();
    expect(trail.at(-1)).toBe(0x80);
    expect(m.rip()).toBe(CALLER_PC);
    expect(m.mem.u64(frameSp + 16)).toBe(77n);
    // A token is good once.
    expect(() => m.b.onHostCall(m.thread, TOKEN_BASE)).toThrow(HostFault);
    expect(() => m.b.onHostCall(m.thread, TOKEN_BASE)).toThrow(/^jump to host address 0x7f020000: a stale continuation \(resumed twice\?\)$/);
  });

  it("tokens are per suspension: two suspended generators, resumed in the other order", () => {
    const order: string[] = [];
    const m = machine((t) => t.define("g", "p", function* (_c: Ctx, h: HC) {
      const me = String(h.arg(0));
      yield h.call(CALLEE, sig(""));
      order.push(me);
    }));
    m.call("g", [1n], STACK_TOP - 0x100);
    const first = { sp: m.sp() };
    m.call("g", [2n], STACK_TOP - 0x800);
    const second = { sp: m.sp() };
    expect(m.mem.ptr(first.sp)).toBe(TOKEN_BASE);
    expect(m.mem.ptr(second.sp)).toBe(TOKEN_BASE + 1);
    m.e.setRegN(RSP, second.sp);
    m.ret();
    m.e.setRegN(RSP, first.sp);
    m.ret();
    expect(order).toEqual(["2", "1"]);
  });

  it("moveFrames moves a suspended generator's frame with its stack, and only that one", () => {
    let frame = 0;
    const m = machine((t) => t.define("g", "p", function* (_c: Ctx, h: HC) {
      yield h.call(CALLEE, sig(""));
      frame = h.frameSp;
      h.ret; // the frame is where the moved stack has it
    }));
    m.call("g", [1n], STACK_TOP - 0x100);
    const sp = m.sp();
    const frameSp = STACK_TOP - 0x100 - 40;
    expect(m.b.moveFrames(STACK, STACK + 0x100, 0x2000)).toBe(0);
    expect(m.b.moveFrames(STACK, STACK_TOP, -0x4000)).toBe(1);
    m.mem.copy(frameSp - 0x4000 - 64, frameSp - 64, 128);
    m.e.setRegN(RSP, sp - 0x4000);
    m.ret();
    expect(frame).toBe(frameSp - 0x4000);
    expect(m.rip()).toBe(CALLER_PC);
    expect(m.sp()).toBe(frameSp - 0x4000 + 8);
  });

  it("finish and maybe run a plain result or a generator to its end inside another", () => {
    const m = machine((t) => {
      t.define("outer", "", function* (_c: Ctx, h: HC) {
        const plain: HostResult = undefined;
        expect(yield* finish(plain)).toBeUndefined();
        expect(yield* finish(CALLED)).toBe(CALLED);
        yield* maybe(undefined);
        yield* maybe((function* (): HostGen<void> { yield h.call(CALLEE, sig("")); })());
        return yield* finish((function* (): HostGen { yield h.call(CALLEE, sig("")); return JUMPED; })());
      });
    });
    m.call("outer");
    expect(m.rip()).toBe(CALLEE);
    m.ret();
    expect(m.rip()).toBe(CALLEE);
    m.ret();
    // Ended in JUMPED: nothing returns to the caller.
    expect(m.rip()).not.toBe(CALLER_PC);
  });
});

describe("misuse is an error, never a silent return", () => {
  it("addresses in the host region that are nothing", () => {
    const m = machine((t) => t.define("f", "", () => undefined));
    m.e.setRegN(RSP, STACK_TOP - 0x100);
    expect(() => m.b.onHostCall(m.thread, HOST_BASE + 16)).toThrow("jump to host address 0x7f000010: no host function here");
    expect(() => m.b.onHostCall(m.thread, HOST_BASE + 4)).toThrow(/no host function here/);
    expect(() => m.b.onHostCall(m.thread, RESUME_BASE)).toThrow(/a stale continuation/);
    expect(() => m.b.onHostCall(m.thread, TOKEN_BASE + 5)).toThrow(/a stale continuation/);
    expect(m.b.nameAt(HOST_BASE)).toBe("f");
    // +8 is f's ABIInternal entry (Go's register ABI); +4 is nothing.
    expect(m.b.nameAt(HOST_BASE + 8)).toBe("f");
    expect(m.b.nameAt(HOST_BASE + 4)).toBeUndefined();
    expect(m.b.fnAt(HOST_BASE)?.name).toBe("f");
    expect(m.b.fnAt(HOST_BASE + 16)).toBeUndefined();
    expect(m.b.fnAt(HOST_BASE + 1)).toBeUndefined();
    expect(m.b.fnAt(RESUME_BASE)).toBeUndefined();
    expect(m.b.frameOfReturn(CALLER_PC, 0)).toBeUndefined();
    expect(m.b.cfaOffsetOfReturn(CALLER_PC)).toBeUndefined();
    expect(m.b.has("f")).toBe(true);
    expect(m.b.has("g")).toBe(false);
    expect(() => m.b.addrOf("g")).toThrow("bridge: no host function g");
    expect(m.b.argWords("g", 0)).toEqual([]);
  });

  it("a resume point's offset must be its padding (0 or 8), + 4 for an ABIInternal activation", () => {
    const m = machine((t) => {
      const f = t.define("f", "", (_c, h) => h.callThen(CALLEE, back));
      const back = t.resume(f, "", () => undefined);
    });
    m.e.setRegN(RSP, STACK_TOP - 0x100);
    expect(() => m.b.onHostCall(m.thread, RESUME_BASE + 2)).toThrow(`jump to host address 0x${(RESUME_BASE + 2).toString(16)}: not a resume point`);
  });

  it("requests made the wrong way", () => {
    const m = machine((t) => {
      const f = t.define("f", "", (_c, h) => h.callThen(CALLEE, other));
      const g = t.define("g", "", () => undefined);
      const other = t.resume(g, "", () => undefined);
      t.define("scratched", "", (_c, h) => { h.scratch(8); return h.callThen(CALLEE, mine); });
      const mine = t.resume(t.fns[t.fns.length - 1]!, "", () => undefined);
      t.define("returns", "", function* (_c: Ctx, h: HC) { return h.call(CALLEE, sig("")); });
      t.define("yieldsJump", "", function* (_c: Ctx, h: HC) { yield h.jump(CALLEE, sig("")); });
      t.define("yieldsJunk", "", function* () { yield 42 as never; });
      t.define("args", "", (_c, h) => h.tailcall(CALLEE, sig("p p p p p p p")));
      t.define("noCall", "", (_c, h) => { h.result(0); });
      void f;
    });
    expect(() => m.call("f")).toThrow("bridge: f resumes at g·resume");
    expect(() => m.call("scratched")).toThrow("bridge: scratched: a resume point after scratch()");
    expect(() => m.call("returns")).toThrow("bridge: returns returned h.call(); yield it");
    expect(() => m.call("yieldsJump")).toThrow("bridge: yieldsJump yielded a jump; return it");
    expect(() => m.call("yieldsJunk")).toThrow("bridge: yieldsJunk yielded 42");
    expect(() => m.call("args")).toThrow("bridge: p p p p p p p: more than 6 arguments");
    expect(() => m.call("noCall")).toThrow("bridge: no call has returned");
  });

  it("a host function's bad memory access is Go's fault at its own address; other errors pass through", () => {
    const m = machine((t) => {
      t.define("bad", "", (c) => { c.log.push("x"); new Mem(m.e).u8(0x10); });
      t.define("worse", "", () => { throw new TypeError("plain"); });
      t.define("badWord", "p", (_c, h) => { new Mem(m.e).ptr(h.frameSp + 8); });
      t.define("badGen", "", function* (_c: Ctx, h: HC) { yield h.call(CALLEE, sig("")); new Mem(m.e).u8(0x20); });
    });
    let f: unknown;
    try {
      m.call("bad");
    } catch (e) {
      f = e;
    }
    expect(f).toBeInstanceOf(GoFault);
    expect((f as GoFault).addr).toBe(0x10n);
    expect((f as GoFault).pc).toBe(m.t.resolve("bad"));
    expect(m.b.activeFn).toBeUndefined();
    expect(() => m.call("worse")).toThrow(TypeError);
    // A word that is no address taken for a pointer: the fault is at that word.
    let w: unknown;
    try {
      m.call("badWord", [0xffff_8000_0000_0000n]);
    } catch (e) {
      w = e;
    }
    expect(w).toBeInstanceOf(GoFault);
    expect((w as GoFault).addr).toBe(0xffff_8000_0000_0000n);
    expect((w as GoFault).pc).toBe(m.t.resolve("badWord"));
    m.call("badGen");
    let g: unknown;
    try {
      m.ret();
    } catch (e) {
      g = e;
    }
    expect(g).toBeInstanceOf(GoFault);
    expect((g as GoFault).addr).toBe(0x20n);
    expect((g as GoFault).pc).toBe(m.t.resolve("badGen"));
  });

  it("the host region is mapped read-execute, INT3-filled, and declared to the engine", () => {
    const m = machine(() => {});
    expect(m.e.read(HOST_BASE, 4)).toEqual(new Uint8Array([0xcc, 0xcc, 0xcc, 0xcc]));
    expect(m.e.read(TOKEN_BASE - 1, 1)).toEqual(new Uint8Array([0xcc]));
    expect(() => m.e.write(HOST_BASE, new Uint8Array([0]))).not.toThrow(); // the host writes through, as the loader does
    expect(HOST_SIZE).toBe(0x100_0000);
  });
});

describe("argWords: a frame's arguments by the function's signature", () => {
  it("reads each argument at its width", () => {
    const m = machine((t) => t.define("f", "p i b", () => undefined));
    const fsp = STACK_TOP - 0x400;
    m.mem.setU64(fsp + 8, 0x1_0000_0001n);
    m.mem.setU64(fsp + 16, 0xaabb_ccdd_0000_0002n);
    expect(m.b.argWords("f", fsp)).toEqual([0x1_0000_0001n, 2n, 0xddn]);
  });
});
