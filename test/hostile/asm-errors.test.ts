// Issue 10, bounded input: errors. The assembler stops after ten lines with
// errors, as Go's does ("too many errors"), so 130,000 bad lines cost what
// eleven do (they used to end in "Maximum call stack size exceeded", every
// diagnostic lost), and a line has one error however many things are wrong
// with it (Go's rule), be they 200,000 bad characters.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assembleString } from "../../src/asm/assemble.ts";
import { expectCleanFailure, gmpemu, scratch } from "./asm-cli.ts";

const dir = scratch("errors");

describe("errors are capped at ten lines, one per line", () => {
  it("130,000 bad lines: the first ten, then too many errors", () => {
    const body = Array.from({ length: 130_000 }, (_, i) => `\tBAD${i} AX`).join("\n");
    writeFileSync(join(dir, "many.s"), `TEXT ·f(SB), 4, $0\n${body}\n\tRET\n`);
    const r = gmpemu(["asm", "many.s"], dir);
    expectCleanFailure(r);
    const want = Array.from({ length: 10 }, (_, i) => `many.s:${i + 2}:2: unrecognized instruction "BAD${i}"`);
    expect(r.stderr).toBe([...want, "too many errors", ""].join("\n"));
  });

  it("200,000 bad characters on one line: one error", () => {
    writeFileSync(join(dir, "chars.s"), `TEXT ·f(SB), 4, $0\n${"\u0001".repeat(200_000)}\n\tRET\n`);
    const r = gmpemu(["asm", "chars.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe('chars.s:2:1: unexpected character "\\u0001"\n');
  });

  it("one error per line, even with several statements on it", () => {
    const r = assembleString("TEXT ·f(SB), 4, $0\n\tFROB AX; MOVQ AX; JMP nowhere\n\tMOVQ AX\n\tRET\n", "line.s");
    expect(r.errors.map((e) => e.format())).toEqual(['line.s:2:2: unrecognized instruction "FROB"', "line.s:3:2: invalid instruction: MOVQ AX"]);
  });

  it("errors of every stage, in line order, and the cap counts lines", () => {
    // An encoder error on line 2, parser errors after it: all reported, sorted.
    const lines = ["\tMOVQ AX", ...Array.from({ length: 9 }, (_, i) => `\tBAD${i}`)];
    const r = assembleString(`TEXT ·f(SB), 4, $0\n${lines.join("\n")}\n\tRET\n`, "stages.s");
    expect(r.tooMany).toBe(false);
    expect(r.errors).toHaveLength(10);
    expect(r.errors[0]!.format()).toBe("stages.s:2:2: invalid instruction: MOVQ AX");
    const more = assembleString(`TEXT ·f(SB), 4, $0\n${lines.join("\n")}\n\tBAD9\n\tRET\n`, "stages.s");
    expect(more.tooMany).toBe(true);
    expect(more.errors).toHaveLength(10);
  });
});
