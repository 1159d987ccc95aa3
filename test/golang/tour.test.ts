// `gmpemu tour programs/gosched.go` walks the same switch as the assembly
// tour (programs/gosched.s): the same instructions of mcall and gogo (our
// asm/asm_amd64.s, at their source lines, with their comments), the same
// gobuf and TLS changes, the same scheduler decisions, and the same
// goroutines; only addresses differ (a compiled program's machine keeps
// our assembly at ASM_TEXT_BASE) and where Gosched returns to, which is
// the Go line of the runtime.Gosched() call.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runTour } from "../../src/tour/tour.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { PROGRAMS, ROOT } from "./goldens.ts";

const haveGo = oracleAvailable("go (compiling programs/*.go)", findGo() !== null);

function tour(file: string): string {
  let out = "";
  expect(runTour(join(PROGRAMS, file), (s) => (out += s), { root: ROOT })).toBe(0);
  return out;
}

/**
 * The tour with addresses and the program's own source line left out; of
 * an instruction's changes, the gobuf and TLS g slot it writes (register
 * values shown only when they change may differ: R12 happens to hold the
 * same value already in one of them).
 */
function shape(out: string): string[] {
  return out.split("\n").map((l) => {
    const insn = /^\s+0x[0-9a-f]+\s+(\S+:\d+)\s+(.+?)(?:\s{2,}(.*))?$/.exec(l);
    if (insn) return `${insn[1]} ${insn[2]} ${(insn[3] ?? "").match(/G\d+\.sched\.\w+|TLS g/g)?.join(" ") ?? ""}`;
    return l.replace(/\(programs\/gosched\.(s|go):\d+\)/g, "(PROGRAM)").replace(/0x[0-9a-f]+/g, "X");
  });
}

describe.skipIf(!haveGo)("gmpemu tour programs/gosched.go", () => {
  it("walks the switch of programs/gosched.s: the same instructions, comments, gobuf changes and decisions", () => {
    const go = tour("gosched.go");
    const asm = tour("gosched.s");
    expect(shape(go)).toEqual(shape(asm));
    // mcall and gogo are walked instruction by instruction (not an empty tour on both sides).
    expect(go.split("\n").filter((l) => /^\s+0x[0-9a-f]+\s+asm\/asm_amd64\.s:\d+/.test(l)).length).toBeGreaterThan(20);
  });

  it("Gosched returns to the Go line that called it", () => {
    const line = readFileSync(join(PROGRAMS, "gosched.go"), "utf8").split("\n").findIndex((l) => l.includes("runtime.Gosched()")) + 1;
    expect(tour("gosched.go")).toMatch(new RegExp(`^Goroutine 5 has called runtime\\.Gosched: .* returns to main\\.loop\\+0x[0-9a-f]+ \\(programs/gosched\\.go:${line}\\)`, "m"));
  });
});

it.skipIf(haveGo)("the tour of programs/gosched.go needs Go 1.19 (skipped: not installed)", () => {});
