// A snapshot: everything the page draws at one stop, read from the machine
// through the debug layer (src/debug/view.ts) and nothing else, so the page
// shows what the stepper's `regs`, `g`, `goroutines`, `m`, `p` and `sched`
// print, and the timeline is built by the same code as `--trace-out`
// (src/trace/chrome.ts). It is plain data (numbers and strings, 64-bit
// values as hex strings), so it crosses from the worker to the page by
// structured clone.
//
// Sizes are bounded whatever the program: the stack shows STACK_WORDS
// words, the goroutines the first GOROUTINES_MAX (and the current one, and
// how many there are: many.s has up to 100,000), the global run queue its
// first GLOBAL_RUNQ_MAX goroutines (and its length), the timeline the last
// TIMELINE_EVENTS events. A P's local run
// queue is a ring of 256 and is sent whole.

import { REG_FS_BASE, REG_RFLAGS, REG_RIP, regId } from "../../src/engine/engine.ts";
import {
  ginfo, gobuf, goid, goroutines, gwhere, insnAt, isG0, mid, mOf, ms, pOf, pid, ps, REG_VIEW_NAMES, sched, symbolize, tlsg,
  unwind, type Gobuf, type Machine, type SchedEvent,
} from "../../src/debug/view.ts";
import { m_g0, m_gsignal, m_mstartfn } from "../../src/runtime/offsets.ts";
import { ChromeTraceBuilder, PID_P } from "../../src/trace/chrome.ts";

export const STACK_WORDS = 40;
export const GLOBAL_RUNQ_MAX = 128;
export const GOROUTINES_MAX = 256;
export const TIMELINE_EVENTS = 400;
/** Instructions shown before and after RIP. */
export const CODE_BEFORE = 6, CODE_AFTER = 10;

export interface CodeLine { addr: string; where: string; text: string; current: boolean; line: number; file: string }
export interface RegCell { name: string; value: string; changed: boolean }
export interface GobufView { sp: string; pc: string; pcSym: string; g: string; ctxt: string; ret: string; bp: string }
export interface CurG { goid: number; gp: string; g0: boolean; m: number | null; p: number | null; status: string; gobuf: GobufView; stackLo: string; stackHi: string }
/** In gogo, before it switches: the gobuf it is restoring, and whose. */
export interface Restoring { buf: string; goid: number; gobuf: GobufView }
export interface StackWord { addr: string; value: string; marks: string[]; note: string; frame: string }
export interface GView { goid: number; status: string; wait: string; where: string; current: boolean }
export interface PView { id: number; status: string; m: number | null; schedtick: number; runnext: number | null; runq: number[] }
export interface SchedView { runqsize: number; runq: number[]; npidle: number; nmidle: number; nmspinning: number }
export interface MView {
  id: number; tid: number; p: number | null; curg: number | null; spinning: boolean; sysmon: boolean;
  /** What its thread is doing now: "running G5", "g0", "signal", "parked" ... */
  doing: string;
  /** The kernel's state of its thread (runnable, futex, sleeping, exited) and whether it is the one on the CPU. */
  thread: string; oncpu: boolean;
}
export interface Slice { p: number; goid: number; start: number; end: number }
export interface Instant { p: number; t: number; name: string }
export interface TimelineView { ps: number[]; t0: number; t1: number; slices: Slice[]; instants: Instant[]; recent: string[] }

export interface Snapshot {
  steps: number;
  /** Why the program can go no further, once it cannot. */
  ended: string | undefined;
  now: number;
  tid: number | null;
  rip: string;
  /** symbol+offset, or "NAME (host function)". */
  fn: string;
  /** At a host function: the TypeScript file it is written in. */
  hostFile: string;
  /** The source line RIP is on ("" in a host function). */
  file: string;
  line: number;
  code: CodeLine[];
  regs: RegCell[];
  g: CurG | null;
  restoring: Restoring | null;
  stack: StackWord[];
  frames: string[];
  /** The first GOROUTINES_MAX goroutines that are not dead, and the current one. */
  goroutines: GView[];
  /** How many goroutines are not dead. */
  ngoroutines: number;
  ps: PView[];
  sched: SchedView;
  ms: MView[];
  timeline: TimelineView;
}

const hex = (v: number | bigint): string => "0x" + v.toString(16);

/** The registers a view shows, as bigints (the 16 GPRs, RIP, RFLAGS). */
export function regValues(m: Machine): bigint[] {
  return Array.from({ length: 18 }, (_, r) => m.engine.getReg(regId(r)));
}

/** Events kept for the timeline: the last `cap`, oldest first. */
export class EventLog {
  private buf: SchedEvent[] = [];
  constructor(readonly cap = 4 * TIMELINE_EVENTS) {}
  readonly listener = (ev: SchedEvent): void => {
    this.buf.push(ev);
    if (this.buf.length > 2 * this.cap) this.buf = this.buf.slice(-this.cap);
  };
  clear(): void { this.buf = []; }
  last(n: number): SchedEvent[] { return this.buf.slice(-n); }
}

/** The instructions around `at` (RIP, or the instruction a failed check names), RIP's marked current. */
export function code(m: Machine, rip: number, at = rip): CodeLine[] {
  const img = m.image, sym = img.symAt(at);
  if (!sym) return [];
  // Decode from the symbol's start so the lines before RIP are real instruction boundaries.
  const pcs: number[] = [];
  for (let a = sym.addr; a < sym.addr + sym.size && pcs.length < 4096;) {
    pcs.push(a);
    a += Math.max(1, insnAt(m, a).len);
  }
  let i = pcs.indexOf(at);
  if (i < 0) i = 0;
  return pcs.slice(Math.max(0, i - CODE_BEFORE), i + CODE_AFTER + 1).map((a) => {
    const l = img.pcToLine(a);
    return { addr: hex(a), where: img.symbolize(a) ?? hex(a), text: insnAt(m, a).text, current: a === rip, file: l?.file ?? "", line: l?.line ?? 0 };
  });
}

function gobufView(m: Machine, b: Gobuf): GobufView {
  return { sp: hex(b.sp), pc: hex(b.pc), pcSym: symbolize(m, b.pc) ?? "", g: hex(b.g), ctxt: hex(b.ctxt), ret: hex(b.ret), bp: hex(b.bp) };
}

/** The stack from SP up, each word with what points at it and the frame it belongs to. */
function stack(m: Machine, rsp: number, rbp: number, rip: number, hi: number): { words: StackWord[]; frames: string[] } {
  const frames: { sp: number; name: string }[] = [];
  try {
    for (const f of unwind(m, rip, rsp, rbp, 32)) {
      if (f.kind === "asm") frames.push({ sp: f.sp, name: `#${f.depth} ${m.image.symbolize(f.pc) ?? f.sym.name}` });
      else frames.push({ sp: f.depth === 0 ? rsp : f.frameSp, name: `#${f.depth} ${f.name} (TypeScript)` });
    }
  } catch {
    // A stack that cannot be walked (a bad BP): its words are still shown.
  }
  const words: StackWord[] = [];
  const top = hi > rsp ? Math.min(hi, rsp + STACK_WORDS * 8) : rsp + STACK_WORDS * 8;
  for (let a = rsp; a < top; a += 8) {
    let v: number;
    try { v = m.mem.ptr(a); } catch { break; }
    const marks: string[] = [];
    if (a === rsp) marks.push("SP");
    if (a === rbp) marks.push("BP");
    // A frame's label on its lowest word (frameless callers share their callee's).
    const frame = frames.filter((f) => f.sp === a).map((f) => f.name).join(", ");
    const name = v !== 0 ? symbolize(m, v) : undefined;
    words.push({ addr: hex(a), value: hex(v), marks, note: name ? `→ ${name}` : "", frame });
  }
  return { words, frames: frames.map((f) => `${f.name}  sp=${hex(f.sp)}`) };
}

/** The g a non-running thread will resume with (its TLS slot, through its saved FS base). */
function threadG(m: Machine, regs: readonly bigint[]): number {
  const fs = Number(regs[REG_FS_BASE] ?? 0n);
  if (fs === 0) return 0;
  try { return m.mem.ptr(fs - 8); } catch { return 0; }
}

function msView(m: Machine): MView[] {
  const k = m.kernel, mem = m.mem;
  const sysmonFn = m.bridge.has("runtime.sysmon") ? m.bridge.addrOf("runtime.sysmon") : -1;
  return ms(m).map((x) => {
    const t = k.threads.find((th) => th.tid === x.procid);
    const oncpu = t !== undefined && t === k.cur;
    const gp = t === undefined ? 0 : oncpu ? tlsg(m) : threadG(m, t.regs);
    const fn = mem.ptr(x.mp + m_mstartfn);
    const sysmon = fn !== 0 && mem.ptr(fn) === sysmonFn;
    let doing: string;
    if (t === undefined || t.state === "exited") doing = t ? "exited" : "not started";
    else if (t.state === "futex") doing = "parked";
    else if (t.state === "sleeping") doing = "sleeping";
    else if (gp !== 0 && gp === mem.ptr(x.mp + m_g0)) doing = "g0";
    else if (gp !== 0 && gp === mem.ptr(x.mp + m_gsignal)) doing = "signal";
    else if (gp !== 0 && gp === x.curg) doing = `running G${goid(m, gp)}`;
    else doing = "runnable";
    return {
      id: x.id, tid: x.procid, p: x.p !== 0 ? pid(m, x.p) : null, curg: x.curg !== 0 ? goid(m, x.curg) : null, spinning: x.spinning,
      sysmon, doing, thread: t?.state ?? "-", oncpu,
    };
  });
}

function timeline(log: EventLog, now: number, n: number): TimelineView {
  const evs = log.last(n);
  const b = new ChromeTraceBuilder();
  for (const ev of evs) b.add(ev);
  const tr = b.finish(now);
  const slices: Slice[] = [], instants: Instant[] = [];
  const ps = new Set<number>();
  for (const e of tr.traceEvents) {
    if (e.pid !== PID_P || e.tid === undefined) continue;
    if (e.ph === "X") { slices.push({ p: e.tid, goid: Number(e.args?.["goid"] ?? 0), start: e.ts! * 1000, end: (e.ts! + e.dur!) * 1000 }); ps.add(e.tid); }
    else if (e.ph === "i") { instants.push({ p: e.tid, t: e.ts! * 1000, name: e.name }); ps.add(e.tid); }
  }
  const t0 = evs.length ? evs[0]!.t : 0;
  const fmt = (ev: SchedEvent): string => `t=${(ev.t / 1000).toFixed(3)}µs P${ev.p < 0 ? "-" : ev.p} M${ev.m < 0 ? "-" : ev.m} G${ev.goid} ${ev.kind}${ev.detail ? ` (${ev.detail})` : ""}`;
  return { ps: [...ps].sort((a, c) => a - c), t0, t1: Math.max(now, t0), slices, instants, recent: evs.slice(-40).map(fmt) };
}

/** The snapshot at this stop; `before` is the registers at the previous one (for the changed marks). */
export function snapshot(m: Machine, steps: number, ended: string | undefined, before: readonly bigint[], log: EventLog, events = TIMELINE_EVENTS): Snapshot {
  const now = regValues(m);
  const rip = Number(now[REG_RIP]!), rsp = Number(now[4]!), rbp = Number(now[5]!);
  const img = m.image;
  const host = m.bridge.nameAt(rip);
  const l = img.pcToLine(rip);
  const regs: RegCell[] = REG_VIEW_NAMES.map((name, i) => {
    const r = i < 16 ? i : i === 16 ? REG_RIP : REG_RFLAGS;
    return { name, value: hex(now[r]!), changed: before.length > 0 && now[r] !== before[r] };
  });
  const gp = tlsg(m);
  let g: CurG | null = null;
  let hi = 0;
  if (gp !== 0) {
    try {
      const gi = ginfo(m, gp);
      const mp = mOf(m, gp), pp = pOf(m, mp);
      g = {
        goid: gi.goid, gp: hex(gp), g0: isG0(m, gp), m: mp !== 0 ? mid(m, mp) : null, p: pp !== 0 ? pid(m, pp) : null,
        status: gi.statusName, gobuf: gobufView(m, gi.sched), stackLo: hex(gi.stackLo), stackHi: hex(gi.stackHi),
      };
      if (rsp >= gi.stackLo && rsp < gi.stackHi) hi = gi.stackHi;
    } catch {
      g = null; // rt0_go's TLS probe: the slot holds no g yet
    }
  }
  const st = stack(m, rsp, rbp, rip, hi);
  // gogo(buf): buf is its argument (at 8(SP): it has no frame) until gogo<> holds it in BX.
  let restoring: Restoring | null = null;
  const sym = img.symAt(rip)?.name ?? "";
  // Its last instruction (JMP BX) has BX = gobuf.pc, no longer the gobuf.
  if (sym === "runtime.gogo" || (sym.startsWith("gogo<") && insnAt(m, rip).text !== "JMP BX")) {
    try {
      const buf = sym === "runtime.gogo" ? m.mem.ptr(rsp + 8) : Number(now[3]!);
      const b = gobuf(m, buf);
      restoring = { buf: hex(buf), goid: goid(m, b.g), gobuf: gobufView(m, { ...b }) };
    } catch {
      restoring = null; // not a gobuf (a program calling gogo with garbage): nothing to show
    }
  }
  const cur = tlsg(m);
  const s = sched(m);
  const allgs = goroutines(m);
  const shown = allgs.slice(0, GOROUTINES_MAX);
  const curInfo = allgs.find((gi) => gi.gp === cur);
  if (curInfo !== undefined && !shown.includes(curInfo)) shown.push(curInfo);
  return {
    steps, ended, now: m.kernel.now, tid: m.kernel.cur?.tid ?? null, rip: hex(rip),
    fn: img.symbolize(rip) ?? (host ? `${host} (host function)` : hex(rip)),
    hostFile: host !== undefined && img.symAt(rip) === undefined ? m.bridge.table.fileOf(host.replace(/·.*$| \(continuation\)$/, "")) ?? "" : "",
    file: l?.file ?? "", line: l?.line ?? 0,
    code: code(m, rip), regs, g, restoring, stack: st.words, frames: st.frames,
    goroutines: shown.map((gi) => ({ goid: gi.goid, status: gi.statusName, wait: gi.waitReason, where: gwhere(m, gi.gp), current: gi.gp === cur })),
    ngoroutines: allgs.length,
    ps: ps(m).map((p) => ({
      id: p.id, status: p.statusName, m: p.m !== 0 ? mid(m, p.m) : null, schedtick: p.schedtick,
      runnext: p.runnext !== 0 ? goid(m, p.runnext) : null, runq: p.runq.map((x) => goid(m, x)),
    })),
    sched: { runqsize: s.runqsize, runq: s.runq.slice(0, GLOBAL_RUNQ_MAX).map((x) => goid(m, x)), npidle: s.npidle, nmidle: s.nmidle, nmspinning: s.nmspinning },
    ms: msView(m),
    timeline: timeline(log, m.kernel.now, events),
  };
}
