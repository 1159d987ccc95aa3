// System calls: entersyscall and exitsyscall (proc.go), around the SYSCALL
// instruction of syscall·Syscall (asm/syscall_linux_amd64.s).
//
// A goroutine about to block in the kernel keeps its M (the thread is the
// one that blocks) but lets go of its P without giving it away:
// entersyscall records where the goroutine stands (g.sched, syscallsp,
// syscallpc), moves it to _Gsyscall, and leaves the P in _Psyscall with no
// M. Nothing else happens at once; a short call comes back and takes the
// same P again (exitsyscallfast), at the cost of two status changes. A long
// one is sysmon's business: retake sees a P whose syscalltick has not moved
// for a round and that has work, or no spinning M to look for work, and
// hands it off (handoffp → startm), so other goroutines run while the
// thread sleeps in the kernel. When the call returns, exitsyscall tries
// the old P, then any idle P; failing both, exitsyscall0 on g0 makes the
// goroutine runnable on the global queue and stops the M.
//
// Here the blocking call is a real system call of the emulated kernel
// (nanosleep on the virtual clock, futex), so the time it blocks is
// virtual time and the handoff happens at the same virtual moment on
// every run with the same seed.

import type { HostCall, HostGen } from "./bridge.ts";
import { lock, unlock } from "./lock_futex.ts";
import { throw_ } from "./panic.ts";
import { casgstatus, globrunqput } from "./proc.ts";
import type { Sched } from "./sched.ts";
import {
  g as gT, m as mT, off, p as pT, schedt, stack as stackT, _Grunnable, _Grunning, _Gsyscall, _Pidle,
  _Psyscall, _StackGuard, stackPreempt,
} from "./runtime2.ts";

const o = {
  g_m: off(gT, "m"),
  g_sched_pc: off(gT, "sched") + 0,
  g_sched_sp: off(gT, "sched") + 8,
  g_syscallsp: off(gT, "syscallsp"),
  g_syscallpc: off(gT, "syscallpc"),
  g_stackguard0: off(gT, "stackguard0"),
  g_stack_lo: off(gT, "stack") + off(stackT, "lo"),
  g_throwsplit: off(gT, "throwsplit"),
  g_preempt: off(gT, "preempt"),
  g_waitsince: off(gT, "waitsince"),
  m_p: off(mT, "p"),
  m_oldp: off(mT, "oldp"),
  m_locks: off(mT, "locks"),
  m_syscalltick: off(mT, "syscalltick"),
  p_m: off(pT, "m"),
  p_status: off(pT, "status"),
  p_syscalltick: off(pT, "syscalltick"),
  s_lock: off(schedt, "lock"),
  s_pidle: off(schedt, "pidle"),
  s_sysmonwait: off(schedt, "sysmonwait"),
  s_sysmonnote: off(schedt, "sysmonnote"),
};

export interface SyscallStats {
  /** entersyscall calls. */
  enters: number;
  /** Calls that came back to their own P (exitsyscallfast). */
  fast: number;
  /** Calls that came back to another idle P. */
  fastIdle: number;
  /** Calls that found no P: exitsyscall0 queued the goroutine. */
  slow: number;
}

export function registerSyscalls(s: Sched): SyscallStats {
  const stats: SyscallStats = { enters: 0, fast: 0, fastIdle: 0, slow: 0 };
  const b = s.bridge;
  const mem = () => s.rt.mem;

  // If sysmon sleeps because every P was idle, wake it: a P in a system
  // call is one it must watch.
  function* wakeSysmon(h: HostCall): HostGen {
    const m = mem(), sched = s.rt.sched;
    if (m.u32(sched + o.s_sysmonwait) !== 0) {
      m.setU32(sched + o.s_sysmonwait, 0);
      yield* s.notewakeup(sched + o.s_sysmonnote, h);
    }
  }

  // entersyscall (reentersyscall with the caller's pc and sp).
  b.define("runtime.entersyscall", "", function* (h) {
    const m = mem();
    const gp = s.getg();
    const mp = m.ptr(gp + o.g_m);
    stats.enters++;
    m.setI32(mp + o.m_locks, m.i32(mp + o.m_locks) + 1);
    // Any stack check fails from here on: nothing may grow the stack now.
    m.setU64(gp + o.g_stackguard0, stackPreempt);
    m.setU8(gp + o.g_throwsplit, 1);
    const pc = h.pc, sp = h.sp + 8;
    m.setPtr(gp + o.g_sched_pc, pc);
    m.setPtr(gp + o.g_sched_sp, sp);
    m.setPtr(gp + o.g_syscallsp, sp);
    m.setPtr(gp + o.g_syscallpc, pc);
    casgstatus(s.rt, gp, _Grunning, _Gsyscall);
    s.emit("syscall", gp, undefined, m.int(gp + off(gT, "goid")));
    yield* wakeSysmon(h);
    const pp = m.ptr(mp + o.m_p);
    m.setU32(mp + o.m_syscalltick, m.u32(pp + o.p_syscalltick));
    m.setPtr(pp + o.p_m, 0);
    m.setPtr(mp + o.m_oldp, pp);
    m.setPtr(mp + o.m_p, 0);
    m.setU32(pp + o.p_status, _Psyscall);
    m.setI32(mp + o.m_locks, m.i32(mp + o.m_locks) - 1);
  });

  // exitsyscall: back from the kernel; a P again, or wait for one.
  b.define("runtime.exitsyscall", "", function* (h) {
    const m = mem();
    const gp = s.getg();
    const mp = m.ptr(gp + o.g_m);
    m.setI32(mp + o.m_locks, m.i32(mp + o.m_locks) + 1);
    if (h.sp + 8 > m.ptr(gp + o.g_syscallsp)) throw_("exitsyscall: syscall frame is no longer valid");
    m.setU64(gp + o.g_waitsince, 0n);
    s.emit("sysexit", gp, undefined, m.int(gp + off(gT, "goid")));
    const oldp = m.ptr(mp + o.m_oldp);
    m.setPtr(mp + o.m_oldp, 0);
    const fast = yield* exitsyscallfast(oldp, h);
    if (fast) {
      const pp = m.ptr(mp + o.m_p);
      m.setU32(pp + o.p_syscalltick, m.u32(pp + o.p_syscalltick) + 1);
      casgstatus(s.rt, gp, _Gsyscall, _Grunning);
      m.setPtr(gp + o.g_syscallsp, 0);
      m.setI32(mp + o.m_locks, m.i32(mp + o.m_locks) - 1);
      m.setU64(gp + o.g_stackguard0, m.u8(gp + o.g_preempt) ? stackPreempt : BigInt(m.ptr(gp + o.g_stack_lo) + _StackGuard));
      m.setU8(gp + o.g_throwsplit, 0);
      return;
    }
    m.setI32(mp + o.m_locks, m.i32(mp + o.m_locks) - 1);
    stats.slow++;
    yield h.call("runtime.mcall", "p", [0n], { 0: BigInt(s.funcval("runtime.exitsyscall0")) });
    // Scheduled again by execute, with a P.
    const gp2 = s.getg();
    m.setPtr(gp2 + o.g_syscallsp, 0);
    const pp = m.ptr(m.ptr(gp2 + o.g_m) + o.m_p);
    m.setU32(pp + o.p_syscalltick, m.u32(pp + o.p_syscalltick) + 1);
    m.setU8(gp2 + o.g_throwsplit, 0);
  });

  // exitsyscallfast: the old P if sysmon left it, else any idle P.
  function* exitsyscallfast(oldp: number, h: HostCall): Generator<ReturnType<HostCall["call"]>, boolean, readonly bigint[]> {
    const m = mem();
    if (oldp !== 0 && m.u32(oldp + o.p_status) === _Psyscall) {
      m.setU32(oldp + o.p_status, _Pidle);
      s.acquirep(oldp); // wirep
      stats.fast++;
      return true;
    }
    if (m.ptr(s.rt.sched + o.s_pidle) !== 0) {
      lock(s.rt, s.rt.sched + o.s_lock);
      const pp = s.pidleget();
      if (pp !== 0) yield* wakeSysmon(h);
      unlock(s.rt, s.rt.sched + o.s_lock);
      if (pp !== 0) {
        s.acquirep(pp);
        stats.fastIdle++;
        return true;
      }
    }
    return false;
  }

  // exitsyscall0 (on g0): no P to be had; queue gp and stop this M.
  b.define("runtime.exitsyscall0", "p", function* (h) {
    const gp = Number(h.args[0]);
    casgstatus(s.rt, gp, _Gsyscall, _Grunnable);
    s.dropg();
    lock(s.rt, s.rt.sched + o.s_lock);
    const pp = s.pidleget();
    if (pp === 0) globrunqput(s.rt, gp);
    else yield* wakeSysmon(h);
    unlock(s.rt, s.rt.sched + o.s_lock);
    if (pp !== 0) {
      s.acquirep(pp);
      yield* s.execute(gp, false, h);
      return;
    }
    yield* s.stopm(h);
    yield* s.schedule(h);
  });

  return stats;
}
