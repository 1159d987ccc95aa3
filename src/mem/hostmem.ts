// HostMem: the host's fast path into emulated memory.
//
// The TypeScript runtime, the kernel and the tools read and write guest
// memory millions of times per run (a goroutine switch reads and writes a
// few dozen words of g, m, p and gobuf). This interface is that path. Every
// engine implements it (interp and unicorn over the same page buffers,
// src/mem/memory.ts's HostView; lockstep over both), and every call is
// allocation-free and BigInt-free: values are JS numbers, multi-byte reads
// come from the page's DataView, and a TLB makes the common
// case one compare and one typed-array access.
//
// Semantics, identical on every engine:
//   - host access ignores page permissions, as uc_mem_read/uc_mem_write and
//     a kernel's copy_to_user of its own mappings do, but not mapping: a byte
//     that is not mapped throws EngineMemoryError, naming that byte, before
//     anything is written (a write is all-or-nothing);
//   - a write into a page that may hold translated or decoded code (an
//     executable page on unicorn, a page with cached blocks on the
//     interpreter) makes the engine forget that code, so the next execution
//     runs what memory now holds;
//   - values are little-endian; u16/u32 return unsigned numbers; setU16 and
//     setU32 store the value modulo 2^16/2^32 (a negative int32 is fine).
//
// 64-bit words: `word`/`setWord` carry the words a runtime mostly holds
// (pointers, sizes, counts: below 2^53, so exact in a number) with one page
// lookup for both halves; any other 64-bit value takes two u32s, or the
// engines' readU64/writeU64 for cold callers. Rejected: BigInt accessors
// here (an allocation per access).

/** A host access to memory that is not mapped, on any engine. */
export class EngineMemoryError extends Error {
  constructor(readonly addr: number) {
    super(`memory at ${fmtHostAddr(addr)} is not mapped`);
  }
}

function fmtHostAddr(a: number): string {
  if (Number.isSafeInteger(a)) return "0x" + BigInt.asUintN(64, BigInt(a)).toString(16);
  return Number.isFinite(a) ? "0x" + BigInt.asUintN(64, BigInt(Math.trunc(a))).toString(16) : String(a);
}

export interface HostMem {
  /** Unsigned byte, word, dword. Host-side: permissions ignored, mapping not. */
  u8(a: number): number;
  u16(a: number): number;
  u32(a: number): number;
  setU8(a: number, v: number): void;
  setU16(a: number, v: number): void;
  setU32(a: number, v: number): void;
  /** The 64-bit word at a when it is below 2^53 (exact as a number); -1 when it is not. */
  word(a: number): number;
  /** Stores v, an integer in [0, 2^53), as a 64-bit word (the caller has checked it). */
  setWord(a: number, v: number): void;
  /** Copies n bytes into a fresh Uint8Array (cold path) or into `into` at 0 when given (no allocation). */
  read(a: number, n: number, into?: Uint8Array): Uint8Array;
  write(a: number, src: Uint8Array): void;
  fill(a: number, n: number, byte: number): void;
  /** memmove semantics: overlapping ranges copy as if through a temporary. */
  copy(dst: number, src: number, n: number): void;
}
