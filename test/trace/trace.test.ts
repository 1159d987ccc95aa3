// Traces: `gmpemu trace` (instructions of the switch routines, scheduler
// events) and `gmpemu run --trace-out` (a Chrome trace). The instruction
// trace must show gogo loading the gobuf that execute left for it; both
// traces must be byte-identical for the same program and seed; the Chrome
// trace must be well formed the way Perfetto needs it (named tracks, slices
// that do not overlap on a track, flows that pair up, counters >= 0).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { checkOutputPath } from "../../src/cli/run.ts";
import { buildMachine, runProgram } from "../../src/node/boot.ts";
import { g as gT, gobuf, off } from "../../src/runtime/runtime2.ts";
import type { SchedEvent } from "../../src/runtime/events.ts";
import { ChromeTraceBuilder, type ChromeEvent, type ChromeTrace } from "../../src/trace/chrome.ts";
import { formatEvent, traceEvents, traceInsns, traceMachine, resolveRoutines } from "../../src/trace/insn.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const prog = (name: string): string => join(ROOT, "programs", name);
const silent = { stdout: () => {}, stderr: () => {} };
const hex = (n: number): string => `0x${n.toString(16)}`;

describe("gmpemu trace (instructions)", () => {
  it("--only runtime.gogo starts at gogo's first instruction and loads SP, BP, DX from the gobuf", () => {
    const m = buildMachine([prog("gosched.s")], { ...silent, seed: 1 });
    const gogo = m.image.addrOf("runtime.gogo")!;
    // What each gogo will load: execute emits `run` just before it calls gogo(&gp.sched).
    const mem = m.mem;
    const want: { sp: number; bp: number; ctxt: number }[] = [];
    m.listeners.push((ev) => {
      if (ev.kind !== "run") return;
      const gp = m.allgs.find((g) => mem.int(g + off(gT, "goid")) === ev.goid)!;
      const b = gp + off(gT, "sched");
      want.push({ sp: mem.ptr(b + off(gobuf, "sp")), bp: mem.ptr(b + off(gobuf, "bp")), ctxt: mem.ptr(b + off(gobuf, "ctxt")) });
    });
    const lines: string[] = [];
    const r = traceMachine(m, { only: ["runtime.gogo"] }, (l) => lines.push(l));
    m.engine.close();
    expect(r.exit.kind).toBe("exit");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]!.startsWith(`${hex(gogo)} M0 asm/asm_amd64.s:`)).toBe(true);
    expect(lines[0]).toMatch(/ runtime\.gogo  MOVQ 0x8\(SP\), BX  BX=0x[0-9a-f]+$/);
    for (const l of lines) expect(l).toMatch(/^0x[0-9a-f]+ M\d+ asm\/asm_amd64\.s:\d+ (runtime\.gogo|gogo<\d+>)(\+0x[0-9a-f]+)?  \S/);

    // One gogo per run event, each loading that goroutine's gobuf.
    const starts = lines.flatMap((l, i) => (l.startsWith(hex(gogo) + " ") ? [i] : []));
    expect(starts.length).toBe(want.length);
    starts.forEach((s, k) => {
      const seq = lines.slice(s, starts[k + 1] ?? lines.length);
      const at = (insn: string): string => seq.find((l) => l.includes(`  ${insn}`)) ?? `(no ${insn})`;
      expect(at("MOVQ (BX), SP")).toMatch(new RegExp(`  SP=${hex(want[k]!.sp)}$`));
      expect(at("MOVQ 0x18(BX), DX")).toMatch(new RegExp(`  DX=${hex(want[k]!.ctxt)}$`));
      expect(at("MOVQ 0x30(BX), BP")).toMatch(new RegExp(`  BP=${hex(want[k]!.bp)}$`));
      expect(at("MOVQ DX, FS:0xfffffff8")).toMatch(/  g=0x[0-9a-f]+$/);
    });
  });

  it("gives the same bytes for the same program and seed", () => {
    const run = (): string[] => {
      const out: string[] = [];
      traceInsns([prog("syscall.s")], { ...silent, procs: 2, seed: 7 }, (l) => out.push(l));
      return out;
    };
    const a = run(), b = run();
    expect(a.length).toBeGreaterThan(100);
    // The default set traces more than gogo.
    expect(a.some((l) => / runtime\.mcall /.test(l))).toBe(true);
    expect(a.some((l) => / runtime\.systemstack /.test(l))).toBe(true);
    expect(b).toEqual(a);
    // Nothing machine-dependent in it.
    expect(a.join("\n")).not.toContain(ROOT);
  });

  it("runs as `gmpemu run` does: sysmon preempts a spinner (asyncPreempt is traced), same events as --events", () => {
    const opts = { ...silent, seed: 2, timeslice: 200_000 };
    const m = buildMachine([prog("spin.s")], opts);
    const evs: string[] = [];
    m.listeners.push((ev) => evs.push(formatEvent(ev)));
    const lines: string[] = [];
    const r = traceMachine(m, { ...opts, only: ["runtime.asyncPreempt"] }, (l) => lines.push(l));
    m.engine.close();
    expect(r.exit.kind).toBe("exit");
    expect(lines[0]).toMatch(/^0x[0-9a-f]+ M0 asm\/preempt_amd64\.s:\d+ runtime\.asyncPreempt  PUSHQ BP  SP=0x[0-9a-f]+$/);
    expect(evs.some((l) => / preempt$/.test(l))).toBe(true);
    const plain: string[] = [];
    traceEvents([prog("spin.s")], opts, (l) => plain.push(l));
    expect(evs).toEqual(plain);
  });

  it("accepts Go's spellings of routine names and refuses unknown ones", () => {
    const m = buildMachine([prog("hello.s")], silent);
    const names = (xs: string[]): string[] => resolveRoutines(m.image, xs).map((r) => r.name);
    expect(names(["runtime·gogo"])).toEqual(["runtime.gogo", "gogo<1>"]);
    expect(names(["mcall", "gogo<>"])).toEqual(["runtime.mcall", "gogo<1>"].sort((x, y) => m.image.addrOf(x)! - m.image.addrOf(y)!));
    expect(names(["·main"])).toEqual(["main.main"]);
    expect(() => names(["runtime.nosuch"])).toThrow(/no text symbol/);
    m.engine.close();
  });
});

describe("gmpemu trace --events", () => {
  it("shows G5 and G6 taking turns through Gosched", () => {
    const lines: string[] = [];
    traceEvents([prog("gosched.s")], { ...silent, seed: 1 }, (l) => lines.push(l));
    for (const l of lines) expect(l).toMatch(/^t=\d+\.\d{3}µs M(\d+|-) P(\d+|-) G\d+ [a-z]+( by=G\d+)?( \(.+\))?$/);
    const turns = lines.filter((l) => / G[56] (run|gosched)\b/.test(l)).map((l) => / (G[56] \w+)/.exec(l)![1]);
    const round = ["G6 run", "G6 gosched", "G5 run", "G5 gosched"];
    expect(turns).toEqual([...round, ...round, ...round, "G6 run", "G5 run"]);
    expect(lines).toContain("t=0.699µs M0 P0 G6 gosched");
  });

  it("is the same for the same seed", () => {
    const run = (): string[] => {
      const out: string[] = [];
      traceEvents([prog("spin.s")], { ...silent, procs: 2, seed: 3 }, (l) => out.push(l));
      return out;
    };
    const a = run();
    expect(a.length).toBeGreaterThan(10);
    expect(run()).toEqual(a);
  });
});

/** A Chrome trace of the program, through JSON as the file would be. */
function chrome(file: string, procs: number, seed = 1): ChromeTrace {
  const tb = new ChromeTraceBuilder();
  const r = runProgram([prog(file)], { ...silent, procs, seed, observe: (m) => void m.listeners.push(tb.listener) });
  return JSON.parse(JSON.stringify(tb.finish(r.machine.kernel.now))) as ChromeTrace;
}

/** Everything Perfetto relies on; returns the X slices per track. */
function checkWellFormed(t: ChromeTrace): Map<string, ChromeEvent[]> {
  expect(t.displayTimeUnit).toBe("ns");
  const ev = t.traceEvents;
  const meta = ev.filter((e) => e.ph === "M");
  expect(meta).toContainEqual({ name: "process_name", ph: "M", pid: 1, args: { name: "Ps" } });
  expect(meta).toContainEqual({ name: "process_name", ph: "M", pid: 2, args: { name: "Ms" } });
  const named = new Set(meta.filter((e) => e.name === "thread_name").map((e) => `${e.pid}/${e.tid}`));
  expect(meta).toContainEqual({ name: "thread_name", ph: "M", pid: 1, tid: 0, args: { name: "P0" } });
  expect(meta).toContainEqual({ name: "thread_name", ph: "M", pid: 2, tid: 0, args: { name: "M0" } });

  const tracks = new Map<string, ChromeEvent[]>();
  for (const e of ev.filter((x) => x.ph === "X")) {
    expect(e.ts).toBeGreaterThanOrEqual(0);
    expect(e.dur).toBeGreaterThanOrEqual(0);
    expect(e.name).toMatch(/^G\d+$/);
    const k = `${e.pid}/${e.tid}`;
    expect(named.has(k), `track ${k} has a name`).toBe(true);
    tracks.set(k, [...(tracks.get(k) ?? []), e]);
  }
  expect(tracks.size).toBeGreaterThan(0);
  for (const [k, xs] of tracks) {
    const s = [...xs].sort((a, b) => a.ts! - b.ts!);
    for (let i = 1; i < s.length; i++) {
      expect(s[i]!.ts!, `${k}: ${s[i]!.name} starts before ${s[i - 1]!.name} ends`).toBeGreaterThanOrEqual(s[i - 1]!.ts! + s[i - 1]!.dur! - 1e-9);
    }
  }
  const starts = ev.filter((e) => e.ph === "s"), finishes = ev.filter((e) => e.ph === "f");
  expect(new Set(starts.map((e) => e.id)).size).toBe(starts.length);
  expect(finishes.map((e) => e.id).sort()).toEqual(starts.map((e) => e.id).sort());
  for (const f of finishes) {
    expect(f.bp).toBe("e");
    const s = starts.find((x) => x.id === f.id)!;
    expect(f.ts!).toBeGreaterThanOrEqual(s.ts!);
    // Each end is bound to a slice on its track.
    for (const e of [s, f]) {
      const xs = tracks.get(`${e.pid}/${e.tid}`) ?? [];
      expect(xs.some((x) => x.ts! <= e.ts! + 1e-9 && e.ts! <= x.ts! + x.dur! + 1e-9), `flow ${e.ph} ${e.id} in a slice`).toBe(true);
    }
  }
  const counters = ev.filter((e) => e.ph === "C");
  expect(counters.length).toBeGreaterThan(0);
  for (const c of counters) {
    expect(c.args!["running"]).toBeGreaterThanOrEqual(0);
    expect(c.args!["runnable"]).toBeGreaterThanOrEqual(0);
  }
  return tracks;
}

describe("gmpemu run --trace-out (Chrome trace)", () => {
  it("gosched: named tracks, slices per run, flows from ready to run, counters", () => {
    const t = chrome("gosched.s", 1);
    const tracks = checkWellFormed(t);
    // Goroutines 5 and 6 take turns: four slices each on P0 (three before a Gosched, one to the end).
    const p0 = tracks.get("1/0")!.map((e) => e.name);
    expect(p0.filter((n) => n === "G5").length).toBe(4);
    expect(p0.filter((n) => n === "G6").length).toBe(4);
    expect(t.traceEvents.filter((e) => e.ph === "s").length).toBeGreaterThan(0);
    expect(t.traceEvents.some((e) => e.ph === "i" && e.name === "create G5")).toBe(true);
    // Same program and seed: the same file.
    expect(JSON.stringify(chrome("gosched.s", 1))).toBe(JSON.stringify(t));
  });

  it("a 4-P run has slices on more than one P track", () => {
    // hello.s ends in about a thousand instructions, inside the kernel's
    // first slice of thread 0, so its other Ms never get to run; spin.s
    // keeps P0 busy and the printer runs elsewhere.
    const tracks = checkWellFormed(chrome("spin.s", 4));
    const ps = [...tracks.keys()].filter((k) => k.startsWith("1/"));
    expect(ps.length).toBeGreaterThan(1);
    const ms = [...tracks.keys()].filter((k) => k.startsWith("2/"));
    expect(ms.length).toBeGreaterThan(1);
  });

  it("system calls (exitsyscall without a run event) keep tracks well formed", () => {
    const t = chrome("syscall.s", 2);
    checkWellFormed(t);
    expect(t.traceEvents.some((e) => e.ph === "i" && e.name.startsWith("syscall G"))).toBe(true);
  });

  it("keeps slices apart when events leave a track held (a missing leave, a sysexit onto a busy P)", () => {
    // No program here produces these orders; the builder must still keep
    // every P and M track free of overlaps and close what is left open.
    const tb = new ChromeTraceBuilder();
    const ev = (kind: SchedEvent["kind"], t: number, goid: number, p: number, m: number, by = 0): void => tb.add({ kind, t, goid, p, m, by });
    ev("create", 0, 1, 0, 0); ev("create", 0, 2, 0, 0); ev("create", 0, 3, 0, 0);
    ev("run", 10, 1, 0, 0);
    ev("ready", 15, 3, 0, 0, 1);
    ev("run", 20, 2, 0, 0); // G1 never left P0: its slice ends at 20
    ev("syscall", 30, 2, 0, 0);
    ev("run", 35, 3, 0, 1); // G3 on P0 through another M
    ev("sysexit", 40, 2, -1, 0);
    ev("park", 60, 3, 0, 1);
    ev("gosched", 70, 2, 0, 0); // back on P0 after the sysexit, from 60 (P0 was busy until then)
    ev("run", 80, 1, 0, 0); // still running at the end
    const t = JSON.parse(JSON.stringify(tb.finish(100))) as ChromeTrace;
    const tracks = checkWellFormed(t);
    const slices = (k: string): string[] => tracks.get(k)!.map((e) => `${e.name}@${e.ts! * 1000}+${Math.round(e.dur! * 1000)}`);
    expect(slices("1/0")).toEqual(["G1@10+10", "G2@20+10", "G3@35+25", "G2@60+10", "G1@80+20"]);
    expect(slices("2/1")).toEqual(["G3@35+25"]);
    // G1 readied G3: an arrow from G1's slice to G3's next one.
    expect(t.traceEvents.filter((e) => e.ph === "s" || e.ph === "f").map((e) => `${e.ph}@${e.ts! * 1000}`)).toEqual(["s@15", "f@35"]);
  });

  it("the command writes the file, and refuses to write over an input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gmpemu-trace-"));
    try {
      const out = join(dir, "t.json");
      const write = process.stderr.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      let code: number;
      try {
        code = await main(["run", prog("hello.s"), "--procs", "4", "--trace-out", out]);
      } finally {
        process.stderr.write = write;
      }
      expect(code).toBe(0);
      checkWellFormed(JSON.parse(readFileSync(out, "utf8")) as ChromeTrace);
      expect(() => checkOutputPath(prog("hello.s"), [prog("hello.s")])).toThrow(/input files/);
      expect(() => checkOutputPath(join(ROOT, "programs/../programs/hello.s"), ["programs/hello.s"])).toThrow(/input files/);
      expect(() => checkOutputPath(out, [prog("hello.s")])).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
