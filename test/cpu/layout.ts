// The memory layout rows run in, and the row format (no vitest imports, so
// scripts can load the rows too).
import type { Stop } from "../../src/engine/engine.ts";
import { CF, PF, AF, ZF, SF, OF, DF } from "../../src/x86/regs.ts";

export const CODE = 0x10000;
export const DATA = 0x20000;
export const STACK_TOP = 0x32000;
export const STACK = 0x31000;
export const FS = 0x41000;
export const RO = 0x50000; // read-only page

export const FLAG_BITS: Record<string, number> = { CF, PF, AF, ZF, SF, OF, DF };
export const ARITH = CF | PF | AF | ZF | SF | OF;

export type Val = bigint | number;
export interface State {
  /** GPRs by Go name (AX ... R15), X0..X15 as 128-bit bigints, RIP. */
  [reg: string]: Val | string | Record<number, string> | undefined;
  /** Flags set, by name ("CF ZF"); in `out`, exactly the arithmetic flags set (undefined ones ignored). */
  flags?: string;
  /** Memory contents: address -> hex bytes. */
  mem?: Record<number, string>;
}

export interface Row {
  /** Instruction bytes in hex ("48 01 c3"); several instructions may follow each other. */
  b: string;
  /** Expected disassembly of the first instruction (Go syntax). */
  asm?: string;
  in?: State;
  out?: State;
  /** Number of instructions to run (default: 1). */
  n?: number;
  /** Expected stop (default "count"). A function may check details. */
  stop?: Stop["kind"] | ((s: Stop) => void);
  /** Flags the SDM leaves undefined for this row (not compared). */
  undef?: number;
  /** false: Go's assembler writes other bytes for `asm` (a second encoding). */
  go?: false;
  /**
   * What unicorn does instead, where QEMU departs from the SDM in a way the
   * engine cannot undo, and why: these outputs replace the row's on unicorn
   * (every row is asserted on every engine).
   */
  unicorn?: { out: State; why: string };
}

export function hexBytes(s: string): Uint8Array {
  const t = s.replace(/\s+/g, "");
  return Uint8Array.from(t.match(/../g) ?? [], (x) => parseInt(x, 16));
}

export function flagsOf(s: string): number {
  let f = 0;
  for (const n of s.split(/\s+/).filter(Boolean)) {
    const b = FLAG_BITS[n];
    if (b === undefined) throw new Error(`unknown flag ${n}`);
    f |= b;
  }
  return f;
}

export function flagNames(f: number): string {
  return Object.entries(FLAG_BITS).filter(([, b]) => f & b).map(([n]) => n).join(" ");
}


/** The starting value of a register not named in a row's input. */
export function initial(r: number): bigint {
  return BigInt(0x1111 * (r + 1)) | (BigInt(r + 1) << 40n);
}
