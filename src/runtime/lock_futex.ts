// Runtime locks: lock and unlock on a mutex in emulated memory.
//
// Go's lock spins, then sleeps on a futex until the holder's unlock wakes it.
// Here a host function runs without interruption until it yields, and the
// runtime code in this directory never yields while holding a runtime lock,
// so a lock is never observed held by another thread: finding it held means
// a lock was leaked or taken twice, a broken invariant, and we throw instead
// of sleeping forever. The key word still moves between mutex_unlocked and
// mutex_locked, so the debugger can see who holds what in a snapshot.
//
// Not modelled: m.locks (Go counts held locks per M to forbid preemption;
// a host function cannot be preempted anyway) and lock ranking.

import { mutex_locked, mutex_unlocked } from "./runtime2.ts";
import { throw_ } from "./panic.ts";
import type { Runtime } from "./rt.ts";

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
