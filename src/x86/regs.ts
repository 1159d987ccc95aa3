// Registers, as Go's assembler names them.
//
// Go writes one name for every width of a general register (AX is AL, AX,
// EAX or RAX according to the mnemonic's suffix), except the byte registers,
// which have names of their own (AL, CL, ..., SPB, BPB, SIB, DIB, R8B ...
// R15B, and the legacy AH, CH, DH, BH). The number of a register is its
// hardware encoding: the low three bits go into ModRM/SIB or the opcode, the
// fourth into a REX bit.

export const GPR_NAMES = [
  "AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI",
  "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
] as const;

/** Byte registers with a REX prefix (or none needed, 0-3). */
export const BYTE_NAMES = [
  "AL", "CL", "DL", "BL", "SPB", "BPB", "SIB", "DIB",
  "R8B", "R9B", "R10B", "R11B", "R12B", "R13B", "R14B", "R15B",
] as const;

/** Legacy high-byte registers; only encodable without a REX prefix. */
export const HIGH_BYTE_NAMES = ["AH", "CH", "DH", "BH"] as const;

export const XMM_NAMES = Array.from({ length: 16 }, (_, i) => `X${i}`);

export type RegClass = "gpr" | "byte" | "high" | "xmm";

export interface Reg {
  cls: RegClass;
  /** Hardware number 0-15 (for "high": 4-7, the encoding of AH..BH). */
  num: number;
}

const byName = new Map<string, Reg>();
GPR_NAMES.forEach((n, i) => byName.set(n, { cls: "gpr", num: i }));
BYTE_NAMES.forEach((n, i) => byName.set(n, { cls: "byte", num: i }));
HIGH_BYTE_NAMES.forEach((n, i) => byName.set(n, { cls: "high", num: i + 4 }));
XMM_NAMES.forEach((n, i) => byName.set(n, { cls: "xmm", num: i }));

/** Looks a register up by its Go name (case-sensitive, as Go is). */
export function lookupReg(name: string): Reg | undefined {
  return byName.get(name);
}

export function regName(r: Reg): string {
  switch (r.cls) {
    case "gpr": return GPR_NAMES[r.num]!;
    case "byte": return BYTE_NAMES[r.num]!;
    case "high": return HIGH_BYTE_NAMES[r.num - 4]!;
    case "xmm": return XMM_NAMES[r.num]!;
  }
}

// Indices into the CPU's register file (the same numbering as the hardware).
export const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
export const R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;

/** RFLAGS bits. */
export const CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7;
export const TF = 1 << 8, IF = 1 << 9, DF = 1 << 10, OF = 1 << 11;
/** The arithmetic flags an instruction can define. */
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;
