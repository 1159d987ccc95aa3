// Issue 10: `x/99999999999gx` failed with V8's "Invalid typed array length";
// a count is now bounded (1 to X_MAX_COUNT) with a plain message, and an
// unknown register names the known ones instead of "register id -1".
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { OS_STACK_TOP } from "../../src/node/boot.ts";
import { Stepper, X_MAX_COUNT } from "../../src/step/stepper.ts";

const ROOT = resolve(import.meta.dirname, "../..");

describe("x with a count too large", () => {
  it("is refused plainly; the largest count works", () => {
    const s = new Stepper(join(ROOT, "programs/gosched.s"), { root: ROOT });
    try {
      expect(() => s.exec("x/99999999999gx $SP")).toThrow(/^x: count 99999999999 out of range \(1 to 4096\)$/);
      expect(() => s.exec(`x/${X_MAX_COUNT + 1}bx $SP`)).toThrow(/out of range/);
      expect(() => s.exec("x/0gx $SP")).toThrow(/out of range/);
      // The OS stack is 256 KiB: the 4096 bytes below its top are readable.
      const out = s.exec(`x/${X_MAX_COUNT}bx ${OS_STACK_TOP - 4096}`);
      expect(out.trim().split("\n")).toHaveLength(X_MAX_COUNT / 8);
      expect(() => s.exec("x/2gx $nosuch")).toThrow(/^x: unknown register \$nosuch \(registers: \$AX .* \$RIP\)$/);
    } finally {
      s.m.engine.close();
    }
  });
});
