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

// Register ids are src/x86/regs.ts's (REG_RAX ... REG_GS_BASE, RegId).
export {
  REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
  REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
  REG_RIP, REG_RFLAGS, REG_FS_BASE, REG_GS_BASE, REG_NAMES, REG_IDS, NREGS, regId, type RegId,
} from "../x86/regs.ts";
import type { RegId } from "../x86/regs.ts";

export { PROT_READ, PROT_WRITE, PROT_EXEC, PROT_ALL, type AccessKind } from "../mem/memory.ts";
export { EngineMemoryError, type HostMem } from "../mem/hostmem.ts";
import type { HostMem } from "../mem/hostmem.ts";

export type { Fault, Stop } from "../cpu/fault.ts";
import type { Stop } from "../cpu/fault.ts";

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

  /** Runs at most maxInsns instructions; returns why it stopped. */
  run(maxInsns: number): Stop;
  /**
   * run(), with host calls made in place (optional: the interpreter has it).
   * When RIP reaches the host range, onHost(rip) runs the host function
   * (it may change registers and memory) and returns how many more
   * instructions this run may execute; 0 or less ends the run with
   * {kind:"count"}. A run then stops for host calls only through onHost,
   * which saves the engine's stop and restart for each of them.
   */
  runHosted?(maxInsns: number, onHost: (rip: number) => number): Stop;
  /** Executes exactly one instruction (or stops before it: hostcall, fault). */
  step(): Stop;
  /** Instructions retired since creation. */
  readonly icount: number;

  snapshot(): EngineSnapshot;
  restore(s: EngineSnapshot): void;

  /** Frees native resources (unicorn). */
  close(): void;
}
