// Preemption: sysmon's time slice and the SIGURG that makes a goroutine call
// asyncPreempt (src/runtime/preempt.ts, src/os/signal.ts,
// asm/preempt_amd64.s).
//
// - spin: a goroutine that never makes a call is taken off its P only by
//   an asynchronous preemption; with asyncpreemptoff it keeps the P for
//   good, as real Go would hang.
// - regs: under --preempt-every, with several seeds and intervals, every
//   general register, the flags and X0-X15 survive each preemption (the
//   program checks them all after every iteration and exits 1 naming the
//   first that changed); at least 10,000 async preemptions in all.
// - one signal, instruction by instruction: the saved context, pushCall's
//   SP-8 and resume PC, RIP at asyncPreempt, and back at the interrupted
//   instruction with every register equal.
import { switchCheck } from "../../src/check/check.ts";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REG_RFLAGS, REG_RIP, regId } from "../../src/engine/engine.ts";
import { engineAvailable } from "../../src/engine/index.ts";
import { sigframe } from "../../src/os/signal.ts";
import { buildMachine, runProgramAsync, type RunOptions } from "../../src/node/boot.ts";
import { forcePreempt } from "../../src/runtime/signal_unix.ts";
import { g as gT, m as mT, off, p as pT } from "../../src/runtime/runtime2.ts";
import { oracleAvailable } from "../helpers/oracles.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));

// Runs take seconds to minutes: runProgramAsync gives the test worker's
// event loop a turn now and then (a worker that never answers vitest's RPC
// fails the whole run with "Timeout calling onTaskUpdate"). The timeouts
// are generous: a loaded two-core machine makes a run several times
// slower, and a synchronous run never met its timeout at all.
async function run(name: string, opts: RunOptions) {
  const out: Uint8Array[] = [];
  // Judged by the switch checker (issue 13): every asyncPreempt must give every register back.
  const r = await runProgramAsync([join(ROOT, "programs", name + ".s")], { check: switchCheck(), ...opts, stdout: (b) => out.push(b.slice()), stderr: (b) => out.push(b.slice()) });
  return { ...r, output: Buffer.concat(out).toString(), stats: r.machine.stats.preempt };
}

describe("spin: only asynchronous preemption ends it", () => {
  const want = "spinner is spinning\nprinter 0\nprinter 1\nprinter 2\nmain: done\n";
  for (const engine of ["interp", "unicorn"]) {
    // The unicorn run needs libunicorn: skipped without it, a failure under GMPEMU_REQUIRE_ORACLES=1.
    it.skipIf(engine === "unicorn" && !haveUnicorn)(`ends on ${engine}, preempted by sysmon's signal`, { timeout: 300_000 }, async () => {
      const r = await run("spin", { engine });
      expect(r.code).toBe(0);
      expect(r.output).toBe(want);
      // The spinner was preempted once per printer line and once before main's: each took a signal.
      expect(r.stats.taken).toBeGreaterThanOrEqual(4);
      expect(r.stats.asyncPreempt2).toBe(r.stats.taken);
      expect(r.machine.kernel.sigreturns).toBe(r.machine.kernel.signalsDelivered);
      // Each preemption came after a whole time slice of 10 ms of virtual time.
      expect(r.machine.kernel.now).toBeGreaterThan(r.stats.taken * 10_000_000);
    });
  }

  it("a shorter --timeslice preempts sooner", { timeout: 300_000 }, async () => {
    const slow = await run("spin", {});
    const fast = await run("spin", { timeslice: 100_000 });
    expect(fast.output).toBe(want);
    expect(fast.insns * 10).toBeLessThan(slow.insns);
  });

  it("with asyncpreemptoff the spinner keeps the P: the run hits its step limit", { timeout: 300_000 }, async () => {
    const r = await run("spin", { asyncpreemptoff: true, maxInsns: 40_000_000 });
    expect(r.how).toBe("budget");
    expect(r.code).toBe(3);
    expect(r.output).not.toContain("printer 0");
    // sysmon asked (the cooperative flag), but no signal was sent.
    expect(r.stats.requests).toBeGreaterThan(0);
    expect(r.stats.signals).toBe(0);
    expect(r.machine.kernel.signalsDelivered).toBe(0);
  });
});

describe("regs: every register survives every asynchronous preemption", () => {
  // Each run is made once, by whichever test needs it first, so that every
  // test stands alone (vitest may run any one of them, in any order).
  const cases: { name: string; opts: RunOptions; skip?: boolean }[] = [
    { name: "--preempt-every 97 --seed 1", opts: { preemptEvery: 97, seed: 1 } },
    { name: "--preempt-every 211 --seed 3", opts: { preemptEvery: 211, seed: 3 } },
    { name: "--preempt-every 149 --seed 4", opts: { preemptEvery: 149, seed: 4 } },
    { name: "two Ps", opts: { preemptEvery: 89, seed: 5, procs: 2 } },
    // Needs libunicorn (see above).
    // Without --check: this run is about the engine, and the interp runs
    // above judge every switch of the same program; under --check each
    // switch is several engine stops, each a uc_emu_start.
    { name: "on unicorn", opts: { preemptEvery: 211, seed: 6, engine: "unicorn", check: undefined }, skip: !haveUnicorn },
  ];
  const runs = new Map<string, ReturnType<typeof run>>();
  const regs = (c: (typeof cases)[number]): ReturnType<typeof run> => {
    let r = runs.get(c.name);
    if (!r) runs.set(c.name, (r = run("regs", c.opts)));
    return r;
  };
  for (const c of cases) {
    it.skipIf(c.skip === true)(c.name, { timeout: 600_000 }, async () => {
      const r = await regs(c);
      expect(r.output).toBe("regs: all registers kept\n");
      expect(r.code).toBe(0);
      expect(r.stats.taken).toBeGreaterThan(1000);
      // Refusals are counted, by Go's reasons: the signal landed in runtime code.
      for (const why of r.stats.refused.keys()) {
        expect(["runtime code", "NOSPLIT assembly", "in a host function", "M holds locks or its P is not running", "not on a goroutine's stack", "no preemption requested"]).toContain(why);
      }
    });
  }
  it("took at least 10,000 asynchronous preemptions in all (running whichever cases no other test ran)", { timeout: 1_200_000 }, async () => {
    let total = 0;
    for (const c of cases) {
      if (c.skip === true) continue;
      total += (await regs(c)).stats.taken;
      await new Promise((r) => setImmediate(r));
    }
    expect(total).toBeGreaterThanOrEqual(10_000);
  });
});

describe("one preemption signal, instruction by instruction", () => {
  it("saves the context, pushes the resume PC, and resumes with every register equal", { timeout: 300_000 }, async () => {
    const file = join(ROOT, "programs/regs.s");
    const m = buildMachine([file], { nosysmon: true, stdout: () => {}, stderr: () => {} });
    const { engine: e, kernel, image } = m;
    const mem = m.mem;
    const reg = (r: number): bigint => e.getReg(regId(r));
    // The stretch of stores in check: lines that write scratch-48(SP).
    const src = readFileSync(file, "utf8").split("\n");
    const stretch = new Set(src.flatMap((l, i) => (l.includes("scratch-48(SP)") ? [i + 1] : [])));
    expect(stretch.size).toBeGreaterThan(10);
    const inStretch = (): boolean => {
      const line = image.pcToLine(Number(reg(REG_RIP)));
      return line !== undefined && line.file.endsWith("regs.s") && stretch.has(line.line);
    };
    kernel.run(200_000);
    let n = 0;
    while (!inStretch() || !kernel.cur) {
      kernel.stepOnce();
      expect(++n).toBeLessThan(100_000);
    }
    // The state at the interrupted instruction.
    const t = kernel.cur!;
    const gp = m.getg();
    const before = Array.from({ length: 18 }, (_, r) => reg(r));
    const xBefore = Array.from({ length: 16 }, (_, i) => Buffer.from(e.getXmm(i)).toString("hex"));
    const pc = Number(before[REG_RIP]!), sp = Number(before[4]!);

    let delivered: { uc: number; frame: number } | undefined;
    kernel.onSignal = (_t, sig, d) => { expect(sig).toBe(23); delivered = d; };
    let decision: { taken: boolean; pc: number; sp: number } | undefined;
    m.onDecision = (_g, taken, _why, dpc, dsp) => { decision = { taken, pc: dpc, sp: dsp }; };
    forcePreempt(m, t);
    kernel.stepOnce(); // delivery, then sigtramp's first instruction
    expect(delivered).toBeDefined();
    // The ucontext holds the interrupted registers, in sigcontext's order.
    const mctx = delivered!.uc - sigframe.UC + sigframe.MCTX;
    sigframe.mcontextRegs.forEach((r, i) => {
      if (r === REG_RFLAGS) expect(mem.u64(mctx + 8 * i) & 0x8d5n).toBe(before[r]! & 0x8d5n);
      else expect(mem.u64(mctx + 8 * i), `sigcontext slot ${i}`).toBe(before[r]);
    });
    const fpstate = mem.ptr(mctx + 184);
    for (let i = 0; i < 16; i++) {
      expect(Buffer.from(e.read(fpstate + 160 + 16 * i, 16)).toString("hex"), `fpstate X${i}`).toBe(xBefore[i]);
    }
    // The handler runs on the gsignal stack, not the goroutine's.
    const gsignal = mem.ptr(mem.ptr(gp + off(gT, "m")) + 80);
    const glo = mem.ptr(gsignal + off(gT, "stack")), ghi = mem.ptr(gsignal + off(gT, "stack") + 8);
    expect(delivered!.frame).toBeGreaterThan(glo);
    expect(delivered!.frame).toBeLessThan(ghi);

    // Through the handler and rt_sigreturn: RIP arrives at asyncPreempt.
    const asyncPreempt = image.addrOf("runtime.asyncPreempt")!;
    n = 0;
    while (Number(reg(REG_RIP)) !== asyncPreempt) {
      kernel.stepOnce();
      expect(++n).toBeLessThan(10_000);
    }
    expect(decision).toEqual({ taken: true, pc, sp });
    expect(kernel.sigreturns).toBe(1);
    expect(Number(reg(4))).toBe(sp - 8);
    expect(mem.ptr(sp - 8)).toBe(pc);
    for (const r of [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]) expect(reg(r), `register ${r} at asyncPreempt`).toBe(before[r]);

    // The goroutine parks (gopreempt_m), the other one runs, and later this
    // one resumes exactly where it was interrupted.
    n = 0;
    let otherRan = false;
    while (!(Number(reg(REG_RIP)) === pc && m.getg() === gp)) {
      kernel.stepOnce();
      if (m.getg() !== gp && image.symAt(Number(reg(REG_RIP)))?.name === "main.check") otherRan = true;
      expect(++n).toBeLessThan(500_000);
    }
    expect(otherRan).toBe(true);
    expect(kernel.cur).toBe(t);
    // The request was answered: schedule cleared the P's preempt flag.
    const pp = mem.ptr(mem.ptr(gp + off(gT, "m")) + off(mT, "p"));
    expect(mem.u8(pp + off(pT, "preempt"))).toBe(0);
    for (let r = 0; r < 18; r++) expect(reg(r), `register ${r} after the resume`).toBe(before[r]);
    for (let i = 0; i < 16; i++) expect(Buffer.from(e.getXmm(i)).toString("hex"), `X${i} after the resume`).toBe(xBefore[i]);
    e.close();
  });
});

describe("system calls: sysmon hands off a P stuck in a system call", () => {
  it("the worker runs during main's 50 ms nanosleep, on a second M", { timeout: 300_000 }, async () => {
    const r = await run("syscall", {});
    expect(r.code).toBe(0);
    expect(r.output.split("\n").slice(0, 5)).toEqual([
      "main: entering a 50ms system call", "worker 0", "worker 1", "worker 2", "main: back from the system call",
    ]);
    expect(r.stats.handoffs).toBe(1);
    const sc = r.machine.stats.syscalls;
    expect(sc.enters).toBe(1);
    // The P was taken: main came back to the idle P, not its own.
    expect(sc.fast).toBe(0);
    expect(sc.fastIdle + sc.slow).toBe(1);
    // m0, sysmon's M, and the M that handoffp started for the worker.
    expect(r.machine.kernel.threads.length).toBe(3);
    expect(r.machine.kernel.now).toBeGreaterThanOrEqual(50_000_000);
  });
  it("without sysmon nobody takes the P: the worker waits for the call to return", { timeout: 300_000 }, async () => {
    const r = await run("syscall", { nosysmon: true });
    expect(r.code).toBe(0);
    expect(r.output.split("\n")[1]).toBe("main: back from the system call");
    expect(r.machine.stats.syscalls.fast).toBe(1);
  });
});

describe("cooperative preemption: the flag a prologue sees", () => {
  it("with async preemption off, sysmon's stackPreempt sends a calling loop through morestack → newstack → gopreempt_m", { timeout: 300_000 }, async () => {
    const out: Uint8Array[] = [];
    const r = await runProgramAsync([join(ROOT, "test/fixtures/coop.s")], { asyncpreemptoff: true, maxInsns: 100_000_000, stderr: (b) => out.push(b.slice()) });
    expect(Buffer.concat(out).toString()).toBe("main ran again\n");
    expect(r.code).toBe(0);
    const ns = r.machine.stats.newstack;
    expect(ns.preempt).toBeGreaterThanOrEqual(1);
    expect(ns.copystack).toBe(0);
    expect(r.machine.stats.preempt.signals).toBe(0);
  });
});

describe("hog: Go's TestPingPongHog", () => {
  it("a ping-ponging pair inherits its time slice; only preemption shares the P fairly", { timeout: 600_000 }, async () => {
    const fair = await run("hog", {});
    expect(fair.output).toBe("within 5x: true\n");
    expect(fair.stats.taken).toBeGreaterThan(0);
    // The hogs' loop makes no call a prologue could check: without the
    // signal, the hog pair keeps the P and the light pair starves.
    const unfair = await run("hog", { asyncpreemptoff: true });
    expect(unfair.output).toBe("within 5x: false\n");
    expect(unfair.stats.requests).toBeGreaterThan(0);
  });
});

describe("--schedtrace: Go's GODEBUG=schedtrace lines, from sysmon, on the virtual clock", () => {
  it("prints a SCHED line per period with the run queues", { timeout: 300_000 }, async () => {
    const r = await run("hog", { schedtrace: 20 });
    const lines = r.output.split("\n").filter((l) => l.startsWith("SCHED "));
    // Go 1.19's format: SCHED Nms: gomaxprocs= idleprocs= threads= spinningthreads= idlethreads= runqueue= [per-P lengths]
    const re = /^SCHED (\d+)ms: gomaxprocs=1 idleprocs=(\d+) threads=(\d+) spinningthreads=(\d+) idlethreads=(\d+) runqueue=(\d+) \[(\d+)\]$/;
    for (const l of lines) expect(l).toMatch(re);
    // The first round prints at once, with the two hogs' partners queued (Go prints the same first line but for threads).
    expect(lines[0]).toMatch(/^SCHED 0ms: gomaxprocs=1 idleprocs=0 threads=\d+ spinningthreads=0 idlethreads=\d+ runqueue=0 \[2\]$/);
    // 100 ms of sleep in main: a line about every 20 ms after the first.
    expect(lines.length).toBeGreaterThanOrEqual(5);
    const ms = lines.map((l) => Number(re.exec(l)![1]));
    for (let i = 1; i < ms.length; i++) expect(ms[i]! - ms[i - 1]!).toBeGreaterThanOrEqual(20);
    expect(r.output.endsWith("within 5x: true\n")).toBe(true);
  });
});
