// `gmpemu verify` on every program: the whole run — runtime assembly,
// program, every thread the kernel interleaves, with 1 and 4 Ps — executed
// by the interpreter and by Unicorn in lockstep, compared after every
// instruction. programs/many.s (8.7 million instructions) is verified for its
// first 300,000 here; `npx gmpemu verify programs/many.s --procs 4` does all
// of it in about five minutes.
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { oracleAvailable } from "../helpers/oracles.ts";
import { engineAvailable } from "../../src/engine/index.ts";
import { verifyFile, verifyProgram } from "../../src/cli/verify.ts";
import { readFileSync } from "node:fs";

const ROOT = resolve(import.meta.dirname, "../..");
const programs = readdirSync(join(ROOT, "programs")).filter((f) => f.endsWith(".s")).sort();
const LONG: Record<string, number> = { "many.s": 300_000 };

describe.skipIf(!oracleAvailable("libunicorn", engineAvailable("unicorn")))("gmpemu verify on every program", () => {
  it("finds the programs", () => {
    expect(programs).toContain("hello.s");
    expect(programs.length).toBeGreaterThanOrEqual(4);
  });
  it("sample.s (no main·main): its first function, in lockstep", () => {
    let out = "";
    const status = verifyFile(join(ROOT, "programs", "sample.s"), { maxSteps: 100_000 }, (s) => (out += s));
    expect(out).toMatch(/^verified \d+ instructions: 0 divergences/);
    expect(status).toBe(0);
  });
  for (const f of programs) {
    if (!/TEXT\s+·main\(SB\)/.test(readFileSync(join(ROOT, "programs", f), "utf8"))) continue;
    for (const procs of [1, 4]) {
      it(`${f} --procs ${procs}: 0 divergences`, { timeout: 120_000 }, () => {
        let out = "";
        const status = verifyProgram(join(ROOT, "programs", f), { maxSteps: LONG[f] ?? Number.MAX_SAFE_INTEGER, procs, seed: 1, quiet: true }, (s) => (out += s));
        expect(out).toMatch(/^verified \d+ instructions: 0 divergences \(/);
        expect(status).toBe(0);
        expect(Number(/verified (\d+)/.exec(out)![1])).toBeGreaterThan(100);
      });
    }
  }
});
