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
// overflow.s recurses until its stack passes the limit, 1 GB by default:
// its first 300,000 instructions cover ten stack copies, to 2 MiB (stackgrow.test.ts
// runs it to the end with a small limit).
// spin.s needs 72M instructions (sysmon's 10 ms slices) and regs.s 840k:
// their first 200,000 here, and the runs below with preemption made
// frequent enough to happen inside the window.
const LONG: Record<string, number> = { "many.s": 300_000, "overflow.s": 300_000, "spin.s": 200_000, "regs.s": 200_000, "hog.s": 200_000 };

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

  // Signals in lockstep: the kernel builds the signal frame and rt_sigreturn
  // restores it through the engine interface, so both CPUs see the same
  // writes; asyncPreempt's saves and restores are compared instruction by
  // instruction.
  it("spin.s with a 50 µs time slice: sysmon's signals, 0 divergences", { timeout: 120_000 }, () => {
    let out = "";
    const status = verifyProgram(join(ROOT, "programs/spin.s"), { maxSteps: 400_000, procs: 1, seed: 1, quiet: true, run: { timeslice: 50_000 } }, (s) => (out += s));
    expect(out).toMatch(/^verified \d+ instructions: 0 divergences \(/);
    expect(status).toBe(0);
  });
  it("regs.s with --preempt-every 97: 0 divergences", { timeout: 120_000 }, () => {
    let out = "";
    const status = verifyProgram(join(ROOT, "programs/regs.s"), { maxSteps: 200_000, procs: 1, seed: 1, quiet: true, run: { preemptEvery: 97 } }, (s) => (out += s));
    expect(out).toMatch(/^verified \d+ instructions: 0 divergences \(/);
    expect(status).toBe(0);
  });
});
