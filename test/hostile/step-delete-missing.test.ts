// Issue 10: `delete 99999` said "deleted 99999" although no such
// breakpoint existed. Now it names the ones that do, and deletes nothing
// when any ID is wrong (a typo must not half-apply).
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { Stepper } from "../../src/step/stepper.ts";

const ROOT = resolve(import.meta.dirname, "../..");

describe("delete of a breakpoint that does not exist", () => {
  it("is an error, and deletes nothing", () => {
    const s = new Stepper(join(ROOT, "programs/gosched.s"), { root: ROOT });
    try {
      expect(() => s.exec("delete 99999")).toThrow(/^delete: no breakpoint or watchpoint 99999 \(none set\)$/);
      s.exec("b runtime·gogo");
      s.exec("b main.main");
      expect(() => s.exec("delete 2 99999")).toThrow(/^delete: no breakpoint or watchpoint 99999 \(set: 1 2\)$/);
      expect(() => s.exec("delete x")).toThrow(/no breakpoint or watchpoint x/);
      // Both still set: the first stop is gogo (breakpoint 1) ... and main.main (2) later.
      expect(s.exec("c")).toContain("breakpoint 1, runtime.gogo");
      expect(s.exec("delete 1")).toBe("deleted 1\n");
      expect(s.exec("c")).toContain("breakpoint 2, main.main");
    } finally {
      s.m.engine.close();
    }
  });
});
