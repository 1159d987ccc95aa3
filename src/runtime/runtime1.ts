// acquirem and releasem (runtime1.go): m.locks, which Go uses to forbid
// preemption while the count is not zero (isAsyncSafePoint, canPreemptM).

import { m_locks } from "./offsets.ts";
import type { Runtime } from "./rt.ts";

// acquirem/releasem: m.locks, which Go uses to forbid preemption.
export function acquirem(rt: Runtime): number {
  const mp = rt.getm();
  rt.mem.setI32(mp + m_locks, rt.mem.i32(mp + m_locks) + 1);
  return mp;
}

export function releasem(rt: Runtime, mp: number): void {
  rt.mem.setI32(mp + m_locks, rt.mem.i32(mp + m_locks) - 1);
}

