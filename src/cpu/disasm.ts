// The disassembler: bytes to Go assembler syntax, from the same table.
//
// It decodes with the interpreter's decoder (so what it prints is what runs)
// and prints the row's Go mnemonic with the operands in Go order, sources
// first: `MOVQ 0x10(R14), AX`, `ADDQ $0x8, SP`, `CMPQ SP, 0x10(R14)`. The aim
// is text that Go's assembler reads back to the same bytes wherever Go has a
// spelling for it. Choices, where Go's objdump and Go's assembler differ:
//
//   - numbers are hex (`$0x8`, `-0x8(SP)`), immediates signed as encoded
//     (`CMPQ AX, $-0x1`); a zero displacement is omitted: `(BX)`, not `0(BX)`;
//   - FS/GS-relative operands print as objdump does, `FS:0xfffffff8` (the
//     32-bit displacement as encoded) or `FS:0x10(AX)` with a base; Go's
//     assembler spells these `(TLS)`/`-8(FS)`-like forms that depend on the
//     linker, so this is the one place the text is not assembler input;
//   - RIP-relative operands print as `sym+0x8(SB)` when the symbolizer knows
//     the target, else in objdump's relative form `0x10(IP)` (an absolute
//     `0x4a0(SB)` would read as a symbol reference, which it is not);
//   - branch and CALL targets print as `sym+0x8(SB)` via the symbolizer, or
//     as an absolute hex address (`JNE 0x4f3`), as objdump does;
//   - LOCK prints as `LOCK; XADDQ AX, (BX)`: two statements on one line,
//     which the assembler reads;
//   - 0xCC, which Go has no mnemonic for, prints as `BYTE $0xcc`, and so do
//     the table's decode-only rows (MOV to CR3: `BYTE $0x0f; BYTE $0x22;
//     BYTE $0xd8`); bytes not in the table print as `?` with length 1.

import { decode, bufSource, K_HREG, K_IMM, K_MEM, K_NONE, K_REG, K_XMM, SEG_FS, SEG_GS, type Insn, type Operand } from "./decode.ts";
import { BYTE_NAMES, GPR_NAMES, HIGH_BYTE_NAMES, XMM_NAMES } from "../x86/regs.ts";

export type Symbolizer = (addr: number) => string | undefined;

export function disassemble(bytes: Uint8Array, offset: number, pc: number, symbolize?: Symbolizer): { text: string; len: number } {
  let i: Insn;
  try {
    i = decode(bufSource(bytes, offset, pc), pc);
  } catch {
    return { text: "?", len: 1 };
  }
  if (i.op === "bad") return { text: "?", len: 1 };
  return { text: formatInsn(i, symbolize), len: i.len };
}

/** Go-syntax text of a decoded instruction. */
export function formatInsn(i: Insn, symbolize?: Symbolizer): string {
  if (i.op === "int3") return "BYTE $0xcc";
  if (!i.form) return "?";
  if (i.form.decodeOnly) return [...i.bytes].map((b) => `BYTE $0x${b.toString(16).padStart(2, "0")}`).join("; ");
  const ops = i.args.map((a) => formatOperand(i, a, symbolize));
  const body = ops.length ? `${i.form.as} ${ops.join(", ")}` : i.form.as;
  if (i.rep !== 0) return `${i.rep === 0xf3 ? "REP" : "REPN"}; ${body}`;
  return i.lock ? `LOCK; ${body}` : body;
}

function hex(v: number): string {
  return v < 0 ? "-0x" + (-v).toString(16) : "0x" + v.toString(16);
}

function formatOperand(i: Insn, a: Operand, symbolize?: Symbolizer): string {
  switch (a.k) {
    case K_REG: {
      if (a.kind === "x" || a.kind === "xm" || a.kind === "xm64" || a.kind === "xm32" || a.kind === "xr") return XMM_NAMES[a.n]!;
      const byte = a.kind === "rm8" || a.kind === "r8" || a.kind === "cl" || (a.kind === "acc" && i.size === 1);
      return byte ? BYTE_NAMES[a.n]! : GPR_NAMES[a.n]!;
    }
    case K_HREG: return HIGH_BYTE_NAMES[a.n]!;
    case K_XMM: return XMM_NAMES[a.n]!;
    case K_IMM: {
      if (a.kind === "one") return "$0x1";
      if (a.kind === "u8") return "$" + hex(i.immLo);
      return "$" + immText(i);
    }
    case K_MEM: return formatMem(i, symbolize);
    case K_NONE: {
      const s = symbolize?.(i.target);
      return s !== undefined ? `${s}(SB)` : hex(i.target);
    }
  }
  return "?";
}

/** The immediate, signed, as encoded (sign-extended to the operation width). */
function immText(i: Insn): string {
  switch (i.size) {
    case 1: return hex((i.immLo << 24) >> 24);
    case 2: return hex((i.immLo << 16) >> 16);
    case 4: return hex(i.immLo | 0);
    default: {
      const v = (BigInt(i.immHi) << 32n) | BigInt(i.immLo >>> 0);
      return v < 0n ? "-0x" + (-v).toString(16) : "0x" + v.toString(16);
    }
  }
}

function formatMem(i: Insn, symbolize?: Symbolizer): string {
  if (i.ripRel) {
    const s = symbolize?.(i.disp);
    if (s !== undefined) return `${s}(SB)`;
    return `${hex(i.disp - i.next)}(IP)`;
  }
  let out = "";
  const seg = i.seg === SEG_FS ? "FS:" : i.seg === SEG_GS ? "GS:" : "";
  if (i.base < 0 && i.index < 0) {
    // Absolute: print the displacement as the unsigned 32-bit value encoded.
    return seg + "0x" + (i.disp >>> 0).toString(16);
  }
  if (i.disp !== 0) out += hex(i.disp);
  if (i.base >= 0) out += `(${GPR_NAMES[i.base]})`;
  if (i.index >= 0) out += `(${GPR_NAMES[i.index]}*${i.scale})`;
  return seg + out;
}
