// Faults and stops: how a run ends, as the CPU layer reports it.
//
// These are the types the Engine interface (src/engine/engine.ts, which
// re-exports them) returns from run() and step(); they live here because
// the interpreter produces them, and layers only import downward.
//
// A fault is one of the four exceptions a user-mode Linux process can be
// given for an instruction, each with the signal the kernel turns it into:
//   page  #PF: a memory access to a page that is missing or forbids it
//         (SIGSEGV, si_addr = `addr`, the first byte refused);
//   gp    #GP: a privileged instruction, port I/O, an INT n gate user mode
//         may not use, an instruction longer than 15 bytes, or a
//         non-canonical address (SIGSEGV, si_addr 0);
//   ud    #UD: bytes that are not an instruction gmpemu implements
//         (SIGILL);
//   de    #DE: division by zero or a quotient that does not fit (SIGFPE).
// Both engines report the same type, RIP and (for #PF) address and access
// for the same instruction; only the `why` text of #GP may differ.
//
// RIP is unsigned: `rip` is the faulting instruction's address (for a fetch
// fault, the address fetched), exact below 2^53, which covers every address
// that can be mapped; a non-canonical or kernel-half RIP is the nearest
// double, and the engine's getReg(REG_RIP) gives it exactly.

import type { AccessKind } from "../mem/memory.ts";

export type Fault =
  | { type: "page"; addr: bigint; access: AccessKind; rip: number }
  | { type: "ud"; rip: number; bytes: Uint8Array }
  | { type: "de"; rip: number }
  | { type: "gp"; rip: number; why: string };

/** Why run() or step() returned. */
export type Stop =
  /** RIP entered a host-call range (see setHostRange) and did not execute. */
  | { kind: "hostcall"; addr: number }
  /** A SYSCALL instruction executed; RIP is after it; RCX/R11 set as the CPU does. */
  | { kind: "syscall" }
  /** INT3 (or INT $3) executed; `addr` is its opcode byte (CC or CD); RIP is after the instruction. */
  | { kind: "breakpoint"; addr: number }
  /** A fault: the faulting instruction did not complete; RIP is at it. */
  | { kind: "fault"; fault: Fault }
  /** The instruction budget given to run() was used up. */
  | { kind: "count" }
  /** stop() was called. */
  | { kind: "halt" };

/** Canonical addresses are the 64-bit values whose bits 63..47 are all equal: [-2^47, 2^47) as signed. */
export const CANONICAL_LIMIT = 2 ** 47;

/** Whether a signed address (as the interpreter holds RIP and effective addresses) is canonical. */
export function isCanonical(a: number): boolean {
  return a >= -CANONICAL_LIMIT && a < CANONICAL_LIMIT;
}

/** Whether an unsigned 64-bit address is canonical. */
export function isCanonicalU(a: bigint): boolean {
  return a < 0x8000_0000_0000n || a >= 0xffff_8000_0000_0000n;
}

/** The unsigned value of a signed address, as a number (exact below 2^53). */
export function unsignedAddr(a: number): number {
  return a >= 0 ? a : a + 18446744073709551616;
}
