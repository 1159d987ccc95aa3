// Async preemption of code compiled by Go follows Go's rule: the signal
// handler asks the binary's pclntab whether the interrupted instruction is
// an unsafe point (_PCDATA_UnsafePoint), assembly, or the runtime's.
// programs/preempt.go's spinners are preempted inside their loop of
// compiled code, at instructions the compiler marked safe; with a
// preemption signal every 211 instructions, programs/waitgroup.go is
// preempted thousands of times, refused at the compiler's unsafe points
// (write-barrier sequences), and still prints Go's answer.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProgram } from "../../src/node/boot.ts";
import type { Machine } from "../../src/node/boot.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { expected, PROGRAMS } from "./goldens.ts";

const haveGo = oracleAvailable("go (compiling programs/*.go)", findGo() !== null);

interface Decision { taken: boolean; reason: string; pc: number; fn: string }

function run(name: string, opts: { preemptEvery?: number }): { stderr: string; code: number; decisions: Decision[]; m: Machine } {
  const err: string[] = [];
  const decisions: Decision[] = [];
  let m!: Machine;
  const r = runProgram([join(PROGRAMS, name + ".go")], {
    procs: 1, ...opts, stdout: () => {}, stderr: (b) => err.push(Buffer.from(b).toString()),
    observe: (mm) => {
      m = mm;
      mm.onDecision = (_gp, taken, reason, pc) => decisions.push({ taken, reason, pc, fn: mm.image.symAt(pc)?.name ?? "?" });
    },
  });
  return { stderr: err.join(""), code: r.code, decisions, m };
}

describe.skipIf(!haveGo)("async preemption of compiled code", () => {
  it("preempt.go: sysmon's signal stops each spinner inside its loop, at a pc the pclntab says is safe", { timeout: 300_000 }, () => {
    const r = run("preempt", {});
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(expected("preempt", haveGo).stderr);
    const taken = r.decisions.filter((d) => d.taken);
    expect(taken.length).toBeGreaterThanOrEqual(1);
    for (const d of taken) {
      expect(d.fn).toBe("main.spin");
      expect(r.m.go!.asyncSafePoint(d.pc).reason).toBe("");
    }
    expect(r.m.stats.preempt.taken).toBe(taken.length);
  });

  it("waitgroup.go under a signal every 211 instructions: preempted thousands of times, refused at unsafe points, Go's answer", { timeout: 300_000 }, () => {
    const r = run("waitgroup", { preemptEvery: 211 });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(expected("waitgroup", haveGo).stderr);
    const taken = r.decisions.filter((d) => d.taken);
    expect(taken.length).toBeGreaterThan(100);
    const unsafe = r.decisions.filter((d) => d.reason === "unsafe point (PCDATA)");
    expect(unsafe.length).toBeGreaterThan(0);
    // Each refusal really is at an instruction the compiler marked unsafe.
    for (const d of unsafe) {
      const f = r.m.go!.funcName(d.pc)!;
      expect(f.startsWith("runtime.")).toBe(false);
    }
    // And no preemption was taken in the runtime's code or our assembly.
    for (const d of taken) expect(d.fn.startsWith("runtime.") || d.fn.includes("<")).toBe(false);
  });
});

it.skipIf(haveGo)("preempting compiled code needs Go 1.19 to compile it (skipped: not installed)", () => {});
