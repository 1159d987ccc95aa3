// Scheduler events as a Chrome trace (the JSON "Trace Event Format" that
// Perfetto and chrome://tracing open), for `gmpemu run --trace-out`.
//
// The file is one object, `{ traceEvents: [...], displayTimeUnit: "ns" }`.
// Its layout follows `go tool trace`'s view of a run:
//
//   - process 1, "Ps", has one track (tid) per P; process 2, "Ms", one per
//     M. Metadata events ("M": process_name, thread_name, sort indexes)
//     name them "P0", "M0" and so on.
//   - every stretch a goroutine runs is a complete slice ("X") named "G6",
//     on its P's track and on its M's track, from its `run` event until it
//     leaves: park, gosched, preempt, exit or syscall. Coming back from a
//     system call without losing the P (exitsyscall's fast path) has no
//     `run` event; the slice after a sysexit opens when the goroutine is
//     next seen leaving, on the P it leaves from.
//   - create, park, ready, preempt, steal, syscall, sysexit, handoff and
//     signal are instants ("i") on the track of the P (or M) where they
//     happened.
//   - a ready draws a flow arrow ("s" then "f", binding point "e") from the
//     slice of the goroutine that readied (the event's `by`) to the readied
//     goroutine's next slice. An arrow is written only when both ends exist,
//     so every "s" has its "f".
//   - a counter ("C") "Goroutines" with `running` and `runnable` series,
//     updated at every change, like go tool trace's.
//
// Timestamps ("ts", "dur") are microseconds in this format; they come from
// the kernel's virtual nanoseconds divided by 1000, so the same program and
// seed give the same file. Slices on one track never overlap: a slice that
// would begin before the previous one on its track ended begins when it
// ended, and a `run` on a track whose slice is still open closes that one.

import type { SchedEvent } from "../runtime/events.ts";

/** One trace event; the fields the format defines that we use. */
export interface ChromeEvent {
  name: string;
  ph: "X" | "i" | "s" | "f" | "C" | "M";
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  id?: number;
  bp?: "e";
  s?: "t" | "p" | "g";
  args?: Record<string, string | number>;
}

export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: "ns";
  otherData?: Record<string, string>;
}

export const PID_P = 1;
export const PID_M = 2;

const us = (ns: number): number => Math.round(ns) / 1000;

interface Open {
  goid: number;
  start: number;
  p: number;
  m: number;
}

const LEAVES = new Set<SchedEvent["kind"]>(["park", "gosched", "preempt", "exit", "syscall"]);

/**
 * Collects scheduler events (push `listener` onto `sched.listeners`) and
 * builds the trace with `finish(endNs)`.
 */
export class ChromeTraceBuilder {
  private readonly events: ChromeEvent[] = [];
  private readonly ps = new Set<number>();
  private readonly ms = new Set<number>();
  /** Running goroutines by goid. */
  private readonly open = new Map<number, Open>();
  /** Which goroutine holds each P / M track now. */
  private readonly onP = new Map<number, number>();
  private readonly onM = new Map<number, number>();
  /** Where each track's last slice ended (ns). */
  private readonly endP = new Map<number, number>();
  private readonly endM = new Map<number, number>();
  private readonly runnable = new Set<number>();
  /** Each goroutine's function, from its create event (a slice's args name it). */
  private readonly fn = new Map<number, string>();
  /** Goroutines back from a system call whose slice has no `run` event (time of sysexit). */
  private readonly sysexited = new Map<number, number>();
  /** Flow starts waiting for the readied goroutine's next slice, by goid. */
  private readonly pendingFlow = new Map<number, ChromeEvent>();
  private nextFlow = 1;
  private lastCounter = "";
  private lastT = 0;

  readonly listener = (ev: SchedEvent): void => this.add(ev);

  add(ev: SchedEvent): void {
    this.lastT = Math.max(this.lastT, ev.t);
    if (ev.p >= 0) this.ps.add(ev.p);
    if (ev.m >= 0) this.ms.add(ev.m);
    switch (ev.kind) {
      case "run": {
        this.sysexited.delete(ev.goid);
        this.runnable.delete(ev.goid);
        this.openSlice(ev.goid, ev.t, ev.p, ev.m);
        break;
      }
      case "create": case "ready":
        this.runnable.add(ev.goid);
        if (ev.kind === "create" && ev.detail !== undefined) this.fn.set(ev.goid, ev.detail);
        break;
      case "gosched": case "preempt":
        this.close(ev, ev.t);
        this.runnable.add(ev.goid);
        break;
      case "park": case "exit": case "syscall":
        this.close(ev, ev.t);
        this.runnable.delete(ev.goid);
        break;
      case "sysexit":
        this.sysexited.set(ev.goid, ev.t);
        break;
      default:
        break;
    }
    if (ev.kind === "ready" && ev.by !== 0) {
      const src = this.open.get(ev.by);
      if (src && src.p >= 0) {
        this.pendingFlow.set(ev.goid, {
          name: "ready", cat: "flow", ph: "s", id: this.nextFlow++, pid: PID_P, tid: src.p, ts: us(Math.max(ev.t, src.start)),
        });
      }
    }
    if (ev.kind !== "run" && ev.kind !== "gosched" && ev.kind !== "exit") this.instant(ev);
    this.counter(ev.t);
  }

  private openSlice(goid: number, t: number, p: number, m: number): void {
    // A track still held by another goroutine: that slice ends here.
    for (const [track, tr] of [[this.onP, p], [this.onM, m]] as const) {
      const holder = track.get(tr);
      if (tr >= 0 && holder !== undefined && holder !== goid) this.closeGoid(holder, t);
    }
    if (this.open.has(goid)) this.closeGoid(goid, t);
    const start = Math.max(t, p >= 0 ? this.endP.get(p) ?? 0 : 0, m >= 0 ? this.endM.get(m) ?? 0 : 0);
    this.open.set(goid, { goid, start, p, m });
    if (p >= 0) this.onP.set(p, goid);
    if (m >= 0) this.onM.set(m, goid);
    const flow = this.pendingFlow.get(goid);
    if (flow && p >= 0) {
      this.pendingFlow.delete(goid);
      this.events.push(flow, { name: "ready", cat: "flow", ph: "f", bp: "e", id: flow.id!, pid: PID_P, tid: p, ts: us(start) });
    }
  }

  /** A leave event: closes the goroutine's slice (opening the one after a sysexit first). */
  private close(ev: SchedEvent, t: number): void {
    if (!this.open.has(ev.goid)) {
      const back = this.sysexited.get(ev.goid);
      if (back === undefined) return;
      this.sysexited.delete(ev.goid);
      this.openSlice(ev.goid, back, ev.p, ev.m);
    }
    this.closeGoid(ev.goid, t);
  }

  private closeGoid(goid: number, t: number): void {
    const o = this.open.get(goid);
    if (!o) return;
    this.open.delete(goid);
    const end = Math.max(t, o.start);
    const fn = this.fn.get(goid);
    const args: Record<string, string | number> = fn === undefined ? { goid } : { goid, fn };
    if (o.p >= 0) {
      this.events.push({ name: `G${goid}`, cat: "goroutine", ph: "X", pid: PID_P, tid: o.p, ts: us(o.start), dur: us(end) - us(o.start), args });
      this.endP.set(o.p, end);
      if (this.onP.get(o.p) === goid) this.onP.delete(o.p);
    }
    if (o.m >= 0) {
      this.events.push({ name: `G${goid}`, cat: "goroutine", ph: "X", pid: PID_M, tid: o.m, ts: us(o.start), dur: us(end) - us(o.start), args });
      this.endM.set(o.m, end);
      if (this.onM.get(o.m) === goid) this.onM.delete(o.m);
    }
  }

  private instant(ev: SchedEvent): void {
    const args: Record<string, string | number> = { goid: ev.goid };
    if (ev.by !== 0) args["by"] = ev.by;
    if (ev.detail) args["detail"] = ev.detail;
    const name = ev.kind === "handoff" ? `handoff ${ev.detail ?? ""}`.trim() : `${ev.kind} G${ev.goid}`;
    // handoff names the P it hands off; sysmon, which does it, has no P.
    const handP = ev.kind === "handoff" ? Number(/^P(\d+)$/.exec(ev.detail ?? "")?.[1] ?? -1) : -1;
    const p = ev.p >= 0 ? ev.p : handP;
    if (handP >= 0) this.ps.add(handP);
    const e: ChromeEvent = { name, cat: "sched", ph: "i", s: "t", pid: PID_P, tid: p, ts: us(ev.t), args };
    if (p < 0) {
      if (ev.m >= 0) { e.pid = PID_M; e.tid = ev.m; } else { e.s = "g"; delete e.tid; }
    }
    this.events.push(e);
  }

  private counter(t: number): void {
    const running = this.open.size, runnable = this.runnable.size;
    const key = `${running}/${runnable}`;
    if (key === this.lastCounter) return;
    this.lastCounter = key;
    this.events.push({ name: "Goroutines", ph: "C", pid: PID_P, ts: us(t), args: { running, runnable } });
  }

  /** Closes what is still running at endNs (the end of the run) and returns the trace. */
  finish(endNs: number = this.lastT): ChromeTrace {
    const end = Math.max(endNs, this.lastT);
    for (const goid of [...this.open.keys()].sort((a, b) => a - b)) this.closeGoid(goid, end);
    this.counter(end);
    const meta: ChromeEvent[] = [
      { name: "process_name", ph: "M", pid: PID_P, args: { name: "Ps" } },
      { name: "process_sort_index", ph: "M", pid: PID_P, args: { sort_index: 1 } },
      { name: "process_name", ph: "M", pid: PID_M, args: { name: "Ms" } },
      { name: "process_sort_index", ph: "M", pid: PID_M, args: { sort_index: 2 } },
    ];
    for (const p of [...this.ps].sort((a, b) => a - b)) {
      meta.push({ name: "thread_name", ph: "M", pid: PID_P, tid: p, args: { name: `P${p}` } });
      meta.push({ name: "thread_sort_index", ph: "M", pid: PID_P, tid: p, args: { sort_index: p } });
    }
    for (const m of [...this.ms].sort((a, b) => a - b)) {
      meta.push({ name: "thread_name", ph: "M", pid: PID_M, tid: m, args: { name: `M${m}` } });
      meta.push({ name: "thread_sort_index", ph: "M", pid: PID_M, tid: m, args: { sort_index: m } });
    }
    // Stable order: by time, slices before the instants they contain.
    const rank = (e: ChromeEvent): number => (e.ph === "X" ? 0 : e.ph === "s" ? 2 : e.ph === "f" ? 3 : 1);
    const body = this.events
      .map((e, i) => ({ e, i }))
      .sort((a, b) => (a.e.ts! - b.e.ts!) || (rank(a.e) - rank(b.e)) || (a.i - b.i))
      .map((x) => x.e);
    return { traceEvents: [...meta, ...body], displayTimeUnit: "ns", otherData: { producer: "gmpemu", clock: "virtual ns / 1000" } };
  }
}
