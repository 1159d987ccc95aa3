// The runtime's side of the Linux system calls it makes (os_linux.go,
// sys_linux_amd64.s): futexsleep/futexwakeup, newosproc (clone), osyield,
// usleep, write, exit, getpid/tgkill. Each is a call of the assembly stub
// in asm/sys_linux_amd64.s, whose SYSCALL goes to the emulated kernel
// (src/os/kernel.ts): the TypeScript runtime never talks to the kernel
// behind the machine's back, so every system call is an instruction a
// trace shows and a debugger can stop on.
//
// These are generators: the thread may block in the kernel (a futex wait,
// a nanosleep), and other threads run meanwhile.

import { sig, type HostGen } from "./bridge.ts";
import { g_stack_hi, m_g0, timespec__size, timespec_tv_nsec, timespec_tv_sec } from "./offsets.ts";
import type { H, Runtime } from "./rt.ts";

export const SIG_NONE = sig("");
export const SIG_P = sig("p");
export const SIG_I = sig("i");
export const SIG_FUTEX = sig("p i i p p i : i");
export const SIG_CLONE = sig("i p p p p : i");
export const SIG_WRITE = sig("p p i : i");
export const SIG_GETPID = sig(": p");
export const SIG_TGKILL = sig("p p p");
export const SIG_SIGACTION = sig("p p p p : i");
export const SIG_SIGALTSTACK = sig("p p");

const FUTEX_WAIT_PRIVATE = 128, FUTEX_WAKE_PRIVATE = 129;
/** clone flags newosproc uses (os_linux.go cloneFlags). */
const cloneFlags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x80000;

// futexsleep: if *addr == val, sleep until woken or ns nanoseconds pass
// (ns < 0: no timeout). It may wake up spuriously; callers loop.
export function* futexsleep(rt: Runtime, h: H, addr: number, val: number, ns: number): HostGen<void> {
  let ts = 0;
  if (ns >= 0) {
    ts = h.scratch(timespec__size);
    rt.mem.setInt(ts + timespec_tv_sec, Math.floor(ns / 1e9));
    rt.mem.setInt(ts + timespec_tv_nsec, ns % 1e9);
  }
  yield h.call(rt.asm.futex, SIG_FUTEX, addr, FUTEX_WAIT_PRIVATE, val, ts, 0, 0);
}

// futexwakeup: wakes up to cnt threads sleeping on addr.
export function* futexwakeup(rt: Runtime, h: H, addr: number, cnt: number): HostGen<void> {
  yield h.call(rt.asm.futex, SIG_FUTEX, addr, FUTEX_WAKE_PRIVATE, cnt, 0, 0, 0);
}

// newosproc: a new thread for mp, starting in mstart on mp.g0's stack with
// FS at mp.tls (the clone stub sets both up).
export function* newosproc(rt: Runtime, h: H, mp: number): HostGen<number> {
  const g0 = rt.mem.ptr(mp + m_g0);
  const stk = rt.mem.ptr(g0 + g_stack_hi);
  yield h.call(rt.asm.clone, SIG_CLONE, cloneFlags, stk, mp, g0, rt.asm.mstart);
  return h.result(0);
}

// osyield: give up the thread's slice (sched_yield).
export function* osyield(rt: Runtime, h: H): HostGen<void> {
  yield h.call(rt.asm.osyield, SIG_NONE);
}

// usleep: sleep for us microseconds of virtual time (nanosleep).
export function* usleep(rt: Runtime, h: H, us: number): HostGen<void> {
  yield h.call(rt.asm.usleep, SIG_I, us);
}
