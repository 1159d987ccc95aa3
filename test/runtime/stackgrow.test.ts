// Stack growth: morestack → newstack → copystack, on real programs.
//
// programs/deeprec.s recurses 10,000 frames deep from a 2 KiB stack; its
// twin comparison (programs.test.ts) checks only what it prints. Here the
// machine is looked at directly: the stack's size after each copy, the
// frame-pointer chain and the pointers into the stack in every frame while
// the recursion is deep, the goroutine dump through main.main and the host
// frame of runtime.main (moved with the stack), a preemption request caught
// by a prologue, the overflow report of programs/overflow.s, and a lockstep
// run of deeprec on both CPUs. The runs here switch on Go's stackPoisonCopy
// (old stacks are filled with 0xfc before they are freed), so anything left
// pointing at an old stack reads garbage instead of a stale copy.
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { oracleAvailable } from "../helpers/oracles.ts";
import { REG_RIP, regId } from "../../src/engine/engine.ts";
import { engineAvailable } from "../../src/engine/index.ts";
import { buildMachine, dumpGoroutines, runProgram, type Machine } from "../../src/node/boot.ts";
import { g as gT, off, stack as stackT, stackPreempt, _StackGuard, _StackMin } from "../../src/runtime/runtime2.ts";
import { verifyProgram } from "../../src/cli/verify.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const DEEPREC = join(ROOT, "programs", "deeprec.s");
const OVERFLOW = join(ROOT, "programs", "overflow.s");
const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));
const engines = haveUnicorn ? ["interp", "unicorn"] : ["interp"];

/** What programs/deeprec.go prints under Go 1.19 (programs.test.ts checks the live twin). */
const GO_OUTPUT = "depth 10000 checksum -6984551451236450705\nanchor 1007\ndepth 100 checksum -6149626106265220873\nanchor 2007\n";

const g_goid = off(gT, "goid"), g_stackguard0 = off(gT, "stackguard0"), g_preempt = off(gT, "preempt");
const g_lo = off(gT, "stack") + off(stackT, "lo"), g_hi = off(gT, "stack") + off(stackT, "hi");
const RSP = 4, RBP = 5;

interface Booted {
  m: Machine;
  stderr: () => string;
}

function boot(file: string, engine = "interp"): Booted {
  const err: Uint8Array[] = [];
  const m = buildMachine([file], { procs: 1, seed: 1, engine, poisonCopy: true, stderr: (b) => err.push(b.slice()), stdout: () => {} });
  return { m, stderr: () => Buffer.concat(err).toString() };
}

/** Goroutine 1 (runtime.main, then main.main). */
function g1(m: Machine): number {
  const mem = m.mem;
  const gp = m.allgs.find((x) => mem.int(x + g_goid) === 1);
  if (gp === undefined) throw new Error("no goroutine 1");
  return gp;
}

function stackOf(m: Machine, gp: number): { lo: number; hi: number } {
  const mem = m.mem;
  return { lo: mem.ptr(gp + g_lo), hi: mem.ptr(gp + g_hi) };
}

/** Runs `step` instructions at a time until pred() holds (checked between steps). */
function runUntil(m: Machine, pred: () => boolean, step: number): void {
  for (let i = 0; i < 2_000_000; i++) {
    const exit = m.kernel.run(step);
    if (pred()) return;
    if (exit.kind !== "budget") throw new Error(`the program ended (${exit.kind}) before the condition held`);
  }
  throw new Error("condition never held");
}

function runToExit(m: Machine): number {
  const exit = m.kernel.run();
  if (exit.kind !== "exit") throw new Error(`the program ended by ${exit.kind}`);
  return exit.code;
}

const reg = (m: Machine, r: number): number => Number(m.engine.getReg(regId(r)));
const inSym = (m: Machine, pc: number, name: string): boolean => {
  const s = m.image.lookup(name)!;
  return pc >= s.addr && pc < s.addr + s.size;
};

describe("stack growth on programs/deeprec.s", () => {
  for (const engine of engines) {
    it(`${engine}: Go's output; 2 KiB doubled ten times to 2 MiB, ten copies`, { timeout: 60_000 }, () => {
      const { m, stderr } = boot(DEEPREC, engine);
      try {
        expect(runToExit(m)).toBe(0);
        expect(stderr()).toBe(GO_OUTPUT);
        const gp = g1(m);
        const stk = stackOf(m, gp);
        expect(stk.hi - stk.lo).toBe(2 << 20);
        expect(stk.lo % 8192).toBe(0);
        // The guard belongs to the new stack.
        expect(m.mem.ptr(gp + g_stackguard0)).toBe(stk.lo + _StackGuard);
        const s = m.stats.newstack;
        // From the 2 KiB every goroutine starts with (_StackMin), doubling each time.
        expect(s.sizes[0]).toBe(2 * _StackMin);
        expect(s.sizes).toEqual([4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048].map((k) => k << 10));
        expect(s.copystack).toBe(10);
        expect(s.newstack).toBe(10);
        expect(s.preempt).toBe(0);
        expect(s.maxStackSize).toBe(2 << 20);
        // runtime.main's host frame sits at the top of the stack: it moved every time.
        expect(s.hostFrames).toBe(10);
        expect(s.framePointers).toBeGreaterThan(10_000);
        // Every frame's p (&anchor) and vp (&v) that existed at a copy was moved.
        expect(s.conservative).toBeGreaterThan(10_000);
      } finally {
        m.engine.close();
      }
    });
  }

  it("deep in the recursion after the last copy: the frame-pointer chain and every frame's pointers are in the new stack", { timeout: 60_000 }, () => {
    const { m } = boot(DEEPREC);
    try {
      const mem = m.mem;
      const st = m.stats.newstack;
      runUntil(m, () => st.copystack === 10, 1000);
      // Stop in rec's body (after its prologue: BP = SP + 96, the frame).
      runUntil(m, () => inSym(m, reg(m, REG_RIP), "main.rec") && reg(m, RBP) === reg(m, RSP) + 96, 1);
      const stk = stackOf(m, g1(m));
      expect(stk.hi - stk.lo).toBe(2 << 20);
      // Walk the chain: every BP in the stack, going up, each return
      // address into rec, until the outermost rec returns into main.main.
      const frames: number[] = [];
      let bp = reg(m, RBP);
      for (;;) {
        expect(bp).toBeGreaterThanOrEqual(stk.lo);
        expect(bp).toBeLessThan(stk.hi);
        frames.push(bp);
        const ret = mem.ptr(bp + 8);
        if (!inSym(m, ret, "main.rec")) {
          expect(inSym(m, ret, "main.main"), "the outermost rec returns into main.main").toBe(true);
          break;
        }
        const next = mem.ptr(bp);
        expect(next).toBeGreaterThan(bp);
        bp = next;
      }
      // main's frame: its BP is the outermost rec's saved BP; anchor-8(SP) is just below it.
      const mainBP = mem.ptr(frames.at(-1)!);
      expect(mainBP).toBeLessThan(stk.hi);
      const anchor = mainBP - 8;
      expect(mem.int(anchor)).toBe(7);
      const nTop = mem.int(frames[0]! + 16);
      expect(frames.length).toBe(10_000 - nTop + 1);
      expect(nTop).toBeLessThan(10_000 - (1 << 20) / 112); // past 1 MiB of frames
      // Each frame (the current one may not have set its locals yet):
      // n+0(FP) at BP+16, p+8(FP) at BP+24, v-8(SP) at BP-8, vp-16(SP) at BP-16.
      for (let i = 1; i < frames.length; i++) {
        const b = frames[i]!;
        const n = mem.int(b + 16);
        expect(n).toBe(nTop + i);
        expect(mem.ptr(b + 24), `frame n=${n}: p is &anchor in the new stack`).toBe(anchor);
        expect(mem.ptr(b - 16), `frame n=${n}: vp is &v in the new stack`).toBe(b - 8);
        expect(mem.int(b - 8)).toBe(7 * n + 3);
      }
      // The dump starts with the running goroutine's rec frames.
      const dump = dumpGoroutines(m, true);
      expect(dump).toMatch(/^goroutine 1 \[running\]:\nmain\.rec\(\)\n\t\S*programs\/deeprec\.s:\d+ \+0x[0-9a-f]+\nmain\.rec\(\)\n/);
    } finally {
      m.engine.close();
    }
  });

  it("back in main.main after growth: the goroutine dump walks main.report, main.main, runtime.main's host frame, goexit", { timeout: 60_000 }, () => {
    const { m, stderr } = boot(DEEPREC);
    try {
      const st = m.stats.newstack;
      runUntil(m, () => st.copystack === 10, 1000);
      // In report's body (BP = SP + 16), called from main after the deep round.
      runUntil(m, () => inSym(m, reg(m, REG_RIP), "main.report") && reg(m, RBP) === reg(m, RSP) + 16, 1);
      const dump = dumpGoroutines(m, true);
      const path = "\\S*programs/deeprec\\.s:\\d+ \\+0x[0-9a-f]+";
      expect(dump).toMatch(new RegExp(
        `^goroutine 1 \\[running\\]:\\nmain\\.report\\(\\)\\n\\t${path}\\nmain\\.main\\(\\)\\n\\t${path}\\n` +
        `runtime\\.main\\(\\)\\n\\t\\(host function\\)\\nruntime\\.goexit\\(\\)\\n\\t\\S*asm_amd64\\.s:\\d+ \\+0x1\\n`));
      // runtime.main's frame moved with the stack: it returns to goexit+1 from there.
      const stk = stackOf(m, g1(m));
      expect(runToExit(m)).toBe(0);
      expect(stderr()).toBe(GO_OUTPUT);
      expect(stackOf(m, g1(m))).toEqual(stk);
    } finally {
      m.engine.close();
    }
  });

  it("a preemption request (stackguard0 = stackPreempt) is caught by the next prologue: gopreempt_m, then it runs on", { timeout: 60_000 }, () => {
    const { m, stderr } = boot(DEEPREC);
    try {
      const mem = m.mem;
      const st = m.stats.newstack;
      runUntil(m, () => st.copystack === 3 && inSym(m, reg(m, REG_RIP), "main.rec"), 50);
      const gp = g1(m);
      const stk = stackOf(m, gp);
      mem.setU64(gp + g_stackguard0, stackPreempt);
      mem.setU8(gp + g_preempt, 1);
      m.kernel.run(200); // the next prologue fails: newstack sees the request
      expect(st.preempt).toBe(1);
      expect(st.copystack).toBe(3); // a preemption is not a growth
      // execute reset the guard for the stack the goroutine has.
      expect(stackOf(m, gp)).toEqual(stk);
      expect(mem.u8(gp + g_preempt)).toBe(0);
      expect(mem.ptr(gp + g_stackguard0)).toBe(stk.lo + _StackGuard);
      expect(runToExit(m)).toBe(0);
      expect(stderr()).toBe(GO_OUTPUT);
      expect(st.copystack).toBe(10);
    } finally {
      m.engine.close();
    }
  });

  // Needs libunicorn: skipped without it, a failure under GMPEMU_REQUIRE_ORACLES=1 (oracleAvailable).
  it.skipIf(!haveUnicorn)("lockstep (interp and unicorn, every instruction compared): 0 divergences", { timeout: 120_000 }, () => {
    let out = "";
    const status = verifyProgram(DEEPREC, { maxSteps: Number.MAX_SAFE_INTEGER, procs: 1, seed: 1, quiet: true }, (s) => (out += s));
    expect(out).toMatch(/^verified \d+ instructions: 0 divergences \(the program exited with status 0\)/);
    expect(Number(/verified (\d+)/.exec(out)![1])).toBeGreaterThan(400_000);
    expect(status).toBe(0);
  });
});

describe("stack overflow: programs/overflow.s", () => {
  for (const engine of engines) {
    it(`${engine}: with a 1 MiB limit: Go's report, fatal error: stack overflow, exit status 2`, { timeout: 60_000 }, () => {
      let err = "";
      const r = runProgram([OVERFLOW], { procs: 1, engine, maxStack: 1 << 20, stderr: (b) => (err += Buffer.from(b).toString()) });
      expect(r.code).toBe(2);
      expect(r.how).toBe("throw");
      const lines = err.split("\n");
      expect(lines[0]).toBe("runtime: goroutine stack exceeds 1048576-byte limit");
      const m = /^runtime: sp=0x([0-9a-f]+) stack=\[0x([0-9a-f]+), 0x([0-9a-f]+)\]$/.exec(lines[1]!);
      expect(m, lines[1]).not.toBeNull();
      const [sp, lo, hi] = [m![1]!, m![2]!, m![3]!].map((x) => parseInt(x, 16)) as [number, number, number];
      // The last stack that fit: 1 MiB, and the frame that needed more is near its bottom.
      expect(hi - lo).toBe(1 << 20);
      expect(sp).toBeGreaterThanOrEqual(lo);
      expect(sp).toBeLessThan(lo + _StackGuard);
      expect(lines[2]).toBe("fatal error: stack overflow");
      expect(lines[3]).toBe("");
      expect(lines[4]).toBe("goroutine 1 [running]:");
      expect(lines[5]).toBe("main.down()");
      expect(lines[6]).toMatch(/programs\/overflow\.s:\d+ \+0x[0-9a-f]+$/);
      const s = r.machine.stats.newstack;
      expect(s.sizes).toEqual([4, 8, 16, 32, 64, 128, 256, 512, 1024].map((k) => k << 10));
      expect(s.newstack).toBe(10);
    });
  }

  it("the limit is in bytes: a 64 KiB limit allows a 64 KiB stack, not a 128 KiB one", () => {
    let err = "";
    const r = runProgram([OVERFLOW], { procs: 1, maxStack: 65536, stderr: (b) => (err += Buffer.from(b).toString()) });
    expect(r.code).toBe(2);
    expect(err.split("\n")[0]).toBe("runtime: goroutine stack exceeds 65536-byte limit");
    expect(r.machine.stats.newstack.maxStackSize).toBe(65536);
  });
});
