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

// ---- register ids: the one table of the registers an engine exposes ------------
//
// The sixteen general registers by hardware number, then RIP, RFLAGS and the
// FS and GS bases. Engines (src/engine/engine.ts), the kernel, the debugger
// and the tools all name registers through these constants and REG_NAMES;
// RegId admits only these twenty values, so a typo'd or computed register
// number is a type error (regId() checks one that comes from data).

export const REG_RAX = 0, REG_RCX = 1, REG_RDX = 2, REG_RBX = 3, REG_RSP = 4, REG_RBP = 5, REG_RSI = 6, REG_RDI = 7;
export const REG_R8 = 8, REG_R9 = 9, REG_R10 = 10, REG_R11 = 11, REG_R12 = 12, REG_R13 = 13, REG_R14 = 14, REG_R15 = 15;
export const REG_RIP = 16, REG_RFLAGS = 17, REG_FS_BASE = 18, REG_GS_BASE = 19;

/** A register an engine exposes: a GPR by hardware number (0-15), RIP, RFLAGS, FS_BASE, GS_BASE. */
export type RegId =
  | typeof REG_RAX | typeof REG_RCX | typeof REG_RDX | typeof REG_RBX | typeof REG_RSP | typeof REG_RBP | typeof REG_RSI | typeof REG_RDI
  | typeof REG_R8 | typeof REG_R9 | typeof REG_R10 | typeof REG_R11 | typeof REG_R12 | typeof REG_R13 | typeof REG_R14 | typeof REG_R15
  | typeof REG_RIP | typeof REG_RFLAGS | typeof REG_FS_BASE | typeof REG_GS_BASE;

/** How many register ids there are (ids are 0 ... NREGS-1). */
export const NREGS = 20;

/** Go's names of the register ids, by id: AX ... R15, then RIP, RFLAGS, FS_BASE, GS_BASE. */
export const REG_NAMES: readonly string[] = [...GPR_NAMES, "RIP", "RFLAGS", "FS_BASE", "GS_BASE"];

/** A register id from a number that comes from data (a loop, a table, a packet); throws outside 0-19. */
export function regId(n: number): RegId {
  if (!(Number.isInteger(n) && n >= 0 && n < NREGS)) throw new RangeError(`no register id ${n}`);
  return n as RegId;
}

/** Every register id, in order. */
export const REG_IDS: readonly RegId[] = Array.from({ length: NREGS }, (_, i) => regId(i));

// Short names for the general registers (the same ids; the CPU's register file uses the same numbering).
export const RAX = REG_RAX, RCX = REG_RCX, RDX = REG_RDX, RBX = REG_RBX, RSP = REG_RSP, RBP = REG_RBP, RSI = REG_RSI, RDI = REG_RDI;
export const R8 = REG_R8, R9 = REG_R9, R10 = REG_R10, R11 = REG_R11, R12 = REG_R12, R13 = REG_R13, R14 = REG_R14, R15 = REG_R15;

/** RFLAGS bits. */
export const CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7;
export const TF = 1 << 8, IF = 1 << 9, DF = 1 << 10, OF = 1 << 11;
/** The arithmetic flags an instruction can define. */
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;
