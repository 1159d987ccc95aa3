// Seeded random differential test: random blocks drawn from the instruction
// table (test/engine/gen.ts), executed by the interpreter and by unicorn in
// lockstep (src/engine/lockstep.ts), every register, the defined flags and
// the memory written compared after every instruction. At least a million
// instructions; on a divergence the seed, the block and the report are
// printed so the failure can be replayed:
//   GMPEMU_DIFF_SEED=<seed> npx vitest run test/engine/differential.test.ts
// GMPEMU_DIFF_INSNS overrides the instruction count (default 1,000,000).
// Unicorn is an oracle: without libunicorn this is skipped, unless
// GMPEMU_REQUIRE_ORACLES=1.
import { describe, it, expect } from "vitest";
import { InterpEngine } from "../../src/engine/interp.ts";
import { UnicornEngine, unicornAvailable } from "../../src/engine/unicorn.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { differential } from "./differential.ts";

const SEED = Number(process.env.GMPEMU_DIFF_SEED ?? 20221);
const INSNS = Number(process.env.GMPEMU_DIFF_INSNS ?? 1_000_000);
const CHUNK = 100_000;

describe.skipIf(!oracleAvailable("libunicorn", unicornAvailable()))("differential: interp vs unicorn", () => {
  it(`agrees on ${INSNS} random instructions (seed ${SEED})`, async () => {
    // In chunks of CHUNK instructions, chunk k from seed SEED + k on fresh
    // engines, with a macrotask turn between them: one synchronous run of
    // minutes on a loaded machine starves vitest's RPC (onTaskUpdate
    // timeouts). A divergence names its chunk's seed, which replays it.
    const t0 = performance.now();
    let instructions = 0, blocks = 0, faults = 0;
    for (let k = 0; instructions < INSNS; k++) {
      await new Promise((r) => setImmediate(r));
      const a = new InterpEngine(), b = new UnicornEngine();
      try {
        const r = differential(a, b, SEED + k, Math.min(CHUNK, INSNS - instructions), { runsPerBlock: 8 });
        if (r.divergence) {
          const d = r.divergence;
          const msg = `seed ${d.seed}, block run ${d.block}:\n${d.report}\nblock:\n${d.listing}`;
          process.stderr.write(msg + "\n");
          expect.fail(`divergence (seed ${d.seed}): ${d.divergence.diffs[0]}`);
        }
        instructions += r.instructions; blocks += r.blocks; faults += r.faults;
      } finally {
        b.close();
      }
    }
    const secs = (performance.now() - t0) / 1000;
    process.stdout.write(`differential: ${instructions} instructions, ${blocks} block runs, ${faults} #DE faults compared, ${secs.toFixed(1)}s\n`);
    expect(instructions).toBeGreaterThanOrEqual(INSNS);
    // The deliberate divide-by-zero blocks were exercised.
    expect(faults).toBeGreaterThan(0);
  }, 600_000);
});

describe("differential generator", () => {
  it("is deterministic for a seed", async () => {
    const { Rng, genBlock } = await import("./gen.ts");
    const x = genBlock(new Rng(7), 50), y = genBlock(new Rng(7), 50), z = genBlock(new Rng(8), 50);
    expect(x.bytes).toEqual(y.bytes);
    expect(x.bytes).not.toEqual(z.bytes);
    expect(x.bytes[x.bytes.length - 1]).toBe(0xcc);
  });
});
