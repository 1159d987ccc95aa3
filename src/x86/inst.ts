// The encoder's contract: what src/x86 accepts and what it reports.
//
// The encoder (encode.ts) and the function layout (span.ts) take their input
// in these types, and nothing above x86 is imported to describe it: the
// assembler's Prog (src/asm/prog.ts) is an Inst with more fields (labels,
// TEXT flags, the ABI), so the assembler hands its Progs down as they are and
// the layers stay strictly downward (x86 < asm).
//
// An Inst is one Go instruction or pseudo-instruction with Go's operands
// (Go's obj.Prog and obj.Addr, cut down to what amd64 uses). What the layout
// (assembleFunction) needs beyond a single Inst is in the types too:
//   - every branch to an instruction of the function carries `target`, the
//     index of that instruction in the list (an index equal to the list's
//     length is the function's end); labels are the assembler's business and
//     must be resolved before layout (src/asm/obj6.ts does it, after
//     src/asm/linkpatch.ts has collapsed jump chains as Go's linkpatch does);
//   - a branch that leaves the function names `sym` and has no target: only
//     JMP and CALL may, encoded rel32 with an R_CALL relocation;
//   - memory operands may still be pseudo-register references ("auto",
//     "param"): they are addressed off the hardware SP as Go's asmandsz does,
//     with the offset the assembler (obj6) has already made final;
//   - a TLS operand (`tls`) is Go's off(TLS): the FS-relative form, no base;
//   - TEXT, NOP, PCDATA and FUNCDATA encode to nothing; ADJSP is lowered by
//     the layout to ADDQ/SUBQ on SP; BYTE/WORD/LONG/QUAD emit their value.
//
// Errors are EncodeErrors at the Inst's position; a lossy encoding that Go
// accepts (an immediate or displacement that does not survive its field) is
// an EncodeWarning, returned beside the bytes, for the assembler to print or
// to turn into an error (gmpemu asm --strict).
//
// Rejected: the encoder importing the assembler's types (an upward import,
// and a contract written as prose at the top of two files, which is what
// this file replaced), and a separate conversion from Prog to Inst (a copy
// of every instruction for nothing: the shapes are the same).

import type { Reg } from "./regs.ts";

/** A place in the source, for diagnostics and the pc→line table. */
export interface SrcPos {
  file: string;
  line: number;
  /** 1-based column of the start of the construct. */
  col: number;
}

/** Where a memory operand's symbol lives (Go's obj.NAME_*). */
export type AddrName =
  | "none"    // plain register-relative memory: 8(AX)
  | "extern"  // sym(SB)
  | "static"  // sym<>(SB), file-local
  | "auto"    // name-off(SP) with a symbol name: the pseudo-SP (locals)
  | "param";  // name+off(FP): the arguments

/**
 * Memory: disp(base)(index*scale), sym+off(SB), name+off(FP), name-off(SP),
 * (TLS). `base` absent means none; `tls` marks a TLS-relative reference.
 */
export interface MemOperand {
  type: "mem";
  name: AddrName;
  sym?: string;
  /** For "auto"/"param": the name given before +off (checked, not used). */
  argName?: string;
  offset: bigint;
  base?: Reg;
  index?: Reg;
  scale: 1 | 2 | 4 | 8;
  tls?: boolean;
}

/** A branch target: an instruction of the function (`target`) or a symbol. */
export interface BranchOperand {
  type: "branch";
  /** The source's label; the assembler's, never read by the encoder. */
  label?: string;
  sym?: string;
  offset: bigint;
  /** Index of the target instruction in the function's list. */
  target?: number;
}

export type Operand =
  | { type: "none" }
  | { type: "reg"; reg: Reg }
  /** $constant: a 64-bit two's complement integer. */
  | { type: "const"; value: bigint }
  | MemOperand
  /** $sym(SB), $off(reg), $name+off(FP): the address of a memory operand. */
  | { type: "addr"; mem: MemOperand }
  | BranchOperand
  /** DATA's string value ($"..."): never an instruction operand. */
  | { type: "sconst"; bytes: Uint8Array }
  /** TEXT's $frame-args (args -1 when absent): TEXT encodes to nothing. */
  | { type: "textsize"; frame: bigint; args: bigint };

/** One instruction for the encoder, with Go's operand order (from, from3, to). */
export interface Inst {
  /** Go mnemonic or pseudo-op. */
  as: string;
  from: Operand;
  /** The middle operand of a three-operand form (IMUL3Q $8, AX, BX: AX). */
  from3?: Operand;
  to: Operand;
  /** A LOCK prefix (Go's separate LOCK statement). */
  lock?: boolean;
  pos: SrcPos;
  /** Where each operand starts, in source order (from, from3, to), for warnings. */
  argPos?: SrcPos[];
}

/**
 * An instruction the encoder cannot encode, at its source position. It is a
 * diagnostic for the user, who never sees a stack trace, so none is captured
 * (capturing one costs more than the rest of the error; the assembler may
 * build thousands for a bad file).
 */
export class EncodeError extends Error {
  readonly pos: SrcPos;
  constructor(pos: SrcPos, message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.pos = pos;
  }
  format(): string {
    // A whole-file problem (missing, unreadable) has no line to point at.
    if (this.pos.line === 0) return `${this.pos.file}: ${this.message}`;
    return `${this.pos.file}:${this.pos.line}:${this.pos.col}: ${this.message}`;
  }
}

/** A lossy encoding Go accepts silently, at the operand that lost bits (or the Inst). */
export interface EncodeWarning {
  pos: SrcPos;
  message: string;
}
