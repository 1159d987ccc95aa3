// Issue 10, the engine-level fuzzer: random machine code, from one fixed
// machine state, on the interpreter and on unicorn, free-running and in
// lockstep. Every input must end within the step budget in a normal stop
// (budget, INT3, SYSCALL) or a fault, reported identically by both engines
// (same stop, same fault type, RIP and address, same instruction count and
// registers), never in a JavaScript exception, a divergence, or a crash of
// the process. Seeded, so a failure names the seed and bytes that repeat it.
//
// (The runtime-level fuzzer, with random system calls, is src/runtime's.)
import { describe, it, expect } from "vitest";
import { createEngine, engineAvailable } from "../../src/engine/index.ts";
import { REG_IDS, REG_RIP } from "../../src/engine/engine.ts";
import { runLockstep } from "../../src/engine/lockstep.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { BUDGET, CODE_LEN, DATA, STACK, cases, hex, kindOf, outcome, prepare, reset } from "./engine-fuzz-gen.ts";

// GMPEMU_FUZZ_SEED and GMPEMU_FUZZ_CASES run other inputs (longer runs, by hand);
// replay(seed, case) in engine-fuzz-gen.ts shows one case in detail.
const SEED = Number(process.env.GMPEMU_FUZZ_SEED ?? 0x5eed_1010);
const CASES = Number(process.env.GMPEMU_FUZZ_CASES ?? 2500);
const HAVE_UNICORN = oracleAvailable("libunicorn", engineAvailable("unicorn"));


describe.skipIf(!HAVE_UNICORN)("engine fuzzer: random machine code on both engines", () => {
  it(`${CASES} seeded inputs end identically on interp and unicorn, free and in lockstep`, () => {
    const interp = createEngine("interp"), uni = createEngine("unicorn");
    const li = createEngine("interp"), lu = createEngine("unicorn");
    for (const e of [interp, uni, li, lu]) prepare(e);
    const counts = new Map<string, number>();
    let instructions = 0;
    try {
      let k = -1;
      for (const code of cases(SEED, CASES)) {
        k++;
        const where = `case ${k} (seed 0x${SEED.toString(16)}): ${hex(code.subarray(0, CODE_LEN))}`;
        // Free runs: the same stop, count, registers and memory.
        reset(interp, code);
        reset(uni, code);
        const si = interp.run(BUDGET), su = uni.run(BUDGET);
        expect(outcome(su), where).toBe(outcome(si));
        expect(uni.icount - 0, where).toBe(interp.icount - 0);
        for (const r of REG_IDS.slice(0, 16)) expect(uni.getReg(r), `${where}: register ${r}`).toBe(interp.getReg(r));
        expect(uni.getReg(REG_RIP), where).toBe(interp.getReg(REG_RIP));
        expect(Buffer.from(uni.read(DATA, 0x1000)).equals(Buffer.from(interp.read(DATA, 0x1000))), `${where}: data`).toBe(true);
        expect(Buffer.from(uni.read(STACK, 0x1000)).equals(Buffer.from(interp.read(STACK, 0x1000))), `${where}: stack`).toBe(true);
        // Lockstep: every instruction compared, undefined flags aside.
        reset(li, code);
        reset(lu, code);
        const r = runLockstep(li, lu, { maxSteps: BUDGET, compareRegions: [[DATA, DATA + 0x1000], [STACK, STACK + 0x1000]] });
        expect(r.divergence?.report, where).toBeUndefined();
        expect(outcome(r.stop), where).toBe(outcome(si));
        instructions += r.steps;
        const c = kindOf(si);
        counts.set(c, (counts.get(c) ?? 0) + 1);
      }
    } finally {
      for (const e of [interp, uni, li, lu]) e.close();
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(CASES);
    console.log(`engine fuzzer: ${CASES} inputs, ${instructions} instructions compared in lockstep; outcomes: ` +
      [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", "));
    // The inputs reach every kind of ending (a fuzzer that only ever hit #UD would prove little).
    for (const k of ["breakpoint", "#UD", "#GP", "#PF read", "#PF write", "#PF exec"]) expect(counts.get(k) ?? 0, k).toBeGreaterThan(0);
  });
});
