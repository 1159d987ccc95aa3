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
// Rejected: JS view objects with a getter per field (G(gp).status). They are
// pleasant to read but allocate per access and need a second description of
// every field's type; offsets from runtime2.ts are already the one truth.

import type { Engine } from "../engine/engine.ts";

const TWO32 = 0x1_0000_0000;
/** User-space addresses end here. */
export const ADDR_LIMIT = 2 ** 47;
const ZERO_CHUNK = 64 << 10;

export class Mem {
  private readonly b1 = new Uint8Array(1);
  private readonly b2 = new Uint8Array(2);
  private readonly b4 = new Uint8Array(4);
  private readonly b8 = new Uint8Array(8);
  private zeros: Uint8Array | null = null;

  constructor(readonly engine: Engine) {}

  u8(a: number): number {
    return this.engine.read(a, 1)[0]!;
  }

  setU8(a: number, v: number): void {
    this.b1[0] = v;
    this.engine.write(a, this.b1);
  }

  u16(a: number): number {
    const b = this.engine.read(a, 2);
    return b[0]! | (b[1]! << 8);
  }

  setU16(a: number, v: number): void {
    this.b2[0] = v;
    this.b2[1] = v >>> 8;
    this.engine.write(a, this.b2);
  }

  u32(a: number): number {
    const b = this.engine.read(a, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  i32(a: number): number {
    return this.u32(a) | 0;
  }

  setU32(a: number, v: number): void {
    const b = this.b4;
    b[0] = v;
    b[1] = v >>> 8;
    b[2] = v >>> 16;
    b[3] = v >>> 24;
    this.engine.write(a, b);
  }

  setI32(a: number, v: number): void {
    this.setU32(a, v);
  }

  u64(a: number): bigint {
    return this.engine.readU64(a);
  }

  i64(a: number): bigint {
    return BigInt.asIntN(64, this.engine.readU64(a));
  }

  setU64(a: number, v: bigint): void {
    this.engine.writeU64(a, BigInt.asUintN(64, v));
  }

  /** A 64-bit word as an unsigned number: exact below 2^53 (ABI frame slots, any integer). */
  word(a: number): number {
    return this.u32(a) + this.u32(a + 4) * TWO32;
  }

  /** A 64-bit word as a signed number: exact when it is a safe integer. */
  sword(a: number): number {
    return this.u32(a) + this.i32(a + 4) * TWO32;
  }

  /** Writes an integer (negative: two's complement) as a 64-bit word. */
  setWord(a: number, v: number): void {
    if (v >= 0) {
      this.setU32(a, v % TWO32);
      this.setU32(a + 4, Math.floor(v / TWO32));
    } else {
      const lo = v % TWO32;
      this.setU32(a, lo === 0 ? 0 : TWO32 + lo);
      this.setU32(a + 4, (Math.floor(v / TWO32) + TWO32) >>> 0);
    }
  }

  /** A pointer (or 0). Throws on a word that is not a user-space address. */
  ptr(a: number): number {
    const b = this.engine.read(a, 8);
    const lo = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    const hi = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
    if (hi >= ADDR_LIMIT / TWO32) {
      throw new Error(`mem.ptr: word at 0x${a.toString(16)} is 0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")}, not an address`);
    }
    return hi * TWO32 + lo;
  }

  setPtr(a: number, v: number): void {
    if (!(v >= 0 && v < ADDR_LIMIT && Number.isInteger(v))) {
      throw new Error(`mem.setPtr: ${v} is not an address`);
    }
    this.put64(a, v);
  }

  /** A signed 64-bit integer that fits a JS number exactly (counts, ids, sizes). */
  int(a: number): number {
    const v = this.i64(a);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new Error(`mem.int: word at 0x${a.toString(16)} is ${v}, beyond 2^53`);
    return n;
  }

  setInt(a: number, v: number): void {
    if (!Number.isSafeInteger(v)) throw new Error(`mem.setInt: ${v} is not a safe integer`);
    if (v >= 0) this.put64(a, v);
    else this.engine.writeU64(a, BigInt.asUintN(64, BigInt(v)));
  }

  /** Writes a non-negative integer below 2^53 as a 64-bit word. */
  private put64(a: number, v: number): void {
    const lo = v % TWO32;
    const hi = (v - lo) / TWO32;
    const b = this.b8;
    b[0] = lo;
    b[1] = lo >>> 8;
    b[2] = lo >>> 16;
    b[3] = lo >>> 24;
    b[4] = hi;
    b[5] = hi >>> 8;
    b[6] = hi >>> 16;
    b[7] = hi >>> 24;
    this.engine.write(a, b);
  }

  bytes(a: number, n: number): Uint8Array {
    return this.engine.read(a, n);
  }

  setBytes(a: number, b: Uint8Array): void {
    this.engine.write(a, b);
  }

  /** memclrNoHeapPointers: n bytes of zeros at a. */
  zero(a: number, n: number): void {
    this.zeros ??= new Uint8Array(ZERO_CHUNK);
    while (n > 0) {
      const k = Math.min(n, ZERO_CHUNK);
      this.engine.write(a, k === ZERO_CHUNK ? this.zeros : this.zeros.subarray(0, k));
      a += k;
      n -= k;
    }
  }

  /** memmove for the runtime's own copies (non-overlapping or forward-safe: read whole, then write). */
  copy(dst: number, src: number, n: number): void {
    if (n > 0) this.engine.write(dst, this.engine.read(src, n));
  }
}
