// Issue 17: lossy immediates. Go's assembler accepts an operand that does
// not survive its field and writes what fits (MOVB $0x1ff, AX is MOVB $-1,
// AL). We write Go's bytes too, but say so: a warning at the operand, and an
// error under `strict` (gmpemu asm --strict). One case per place the encoder
// (or the DATA builder) keeps only part of a value, each with Go's bytes;
// and the operands that do fit give no warning.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assembleString } from "../../src/asm/assemble.ts";
import { immLoss } from "../../src/x86/encode.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";

const goBin = findGo();
// Go's bytes are compared live when Go is installed (a failure under GMPEMU_REQUIRE_ORACLES=1 when not);
// the expected bytes written in the tests are Go's, from such a run.
const haveGo = oracleAvailable("go (go tool asm)", goBin !== null);
const fn = (line: string): string => `TEXT ·f(SB), 4, $0\n\t${line}\n\tRET\n`;

/** [source line, Go's bytes for it, the warning (at line 2, the operand's column)]. */
const LOSSY: [string, string, string][] = [
  ["MOVB $0x1ff, AX", "b0ff", "7: $0x1ff truncated to 8 bits"],
  ["MOVB $-129, (BX)", "c6037f", "7: $-0x81 truncated to 8 bits"],
  ["ADDB $0x100, CL", "80c100", "7: $0x100 truncated to 8 bits"],
  ["MOVW $0x12345, AX", "66b84523", "7: $0x12345 truncated to 16 bits"],
  ["ANDQ $0xffffffff, AX", "4825ffffffff", "7: $0xffffffff truncated to 32 bits: the CPU sign-extends it to $-0x1"],
  ["ADDQ $0x80000000, BX", "4881c300000080", "7: $0x80000000 truncated to 32 bits: the CPU sign-extends it to $-0x80000000"],
  ["MOVQ $0x80000000, (AX)", "48c70000000080", "7: $0x80000000 truncated to 32 bits: the CPU sign-extends it to $-0x80000000"],
  ["INT $0x1ff", "cdff", "6: $0x1ff truncated to 8 bits"],
  ["BYTE $0x1ff", "ff", "7: $0x1ff truncated to 8 bits"],
  ["WORD $0x12345", "4523", "7: $0x12345 truncated to 16 bits"],
  ["LONG $0x100000001", "01000000", "7: $0x100000001 truncated to 32 bits"],
  ["LEAL 0x100000000(AX), BX", "8d18", "7: offset 0x100000000 truncated to 32 bits"],
  ["JMP ·f+8(SB)", "e900000000", "6: offset +8 dropped: Go's JMP to a symbol goes to main.f, not into it"],
];

/** Operands that fit their field: no warning. */
const EXACT: string[] = [
  "MOVB $255, AL", "MOVB $-128, AL", "MOVW $0xffff, AX", "MOVW $-32768, AX", "MOVL $0xffffffff, AX", "ANDL $0xffffffff, AX",
  "ADDQ $0x7fffffff, AX", "ADDQ $-0x80000000, AX", "MOVQ $0xffffffff, AX", "MOVQ $0x123456789, AX", "SHLQ $63, AX",
  "BYTE $-1", "QUAD $-1", "LEAL 0x7fffffff(AX), BX", "CALL ·f+8(SB)", "MOVQ $-1, (AX)",
];

describe("lossy immediates and displacements", () => {
  it.each(LOSSY)("%s: Go's bytes %s, and a warning", (line, bytes, warning) => {
    const r = assembleString(fn(line), "lossy.s");
    expect(r.errors).toEqual([]);
    expect(Buffer.from(r.obj.syms[0]!.bytes).toString("hex")).toBe(bytes + "c3");
    expect(r.warnings.map((w) => w.format())).toEqual([`lossy.s:2:${warning.replace(/^(\d+): /, "$1: warning: ")}`]);
  });

  it.each(LOSSY)("%s: an error under strict", (line, _bytes, warning) => {
    const r = assembleString(fn(line), "lossy.s", { strict: true });
    expect(r.warnings).toEqual([]);
    expect(r.errors.map((e) => e.format())).toEqual([`lossy.s:2:${warning}`]);
  });

  it.each(EXACT)("%s: no warning", (line) => {
    const r = assembleString(fn(line), "exact.s");
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it("DATA keeps the low bytes of its value, and says so", () => {
    const r = assembleString("DATA ·d+0(SB)/1, $0x1ff\nDATA ·d+1(SB)/2, $-1\nGLOBL ·d(SB), 8, $3\n", "data.s");
    expect(r.errors).toEqual([]);
    expect(Buffer.from(r.obj.syms[0]!.bytes).toString("hex")).toBe("ffffff");
    expect(r.warnings.map((w) => w.format())).toEqual(["data.s:1:18: warning: $0x1ff truncated to 8 bits"]);
  });

  it("the bytes are Go's (go tool asm, when installed)", () => {
    if (!haveGo) return;
    const dir = mkdtempSync(join(tmpdir(), "gmpemu-lossy-"));
    // One TEXT per case, so that each case's bytes stand alone.
    writeFileSync(join(dir, "l.s"), LOSSY.map(([line], i) => `TEXT ·f${i}(SB), 4, $0\n\t${line.replace("·f+8", `·f${i}+8`)}\n`).join(""));
    const out = execFileSync(goBin!, ["tool", "asm", "-S", "-p", "main", "-o", join(dir, "l.o"), "l.s"], { cwd: dir, encoding: "utf8" });
    const syms = out.split(/\n(?=\S)/).filter((s) => / STEXT /.test(s));
    expect(syms).toHaveLength(LOSSY.length);
    syms.forEach((s, i) => {
      const hex = [...s.matchAll(/^\t0x[0-9a-f]{4} ((?:[0-9a-f]{2} )+)/gm)].map((m) => m[1]!.replace(/ /g, "")).join("");
      expect(hex, LOSSY[i]![0]).toBe(LOSSY[i]![1]);
    });
  });

  it("immLoss: the boundaries of each field", () => {
    // A field as wide as the operation keeps signed and unsigned values.
    expect(immLoss(255n, 1, 1, false)).toBeUndefined();
    expect(immLoss(-128n, 1, 1, false)).toBeUndefined();
    expect(immLoss(256n, 1, 1, false)).toBe("$0x100 truncated to 8 bits");
    expect(immLoss(-129n, 1, 1, false)).toBe("$-0x81 truncated to 8 bits");
    // A narrower, sign-extended field keeps signed values only.
    expect(immLoss(0x7fffffffn, 4, 8, true)).toBeUndefined();
    expect(immLoss(-0x80000000n, 4, 8, true)).toBeUndefined();
    expect(immLoss(0x80000000n, 4, 8, true)).toMatch(/sign-extends it to \$-0x80000000$/);
    expect(immLoss(0x100000000n, 4, 8, true)).toBe("$0x100000000 truncated to 32 bits");
    // A 32-bit operation's 32-bit field: either reading.
    expect(immLoss(0xffffffffn, 4, 4, true)).toBeUndefined();
  });
});
