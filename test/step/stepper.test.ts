// The stepper in scripted sessions: break at runtime·gogo for goroutine 2,
// step through it and see SP, BP, DX, R14 and RIP take their gobuf values;
// step back with rsi to a machine identical field by field.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REG_RIP, regId } from "../../src/engine/engine.ts";
import type { InterpEngine } from "../../src/engine/interp.ts";
import { gobuf, off } from "../../src/runtime/runtime2.ts";
import { Stepper } from "../../src/step/stepper.ts";
import { spawnAsync } from "../hostile/spawn-async.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const GOSCHED = join(ROOT, "programs/gosched.s");

/** Everything that makes up the machine's state, for field-by-field comparison. */
function state(s: Stepper) {
  const e = s.m.engine;
  const mem = (e as InterpEngine).mem;
  const pages = mem.regions().map((r) => {
    const h = createHash("sha256");
    for (let a = r.start; a < r.end; a += 1 << 20) h.update(e.read(a, Math.min(1 << 20, r.end - a)));
    return `${r.start.toString(16)}-${r.end.toString(16)}:${r.prot}:${h.digest("hex")}`;
  });
  return {
    steps: s.steps,
    regs: Array.from({ length: 20 }, (_, r) => e.getReg(regId(r)).toString(16)),
    xmm: Array.from({ length: 16 }, (_, i) => Buffer.from(e.getXmm(i)).toString("hex")),
    icount: e.icount,
    now: s.m.kernel.now,
    cur: s.m.kernel.cur?.tid,
    threads: s.m.kernel.threads.map((t) => ({ tid: t.tid, state: t.state, regs: t.regs.map((v) => v.toString(16)), icount: t.icount })),
    memory: pages,
  };
}

describe("the stepper", () => {
  it("breaks at runtime·gogo for goroutine 2 and follows its registers into the gobuf's values", () => {
    const s = new Stepper(GOSCHED, { root: ROOT });
    expect(s.exec("b runtime·gogo if goid == 2")).toMatch(/^breakpoint 1 at 0x[0-9a-f]+ <runtime\.gogo> if goid == 2\n$/);
    const out = s.exec("c");
    expect(out).toContain("breakpoint 1, runtime.gogo");
    const e = s.m.engine, mem = s.m.mem;
    const reg = (r: number): number => Number(e.getReg(regId(r)));
    expect(reg(REG_RIP)).toBe(s.m.image.addrOf("runtime.gogo"));
    const buf = mem.ptr(reg(4) + 8);
    const gp = mem.ptr(buf + off(gobuf, "g"));
    expect(s.goid(gp)).toBe(2);
    const want = { sp: mem.ptr(buf + off(gobuf, "sp")), pc: mem.ptr(buf + off(gobuf, "pc")), bp: mem.ptr(buf + off(gobuf, "bp")), ctxt: mem.ptr(buf + off(gobuf, "ctxt")) };
    let steps = 0;
    while (reg(REG_RIP) !== want.pc) {
      s.exec("si");
      expect(++steps).toBeLessThan(30);
    }
    expect(reg(4)).toBe(want.sp);
    expect(reg(5)).toBe(want.bp);
    expect(reg(2)).toBe(want.ctxt);
    expect(reg(14)).toBe(gp);
    expect(s.getg()).toBe(gp);
    // The view names goroutine 2 once it runs.
    expect(s.exec("regs")).toMatch(/RIP/);
    expect(s.exec("goroutines")).toMatch(/\* G2 {2}running/);
    s.m.engine.close();
  });

  it("rsi returns to an identical machine, field by field", () => {
    const s = new Stepper(GOSCHED, { root: ROOT });
    s.exec("b @switch if goid == 5");
    s.exec("c");
    const at = state(s);
    s.exec("delete");
    s.exec("si 200");
    const later = state(s);
    expect(later).not.toEqual(at);
    s.exec("rsi 200");
    expect(state(s)).toEqual(at);
    // rc goes back to the previous stop: the breakpoint.
    s.exec("si 7");
    s.exec("rc");
    expect(state(s)).toEqual(at);
    s.m.engine.close();
  });

  it("scheduler views: Ps, the global queue, goroutines, and event steps", () => {
    const s = new Stepper(GOSCHED, { root: ROOT });
    s.exec("b @park if goid == 1");
    // runtime.main waits twice for bgsweep and bgscavenge; the third park is main's <-done.
    for (let i = 0; i < 3; i++) expect(s.exec("c")).toMatch(/breakpoint 1, @park: park G1 \(chan receive\)/);
    // main.main created G5 and G6; G6, the newest, was in runnext and runs now; G5 waits in the local queue.
    expect(s.exec("p")).toMatch(/^P0 running M0 schedtick=\d+ runnext=- runq=\[G5\]/);
    expect(s.exec("se")).toMatch(/event: gosched G6 on P0 M0/);
    // gosched_m put G6 on the global queue and schedule took G5 from the local one.
    expect(s.exec("sched")).toMatch(/^global runq \(1\): \[G6\]/);
    const gs = s.exec("goroutines");
    expect(gs).toMatch(/G1 {2}waiting \(chan receive\)/);
    expect(gs).toMatch(/G6 {2}runnable/);
    expect(s.exec("x/2xw 0x401000")).toMatch(/^0x401000: 0x[0-9a-f]+\t0x[0-9a-f]+\n$/);
    expect(() => s.exec("frobnicate")).toThrow(/unknown command "frobnicate"/);
    expect(() => s.exec("b nosuchsymbol")).toThrow(/^no symbol nosuchsymbol/);
    s.m.engine.close();
  });

  it("gmpemu step --script runs a session non-interactively", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gmpemu-step-"));
    try {
      const script = join(dir, "s.txt");
      writeFileSync(script, "# break where goroutine 1 first runs\nb runtime·gogo if goid == 1\nc\nsi 3\nbt\ng\nquit\n");
      // Spawned asynchronously: the worker's event loop keeps turning meanwhile.
      const r = await spawnAsync(process.execPath, [join(ROOT, "bin/gmpemu.mjs"), "step", "programs/gosched.s", "--script", script], { cwd: ROOT });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("(gmpemu) b runtime·gogo if goid == 1");
      expect(r.stdout).toContain("breakpoint 1, runtime.gogo");
      expect(r.stdout).toMatch(/=> 0x[0-9a-f]+ {2}asm\/asm_amd64\.s:165 +JMP gogo<1>\(SB\)/);
      expect(r.stdout).not.toContain("\x1b["); // no colour when not a terminal
      // bt: the assembly frame, then the TypeScript frames that jumped to gogo.
      expect(r.stdout).toMatch(/#0 runtime\.gogo\+0xc asm\/asm_amd64\.s:165\n#1 runtime\.execute \(TypeScript runtime: src\/runtime\/proc\.ts\)\n#2 runtime\.schedule /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the stepper's other stops", () => {
  it("b FILE:LINE, watch g.sched.sp, finish, ni and sg", () => {
    const s = new Stepper(GOSCHED, { root: ROOT });
    // programs/gosched.s line 37 is the CALL runtime·Gosched in loop.
    expect(s.exec("b programs/gosched.s:37")).toMatch(/^breakpoint 1 at 0x[0-9a-f]+ <main\.loop\+0x[0-9a-f]+>\n$/);
    const hit = s.exec("c");
    expect(hit).toMatch(/breakpoint 1, main\.loop\+0x[0-9a-f]+ at/);
    expect(hit).toMatch(/=> 0x[0-9a-f]+ {2}programs\/gosched\.s:37 +CALL runtime\.Gosched\(SB\)/);
    const me = s.curgoid();
    s.exec("delete");
    // watch this goroutine's saved SP: mcall writes it when Gosched parks it.
    expect(s.exec("watch g.sched.sp")).toMatch(/^watchpoint 2: g\.sched\.sp/);
    const w = s.exec("c");
    expect(w).toMatch(/watchpoint 2, g\.sched\.sp: 0x[0-9a-f]+ -> 0x[0-9a-f]+/);
    expect(w).toContain("runtime.mcall");
    s.exec("delete");
    // ni over a CALL comes back to the next instruction of the same frame.
    const s2 = new Stepper(GOSCHED, { root: ROOT });
    s2.exec("b programs/gosched.s:37");
    s2.exec("c");
    s2.exec("delete");
    const rip = Number(s2.m.engine.getReg(16));
    const out = s2.exec("ni");
    expect(Number(s2.m.engine.getReg(16))).toBe(rip + 5);
    expect(out).toMatch(/programs\/gosched\.s:38/);
    // sg: only goroutine `me` stops.
    s2.exec(`sg ${me} 3`);
    expect(s2.curgoid()).toBe(me);
    s.m.engine.close();
    s2.m.engine.close();
    // finish: from the first instruction of main·spawn back to main·main,
    // at the instruction after its CALL, with the call's return address popped.
    const s3 = new Stepper(GOSCHED, { root: ROOT });
    s3.exec("b ·spawn");
    expect(s3.exec("c")).toMatch(/breakpoint 1, main\.spawn at/);
    const sp = Number(s3.m.engine.getReg(4));
    const ret = s3.m.mem.ptr(sp);
    const fin = s3.exec("finish");
    expect(fin).toMatch(/^returned to main\.main\+0x[0-9a-f]+\n/);
    expect(Number(s3.m.engine.getReg(16))).toBe(ret);
    expect(Number(s3.m.engine.getReg(4))).toBe(sp + 8);
    expect(s3.m.image.symAt(ret)!.name).toBe("main.main");
    // The instruction before the return address is the CALL of spawn.
    expect(fin).toMatch(/CALL main\.spawn\(SB\)\n=> 0x[0-9a-f]+ {2}programs\/gosched\.s:\d+ +LEAQ pong/);
    s3.m.engine.close();
  });
});

describe("the stepper and preemption", () => {
  it("c on spin.s ends: sysmon gets its turns, and @signal then @preempt breakpoints stop at the preemption", { timeout: 120_000 }, () => {
    const s = new Stepper(join(ROOT, "programs/spin.s"), { root: ROOT, timeslice: 100_000 });
    expect(s.exec("b @signal")).toMatch(/^breakpoint 1 at @signal/);
    const sig = s.exec("c");
    const m = /breakpoint 1, @signal: signal G(\d+) \(asyncPreempt\)/.exec(sig);
    expect(m).not.toBeNull();
    s.exec("delete");
    s.exec("b runtime·asyncPreempt");
    expect(s.exec("c")).toMatch(/breakpoint 2, runtime\.asyncPreempt at/);
    s.exec("delete");
    // The signalled goroutine, in asyncPreempt now, gives up its P: gopreempt_m's event.
    expect(s.exec("b @preempt")).toMatch(/^breakpoint 3 at @preempt/);
    expect(s.exec("c")).toMatch(new RegExp(`breakpoint 3, @preempt: preempt G${m![1]} on P0 M\\d+`));
    expect(s.exec("goroutines")).toMatch(new RegExp(`G${m![1]} {2}runnable`));
    s.exec("delete");
    const end = s.exec("c");
    expect(end).toContain("| main: done");
    expect(end).toContain("the program exited with status 0");
    s.m.engine.close();
  });
});

describe("replay across time slices and ticks", () => {
  it("a position reached step by step and the same position replayed in stretches (Kernel.stepMany) are one machine", { timeout: 60_000 }, () => {
    // spin.s with a tick every 3,000 instructions (it ends at about step
    // 12,000): 11,000 steps cross one of the stepper's time slices, the
    // ticks and host calls.
    const s = new Stepper(join(ROOT, "programs/spin.s"), { root: ROOT, preemptEvery: 3_000 });
    try {
      s.exec("si 11000");
      const stepped = state(s);
      s.exec("si 1000");
      expect(state(s)).not.toEqual(stepped);
      s.exec("rsi 1000");
      expect(state(s)).toEqual(stepped);
      // Forward again from the replayed machine: the same as the first time.
      s.exec("si 1000");
      const a = state(s);
      s.exec("rsi 12000");
      s.exec("si 12000");
      expect(state(s)).toEqual(a);
    } finally {
      s.m.engine.close();
    }
  });
});
