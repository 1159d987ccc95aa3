// Semaphores (sema.go's semtable of treaps) on a real run: the wait queue's
// order, LIFO queueing, two addresses in one root's treap, and the
// semaphore counts and nwait in memory.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REG_RIP } from "../../src/engine/engine.ts";
import { buildMachine, runProgram } from "../../src/node/boot.ts";
import { g_goid, semaRoot_nwait, semaRoot_treap, sudog_elem, sudog_next, sudog_prev } from "../../src/runtime/offsets.ts";
import { semroot, semwaiters } from "../../src/runtime/sema.ts";

const FIX = join(import.meta.dirname, "../fixtures/sema.s");

describe("semaphores", () => {
  it("waiters wake in queue order; a LIFO waiter goes first; the count goes to the longest waiter", () => {
    let out = "";
    const r = runProgram([FIX], { stderr: (b) => (out += Buffer.from(b).toString()), stdout: () => {} });
    expect(r.code).toBe(0);
    expect(out).toBe("acquired 2\nacquired 0\nacquired 1\nacquired 3\n");
  });

  it("while all wait: one root holds both addresses in its treap, and sem1's list is 2 0 1", () => {
    const m = buildMachine([FIX], { stdout: () => {}, stderr: () => {} });
    const mark = m.image.addrOf("main.mark")!;
    const sem1 = m.image.addrOf("main.sem1")!, sem2 = m.image.addrOf("main.sem2")!;
    expect(sem2 - sem1).toBe(251 * 8);
    for (let i = 0; i < 2_000_000 && m.engine.getRegN(REG_RIP) !== mark; i++) m.kernel.stepOnce();
    expect(m.engine.getRegN(REG_RIP)).toBe(mark);
    const root = semroot(m, sem1);
    expect(semroot(m, sem2)).toBe(root);
    expect(m.mem.u32(root + semaRoot_nwait)).toBe(4);
    expect(semwaiters(m, sem1).map((gp) => m.mem.int(gp + g_goid) - 5)).toEqual([2, 0, 1]);
    expect(semwaiters(m, sem2).length).toBe(1);
    // The treap: two nodes, one per address, the other a child of the root.
    const top = m.mem.ptr(root + semaRoot_treap);
    const child = m.mem.ptr(top + sudog_prev) || m.mem.ptr(top + sudog_next);
    expect(new Set([m.mem.ptr(top + sudog_elem), m.mem.ptr(child + sudog_elem)])).toEqual(new Set([sem1, sem2]));
    expect(m.mem.u32(sem1)).toBe(0);
    m.engine.close();
  });
});
