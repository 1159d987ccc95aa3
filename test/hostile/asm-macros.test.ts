// Issue 10, bounded input: macros. Expansion is bounded in depth (100
// expansions in progress: Go's bound and Go's "recursive macro invocation")
// and in size (100,000 tokens produced by expansions in one assembly), so an
// exponential #define chain, which Go's assembler and the old gmpemu expand
// without end, stops with a file:line:col error at the use.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assembleString } from "../../src/asm/assemble.ts";
import { expectCleanFailure, gmpemu, scratch } from "./asm-cli.ts";

const dir = scratch("macros");
const use = (defs: string, line: string): string => `${defs}TEXT ·f(SB), 4, $0\n\t${line}\n\tRET\n`;
const chain = (n: number, body: (i: number) => string): string =>
  Array.from({ length: n }, (_, i) => `#define M${i + 1} ${body(i)}\n`).join("");

describe("macro expansion is bounded", () => {
  it("2^30 statements from 30 #defines: a located error, at once", () => {
    writeFileSync(join(dir, "exp.s"), use("#define M0 NOP\n" + chain(30, (i) => `M${i}; M${i}`), "M30"));
    const r = gmpemu(["asm", "exp.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe("exp.s:33:2: macro expansion produced more than 100000 tokens (an exponential #define?)\n");
  });

  it("the same over continuation lines (a multi-line macro)", () => {
    writeFileSync(join(dir, "expml.s"), use("#define M0 NOP\n" + chain(30, (i) => `M${i} \\\n\tM${i}`), "M30"));
    const r = gmpemu(["asm", "expml.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/^expml\.s:63:2: macro expansion produced more than 100000 tokens/);
  });

  it("2^30 tokens on one line", () => {
    writeFileSync(join(dir, "expline.s"), use("#define M0 1\n" + chain(30, (i) => `M${i}+M${i}`), "MOVQ $M30, AX"));
    const r = gmpemu(["asm", "expline.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe("expline.s:33:8: macro expansion produced more than 100000 tokens (an exponential #define?)\n");
  });

  it("function-like macros that double their argument", () => {
    const defs = "#define D0(x) x\n" + Array.from({ length: 30 }, (_, i) => `#define D${i + 1}(x) D${i}(x)+D${i}(x)\n`).join("");
    const r = assembleString(use(defs, "MOVQ $D30(1), AX"), "fn.s");
    expect(r.errors.map((e) => e.format())).toEqual(["fn.s:33:8: macro expansion produced more than 100000 tokens (an exponential #define?)"]);
  });

  it("100 macros deep is Go's recursive macro invocation", () => {
    const r = assembleString(use(chain(299, (i) => `M${i + 2}`) + "#define M300 NOP\n", "M1"), "deep.s");
    expect(r.errors.map((e) => e.format())).toEqual(["deep.s:302:2: recursive macro invocation: M101"]);
    // 99 deep is fine.
    const ok = assembleString(use(chain(98, (i) => `M${i + 2}`) + "#define M99 NOP\n", "M1"), "ok.s");
    expect(ok.errors).toEqual([]);
  });
});
