// The Engine: one interface over the two CPUs gmpemu can run on.
//
// `interp` is our interpreter (src/cpu/); `unicorn` binds libunicorn (QEMU's
// CPU core) through koffi. Everything above this layer — the kernel, the
// runtime bridge, the debugger, lockstep verification — talks to an Engine
// and never to a CPU directly, so a whole run can be repeated on either and
// compared instruction by instruction.
//
// Addresses are JS numbers: user-space addresses are below 2^47, well inside
// the 2^53 a double holds exactly. Register values cross this interface two
// ways: getReg/setReg as bigint (every 64-bit value, for cold callers and
// comparisons) and getRegN/setRegN as numbers (exact below 2^53: addresses,
// counts), which allocate nothing. Memory likewise: read/write/readU64/
// writeU64 for cold callers, and `hmem` (src/mem/hostmem.ts), the
// allocation-free path the runtime uses millions of times per run.
//
// RIP is unsigned at this interface on every engine: getReg(REG_RIP) is the
// 64-bit value as the hardware holds it (0xffffffffdeadbeef after a jump
// there), never a negative number.

/** Register identifiers at the interface. GPRs use hardware numbers 0-15. */
export const REG_RIP = 16;
export const REG_RFLAGS = 17;
export const REG_FS_BASE = 18;
export const REG_GS_BASE = 19;
/** 0-15: RAX RCX RDX RBX RSP RBP RSI RDI R8-R15, then the above. */
export type RegId = number;

export { PROT_READ, PROT_WRITE, PROT_EXEC, PROT_ALL, type AccessKind } from "../mem/memory.ts";
export { EngineMemoryError, type HostMem } from "../mem/hostmem.ts";
import type { AccessKind } from "../mem/memory.ts";
import type { HostMem } from "../mem/hostmem.ts";

/** Why run() or step() returned. */
export type Stop =
  /** RIP entered a host-call range (see setHostRange) and did not execute. */
  | { kind: "hostcall"; addr: number }
  /** A SYSCALL instruction executed; RIP is after it; RCX/R11 set as the CPU does. */
  | { kind: "syscall" }
  /** INT3 executed; RIP is after it, at `addr` + 1. */
  | { kind: "breakpoint"; addr: number }
  /** run() reached an address set with setBreakpoints; nothing there executed. */
  | { kind: "break"; addr: number }
  /** A fault: the faulting instruction did not complete; RIP is at it. */
  | { kind: "fault"; fault: Fault }
  /** The instruction budget given to run() was used up. */
  | { kind: "count" }
  /** stop() was called or HLT executed. */
  | { kind: "halt" };

export type Fault =
  | { type: "page"; addr: bigint; access: AccessKind; rip: number }
  | { type: "ud"; rip: number; bytes: Uint8Array }
  | { type: "de"; rip: number }
  | { type: "gp"; rip: number; why: string };

/** The whole CPU + memory state, opaque to callers. */
export interface EngineSnapshot {
  readonly engine: string;
}

export interface Engine {
  readonly name: "interp" | "unicorn" | "lockstep";

  // Memory. Regions are page-aligned (4096).
  /** Host-side memory access without allocation (see src/mem/hostmem.ts). */
  readonly hmem: HostMem;
  map(addr: number, size: number, prot: number): void;
  unmap(addr: number, size: number): void;
  protect(addr: number, size: number, prot: number): void;
  read(addr: number, len: number): Uint8Array;
  write(addr: number, bytes: Uint8Array): void;
  readU64(addr: number): bigint;
  writeU64(addr: number, v: bigint): void;

  // Registers.
  getReg(r: RegId): bigint;
  setReg(r: RegId, v: bigint): void;
  /** A register as a JS number: exact when the value is below 2^53 (addresses, small counts). */
  getRegN(r: RegId): number;
  /** Sets a register from a non-negative integer below 2^53 (anything else throws a RangeError). */
  setRegN(r: RegId, v: number): void;
  /** 16 bytes, little-endian. */
  getXmm(i: number): Uint8Array;
  setXmm(i: number, v: Uint8Array): void;

  /**
   * Addresses in [start, end) stop execution with {kind:"hostcall"} when RIP
   * reaches them, before anything there executes. Used for host functions.
   */
  setHostRange(start: number, end: number): void;

  /**
   * Breakpoints without patching memory (replaces the previous set; empty:
   * none). run() stops with {kind:"break"} before executing an instruction
   * at one of these addresses, the run's first instruction included; step()
   * ignores them, which is how a caller gets past one. With no breakpoints
   * set a run pays nothing for the feature (the switch checker, --check,
   * is its user).
   */
  setBreakpoints(addrs: readonly number[]): void;

  /** Runs at most maxInsns instructions; returns why it stopped. */
  run(maxInsns: number): Stop;
  /** Executes exactly one instruction (or stops before it: hostcall, fault); breakpoints do not stop it. */
  step(): Stop;
  /** Instructions retired since creation. */
  readonly icount: number;

  snapshot(): EngineSnapshot;
  restore(s: EngineSnapshot): void;

  /** Frees native resources (unicorn). */
  close(): void;
}
