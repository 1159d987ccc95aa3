// The first switch to goroutine 1, one instruction at a time: gogo must
// load every register from the gobuf, in its order, and clear what it
// consumed. This is the switch the seed documents walk through.
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildMachine } from "../../src/node/boot.ts";
import { REG_FS_BASE, REG_RIP, regId } from "../../src/engine/engine.ts";
import { disassemble } from "../../src/cpu/disasm.ts";
import { insnBytes } from "../../src/engine/lockstep.ts";
import { g as gT, gobuf, off } from "../../src/runtime/runtime2.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const SP = 4, BP = 5, DX = 2, AX = 0, R14 = 14;

describe("gogo, instruction by instruction", () => {
  it("switches to goroutine 1 exactly as the gobuf says", () => {
    const m = buildMachine([join(ROOT, "programs/hello.s")], { stderr: () => {} });
    const { engine: e, kernel, image } = m;
    const gogo = image.addrOf("runtime.gogo")!;
    const mem = m.mem;
    const reg = (r: number): number => Number(e.getReg(regId(r)));
    const tls = (): number => mem.ptr(reg(REG_FS_BASE) - 8);

    // Run until RIP reaches gogo with goroutine 1's gobuf as its argument.
    let buf = 0;
    for (let i = 0; i < 100_000 && buf === 0; i++) {
      kernel.stepOnce();
      if (reg(REG_RIP) === gogo) {
        const b = mem.ptr(reg(SP) + 8);
        const gp = mem.ptr(b + off(gobuf, "g"));
        if (mem.int(gp + off(gT, "goid")) === 1) buf = b;
      }
    }
    expect(buf).not.toBe(0);
    const gp = mem.ptr(buf + off(gobuf, "g"));
    expect(buf).toBe(gp + off(gT, "sched"));
    const want = {
      sp: mem.ptr(buf + off(gobuf, "sp")),
      pc: mem.ptr(buf + off(gobuf, "pc")),
      ctxt: mem.ptr(buf + off(gobuf, "ctxt")),
      bp: mem.ptr(buf + off(gobuf, "bp")),
      ret: mem.ptr(buf + off(gobuf, "ret")),
    };
    // Goroutine 1 starts in runtime.main, with goexit+1 as its return address.
    expect(want.pc).toBe(m.bridge.addrOf("runtime.main"));
    expect(mem.ptr(want.sp)).toBe(image.addrOf("runtime.goexit")! + 1);
    expect(want.ctxt).not.toBe(0);
    expect(tls()).not.toBe(gp);

    // AX is dead at gogo's entry (ABI0: the gobuf comes on the stack); a
    // sentinel in it shows gogo loading gobuf.ret, whatever AX held before.
    e.setReg(AX, 0xdeadn);
    // Which of the watched values each instruction changes.
    const watched = () => ({
      SP: reg(SP), BP: reg(BP), DX: reg(DX), AX: reg(AX), R14: reg(R14), TLS: tls(),
      "gobuf.sp": mem.ptr(buf + off(gobuf, "sp")), "gobuf.ret": mem.ptr(buf + off(gobuf, "ret")),
      "gobuf.ctxt": mem.ptr(buf + off(gobuf, "ctxt")), "gobuf.bp": mem.ptr(buf + off(gobuf, "bp")),
    });
    const trace: string[] = [];
    for (let i = 0; i < 40 && reg(REG_RIP) !== want.pc; i++) {
      const rip = reg(REG_RIP);
      const text = disassemble(insnBytes(e, rip), 0, rip, (a) => image.symbolize(a)).text;
      const before = watched();
      kernel.stepOnce();
      const after = watched();
      const changed = (Object.keys(after) as (keyof typeof after)[]).filter((k) => after[k] !== before[k]).map((k) => `${k}=${after[k] === 0 ? "0" : "set"}`);
      trace.push(`${image.symbolize(rip)}: ${text}${changed.length ? "  -> " + changed.join(" ") : ""}`);
    }
    expect(reg(REG_RIP)).toBe(want.pc);
    // Every register holds its gobuf value; the TLS slot and R14 hold g.
    expect(reg(SP)).toBe(want.sp);
    expect(reg(BP)).toBe(want.bp);
    expect(reg(DX)).toBe(want.ctxt);
    expect(reg(AX)).toBe(want.ret);
    expect(reg(R14)).toBe(gp);
    expect(tls()).toBe(gp);
    // What gogo consumed is cleared (the pc stays: a traceback of g needs it).
    expect(mem.ptr(buf + off(gobuf, "sp"))).toBe(0);
    expect(mem.ptr(buf + off(gobuf, "ret"))).toBe(0);
    expect(mem.ptr(buf + off(gobuf, "ctxt"))).toBe(0);
    expect(mem.ptr(buf + off(gobuf, "bp"))).toBe(0);
    // And in this order, one instruction each.
    expect(trace.map((l) => l.replace(/0x[0-9a-f]+/g, "N"))).toEqual([
      "runtime.gogo: MOVQ N(SP), BX",
      "runtime.gogo+N: MOVQ N(BX), DX  -> DX=set",
      "runtime.gogo+N: MOVQ (DX), CX",
      "runtime.gogo+N: JMP gogo<1>(SB)",
      "gogo<1>: MOVQ DX, FS:N  -> TLS=set",
      "gogo<1>+N: MOVQ DX, R14  -> R14=set",
      "gogo<1>+N: MOVQ (BX), SP  -> SP=set",
      "gogo<1>+N: MOVQ N(BX), AX  -> AX=0",
      "gogo<1>+N: MOVQ N(BX), DX  -> DX=set",
      "gogo<1>+N: MOVQ N(BX), BP",
      "gogo<1>+N: MOVQ $N, (BX)  -> gobuf.sp=0",
      "gogo<1>+N: MOVQ $N, N(BX)",
      "gogo<1>+N: MOVQ $N, N(BX)  -> gobuf.ctxt=0",
      "gogo<1>+N: MOVQ $N, N(BX)",
      "gogo<1>+N: MOVQ N(BX), BX",
      "gogo<1>+N: JMP BX",
    ]);
    e.close();
  });
});
