// Runtime locks and notes (lock_futex.go), over futexes.
//
// lock/unlock on a mutex in emulated memory. Go's lock spins, then sleeps on
// a futex until the holder's unlock wakes it. Here a host function runs
// without interruption until it calls into machine code, and the runtime
// code in this directory never calls out while holding a runtime lock (the
// few locks held across a park, a channel's, use lockWait in chan.ts), so a
// lock is never observed held by another thread: finding it held means a
// lock was leaked or taken twice, a broken invariant, and we throw instead
// of sleeping forever. The key word still moves between mutex_unlocked and
// mutex_locked, so the debugger can see who holds what in a snapshot.
//
// Notes are one-shot wake-ups: notesleep blocks the thread on a futex over
// note.key until notewakeup sets it. They are how Ms park (stopm sleeps on
// m.park) and how sysmon waits. Not modelled: m.locks for held runtime locks
// (a host function cannot be preempted anyway) and lock ranking.

import type { HostGen } from "./bridge.ts";
import { m_blocked, note_key } from "./offsets.ts";
import { futexsleep, futexwakeup } from "./os_linux.ts";
import { throw_ } from "./panic.ts";
import type { H, Runtime } from "./rt.ts";
import { mutex_locked, mutex_unlocked } from "./runtime2.ts";

// lock (lock_futex.go: lock2)
export function lock(rt: Runtime, l: number): void {
  const v = rt.mem.u32(l);
  if (v !== mutex_unlocked) throw_("lock: lock already held (a host function cannot sleep on a runtime lock)");
  rt.mem.setU32(l, mutex_locked);
}

// unlock (lock_futex.go: unlock2)
export function unlock(rt: Runtime, l: number): void {
  const v = rt.mem.u32(l);
  rt.mem.setU32(l, mutex_unlocked);
  if (v === mutex_unlocked) throw_("unlock of unlocked lock");
}

// noteclear
export function noteclear(rt: Runtime, n: number): void {
  rt.mem.setU32(n + note_key, 0);
}

// notesleep: waits until notewakeup(n).
export function* notesleep(rt: Runtime, h: H, n: number): HostGen<void> {
  const mem = rt.mem;
  const mp = rt.getm();
  while (mem.u32(n + note_key) === 0) {
    mem.setU8(mp + m_blocked, 1);
    yield* futexsleep(rt, h, n + note_key, 0, -1);
    mem.setU8(mp + m_blocked, 0);
  }
}

// notetsleep: notesleep with a timeout in ns; returns whether it was woken.
export function* notetsleep(rt: Runtime, h: H, n: number, ns: number): HostGen<boolean> {
  const mem = rt.mem;
  const deadline = rt.now + ns;
  while (mem.u32(n + note_key) === 0) {
    const left = deadline - rt.now;
    if (left <= 0) return false;
    yield* futexsleep(rt, h, n + note_key, 0, left);
  }
  return true;
}

// notewakeup: wakes the thread sleeping on n (at most one wake-up per note).
export function* notewakeup(rt: Runtime, h: H, n: number): HostGen<void> {
  const mem = rt.mem;
  const old = mem.u32(n + note_key);
  mem.setU32(n + note_key, 1);
  if (old !== 0) throw_("notewakeup - double wakeup", `notewakeup - double wakeup (${old})`);
  yield* futexwakeup(rt, h, n + note_key, 1);
}
