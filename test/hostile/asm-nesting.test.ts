// Issue 10, bounded input: deep nesting. Constant expressions are parsed
// without recursion, so 10,000 nested parentheses or minus signs assemble
// (to Go's bytes, as go tool asm accepts them), and a statement is bounded
// at 100,000 tokens, so 1,000,000 levels, or a 10 MB line of `(`, end in a
// located error, not in "Maximum call stack size exceeded" or an
// out-of-memory abort (Go accepts 1,000,000 levels in 3 s and 900 MB; we
// stop them, as src/asm/diag.ts says).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { expectCleanFailure, gmpemu, scratch } from "./asm-cli.ts";

const dir = scratch("nesting");
const goBin = findGo();
// Go's bytes are compared live when Go is installed (a failure under GMPEMU_REQUIRE_ORACLES=1 when not);
// the expected bytes written in the tests are Go's, from such a run.
const haveGo = oracleAvailable("go (go tool asm)", goBin !== null);
const fn = (operand: string): string => `TEXT ·f(SB), 4, $0\n\tMOVQ ${operand}, AX\n\tRET\n`;

/** The function's bytes as gmpemu asm --json prints them. */
function ours(name: string): string {
  const r = gmpemu(["asm", "--json", name], dir);
  if (r.status !== 0) throw new Error(`gmpemu asm ${name}: status ${r.status}\n${r.stderr.slice(0, 2000)}`);
  return (JSON.parse(r.stdout) as { symbols: { bytes: string }[] }).symbols[0]!.bytes;
}

/** Go's bytes for the same file, when Go is installed. */
function gos(name: string): string | undefined {
  if (!haveGo) return undefined;
  const out = execFileSync(goBin!, ["tool", "asm", "-S", "-p", "main", "-o", join(dir, "x.o"), name], { cwd: dir, encoding: "utf8", maxBuffer: 1 << 26 });
  return [...out.matchAll(/^\t0x[0-9a-f]{4} ((?:[0-9a-f]{2} )+)/gm)].map((m) => m[1]!.replace(/ /g, "")).join("");
}

describe("deep nesting in constant expressions", () => {
  it("10,000 nested parentheses assemble, to Go's bytes", () => {
    writeFileSync(join(dir, "parens.s"), fn("$" + "(".repeat(10_000) + "1" + ")".repeat(10_000)));
    const b = ours("parens.s");
    expect(b).toBe("48c7c001000000c3");
    const g = gos("parens.s");
    if (g !== undefined) expect(b).toBe(g);
  });

  it("10,000 unary minus signs assemble, to Go's bytes", () => {
    writeFileSync(join(dir, "unary.s"), fn("$" + "-".repeat(10_001) + "1"));
    const b = ours("unary.s");
    expect(b).toBe("48c7c0ffffffffc3"); // an odd count: -1
    const g = gos("unary.s");
    if (g !== undefined) expect(b).toBe(g);
  });

  it("10,000 levels in a memory operand's offset", () => {
    writeFileSync(join(dir, "memoff.s"), `TEXT ·f(SB), 4, $0\n\tMOVQ ${"(".repeat(10_000)}8${")".repeat(10_000)}(SP), AX\n\tRET\n`);
    expect(ours("memoff.s")).toBe("488b442408c3");
  });

  it("1,000,000 levels of either end in one located error", () => {
    writeFileSync(join(dir, "parens1m.s"), fn("$" + "(".repeat(1_000_000) + "1" + ")".repeat(1_000_000)));
    const p = gmpemu(["asm", "parens1m.s"], dir);
    expectCleanFailure(p);
    expect(p.stderr).toBe("parens1m.s:2:2: statement too long: more than 100000 tokens\n");
    writeFileSync(join(dir, "unary1m.s"), fn("$" + "-".repeat(1_000_000) + "1"));
    const u = gmpemu(["asm", "unary1m.s"], dir);
    expectCleanFailure(u);
    expect(u.stderr).toBe("unary1m.s:2:2: statement too long: more than 100000 tokens\n");
  });

  it("a 10 MB line of ( is skipped unread after its error, and the next lines are still checked", () => {
    writeFileSync(join(dir, "wall.s"), `TEXT ·f(SB), 4, $0\n\tMOVQ $${"(".repeat(10_000_000)}\n\tFROB AX\n\tRET\n`);
    const r = gmpemu(["asm", "wall.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe('wall.s:2:2: statement too long: more than 100000 tokens\nwall.s:3:2: unrecognized instruction "FROB"\n');
  });

  it("nesting in a macro's arguments is bounded too", () => {
    writeFileSync(join(dir, "macroarg.s"), `#define ID(x) x\nTEXT ·f(SB), 4, $0\n\tMOVQ $ID(${"(".repeat(200_000)}1), AX\n\tRET\n`);
    const r = gmpemu(["asm", "macroarg.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe("macroarg.s:3:8: arguments of macro ID longer than 100000 tokens\n");
  });
});
