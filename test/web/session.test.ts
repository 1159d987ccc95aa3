// The page's emulator session (web/src/session.ts) in Node, without a
// browser: its stops are the stepper's (same steps, same Ps and run
// queues as `gmpemu step` prints), a long continue runs in slices that a
// Stop ends, and going back replays to the same state; with the switch
// checker, a broken routine stops the run with the stepper's own line.
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { switchCheck } from "../../src/check/check.ts";
import { Stepper } from "../../src/step/stepper.ts";
import { renderItem, runTour } from "../../src/tour/tour.ts";
import type { FromWorker, ProgramSpec } from "../../web/src/protocol.ts";
import { Session } from "../../web/src/session.ts";
import { PROGRAM_FILES, RUNTIME_FILES } from "../../web/src/files.ts";
import { GOROUTINES_MAX, type Snapshot } from "../../web/src/snapshot.ts";

const ROOT = resolve(import.meta.dirname, "../..");

function spec(name: string): ProgramSpec {
  const path = `programs/${name}.s`;
  return { path, text: PROGRAM_FILES.get(path)!, runtime: {} };
}

function session(): { s: Session; msgs: FromWorker[]; last: () => Extract<FromWorker, { t: "stop" }> } {
  const msgs: FromWorker[] = [];
  const s = new Session((m) => msgs.push(m));
  return {
    s, msgs,
    last: () => {
      const stops = msgs.filter((m): m is Extract<FromWorker, { t: "stop" }> => m.t === "stop");
      expect(stops.length).toBeGreaterThan(0);
      return stops[stops.length - 1]!;
    },
  };
}

function drain(s: Session): void {
  for (let i = 0; i < 100_000 && s.pump(1e9); i++);
}

/** The stepper's `p` and `sched`, as the page draws them. */
function asCli(snap: Snapshot): string {
  const g = (id: number | null): string => (id === null ? "-" : `G${id}`);
  return snap.ps.map((p) => `P${p.id} ${p.status} M${p.m ?? "-"} schedtick=${p.schedtick} runnext=${g(p.runnext)} runq=[${p.runq.map(g).join(" ")}]`).join("\n") + "\n";
}

describe("the page's session", () => {
  it("stops where the command-line stepper stops, with the same Ps and global queue", () => {
    const { s, last } = session();
    s.handle({ t: "load", program: spec("many"), opts: { seed: 3, procs: 4 }, step: 30_000 });
    drain(s);
    const snap = last().snap;
    expect(snap.steps).toBe(30_000);
    const cli = new Stepper(resolve(ROOT, "programs/many.s"), { root: ROOT, procs: 4, seed: 3 });
    cli.exec("si 30000");
    expect(asCli(snap)).toBe(cli.exec("p"));
    const sched = cli.exec("sched");
    const m = /^global runq \((\d+)\): \[(.*)\]/.exec(sched)!;
    expect(snap.sched.runqsize).toBe(Number(m[1]));
    expect(snap.sched.runq.map((x) => `G${x}`).join(" ")).toBe(m[2]!.split(" ").slice(0, snap.sched.runq.length).join(" "));
    expect(snap.regs.find((r) => r.name === "SP")!.value).toBe("0x" + cli.m.engine.getReg(4).toString(16));
    // The goroutines pane: what `goroutines` prints, the first GOROUTINES_MAX of them (and the current one), and how many.
    const gs = cli.exec("goroutines").trimEnd().split("\n");
    const shown = snap.goroutines.map((g) => `${g.current ? "*" : " "} G${g.goid}  ${g.status}${g.wait ? ` (${g.wait})` : ""}  ${g.where}`);
    expect(snap.ngoroutines).toBe(gs.length);
    expect(gs.length).toBeGreaterThan(GOROUTINES_MAX); // many.s at this step: the cap is in play
    expect(shown.slice(0, GOROUTINES_MAX)).toEqual(gs.slice(0, GOROUTINES_MAX));
    expect(shown.filter((l) => l.startsWith("*"))).toEqual(gs.filter((l) => l.startsWith("*")));
    expect(shown.length).toBeLessThanOrEqual(GOROUTINES_MAX + 1);
  });

  it("runs a long continue in slices, and Stop ends it where it is", () => {
    const { s, msgs, last } = session();
    s.handle({ t: "load", program: spec("spin"), opts: { seed: 1, procs: 1, asyncpreemptoff: true }, step: 0 });
    s.handle({ t: "cmd", line: "c" });
    expect(s.busy).toBe(true);
    let slices = 0;
    for (; slices < 5; slices++) expect(s.pump(5)).toBe(true);
    s.handle({ t: "stop" });
    expect(s.busy).toBe(false);
    const stop = last();
    expect(stop.why).toBe("stopped");
    expect(stop.snap.steps).toBeGreaterThan(1000);
    expect(msgs.some((m) => m.t === "busy")).toBe(true);
    // It stopped: the next pump does nothing.
    expect(s.pump()).toBe(false);
  });

  it("goes back by replay to the same state", () => {
    const { s, last } = session();
    s.handle({ t: "load", program: spec("many"), opts: { seed: 1, procs: 2 }, step: 5000 });
    drain(s);
    const at5000 = last().snap;
    s.handle({ t: "goto", step: 8000 });
    drain(s);
    expect(last().snap.steps).toBe(8000);
    s.handle({ t: "goto", step: 5000 });
    drain(s);
    const back = last().snap;
    expect(back.steps).toBe(5000);
    expect(back.regs.map((r) => r.value)).toEqual(at5000.regs.map((r) => r.value));
    expect(back.ps).toEqual(at5000.ps);
  });
});

describe("the page's session when the program dies", () => {
  it("shows Go's fatal error and goroutine dump, refuses to go on, and can still go back", () => {
    const { s, msgs, last } = session();
    s.handle({ t: "load", program: spec("deadlock"), opts: { seed: 1, procs: 1 }, step: 0 });
    s.handle({ t: "cmd", line: "c" });
    drain(s);
    const stop = last();
    expect(stop.why).toBe("fatal error: all goroutines are asleep - deadlock!");
    expect(stop.output).toContain("fatal error: all goroutines are asleep - deadlock!");
    expect(stop.output).toMatch(/goroutine 1 \[/);
    expect(stop.snap.ended).toBe(stop.why);
    const at = stop.snap.steps;
    s.handle({ t: "cmd", line: "si" });
    expect(msgs[msgs.length - 1]).toEqual({ t: "error", message: expect.stringMatching(/^the program has ended \(fatal error: all goroutines are asleep - deadlock!\): only going back is possible$/) });
    s.handle({ t: "cmd", line: "rsi 10" });
    drain(s);
    expect(last().snap.steps).toBe(at - 10);
    expect(last().snap.ended).toBeUndefined();
  });
});

describe("the page's session with the user's files", () => {
  it("reports an edited program's assembly errors at their lines, under the edited file's own path", () => {
    const { s, msgs } = session();
    const text = spec("gosched").text.split("\n");
    text.splice(4, 0, "\tBOGUS\tAX, BX");
    s.handle({ t: "load", program: { path: "edited/gosched.s", text: text.join("\n"), runtime: {} }, opts: { seed: 1, procs: 1 }, step: 0 });
    const m = msgs.find((x) => x.t === "asm-errors");
    expect(m).toBeDefined();
    if (m?.t !== "asm-errors") return;
    expect(m.errors.length).toBe(1);
    expect(m.errors[0]).toMatchObject({ file: "edited/gosched.s", line: 5 });
    expect(m.errors[0]!.text).toMatch(/^edited\/gosched\.s:5:\d+: /);
    // Nothing was built: commands are refused plainly.
    s.handle({ t: "cmd", line: "si" });
    expect(msgs[msgs.length - 1]).toEqual({ t: "error", message: "no program is loaded (it did not assemble)" });
  });

  it("links an edited runtime routine in place of the bundled one", () => {
    const { s, last } = session();
    const path = "asm/asm_amd64.s";
    const head = "TEXT runtime·gogo(SB), NOSPLIT, $0-8\n";
    const runtime = { [path]: RUNTIME_FILES.get(path)!.replace(head, head + "\tMOVQ\t$0x5eed, R11\n") };
    s.handle({ t: "load", program: { ...spec("gosched"), runtime }, opts: { seed: 1, procs: 1 }, step: 0 });
    s.handle({ t: "cmd", line: "until runtime.gogo" });
    drain(s);
    const cur = last().snap.code.find((c) => c.current)!;
    expect(cur.text).toBe("MOVQ $0x5eed, R11");
    expect(cur.file).toBe(path);
  });
});

describe("the page's session with the switch checker", () => {
  it("stops at a broken gogo (--runtime-asm) with the stepper's line and the code of the line it names; going back clears it; without the checker it runs on", () => {
    const nobp = readFileSync(resolve(ROOT, "test/check/fixtures/gogo-nobp.s"), "utf8");
    const broken: ProgramSpec = { ...spec("hello"), runtimeAsm: [{ path: "test/check/fixtures/gogo-nobp.s", text: nobp }] };
    const { s, msgs, last } = session();
    s.handle({ t: "load", program: broken, opts: { seed: 1, procs: 1, check: true }, step: 0 });
    s.handle({ t: "cmd", line: "c" });
    drain(s);
    const stop = last();
    // The command-line stepper on the same files, with --check as `gmpemu step` builds it.
    const cli = new Stepper(resolve(ROOT, "programs/hello.s"), {
      root: ROOT, procs: 1, seed: 1, runtimeAsm: [resolve(ROOT, "test/check/fixtures/gogo-nobp.s")],
      check: switchCheck({ showPath: (f) => relative(ROOT, f) }),
    });
    const want = /\[(check: .*\)), step (\d+)\]/.exec(cli.exec("c"))!;
    expect(want).not.toBeNull();
    expect(stop.check?.text).toBe(want[1]);
    expect(stop.why).toBe(want[1]);
    expect(stop.snap.steps).toBe(Number(want[2]));
    const f = stop.check!.failure;
    expect(f.routine).toBe("gogo");
    expect(f.file).toBe("test/check/fixtures/gogo-nobp.s");
    expect(f.line).toBe(Number(/gogo-nobp\.s:(\d+),/.exec(want[1]!)![1]));
    // The disassembly around the line it names, that line's instructions among them.
    const named = stop.check!.code.filter((c) => c.file === f.file && c.line === f.line);
    expect(named.length).toBeGreaterThan(0);
    expect(named[0]!.addr).toBe(stop.check!.addrs[0]);
    // One step back: a replay, with no failure (it happens later).
    s.handle({ t: "cmd", line: "rsi" });
    drain(s);
    expect(last().check).toBeUndefined();
    expect(last().snap.steps).toBe(Number(want[2]) - 1);
    // The same routine without the checker: the program runs to its end (what stopped it was the checker).
    const n = msgs.length;
    s.handle({ t: "load", program: broken, opts: { seed: 1, procs: 1 }, step: 0 });
    s.handle({ t: "cmd", line: "c" });
    drain(s);
    expect(msgs.length).toBeGreaterThan(n);
    expect(last().check).toBeUndefined();
    expect(last().snap.ended).toBe("the program exited with status 0");
  });
});

describe("the page's tour", () => {
  it("says exactly what `gmpemu tour` prints, item by item, each with the machine right after it", () => {
    const { s, msgs } = session();
    s.handle({ t: "tour", program: spec("gosched"), seed: 1 });
    const m = msgs.find((x) => x.t === "tour");
    expect(m?.t).toBe("tour");
    if (m?.t !== "tour") return;
    expect(m.status).toBe(0);
    let cli = "";
    expect(runTour(resolve(ROOT, "programs/gosched.s"), (t) => (cli += t), { root: ROOT })).toBe(0);
    expect(m.stops.map((x) => renderItem(x.item)).join("")).toBe(cli);
    // Each instruction's stop is after it: RIP has moved past it, and what it changed shows.
    const insns = m.stops.filter((x) => x.item.kind === "insn");
    expect(insns.length).toBeGreaterThan(20);
    for (const x of insns) {
      if (x.item.kind !== "insn") continue;
      expect(x.snap.rip).not.toBe("0x" + x.item.pc.toString(16));
      for (const c of x.item.changes) {
        const r = /^([A-Z0-9]+)=(0x[0-9a-f]+)$/.exec(c);
        if (r && x.snap.regs.some((g) => g.name === r[1])) expect(x.snap.regs.find((g) => g.name === r[1])).toMatchObject({ value: r[2], changed: true });
      }
    }
  });
});
