// Issue 10, bounded input: a device, a FIFO or a directory given to the
// assembler, directly or through #include, is refused before it is read,
// with `FILE: not a regular file` (the old assembler read /dev/zero without
// end, 8 GB in 60 s, and blocked forever opening a FIFO with no writer).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectCleanFailure, gmpemu, scratch } from "./asm-cli.ts";

const dir = scratch("nonregular");
const fn = "TEXT ·f(SB), 4, $0\n\tRET\n";

describe("gmpemu asm refuses what is not a regular file", () => {
  it("/dev/zero given directly", () => {
    const r = gmpemu(["asm", "/dev/zero"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe("/dev/zero: not a regular file (a character device)\n");
  });

  it('#include "/dev/zero", at the include', () => {
    writeFileSync(join(dir, "zero.s"), `#include "/dev/zero"\n${fn}`);
    const r = gmpemu(["asm", "zero.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe('zero.s:1:10: #include "/dev/zero": not a regular file (a character device)\n');
  });

  it("a FIFO with no writer, directly and through #include (never blocks in open)", () => {
    execFileSync("mkfifo", [join(dir, "pipe.s")]);
    const r = gmpemu(["asm", "pipe.s"], dir, 30_000);
    expectCleanFailure(r);
    expect(r.stderr).toBe("pipe.s: not a regular file (a FIFO)\n");
    writeFileSync(join(dir, "inc-pipe.s"), `#include "pipe.s"\n${fn}`);
    const i = gmpemu(["asm", "inc-pipe.s"], dir, 30_000);
    expectCleanFailure(i);
    expect(i.stderr).toBe('inc-pipe.s:1:10: #include "pipe.s": not a regular file (a FIFO)\n');
  });

  it("a directory", () => {
    mkdirSync(join(dir, "d.s"));
    const r = gmpemu(["asm", "d.s"], dir);
    expectCleanFailure(r);
    expect(r.stderr).toBe("d.s: not a regular file (a directory)\n");
  });
});
