// runProgramAsync runs a program in many short kernel runs with event-loop
// turns between; the kernel hands a slice cut short by a run's budget to
// the next run, so the interleaving, the output, the instruction count and
// the virtual clock are those of one long run. (Without the hand-over each
// short run would pick a thread afresh and draw a new quantum: with several
// Ps the counts below differ.)
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProgram, runProgramAsync } from "../../src/node/boot.ts";

const PROGRAMS = join(import.meta.dirname, "../../programs");

function capture() {
  const out: Uint8Array[] = [];
  return { out, opts: { stdout: (b: Uint8Array) => out.push(b.slice()), stderr: (b: Uint8Array) => out.push(b.slice()) } };
}

describe("runProgramAsync", () => {
  for (const [name, procs, seed] of [["pingpong", 4, 3], ["gosched", 2, 1], ["sleep", 4, 2], ["deadlock", 1, 1]] as const) {
    it(`${name} --procs ${procs} --seed ${seed}: the same run in slices of 997 instructions as in one`, async () => {
      const a = capture(), b = capture();
      const ra = runProgram([join(PROGRAMS, `${name}.s`)], { procs, seed, ...a.opts });
      const sa = { code: ra.code, insns: ra.insns, now: ra.machine.kernel.now, host: ra.machine.kernel.hostCalls };
      const rb = await runProgramAsync([join(PROGRAMS, `${name}.s`)], { procs, seed, ...b.opts }, 997);
      const sb = { code: rb.code, insns: rb.insns, now: rb.machine.kernel.now, host: rb.machine.kernel.hostCalls };
      expect(sb).toEqual(sa);
      expect(Buffer.concat(b.out).toString()).toBe(Buffer.concat(a.out).toString());
    });
  }

  it("stops at --max-insns as runProgram does", async () => {
    const a = capture(), b = capture();
    const ra = runProgram([join(PROGRAMS, "spin.s")], { maxInsns: 20_000, ...a.opts });
    const rb = await runProgramAsync([join(PROGRAMS, "spin.s")], { maxInsns: 20_000, ...b.opts }, 1234);
    expect(rb.code).toBe(3);
    expect({ code: rb.code, insns: rb.insns }).toEqual({ code: ra.code, insns: ra.insns });
    expect(Buffer.concat(b.out).toString()).toBe(Buffer.concat(a.out).toString());
  });
});
