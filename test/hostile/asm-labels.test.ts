// Issue 10, bounded input: labels. Branches to labels are resolved with maps
// and each label is attached once with a set, so the work is linear in the
// number of labels: 200,000 JMPs to 200,000 labels on one RET assemble in
// seconds (the old assembler scanned a target's label list for each branch:
// 78 s for this input, 25 s for half of it). The bound asserted is a guard
// against that quadratic growth, several times what the linear code needs on
// a loaded two-core machine, not a measure of speed (that is `npm run bench`).
import { describe, expect, it } from "vitest";
import { assembleString } from "../../src/asm/assemble.ts";

/** n JMPs forward to n distinct labels, all on the final RET. */
function jumpsToLabels(n: number): string {
  const out = ["TEXT ·f(SB), 4, $0"];
  for (let i = 0; i < n; i++) out.push(`\tJMP l${i}`);
  for (let i = 0; i < n; i++) out.push(`l${i}:`);
  out.push("\tRET", "");
  return out.join("\n");
}

/** n labels, each on a NOP, each the target of a JEQ back to it. */
function labelLoops(n: number): string {
  const out = ["TEXT ·f(SB), 4, $0"];
  for (let i = 0; i < n; i++) out.push(`l${i}:\tADDQ $1, AX`, `\tJEQ l${i}`);
  out.push("\tRET", "");
  return out.join("\n");
}

describe("labels cost linear work", () => {
  it("200,000 branches to 200,000 labels on one instruction", { timeout: 120_000 }, () => {
    const src = jumpsToLabels(200_000);
    const t = performance.now();
    const r = assembleString(src, "labels.s");
    const ms = performance.now() - t;
    expect(r.errors).toEqual([]);
    const f = r.obj.syms[0]!;
    // Every JMP reaches the RET at the end: rel32 forms, rel8 for the last
    // few, the last one `JMP +0`, then the RET.
    const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset);
    expect(f.bytes[0]).toBe(0xe9);
    expect(dv.getInt32(1, true)).toBe(f.size - 1 - 5);
    expect(Buffer.from(f.bytes.subarray(f.size - 3)).toString("hex")).toBe("eb00c3");
    expect(f.size).toBeGreaterThan(200_000 * 5 - 200);
    console.log(`200,000 labels: ${Math.round(ms)} ms`);
    expect(ms, `${Math.round(ms)} ms`).toBeLessThan(40_000);
  });

  it("100,000 labels each the target of a branch", { timeout: 120_000 }, () => {
    const t = performance.now();
    const r = assembleString(labelLoops(100_000), "loops.s");
    const ms = performance.now() - t;
    expect(r.errors).toEqual([]);
    // ADDQ $1, AX (4883c001) and a short JEQ back over it (74fa), 100,000 times.
    expect(Buffer.from(r.obj.syms[0]!.bytes.subarray(0, 12)).toString("hex")).toBe("4883c00174fa4883c00174fa");
    expect(ms, `${Math.round(ms)} ms`).toBeLessThan(40_000);
  });
});
