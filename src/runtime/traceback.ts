// Tracebacks (traceback.go): walking a goroutine's stack, and the goroutine
// dump a fatal error prints.
//
// Frames are found by the frame pointer (BP chain), as Go's unwinder does
// for assembly, or by SP for a frameless function or one still in its
// prologue; in code compiled by Go, by the pclntab's SP delta at the pc
// (funcspdelta), as Go's own unwinder does, which is right at every
// instruction, prologue and epilogue included; a return address in the
// host region belongs to a suspended host function, whose frame the
// bridge finds (frameOfReturn). The walk
// stops at a bottom frame (goexit, mstart, rt0_go), at an address that is
// no code, or at pc 0.

import { RBP, RSP } from "../x86/regs.ts";
import type { LinkedSym } from "../asm/link.ts";
import { REG_RIP } from "../engine/engine.ts";
import { bpFrame__size, bpFrame_retpc, bpFrame_savedbp, g_goid, g_m, g_sched, g_waitreason, gobuf_bp, gobuf_pc, gobuf_sp, m_curg } from "./offsets.ts";
import { readgstatus } from "./gstatus.ts";
import { isSystemGoroutine } from "./proc.ts";
import type { Runtime } from "./rt.ts";
import { _Gdead, _Gscan, _Gwaiting, waitReasonStrings } from "./runtime2.ts";

/** One frame of a stack walk: a suspended host function, or assembly at pc. */
export type Frame =
  | { kind: "host"; depth: number; name: string; frameSp: number }
  /** sp: the frame's stack pointer as the walk found it (its lowest word; the caller's frame starts where the next one's sp is). */
  | { kind: "asm"; depth: number; sym: LinkedSym; pc: number; sp: number };

/** Walks a stack from (pc, sp, bp), at most max frames. */
export function* unwind(rt: Runtime, pc: number, sp: number, bp: number, max: number): Generator<Frame> {
  const { bridge, image, mem } = rt;
  for (let depth = 0; depth < max && pc !== 0; depth++) {
    // A host function: entered at pc (the running one, or a frame whose
    // caller jumped to it), or a return address into one.
    const entered = bridge.fnAt(pc);
    const returned = entered === undefined ? bridge.frameOfReturn(pc, sp) : undefined;
    if (entered !== undefined || returned !== undefined) {
      const name = entered?.name ?? returned!.name;
      const frameSp = returned?.frameSp ?? sp;
      yield { kind: "host", depth, name, frameSp };
      pc = mem.ptr(frameSp);
      sp = frameSp + 8;
      continue;
    }
    const sym = image.symAt(pc);
    if (!sym) return;
    yield { kind: "asm", depth, sym, pc, sp };
    if (sym.name === "runtime.goexit" || sym.name === "runtime.mstart" || sym.name === "runtime.rt0_go") return;
    const d = rt.go?.spdelta(pc);
    if (d !== undefined) {
      // Compiled Go: the return address is just above the frame. BP was
      // saved just below it once the prologue ran (BP then points there).
      const frameTop = sp + d;
      if (d >= 8 && bp === frameTop - 8) bp = mem.ptr(bp);
      pc = mem.ptr(frameTop);
      sp = frameTop + 8;
      continue;
    }
    // The caller: through the saved frame pointer when this function has a
    // frame and is past the prologue that saves it.
    if (sym.frame !== undefined && sym.frame > 0 && bp !== 0 && pc !== sym.addr) {
      pc = mem.ptr(bp + bpFrame_retpc);
      sp = bp + bpFrame__size;
      bp = mem.ptr(bp + bpFrame_savedbp);
    } else {
      pc = mem.ptr(sp);
      sp += 8;
    }
  }
}

/** Go's printArgs: hex words, at most ten, then "...". */
function argList(words: readonly bigint[]): string {
  const shown = words.slice(0, 10).map((w) => `0x${w.toString(16)}`);
  if (words.length > 10) shown.push("...");
  return shown.join(", ");
}

/** Go's status strings for a goroutine header. */
export const gStatusStrings = ["idle", "runnable", "running", "syscall", "waiting", "moribund", "dead", "enqueue", "copystack", "preempted"];

/**
 * Go's goroutine dump: for each live goroutine, its header and its frames
 * (function, file:line, +offset). With `all` false (Go's fatal), runtime
 * frames are hidden and only the current or first goroutine is shown, as
 * with Go's default GOTRACEBACK=single. `abs` makes file names absolute.
 */
export function goroutineDump(rt: Runtime, all: boolean, abs: (file: string) => string = (f) => f): string {
  const { engine, bridge, image, mem } = rt;
  const out: string[] = [];
  let cur = 0;
  try { cur = rt.getg(); } catch { cur = 0; }
  const curIsUser = cur !== 0 && mem.ptr(mem.ptr(cur + g_m) + m_curg) === cur;
  const gs = rt.allgs.slice().sort((a, b) => (a === cur ? -1 : b === cur ? 1 : mem.int(a + g_goid) - mem.int(b + g_goid)));
  for (const gp of gs) {
    const st = readgstatus(rt, gp) & ~_Gscan;
    if (st === _Gdead) continue;
    // Go's tracebackothers leaves out the runtime's own goroutines.
    if (gp !== cur && isSystemGoroutine(rt, gp)) continue;
    const running = gp === cur && curIsUser;
    let status = running ? "running" : gStatusStrings[st] ?? `status ${st}`;
    if (st === _Gwaiting && !running) status = waitReasonStrings[mem.u8(gp + g_waitreason)] || "waiting";
    const frames: string[] = [];
    let pc: number, sp: number, bp: number;
    if (running) {
      const a = bridge.activeFn;
      pc = a ? bridge.addrOf(a.name) : engine.getRegN(REG_RIP);
      sp = a ? bridge.activeFrameSp : engine.getRegN(RSP);
      bp = engine.getRegN(RBP);
    } else {
      pc = mem.ptr(gp + g_sched + gobuf_pc);
      sp = mem.ptr(gp + g_sched + gobuf_sp);
      bp = mem.ptr(gp + g_sched + gobuf_bp);
    }
    for (const f of unwind(rt, pc, sp, bp, 100)) {
      if (f.kind === "host") {
        if (all || !f.name.startsWith("runtime.")) {
          frames.push(`${f.name}(${argList(bridge.argWords(f.name, f.frameSp))})\n\t(host function)`);
        }
        continue;
      }
      const line = image.pcToLine(f.depth === 0 ? f.pc : f.pc - 1);
      // Go prints an assembly function's arguments only when a Go
      // prototype gives it an argument map; ours have none, so "()".
      if (all || !f.sym.name.startsWith("runtime.")) {
        frames.push(`${f.sym.name}()\n\t${line ? `${abs(line.file)}:${line.line}` : "?"} +0x${(f.pc - f.sym.addr).toString(16)}`);
      }
    }
    out.push(`goroutine ${mem.int(gp + g_goid)} [${status}]:\n${frames.join("\n")}${frames.length ? "\n" : ""}`);
    if (!all) break;
  }
  return out.join("\n");
}
