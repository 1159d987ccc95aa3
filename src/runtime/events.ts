// Scheduler events: what traces (gmpemu trace --events, --trace-out), the
// stepper's event breakpoints, the tour and the browser page watch.
//
// The runtime emits an event where Go's own execution tracer would emit
// its (traceGoCreate in newproc1, traceGoStart in execute, traceGoPark in
// park_m ...). An event carries the virtual time, the goroutine it is about,
// the one that caused it (`by`), and the P and M it happened on. Emitting
// costs one length test when nobody listens.

import { g_goid, g_m, m_curg, m_id, m_p, p_id } from "./offsets.ts";
import type { Mem } from "./mem.ts";

export interface SchedEvent {
  kind: "create" | "run" | "park" | "ready" | "gosched" | "preempt" | "exit" | "steal" | "syscall" | "sysexit" | "handoff" | "signal";
  /** Virtual time, ns. */
  t: number;
  goid: number;
  /** The goroutine that caused it (0: the runtime, on g0). */
  by: number;
  /** The P's id (-1: none). */
  p: number;
  /** The M's id (-1: none). */
  m: number;
  /** Wait reason for park, victim P for steal, and so on. */
  detail?: string;
}

export type SchedEventKind = SchedEvent["kind"];

/** What emitting needs of the runtime (the Runtime, without importing it). */
export interface EventSource {
  readonly listeners: readonly ((ev: SchedEvent) => void)[];
  readonly mem: Mem;
  readonly now: number;
  getg(): number;
}

/** Emits a scheduler event about gp; `by` defaults to the M's current goroutine if it is not gp. */
export function emit(rt: EventSource, kind: SchedEventKind, gp: number, detail?: string, by?: number): void {
  if (rt.listeners.length === 0) return;
  const mem = rt.mem;
  const cur = rt.getg();
  const mp = cur !== 0 ? mem.ptr(cur + g_m) : 0;
  const pp = mp !== 0 ? mem.ptr(mp + m_p) : 0;
  const curg = mp !== 0 ? mem.ptr(mp + m_curg) : 0;
  const ev: SchedEvent = {
    kind, t: rt.now, goid: gp !== 0 ? mem.int(gp + g_goid) : 0,
    by: by ?? (curg !== 0 && curg !== gp ? mem.int(curg + g_goid) : 0),
    p: pp !== 0 ? mem.i32(pp + p_id) : -1, m: mp !== 0 ? mem.int(mp + m_id) : -1,
  };
  if (detail !== undefined) ev.detail = detail;
  for (const l of rt.listeners) l(ev);
}
