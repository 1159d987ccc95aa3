// Issue 10, bounded input: a function's layout. Branches start short and a
// pass lays the whole function out again whenever one must grow (Go's
// span6), so a chain of overlapping branches, each pushed out of reach by
// the next one's growth, needs a pass per branch: a cascade. Go stops at
// 1,000 passes ("span must be looping"), and so do we; we also stop at
// 20,000,000 instruction encodings over all passes, which bounds the time of
// a cascade over a long function (Go's bound alone lets 1,000 passes over a
// 16 MiB function run for minutes).
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assembleString } from "../../src/asm/assemble.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";

const goBin = findGo();
const haveGo = oracleAvailable("go (go tool asm)", goBin !== null);

/**
 * k JEQs, JEQ i's target 127 bytes past it while JEQ i+1 (inside its reach)
 * is short: JEQ k starts out of reach, and each growth pushes the one
 * before it out, one per pass. Pads are 10-byte MOVQs, QUADs and BYTEs.
 */
function cascade(k: number, tail = 0): string {
  const movq = "\tMOVQ $0x123456789abcdef0, AX";
  const fill = (n: number): string[] => [...Array<string>(Math.floor(n / 10)).fill(movq), ...Array<string>(n % 10).fill("\tBYTE $0x90")];
  const Y = ["\tQUAD $0", "\tQUAD $0"];  // 16 bytes
  const Z = fill(93);                     // 2*16 + 93 + 2 = 127
  const X = fill(109);                    // 109 + 2 + 16 = 127
  const out = ["TEXT ·f(SB), 4, $0", "\tJEQ l1", ...X, "\tJEQ l2", ...Y, "l1:"];
  for (let i = 2; i < k; i++) out.push(...Z, `\tJEQ l${i + 1}`, ...Y, `l${i}:`);
  out.push(...Array<string>(20).fill("\tQUAD $0"), `l${k}:`);
  for (let i = 0; i < tail; i++) out.push("\tQUAD $0");
  out.push("\tRET", "");
  return out.join("\n");
}

/** Go's bytes for `src`, or its error. */
function goAsm(src: string): { hex?: string; error?: string } {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-layout-"));
  writeFileSync(join(dir, "c.s"), src);
  try {
    const out = execFileSync(goBin!, ["tool", "asm", "-S", "-p", "main", "-o", join(dir, "c.o"), "c.s"], { cwd: dir, encoding: "utf8", maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "pipe"] });
    return { hex: [...out.matchAll(/^\t0x[0-9a-f]{4} ((?:[0-9a-f]{2} )+)/gm)].map((m) => m[1]!.replace(/ /g, "")).join("") };
  } catch (e) {
    return { error: String((e as { stderr?: string }).stderr) };
  }
}

describe("a function's layout is bounded", () => {
  it("a cascade of 300 branches: 300 passes, Go's bytes", { timeout: 60_000 }, () => {
    const src = cascade(300);
    const r = assembleString(src, "c.s");
    expect(r.errors).toEqual([]);
    const hex = Buffer.from(r.obj.syms[0]!.bytes).toString("hex");
    // Every JEQ ended long (0F 84 rel32): the cascade reached the first one.
    expect(hex.match(/0f84[0-9a-f]{8}(?=48b8f0debc9a78563412|9090|0000000000000000)/g)?.length).toBe(300);
    if (haveGo) expect(hex).toBe(goAsm(src).hex);
  });

  it("a cascade of 1,010 branches: Go's span must be looping", { timeout: 120_000 }, () => {
    const src = cascade(1010);
    const r = assembleString(src, "c.s");
    expect(r.errors.map((e) => e.format())).toEqual(["c.s:1:1: span must be looping: the branch layout did not settle in 1000 passes"]);
    if (haveGo) expect(goAsm(src).error).toMatch(/span must be looping/);
  });

  it("a cascade over a long function stops at the bound on encodings", { timeout: 120_000 }, () => {
    const t = performance.now();
    const r = assembleString(cascade(200, 300_000), "c.s");
    const ms = performance.now() - t;
    expect(r.errors.map((e) => e.format())).toEqual([
      expect.stringMatching(/^c\.s:1:1: branch layout did not settle in \d+ passes over \d+ instructions \(a bound of 20000000 encodings\)$/),
    ]);
    // A guard against a much larger bound or none, not a measure of speed.
    expect(ms, `${Math.round(ms)} ms`).toBeLessThan(60_000);
  });
});
