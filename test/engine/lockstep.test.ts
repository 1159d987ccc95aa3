// Lockstep comparison: agreement on the same program, and a useful report
// on the first difference, with both drivers (two stepping engines, and
// unicorn driving under its per-instruction hook).
import { describe, it, expect } from "vitest";
import { createEngine, engineAvailable } from "../../src/engine/index.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { runLockstep } from "../../src/engine/lockstep.ts";
import { RAX } from "../../src/x86/regs.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { setup, P, CODE, DATA } from "./fixtures.ts";

// MOVQ DATA, AX; ADDQ $1, AX; MOVQ AX, DATA+8; INT3
const LOAD_ADD_STORE = [
  0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00,
  0x48, 0x83, 0xc0, 0x01,
  0x48, 0x89, 0x04, 0x25, 0x08, 0x00, 0x50, 0x00,
  0xcc,
];

/**
 * Unicorn without its per-instruction hook: runLockstep then steps both
 * engines (the stepping driver) instead of letting unicorn drive.
 */
function steppingOnly(e: Engine): Engine {
  return new Proxy(e, {
    get: (t, k) => (k === "runObserved" ? undefined : Reflect.get(t, k)),
  });
}

// Every pair compares the interpreter with unicorn, the oracle: unicorn
// driving (its hook steps the interpreter), the interpreter in the first
// seat, and the stepping driver.
const pairs: [string, () => [Engine, Engine]][] = [
  ["interp vs unicorn", () => [createEngine("interp"), createEngine("unicorn")]],
  ["unicorn vs interp", () => [createEngine("unicorn"), createEngine("interp")]],
  ["interp vs unicorn, stepping both", () => [createEngine("interp"), steppingOnly(createEngine("unicorn"))]],
];
// Skipped, saying so, without libunicorn; oracleAvailable fails the run instead under GMPEMU_REQUIRE_ORACLES=1.
const HAVE_UNICORN = oracleAvailable("libunicorn", engineAvailable("unicorn"));
const WHY = HAVE_UNICORN ? "" : " (skipped: libunicorn is not installed)";
for (const [title, make] of pairs) {
  describe.skipIf(!HAVE_UNICORN)(`lockstep ${title}${WHY}`, () => {
    const both = (code: number[]) => {
      const [a, b] = make();
      setup(a, code);
      setup(b, code);
      return [a, b] as const;
    };
    const x = title.split(" ")[0]!, y = title.split(" ")[2]!.replace(",", "");

    it("agrees on a loop and ends at its INT3", () => {
      const [a, b] = both(P.sumLoop);
      const r = runLockstep(a, b, { maxSteps: 1000 });
      expect(r.divergence).toBeUndefined();
      expect(r.stop).toEqual({ kind: "breakpoint", addr: CODE + P.sumLoop.length - 1 });
      expect(r.steps).toBe(33);
      a.close();
      b.close();
    });

    it("stops after maxSteps", () => {
      const [a, b] = both(P.sumLoop);
      const r = runLockstep(a, b, { maxSteps: 10 });
      expect(r.divergence).toBeUndefined();
      expect(r.steps).toBe(10);
      expect(a.icount).toBe(10);
      expect(b.icount).toBe(10);
      a.close();
      b.close();
    });

    it("reports the first instruction whose results differ", () => {
      const [a, b] = both(LOAD_ADD_STORE);
      a.writeU64(DATA, 41n);
      b.writeU64(DATA, 1041n);
      const r = runLockstep(a, b, { maxSteps: 100, describe: () => ({ where: "main.f+0x0", line: "f.s:3" }) });
      expect(r.divergence).toBeDefined();
      const d = r.divergence!;
      expect(d.step).toBe(0);
      expect(d.rip).toBe(CODE);
      expect(d.diffs[0]).toBe(`AX: ${x} 0x0000000000000029, ${y} 0x0000000000000411`);
      expect(d.report).toContain("divergence after 0 instructions, at 0x400000 <main.f+0x0> (f.s:3)");
      expect(d.report).toContain("48 8b 04 25 00 00 50 00");
      expect(d.report).toContain("MOVQ 0x500000, AX");
      expect(d.report).toMatch(/AX +0x0+ +0x0+29 +0x0+411 +<-- differs/);
      a.close();
      b.close();
    });

    it("compares what an instruction wrote to memory", () => {
      const [a, b] = both(LOAD_ADD_STORE);
      // Same registers after the load only if AX is overwritten identically:
      // make the engines differ in memory the program never reads but writes.
      a.writeU64(DATA, 5n);
      b.writeU64(DATA, 5n);
      a.writeU64(DATA + 8, 1n);
      const r = runLockstep(a, b, { maxSteps: 100, compareRegions: [[DATA, DATA + 64]], regionEvery: 1 });
      // DATA+8 differs before the store, and the store makes it equal: the
      // first whole-region comparison (after the first instruction) sees it.
      expect(r.divergence?.diffs[0]).toMatch(/^memory 0x500008/);
      expect(a.getReg(RAX)).toBe(5n);
      a.close();
      b.close();
    });
  });
}
