// The differential run: random blocks (gen.ts) executed on two engines in
// lockstep (src/engine/lockstep.ts). Shared by the vitest suite and
// bench/differential.ts-style command-line runs.
import type { Engine } from "../../src/engine/engine.ts";
import { PROT_READ, PROT_WRITE, PROT_EXEC, REG_RIP, REG_RFLAGS, REG_RSP, REG_R14, REG_R15, regId } from "../../src/engine/engine.ts";
import { runLockstep, type Divergence } from "../../src/engine/lockstep.ts";
import { formatProg } from "../../src/x86/encode.ts";
import { Rng, genBlock, SCRATCH_SIZE } from "./gen.ts";

export const D_CODE = 0x10_0000;
export const D_SCRATCH = 0x20_0000;
export const D_STACK = 0x30_0000;
const STACK_SIZE = 0x10000;
const STACK_MID = D_STACK + STACK_SIZE / 2;

export interface DiffResult {
  instructions: number;
  blocks: number;
  faults: number;
  divergence?: { seed: number; block: number; report: string; divergence: Divergence; listing: string };
}

function prepare(e: Engine): void {
  e.map(D_CODE, 0x10000, PROT_READ | PROT_EXEC);
  e.map(D_SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE);
  e.map(D_STACK, STACK_SIZE, PROT_READ | PROT_WRITE);
}

/**
 * Runs blocks until `minInsns` instructions were compared or a divergence.
 * Both engines must be fresh; they are left mapped and dirty.
 */
export function differential(
  a: Engine, b: Engine, seed: number, minInsns: number,
  opts: {
    blockLen?: number;
    /** Runs of each block, each from a fresh random state (decoding is paid once). */
    runsPerBlock?: number;
    exclude?: ReadonlySet<string>;
    regionEvery?: number;
    maxStepsInBlock?: (block: number) => number | undefined;
  } = {},
): DiffResult {
  const blockLen = opts.blockLen ?? 120;
  const runs = opts.runsPerBlock ?? 1;
  const rng = new Rng(seed);
  prepare(a);
  prepare(b);
  let instructions = 0, blocks = 0, faults = 0;
  let block = genBlock(rng, blockLen, false, opts.exclude);
  let run = 0;
  while (instructions < minInsns) {
    if (run === runs) {
      block = genBlock(rng, blockLen, rng.chance(0.02), opts.exclude);
      run = 0;
    }
    run++;
    const regs: bigint[] = [];
    for (let r = 0; r < 16; r++) regs.push(rng.u64());
    regs[REG_RSP] = BigInt(STACK_MID);
    regs[REG_R14] = BigInt(rng.int(64));
    regs[REG_R15] = BigInt(D_SCRATCH);
    const flags = BigInt(0x202 | (rng.u32() & 0x8d5));
    const xmm = Array.from({ length: 16 }, () => Uint8Array.from({ length: 16 }, () => rng.int(256)));
    const scratch = Uint8Array.from({ length: SCRATCH_SIZE }, () => rng.int(256));
    for (const e of [a, b]) {
      if (run === 1) e.write(D_CODE, block.bytes);
      e.write(D_SCRATCH, scratch);
      e.write(D_STACK, new Uint8Array(STACK_SIZE));
      regs.forEach((v, r) => e.setReg(regId(r), v));
      e.setReg(REG_RFLAGS, flags);
      e.setReg(REG_RIP, BigInt(D_CODE));
      xmm.forEach((v, i) => e.setXmm(i, v));
    }
    const res = runLockstep(a, b, {
      maxSteps: opts.maxStepsInBlock?.(blocks) ?? block.length * 2,
      compareRegions: [[D_SCRATCH, D_SCRATCH + SCRATCH_SIZE], [D_STACK, D_STACK + STACK_SIZE]],
      regionEvery: opts.regionEvery ?? Number.POSITIVE_INFINITY,
    });
    instructions += res.steps;
    blocks++;
    // A block meant to fault may jump over its divide by zero.
    const intended = res.stop.kind === "breakpoint" ||
      (block.faults && res.stop.kind === "fault" && res.stop.fault.type === "de");
    const want = block.faults ? "#DE or INT3" : "INT3";
    if (!res.divergence && !intended) {
      // Both engines agreed on something the generator did not intend.
      const listing = block.progs.map((p) => formatProg(p)).join("\n");
      const report = `block ended with ${JSON.stringify(res.stop)} instead of ${want}`;
      return {
        instructions, blocks, faults,
        divergence: { seed, block: blocks - 1, report, listing, divergence: { step: res.steps, rip: 0, bytes: new Uint8Array(), diffs: [report], report } },
      };
    }
    if (res.stop.kind === "fault") faults++;
    if (res.divergence) {
      const listing = block.progs.map((p, i) => `${String(i).padStart(4)}  ${formatProg(p)}`).join("\n");
      return {
        instructions, blocks, faults,
        divergence: { seed, block: blocks - 1, report: res.divergence.report, divergence: res.divergence, listing },
      };
    }
  }
  return { instructions, blocks, faults };
}
