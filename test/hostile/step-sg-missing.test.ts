// Issue 10: `sg 99999` (a goroutine that does not exist) ran until rt0_go's
// TLS probe value (0x123) was read as a g and failed with "memory at 0x1bb
// is not mapped". It now says which goroutines there are; and reading a
// goid never faults.
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { Stepper } from "../../src/step/stepper.ts";

const ROOT = resolve(import.meta.dirname, "../..");

describe("sg GOID for a goroutine that does not exist", () => {
  it("is refused with the goroutines that do, without moving", () => {
    const s = new Stepper(join(ROOT, "programs/gosched.s"), { root: ROOT });
    try {
      expect(() => s.exec("sg 99999")).toThrow(/^sg: no goroutine 99999 \(goroutines: none yet\)$/);
      expect(s.steps).toBe(0);
      s.exec("b main.main");
      s.exec("c");
      const at = s.steps;
      expect(() => s.exec("sg 99999")).toThrow(/^sg: no goroutine 99999 \(goroutines: 1( \d+)+\)$/);
      expect(s.steps).toBe(at);
      expect(() => s.exec("sg x")).toThrow(/^sg: usage: sg GOID \[N\]$/);
      expect(() => s.exec("sg 1 0")).toThrow(/^sg: usage/);
      // A goroutine that exists is stepped as before.
      s.exec("delete");
      s.exec("sg 1 2");
      expect(s.curgoid()).toBe(1);
    } finally {
      s.m.engine.close();
    }
  });

  it("goid of a g slot that holds no g yet is -1, not a fault", () => {
    const s = new Stepper(join(ROOT, "programs/gosched.s"), { root: ROOT });
    try {
      expect(s.goid(0x123)).toBe(-1);
      expect(s.goid(0)).toBe(-1);
    } finally {
      s.m.engine.close();
    }
  });
});
