// G status (proc.go, runtime2.go): readgstatus and casgstatus, the one
// way a goroutine's status changes.
//
// Go's casgstatus checks only that the old value matches (and spins while a
// GC scanner holds _Gscan). Ours also rejects any pair of statuses Go's
// runtime never moves between, so a scheduler bug cannot walk a goroutine
// along an edge the real runtime does not have; and, as nothing runs
// during a host function, a status that is not oldval can never become it,
// so it throws at once instead of spinning.

import { g_atomicstatus, g_goid } from "./offsets.ts";
import { hex, throw_ } from "./panic.ts";
import type { Runtime } from "./rt.ts";
import {
  _Gcopystack, _Gdead, _Gidle, _Gpreempted, _Grunnable, _Grunning, _Gscan, _Gsyscall, _Gwaiting,
} from "./runtime2.ts";

// readgstatus
export function readgstatus(rt: Runtime, gp: number): number {
  return rt.mem.u32(gp + g_atomicstatus);
}

/**
 * The transitions Go's runtime makes with casgstatus (runtime2.go's state
 * machine): newproc1 (idle→dead→runnable), execute (runnable→running),
 * gosched/preemption (running→runnable), park_m (running→waiting), ready
 * (waiting→runnable), goexit0 (running→dead), syscalls (running→syscall→
 * running or runnable; dead↔syscall for extra Ms), newstack and stack
 * shrinking (running/waiting↔copystack), and async preemption
 * (running→preempted→waiting). Go checks only that the old value matches;
 * we also reject any other pair, so a scheduler bug cannot move a G along
 * an edge the real runtime never takes.
 */
export const legalTransitions: readonly (readonly [number, number])[] = [
  [_Gidle, _Gdead], [_Gdead, _Grunnable], [_Gdead, _Gsyscall],
  [_Grunnable, _Grunning],
  [_Grunning, _Grunnable], [_Grunning, _Gwaiting], [_Grunning, _Gsyscall], [_Grunning, _Gdead],
  [_Grunning, _Gpreempted], [_Grunning, _Gcopystack],
  [_Gwaiting, _Grunnable], [_Gwaiting, _Gcopystack],
  [_Gcopystack, _Grunning], [_Gcopystack, _Gwaiting],
  [_Gsyscall, _Grunning], [_Gsyscall, _Grunnable], [_Gsyscall, _Gdead],
  [_Gpreempted, _Gwaiting],
];
const legal = new Uint8Array(16 * 16);
for (const [a, b] of legalTransitions) legal[a * 16 + b] = 1;

export const gStatusNames: readonly string[] = [
  "Gidle", "Grunnable", "Grunning", "Gsyscall", "Gwaiting", "Gmoribund_unused", "Gdead", "Genqueue_unused",
  "Gcopystack", "Gpreempted",
];

/** Called with every transition casgstatus makes (tests record which ones a run takes). */
export let onTransition: ((gp: number, oldval: number, newval: number) => void) | undefined;
export function setTransitionHook(f: typeof onTransition): void { onTransition = f; }

// casgstatus: gp's status from oldval to newval. Neither may be a _Gscan
// status, gp must be in oldval, and the pair must be one Go's runtime makes.
export function casgstatus(rt: Runtime, gp: number, oldval: number, newval: number): void {
  if ((oldval & _Gscan) !== 0 || (newval & _Gscan) !== 0 || oldval === newval) {
    throw_("casgstatus: bad incoming values", `runtime: casgstatus: oldval=${hex(oldval)} newval=${hex(newval)}`);
  }
  if (oldval > 15 || newval > 15 || legal[oldval * 16 + newval] === 0) {
    throw_(
      `casgstatus: illegal transition from ${gStatusNames[oldval] ?? hex(oldval)} to ${gStatusNames[newval] ?? hex(newval)}`,
      `runtime: casgstatus: gp=${hex(gp)} goid=${rt.mem.int(gp + g_goid)} oldval=${hex(oldval)} newval=${hex(newval)}`,
    );
  }
  const cur = readgstatus(rt, gp);
  if (cur !== oldval) {
    if (oldval === _Gwaiting && cur === _Grunnable) throw_("casgstatus: waiting for Gwaiting but is Grunnable");
    // Go spins here until a GC scanner drops _Gscan; nothing else runs during
    // a host function, so the status can never become oldval.
    throw_(
      "casgstatus: bad status",
      `runtime: casgstatus: gp=${hex(gp)} goid=${rt.mem.int(gp + g_goid)} status=${hex(cur)} oldval=${hex(oldval)} newval=${hex(newval)}`,
    );
  }
  rt.mem.setU32(gp + g_atomicstatus, newval);
  onTransition?.(gp, oldval, newval);
}

