// The stub's view of the scheduler: `monitor goroutines`, `monitor g N`,
// `monitor bt`, and the M/G names of `info threads` (qThreadExtraInfo).
//
// This is the only file in src/gdb/ that reads the runtime's structures
// (allgs, g, m, gobuf) and walks stacks. It reads them from emulated memory
// through the Machine, as a debugger reads a real process, so what it shows
// is what the assembly sees, through the debug layer (src/debug/view.ts:
// statuses, goroutines, names, the stack walk).
//
// A goroutine's frames start from the registers of the thread running it
// (the thread whose TLS g slot holds it) or else from its gobuf (sp, pc,
// bp), and go through assembly by the frame-pointer chain and through the
// TypeScript runtime's suspended host frames by the bridge, as Go's
// goroutine dump does (runtime/boot.ts unwind).
//
// Invariant: nothing here writes to the machine, and a bad pointer in the
// guest's structures ends a walk with "?" instead of an exception.

import { relative } from "node:path";
import type { Thread } from "../os/kernel.ts";
import { ginfo, goroutines, symbolize, unwind, type Machine } from "../debug/view.ts";
import {
  g_goid as G_GOID, g_m as G_M, g_sched as G_SCHED, g_stack_hi, g_stack_lo, g_stackguard0 as G_STACKGUARD0,
  gobuf_bp, gobuf_ctxt, gobuf_g, gobuf_pc, gobuf_ret, gobuf_sp, m_curg as M_CURG, m_g0 as M_G0, m_id as M_ID,
} from "../runtime/offsets.ts";
import { _Gscan } from "../runtime/runtime2.ts";

const GB = { sp: gobuf_sp, pc: gobuf_pc, g: gobuf_g, ctxt: gobuf_ctxt, ret: gobuf_ret, bp: gobuf_bp };
/** The most frames a walk shows. */
const MAX_FRAMES = 64;

/** The registers a walk starts from. */
export interface WalkRegs { pc: number; sp: number; bp: number }
/** A thread's registers (from the engine if it is loaded, else as the kernel saved them). */
export type RegsOf = (t: Thread) => WalkRegs & { fs: number };

const hex = (v: number | bigint): string => "0x" + v.toString(16);

function u64(m: Machine, a: number): number | undefined {
  try { return Number(m.engine.readU64(a)); } catch { return undefined; }
}

/** The g in a thread's TLS slot (FS base - 8), or 0. */
function tlsg(m: Machine, r: { fs: number }): number {
  return r.fs === 0 ? 0 : u64(m, r.fs - 8) ?? 0;
}

function goid(m: Machine, gp: number): number | undefined {
  return gp === 0 ? undefined : u64(m, gp + G_GOID);
}

/** The runtime's view of a thread: its M and that M's goroutine ("M0 running G1"). */
export function threadInfo(m: Machine, t: Thread, regsOf: RegsOf): string {
  const parts: string[] = [];
  const r = regsOf(t);
  if (r.fs === 0) {
    parts.push("not started");
  } else {
    const gp = tlsg(m, r);
    const mp = gp === 0 ? 0 : u64(m, gp + G_M) ?? 0;
    const id = mp === 0 ? undefined : u64(m, mp + M_ID);
    if (id === undefined) {
      parts.push("no M");
    } else {
      const curg = u64(m, mp + M_CURG) ?? 0;
      parts.push(curg !== 0 ? `M${id} running G${goid(m, curg) ?? "?"}` : `M${id} on g0`);
    }
  }
  if (t.state !== "runnable") parts.push(`(${t.state})`);
  return parts.join(" ");
}

function where(m: Machine, pc: number): string {
  const l = m.image.pcToLine(pc);
  if (!l) return "";
  const rel = relative(process.cwd(), l.file);
  return `${rel.startsWith("..") ? l.file : rel}:${l.line}`;
}

/** A frame of a walk: a function's name (symbol+offset for assembly), its source line, and whether it is a host function. */
interface Frame { name: string; func: string; line: string; host: boolean }

function walk(m: Machine, r: WalkRegs): Frame[] {
  const out: Frame[] = [];
  try {
    for (const f of unwind(m, r.pc, r.sp, r.bp, MAX_FRAMES)) {
      if (f.kind === "host") out.push({ name: f.name, func: f.name, line: "", host: true });
      else out.push({ name: m.image.symbolize(f.pc) ?? hex(f.pc), func: f.sym.name, line: where(m, f.depth === 0 ? f.pc : f.pc - 1), host: false });
    }
  } catch {
    out.push({ name: "?", func: "?", line: "(unreadable stack)", host: false });
  }
  if (out.length === 0) out.push({ name: hex(r.pc), func: hex(r.pc), line: "(no code here)", host: false });
  return out;
}

/** "main.main+0x2a  x.s:20", or "runtime.chanrecv1 (TypeScript runtime)". */
function frameText(f: Frame): string {
  return f.host ? `${f.name} (TypeScript runtime)` : f.line ? `${f.name}  ${f.line}` : f.name;
}

/** One line per frame: "#1 main.main+0x2a  x.s:20". */
function frames(m: Machine, r: WalkRegs): string[] {
  return walk(m, r).map((f, i) => `#${i} ${frameText(f)}`);
}

/** The thread whose TLS g slot holds gp, if any. */
function threadOf(m: Machine, gp: number, regsOf: RegsOf): Thread | undefined {
  return m.kernel.threads.find((t) => t.state !== "exited" && tlsg(m, regsOf(t)) === gp);
}

function startRegs(m: Machine, gp: number, regsOf: RegsOf): WalkRegs {
  const t = threadOf(m, gp, regsOf);
  if (t) return regsOf(t);
  const b = gp + G_SCHED;
  return { pc: u64(m, b + GB.pc) ?? 0, sp: u64(m, b + GB.sp) ?? 0, bp: u64(m, b + GB.bp) ?? 0 };
}

function statusText(m: Machine, gp: number): string {
  const g = ginfo(m, gp);
  let s = g.statusName;
  if (g.scan) s += " (scan)";
  if (g.waitReason) s += ` (${g.waitReason})`;
  return s;
}

function mName(m: Machine, gp: number): string {
  const mp = u64(m, gp + G_M) ?? 0;
  return mp === 0 ? "" : `M${u64(m, mp + M_ID) ?? "?"}`;
}

/** Goroutines that are not dead, in creation order. */
function liveGs(m: Machine): number[] {
  return goroutines(m).map((g) => g.gp);
}

/**
 * `monitor goroutines`: each live goroutine's id, status (with the wait
 * reason), M, and where it is: its innermost frame outside package
 * runtime, and the runtime function it is in. `*` marks the goroutine of
 * the thread gdb has selected.
 */
export function goroutineList(m: Machine, regsOf: RegsOf, selected: Thread | undefined): string {
  const gs = liveGs(m);
  if (gs.length === 0) return "no goroutines yet (the runtime has not started one)\n";
  const cur = selected ? tlsg(m, regsOf(selected)) : 0;
  const curMp = cur !== 0 ? u64(m, cur + G_M) ?? 0 : 0;
  const curg = curMp !== 0 ? u64(m, curMp + M_CURG) ?? 0 : 0;
  const rows = gs.map((gp) => {
    const fs = walk(m, startRegs(m, gp, regsOf));
    const user = fs.find((f) => !f.func.startsWith("runtime.") && f.func !== "?");
    const at = user === undefined ? frameText(fs[0]!) : user === fs[0] ? frameText(user) : `${frameText(user)}  (in ${fs[0]!.func})`;
    return [gp === curg || gp === cur ? "*" : " ", `G${goid(m, gp) ?? "?"}`, statusText(m, gp), mName(m, gp), at];
  });
  const w = [1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => `${r[0]} ${r[1]!.padEnd(w[0]!)}  ${r[2]!.padEnd(w[1]!)}  ${r[3]!.padEnd(w[2]!)}  ${r[4]}`.trimEnd()).join("\n") + "\n";
}

/** `monitor g N`: one goroutine's status, stack bounds, gobuf and frames. */
export function goroutineDetail(m: Machine, id: number, regsOf: RegsOf): string {
  const gp = liveGs(m).find((x) => goid(m, x) === id);
  if (gp === undefined) {
    const ids = liveGs(m).map((x) => goid(m, x));
    return `no goroutine ${id} (goroutines: ${ids.join(" ") || "none yet"})\n`;
  }
  const b = gp + G_SCHED;
  const word = (a: number): string => { const v = u64(m, a); return v === undefined ? "?" : hex(v); };
  const field = (o: number): string => word(b + o);
  const pc = u64(m, b + GB.pc) ?? 0;
  const pcName = symbolize(m, pc);
  const t = threadOf(m, gp, regsOf);
  const mp = u64(m, gp + G_M) ?? 0;
  const isG0 = mp !== 0 && u64(m, mp + M_G0) === gp;
  const out = [
    `G${id} at ${hex(gp)}: ${statusText(m, gp)}${mName(m, gp) ? `, on ${mName(m, gp)}` : ""}${isG0 ? " (g0)" : ""}${t ? `, running on thread ${t.tid}` : ""}`,
    `  stack [${word(gp + g_stack_lo)}, ${word(gp + g_stack_hi)})  stackguard0 ${word(gp + G_STACKGUARD0)}`,
    `  gobuf: sp=${field(GB.sp)} pc=${field(GB.pc)}${pcName ? ` (${pcName})` : ""} g=${field(GB.g)} ctxt=${field(GB.ctxt)} ret=${field(GB.ret)} bp=${field(GB.bp)}`,
    t ? `  frames (from thread ${t.tid}'s registers):` : "  frames (from the gobuf):",
    ...frames(m, startRegs(m, gp, regsOf)).map((f) => "  " + f),
  ];
  return out.join("\n") + "\n";
}

/** `monitor bt`: the selected thread's frames, host functions named. */
export function backtrace(m: Machine, r: WalkRegs): string {
  return frames(m, r).join("\n") + "\n";
}

export const MONITOR_HELP = `monitor commands:
  goroutines      every live goroutine: id, status (wait reason), M, where
  g N             goroutine N: status, stack, gobuf and frames
  bt              the selected thread's frames, with the TypeScript runtime's by name
  help            this list
`;

/** Runs one monitor command; returns its text (an unknown command's is a message, not an error). */
export function monitor(m: Machine, line: string, regsOf: RegsOf, selected: Thread | undefined): string {
  const [cmd = "", ...args] = line.trim().split(/\s+/);
  switch (cmd) {
    case "": case "help": return MONITOR_HELP;
    case "goroutines": case "gs":
      if (args.length) return "usage: monitor goroutines\n";
      return goroutineList(m, regsOf, selected);
    case "g": case "goroutine": {
      if (args.length !== 1 || !/^\d{1,15}$/.test(args[0]!)) return "usage: monitor g N (a goroutine id; monitor goroutines lists them)\n";
      return goroutineDetail(m, Number(args[0]), regsOf);
    }
    case "bt": case "backtrace":
      if (!selected) return "no thread\n";
      return backtrace(m, regsOf(selected));
    default:
      return `unknown monitor command "${cmd.length > 40 ? cmd.slice(0, 40) + "…" : cmd}"\n${MONITOR_HELP}`;
  }
}
