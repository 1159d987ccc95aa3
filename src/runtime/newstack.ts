// Stack growth: newstack and copystack (stack.go).
//
// A goroutine starts on a small stack (_StackMin, 2 KiB). Every function
// that is not NOSPLIT opens with the stack-split check the assembler
// inserts: it compares SP (less the frame, for big frames) with
// g.stackguard0 and, when it is too low, calls morestack before touching
// its frame. morestack (asm_amd64.s) records the function, stopped in its
// prologue, in g.sched, and its caller in m.morebuf, moves to g0 and calls
// runtime.newstack, the host function here. newstack never returns: it
// ends by resuming the goroutine with gogo(&gp.sched), which re-runs the
// prologue, now on a stack with room, or by scheduling something else.
//
// The guard is low for one of two reasons, and newstack tells them apart as
// Go does, by the guard's value alone:
//
//   stackPreempt  the scheduler asked the goroutine to stop (preemptone
//                 sets it so that the next prologue fails). If the M may
//                 be preempted (canPreemptM), the goroutine behaves as if
//                 it had called Gosched (gopreempt_m): running → runnable,
//                 onto the global queue, schedule. Otherwise the guard is
//                 restored and it runs on; gp.preempt stays set, so the
//                 next check-in catches it.
//   anything else the stack really is short: allocate one twice as big
//                 (more if the failing function's frame needs it), copy,
//                 and resume.
//
// copystack moves the used part of the stack, [sched.sp, hi), to the top
// of the new one, so every address in it moves by delta = new.hi - old.hi.
// What points into the stack must move with it:
//
//   g.sched.sp, g.sched.bp, g.sched.ctxt  (adjustctxt)
//   the frame-pointer chain               (adjustframe's saved BP): from
//                                         sched.bp, each frame's saved BP
//                                         slot holds the caller's BP
//   sudog.elem of g.waiting               (adjustsudogs)
//   suspended host frames                 the bridge's continuation frames
//                                         (runtime.main waiting for main.main
//                                         to return) are on this stack too
//   pointers to locals in frames          see below
//
// The one real departure from Go is the last line. Go adjusts pointers in
// frames precisely, with the compiler's stack maps (adjustpointers walks
// each frame's locals and arguments bitmap). Our programs are assembly,
// which has no stack maps, so we adjust conservatively: after the precise
// passes, every 8-byte word of the copied region whose value lies in
// [old.lo, old.hi) is taken for a pointer into the stack and moved. Return
// addresses (text or host addresses) never fall in that range, and neither
// do frame pointers already moved. The risk is an integer that happens to
// equal an address in the old stack; with stacks in the heap arena at
// 0xc000000000 and up, that needs a value of about 2^39 within a window of
// the stack's size. programs/deeprec.s keeps a pointer to a local of an
// outer frame in every frame's arguments across growth, and a pointer to
// its own local across the call that grows, to show both being moved.
//
// funcMaxSPDelta is not available (no pcsp tables): the frame size that
// the assembler settled on for the function at gp.sched.pc (the linked
// image's `frame`) stands in for it when sizing the new stack.
//
// Not modelled: shrinkstack (no GC calls it), preemptPark (preemptStop is
// only set by the GC's suspendG), stack poisoning and stackDebug prints,
// racy channel sudogs (activeStackChans: a goroutine that grows is
// running, so it is not parked on a channel).

import type { HostCall, HostGen } from "./bridge.ts";
import { casgstatus, readgstatus } from "./proc.ts";
import { hex, throw_ } from "./panic.ts";
import {
  _Gcopystack, _Grunning, _Prunning, _StackGuard, g as gT, gobuf as gobufT, m as mT, off, p as pT,
  stackForceMove, stackFork, stackPreempt, sudog as sudogT,
} from "./runtime2.ts";
import type { Sched } from "./sched.ts";
import { gstack, setgstack, stackalloc, stackfree, type stack } from "./stack.ts";

const o = {
  g_stack_lo: off(gT, "stack"),
  g_stackguard0: off(gT, "stackguard0"),
  g_m: off(gT, "m"),
  g_sched: off(gT, "sched"),
  g_syscallsp: off(gT, "syscallsp"),
  g_stktopsp: off(gT, "stktopsp"),
  g_goid: off(gT, "goid"),
  g_preempt: off(gT, "preempt"),
  g_preemptStop: off(gT, "preemptStop"),
  g_preemptShrink: off(gT, "preemptShrink"),
  g_throwsplit: off(gT, "throwsplit"),
  g_waiting: off(gT, "waiting"),
  gobuf_sp: off(gobufT, "sp"),
  gobuf_pc: off(gobufT, "pc"),
  gobuf_g: off(gobufT, "g"),
  gobuf_ctxt: off(gobufT, "ctxt"),
  gobuf_ret: off(gobufT, "ret"),
  gobuf_lr: off(gobufT, "lr"),
  gobuf_bp: off(gobufT, "bp"),
  m_g0: off(mT, "g0"),
  m_morebuf: off(mT, "morebuf"),
  m_curg: off(mT, "curg"),
  m_gsignal: off(mT, "gsignal"),
  m_p: off(mT, "p"),
  m_locks: off(mT, "locks"),
  m_mallocing: off(mT, "mallocing"),
  m_preemptoff: off(mT, "preemptoff"),
  p_status: off(pT, "status"),
  sg_elem: off(sudogT, "elem"),
  sg_waitlink: off(sudogT, "waitlink"),
};

/** Go's maxstacksize on 64-bit (set by runtime.main), and maxstackceiling (twice that). */
export const defaultMaxStack = 1_000_000_000;
const maxstackceiling = 2 * defaultMaxStack;

/** What stack growth has done so far in one machine (for tests, --stats and the debugger). */
export interface NewstackStats {
  /** Calls of newstack (morestack reached it). */
  newstack: number;
  /** Of those, preemption requests acted on (gopreempt_m). */
  preempt: number;
  /** Preemption requests deferred because the M could not be preempted. */
  preemptDeferred: number;
  /** Stacks copied (copystack). */
  copystack: number;
  /** Bytes of used stack copied, in all. */
  bytesCopied: number;
  /** The biggest stack allocated so far, in bytes. */
  maxStackSize: number;
  /** The new size of each copy, in order (the first 64). */
  sizes: number[];
  /** Saved frame pointers moved (the frame-pointer chain). */
  framePointers: number;
  /** Other words moved because they pointed into the old stack (the conservative pass). */
  conservative: number;
  /** Suspended host frames moved with their stack. */
  hostFrames: number;
  /** sudog.elem pointers moved. */
  sudogs: number;
}

/** Per-machine state of stack growth. */
interface NewstackState {
  maxstacksize: number;
  /** The frame size of the function containing pc (the linked image's symbol `frame`), if known. */
  funcFrame: (pc: number) => number | undefined;
  /** Go's stackPoisonCopy debug switch: fill an old stack with 0xfc before freeing it. */
  poisonCopy: boolean;
  stats: NewstackStats;
}

const states = new WeakMap<Sched, NewstackState>();

function stateOf(sched: Sched): NewstackState {
  let st = states.get(sched);
  if (st === undefined) {
    st = {
      maxstacksize: defaultMaxStack,
      funcFrame: () => undefined,
      poisonCopy: false,
      stats: {
        newstack: 0, preempt: 0, preemptDeferred: 0, copystack: 0, bytesCopied: 0, maxStackSize: 0, sizes: [],
        framePointers: 0, conservative: 0, hostFrames: 0, sudogs: 0,
      },
    };
    states.set(sched, st);
  }
  return st;
}

/** Stack growth's counters for the machine whose scheduler is `sched`. */
export function newstackStats(sched: Sched): Readonly<NewstackStats> {
  return stateOf(sched).stats;
}

/**
 * Sets what newstack needs from outside the scheduler: the stack limit
 * (Go's maxstacksize, debug.SetMaxStack; default 1,000,000,000 bytes), the
 * frame size of the function at a pc (from the linked image), and Go's
 * stackPoisonCopy debug switch (off by default, as in Go): with it, a
 * pointer left behind reads 0xfcfc... instead of a stale but plausible value.
 */
export function configureNewstack(
  sched: Sched,
  cfg: { maxStack?: number; funcFrame?: (pc: number) => number | undefined; poisonCopy?: boolean },
): void {
  const st = stateOf(sched);
  if (cfg.maxStack !== undefined) {
    if (!Number.isSafeInteger(cfg.maxStack) || cfg.maxStack <= 0) throw new Error(`maxStack: ${cfg.maxStack} is not a positive integer`);
    st.maxstacksize = cfg.maxStack;
  }
  if (cfg.funcFrame !== undefined) st.funcFrame = cfg.funcFrame;
  if (cfg.poisonCopy !== undefined) st.poisonCopy = cfg.poisonCopy;
}

/** Registers runtime.newstack, the host function morestack calls on g0. */
export function registerNewstack(sched: Sched): void {
  stateOf(sched);
  sched.bridge.define("runtime.newstack", "", (h) => newstack(sched, h));
}

// canPreemptM: whether the goroutine running on mp may be stopped now.
function canPreemptM(sched: Sched, mp: number): boolean {
  const mem = sched.mem;
  const pp = mem.ptr(mp + o.m_p);
  return mem.i32(mp + o.m_locks) === 0 && mem.i32(mp + o.m_mallocing) === 0 &&
    mem.ptr(mp + o.m_preemptoff + 8) === 0 && pp !== 0 && mem.u32(pp + o.p_status) === _Prunning;
}

// newstack: on g0, from morestack. Grows gp's stack or acts on a preemption
// request; ends in gogo or schedule, never returns.
export function* newstack(sched: Sched, h: HostCall): HostGen {
  const rt = sched.rt, mem = sched.mem;
  const st = stateOf(sched);
  st.stats.newstack++;
  const thisg = sched.getg();
  const mp = mem.ptr(thisg + o.g_m);
  if (thisg !== mem.ptr(mp + o.m_g0)) throw_("runtime: newstack not on g0");
  const morebuf = mp + o.m_morebuf;
  const morebufg = mem.ptr(morebuf + o.gobuf_g);
  if (morebufg !== 0 && mem.u64(morebufg + o.g_stackguard0) === stackFork) throw_("stack growth after fork");
  const curg = mem.ptr(mp + o.m_curg);
  if (morebufg !== curg) {
    throw_("runtime: wrong goroutine in newstack",
      `runtime: newstack called from g=${hex(morebufg)}`,
      `\tm=${hex(mp)} m->curg=${hex(curg)} m->g0=${hex(mem.ptr(mp + o.m_g0))} m->gsignal=${hex(mem.ptr(mp + o.m_gsignal))}`);
  }
  const gp = curg;
  if (mem.u8(gp + o.g_throwsplit) !== 0) {
    throw_("runtime: stack split at bad time",
      `runtime: newstack sp=${hex(mem.ptr(gp + o.g_sched + o.gobuf_sp))} stack=[${hex(mem.ptr(gp + o.g_stack_lo))}, ${hex(mem.ptr(gp + o.g_stack_lo + 8))}]`,
      `\tmorebuf={pc:${hex(mem.ptr(morebuf + o.gobuf_pc))} sp:${hex(mem.ptr(morebuf + o.gobuf_sp))} lr:${hex(mem.ptr(morebuf + o.gobuf_lr))}}`,
      `\tsched={pc:${hex(mem.ptr(gp + o.g_sched + o.gobuf_pc))} sp:${hex(mem.ptr(gp + o.g_sched + o.gobuf_sp))} lr:${hex(mem.ptr(gp + o.g_sched + o.gobuf_lr))} ctxt:${hex(mem.ptr(gp + o.g_sched + o.gobuf_ctxt))}}`);
  }
  // morebuf has served (it is for tracebacks of the failure); clear it.
  mem.setPtr(morebuf + o.gobuf_pc, 0);
  mem.setPtr(morebuf + o.gobuf_lr, 0);
  mem.setPtr(morebuf + o.gobuf_sp, 0);
  mem.setPtr(morebuf + o.gobuf_g, 0);

  const stackguard0 = mem.u64(gp + o.g_stackguard0);
  const preempt = stackguard0 === stackPreempt;
  const stk = gstack(rt, gp);
  if (preempt && !canPreemptM(sched, mp)) {
    // Not now: let it run on; gp.preempt is still set for the next check-in.
    st.stats.preemptDeferred++;
    mem.setPtr(gp + o.g_stackguard0, stk.lo + _StackGuard);
    yield h.jump("runtime.gogo", "p", [BigInt(gp + o.g_sched)]);
    throw_("newstack: gogo returned");
  }
  if (stk.lo === 0) throw_("missing stack in newstack");
  // The CALL to morestack cost a word below the function's SP.
  const sp = mem.ptr(gp + o.g_sched + o.gobuf_sp) - 8;
  if (sp < stk.lo) {
    throw_("runtime: split stack overflow",
      `runtime: gp=${hex(gp)}, goid=${mem.int(gp + o.g_goid)}, gp->status=${hex(readgstatus(rt, gp))}`,
      ` runtime: split stack overflow: ${hex(sp)} < ${hex(stk.lo)}`);
  }

  if (preempt) {
    if (gp === mem.ptr(mp + o.m_g0)) throw_("runtime: preempt g0");
    if (mem.ptr(mp + o.m_p) === 0 && mem.i32(mp + o.m_locks) === 0) throw_("runtime: g is running but p is not set");
    // shrinkstack is the GC's; without one nothing sets preemptShrink.
    mem.setU8(gp + o.g_preemptShrink, 0);
    if (mem.u8(gp + o.g_preemptStop) !== 0) throw_("newstack: preemptStop set, but preemptPark is not modelled (no GC to suspend goroutines)");
    // gopreempt_m: as if gp had called Gosched. The request is consumed
    // here (execute would reset both again when gp next runs).
    st.stats.preempt++;
    mem.setPtr(gp + o.g_stackguard0, stk.lo + _StackGuard);
    mem.setU8(gp + o.g_preempt, 0);
    yield* sched.gopreempt_m(gp, h);
    throw_("newstack: gopreempt_m returned");
  }

  // Grow: twice the size, and more until the failing function's frame fits
  // with _StackGuard to spare above the part already used.
  const oldsize = stk.hi - stk.lo;
  let newsize = oldsize * 2;
  const frame = st.funcFrame(mem.ptr(gp + o.g_sched + o.gobuf_pc));
  if (frame !== undefined) {
    const needed = frame + _StackGuard;
    const used = stk.hi - mem.ptr(gp + o.g_sched + o.gobuf_sp);
    while (newsize - used < needed) newsize *= 2;
  }
  if (stackguard0 === stackForceMove) newsize = oldsize; // a debug mode of Go's: move without growing
  if (newsize > st.maxstacksize || newsize > maxstackceiling) {
    const limit = st.maxstacksize < maxstackceiling ? st.maxstacksize : maxstackceiling;
    throw_("stack overflow",
      `runtime: goroutine stack exceeds ${limit}-byte limit`,
      `runtime: sp=${hex(sp)} stack=[${hex(stk.lo)}, ${hex(stk.hi)}]`);
  }
  casgstatus(rt, gp, _Grunning, _Gcopystack);
  copystack(sched, gp, newsize);
  casgstatus(rt, gp, _Gcopystack, _Grunning);
  yield h.jump("runtime.gogo", "p", [BigInt(gp + o.g_sched)]);
  throw_("newstack: gogo returned");
}

// copystack: moves gp's stack to a new one of newsize bytes, adjusting
// every pointer into the old one (see the top of the file), and frees the old.
export function copystack(sched: Sched, gp: number, newsize: number): void {
  const rt = sched.rt, mem = sched.mem;
  const st = stateOf(sched);
  if (mem.ptr(gp + o.g_syscallsp) !== 0) throw_("stack growth not allowed in system call");
  const old = gstack(rt, gp);
  if (old.lo === 0) throw_("nil stackbase");
  const schedsp = mem.ptr(gp + o.g_sched + o.gobuf_sp);
  if (schedsp < old.lo || schedsp > old.hi) {
    throw_("copystack: sched.sp outside the stack", `runtime: copystack: sp=${hex(schedsp)} stack=[${hex(old.lo)}, ${hex(old.hi)}]`);
  }
  const used = old.hi - schedsp;
  const nw: stack = stackalloc(rt, newsize);
  const delta = nw.hi - old.hi;
  const inOld = (p: number): boolean => p >= old.lo && p < old.hi;

  // The used part, read once; the pointer passes work on this copy (in the
  // old stack's coordinates) and it is written to the new stack at the end.
  const buf = mem.bytes(schedsp, used);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const word = (addr: number): number => {
    const i = addr - schedsp;
    return dv.getUint32(i + 4, true) * 0x1_0000_0000 + dv.getUint32(i, true);
  };
  const setWord = (addr: number, v: number): void => {
    const i = addr - schedsp;
    dv.setUint32(i, v % 0x1_0000_0000, true);
    dv.setUint32(i + 4, Math.floor(v / 0x1_0000_0000), true);
  };
  const moved = new Set<number>();

  // adjustsudogs: channel operations in flight point at stack slots.
  for (let sg = mem.ptr(gp + o.g_waiting); sg !== 0; sg = mem.ptr(sg + o.sg_waitlink)) {
    const elem = mem.ptr(sg + o.sg_elem);
    if (inOld(elem)) {
      mem.setPtr(sg + o.sg_elem, elem + delta);
      st.stats.sudogs++;
    }
  }

  // adjustctxt: the gobuf's pointers.
  const sched_ = gp + o.g_sched;
  const ctxt = mem.ptr(sched_ + o.gobuf_ctxt);
  if (inOld(ctxt)) mem.setPtr(sched_ + o.gobuf_ctxt, ctxt + delta);
  const bp0 = mem.ptr(sched_ + o.gobuf_bp);
  if (bp0 !== 0 && inOld(bp0)) mem.setPtr(sched_ + o.gobuf_bp, bp0 + delta);

  // adjustframe's saved frame pointers: walk the chain from sched.bp. Each
  // BP points at its frame's saved-BP slot, which holds the caller's BP.
  let fpslots = 0;
  for (let bp = bp0; bp >= schedsp && bp + 8 <= old.hi && bp % 8 === 0; ) {
    const saved = word(bp);
    if (!inOld(saved)) break; // the outermost frame (0) or a frame not on this stack
    if (saved <= bp) throw_("copystack: frame-pointer chain goes down the stack", `runtime: copystack: bp=${hex(bp)} saved bp=${hex(saved)}`);
    setWord(bp, saved + delta);
    moved.add(bp);
    fpslots++;
    bp = saved;
  }

  // adjustpointers, conservatively: any other word that looks like a pointer into the old stack.
  let cons = 0;
  for (let a = Math.ceil(schedsp / 8) * 8; a + 8 <= old.hi; a += 8) {
    if (moved.has(a)) continue;
    const v = word(a);
    if (inOld(v)) {
      setWord(a, v + delta);
      cons++;
    }
  }

  mem.setBytes(nw.hi - used, buf);

  // Host frames suspended on this stack (runtime.main waiting on main.main).
  const hostFrames = sched.bridge.moveFrames(old.lo, old.hi, delta);

  setgstack(rt, gp, nw);
  // The new guard, unless a preemption request is pending (Go's copystack
  // clobbers it; a pending request would then wait for the next one).
  if (mem.u64(gp + o.g_stackguard0) !== stackPreempt) mem.setPtr(gp + o.g_stackguard0, nw.lo + _StackGuard);
  mem.setPtr(sched_ + o.gobuf_sp, nw.hi - used);
  const stktop = mem.ptr(gp + o.g_stktopsp);
  if (inOld(stktop)) mem.setPtr(gp + o.g_stktopsp, stktop + delta);

  if (st.poisonCopy) mem.setBytes(old.lo, new Uint8Array(old.hi - old.lo).fill(0xfc));
  stackfree(rt, old);

  const s = st.stats;
  s.copystack++;
  s.bytesCopied += used;
  s.maxStackSize = Math.max(s.maxStackSize, newsize);
  if (s.sizes.length < 64) s.sizes.push(newsize);
  s.framePointers += fpslots;
  s.conservative += cons;
  s.hostFrames += hostFrames;
}
