// Preemption (preempt.go): async safe points, asyncPreempt2, canPreemptM.
//
// Go takes the CPU from a goroutine that does not give it up in two ways
// at once (sysmon.ts's preemptone): cooperatively, through stackguard0 =
// stackPreempt, which the next function prologue's stack check catches
// (morestack → newstack → gopreempt_m, stack.ts); and asynchronously, with
// SIGURG (signal_unix.ts), whose handler pushes a call to asyncPreempt
// (asm/preempt_amd64.s) when the goroutine is at an async safe point.
// asyncPreempt saves every register and calls asyncPreempt2, here, which
// gives the P up with mcall(gopreempt_m); when the goroutine runs again,
// asyncPreempt restores every register and returns to the interrupted PC.
//
// Async safe points. In code compiled by Go (a .go program, src/golang/)
// the rule is Go's own: the binary's pclntab says, instruction by
// instruction, whether the compiler made it an unsafe point (the
// _PCDATA_UnsafePoint table: write-barrier sequences, nosplit functions
// except at calls), whether the function is assembly (no stack maps) or
// the runtime's, and whether the goroutine must restart a sequence or the
// function when it resumes (the restart pc goes to asyncPreempt as its
// return address). Go refuses every assembly function (it has no stack
// maps to scan it with); gmpemu's .s programs are all assembly, standing
// for compiled Go code, so there a program's function is a safe point
// unless it is NOSPLIT (which Go also treats as unsafe: it may run with no
// stack room). Everywhere, runtime functions, host functions and anything
// off the goroutine's own stack are refused as Go refuses them, and so is
// an M that holds locks, is allocating, has preemptoff set or whose P is
// not running. Every refusal is counted by reason (--stats).
//
// Left out, and said so: preemptStop/suspendG (only the GC uses them).

import {
  g_m, g_stack_lo, m_curg, m_locks, m_mallocing, m_p, m_preemptoff, p_status, stringStruct_len,
} from "./offsets.ts";
import type { GoSafePoint } from "./goprog.ts";
import type { Runtime } from "./rt.ts";
import { _Prunning } from "./runtime2.ts";

/**
 * Stack a goroutine needs below SP to take an async preemption:
 * asyncPreempt's return address, saved BP and flags, its 368-byte save area,
 * and the return address of its call to asyncPreempt2 (which switches to g0
 * at once), with room to spare.
 */
export const asyncPreemptStack = 8 + 8 + 8 + 368 + 8 + 128;

const NOSPLIT = 4;

// canPreemptM: whether the goroutine running on mp may be stopped now.
export function canPreemptM(rt: Runtime, mp: number): boolean {
  const mem = rt.mem;
  const pp = mem.ptr(mp + m_p);
  return mem.i32(mp + m_locks) === 0 && mem.i32(mp + m_mallocing) === 0 &&
    mem.ptr(mp + m_preemptoff + stringStruct_len) === 0 && pp !== 0 && mem.u32(pp + p_status) === _Prunning;
}

/** isAsyncSafePoint: "" when gp may be preempted at pc, else why not. */
export function isAsyncSafePoint(rt: Runtime, gp: number, pc: number, sp: number): string {
  return asyncSafePoint(rt, gp, pc, sp).reason;
}

/**
 * isAsyncSafePoint with Go's second result: where the goroutine resumes
 * (pc, or the start of a restartable sequence or of the function, in
 * compiled code).
 */
export function asyncSafePoint(rt: Runtime, gp: number, pc: number, sp: number): GoSafePoint {
  const reason = asyncSafePointM(rt, gp, sp);
  if (reason !== "") return { reason, pc };
  if (rt.bridge.nameAt(pc) !== undefined) return { reason: "in a host function", pc };
  if (rt.go !== undefined && rt.go.isGoCode(pc)) return rt.go.asyncSafePoint(pc);
  return { reason: asmSafePoint(rt, pc), pc };
}

// isAsyncSafePoint's checks of the M and the stack.
function asyncSafePointM(rt: Runtime, gp: number, sp: number): string {
  const mem = rt.mem;
  const mp = mem.ptr(gp + g_m);
  if (mp === 0 || mem.ptr(mp + m_curg) !== gp) return "not on a goroutine's stack";
  const pp = mem.ptr(mp + m_p);
  if (pp === 0 || mem.i32(mp + m_locks) !== 0 || mem.i32(mp + m_mallocing) !== 0 ||
    mem.int(mp + m_preemptoff + stringStruct_len) !== 0 || mem.u32(pp + p_status) !== _Prunning) {
    return "M holds locks or its P is not running";
  }
  const lo = mem.ptr(gp + g_stack_lo);
  if (sp < lo || sp - lo < asyncPreemptStack) return "too little stack";
  return "";
}

// The rule for an assembly program's functions (see the essay).
function asmSafePoint(rt: Runtime, pc: number): string {
  const sym = rt.image.symAt(pc);
  if (!sym || sym.kind !== "text") return "not in a function";
  if (sym.name.startsWith("runtime.")) return "runtime code";
  if (sym.flags & NOSPLIT) return "NOSPLIT assembly";
  return "";
}

