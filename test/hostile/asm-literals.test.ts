// Issue 10, bounded input: long tokens. A 5 MB string literal took 15 s and
// its error echoed all 5 MB; tokens are now scanned and unquoted in linear
// time, and a message quotes only the start of a long token (40 characters,
// then its length). Through the CLI: what the user sees is the point.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectCleanFailure, gmpemu, scratch } from "./asm-cli.ts";

const dir = scratch("literals");
const FIVE_MB = 5_000_000;
const a40 = "a".repeat(40);

describe("long tokens: linear, and quoted short", () => {
  it("a 5 MB DATA string", () => {
    writeFileSync(join(dir, "str.s"), `DATA ·s+0(SB)/8, $"${"a".repeat(FIVE_MB)}"\nGLOBL ·s(SB), 8, $8\n`);
    const r = gmpemu(["asm", "str.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe(`str.s:1:18: DATA string "${a40}…" (5000000 characters) is longer than its size 8\n`);
  });

  it("a 5 MB string with escapes, unquoted in one pass", () => {
    writeFileSync(join(dir, "esc.s"), `DATA ·s+0(SB)/8, $"${"\\x41b".repeat(FIVE_MB / 5)}"\nGLOBL ·s(SB), 8, $8\n`);
    const r = gmpemu(["asm", "esc.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe(`esc.s:1:18: DATA string "${"Ab".repeat(20)}…" (2000000 characters) is longer than its size 8\n`);
  });

  it("a 5 MB identifier as a mnemonic", () => {
    writeFileSync(join(dir, "ident.s"), `TEXT ·f(SB), 4, $0\n\t${"a".repeat(FIVE_MB)} AX\n\tRET\n`);
    const r = gmpemu(["asm", "ident.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe(`ident.s:2:2: unrecognized instruction "${a40}…" (5000000 characters)\n`);
  });

  it("a 5 MB number", () => {
    writeFileSync(join(dir, "num.s"), `TEXT ·f(SB), 4, $0\n\tMOVQ $${"9".repeat(FIVE_MB)}, AX\n\tRET\n`);
    const r = gmpemu(["asm", "num.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe(`num.s:2:8: integer constant "${"9".repeat(40)}…" (5000000 characters) overflows 64 bits\n`);
  });

  it("a number of 5 MB of leading zeros is just its value", () => {
    writeFileSync(join(dir, "zeros.s"), `TEXT ·f(SB), 4, $0\n\tMOVQ $0x${"0".repeat(FIVE_MB)}7, AX\n\tRET\n`);
    const r = gmpemu(["asm", "--json", "zeros.s"], dir);
    expect(r.stderr).toBe("");
    expect((JSON.parse(r.stdout) as { symbols: { bytes: string }[] }).symbols[0]!.bytes).toBe("48c7c007000000c3");
  });

  it("an unterminated 5 MB string", () => {
    writeFileSync(join(dir, "unterm.s"), `TEXT ·f(SB), 4, $0\n\tMOVQ $"${"a".repeat(FIVE_MB)}\n\tRET\n`);
    const r = gmpemu(["asm", "unterm.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe("unterm.s:2:8: string literal not terminated\n");
  });
});
