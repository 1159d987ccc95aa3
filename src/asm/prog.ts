// The assembler's intermediate form: what the parser produces and the
// back end (prologue insertion, encoder, linker) consumes. It follows Go's
// cmd/internal/obj Prog and Addr closely, because obj6.go's rewrites are
// easiest to port, and to check, against the same shapes.

import type { Reg } from "../x86/regs.ts";

/** A place in the source, for diagnostics and the pc→line table. */
export interface Pos {
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

export type Addr =
  | { type: "none" }
  /** A register. */
  | { type: "reg"; reg: Reg }
  /** $constant. The value is a 64-bit two's complement integer. */
  | { type: "const"; value: bigint }
  /**
   * Memory: disp(base)(index*scale), sym+off(SB), name+off(FP), name-off(SP),
   * (TLS). `base` absent means none; `tls` marks a TLS-relative reference
   * (base or index was Go's TLS pseudo-register).
   */
  | {
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
  /** $sym(SB), $off(reg), $name+off(FP): the address of a memory operand. */
  | { type: "addr"; mem: Extract<Addr, { type: "mem" }> }
  /** A branch target: a label of the current function, or a symbol. */
  | {
      type: "branch"; label?: string; sym?: string; offset: bigint;
      /** Set by obj6 for branches inside the function: index of the target prog. */
      target?: number;
    }
  /** DATA's value when it is a string: $"..." */
  | { type: "sconst"; bytes: Uint8Array }
  /** TEXT's $frame-args. args is -1 when absent. */
  | { type: "textsize"; frame: bigint; args: bigint };

export type MemAddr = Extract<Addr, { type: "mem" }>;

/** One parsed source statement that becomes (or shapes) machine code. */
export interface Prog {
  /** Mnemonic or pseudo-op (TEXT, DATA, GLOBL, PCDATA, FUNCDATA, BYTE, ...). */
  as: string;
  from: Addr;
  /** Third operand when there are three (IMUL3Q $8, AX, BX: AX). */
  from3?: Addr;
  to: Addr;
  /** A LOCK prefix (written `LOCK;` or `LOCK` on the line before). */
  lock?: boolean;
  /** TEXT and GLOBL flags (textflag.h values, OR-ed), DATA's width. */
  flags?: number;
  pos: Pos;
  /** Labels attached to this statement. */
  labels?: string[];
  /** TEXT only: the symbol's ABI (`name<ABIInternal>(SB)`); absent means ABI0. */
  abi?: "ABI0" | "ABIInternal";
}

/** textflag.h, Go 1.19. */
export const TEXTFLAG = {
  NOPROF: 1,
  DUPOK: 2,
  NOSPLIT: 4,
  RODATA: 8,
  NOPTR: 16,
  WRAPPER: 32,
  NEEDCTXT: 64,
  TLSBSS: 256,
  NOFRAME: 512,
  REFLECTMETHOD: 1024,
  TOPFRAME: 2048,
  ABIWRAPPER: 4096,
} as const;

/** An assembly diagnostic; never thrown past the CLI as a stack trace. */
export class AsmError extends Error {
  constructor(public readonly pos: Pos, message: string) {
    super(message);
  }
  format(): string {
    // A whole-file problem (missing, unreadable) has no line to point at.
    if (this.pos.line === 0) return `${this.pos.file}: ${this.message}`;
    return `${this.pos.file}:${this.pos.line}:${this.pos.col}: ${this.message}`;
  }
}

/** All the errors of one assembly, reported together (up to a cap). */
export class AsmErrors extends Error {
  constructor(public readonly errors: AsmError[]) {
    super(errors.map((e) => e.format()).join("\n"));
  }
}
