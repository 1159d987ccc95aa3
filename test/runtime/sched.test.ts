// The scheduler from the inside: what a run does, not what it prints.
//
// - Every program, with one P and with several: the invariants Go's
//   scheduler keeps (schedcheck.ts: queues, idle lists, Ps and Ms, the
//   running Gs, schedtick), checked at every thread switch and event, and
//   the output each program guarantees (invariants.ts).
// - findRunnable's fairness rule: every 61st schedtick the global queue
//   first.
// - Each status change a run makes is one Go 1.19's runtime makes, in the
//   function where Go makes it, and each that Go makes on these paths is
//   reached (the list is written from Go's source, not from gstatus.ts).
// - exitsyscall0's slow path, handoffp and startm, with the counters of
//   --stats held to what the program makes happen.
// - Stealing by Go's rules (runqsteal, runqgrab, stealWork): half, from
//   the victim's head, runnext last and only on the last pass.
// - What host functions get back from machine code: clone's thread id,
//   futex's results, write's count, through continuation tokens and
//   resume points.
import { describe, expect, it } from "vitest";
import * as view from "../../src/debug/view.ts";
import { hostTable, runProgram } from "../../src/node/boot.ts";
import type { H, Runtime } from "../../src/runtime/rt.ts";
import { legalTransitions } from "../../src/runtime/gstatus.ts";
import { mallocgc } from "../../src/runtime/malloc.ts";
import { mcommoninit, stealWork } from "../../src/runtime/proc.ts";
import { runqempty, runqput, runqsize, runqsteal } from "../../src/runtime/runq.ts";
import { SIG_CLONE, SIG_FUTEX, SIG_WRITE } from "../../src/runtime/os_linux.ts";
import {
  _Gcopystack, _Gdead, _Gidle, _Gpreempted, _Grunnable, _Grunning, _Gsyscall, _Gwaiting, off, p,
} from "../../src/runtime/runtime2.ts";
import { INVARIANTS } from "./invariants.ts";
import { ALLOWED_NOT_GO, GO_TRANSITIONS, NOT_PORTED } from "./gotransitions.ts";
import { makeGs, setup } from "./rtutil.ts";
import { runChecked, prog, transitionKey, withDefines, type CheckedRun } from "./schedcheck.ts";
import { runqget } from "./queues.ts";

// --- every program, watched -------------------------------------------------------

describe("the scheduler's invariants hold through whole runs", () => {
  const cases: [string, { procs?: number; seed?: number; timeslice?: number; nosysmon?: boolean }][] = [
    ["hello", { procs: 1 }], ["hello", { procs: 4 }],
    ["gosched", { procs: 1 }], ["gosched", { procs: 4, seed: 2 }],
    ["pingpong", { procs: 1 }], ["pingpong", { procs: 2, seed: 3 }],
    ["buffered", { procs: 1 }], ["buffered", { procs: 4, seed: 3 }],
    ["semaphore", { procs: 1 }], ["semaphore", { procs: 3, seed: 4 }],
    ["sleep", { procs: 1 }], ["sleep", { procs: 2 }],
    ["goexit", { procs: 1 }], ["goexit", { procs: 2, seed: 5 }],
    ["numgoroutine", { procs: 1 }], ["numgoroutine", { procs: 4 }],
    ["lockthread", { procs: 1 }], ["lockthread", { procs: 4, seed: 5 }],
    ["syscall", { procs: 1 }], ["syscall", { procs: 2, seed: 6 }], ["syscall", { procs: 1, nosysmon: true }],
    ["deeprec", { procs: 1 }],
    ["spin", { procs: 1, timeslice: 100_000 }], ["spin", { procs: 4, timeslice: 100_000, seed: 7 }],
  ];
  for (const [name, o] of cases) {
    it(`${name} ${JSON.stringify(o)}`, () => {
      const r = runChecked(prog(`programs/${name}.s`), { ...o, noTick61: (o.procs ?? 1) > 1, maxInsns: 20_000_000 });
      expect(r.how).toBe("exit");
      expect(r.code).toBe(0);
      if (o.nosysmon && name === "syscall") {
        // Nobody takes the P from main's call: the worker runs after it.
        expect(r.lines).toEqual(["main: entering a 50ms system call", "main: back from the system call", "worker 0", "worker 1", "worker 2", "main: done"]);
      } else {
        INVARIANTS[name]!(r.lines);
      }
      expect(r.checks.run).toBeGreaterThan(3);
      expect(r.checks.switch).toBeGreaterThan(0);
    });
  }

  it("deadlock dies with Go's message, the invariants holding to the end", () => {
    const r = runChecked(prog("programs/deadlock.s"), { maxInsns: 1_000_000 });
    expect(r.code).toBe(2);
    expect(r.lines.slice(0, 2)).toEqual(["waiting", "fatal error: all goroutines are asleep - deadlock!"]);
  });

  it("the checker itself fails on a broken queue (a G queued twice)", () => {
    let broke = false;
    expect(() => runChecked(prog("programs/hello.s"), {
      observe: (m) => m.listeners.unshift((ev) => {
        // main.main's first worker, just made: queue it twice on P0.
        if (broke || ev.kind !== "create" || ev.goid < 5) return;
        broke = true;
        const gp = view.findG(m, ev.goid)!;
        runqput(m, m.allp[0]!, gp, false);
        runqput(m, m.allp[0]!, gp, false);
      }),
    })).toThrow(/scheduler invariant: G\d+ is queued twice/);
    expect(broke).toBe(true);
  });
});

// --- findRunnable's fairness ---------------------------------------------------------

describe("every 61st schedtick findRunnable takes from the global queue first", () => {
  it("fanout, one P: runqputslow fills the global queue, and the 61-tick rule takes from it while the local queue is full", () => {
    const r = runChecked(prog("test/fixtures/fanout.s"), { procs: 1, maxInsns: 5_000_000 });
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(["300"]);
    // 300 `go` statements: the new G goes to runnext and kicks the one
    // before into the ring; the 257th kick finds 256 there, so runqputslow
    // moves the older 128 and the kicked one (129) to the global queue.
    // (The events give the global queue's length after each one.)
    // The rule fired, and each time the global queue's head ran (schedcheck).
    expect(r.checks.tick61).toBeGreaterThanOrEqual(2);
    // Every G ran: 300 workers, each once.
    const ran = new Set(r.events.filter((e) => e.kind === "run").map((e) => e.goid));
    expect(ran.size).toBeGreaterThanOrEqual(301);
  });

  it("the global queue peaks at 129 Gs: half of a full ring and the G that did not fit", () => {
    let peak = 0;
    runChecked(prog("test/fixtures/fanout.s"), {
      procs: 1, maxInsns: 5_000_000,
      observe: (m) => m.listeners.push(() => { peak = Math.max(peak, view.sched(m).runqsize); }),
    });
    expect(peak).toBe(129);
  });
});

// --- status changes, against Go's list -------------------------------------------------

describe("status changes: Go's, in Go's functions", () => {
  it("gstatus.ts's table is Go's list, less what needs a GC, plus the two edges listed", () => {
    const key = ([a, b]: readonly [number, number]): string => transitionKey(a, b);
    const ours = new Set(legalTransitions.map(key));
    const go = new Set(GO_TRANSITIONS.map((t) => transitionKey(t.from, t.to)));
    const extra = [...ours].filter((k) => !go.has(k)).sort();
    expect(extra).toEqual(ALLOWED_NOT_GO.map(key).sort());
    // Every change Go makes is allowed, but the stop-the-world one (no GC here).
    const missing = [...go].filter((k) => !ours.has(k));
    expect(missing).toEqual(NOT_PORTED.map(key));
  });

  it("runs reach every change Go makes on these paths, each in the function Go makes it in, and no other", () => {
    const seen = new Map<string, Map<string, number>>();
    const add = (r: CheckedRun): void => {
      expect(r.code).toBe(0);
      for (const [k, fns] of r.transitions) {
        let s = seen.get(k);
        if (!s) seen.set(k, (s = new Map()));
        for (const [f, n] of fns) s.set(f, (s.get(f) ?? 0) + n);
      }
    };
    add(runChecked(prog("programs/hello.s"), { maxInsns: 2_000_000 }));
    add(runChecked(prog("programs/gosched.s"), { maxInsns: 2_000_000 }));
    add(runChecked(prog("programs/deeprec.s"), { maxInsns: 5_000_000 }));
    add(runChecked(prog("programs/syscall.s"), { nosysmon: true, maxInsns: 2_000_000 }));
    add(runChecked(prog("test/fixtures/sysslow.s"), { maxInsns: 5_000_000 }));
    add(runChecked(prog("programs/spin.s"), { timeslice: 100_000, maxInsns: 5_000_000 }));
    for (const t of GO_TRANSITIONS) {
      const k = transitionKey(t.from, t.to);
      const fns = seen.get(k);
      if (t.notHere !== undefined) {
        expect(fns, `${k} (${t.go}) cannot happen here: ${t.notHere}`).toBeUndefined();
        continue;
      }
      expect(fns, `${k} (Go: ${t.go}) was never reached`).toBeDefined();
      if (t.fn) for (const f of fns!.keys()) expect(t.fn, `${k} made in ${f}`).toContain(f);
    }
    // Nothing outside Go's list (casgstatus would have thrown anyway).
    const go = new Set(GO_TRANSITIONS.map((t) => transitionKey(t.from, t.to)));
    for (const k of seen.keys()) expect(go.has(k), k).toBe(true);
    // Async preemption goes through gopreempt_m; a Gosched through gosched_m.
    expect(seen.get(transitionKey(_Grunning, _Grunnable))!.get("runtime.gopreempt_m")).toBeGreaterThan(0);
    expect(seen.get(transitionKey(_Grunning, _Grunnable))!.get("runtime.gosched_m")).toBeGreaterThan(0);
  });
});

// --- system calls: exitsyscall0, handoffp, startm ------------------------------------------

describe("a goroutine back from a system call", () => {
  it("finds no P: exitsyscall0 queues it on the global queue and stops its M; another M runs it", () => {
    const r = runChecked(prog("test/fixtures/sysslow.s"), { maxInsns: 10_000_000 });
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(["done"]);
    const sc = r.machine.stats.syscalls;
    // Two system calls: the first comes back to no P (the worker's M has
    // it), the second to the P a spinning M left idle.
    expect(sc).toEqual({ enters: 2, fast: 0, fastIdle: 1, slow: 1 });
    expect(r.transitions.get(transitionKey(_Gsyscall, _Grunnable))).toEqual(new Map([["runtime.exitsyscall0", 1]]));
    // sysmon handed the P off twice (retake → handoffp).
    expect(r.machine.stats.preempt.handoffs).toBe(2);
    expect(r.events.filter((e) => e.kind === "handoff").map((e) => e.detail)).toEqual(["P0", "P0"]);
    // The story in events: main (G1) enters on M0; the handoff starts a new
    // M for the worker; main comes back on M0 to no P and next runs on the
    // worker's M.
    const ev = r.events.filter((e) => e.kind !== "create");
    const sys = ev.findIndex((e) => e.kind === "syscall");
    expect(ev[sys]).toMatchObject({ goid: 1, p: 0 });
    const m0 = ev[sys]!.m;
    const handoff = ev.findIndex((e, i) => i > sys && e.kind === "handoff");
    const worker = ev.find((e, i) => i > handoff && e.kind === "run")!;
    expect(worker.goid).not.toBe(1);
    expect(worker.m).not.toBe(m0);
    const back = ev.findIndex((e, i) => i > handoff && e.kind === "sysexit");
    expect(ev[back]).toMatchObject({ goid: 1, p: -1, m: m0 });
    const again = ev.find((e, i) => i > back && e.kind === "run" && e.goid === 1)!;
    expect(again.m).toBe(worker.m);
    expect(again.detail).toBeUndefined();
    // m0, sysmon's M, and the one M handoffp started: the second handoff
    // woke the idle M0 (mget) instead of cloning a fourth thread.
    expect(r.machine.kernel.threads.length).toBe(3);
  });

  it("with its P untouched (no sysmon), exitsyscall takes it straight back", () => {
    const r = runChecked(prog("programs/syscall.s"), { nosysmon: true, maxInsns: 2_000_000 });
    expect(r.machine.stats.syscalls).toEqual({ enters: 1, fast: 1, fastIdle: 0, slow: 0 });
    expect(r.transitions.get(transitionKey(_Gsyscall, _Grunning))).toEqual(new Map([["runtime.exitsyscall", 1]]));
    expect(r.machine.stats.preempt.handoffs).toBe(0);
  });

  it("syscall.s: the worker runs during main's call, on the M handoffp started", () => {
    const r = runChecked(prog("programs/syscall.s"), { maxInsns: 2_000_000 });
    const sc = r.machine.stats.syscalls;
    expect(sc.enters).toBe(1);
    expect(sc.fast).toBe(0);
    expect(r.machine.stats.preempt.handoffs).toBe(1);
    const ev = r.events;
    const sys = ev.findIndex((e) => e.kind === "syscall");
    const exit = ev.findIndex((e) => e.kind === "sysexit");
    const during = ev.slice(sys, exit).filter((e) => e.kind === "run");
    expect(during.length).toBeGreaterThan(0);
    for (const e of during) expect(e.m).not.toBe(ev[sys]!.m);
  });
});

// --- stealing -------------------------------------------------------------------------

/** stealWork from pp, with no timers anywhere (so it never calls machine code). */
function steal(rt: Runtime, pp: number): number {
  const gen = stealWork(rt, undefined as unknown as H, pp);
  const r = gen.next();
  expect(r.done).toBe(true);
  return r.value as number;
}

describe("stealing follows runqsteal's rules", () => {
  it("runqgrab takes half the ring, rounded up, from the victim's head, and leaves its runnext while the ring has Gs", () => {
    const rt = setup(2);
    const [victim, thief] = rt.allp as [number, number];
    const gs = makeGs(rt, 6);
    for (const g of gs.slice(0, 5)) runqput(rt, victim, g, false);
    runqput(rt, victim, gs[5]!, true);
    // Asked for runnext too: the ring is not empty, so runnext stays.
    const got = runqsteal(rt, thief, victim, true);
    expect(got).toBe(gs[2]); // the last of the three taken runs now
    expect(runqget(rt, thief)).toEqual([gs[0], false]);
    expect(runqget(rt, thief)).toEqual([gs[1], false]);
    expect(runqempty(rt, thief)).toBe(true);
    expect(rt.mem.ptr(victim + off(p, "runnext"))).toBe(gs[5]);
    expect(runqsize(rt, victim)).toBe(2);
    expect(runqget(rt, victim)).toEqual([gs[5], true]);
    expect(runqget(rt, victim)).toEqual([gs[3], false]);
  });

  const seeds = Array.from({ length: 12 }, (_, i) => i + 1);

  it("stealWork looks at every other P, in whatever order its random start and stride give", () => {
    for (const seed of seeds) {
      for (const target of [1, 2, 3]) {
        const rt = setup(4, { seed });
        mcommoninit(rt, rt.m0, -1);
        const [g] = makeGs(rt, 1) as [number];
        runqput(rt, rt.allp[target]!, g, false);
        expect(steal(rt, rt.allp[0]!), `seed ${seed}, work on P${target}`).toBe(g);
      }
    }
  });

  it("stealWork never takes from its own P", () => {
    const rt = setup(4);
    mcommoninit(rt, rt.m0, -1);
    const [g] = makeGs(rt, 1) as [number];
    runqput(rt, rt.allp[0]!, g, false);
    expect(steal(rt, rt.allp[0]!)).toBe(0);
    expect(runqsize(rt, rt.allp[0]!)).toBe(1);
  });

  it("a ring anywhere is stolen before any runnext: runnext only on the last of the four passes", () => {
    for (const seed of seeds) {
      const rt = setup(4, { seed });
      mcommoninit(rt, rt.m0, -1);
      const [a, b, c] = makeGs(rt, 3) as [number, number, number];
      runqput(rt, rt.allp[1]!, a, true); // runnext only
      runqput(rt, rt.allp[2]!, b, false); // the ring
      runqput(rt, rt.allp[3]!, c, true);
      expect(steal(rt, rt.allp[0]!), `seed ${seed}`).toBe(b);
      // With no ring left, a runnext goes.
      const next = steal(rt, rt.allp[0]!);
      expect([a, c]).toContain(next);
      expect(rt.mem.ptr(rt.allp[next === a ? 1 : 3]! + off(p, "runnext"))).toBe(0);
    }
  });

  it("runs with four Ps steal: each steal is from another P, and the stolen G is the thief's next to run", () => {
    let steals = 0;
    for (const seed of [2, 3, 4]) {
      const r = runChecked(withDefines("test/fixtures/fanout.s", { N: 1000, CAP: 1000 }), { procs: 4, seed, noTick61: true, maxInsns: 20_000_000 });
      expect(r.lines).toEqual(["1000"]);
      const ev = r.events;
      ev.forEach((e, i) => {
        if (e.kind !== "steal") return;
        steals++;
        expect(e.detail).toMatch(/^from P\d$/);
        expect(e.detail).not.toBe(`from P${e.p}`);
        const next = ev.find((x, j) => j > i && x.m === e.m && (x.kind === "run" || x.kind === "steal"));
        expect(next).toMatchObject({ kind: "run", goid: e.goid, p: e.p });
        expect(next!.detail).toBeUndefined();
      });
    }
    expect(steals).toBeGreaterThan(0);
  });
});

// --- results from machine code --------------------------------------------------------

let probes = false;
/** Host functions of the test's own, for test/fixtures/probe.s: each calls a system-call stub and returns what it got. */
function defineProbes(): void {
  if (probes) return;
  probes = true;
  hostTable().section("test/runtime/sched.test.ts", (t) => {
    // futex: a wake with nobody waiting (0 woken), a wait on a word that
    // is not the value given (EAGAIN), a wait that times out (ETIMEDOUT).
    t.define("main.probeFutex", "p : i i i", function* (rt: Runtime, h: H) {
      const word = h.arg(0);
      yield h.call(rt.asm.futex, SIG_FUTEX, word, 129, 1, 0, 0, 0);
      h.ret(0, h.result(0));
      yield h.call(rt.asm.futex, SIG_FUTEX, word, 128, 1, 0, 0, 0);
      h.ret(1, h.result(0));
      const ts = h.scratch(16);
      rt.mem.setInt(ts, 0);
      rt.mem.setInt(ts + 8, 1000);
      yield h.call(rt.asm.futex, SIG_FUTEX, word, 128, 0, ts, 0, 0);
      h.ret(2, h.result(0));
    });
    // clone without an m: the child runs fn on a stack of its own.
    t.define("main.probeClone", "p : i", function* (rt: Runtime, h: H) {
      const stk = mallocgc(rt, 8192, 0, true) + 8192;
      yield h.call(rt.asm.clone, SIG_CLONE, 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000, stk, 0, 0, h.arg(0));
      h.ret(0, h.result(0));
    });
    // write, from plain code through a resume point.
    const w = t.define("main.probeWrite", "p p i : i", (rt: Runtime, h: H) => h.callThen(rt.asm.write1, wrote, h.arg(0), h.arg(1), h.arg(2)));
    const wrote = t.resume(w, SIG_WRITE.text, (_rt: Runtime, h: H) => { h.ret(0, h.result(0)); });
  });
}

describe("what host functions get back from machine code", () => {
  it("clone's thread id, futex's results and write's count reach the host function and the program", () => {
    defineProbes();
    let out = "";
    const r = runProgram([prog("test/fixtures/probe.s")], { stdout: () => {}, stderr: (b) => (out += Buffer.from(b).toString()), maxInsns: 1_000_000 });
    expect(r.code).toBe(0);
    const lines = out.split("\n");
    // FUTEX_WAKE with no waiter: 0 woken; FUTEX_WAIT on 0 expecting 1:
    // EAGAIN; FUTEX_WAIT expecting 0 for 1 µs: ETIMEDOUT.
    expect(lines.slice(0, 3)).toEqual(["0", "-11", "-110"]);
    // clone returns the new thread's id to the parent: the newest thread.
    const tids = r.machine.kernel.threads.map((t) => t.tid);
    expect(Number(lines[3])).toBe(tids[tids.length - 1]);
    expect(new Set(tids).size).toBe(tids.length);
    // write returns the bytes written, read at a resume point.
    expect(lines[4]).toBe("hello");
    expect(lines[5]).toBe("6");
  });

  it("newm's clone gives each M its own thread: every M's procid is a thread's id, no two the same", () => {
    const r = runChecked(prog("programs/lockthread.s"), { procs: 2, maxInsns: 2_000_000 });
    expect(r.code).toBe(0);
    const tids = r.machine.kernel.threads.map((t) => t.tid);
    // lockthread's worker 0 exits locked: mexit takes its M off allm.
    const ms = view.ms(r.machine);
    expect(ms.length).toBeGreaterThanOrEqual(3);
    for (const x of ms) expect(tids, `M${x.id}`).toContain(x.procid);
    expect(new Set(ms.map((x) => x.procid)).size).toBe(ms.length);
  });
});


// --- timers, channels, forced preemption, schedtrace -------------------------------------

describe("more runs, watched: timers, channel queues, forced preemption, schedtrace", () => {
  const ms = Array.from({ length: 24 }, (_, i) => String(i + 1));
  for (const procs of [1, 4]) {
    it(`sleepers (${procs} P): 24 timers made out of order fire in deadline order`, () => {
      const r = runChecked(prog("test/fixtures/sleepers.s"), { procs, seed: 3, noTick61: procs > 1, maxInsns: 2_000_000 });
      expect(r.code).toBe(0);
      expect(r.lines).toEqual([...ms, "done"]);
      // The clock jumped to each deadline: 24 ms, plus the instructions.
      expect(r.machine.kernel.now).toBeGreaterThanOrEqual(24_000_000);
      expect(r.machine.kernel.now).toBeLessThan(24_000_000 + r.insns + 1_000_000);
      const parks = r.events.filter((e) => e.kind === "park" && e.detail === "sleep");
      expect(parks).toHaveLength(24);
    });
  }

  for (const procs of [1, 4]) {
    it(`chans (${procs} P): send and receive queues are FIFO; close wakes every receiver with (0, false)`, () => {
      const r = runChecked(prog("test/fixtures/chans.s"), { procs, seed: 2, noTick61: procs > 1, maxInsns: 2_000_000 });
      expect(r.code).toBe(0);
      expect(r.lines.slice(0, 10)).toEqual(["0", "1", "2", "3", "4", "10", "11", "12", "13", "14"]);
      expect([...r.lines.slice(10)].sort()).toEqual(["0 0 false", "1 0 false", "2 0 false"]);
      // Every ready of a parked sender or receiver names the goroutine that readied it.
      for (const e of r.events.filter((x) => x.kind === "ready")) expect(e.by, `ready G${e.goid}`).toBeGreaterThan(0);
    });
  }

  it("regs with a forced preemption every 499 instructions: every register kept, on two Ps", () => {
    const r = runChecked(prog("programs/regs.s"), { procs: 2, seed: 4, preemptEvery: 499, noTick61: true, maxInsns: 5_000_000 });
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(["regs: all registers kept"]);
    const p = r.machine.stats.preempt;
    expect(p.taken).toBeGreaterThan(500);
    expect(p.asyncPreempt2).toBe(p.taken);
    expect(r.machine.kernel.sigreturns).toBe(r.machine.kernel.signalsDelivered);
    // A preempt event for each asynchronous preemption and each cooperative one (newstack).
    expect(r.events.filter((e) => e.kind === "preempt").length).toBe(p.taken + r.machine.stats.newstack.preempt);
  });

  it("--schedtrace: Go's SCHED line from sysmon, every 5 ms of virtual time over the sleepers' 24 ms", () => {
    const r = runChecked(prog("test/fixtures/sleepers.s"), { procs: 2, seed: 3, schedtrace: 5, noTick61: true, maxInsns: 2_000_000 });
    expect(r.code).toBe(0);
    const sched = r.lines.filter((l) => l.startsWith("SCHED "));
    const re = /^SCHED (\d+)ms: gomaxprocs=2 idleprocs=([0-2]) threads=(\d+) spinningthreads=(\d+) idlethreads=(\d+) runqueue=(\d+) \[(\d+) (\d+)\]$/;
    for (const l of sched) expect(l).toMatch(re);
    expect(sched[0]).toMatch(/^SCHED 0ms: /);
    const at = sched.map((l) => Number(re.exec(l)![1]));
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(5);
    expect(sched.length).toBeGreaterThanOrEqual(3);
    expect(at.at(-1)).toBeLessThanOrEqual(24);
    for (const l of sched) {
      const m = re.exec(l)!;
      // threads= counts Ms: never more than the kernel's threads; the queues hold at most the 24 sleepers.
      expect(Number(m[3])).toBeLessThanOrEqual(r.machine.kernel.threads.length);
      expect(Number(m[6]) + Number(m[7]) + Number(m[8])).toBeLessThanOrEqual(24);
    }
    expect(r.lines.filter((l) => !l.startsWith("SCHED "))).toEqual([...ms, "done"]);
  });
});

// --- sysmon's back-off -----------------------------------------------------------------

describe("sysmon backs off as Go's does", () => {
  // proc.go's sysmon: it sleeps 20 µs a round while it finds work (retake
  // returned a P) or has been idle for at most 50 rounds; after that each
  // idle round doubles the sleep, up to 10 ms. Rounds in T ns of virtual
  // time, by that rule, starting idle.
  function goRounds(T: number): number {
    let idle = 0, delay = 0, t = 0, n = 0;
    for (;;) {
      if (idle === 0) delay = 20;
      else if (idle > 50) delay *= 2;
      if (delay > 10_000) delay = 10_000;
      t += delay * 1000;
      if (t > T) return n;
      n++;
      idle++; // busy.s gives retake nothing to hand off
    }
  }

  it("busy.s, 3 ms of one goroutine running: 20 µs rounds for the first 51, then doubling (about 55 rounds, not 150)", () => {
    const r = runProgram([prog("test/fixtures/busy.s")], { stdout: () => {}, stderr: () => {}, maxInsns: 20_000_000 });
    expect(r.code).toBe(0);
    const now = r.machine.kernel.now;
    expect(now).toBeGreaterThan(3_000_000);
    const rounds = r.machine.stats.preempt.sysmonRounds;
    expect(r.machine.stats.preempt.handoffs).toBe(0);
    // sysmon starts a little after the clock: at most the rounds of the
    // whole run, and not many fewer (a 20 µs round is the finest step).
    const want = goRounds(now);
    expect(want).toBeGreaterThan(51);
    expect(rounds).toBeLessThanOrEqual(want);
    expect(rounds).toBeGreaterThanOrEqual(want - 8);
  });
});
