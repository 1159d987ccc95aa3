// The stepper's step back (issue 17): the CPU time of `rsi 1` and `rc` at
// positions up to 2,000,000 steps into a program that loops, and of the
// same replay taken step by step (stepOnce and its checks, as before
// Kernel.stepMany). Not part of `npm run bench`'s table: run it alone,
//   node --import tsx bench/step-back.ts
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Stepper } from "../src/step/stepper.ts";

// A goroutine that loops 10,000,000 times, then exits.
const PROGRAM = `#include "textflag.h"

TEXT ·main(SB), $0-0
	MOVQ	$10000000, CX
loop:
	INCQ	AX
	DECQ	CX
	JNZ	loop
	RET
`;

const dir = mkdtempSync(join(tmpdir(), "gmpemu-stepback-"));
try {
  const file = join(dir, "loop.s");
  writeFileSync(file, PROGRAM);
  const s = new Stepper(file, { root: dir });
  const cpu = (f: () => void): number => {
    const t = process.cpuUsage();
    f();
    const d = process.cpuUsage(t);
    return (d.user + d.system) / 1e6;
  };
  let at = 0;
  for (const target of [10_000, 100_000, 500_000, 1_000_000, 2_000_000]) {
    const fwd = cpu(() => s.exec(`si ${target - at}`));
    at = target;
    const back = cpu(() => s.exec("rsi 1"));
    const forward = cpu(() => s.exec("si 1"));
    const rc = cpu(() => s.exec("rc"));
    s.exec(`si ${at - s.steps}`);
    if (s.end || s.steps !== at) throw new Error(`the program ended or moved: ${s.end} at ${s.steps}`);
    console.log(`step ${target.toLocaleString("en")}: rsi 1 ${back.toFixed(3)} s, rc ${rc.toFixed(3)} s of CPU` +
      ` (si to it: ${fwd.toFixed(2)} s, si 1: ${forward.toFixed(4)} s)`);
  }
  s.m.engine.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
