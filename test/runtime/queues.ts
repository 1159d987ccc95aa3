// Test helpers over the runtime's queues: Go's two-result runqget as a
// tuple, and the lists in memory as arrays.
import { g_schedlink, p_gFree, schedt_gFree_noStack, schedt_gFree_stack, schedt_runq, gQueue_tail } from "../../src/runtime/offsets.ts";
import type { Runtime } from "../../src/runtime/rt.ts";
import { runqget as runqget1, runqgetInheritTime, walkSchedlink } from "../../src/runtime/runq.ts";

/** runqget's (gp, inheritTime). */
export function runqget(rt: Runtime, pp: number): [number, boolean] {
  const gp = runqget1(rt, pp);
  return [gp, gp !== 0 && runqgetInheritTime];
}

/** Links gs through schedlink; returns [head, tail]. */
export function linkGs(rt: Runtime, gs: readonly number[]): [number, number] {
  for (let i = 0; i < gs.length; i++) rt.mem.setPtr(gs[i]! + g_schedlink, gs[i + 1] ?? 0);
  return [gs[0] ?? 0, gs[gs.length - 1] ?? 0];
}

export const listAt = (rt: Runtime, head: number): number[] => walkSchedlink(rt.mem, head);
export const globalRunq = (rt: Runtime): number[] => listAt(rt, rt.mem.ptr(rt.sched + schedt_runq));
export const globalRunqTail = (rt: Runtime): number => rt.mem.ptr(rt.sched + schedt_runq + gQueue_tail);
export const pGFree = (rt: Runtime, pp: number): number[] => listAt(rt, rt.mem.ptr(pp + p_gFree));
export const schedGFreeStack = (rt: Runtime): number[] => listAt(rt, rt.mem.ptr(rt.sched + schedt_gFree_stack));
export const schedGFreeNoStack = (rt: Runtime): number[] => listAt(rt, rt.mem.ptr(rt.sched + schedt_gFree_noStack));
