// Issue 10, bounded input: the size of what the assembler reads is capped,
// 16 MiB per file and 64 MiB for all the files of one assembly (an #include
// counts each time it is read), with a message that says which bound was met.
import { truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectCleanFailure, gmpemu, scratch } from "./asm-cli.ts";

const dir = scratch("size");
const fn = "TEXT ·f(SB), 4, $0\n\tRET\n";

describe("gmpemu asm caps the input's size", () => {
  it("a file over 16 MiB, given directly or included", () => {
    // A sparse file: 17 MiB of NUL bytes that cost no disk.
    writeFileSync(join(dir, "big.s"), "");
    truncateSync(join(dir, "big.s"), 17 << 20);
    const r = gmpemu(["asm", "big.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe(`big.s: file too large: ${17 << 20} bytes (the limit is 16 MiB)\n`);
    writeFileSync(join(dir, "incbig.s"), `${fn}#include "big.s"\n`);
    const i = gmpemu(["asm", "incbig.s"], dir);
    expectCleanFailure(i);
    expect(i.stderr).toBe(`incbig.s:3:10: #include "big.s": file too large: ${17 << 20} bytes (the limit is 16 MiB)\n`);
  });

  it("all files of one assembly over 64 MiB: the include that passes the bound is refused", () => {
    // 10 MiB of comment, included seven times: the seventh passes 64 MiB.
    writeFileSync(join(dir, "ten.h"), "// " + "x".repeat((10 << 20) - 4) + "\n");
    writeFileSync(join(dir, "seven.s"), `${fn}${'#include "ten.h"\n'.repeat(7)}`);
    const r = gmpemu(["asm", "seven.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe('seven.s:9:10: #include "ten.h": the files of this assembly exceed 64 MiB in all\n');
    // Six are within the bound.
    writeFileSync(join(dir, "six.s"), `${fn}${'#include "ten.h"\n'.repeat(6)}`);
    const ok = gmpemu(["asm", "six.s"], dir);
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
  });
});
