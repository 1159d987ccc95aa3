// Diagnostics and the assembler's bounds on its input.
//
// The assembler reads what a user (or a fuzzer, or a student's typo) gives
// it, so every resource it spends is bounded by a stated limit, and meeting a
// limit is a located error, never a hang, an exhausted stack or an
// out-of-memory abort:
//
//   a file                     16 MiB, and a regular file (no device, FIFO
//                              or directory: /dev/zero would never end)
//   all files of one assembly  64 MiB, #includes counted each time
//   #include nesting           64 files deep
//   one statement              100,000 tokens (after macro expansion); the
//                              rest of a longer line is skipped unread
//   macro expansion            100 macros deep (Go's bound, and Go's message:
//                              "recursive macro invocation"), and 100,000
//                              tokens produced by expansions in one assembly
//                              (an exponential #define chain)
//   data (GLOBL)               256 MiB in all (the linker gives each byte)
//   a function's layout        1,000 passes (Go's bound: "span must be
//                              looping"), and at most 20,000,000 instruction
//                              encodings over all passes: each pass lays out
//                              the whole function, and a chain of overlapping
//                              branches can need a pass per branch
//   errors                     10 lines with errors, then "too many errors",
//                              as Go's assembler stops (one error per line)
//
// Within these bounds the work is linear: labels, #ifdef frames, macro
// parameters and the lines of relocations are found through maps, sets and
// counters, never by scanning a list per use, and no array is spread into a
// call's arguments (V8 takes about 125,000). test/hostile/asm-scale.test.ts
// holds an input for each place that once was not.
//
// Expressions are parsed without recursion (src/asm/parse.ts), so nesting
// depth costs heap, which the statement bound limits, never stack. Go
// accepts 1,000,000 nested parentheses (2,000,001 tokens, 3 s and 900 MB);
// we stop such a line at 100,000 tokens with an error, the same answer for
// 10,000 levels as Go's.
//
// The project's own files are far inside these bounds: the largest,
// test/corpus/insns.s, is 300 KB (asm_amd64.s 19 KB), no statement has more
// than 17 tokens after expansion, and all of asm/ expands 318 macro tokens.
//
// Errors are collected in a Diag: one per source line (the first stage to
// notice a line wins; it points most precisely), and the stages stop once
// more than MAX_ERRORS lines have errors. Warnings (lossy immediates) are
// kept apart and never stop anything.

import { AsmError, AsmWarning, type Pos } from "./prog.ts";

/** Lines with errors before an assembly stops, as Go's assembler. */
export const MAX_ERRORS = 10;

export interface Limits {
  /** Bytes of one source file. */
  maxFileBytes: number;
  /** Bytes of all files one assembly reads (a file included twice counts twice). */
  maxTotalBytes: number;
  /** Files open at once through #include. */
  maxIncludeDepth: number;
  /** Tokens of one statement or directive line, after expansion. */
  maxStatementTokens: number;
  /** Macro expansions in progress at once. */
  maxMacroDepth: number;
  /** Tokens produced by macro expansion in one assembly. */
  maxExpandedTokens: number;
  /** Bytes of all data symbols (GLOBL) of one assembly. */
  maxDataBytes: number;
  /** A function's layout: passes times instructions (see src/x86/span.ts). */
  maxLayoutWork: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxFileBytes: 16 << 20,
  maxTotalBytes: 64 << 20,
  maxIncludeDepth: 64,
  maxStatementTokens: 100_000,
  maxMacroDepth: 100,
  maxExpandedTokens: 100_000,
  maxDataBytes: 256 << 20,
  maxLayoutWork: 20_000_000,
};

/** "16 MiB", "1,000,000 bytes": a limit as the user reads it. */
export function bytesText(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n >> 20} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n >> 10} KiB`;
  return `${n.toLocaleString("en-US")} bytes`;
}

/** The diagnostics of one assembly. */
export class Diag {
  readonly errors: AsmError[] = [];
  readonly warnings: AsmWarning[] = [];
  private readonly lines = new Set<string>();

  private key(pos: Pos, message: string): string {
    // A whole-file problem (line 0) is its own entry per message.
    return pos.line === 0 ? `${pos.file}\u0000${message}` : `${pos.file}\u0000${pos.line}`;
  }

  /** Whether a line already has its error (so a stage can skip building one). */
  has(pos: Pos): boolean {
    return pos.line !== 0 && this.lines.has(`${pos.file}\u0000${pos.line}`);
  }

  error(e: AsmError): void {
    const k = this.key(e.pos, e.message);
    if (this.lines.has(k)) return;
    this.lines.add(k);
    this.errors.push(e);
  }

  errorAt(pos: Pos, message: string): void {
    if (!this.has(pos)) this.error(new AsmError(pos, message));
  }

  warn(w: AsmWarning): void {
    this.warnings.push(w);
  }

  /** More than MAX_ERRORS lines have errors: stop, as Go does. */
  get full(): boolean {
    return this.lines.size > MAX_ERRORS;
  }

  /** The errors in file order (first appearance) and line order; the first MAX_ERRORS when full. */
  sorted(): AsmError[] {
    return sortByLine(this.errors).slice(0, this.full ? MAX_ERRORS : undefined);
  }
}

/** Errors ordered by file (in order of first appearance) and line, stable within a line. */
export function sortByLine<T extends AsmError>(errors: readonly T[]): T[] {
  const fileOrder = new Map<string, number>();
  for (const e of errors) if (!fileOrder.has(e.pos.file)) fileOrder.set(e.pos.file, fileOrder.size);
  return [...errors].sort((a, b) =>
    fileOrder.get(a.pos.file)! - fileOrder.get(b.pos.file)! || a.pos.line - b.pos.line);
}
