// Bad input: each kind the assembler must reject, with its exact message
// (file:line:col: message), every error of a file reported (up to a cap),
// and the CLI's exit status 1 with no stack trace.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { assembleFile } from "../../src/asm/assemble.ts";
import { buildImage } from "../../src/asm/index.ts";
import { AsmErrors } from "../../src/asm/prog.ts";
import { nodeSource } from "../../src/node/nodefs.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "gmpemu-errors-"));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** The formatted errors of one file, with the temp directory stripped. */
function errorsOf(name: string, content: string | Uint8Array, opts: { pkg?: string } = {}): string[] {
  const p = file(name, content);
  return assembleFile(p, { ...opts, source: nodeSource }).errors.map((e) => e.format().replaceAll(dir + "/", ""));
}

const fn = (body: string, head = "TEXT ·f(SB), 4, $0-0"): string => `${head}\n${body}\n\tRET\n`;

describe("assembler errors, one per kind", () => {
  const cases: [string, string, string[]][] = [
    ["unknown mnemonic", fn("\tFROBQ AX, BX"), ['unknown.s:2:2: unrecognized instruction "FROBQ"']],
    ["operand combination the table lacks", fn("\tMOVQ AX"), ["combo.s:2:2: invalid instruction: MOVQ AX"]],
    ["operand combination: two memory operands", fn("\tMOVQ (AX), (BX)"), ["combo2.s:2:2: invalid instruction: MOVQ (AX), (BX)"]],
    ["undefined label", fn("\tJMP nowhere"), ["label.s:2:6: undefined label nowhere"]],
    ["duplicate label", "TEXT ·f(SB), 4, $0\nl:\n\tRET\nl:\n\tRET\n", ["duplabel.s:4:1: label l multiply defined"]],
    ["duplicate symbol", "TEXT ·f(SB), 4, $0\n\tRET\nTEXT ·f(SB), 4, $0\n\tRET\n", ["dupsym.s:3:1: symbol main.f redeclared (first at dupsym.s:1)"]],
    ["FP name disagreeing with an earlier name for the offset", fn("\tMOVQ a+0(FP), AX\n\tMOVQ b+0(FP), BX", "TEXT ·f(SB), 4, $0-16"),
      ["fpname.s:3:7: b+0(FP): offset 0 is already named a"]],
    ["FP offset disagreeing with an earlier offset for the name", fn("\tMOVQ a+0(FP), AX\n\tMOVQ a+8(FP), BX", "TEXT ·f(SB), 4, $0-16"),
      ["fpoff.s:3:7: a+8(FP): a is at offset 0"]],
    ["FP offset outside the declared arguments", fn("\tMOVQ c+16(FP), AX", "TEXT ·f(SB), 4, $0-16"),
      ["fpframe.s:2:7: c+16(FP): offset 16 is outside the 16-byte argument area"]],
    ["unterminated #ifdef", "#ifdef GOOS_linux\n" + fn("\tNOP"), ["ifdef.s:1:1: unclosed #ifdef or #ifndef"]],
    ["missing include", '#include "nope.h"\n' + fn("\tNOP"), ['include.s:1:10: #include file not found: "nope.h"']],
    ["immediate out of range", fn("\tADDL $0x1ffffffff, AX"), ["imm.s:2:2: constant $8589934591 out of range for ADDL: ADDL $8589934591, AX"]],
    ["displacement out of range", fn("\tMOVQ 0x100000000(AX), BX"), ["disp.s:2:2: offset too large in MOVQ 4294967296(AX), BX"]],
    ["empty file", "", ["empty.s:1:1: empty file: no TEXT, DATA or GLOBL to assemble"]],
    ["a file of comments only", "// nothing here\n", ["comments.s:1:1: empty file: no TEXT, DATA or GLOBL to assemble"]],
    ["ABI selector outside the runtime", fn("\tNOP", "TEXT ·f<ABIInternal>(SB), 4, $0"),
      ["abi.s:1:6: ABI selector only permitted when compiling runtime (-p runtime): main.f"]],
    ["ABIInternal without NOSPLIT", fn("\tNOP", "TEXT ·f<ABIInternal>(SB), $0"),
      ["abinosplit.s:1:1: TEXT runtime.f: ABIInternal requires NOSPLIT"]],
    ["DATA outside its GLOBL", "DATA ·d+8(SB)/8, $1\nGLOBL ·d(SB), 8, $8\n", ["dataout.s:1:1: DATA main.d+8/8 is outside the 8 bytes GLOBL declares"]],
    ["overlapping DATA", "DATA ·d+0(SB)/8, $1\nDATA ·d+4(SB)/4, $1\nGLOBL ·d(SB), 8, $8\n", ["overlap.s:2:1: overlapping DATA entry for main.d at offset 4"]],
    ["instruction outside TEXT", "\tNOP\n", ["outside.s:1:2: NOP outside of a TEXT symbol"]],
    ["unbalanced PUSHQ at RET", fn("\tPUSHQ AX", "TEXT ·f(SB), $0-0"), ["push.s:3:2: unbalanced PUSH/POP: 8 bytes left on the stack at RET"]],
    // Found by the fuzzer (test/hostile/asm-fuzz.test.ts, seed 2): obj6 once did arithmetic on the register.
    ["ADJSP of a register", fn("\tADJSP AX"), ["adjsp.s:2:2: ADJSP requires one constant operand: ADJSP $value"]],
  ];
  for (const [what, src, want] of cases) {
    it(what, () => {
      const name = want[0]!.split(":")[0]!;
      expect(errorsOf(name, src, name === "abinosplit.s" ? { pkg: "runtime" } : {})).toEqual(want);
    });
  }

  it("non-UTF-8 bytes, with the position of the bad byte", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode("TEXT ·f(SB), 4, $0\n\tMOVQ $1, AX // caf"), 0xe9, 0x0a]);
    expect(errorsOf("utf8.s", bytes)).toEqual(["utf8.s:2:20: invalid UTF-8 encoding (byte 0xe9)"]);
  });

  it("a missing file", () => {
    expect(assembleFile(join(dir, "missing.s"), { source: nodeSource }).errors.map((e) => e.format().replaceAll(dir + "/", ""))).toEqual([
      "missing.s: cannot open file: no such file or directory",
    ]);
  });

  it("every error in a file is reported, in line order, one per line", () => {
    const src = fn("\tFROBQ AX\n\tMOVQ AX\n\tJMP nowhere\n\tADDL $0x1ffffffff, AX");
    expect(errorsOf("many.s", src)).toEqual([
      'many.s:2:2: unrecognized instruction "FROBQ"',
      "many.s:3:2: invalid instruction: MOVQ AX",
      "many.s:4:6: undefined label nowhere",
      "many.s:5:2: constant $8589934591 out of range for ADDL: ADDL $8589934591, AX",
    ]);
  });

  it("undefined symbols are fine in a listing but an error when a link requires them", () => {
    const p = file("undef.s", fn("\tCALL ·g(SB)"));
    expect(() => buildImage([p], { source: nodeSource })).not.toThrow();
    let err: unknown;
    try {
      buildImage([p], { requireDefined: true, source: nodeSource });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AsmErrors);
    expect((err as AsmErrors).errors.map((e) => e.format().replaceAll(dir + "/", ""))).toEqual(["undef.s:2:1: undefined symbol main.g"]);
  });
});

describe("gmpemu asm on bad input", () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, "bin/gmpemu.mjs"), ...args], { encoding: "utf8", cwd: dir });

  it("prints file:line:col messages, caps them at 10, exits 1, no stack trace", () => {
    const body = Array.from({ length: 14 }, (_, i) => `\tBAD${i} AX`).join("\n");
    const p = file("capped.s", fn(body));
    const r = cli("asm", p);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe(`${p}:2:2: unrecognized instruction "BAD0"`);
    // Go's words; like Go's assembler we stop there and do not count the rest.
    expect(lines[10]).toBe("too many errors");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a missing file", () => {
    const r = cli("asm", "no-such-file.s");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("no-such-file.s: cannot open file: no such file or directory\n");
  });

  it("misuse prints usage and exits 2", () => {
    const r = cli("asm");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing required argument 'files'/);
    expect(r.stderr).toMatch(/Usage: gmpemu asm/);
    const u = cli("frobnicate");
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
