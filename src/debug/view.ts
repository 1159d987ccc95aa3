// The debug layer: one view of a machine for every tool.
//
// The stepper, the tour, the traces, the GDB stub and the browser page all
// show the same things: which goroutine a thread runs (the TLS g slot), its
// M and P, a gobuf, the status and wait reason of each goroutine, the run
// queues, the instruction at an address and its source line, a backtrace
// across assembly and TypeScript frames, and the scheduler's events. They
// read them here, and only here, from emulated memory through the offsets
// the runtime itself uses (src/runtime/offsets.ts), so a tool never rebuilds
// a view of its own and never disagrees with another about what the
// machine holds.
//
// Everything here reads; nothing writes the machine. Names (registers,
// statuses, wait reasons) come from the layers that own them: x86/regs.ts,
// runtime2.ts.

import { disassemble } from "../cpu/disasm.ts";
import { REG_FS_BASE, REG_RIP } from "../engine/engine.ts";
import { insnBytes } from "../engine/lockstep.ts";
import type { Machine } from "../runtime/boot.ts";
import type { SchedEvent } from "../runtime/events.ts";
import {
  gQueue_head, g_goid, g_m, g_sched, g_schedlink, g_stack_hi, g_stack_lo, g_waitreason, gobuf_bp, gobuf_ctxt, gobuf_g, gobuf_pc,
  gobuf_ret, gobuf_sp, m_curg, m_g0, m_id, m_p, m_procid, m_spinning, p_id, p_m, p_runnext, p_schedtick, p_status,
  schedt_nmidle, schedt_nmspinning, schedt_npidle, schedt_runq, schedt_runqsize,
} from "../runtime/offsets.ts";
import { readgstatus } from "../runtime/gstatus.ts";
import { runqlist } from "../runtime/runq.ts";
import { _Gdead, _Gscan, _Gwaiting, waitReasonStrings } from "../runtime/runtime2.ts";
import { gStatusStrings, unwind } from "../runtime/traceback.ts";
import { GPR_NAMES } from "../x86/regs.ts";

export type { SchedEvent } from "../runtime/events.ts";
export type { Machine } from "../runtime/boot.ts";
export { unwind, type Frame } from "../runtime/traceback.ts";
export { GPR_NAMES } from "../x86/regs.ts";

/** P statuses, as Go's schedtrace names them. */
export const P_STATUS_NAMES = ["idle", "running", "syscall", "gcstop", "dead"];

/** The register names a view prints: the 16 general registers, RIP and the flags. */
export const REG_VIEW_NAMES: readonly string[] = [...GPR_NAMES, "RIP", "FLG"];

const hex = (v: number | bigint): string => "0x" + v.toString(16);

// --- the running goroutine ---------------------------------------------------------

/** The g in the current thread's TLS slot (0 before rt0_go sets TLS up). */
export function tlsg(m: Machine): number {
  const fs = Number(m.engine.getReg(REG_FS_BASE));
  return fs === 0 ? 0 : m.mem.ptr(fs - 8);
}

/** The M of g (0 for none). */
export function mOf(m: Machine, gp: number): number {
  return gp === 0 ? 0 : m.mem.ptr(gp + g_m);
}

/** The P of an M (0 for none). */
export function pOf(m: Machine, mp: number): number {
  return mp === 0 ? 0 : m.mem.ptr(mp + m_p);
}

/** A g's goid, or -1 for none (0, or not yet a g: rt0_go's TLS probe stores 0x123 in the slot). */
export function goid(m: Machine, gp: number): number {
  if (gp === 0) return -1;
  try {
    return m.mem.int(gp + g_goid);
  } catch {
    return -1;
  }
}

export function mid(m: Machine, mp: number): number {
  return m.mem.int(mp + m_id);
}

export function pid(m: Machine, pp: number): number {
  return m.mem.i32(pp + p_id);
}

export function isG0(m: Machine, gp: number): boolean {
  const mp = mOf(m, gp);
  return mp !== 0 && m.mem.ptr(mp + m_g0) === gp;
}

/**
 * The goroutine a condition means (`b gogo if goid == 2`): the M's current
 * user goroutine (m.curg). On g0 inside gogo that is already the one being
 * switched to (execute set it).
 */
export function curgoid(m: Machine): number {
  const gp = tlsg(m);
  if (gp === 0) return -1;
  const mp = mOf(m, gp);
  const curg = mp !== 0 ? m.mem.ptr(mp + m_curg) : 0;
  return goid(m, curg !== 0 ? curg : gp);
}

/** Every goroutine by goid (including dead ones, which keep their id until reused). */
export function findG(m: Machine, id: number): number | undefined {
  return m.allgs.find((g) => goid(m, g) === id);
}

// --- gobufs and goroutines -------------------------------------------------------

export interface Gobuf { sp: number; pc: number; g: number; ctxt: number; ret: number; bp: number }

/** The gobuf at addr (g.sched is gp + g_sched). */
export function gobuf(m: Machine, addr: number): Gobuf {
  const mem = m.mem;
  return {
    sp: mem.ptr(addr + gobuf_sp), pc: mem.ptr(addr + gobuf_pc), g: mem.ptr(addr + gobuf_g),
    ctxt: mem.ptr(addr + gobuf_ctxt), ret: Number(mem.u64(addr + gobuf_ret)), bp: mem.ptr(addr + gobuf_bp),
  };
}

export interface GInfo {
  gp: number;
  goid: number;
  /** _Grunnable ..., without _Gscan. */
  status: number;
  /** The _Gscan bit was set. */
  scan: boolean;
  /** "runnable", "waiting" ... */
  statusName: string;
  /** For a waiting goroutine: Go's wait reason ("chan receive"). */
  waitReason: string;
  stackLo: number;
  stackHi: number;
  sched: Gobuf;
}

export function ginfo(m: Machine, gp: number): GInfo {
  const mem = m.mem;
  const raw = readgstatus(m, gp);
  const status = raw & ~_Gscan;
  return {
    gp, goid: goid(m, gp), status, scan: (raw & _Gscan) !== 0, statusName: gStatusStrings[status] ?? `status ${status}`,
    waitReason: status === _Gwaiting ? waitReasonStrings[mem.u8(gp + g_waitreason)] ?? "" : "",
    stackLo: mem.ptr(gp + g_stack_lo), stackHi: mem.ptr(gp + g_stack_hi), sched: gobuf(m, gp + g_sched),
  };
}

/** The live goroutines (not dead), in creation order. */
export function goroutines(m: Machine): GInfo[] {
  return m.allgs.map((gp) => ginfo(m, gp)).filter((g) => g.status !== _Gdead);
}

// --- Ms, Ps, sched ------------------------------------------------------------------

export interface MInfo { mp: number; id: number; procid: number; curg: number; p: number; spinning: boolean }

/** The Ms, oldest first. */
export function ms(m: Machine): MInfo[] {
  const mem = m.mem;
  return m.allm.slice().reverse().map((mp) => ({
    mp, id: mid(m, mp), procid: mem.ptr(mp + m_procid), curg: mem.ptr(mp + m_curg), p: mem.ptr(mp + m_p),
    spinning: mem.u8(mp + m_spinning) !== 0,
  }));
}

export interface PInfo {
  pp: number; id: number; status: number; statusName: string; m: number; schedtick: number;
  /** The goroutine in runnext (0: none), and the local run queue, head first. */
  runnext: number; runq: number[];
}

export function ps(m: Machine): PInfo[] {
  const mem = m.mem;
  return m.allp.map((pp) => {
    const status = mem.u32(pp + p_status);
    return {
      pp, id: pid(m, pp), status, statusName: P_STATUS_NAMES[status] ?? "?", m: mem.ptr(pp + p_m),
      schedtick: mem.u32(pp + p_schedtick), runnext: mem.ptr(pp + p_runnext), runq: runqlist(m, pp),
    };
  });
}

export interface SchedInfo { runqsize: number; runq: number[]; npidle: number; nmidle: number; nmspinning: number }

export function sched(m: Machine): SchedInfo {
  const mem = m.mem, s = m.sched;
  const runq: number[] = [];
  for (let gp = mem.ptr(s + schedt_runq + gQueue_head); gp !== 0 && runq.length < 1 << 20; gp = mem.ptr(gp + g_schedlink)) runq.push(gp);
  return {
    runqsize: mem.i32(s + schedt_runqsize), runq, npidle: mem.i32(s + schedt_npidle),
    nmidle: mem.i32(s + schedt_nmidle), nmspinning: mem.i32(s + schedt_nmspinning),
  };
}

// --- code ----------------------------------------------------------------------------

/** Up to 15 bytes at addr (fewer where memory ends), for the decoder. */
export { insnBytes };

/** The instruction at addr, decoded from memory: its length and Go-syntax text. */
export function insnAt(m: Machine, addr: number): { len: number; text: string } {
  const d = disassemble(insnBytes(m.engine, addr), 0, addr, (a) => m.image.symbolize(a));
  return { len: d.len, text: d.text };
}

/** A name for an address: symbol+offset in the image, or a host function (or its resume point). */
export function symbolize(m: Machine, addr: number): string | undefined {
  return m.image.symbolize(addr) ?? m.bridge.nameAt(addr);
}

/** The source line of a pc, as "file:line" with `path` applied to the file. */
export function where(m: Machine, pc: number, path: (f: string) => string = (f) => f): string {
  const l = m.image.pcToLine(pc);
  return l ? `${path(l.file)}:${l.line}` : "";
}

/** Where a goroutine stands: running here, or the symbol its gobuf.pc is in. */
export function gwhere(m: Machine, gp: number): string {
  if (gp === tlsg(m)) return "running here";
  const pc = m.mem.ptr(gp + g_sched + gobuf_pc);
  return symbolize(m, pc) ?? hex(pc);
}

// --- backtraces ------------------------------------------------------------------------

export interface BtFrame {
  depth: number;
  /** "asm": machine code at pc; "host": a runtime function written in TypeScript. */
  kind: "asm" | "host";
  name: string;
  pc: number;
  /** file:line for asm frames; the TypeScript file for host frames. */
  where: string;
}

/**
 * The stack of the current thread: assembly frames by the frame-pointer
 * chain, host frames through the bridge; from inside gogo, where execute
 * jumped (no return address), the TypeScript frames that led there.
 */
export function backtrace(m: Machine, max = 64, path?: (f: string) => string): BtFrame[] {
  const e = m.engine;
  const out: BtFrame[] = [];
  for (const f of unwind(m, Number(e.getReg(REG_RIP)), Number(e.getReg(4)), Number(e.getReg(5)), max)) {
    if (f.kind === "host") {
      out.push({ depth: f.depth, kind: "host", name: f.name, pc: 0, where: m.bridge.table.fileOf(f.name) ?? "" });
      continue;
    }
    out.push({ depth: f.depth, kind: "asm", name: m.image.symbolize(f.pc) ?? f.sym.name, pc: f.pc, where: where(m, f.depth === 0 ? f.pc : f.pc - 1, path) });
    if (f.sym.name === "runtime.gogo" || f.sym.name.startsWith("gogo<")) {
      const from = m.execFrom.get(mOf(m, tlsg(m)));
      let depth = f.depth;
      if (from !== undefined) {
        for (const name of ["runtime.execute", "runtime.schedule", from]) {
          out.push({ depth: ++depth, kind: "host", name, pc: 0, where: m.bridge.table.fileOf(name) ?? "src/runtime/proc.ts" });
        }
      }
      break;
    }
  }
  return out;
}

// --- events ---------------------------------------------------------------------------

/** Subscribes to the scheduler's events; returns the unsubscribe function. */
export function subscribe(m: Machine, l: (ev: SchedEvent) => void): () => void {
  m.listeners.push(l);
  return () => {
    const i = m.listeners.indexOf(l);
    if (i >= 0) m.listeners.splice(i, 1);
  };
}

/** An event as one line: "park G5 (chan receive) on P0 M0". */
export function formatEvent(ev: SchedEvent): string {
  return `${ev.kind} G${ev.goid}${ev.detail ? ` (${ev.detail})` : ""} on P${ev.p} M${ev.m}`;
}
