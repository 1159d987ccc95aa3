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

import { RAX } from "../x86/regs.ts";
import { finish, type HostGen, type HostResult, type HostTable } from "./bridge.ts";
import { emit } from "./events.ts";
import { lock, notewakeup, unlock } from "./lock_futex.ts";
import {
  g_goid, g_m, g_preempt, g_sched, g_stack_lo, g_stackguard0, g_syscallpc, g_syscallsp, g_throwsplit,
  g_waitsince, gobuf_pc, gobuf_sp, m_locks, m_oldp, m_p, m_syscalltick, p_m, p_status, p_syscalltick, schedt_lock,
  schedt_pidle, schedt_sysmonnote, schedt_sysmonwait,
} from "./offsets.ts";
import { SIG_P } from "./os_linux.ts";
import { throw_ } from "./panic.ts";
import { casgstatus } from "./gstatus.ts";
import { acquirep, dropg, execute, pidleget, schedule, stopm } from "./proc.ts";
import type { H, Runtime } from "./rt.ts";
import { globrunqput } from "./runq.ts";
import { _Grunnable, _Grunning, _Gsyscall, _Pidle, _Psyscall, _StackGuard, stackPreempt } from "./runtime2.ts";

// If sysmon sleeps because every P was idle, wake it: a P in a system call
// is one it must watch. Undefined when it is awake.
function wakeSysmon(rt: Runtime, h: H): HostGen<void> | undefined {
  const mem = rt.mem, s = rt.sched;
  if (mem.u32(s + schedt_sysmonwait) === 0) return undefined;
  mem.setU32(s + schedt_sysmonwait, 0);
  return notewakeup(rt, h, s + schedt_sysmonnote);
}

// entersyscall (reentersyscall with the caller's pc and sp).
function entersyscall(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const gp = rt.getg();
  const mp = mem.ptr(gp + g_m);
  rt.stats.syscalls.enters++;
  mem.setI32(mp + m_locks, mem.i32(mp + m_locks) + 1);
  // Any stack check fails from here on: nothing may grow the stack now.
  mem.setU64(gp + g_stackguard0, stackPreempt);
  mem.setU8(gp + g_throwsplit, 1);
  const pc = h.pc, sp = h.callerSp;
  mem.setPtr(gp + g_sched + gobuf_pc, pc);
  mem.setPtr(gp + g_sched + gobuf_sp, sp);
  mem.setPtr(gp + g_syscallsp, sp);
  mem.setPtr(gp + g_syscallpc, pc);
  casgstatus(rt, gp, _Grunning, _Gsyscall);
  emit(rt, "syscall", gp, undefined, mem.int(gp + g_goid));
  const w = wakeSysmon(rt, h);
  if (w === undefined) {
    entersyscallFinish(rt, mp);
    return undefined;
  }
  return (function* () {
    yield* w;
    entersyscallFinish(rt, mp);
  })();
}

function entersyscallFinish(rt: Runtime, mp: number): void {
  const mem = rt.mem;
  const pp = mem.ptr(mp + m_p);
  mem.setU32(mp + m_syscalltick, mem.u32(pp + p_syscalltick));
  mem.setPtr(pp + p_m, 0);
  mem.setPtr(mp + m_oldp, pp);
  mem.setPtr(mp + m_p, 0);
  mem.setU32(pp + p_status, _Psyscall);
  mem.setI32(mp + m_locks, mem.i32(mp + m_locks) - 1);
}

// exitsyscall: back from the kernel; a P again, or wait for one.
function* exitsyscall(rt: Runtime, h: H): HostGen {
  const mem = rt.mem;
  const gp = rt.getg();
  const mp = mem.ptr(gp + g_m);
  mem.setI32(mp + m_locks, mem.i32(mp + m_locks) + 1);
  if (h.callerSp > mem.ptr(gp + g_syscallsp)) throw_("exitsyscall: syscall frame is no longer valid");
  mem.setU64(gp + g_waitsince, 0n);
  emit(rt, "sysexit", gp, undefined, mem.int(gp + g_goid));
  const oldp = mem.ptr(mp + m_oldp);
  mem.setPtr(mp + m_oldp, 0);
  const fast = yield* exitsyscallfast(rt, h, oldp);
  if (fast) {
    const pp = mem.ptr(mp + m_p);
    mem.setU32(pp + p_syscalltick, mem.u32(pp + p_syscalltick) + 1);
    casgstatus(rt, gp, _Gsyscall, _Grunning);
    mem.setPtr(gp + g_syscallsp, 0);
    mem.setI32(mp + m_locks, mem.i32(mp + m_locks) - 1);
    mem.setU64(gp + g_stackguard0, mem.u8(gp + g_preempt) ? stackPreempt : BigInt(mem.ptr(gp + g_stack_lo) + _StackGuard));
    mem.setU8(gp + g_throwsplit, 0);
    return;
  }
  mem.setI32(mp + m_locks, mem.i32(mp + m_locks) - 1);
  rt.stats.syscalls.slow++;
  rt.engine.setRegN(RAX, rt.funcval("runtime.exitsyscall0"));
  yield h.call(rt.asm.mcall, SIG_P, 0);
  // Scheduled again by execute, with a P.
  const gp2 = rt.getg();
  mem.setPtr(gp2 + g_syscallsp, 0);
  const pp = mem.ptr(mem.ptr(gp2 + g_m) + m_p);
  mem.setU32(pp + p_syscalltick, mem.u32(pp + p_syscalltick) + 1);
  mem.setU8(gp2 + g_throwsplit, 0);
}

// exitsyscallfast: the old P if sysmon left it, else any idle P.
function* exitsyscallfast(rt: Runtime, h: H, oldp: number): HostGen<boolean> {
  const mem = rt.mem, s = rt.sched;
  if (oldp !== 0 && mem.u32(oldp + p_status) === _Psyscall) {
    mem.setU32(oldp + p_status, _Pidle);
    acquirep(rt, oldp); // wirep
    rt.stats.syscalls.fast++;
    return true;
  }
  if (mem.ptr(s + schedt_pidle) !== 0) {
    lock(rt, s + schedt_lock);
    const pp = pidleget(rt);
    if (pp !== 0) {
      const w = wakeSysmon(rt, h);
      if (w !== undefined) yield* w;
    }
    unlock(rt, s + schedt_lock);
    if (pp !== 0) {
      acquirep(rt, pp);
      rt.stats.syscalls.fastIdle++;
      return true;
    }
  }
  return false;
}

// exitsyscall0 (on g0): no P to be had; queue gp and stop this M.
function* exitsyscall0(rt: Runtime, h: H): HostGen {
  const gp = h.arg(0);
  const s = rt.sched;
  casgstatus(rt, gp, _Gsyscall, _Grunnable);
  dropg(rt);
  lock(rt, s + schedt_lock);
  const pp = pidleget(rt);
  if (pp === 0) globrunqput(rt, gp);
  else {
    const w = wakeSysmon(rt, h);
    if (w !== undefined) yield* w;
  }
  unlock(rt, s + schedt_lock);
  if (pp !== 0) {
    acquirep(rt, pp);
    return execute(rt, h, gp, false);
  }
  yield* stopm(rt, h);
  return yield* finish(schedule(rt, h));
}

export function register(t: HostTable<Runtime>): void {
  t.define("runtime.entersyscall", "", entersyscall);
  t.define("runtime.exitsyscall", "", exitsyscall);
  t.define("runtime.exitsyscall0", "p", exitsyscall0);
}
