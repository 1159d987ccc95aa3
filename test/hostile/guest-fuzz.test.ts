// A seeded fuzzer for guest programs (issue 10): main.main made of random
// instruction bytes and random system calls (real numbers and arguments
// near the edges: 0, -1, huge, the goroutine's own stack, unmapped pages).
// Every program must end in an exit, a Go-style fatal error, a fault
// report or the instruction budget — never a TypeScript exception — and,
// for the programs run on both CPUs, both must tell the same story.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProgram } from "../../src/node/boot.ts";
import { engines } from "../helpers/oracles.ts";

const SEED = 20261202;
const PROGRAMS = 240;
/** Every BOTH-th program also runs on unicorn and is compared. */
const BOTH = 6;

/** mulberry32. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The system calls the kernel knows, and some it does not.
const SYSCALLS = [1, 9, 11, 13, 14, 15, 24, 28, 35, 39, 56, 60, 131, 158, 186, 202, 228, 231, 234, 0, 2, 57, 59, 62, 999];
const ARGS = ["$0", "$1", "$-1", "$2", "$9", "$23", "$0x1000", "$0x7fffffffffff", "$0x8000000000000000", "$0xc000000000"];

function genProgram(r: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const lines = ["#include \"textflag.h\"", "", "TEXT ·main(SB), $64-0"];
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    if (r() < 0.5) {
      // A system call: arguments from the edges, or pointers into our own frame.
      const regs = ["DI", "SI", "DX", "R10", "R8", "R9"];
      for (const reg of regs) {
        if (r() < 0.3) lines.push(`\tLEAQ\t${8 * Math.floor(r() * 8)}(SP), ${reg}`);
        else lines.push(`\tMOVQ\t${pick(ARGS)}, ${reg}`);
      }
      lines.push(`\tMOVQ\t$${pick(SYSCALLS)}, AX`, "\tSYSCALL");
    } else {
      // Random instruction bytes (often invalid, sometimes a jump or a store).
      const k = 1 + Math.floor(r() * 12);
      for (let j = 0; j < k; j++) lines.push(`\tBYTE\t$0x${Math.floor(r() * 256).toString(16)}`);
    }
  }
  lines.push("\tRET", "");
  return lines.join("\n");
}

describe("guest program fuzzer", () => {
  it(`${PROGRAMS} random programs end cleanly; both CPUs agree on every ${BOTH}th`, { timeout: 300_000 }, () => {
    const r = rng(SEED);
    const dir = mkdtempSync(join(tmpdir(), "gmpemu-gfuzz-"));
    const both = engines().includes("unicorn");
    const outcomes = new Map<string, number>();
    let compared = 0;
    for (let i = 0; i < PROGRAMS; i++) {
      const file = join(dir, `p${i}.s`);
      const src = genProgram(r);
      writeFileSync(file, src);
      const once = (engine: string) => {
        let err = "";
        let res: ReturnType<typeof runProgram>;
        try {
          res = runProgram([file], { engine, maxInsns: 20_000, stdout: () => {}, stderr: (b) => (err += Buffer.from(b).toString()) });
        } catch (e) {
          throw new Error(`program ${i} (seed ${SEED}) threw on ${engine}: ${(e as Error).stack}\n${src}`);
        }
        expect(["exit", "throw", "panic", "fault", "budget", "deadlock"], `program ${i}`).toContain(res.how);
        expect(err, `program ${i}`).not.toMatch(/TypeError|RangeError|at .*\.ts:\d+|gmpemu: (?!stopped after)/);
        return { how: res.how, code: res.code, err };
      };
      const a = once("interp");
      outcomes.set(a.how, (outcomes.get(a.how) ?? 0) + 1);
      if (both && i % BOTH === 0) {
        const b = once("unicorn");
        expect({ how: b.how, code: b.code }, `program ${i} on unicorn vs interp\n${src}\n${a.err}\n---\n${b.err}`).toEqual({ how: a.how, code: a.code });
        compared++;
      }
    }
    // Every kind of ending shows up: the fuzzer reaches the edges.
    expect(outcomes.get("exit") ?? 0).toBeGreaterThan(0);
    expect(outcomes.get("fault") ?? 0).toBeGreaterThan(0);
    if (both) expect(compared).toBe(Math.ceil(PROGRAMS / BOTH));
    console.log(`guest fuzzer: ${PROGRAMS} programs, endings ${JSON.stringify(Object.fromEntries(outcomes))}, ${compared} compared on both CPUs`);
  });
});
