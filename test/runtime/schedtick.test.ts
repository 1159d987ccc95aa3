// Issue 12, "the locked main thread": Go 1.19's runtime.main holds the main
// goroutine on m0 (lockOSThread) through init, so each time it is readied
// in that window it passes through startlockedm/stoplockedm and execute
// counts a tick: Go enters main.main with P0's schedtick at 4. Every later
// every-61st-tick look at the global queue depends on it.
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildMachine } from "../../src/node/boot.ts";
import { ps } from "../../src/debug/view.ts";
import { REG_RIP } from "../../src/engine/engine.ts";

const ROOT = resolve(import.meta.dirname, "../..");

describe("schedtick at main.main", () => {
  it("is 4 on P0, as in Go 1.19 (one P)", () => {
    const m = buildMachine([join(ROOT, "programs", "hello.s")], { stdout: () => {}, stderr: () => {}, seed: 1 });
    try {
      const entry = m.image.addrOf("main.main")!;
      expect(entry).toBeGreaterThan(0);
      let steps = 0;
      while (Number(m.engine.getReg(REG_RIP)) !== entry) {
        expect(m.kernel.stepOnce(), `the program ended before main.main (after ${steps} steps)`).toBeUndefined();
        if (++steps > 2_000_000) throw new Error("main.main not reached in 2,000,000 steps");
      }
      const p0 = ps(m)[0]!;
      expect(p0.id).toBe(0);
      expect(p0.schedtick).toBe(4);
    } finally {
      m.engine.close();
    }
  });
});
