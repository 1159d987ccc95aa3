// Mem: typed access to emulated memory for the runtime.
//
// The scheduler's state (every g, m, p, the sched struct, span and stack
// lists) lives in emulated memory at Go's offsets, and only there: the
// assembly reads it, the debugger reads and writes it, and engine snapshots
// capture it. So this layer caches nothing. A read goes to the Engine, a
// write goes to the Engine, and the TypeScript runtime keeps only addresses
// that never change once the runtime is set up (where `sched` is, where the
// heap starts).
//
// Field access reads like the assembly does, base plus offset, with offsets
// taken once from the layouts in runtime2.ts:
//
//   mem.ptr(gp + g_schedlink)        (g_schedlink from offsets.ts)
//
// Widths: u8/u16/u32 (and i32) are JS numbers; u64/i64 are bigints, for the
// words that can hold any 64-bit value (stackguard0 = stackPreempt, fastrand
// state). Words that are addresses or small counts — pointers, uintptr sizes,
// goids — are read with ptr/int as JS numbers: user addresses are below 2^47,
// and a word that does not fit is a broken invariant, so it throws rather
// than silently losing bits.
//
// Atomics are plain reads and writes: the kernel interleaves threads only at
// instruction boundaries, and a host function runs without interruption, so
// nothing can come between the load and the store of a "CAS".
//
// Every access goes through the engine's HostMem (src/mem/hostmem.ts):
// page typed arrays on both engines, no allocation and no BigInt except
// for the 64-bit values u64/i64 return.
//
// Rejected: JS view objects with a getter per field (G(gp).status). They are
// pleasant to read but allocate per access and need a second description of
// every field's type; offsets from runtime2.ts are already the one truth.

import type { Engine } from "../engine/engine.ts";
import type { HostMem } from "../mem/hostmem.ts";

const TWO32 = 0x1_0000_0000;

/**
 * A word the runtime took for a pointer (or a count) that is none: a bad
 * value a program handed the runtime. The bridge reports it as the fault
 * Go would take dereferencing it.
 */
export class BadWord extends Error {
  constructor(readonly value: bigint, what: string) {
    super(what);
  }
}
/** User-space addresses end here. */
export const ADDR_LIMIT = 2 ** 47;

// The throws of ptr and setPtr live out of line: the hot accessors stay
// small enough for V8 to inline into the scheduler's functions, and an
// address that stays inside the optimized code is never boxed as a
// HeapNumber (addresses above 2^31 are doubles, and a double that crosses a
// call that was not inlined is an allocation).
function notPtr(h: HostMem, a: number): never {
  const lo = h.u32(a), hi = h.u32(a + 4);
  throw new BadWord((BigInt(hi) << 32n) | BigInt(lo), `mem.ptr: word at 0x${a.toString(16)} is 0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")}, not an address`);
}

function notAddress(v: number): never {
  throw new BadWord(Number.isFinite(v) ? BigInt.asUintN(64, BigInt(Math.trunc(v))) : 0n, `mem.setPtr: ${v} is not an address`);
}

export class Mem {
  private readonly h: HostMem;

  constructor(readonly engine: Engine) {
    this.h = engine.hmem;
  }

  u8(a: number): number {
    return this.h.u8(a);
  }

  setU8(a: number, v: number): void {
    this.h.setU8(a, v);
  }

  u16(a: number): number {
    return this.h.u16(a);
  }

  setU16(a: number, v: number): void {
    this.h.setU16(a, v);
  }

  u32(a: number): number {
    return this.h.u32(a);
  }

  i32(a: number): number {
    return this.h.u32(a) | 0;
  }

  setU32(a: number, v: number): void {
    this.h.setU32(a, v);
  }

  setI32(a: number, v: number): void {
    this.h.setU32(a, v);
  }

  u64(a: number): bigint {
    return (BigInt(this.h.u32(a + 4)) << 32n) | BigInt(this.h.u32(a));
  }

  i64(a: number): bigint {
    return BigInt.asIntN(64, this.u64(a));
  }

  setU64(a: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.h.setU32(a, Number(u & 0xffff_ffffn));
    this.h.setU32(a + 4, Number(u >> 32n));
  }

  /** A 64-bit word as an unsigned number: exact below 2^53 (ABI frame slots, any integer). */
  word(a: number): number {
    const w = this.h.word(a);
    return w >= 0 ? w : this.h.u32(a) + this.h.u32(a + 4) * TWO32;
  }

  /** A 64-bit word as a signed number: exact when it is a safe integer. */
  sword(a: number): number {
    const w = this.h.word(a);
    return w >= 0 ? w : this.h.u32(a) + (this.h.u32(a + 4) | 0) * TWO32;
  }

  /** Writes an integer (negative: two's complement) as a 64-bit word. */
  setWord(a: number, v: number): void {
    if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
      this.h.setWord(a, Math.floor(v));
    } else {
      // Beyond 2^53, or negative (two's complement: 2^64 + v), in halves.
      const hi = Math.floor(v / TWO32);
      this.h.setU32(a, (v - hi * TWO32) >>> 0);
      this.h.setU32(a + 4, hi >>> 0);
    }
  }

  /** A pointer (or 0). Throws on a word that is not a user-space address. */
  ptr(a: number): number {
    const w = this.h.word(a);
    if (w >= 0 && w < ADDR_LIMIT) return w;
    return notPtr(this.h, a);
  }

  setPtr(a: number, v: number): void {
    if (!(v >= 0 && v < ADDR_LIMIT && Math.floor(v) === v)) notAddress(v);
    this.h.setWord(a, v);
  }

  /** A signed 64-bit integer that fits a JS number exactly (counts, ids, sizes). */
  int(a: number): number {
    const w = this.h.word(a);
    if (w >= 0) return w;
    return this.bigInt(a);
  }

  private bigInt(a: number): number {
    const lo = this.h.u32(a);
    const hi = this.h.u32(a + 4) | 0;
    // Exact when -2^21 <= hi < 2^21.
    if (hi >= 0x20_0000 || hi < -0x20_0000) {
      throw new BadWord(this.u64(a), `mem.int: word at 0x${a.toString(16)} is ${this.i64(a)}, beyond 2^53`);
    }
    return hi * TWO32 + lo;
  }

  setInt(a: number, v: number): void {
    if (!Number.isSafeInteger(v)) throw new Error(`mem.setInt: ${v} is not a safe integer`);
    this.setWord(a, v);
  }

  bytes(a: number, n: number): Uint8Array {
    return this.h.read(a, n);
  }

  setBytes(a: number, b: Uint8Array): void {
    this.h.write(a, b);
  }

  /** memclrNoHeapPointers: n bytes of zeros at a. */
  zero(a: number, n: number): void {
    if (n > 0) this.h.fill(a, n, 0);
  }

  /** memmove for the runtime's own copies. */
  copy(dst: number, src: number, n: number): void {
    if (n > 0) this.h.copy(dst, src, n);
  }
}
