// A program run under watch: the scheduler's own invariants checked while
// it runs, not its printed output.
//
// runChecked runs a program and, along the way:
//   - at every thread switch (no host function is part-way through then:
//     the kernel switches threads only between engine runs), checks the
//     invariants Go's scheduler keeps between its critical sections: a
//     queued G is _Grunnable and queued once; sched.runqsize is the global
//     queue's length; the idle P list has npidle Ps, all _Pidle with empty
//     queues, and every other _Pidle P is some M's nextp (being handed
//     over); a _Prunning P and its M point at each other; the idle M list
//     has nmidle Ms, none with a P or spinning; no more Ms spin than
//     nmspinning says; a _Grunning or _Gsyscall G is the curg of exactly
//     one M, and its g.m is that M;
//   - at every scheduler event, the queue invariants (an event may come
//     part-way through a change of Ps and Ms, never of a queue);
//   - at every `run` event (execute), that the M runs that G on its own P,
//     that schedtick moved by one for a new time slice and not at all for
//     an inherited one (runnext), and, with one P, findRunnable's fairness
//     rule: when schedtick is a multiple of 61 and the global queue is not
//     empty, the G comes from the global queue's head (proc.go: "Check the
//     global runnable queue once in a while to ensure fairness");
//   - records each status change casgstatus makes, with the host function
//     that made it (gstatus.ts's transition hook).
// A broken invariant throws at once, naming it, and the run fails.
import { join, resolve } from "node:path";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as view from "../../src/debug/view.ts";
import { runProgram, type Machine, type RunOptions, type RunResult } from "../../src/node/boot.ts";
import { gStatusNames, readgstatus, setTransitionHook } from "../../src/runtime/gstatus.ts";
import {
  m_curg, m_nextp, m_p, m_schedlink, m_spinning, g_m, p_link, p_m, p_status, schedt_midle, schedt_pidle,
} from "../../src/runtime/offsets.ts";
import { _Grunnable, _Grunning, _Gscan, _Gsyscall, _Pidle, _Prunning, _Psyscall } from "../../src/runtime/runtime2.ts";
import type { SchedEvent } from "../../src/runtime/events.ts";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface CheckedRun extends RunResult {
  /** stdout and stderr, as the program wrote them. */
  out: string;
  stderr: string;
  lines: string[];
  events: SchedEvent[];
  /** "Grunning>Gwaiting" → the host functions that made it (with counts). */
  transitions: Map<string, Map<string, number>>;
  /** How many times each check ran (a check that never ran proves nothing). */
  checks: { switch: number; event: number; run: number; tick61: number };
}

export const transitionKey = (from: number, to: number): string => `${gStatusNames[from]}>${gStatusNames[to]}`;

/** Thrown when the scheduler breaks one of its invariants. */
export class SchedInvariant extends Error {}

function fail(what: string): never {
  throw new SchedInvariant(`scheduler invariant: ${what}`);
}

const statusOf = (m: Machine, gp: number): number => readgstatus(m, gp) & ~_Gscan;

/** A list in memory linked through `link` from the head at `head`. */
function walk(m: Machine, head: number, link: number): number[] {
  const out: number[] = [];
  for (let x = m.mem.ptr(head); x !== 0; x = m.mem.ptr(x + link)) {
    out.push(x);
    if (out.length > 1 << 16) fail("a list is cyclic");
  }
  return out;
}

/** Every queued G is runnable and queued once; runqsize is the global queue's length. */
export function checkQueues(m: Machine): void {
  const seen = new Set<number>();
  const queued = (gp: number, where: string): void => {
    if (seen.has(gp)) fail(`G${view.goid(m, gp)} is queued twice (again in ${where})`);
    seen.add(gp);
    const st = statusOf(m, gp);
    if (st !== _Grunnable) fail(`G${view.goid(m, gp)} in ${where} has status ${gStatusNames[st]}`);
  };
  for (const p of view.ps(m)) {
    if (p.runq.length > 256) fail(`P${p.id}'s ring holds ${p.runq.length} Gs`);
    if (p.runnext !== 0) queued(p.runnext, `P${p.id}.runnext`);
    for (const gp of p.runq) queued(gp, `P${p.id}.runq`);
  }
  const s = view.sched(m);
  if (s.runq.length !== s.runqsize) fail(`sched.runqsize is ${s.runqsize} but the global queue holds ${s.runq.length}`);
  for (const gp of s.runq) queued(gp, "the global queue");
}

/** The invariants between critical sections: queues, Ps, Ms and running Gs. */
export function checkAll(m: Machine): void {
  checkQueues(m);
  const mem = m.mem;
  const ps = view.ps(m);
  const msl = view.ms(m);
  const s = view.sched(m);
  const gomaxprocs = m.gomaxprocs;
  if (s.npidle < 0 || s.npidle > gomaxprocs) fail(`npidle is ${s.npidle} with ${gomaxprocs} Ps`);
  const pidle = walk(m, m.sched + schedt_pidle, p_link);
  if (pidle.length !== s.npidle) fail(`sched.npidle is ${s.npidle} but the idle P list holds ${pidle.length}`);
  if (new Set(pidle).size !== pidle.length) fail("a P is on the idle list twice");
  const nextps = new Set(msl.map((x) => mem.ptr(x.mp + m_nextp)).filter((x) => x !== 0));
  for (const p of ps) {
    const onList = pidle.includes(p.pp);
    if (onList && (p.status !== _Pidle || p.m !== 0)) fail(`P${p.id} is on the idle list with status ${p.statusName} and m ${p.m}`);
    if (onList && (p.runnext !== 0 || p.runq.length !== 0)) fail(`P${p.id} is idle with Gs in its queue`);
    if (p.status === _Pidle && !onList && !nextps.has(p.pp)) fail(`P${p.id} is idle, not on the idle list, and no M's nextp`);
    if (p.status === _Prunning) {
      if (p.m === 0) fail(`P${p.id} is running with no M`);
      if (mem.ptr(p.m + m_p) !== p.pp) fail(`P${p.id}'s M${view.mid(m, p.m)} has another P`);
    }
    if (p.status === _Psyscall && p.m !== 0) fail(`P${p.id} is in a system call but keeps M${view.mid(m, p.m)}`);
  }
  for (const x of msl) {
    if (x.p !== 0 && (mem.u32(x.p + p_status) !== _Prunning || mem.ptr(x.p + p_m) !== x.mp)) {
      fail(`M${x.id} holds P${view.pid(m, x.p)}, which is ${view.P_STATUS_NAMES[mem.u32(x.p + p_status)]} with m ${mem.ptr(x.p + p_m)}`);
    }
    if (x.curg !== 0 && mem.ptr(x.curg + g_m) !== x.mp) fail(`M${x.id}'s curg G${view.goid(m, x.curg)} names another M`);
  }
  const midle = walk(m, m.sched + schedt_midle, m_schedlink);
  if (midle.length !== s.nmidle) fail(`sched.nmidle is ${s.nmidle} but the idle M list holds ${midle.length}`);
  for (const mp of midle) {
    if (mem.ptr(mp + m_p) !== 0) fail(`idle M${view.mid(m, mp)} holds a P`);
    if (mem.u8(mp + m_spinning) !== 0) fail(`idle M${view.mid(m, mp)} is spinning`);
  }
  const spinning = msl.filter((x) => x.spinning).length;
  if (spinning > s.nmspinning) fail(`${spinning} Ms spin but sched.nmspinning is ${s.nmspinning}`);
  for (const gp of m.allgs) {
    const st = statusOf(m, gp);
    if (st !== _Grunning && st !== _Gsyscall) continue;
    const on = msl.filter((x) => x.curg === gp);
    if (on.length !== 1) fail(`G${view.goid(m, gp)} is ${gStatusNames[st]} and the curg of ${on.length} Ms`);
    if (mem.ptr(gp + g_m) !== on[0]!.mp) fail(`G${view.goid(m, gp)}.m is not the M it runs on`);
  }
}

export interface CheckOptions extends RunOptions {
  /** Skip the fairness check (when the global queue can change without an event: several Ps). */
  noTick61?: boolean;
}

/** Runs a program with every check above; throws SchedInvariant on the first broken invariant. */
export function runChecked(file: string, opts: CheckOptions = {}): CheckedRun {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const events: SchedEvent[] = [];
  const transitions = new Map<string, Map<string, number>>();
  const checks = { switch: 0, event: 0, run: 0, tick61: 0 };
  let mach: Machine | undefined;
  setTransitionHook((_gp, from, to) => {
    const k = transitionKey(from, to);
    const fn = mach?.bridge.activeFn?.name ?? "?";
    let byFn = transitions.get(k);
    if (!byFn) transitions.set(k, (byFn = new Map()));
    byFn.set(fn, (byFn.get(fn) ?? 0) + 1);
  });
  const ticks = new Map<number, number>();
  let globalBefore: number[] = [];
  let prevKind: string | undefined;
  try {
    const r = runProgram([file], {
      ...opts,
      stdout: (b) => out.push(b.slice()),
      stderr: (b) => err.push(b.slice()),
      observe: (m) => {
        mach = m;
        opts.observe?.(m);
        const prevSwitch = m.kernel.onSwitch;
        m.kernel.onSwitch = (from, to) => {
          prevSwitch?.(from, to);
          checkAll(m);
          checks.switch++;
        };
        view.subscribe(m, (ev) => {
          events.push(ev);
          checkQueues(m);
          checks.event++;
          if (ev.kind === "run") checkRun(m, ev);
          prevKind = ev.kind;
          if (!opts.noTick61) globalBefore = view.sched(m).runq;
        });
      },
    });
    const stderr = Buffer.concat(err).toString();
    const all = Buffer.concat([...out, ...err]).toString();
    return { ...r, out: all, stderr, lines: stderr.split("\n").slice(0, -1), events, transitions, checks };
  } finally {
    setTransitionHook(undefined);
  }

  function checkRun(m: Machine, ev: SchedEvent): void {
    checks.run++;
    const gp = view.findG(m, ev.goid);
    if (gp === undefined) fail(`run of G${ev.goid}, which is not in allgs`);
    const mp = view.mOf(m, view.tlsg(m));
    const pp = view.pOf(m, mp);
    if (mp === 0 || pp === 0) fail(`G${ev.goid} runs on no M or no P`);
    if (m.mem.ptr(mp + m_curg) !== gp) fail(`M${view.mid(m, mp)} runs G${ev.goid} but its curg is another`);
    if (m.mem.ptr(gp + g_m) !== mp) fail(`G${ev.goid}.m is not the M that runs it`);
    if (m.mem.u32(pp + p_status) !== _Prunning || m.mem.ptr(pp + p_m) !== mp) fail(`G${ev.goid} runs on P${view.pid(m, pp)}, not running on its M`);
    if (statusOf(m, gp) !== _Grunning) fail(`G${ev.goid} runs with status ${gStatusNames[statusOf(m, gp)]}`);
    if (ev.p !== view.pid(m, pp) || ev.m !== view.mid(m, mp)) fail(`the run event names P${ev.p} M${ev.m}, the machine P${view.pid(m, pp)} M${view.mid(m, mp)}`);
    const inherit = ev.detail === "inherit";
    const tick = view.ps(m).find((p) => p.pp === pp)!.schedtick;
    const last = ticks.get(pp);
    if (last !== undefined && tick !== (inherit ? last : (last + 1) >>> 0)) {
      fail(`P${ev.p}'s schedtick went from ${last} to ${tick} for ${inherit ? "an inherited" : "a new"} time slice`);
    }
    ticks.set(pp, tick);
    // The fairness rule, where the global queue before the pick is known:
    // one P, and the last event a park or an exit (nothing queues after those).
    const before = inherit ? tick : tick - 1;
    if (!opts.noTick61 && m.gomaxprocs === 1 && (prevKind === "park" || prevKind === "exit") && before % 61 === 0 && globalBefore.length > 0) {
      checks.tick61++;
      if (gp !== globalBefore[0] || inherit) {
        fail(`schedtick ${before} is a multiple of 61 and the global queue starts with G${view.goid(m, globalBefore[0]!)}, but G${ev.goid} ran${inherit ? " (inherited)" : ""}`);
      }
    }
  }
}

/** A program's path from the repository root. */
export const prog = (rel: string): string => join(ROOT, rel);

let tmp: string | undefined;

/** A copy of a fixture with `#define NAME VALUE` lines put after its #include (the assembler's -D, for runProgram). */
export function withDefines(rel: string, defs: Record<string, number>): string {
  tmp ??= mkdtempSync(join(tmpdir(), "gmpemu-sched-"));
  const src = readFileSync(join(ROOT, rel), "utf8").replace(
    '#include "textflag.h"',
    ['#include "textflag.h"', ...Object.entries(defs).map(([k, v]) => `#define ${k} ${v}`)].join("\n"),
  );
  const name = rel.split("/").pop()!.replace(/\.s$/, "");
  const f = join(tmp, `${name}-${Object.entries(defs).map(([k, v]) => `${k}${v}`).join("-")}.s`);
  writeFileSync(f, src);
  return f;
}
