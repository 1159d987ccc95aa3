// The page's timeline is the scheduler's events as `--trace-out` writes
// them (the same builder, src/trace/chrome.ts), per P:
//
//   - with one thread (one P, no sysmon) the stepper's run is `gmpemu run`'s
//     instruction for instruction, so the page's timeline of a program
//     continued to its end is exactly the trace `gmpemu run --trace-out`
//     writes: the same slices (which goroutine on which P, from when to
//     when, in virtual ns) and the same instant events, --preempt-every's
//     preemptions included;
//   - with several threads the stepper lets the kernel pick a thread again
//     every STEP_SLICE steps (src/step/core.ts), where `run` switches on
//     its own slices, so the interleaving differs from `gmpemu run`'s (the
//     first case shows the test can tell); there the page's timeline is
//     the trace of the command-line stepper's run (`gmpemu step`, `c`),
//     on every P.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { subscribe } from "../../src/debug/view.ts";
import { Stepper } from "../../src/step/stepper.ts";
import { ChromeTraceBuilder, PID_P, type ChromeTrace } from "../../src/trace/chrome.ts";
import { spawnAsync } from "../hostile/spawn-async.ts";
import type { FromWorker } from "../../web/src/protocol.ts";
import { Session } from "../../web/src/session.ts";
import { PROGRAM_FILES } from "../../web/src/files.ts";
import type { Instant, Slice, Snapshot, TimelineView } from "../../web/src/snapshot.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "gmpemu-timeline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Tracks { slices: Slice[]; instants: Instant[] }

/** A trace's P tracks, as the page's timeline holds them (ns). */
function fromTrace(tr: ChromeTrace): Tracks {
  const slices: Slice[] = [], instants: Instant[] = [];
  for (const e of tr.traceEvents) {
    if (e.pid !== PID_P || e.tid === undefined) continue;
    if (e.ph === "X") slices.push({ p: e.tid, goid: Number(e.args?.["goid"] ?? 0), start: Math.round(e.ts! * 1000), end: Math.round((e.ts! + e.dur!) * 1000) });
    else if (e.ph === "i") instants.push({ p: e.tid, t: Math.round(e.ts! * 1000), name: e.name });
  }
  return { slices, instants };
}

function fromPage(tl: TimelineView): Tracks {
  return {
    slices: tl.slices.map((s) => ({ ...s, start: Math.round(s.start), end: Math.round(s.end) })),
    instants: tl.instants.map((i) => ({ ...i, t: Math.round(i.t) })),
  };
}

/** The page's session: the program loaded and continued to its end; the last stop's snapshot. */
function pageRun(name: string, procs: number, seed: number, nosysmon: boolean, preemptEvery?: number): Snapshot {
  const msgs: FromWorker[] = [];
  const s = new Session((m) => msgs.push(m));
  const path = `programs/${name}.s`;
  s.handle({ t: "load", program: { path, text: PROGRAM_FILES.get(path)!, runtime: {} }, opts: { seed, procs, ...(nosysmon ? { nosysmon } : {}), ...(preemptEvery !== undefined ? { preemptEvery } : {}) }, step: 0 });
  s.handle({ t: "cmd", line: "c" });
  for (let i = 0; i < 100_000 && s.pump(1e9); i++);
  const stops = msgs.filter((m): m is Extract<FromWorker, { t: "stop" }> => m.t === "stop");
  const snap = stops[stops.length - 1]!.snap;
  expect(snap.ended).toMatch(/exit/);
  return snap;
}

const lanes = (t: Tracks): number[] => [...new Set([...t.slices, ...t.instants].map((x) => x.p))].sort((a, b) => a - b);

describe("the page's timeline", () => {
  // spin.s never ends without a preemption, and with no sysmon only --preempt-every's tick gives one.
  it.each([["pingpong", 1, 0], ["gosched", 3, 0], ["spin", 1, 5000]])("of %s (1 P, no sysmon, seed %i, preempt every %i) continued to its end is what gmpemu run --trace-out writes", async (name, seed, every) => {
    const out = join(dir, `${name}.json`);
    const pe = every > 0 ? ["--preempt-every", String(every)] : [];
    const cli = spawnAsync(process.execPath, [join(ROOT, "bin/gmpemu.mjs"), "run", `programs/${name}.s`, "--procs", "1", "--seed", String(seed), "--no-sysmon", ...pe, "--trace-out", out], { cwd: ROOT, timeout: 120_000 });
    const snap = pageRun(name, 1, seed, true, every > 0 ? every : undefined);
    const r = await cli;
    expect(r.stderr).not.toMatch(/gmpemu:|Error/); // the program's own println goes to stderr
    expect(r.status).toBe(0);
    const want = fromTrace(JSON.parse(readFileSync(out, "utf8")) as ChromeTrace);
    // Worth comparing: several goroutines ran, and things happened between.
    expect(new Set(want.slices.map((x) => x.goid)).size).toBeGreaterThan(2);
    expect(want.instants.length).toBeGreaterThan(10);
    if (every > 0) expect(want.instants.some((i) => i.name.startsWith("preempt"))).toBe(true);
    expect(fromPage(snap.timeline)).toEqual(want);
    expect(snap.timeline.ps).toEqual(lanes(want));
  });

  it.each([["pingpong", 2, 1], ["gosched", 2, 3]])("of %s (%i Ps, seed %i, with sysmon) continued to its end is the trace of gmpemu step's run", (name, procs, seed) => {
    const snap = pageRun(name, procs, seed, false);
    const tb = new ChromeTraceBuilder();
    const cli = new Stepper(join(ROOT, `programs/${name}.s`), { root: ROOT, procs, seed, onBoot: (m) => { subscribe(m, tb.listener); } });
    expect(cli.exec("c")).toMatch(/exit/);
    const want = fromTrace(tb.finish(cli.m.kernel.now));
    cli.m.engine.close();
    expect(want.slices.length).toBeGreaterThan(3);
    expect(lanes(want)).toEqual([...Array(procs).keys()]);
    expect(fromPage(snap.timeline)).toEqual(want);
    expect(snap.timeline.ps).toEqual(lanes(want));
  });
});
