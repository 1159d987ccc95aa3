// The assembler's intermediate form: what the parser produces and the
// back end (prologue insertion, encoder, linker) consumes. It follows Go's
// cmd/internal/obj Prog and Addr closely, because obj6.go's rewrites are
// easiest to port, and to check, against the same shapes.
//
// A Prog is the encoder's Inst (src/x86/inst.ts, the typed contract between
// the two layers) with what only the assembler needs: labels, TEXT/GLOBL
// flags and the ABI. So a Prog goes to the encoder as it is, and the
// operand types are the encoder's.

import { EncodeError, type Inst, type MemOperand, type Operand, type SrcPos } from "../x86/inst.ts";

export type { AddrName } from "../x86/inst.ts";

/** A place in the source, for diagnostics and the pc→line table. */
export type Pos = SrcPos;
export type Addr = Operand;
export type MemAddr = MemOperand;

/** One parsed source statement that becomes (or shapes) machine code. */
export interface Prog extends Inst {
  /** TEXT and GLOBL flags (textflag.h values, OR-ed), DATA's width. */
  flags?: number;
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

/** Messages longer than this are cut (a token can be megabytes long). */
const MAX_MESSAGE = 400;

/**
 * An assembly diagnostic; never thrown past the CLI as a stack trace. It is
 * the encoder's error type, so an EncodeError from src/x86 reaches the user
 * the same way (see fromEncodeError).
 */
export class AsmError extends EncodeError {
  constructor(pos: Pos, message: string) {
    super(pos, message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE) + "…" : message);
  }
  /** The same diagnostic as an AsmError (the encoder throws its own type). */
  static from(e: EncodeError): AsmError {
    return e instanceof AsmError ? e : new AsmError(e.pos, e.message);
  }
}

/** A diagnostic that does not stop the assembly (a lossy immediate). */
export class AsmWarning extends AsmError {
  override format(): string {
    const at = this.pos.line === 0 ? this.pos.file : `${this.pos.file}:${this.pos.line}:${this.pos.col}`;
    return `${at}: warning: ${this.message}`;
  }
}

/** All the errors of one assembly, reported together (up to a cap). */
export class AsmErrors extends Error {
  /**
   * `tooMany`: the assembly stopped after MAX_ERRORS lines with errors, as
   * Go's does ("too many errors"); `errors` holds what it found until then.
   */
  constructor(public readonly errors: AsmError[], public readonly tooMany = false) {
    super(errors.map((e) => e.format()).join("\n") + (tooMany ? "\ntoo many errors" : ""));
  }
}

/**
 * A short, quoted form of source text for a message: the start of a long
 * token, never all of it (a 5 MB string literal must not be echoed).
 */
export function quote(text: string, max = 40): string {
  if (text.length <= max) return JSON.stringify(text);
  return JSON.stringify(text.slice(0, max)).slice(0, -1) + `…" (${text.length} characters)`;
}

/** The same for a name printed without quotes (a macro, a symbol). */
export function short(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
