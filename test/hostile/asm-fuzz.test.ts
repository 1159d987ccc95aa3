// Issue 10: a seeded mutation fuzzer for the assembler (the engine is
// asm-fuzz.ts). It takes the project's own assembly (asm/, programs/,
// test/corpus/, with the include files), mutates it (byte flips, token
// deletions, duplications and insertions, deep nesting, huge numbers, lossy
// immediates, bad directives and macro bombs, long tokens, lines spliced from
// other files, truncation, invalid UTF-8) and runs each mutant through what
// `gmpemu asm` does: assemble (a fifth with --strict), link and list (every
// third). Every mutant must end in acceptance or in clean diagnostics
// (AsmErrors whose every entry is `file:line:col: message`, or `file:
// message` for a whole file), within a bound on its CPU time; any other
// exception is a crash, a slow input a hang. The assembler's bounds are
// scaled down (asm-fuzz.ts, LIMITS) so that meeting one is quick.
//
// Deterministic: GMPEMU_FUZZ_SEED and GMPEMU_FUZZ_N choose another run (the
// default is seed 1 and 2,000 mutants, a few seconds); GMPEMU_FUZZ_DUMP=dir
// writes each crashing or slow mutant there, to reproduce with gmpemu asm.
import { describe, expect, it } from "vitest";
import { BOUND_MS, fuzz } from "./asm-fuzz.ts";

const SEED = Number(process.env.GMPEMU_FUZZ_SEED ?? 1);
const N = Number(process.env.GMPEMU_FUZZ_N ?? 2000);

describe("assembler fuzzer", () => {
  it(`${N} mutants of the project's assembly end in acceptance or clean errors within ${BOUND_MS} ms of CPU each (seed ${SEED})`, { timeout: 600_000 }, async () => {
    const cpu0 = process.cpuUsage();
    const rep = await fuzz({
      seed: SEED, mutants: N, ...(process.env.GMPEMU_FUZZ_DUMP ? { dump: process.env.GMPEMU_FUZZ_DUMP } : {}),
      // Let vitest's worker answer its RPC now and then.
      tick: () => new Promise<void>((res) => setImmediate(res)),
    });
    const cpu = process.cpuUsage(cpu0);
    console.log(`asm fuzz, seed ${SEED}: ${rep.mutants} mutants, ${rep.accepted} accepted, ${rep.cleanErrors} clean errors, ` +
      `${rep.crashes} crashes, ${rep.hangs} hangs; slowest ${Math.round(rep.slowestMs)} ms, ${Math.round((cpu.user + cpu.system) / 1000)} ms of CPU; ` +
      `${rep.warnings} warnings; mutators: ${[...rep.byMutator].map(([k, v]) => `${k} ${v}`).join(", ")}`);
    expect(rep.problems, rep.problems.join("\n\n")).toEqual([]);
    expect(rep.mutants).toBe(N);
    expect(N).toBeGreaterThanOrEqual(2000);
    // Both outcomes are exercised: the fuzzer is not just breaking every file.
    expect(rep.accepted).toBeGreaterThan(N / 20);
    expect(rep.cleanErrors).toBeGreaterThan(N / 4);
  });
});
