// Local and global run queues, in the spirit of Go's RunSchedLocalQueueTest,
// RunSchedLocalQueueStealTest and RunSchedLocalQueueEmptyTest
// (runtime/export_test.go, proc_test.go): every queue length 0..256.
import { describe, expect, it } from "vitest";
import {
  globrunqget, globrunqput, globrunqputbatch, globrunqputhead, runqdrain, runqempty, runqput, runqputbatch,
  runqputslow, runqsize, runqsteal, schedRunqsize,
} from "../../src/runtime/runq.ts";
import { globalRunq, globalRunqTail, linkGs, runqget } from "./queues.ts";
import { g, off, p, schedt } from "../../src/runtime/runtime2.ts";
import { catchThrow, makeGs, setup } from "./rtutil.ts";

const p_runqhead = off(p, "runqhead");
const p_runqtail = off(p, "runqtail");
const p_runnext = off(p, "runnext");
const g_schedlink = off(g, "schedlink");

describe("local run queue", () => {
  // Starting the ring just below 2^32 checks the free-running uint32 indices wrap.
  for (const start of [0, 0xffff_ff80]) {
    it(`RunSchedLocalQueueTest: put i, get i in order, every length 0..256 (head starts at ${start})`, () => {
      const rt = setup(1);
      const pp = rt.allp[0]!;
      rt.mem.setU32(pp + p_runqhead, start);
      rt.mem.setU32(pp + p_runqtail, start);
      const gs = makeGs(rt, 256);
      for (let i = 0; i <= 256; i++) {
        expect(runqget(rt, pp)).toEqual([0, false]);
        expect(runqempty(rt, pp)).toBe(true);
        for (let j = 0; j < i; j++) runqput(rt, pp, gs[j]!, false);
        expect(runqsize(rt, pp)).toBe(i);
        expect(runqempty(rt, pp)).toBe(i === 0);
        for (let j = 0; j < i; j++) {
          const [gp, inherit] = runqget(rt, pp);
          expect(gp, `iter ${i}/${j}`).toBe(gs[j]);
          expect(inherit).toBe(false);
        }
        expect(runqget(rt, pp)).toEqual([0, false]);
        // A full ring never spilled to the global queue.
        expect(schedRunqsize(rt)).toBe(0);
      }
    });
  }

  it("runnext: put with next kicks the old runnext to the tail; runqget takes runnext first, inheriting time", () => {
    const rt = setup(1);
    const pp = rt.allp[0]!;
    const [a, b, c] = makeGs(rt, 3) as [number, number, number];
    runqput(rt, pp, a, false);
    runqput(rt, pp, b, true);
    expect(rt.mem.ptr(pp + p_runnext)).toBe(b);
    expect(runqsize(rt, pp)).toBe(1);
    runqput(rt, pp, c, true);
    expect(rt.mem.ptr(pp + p_runnext)).toBe(c);
    expect(runqsize(rt, pp)).toBe(2);
    expect(runqget(rt, pp)).toEqual([c, true]);
    expect(runqget(rt, pp)).toEqual([a, false]);
    expect(runqget(rt, pp)).toEqual([b, false]);
    expect(runqget(rt, pp)).toEqual([0, false]);
  });

  it("RunSchedLocalQueueEmptyTest: runqempty is false while only runnext holds a G, and after a kick", () => {
    const rt = setup(1);
    const pp = rt.allp[0]!;
    const [g1, g2] = makeGs(rt, 2) as [number, number];
    expect(runqempty(rt, pp)).toBe(true);
    runqput(rt, pp, g1, true);
    expect(runqempty(rt, pp)).toBe(false);
    runqput(rt, pp, g2, true); // kicks g1 into the ring
    expect(runqempty(rt, pp)).toBe(false);
    expect(runqget(rt, pp)[0]).toBe(g2);
    expect(runqempty(rt, pp)).toBe(false);
    expect(runqget(rt, pp)[0]).toBe(g1);
    expect(runqempty(rt, pp)).toBe(true);
  });

  it("runqputslow: a full ring moves its older 128 and the new G (129) to the global queue, in order", () => {
    for (const start of [0, 0xffff_ffc0]) {
      const rt = setup(1);
      const pp = rt.allp[0]!;
      rt.mem.setU32(pp + p_runqhead, start);
      rt.mem.setU32(pp + p_runqtail, start);
      const gs = makeGs(rt, 257);
      for (let i = 0; i < 256; i++) runqput(rt, pp, gs[i]!, false);
      expect(runqsize(rt, pp)).toBe(256);
      expect(schedRunqsize(rt)).toBe(0);
      runqput(rt, pp, gs[256]!, false);
      expect(runqsize(rt, pp)).toBe(128);
      expect(schedRunqsize(rt)).toBe(129);
      expect(rt.mem.i32(rt.sched + off(schedt, "runqsize"))).toBe(129);
      const global = globalRunq(rt);
      expect(global).toEqual([...gs.slice(0, 128), gs[256]]);
      expect(rt.mem.ptr(globalRunqTail(rt) + g_schedlink)).toBe(0);
      for (let i = 128; i < 256; i++) expect(runqget(rt, pp)[0]).toBe(gs[i]);
      expect(runqget(rt, pp)[0]).toBe(0);
    }
  });

  it("runqputslow throws when the queue is not full", () => {
    const rt = setup(1);
    const pp = rt.allp[0]!;
    const [a] = makeGs(rt, 1) as [number];
    expect(catchThrow(() => runqputslow(rt, pp, a, 0, 10)).msg).toBe("runqputslow: queue is not full");
  });

  it("runqputbatch: fills the ring, spills the rest to the global queue", () => {
    const rt = setup(1);
    const pp = rt.allp[0]!;
    const gs = makeGs(rt, 300);
    for (let i = 0; i < 10; i++) runqput(rt, pp, gs[i]!, false);
    const [head, tail] = linkGs(rt, gs.slice(10));
    runqputbatch(rt, pp, head, tail, 290);
    expect(runqsize(rt, pp)).toBe(256);
    expect(schedRunqsize(rt)).toBe(44);
    expect(globalRunq(rt)).toEqual(gs.slice(256));
    for (let i = 0; i < 256; i++) expect(runqget(rt, pp)[0]).toBe(gs[i]);
  });

  it("runqdrain takes runnext then the ring, in order", () => {
    const rt = setup(1);
    const pp = rt.allp[0]!;
    const gs = makeGs(rt, 6);
    for (let i = 0; i < 5; i++) runqput(rt, pp, gs[i]!, false);
    runqput(rt, pp, gs[5]!, true);
    const q = runqdrain(rt, pp);
    expect(q.length).toBe(6);
    expect(q).toEqual([gs[5], ...gs.slice(0, 5)]);
    expect(runqempty(rt, pp)).toBe(true);
  });
});

describe("stealing", () => {
  it("RunSchedLocalQueueStealTest: every G is taken exactly once; the thief gets half, rounded up", () => {
    const rt = setup(2);
    const [p1, p2] = rt.allp as [number, number];
    const gs = makeGs(rt, 256);
    for (let i = 0; i <= 256; i++) {
      const seen = new Map<number, number>();
      const take = (gp: number): void => void seen.set(gp, (seen.get(gp) ?? 0) + 1);
      for (let j = 0; j < i; j++) runqput(rt, p1, gs[j]!, false);
      const gp = runqsteal(rt, p2, p1, true);
      let s = 0;
      if (gp !== 0) {
        s++;
        take(gp);
      }
      const stolen: number[] = [];
      for (let x = runqget(rt, p2)[0]; x !== 0; x = runqget(rt, p2)[0]) {
        s++;
        take(x);
        stolen.push(x);
      }
      const left: number[] = [];
      for (let x = runqget(rt, p1)[0]; x !== 0; x = runqget(rt, p1)[0]) {
        take(x);
        left.push(x);
      }
      for (let j = 0; j < i; j++) expect(seen.get(gs[j]!), `G ${j} at iter ${i}`).toBe(1);
      expect(seen.size).toBe(i);
      // runqgrab takes n - n/2: the older half, rounded up.
      const want = i - Math.floor(i / 2);
      expect(s, `iter ${i}`).toBe(want);
      if (i > 0) {
        // The thief runs the last G it took; the rest wait on its queue in order.
        expect(gp).toBe(gs[want - 1]);
        expect(stolen).toEqual(gs.slice(0, want - 1));
        expect(left).toEqual(gs.slice(want, i));
      }
    }
  });

  it("stealRunNextG: an empty ring gives up its runnext only when asked", () => {
    const rt = setup(2);
    const [p1, p2] = rt.allp as [number, number];
    const [a] = makeGs(rt, 1) as [number];
    runqput(rt, p1, a, true);
    expect(runqsteal(rt, p2, p1, false)).toBe(0);
    expect(rt.mem.ptr(p1 + p_runnext)).toBe(a);
    expect(runqsteal(rt, p2, p1, true)).toBe(a);
    expect(rt.mem.ptr(p1 + p_runnext)).toBe(0);
    expect(runqempty(rt, p1)).toBe(true);
    expect(runqempty(rt, p2)).toBe(true);
  });

  it("runqsteal into a thief whose ring has wrapped", () => {
    const rt = setup(2);
    const [p1, p2] = rt.allp as [number, number];
    rt.mem.setU32(p2 + p_runqhead, 0xffff_fffe);
    rt.mem.setU32(p2 + p_runqtail, 0xffff_fffe);
    const gs = makeGs(rt, 10);
    for (const x of gs) runqput(rt, p1, x, false);
    expect(runqsteal(rt, p2, p1, false)).toBe(gs[4]);
    expect(rt.mem.u32(p2 + p_runqtail)).toBe(2);
    const got: number[] = [];
    for (let x = runqget(rt, p2)[0]; x !== 0; x = runqget(rt, p2)[0]) got.push(x);
    expect(got).toEqual(gs.slice(0, 4));
  });
});

describe("global run queue", () => {
  it("globrunqput appends, globrunqputhead prepends, globrunqputbatch appends a batch", () => {
    const rt = setup(1);
    const gs = makeGs(rt, 6);
    globrunqput(rt, gs[0]!);
    globrunqput(rt, gs[1]!);
    globrunqputhead(rt, gs[2]!);
    const [head, tail] = linkGs(rt, [gs[5]!, gs[3]!, gs[4]!]);
    globrunqputbatch(rt, head, tail, 3);
    expect(globalRunq(rt)).toEqual([gs[2], gs[0], gs[1], gs[5], gs[3], gs[4]]);
    expect(globalRunqTail(rt)).toBe(gs[4]);
    expect(schedRunqsize(rt)).toBe(6);
  });

  const cases: { gomaxprocs: number; size: number; max: number; n: number }[] = [
    { gomaxprocs: 4, size: 100, max: 0, n: 26 }, // 100/4+1
    { gomaxprocs: 4, size: 100, max: 10, n: 10 }, // capped by max
    { gomaxprocs: 1, size: 3, max: 0, n: 3 }, // capped by runqsize
    { gomaxprocs: 1, size: 1000, max: 0, n: 128 }, // capped by len(runq)/2
    { gomaxprocs: 2, size: 1, max: 1, n: 1 },
    { gomaxprocs: 8, size: 7, max: 0, n: 1 },
  ];
  for (const c of cases) {
    it(`globrunqget batch: runqsize ${c.size}, gomaxprocs ${c.gomaxprocs}, max ${c.max} → ${c.n}`, () => {
      const rt = setup(c.gomaxprocs);
      expect(rt.gomaxprocs).toBe(c.gomaxprocs);
      const pp = rt.allp[0]!;
      const gs = makeGs(rt, c.size);
      for (const x of gs) globrunqput(rt, x);
      const gp = globrunqget(rt, pp, c.max);
      expect(gp).toBe(gs[0]);
      expect(schedRunqsize(rt)).toBe(c.size - c.n);
      expect(runqsize(rt, pp)).toBe(c.n - 1);
      for (let i = 1; i < c.n; i++) expect(runqget(rt, pp)[0]).toBe(gs[i]);
      expect(globalRunq(rt)).toEqual(gs.slice(c.n));
    });
  }

  it("globrunqget on an empty queue returns 0", () => {
    const rt = setup(1);
    expect(globrunqget(rt, rt.allp[0]!, 0)).toBe(0);
  });

  it("memory is the single truth: an engine snapshot restores the queues", () => {
    const rt = setup(1);
    const pp = rt.allp[0]!;
    const gs = makeGs(rt, 4);
    runqput(rt, pp, gs[0]!, false);
    globrunqput(rt, gs[1]!);
    const snap = rt.engine.snapshot();
    runqput(rt, pp, gs[2]!, true);
    globrunqput(rt, gs[3]!);
    expect(schedRunqsize(rt)).toBe(2);
    rt.engine.restore(snap);
    expect(schedRunqsize(rt)).toBe(1);
    expect(globalRunq(rt)).toEqual([gs[1]]);
    expect(runqget(rt, pp)).toEqual([gs[0], false]);
    expect(runqget(rt, pp)).toEqual([0, false]);
  });
});
