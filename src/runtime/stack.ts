// Stack growth (stack.go): newstack and copystack.
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
//   suspended host frames                 a generator's frame on this stack
//                                         (runtime.main waiting for main.main
//                                         to return) moves with it
//                                         (Bridge.moveFrames); a resume
//                                         point's frame is found from SP
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

import type { HostResult, HostTable } from "./bridge.ts";
import { casgstatus, readgstatus } from "./gstatus.ts";
import {
  g_goid, g_m, g_preempt, g_preemptShrink, g_preemptStop, g_sched, g_stack_hi, g_stack_lo, g_stackguard0, g_stktopsp,
  g_syscallsp, g_throwsplit, g_waiting, gobuf_bp, gobuf_ctxt, gobuf_g, gobuf_lr, gobuf_pc, gobuf_sp, m_curg, m_g0,
  m_gsignal, m_locks, m_morebuf, m_p, sudog_elem, sudog_waitlink,
} from "./offsets.ts";
import { SIG_P } from "./os_linux.ts";
import { hex, throw_ } from "./panic.ts";
import { canPreemptM } from "./preempt.ts";
import { gopreempt_m } from "./proc.ts";
import type { H, Runtime } from "./rt.ts";
import { _Gcopystack, _Grunning, _StackGuard, stackForceMove, stackFork, stackPreempt } from "./runtime2.ts";
import { gstack, setgstack, stackalloc, stackfree, type stack } from "./stackalloc.ts";

/** Go's maxstackceiling: twice the default maxstacksize. */
const maxstackceiling = 2_000_000_000;

// newstack: on g0, from morestack. Grows gp's stack or acts on a preemption
// request; ends in gogo or schedule, never returns.
function newstack(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const st = rt.stats.newstack;
  st.newstack++;
  const thisg = rt.getg();
  const mp = mem.ptr(thisg + g_m);
  if (thisg !== mem.ptr(mp + m_g0)) throw_("runtime: newstack not on g0");
  const morebuf = mp + m_morebuf;
  const morebufg = mem.ptr(morebuf + gobuf_g);
  if (morebufg !== 0 && mem.u64(morebufg + g_stackguard0) === stackFork) throw_("stack growth after fork");
  const curg = mem.ptr(mp + m_curg);
  if (morebufg !== curg) {
    throw_("runtime: wrong goroutine in newstack",
      `runtime: newstack called from g=${hex(morebufg)}`,
      `\tm=${hex(mp)} m->curg=${hex(curg)} m->g0=${hex(mem.ptr(mp + m_g0))} m->gsignal=${hex(mem.ptr(mp + m_gsignal))}`);
  }
  const gp = curg;
  if (mem.u8(gp + g_throwsplit) !== 0) {
    throw_("runtime: stack split at bad time",
      `runtime: newstack sp=${hex(mem.ptr(gp + g_sched + gobuf_sp))} stack=[${hex(mem.ptr(gp + g_stack_lo))}, ${hex(mem.ptr(gp + g_stack_hi))}]`,
      `\tmorebuf={pc:${hex(mem.ptr(morebuf + gobuf_pc))} sp:${hex(mem.ptr(morebuf + gobuf_sp))} lr:${hex(mem.ptr(morebuf + gobuf_lr))}}`,
      `\tsched={pc:${hex(mem.ptr(gp + g_sched + gobuf_pc))} sp:${hex(mem.ptr(gp + g_sched + gobuf_sp))} lr:${hex(mem.ptr(gp + g_sched + gobuf_lr))} ctxt:${hex(mem.ptr(gp + g_sched + gobuf_ctxt))}}`);
  }
  // morebuf has served (it is for tracebacks of the failure); clear it.
  mem.setPtr(morebuf + gobuf_pc, 0);
  mem.setPtr(morebuf + gobuf_lr, 0);
  mem.setPtr(morebuf + gobuf_sp, 0);
  mem.setPtr(morebuf + gobuf_g, 0);

  const stackguard0 = mem.u64(gp + g_stackguard0);
  const preempt = stackguard0 === stackPreempt;
  const lo = mem.ptr(gp + g_stack_lo), hi = mem.ptr(gp + g_stack_hi);
  if (preempt && !canPreemptM(rt, mp)) {
    // Not now: let it run on; gp.preempt is still set for the next check-in.
    st.preemptDeferred++;
    mem.setPtr(gp + g_stackguard0, lo + _StackGuard);
    return h.jump(rt.asm.gogo, SIG_P, gp + g_sched);
  }
  if (lo === 0) throw_("missing stack in newstack");
  // The CALL to morestack cost a word below the function's SP.
  const sp = mem.ptr(gp + g_sched + gobuf_sp) - 8;
  if (sp < lo) {
    throw_("runtime: split stack overflow",
      `runtime: gp=${hex(gp)}, goid=${mem.int(gp + g_goid)}, gp->status=${hex(readgstatus(rt, gp))}`,
      ` runtime: split stack overflow: ${hex(sp)} < ${hex(lo)}`);
  }

  if (preempt) {
    if (gp === mem.ptr(mp + m_g0)) throw_("runtime: preempt g0");
    if (mem.ptr(mp + m_p) === 0 && mem.i32(mp + m_locks) === 0) throw_("runtime: g is running but p is not set");
    // shrinkstack is the GC's; without one nothing sets preemptShrink.
    mem.setU8(gp + g_preemptShrink, 0);
    if (mem.u8(gp + g_preemptStop) !== 0) throw_("newstack: preemptStop set, but preemptPark is not modelled (no GC to suspend goroutines)");
    // gopreempt_m: as if gp had called Gosched. The request is consumed
    // here (execute would reset both again when gp next runs).
    st.preempt++;
    mem.setPtr(gp + g_stackguard0, lo + _StackGuard);
    mem.setU8(gp + g_preempt, 0);
    return gopreempt_m(rt, h, gp);
  }

  // Grow: twice the size, and more until the failing function's frame fits
  // with _StackGuard to spare above the part already used.
  const oldsize = hi - lo;
  let newsize = oldsize * 2;
  const frame = rt.image.symAt(mem.ptr(gp + g_sched + gobuf_pc))?.frame;
  if (frame !== undefined) {
    const needed = frame + _StackGuard;
    const used = hi - mem.ptr(gp + g_sched + gobuf_sp);
    while (newsize - used < needed) newsize *= 2;
  }
  if (stackguard0 === stackForceMove) newsize = oldsize; // a debug mode of Go's: move without growing
  if (newsize > rt.maxstacksize || newsize > maxstackceiling) {
    const limit = rt.maxstacksize < maxstackceiling ? rt.maxstacksize : maxstackceiling;
    throw_("stack overflow",
      `runtime: goroutine stack exceeds ${limit}-byte limit`,
      `runtime: sp=${hex(sp)} stack=[${hex(lo)}, ${hex(hi)}]`);
  }
  casgstatus(rt, gp, _Grunning, _Gcopystack);
  copystack(rt, gp, newsize);
  casgstatus(rt, gp, _Gcopystack, _Grunning);
  return h.jump(rt.asm.gogo, SIG_P, gp + g_sched);
}

// copystack: moves gp's stack to a new one of newsize bytes, adjusting
// every pointer into the old one (see above), and frees the old.
export function copystack(rt: Runtime, gp: number, newsize: number): void {
  const mem = rt.mem;
  const st = rt.stats.newstack;
  if (mem.ptr(gp + g_syscallsp) !== 0) throw_("stack growth not allowed in system call");
  const old = gstack(rt, gp);
  if (old.lo === 0) throw_("nil stackbase");
  const schedsp = mem.ptr(gp + g_sched + gobuf_sp);
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
  for (let sg = mem.ptr(gp + g_waiting); sg !== 0; sg = mem.ptr(sg + sudog_waitlink)) {
    const elem = mem.ptr(sg + sudog_elem);
    if (inOld(elem)) {
      mem.setPtr(sg + sudog_elem, elem + delta);
      st.sudogs++;
    }
  }

  // adjustctxt: the gobuf's pointers.
  const sched_ = gp + g_sched;
  const ctxt = mem.ptr(sched_ + gobuf_ctxt);
  if (inOld(ctxt)) mem.setPtr(sched_ + gobuf_ctxt, ctxt + delta);
  const bp0 = mem.ptr(sched_ + gobuf_bp);
  if (bp0 !== 0 && inOld(bp0)) mem.setPtr(sched_ + gobuf_bp, bp0 + delta);

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

  // Generators of host functions suspended on this stack (runtime.main waiting on main.main).
  const hostFrames = rt.bridge.moveFrames(old.lo, old.hi, delta);

  setgstack(rt, gp, nw);
  // The new guard, unless a preemption request is pending (Go's copystack
  // clobbers it; a pending request would then wait for the next one).
  if (mem.u64(gp + g_stackguard0) !== stackPreempt) mem.setPtr(gp + g_stackguard0, nw.lo + _StackGuard);
  mem.setPtr(sched_ + gobuf_sp, nw.hi - used);
  const stktop = mem.ptr(gp + g_stktopsp);
  if (inOld(stktop)) mem.setPtr(gp + g_stktopsp, stktop + delta);

  if (rt.opts.poisonCopy) mem.setBytes(old.lo, new Uint8Array(old.hi - old.lo).fill(0xfc));
  stackfree(rt, old);

  st.copystack++;
  st.bytesCopied += used;
  st.maxStackSize = Math.max(st.maxStackSize, newsize);
  if (st.sizes.length < 64) st.sizes.push(newsize);
  st.framePointers += fpslots;
  st.conservative += cons;
  st.hostFrames += hostFrames;
}

/** Declares runtime.newstack, the host function morestack calls on g0. */
export function register(t: HostTable<Runtime>): void {
  t.define("runtime.newstack", "", newstack);
}
