// Readable encoder rows, one family at a time, with every Go quirk found:
// [Go source, Go 1.19's bytes]. When Go is installed the rows themselves are
// checked against `go tool asm` too, so a wrong row cannot hide here.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { parseString } from "../../src/asm/parse.ts";
import type { Addr, Prog } from "../../src/asm/prog.ts";
import { EncodeError } from "../../src/x86/inst.ts";
import { encodeProg, formatProg } from "../../src/x86/encode.ts";
import { assembleFunction } from "../../src/x86/span.ts";
import { collapseJumpChains } from "../../src/asm/linkpatch.ts";
import { lookupReg } from "../../src/x86/regs.ts";
import { goAssemble, hex, packLine } from "./encode-corpus.ts";

const ROWS: [string, string][] = [
  // MOV: register, memory, immediates. MOVQ $imm picks Ys32 (C7, 7 bytes)
  // before the B8 form; a value that only fits uint32 becomes MOVL (B8, REX.W
  // dropped); anything else is the 10-byte form.
  ["MOVQ AX, BX", "4889c3"],
  ["MOVQ (SP), R12", "4c8b2424"],
  ["MOVQ R13, 0(R13)", "4d896d00"],
  ["MOVQ $0, AX", "48c7c000000000"],
  ["MOVQ $-1, R9", "49c7c1ffffffff"],
  ["MOVQ $0x80000000, AX", "b800000080"],
  ["MOVQ $0xffffffff, R10", "41baffffffff"],
  ["MOVQ $0x100000000, AX", "48b80000000001000000"],
  ["MOVQ $-0x80000001, CX", "48b9ffffff7fffffffff"],
  ["MOVQ $0x80000000, (AX)", "48c70000000080"], // Yi32 store: sign-extends, as Go writes it
  ["MOVL $0, AX", "b800000000"],
  ["MOVL $0xffffffff, R9", "41b9ffffffff"],
  ["MOVW $0x1234, 8(SP)", "66c74424083412"],
  ["MOVB $300, AL", "b02c"], // Go's byte forms keep the low byte of any 32-bit constant
  ["MOVB AX, BX", "88c3"], // a full register in a byte form is its low byte
  ["MOVB SI, DI", "4088f7"], // ... and SIB/DIB need a bare REX
  ["MOVB AH, BL", "88e3"],
  ["MOVB R8B, (R12)", "45880424"],
  ["MOVQ X1, AX", "66480f7ec8"],
  ["MOVQ AX, X9", "664c0f6ec8"],
  ["MOVQ X8, X9", "f3450f7ec8"],
  ["MOVQ (AX), X0", "f30f7e00"],
  ["MOVL X3, CX", "660f7ed9"],
  // Extension.
  ["MOVBQZX (AX), BX", "480fb618"],
  ["MOVBQZX SI, AX", "480fb6c6"],
  ["MOVBLZX SI, CX", "400fb6ce"],
  ["MOVWQSX 2(R9), R10", "4d0fbf5102"],
  ["MOVLQSX AX, BX", "4863d8"],
  ["MOVLQZX AX, BX", "8bd8"],
  // Addressing: BP/R13 need a displacement, SP/R12 a SIB, index*scale, RIP-relative globals, TLS.
  ["LEAQ 8(SP), BP", "488d6c2408"],
  ["LEAQ (BP), AX", "488d4500"],
  ["LEAQ 128(R12), AX", "498d842480000000"],
  ["LEAQ -129(BX), AX", "488d837fffffff"],
  ["LEAQ (AX)(BX*8), CX", "488d0cd8"],
  ["LEAQ 16(R13)(R12*4), CX", "4b8d4ca510"],
  ["LEAQ (SP)(BP*1), CX", "488d0c2c"],
  ["MOVQ ·x(SB), AX", "488b0500000000|3+4 t=14 main.x+0"],
  ["MOVL $7, ·x+8(SB)", "c7050000000007000000|2+4 t=14 main.x+4"],
  ["MOVQ (TLS), CX", "64488b0c2500000000|5+4 t=15 TLS+0"],
  ["MOVQ AX, 16(TLS)", "644889042500000000|5+4 t=15 TLS+16"],
  ["MOVQ 0x10, AX", "488b042510000000"], // an absolute address: SIB with no base
  // ALU: 83 when the constant fits int8, then the accumulator form, then 81.
  ["ADDQ $1, AX", "4883c001"],
  ["ADDQ $128, AX", "480580000000"],
  ["ADDQ $128, BX", "4881c380000000"],
  ["ADDQ $0xffffffff, AX", "4805ffffffff"], // Yi32: Go accepts it (the CPU sign-extends)
  ["SUBQ $-128, SP", "4883ec80"],
  ["ADDW $0x12345, AX", "66054523"], // the word form keeps the low 16 bits
  ["ADDB $-1, AL", "04ff"],
  ["ANDB $0x7f, (R8)", "4180207f"],
  ["XORL AX, AX", "31c0"],
  ["ORQ (BX), R11", "4c0b1b"],
  ["ADCQ R11, (BX)", "4c111b"],
  ["SBBL $3, CX", "83d903"],
  // CMP reads (left, right): CMPQ AX, $1 is AX - 1.
  ["CMPQ AX, $1", "4883f801"],
  ["CMPQ AX, $1000", "483de8030000"],
  ["CMPQ SP, 16(R14)", "493b6610"],
  ["CMPQ 16(R14), SP", "49396610"],
  ["CMPB (AX), $0", "803800"],
  ["CMPB AL, BL", "38d8"],
  ["TESTQ AX, AX", "4885c0"],
  ["TESTQ $1, AX", "48a901000000"], // no short TEST form: A9 with imm32
  ["TESTB $1, 8(R12)", "41f644240801"],
  // One operand.
  ["INCQ AX", "48ffc0"],
  ["INCL R8", "41ffc0"],
  ["DECB (AX)", "fe08"],
  ["NEGQ R12", "49f7dc"],
  ["NOTL SI", "f7d6"],
  ["NOTQ AL", "48f7d0"], // Go's NEG/NOT take a byte operand class at every width
  ["MULQ BX", "48f7e3"],
  ["DIVQ 8(SP)", "48f7742408"],
  ["IDIVL CX", "f7f9"],
  ["IMULQ BX", "48f7eb"],
  ["IMULQ $3, AX", "486bc003"],
  ["IMULQ $300, R9", "4d69c92c010000"],
  ["IMULQ (AX), CX", "480faf08"],
  ["IMUL3Q $8, AX, BX", "486bd808"],
  ["IMUL3Q $300, (AX), R9", "4c69082c010000"],
  ["CQO", "4899"],
  ["CDQ", "99"],
  // Shifts: $1 has its own opcode; $0 is an ordinary count; CX and CL both mean CL.
  ["SHLQ $1, AX", "48d1e0"],
  ["SHLQ $0, AX", "48c1e000"],
  ["SHRQ $63, R15", "49c1ef3f"],
  ["SARL CL, DX", "d3fa"],
  ["ROLQ CX, (SP)", "48d30424"],
  ["RORB $1, BL", "d0cb"],
  // Conditions.
  ["SETEQ AL", "0f94c0"],
  ["SETNE AX", "0f95c0"],
  ["SETHI SI", "400f97c6"],
  ["CMOVQEQ BX, AX", "480f44c3"],
  ["CMOVQLT (R12), R13", "4d0f4c2c24"],
  // Exchange and atomics (LOCK is its own byte).
  ["XCHGQ AX, BX", "4893"],
  ["XCHGQ BX, AX", "4893"],
  ["XCHGQ AX, AX", "4890"],
  ["XCHGL CX, (R8)", "418708"],
  ["XCHGB AL, (BX)", "8603"],
  ["LOCK; XADDQ AX, (BX)", "f0480fc103"],
  ["LOCK; CMPXCHGL R9, 8(R12)", "f0450fb14c2408"],
  ["LOCK; ORL $0, (SP)", "f0830c2400"],
  // Stack.
  ["PUSHQ BP", "55"],
  ["PUSHQ R12", "4154"],
  ["PUSHQ $1", "6a01"],
  ["PUSHQ $0x80000000", "6800000080"],
  ["PUSHQ 8(AX)", "ff7008"],
  ["POPQ R15", "415f"],
  ["POPQ (SP)", "8f0424"],
  ["PUSHFQ", "9c"],
  ["POPFQ", "9d"],
  // Control.
  ["CALL ·f(SB)", "e800000000|1+4 t=7 main.f+0"],
  ["CALL runtime·g+8(SB)", "e800000000|1+4 t=7 runtime.g+8"],
  ["JMP runtime·g+8(SB)", "e900000000|1+4 t=7 runtime.g+0"], // Go drops JMP's symbol offset
  ["CALL AX", "ffd0|0+0 t=10 +0"],
  ["CALL R8", "41ffd0|1+0 t=10 +0"], // the marker moves past the REX Go inserts
  ["CALL 8(AX)", "ff5008|0+0 t=10 +0"],
  ["JMP AX", "ffe0"],
  ["JMP (R13)", "41ff6500"],
  ["RET", "c3"],
  // Misc and data.
  ["NOP", ""],
  ["UNDEF", "0f0b"],
  ["INT $3", "cd03"],
  ["SYSCALL", "0f05"],
  ["PAUSE", "f390"],
  ["MFENCE", "0faef0"],
  ["LFENCE", "0faee8"],
  ["SFENCE", "0faef8"],
  ["CPUID", "0fa2"],
  ["RDTSC", "0f31"],
  ["BYTE $0x90", "90"],
  ["WORD $0x1234", "3412"],
  ["LONG $-1", "ffffffff"],
  ["QUAD $0x123456789", "8967452301000000"],
  // SSE.
  ["MOVUPS (AX), X0", "0f1000"],
  ["MOVUPS X15, 16(SP)", "440f117c2410"],
  ["MOVOU X1, X2", "f30f6fd1"],
  ["MOVO (R8), X9", "66450f6f08"],
  ["XORPS X0, X0", "0f57c0"],
  ["PXOR X8, X9", "66450fefc8"],
];

const goBin = findGo();
const haveGo = oracleAvailable("go (go tool asm)", goBin !== null);

function assemble(lines: string[]) {
  const r = parseString(`TEXT ·t(SB),4,$0\n${lines.map((l) => "\t" + l).join("\n")}\n`, "t.s", {});
  if (r.errors.length) throw r.errors[0]!;
  return { progs: r.progs.slice(1), out: assembleFunction(collapseJumpChains(r.progs.slice(1))) };
}

function packed(lines: string[], i: number, a: ReturnType<typeof assemble>): string {
  const { pcs, bytes, relocs } = a.out;
  const s = pcs[i]!, e = i + 1 < pcs.length ? pcs[i + 1]! : bytes.length;
  const rel = relocs.filter((r) => r.offset >= s && r.offset < e).map((r) =>
    `${r.offset - s}+${r.size} t=${{ R_ADDR: 1, R_CALL: 7, R_CALLIND: 10, R_PCREL: 14, R_TLS_LE: 15 }[r.type]} ${r.type === "R_TLS_LE" ? "TLS" : r.sym}+${r.add}`);
  void lines;
  return packLine({ hex: hex(bytes.slice(s, e)), relocs: rel });
}

describe("encodeProg rows", () => {
  it.each(ROWS)("%s → %s", (src, want) => {
    const a = assemble([src]);
    expect(packed([src], 0, a)).toBe(want);
  });

  it("the rows are Go's bytes", () => {
    if (!haveGo) return;
    const dir = mkdtempSync(join(tmpdir(), "gmpemu-rows-"));
    const f = join(dir, "rows.s");
    // One TEXT per row (Go checks PUSH/POP balance at RET): row i is on line 3 + 2i.
    writeFileSync(f, `#define NOSPLIT 4\n${ROWS.map(([s], i) => `TEXT ·t${i}(SB),NOSPLIT,$0\n\t${s}`).join("\n")}\n`);
    const r = goAssemble(goBin!, f);
    expect(r.error).toBeUndefined();
    const wrong = ROWS.filter(([, want], i) => {
      const g = r.lines.get(3 + 2 * i);
      return (g ? packLine(g) : "") !== want;
    });
    expect(wrong).toEqual([]);
  });
});

const R = (n: string): Addr => ({ type: "reg", reg: lookupReg(n)! });
const pos = { file: "t.s", line: 1, col: 1 };

describe("encodeProg on hand-built Progs", () => {
  it("index without a base is SIB base 101 with a disp32 (Go's 16(AX*4))", () => {
    const p: Prog = {
      as: "MOVQ", pos, to: R("BX"),
      from: { type: "mem", name: "none", offset: 16n, index: lookupReg("AX")!, scale: 4 },
    };
    expect(hex(encodeProg(p, 0).bytes)).toBe("488b1c8510000000");
  });

  it("an auto/param operand is addressed off SP", () => {
    const p: Prog = { as: "MOVQ", pos, to: R("AX"), from: { type: "mem", name: "param", argName: "x", offset: 8n, scale: 1 } };
    expect(hex(encodeProg(p, 0).bytes)).toBe("488b442408");
  });

  it("reports errors at the Prog's position, in Go syntax", () => {
    const p: Prog = { as: "ADDQ", pos: { file: "f.s", line: 7, col: 2 }, from: { type: "const", value: 1n << 40n }, to: R("AX") };
    let err: unknown;
    try { encodeProg(p, 0); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(EncodeError);
    expect((err as EncodeError).format()).toBe("f.s:7:2: constant $1099511627776 out of range for ADDQ: ADDQ $1099511627776, AX");
  });

  it("formats Progs back to Go syntax", () => {
    const p: Prog = { as: "MOVQ", pos, lock: false, from: { type: "mem", name: "none", offset: -8n, base: lookupReg("SP")!, index: lookupReg("R12")!, scale: 8 }, to: R("R9") };
    expect(formatProg(p)).toBe("MOVQ -8(SP)(R12*8), R9");
  });

  it.each([
    ["MOVB AH, R8B", /AH, BH, CH and DH cannot be used/],
    ["MOVB SPB, AL", /SPB/],
    ["SHLQ $256, AX", /out of range/],
    ["MOVQ AL, BX", /invalid instruction: MOVQ AL, BX/],
    ["MOVQ 0x100000000(AX), BX", /offset too large/],
    ["JEQ ·f(SB)", /only JMP and CALL/],
  ])("rejects %s", (src, msg) => {
    expect(() => assemble([src as string])).toThrow(msg as RegExp);
  });
});

describe("assembleFunction (span6)", () => {
  const pad = (n: number) => Array.from({ length: n }, () => "BYTE $0xcc");

  it("uses rel8 up to 127 bytes forward and rel32 beyond", () => {
    const near = assemble(["JMP l", ...pad(127), "l:", "RET"].map((l) => l === "l:" ? "l:" : l));
    expect(hex(near.out.bytes.slice(0, 2))).toBe("eb7f");
    const far = assemble(["JEQ l", ...pad(128), "l:", "RET"]);
    expect(hex(far.out.bytes.slice(0, 6))).toBe("0f8480000000");
  });

  it("uses rel8 back to -128 and rel32 beyond, measured from the short form", () => {
    const a = assemble(["l:", ...pad(126), "JMP l"]);
    expect(hex(a.out.bytes.slice(126))).toBe("eb80");
    const b = assemble(["l:", ...pad(127), "JNE l"]);
    expect(hex(b.out.bytes.slice(127))).toBe("0f857bffffff");
  });

  it("a branch into a loop of JMPs targets itself (Go's brloop)", () => {
    const a = assemble(["JEQ l", "l:", "JMP l"]);
    expect(hex(a.out.bytes)).toBe("74feebfe");
  });

  it("a branch to a JMP goes to the JMP's target", () => {
    const a = assemble(["JEQ m", "BYTE $0xcc", "m:", "JMP n", "BYTE $0xcc", "n:", "RET"]);
    expect(hex(a.out.bytes)).toBe("7404" + "cc" + "eb01" + "cc" + "c3");
  });

  it("gives every prog its pc (zero-size ones share the next pc)", () => {
    const a = assemble(["NOP", "MOVQ AX, BX", "NOP", "RET"]);
    expect(a.out.pcs).toEqual([0, 0, 3, 3]);
  });

  it("lowers ADJSP as span6 does", () => {
    const mk = (v: bigint): Prog => ({ as: "ADJSP", pos, from: { type: "const", value: v }, to: { type: "none" } });
    const h = (v: bigint) => hex(assembleFunction([mk(v)]).bytes);
    expect(h(24n)).toBe("4883ec18");
    expect(h(0x80n)).toBe("4883c480"); // ADDQ $-128 is shorter than SUBQ $128
    expect(h(-24n)).toBe("4883c418");
    expect(h(-0x80n)).toBe("4883ec80");
    expect(h(0n)).toBe("");
  });
});
