// Signals (signal_unix.go, os_linux.go): installing the handler, and what
// it does with SIGURG, the preemption signal.
//
// initsig (on m0) installs sigtramp for SIGURG with SA_ONSTACK, so that it
// runs on the M's gsignal stack, which minitSignalStack makes each M's
// sigaltstack. preemptM sends SIGURG to an M's thread with tgkill (one
// signal in flight per M: m.signalPending). The kernel (src/os/signal.ts)
// delivers it at an instruction boundary with Linux's rt_sigframe; sigtramp
// (asm) calls sigtrampgo, here, which is Go's sighandler cut down to the one
// signal installed: doSigPreempt. If the goroutine wants preempting and is
// at an async safe point (preempt.ts), pushCall edits the saved context so
// that rt_sigreturn resumes it in asyncPreempt with the interrupted PC as
// its return address.
//
// Left out, and said so: sighandler's other signals (only SIGURG is
// installed); the switch to gsignal inside sigtrampgo (the host function
// runs atomically, so no instruction can observe which g is current).

import type { Thread } from "../os/kernel.ts";
import { SA_ONSTACK, SA_RESTORER, SA_SIGINFO, SIGURG } from "../os/signal.ts";
import type { HostGen, HostTable } from "./bridge.ts";
import { emit } from "./events.ts";
import {
  g_m, g_preempt, g_stack_hi, g_stack_lo, g_stackguard0, m_curg, m_gsignal, m_p, m_preemptGen, m_procid,
  m_signalPending, p_preempt, sigactiont__size, sigactiont_sa_flags, sigactiont_sa_handler, sigactiont_sa_mask,
  sigactiont_sa_restorer, sigcontext_rip, sigcontext_rsp, stackt__size, stackt_ss_flags, stackt_ss_size, stackt_ss_sp,
  ucontext_uc_mcontext,
} from "./offsets.ts";
import { SIG_GETPID, SIG_SIGACTION, SIG_SIGALTSTACK, SIG_TGKILL } from "./os_linux.ts";
import { throw_ } from "./panic.ts";
import { asyncSafePoint } from "./preempt.ts";
import { readgstatus } from "./gstatus.ts";
import type { H, Runtime } from "./rt.ts";
import { _Grunning, _Gscan, stackPreempt } from "./runtime2.ts";

const SA_RESTART = 0x10000000;

// initsig (on m0): installs sigtramp for SIGURG, with SA_ONSTACK so that it
// runs on gsignal's stack, and sigreturn__sigaction as the restorer.
export function* initsig(rt: Runtime, h: H): HostGen<void> {
  const mem = rt.mem;
  const sa = h.scratch(sigactiont__size);
  mem.setPtr(sa + sigactiont_sa_handler, rt.asm.sigtramp);
  mem.setU64(sa + sigactiont_sa_flags, BigInt(SA_SIGINFO | SA_ONSTACK | SA_RESTORER | SA_RESTART));
  mem.setPtr(sa + sigactiont_sa_restorer, rt.asm.sigreturn__sigaction);
  mem.setU64(sa + sigactiont_sa_mask, 0xffffffffffffffffn);
  yield h.call(rt.asm.rt_sigaction, SIG_SIGACTION, SIGURG, sa, 0, 8);
  if (h.result(0) !== 0) throw_("initsig: rt_sigaction failed");
}

// minitSignalStack: the M's gsignal stack becomes its sigaltstack.
export function* minitSignalStack(rt: Runtime, h: H, mp: number): HostGen<void> {
  const mem = rt.mem;
  const gsignal = mem.ptr(mp + m_gsignal);
  if (gsignal === 0) return;
  const st = h.scratch(stackt__size);
  const lo = mem.ptr(gsignal + g_stack_lo), hi = mem.ptr(gsignal + g_stack_hi);
  mem.setPtr(st + stackt_ss_sp, lo);
  mem.setI32(st + stackt_ss_flags, 0);
  mem.setPtr(st + stackt_ss_size, hi - lo);
  yield h.call(rt.asm.sigaltstack, SIG_SIGALTSTACK, st, 0);
}

/**
 * What both ways of asking a goroutine to stop start with (preemptone's
 * and --preempt-every's): the cooperative request (gp.preempt,
 * stackguard0 = stackPreempt), then, unless async preemption is off,
 * p.preempt and preemptM's one signal in flight per M (signalPending). True
 * when the caller must send the signal.
 */
export function preemptRequest(rt: Runtime, pp: number, mp: number, gp: number): boolean {
  const mem = rt.mem;
  rt.stats.preempt.requests++;
  mem.setU8(gp + g_preempt, 1);
  mem.setU64(gp + g_stackguard0, stackPreempt);
  if (rt.opts.asyncpreemptoff) return false;
  mem.setU8(pp + p_preempt, 1);
  if (mem.u32(mp + m_signalPending) !== 0) return false;
  mem.setU32(mp + m_signalPending, 1);
  rt.stats.preempt.signals++;
  return true;
}

// signalM: tgkill(getpid(), mp.procid, SIGURG).
export function* signalM(rt: Runtime, h: H, mp: number): HostGen<void> {
  yield h.call(rt.asm.getpid, SIG_GETPID);
  const pid = h.result(0);
  yield h.call(rt.asm.tgkill, SIG_TGKILL, pid, rt.mem.ptr(mp + m_procid), SIGURG);
}

/**
 * --preempt-every N: the kernel's tick on thread t. A lab's forced
 * preemption: the request for the P of the M running there, with the
 * signal raised directly (no sysmon round, no tgkill).
 */
export function forcePreempt(rt: Runtime, t: Thread): void {
  const mem = rt.mem;
  const mp = rt.allm.find((m) => mem.ptr(m + m_procid) === t.tid);
  if (mp === undefined) return;
  const pp = mem.ptr(mp + m_p);
  const gp = mem.ptr(mp + m_curg);
  if (pp === 0 || gp === 0) return;
  if (preemptRequest(rt, pp, mp, gp)) rt.kernel.raise(t, SIGURG);
}

// sigtrampgo + sighandler: only SIGURG is installed, so this is doSigPreempt.
function sigtrampgo(rt: Runtime, sig: number, ctx: number): void {
  const gp = rt.getg();
  if (gp === 0) return; // badsignal: a thread with no g (none here)
  if (sig !== SIGURG || rt.opts.asyncpreemptoff) return;
  doSigPreempt(rt, gp, ctx);
}

// doSigPreempt: preempt gp at the context's PC if it asked and may be.
function doSigPreempt(rt: Runtime, gp: number, ctx: number): void {
  const mem = rt.mem;
  const mctx = ctx + ucontext_uc_mcontext;
  const pc = mem.ptr(mctx + sigcontext_rip), sp = mem.ptr(mctx + sigcontext_rsp);
  const ok = wantAsyncPreempt(rt, gp) ? asyncSafePoint(rt, gp, pc, sp) : { reason: "no preemption requested", pc };
  const reason = ok.reason;
  if (reason === "") {
    // pushCall(asyncPreempt, newpc): as if the goroutine had called it
    // here (or, in compiled code, at the start of a restartable sequence).
    const nsp = sp - 8;
    mem.setPtr(nsp, ok.pc);
    mem.setPtr(mctx + sigcontext_rsp, nsp);
    mem.setPtr(mctx + sigcontext_rip, rt.asm.asyncPreempt);
    rt.stats.preempt.taken++;
    emit(rt, "signal", gp, "asyncPreempt");
  } else {
    const refused = rt.stats.preempt.refused;
    refused.set(reason, (refused.get(reason) ?? 0) + 1);
  }
  rt.onDecision?.(gp, reason === "", reason, pc, sp);
  const mp = mem.ptr(gp + g_m);
  if (mp !== 0) {
    mem.setU32(mp + m_preemptGen, mem.u32(mp + m_preemptGen) + 1);
    mem.setU32(mp + m_signalPending, 0);
  }
}

// wantAsyncPreempt: the goroutine (or its P) was asked to stop, and it runs.
function wantAsyncPreempt(rt: Runtime, gp: number): boolean {
  const mem = rt.mem;
  const mp = mem.ptr(gp + g_m);
  const pp = mp !== 0 ? mem.ptr(mp + m_p) : 0;
  const asked = mem.u8(gp + g_preempt) !== 0 || (pp !== 0 && mem.u8(pp + p_preempt) !== 0);
  return asked && (readgstatus(rt, gp) & ~_Gscan) === _Grunning;
}

export function register(t: HostTable<Runtime>): void {
  t.define("runtime.sigtrampgo", "i p p", (rt, h) => { sigtrampgo(rt, h.arg(0), h.arg(2)); });
}
