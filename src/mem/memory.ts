// Memory: the emulated 64-bit address space.
//
// The space is sparse: a map from page number to a 4 KiB page, each page
// carrying its own r/w/x permissions. Regions are mapped, unmapped and
// re-protected with page granularity, as mmap/munmap/mprotect do. Every access
// checks the permission it needs and, when the page is missing or forbids the
// access, throws a MemFault carrying the faulting address and the kind of
// access, so the CPU can turn it into a page fault exactly at the instruction
// that made it.
//
// Addresses are JS numbers. User space ends at 2^47, far inside the 2^53 a
// double holds exactly; an address outside [0, 2^47) simply has no page and
// faults (the fault still reports it exactly as a 64-bit value when it is a
// safe integer, see faultAddr).
//
// The hot path — 8/16/32-bit accesses and 64-bit accesses as two 32-bit
// halves — allocates nothing and uses no BigInt: a direct-mapped TLB of 64
// pages for reads and another for writes (indexed by the page number's low
// bits), each holding only pages that grant that access, so a hit is one
// compare and needs no permission test. (One "last page" was not enough: a
// goroutine switch touches the stack, the g, the m and the TLS in turn, and
// every alternation went to the Map.) Accesses that straddle two
// pages go byte by byte through the slow path. BigInt helpers exist for cold
// callers (the engine interface, the kernel).
//
// Code pages. The CPU caches decoded instructions per address; when a page
// that holds decoded code is written, the cache must forget it. Pages carry a
// `code` flag set by the decoder; only writes to such pages call the write
// hook, so data pages pay nothing beyond one property test.
//
// Host access. `host` (a HostView, the HostMem of src/mem/hostmem.ts) is
// the permission-ignoring path the runtime, the kernel and the tools use:
// its own TLB, no allocation, EngineMemoryError for an unmapped
// byte. The unicorn engine shares it: its guest memory is mapped into
// unicorn from these very page buffers (mapWith over native memory), so a
// host read or write there is a typed-array access, not a native call.
//
// Rejected: one flat ArrayBuffer per mapped region (faster for big linear
// copies, but protect/unmap of part of a region would have to split buffers);
// a two-level page table array (user space is 2^35 pages, too sparse for an
// array, and a Map behind the TLBs is already fast). Pages may
// still be views into one larger buffer (mapWith), which is how unicorn's
// regions and ours stay the same bytes.

import { EngineMemoryError, type HostMem } from "./hostmem.ts";

export const PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
export const PROT_ALL = 7;

/** What a memory access was doing when it faulted. */
export type AccessKind = "read" | "write" | "exec";

export const PAGE_SIZE = 4096;
export const PAGE_MASK = PAGE_SIZE - 1;
const TWO32 = 4294967296;
/** First address past user space; nothing can be mapped at or above it. */
export const ADDR_LIMIT = 2 ** 47;

/** Entries of each TLB (a power of two). */
const TLB_SIZE = 64;
const TLB_MASK = TLB_SIZE - 1;

/** The bytes of every page not yet written: shared, read-only by contract. */
const ZERO_U8 = new Uint8Array(PAGE_SIZE);
const ZERO_DV = new DataView(ZERO_U8.buffer);

export class Page {
  /**
   * The page's bytes. A page mapped without data starts as the shared zero
   * page (`lazy`) and gets bytes of its own at its first write (`own`):
   * Go reserves arenas and stacks far ahead of use, and the host region is
   * 16 MiB that nothing ever writes, so most mapped pages never need any.
   * Every write path owns the page first; reads need not.
   */
  u8: Uint8Array;
  dv: DataView;
  lazy: boolean;
  /** The bytes are a slot of Memory's slabs (given back when the page is unmapped). */
  fromSlab = false;
  /**
   * Writes to this page must be reported (Memory.onCodeWrite): set by the
   * interpreter's decode cache while it holds blocks decoded from the page,
   * and by the unicorn engine on executable pages.
   */
  code = false;
  /** Who owns the buffer when it is a view into a larger one (mapWith); null otherwise. */
  owner: object | null = null;
  constructor(public prot: number, public readonly pn: number, data?: Uint8Array) {
    if (data === undefined) {
      this.u8 = ZERO_U8;
      this.dv = ZERO_DV;
      this.lazy = true;
    } else {
      this.u8 = data;
      this.dv = new DataView(data.buffer, data.byteOffset, PAGE_SIZE);
      this.lazy = false;
    }
  }

  /** Gives a lazy page bytes of its own (zeros) from `slabs`, before a write. */
  own(slabs: Slabs): void {
    if (!this.lazy) return;
    const buf = slabs.take();
    this.u8 = new Uint8Array(buf, slabs.off, PAGE_SIZE);
    this.dv = new DataView(buf, slabs.off, PAGE_SIZE);
    this.lazy = false;
    this.fromSlab = true;
  }
}

/**
 * Page buffers, carved out of 1 MiB slabs: one ArrayBuffer per page made
 * every page a separate allocation outside the JS heap, which the
 * collector counts as external memory and answers with full collections
 * (a program with 100,000 goroutines owns as many stack pages). Freed
 * pages' slots are zeroed and reused.
 */
export class Slabs {
  private static readonly SLAB = 256 * PAGE_SIZE;
  private cur: ArrayBuffer | null = null;
  private next = Slabs.SLAB;
  private readonly freeBufs: ArrayBuffer[] = [];
  private readonly freeOffs: number[] = [];
  /** The offset of the slot the last take() returned. */
  off = 0;

  /** A zeroed page-sized slot: returns its buffer and leaves its offset in `off`. */
  take(): ArrayBuffer {
    const n = this.freeBufs.length;
    if (n > 0) {
      const b = this.freeBufs.pop()!;
      this.off = this.freeOffs.pop()!;
      new Uint8Array(b, this.off, PAGE_SIZE).fill(0);
      return b;
    }
    if (this.next === Slabs.SLAB) {
      this.cur = new ArrayBuffer(Slabs.SLAB);
      this.next = 0;
    }
    this.off = this.next;
    this.next += PAGE_SIZE;
    return this.cur!;
  }

  /** Gives a page's slot back (only a page whose bytes came from take()). */
  give(p: Page): void {
    this.freeBufs.push(p.u8.buffer as ArrayBuffer);
    this.freeOffs.push(p.u8.byteOffset);
  }
}

/** What an empty TLB slot holds, so the slot arrays hold only Pages. */
const NO_PAGE = new Page(0, -1);

/** A memory access that the address space refused. */
export class MemFault extends Error {
  constructor(public readonly addr: number, public readonly access: AccessKind) {
    super(`page fault: ${access} at ${fmtAddr(addr)}`);
  }
}

/** The faulting address as the 64-bit value the hardware would report. */
export function faultAddr(a: number): bigint {
  if (Number.isSafeInteger(a)) return BigInt.asUintN(64, BigInt(a));
  // Beyond 2^53 a double is not exact; report its nearest 64-bit value.
  return BigInt.asUintN(64, BigInt(Math.trunc(a)));
}

function fmtAddr(a: number): string {
  return "0x" + faultAddr(a).toString(16);
}

/** A user-facing error for a bad map/unmap/protect request. */
export class MemError extends Error {}

export interface MemSnapshot {
  readonly pages: ReadonlyMap<number, { prot: number; data: Uint8Array }>;
}

export class Memory {
  private readonly pages = new Map<number, Page>();
  /** Where pages mapped without data get their bytes at their first write. */
  readonly slabs = new Slabs();
  /** The host's permission-ignoring accessors (HostMem) over this memory. */
  readonly host: HostView = new HostView(this, this.pages);
  // The TLBs: slot pn & TLB_MASK holds the page number (NaN: empty; it equals
  // no page number, not even the -1 of an address just below 0) and the page
  // of a recent successful read (a page with PROT_READ) or write (PROT_WRITE).
  private readonly rtag = new Float64Array(TLB_SIZE).fill(NaN);
  private readonly rpg: Page[] = new Array<Page>(TLB_SIZE).fill(NO_PAGE);
  private readonly wtag = new Float64Array(TLB_SIZE).fill(NaN);
  private readonly wpg: Page[] = new Array<Page>(TLB_SIZE).fill(NO_PAGE);

  /** Called with the page number when a page flagged as code is written. */
  onCodeWrite: ((pn: number) => void) | null = null;
  /** Called when permissions of pages change or pages go away (code may be stale). */
  onProtChange: ((pn: number) => void) | null = null;

  // ---- mapping -----------------------------------------------------------

  /** Validates a map/unmap/protect range as map() does (MemError when bad). */
  checkRange(addr: number, size: number, what: string): void {
    if (!Number.isSafeInteger(addr) || !Number.isSafeInteger(size) || addr < 0 || size <= 0) {
      throw new MemError(`${what}: bad range addr=${addr} size=${size}`);
    }
    if (addr % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0) {
      throw new MemError(`${what}: address 0x${addr.toString(16)} and size 0x${size.toString(16)} must be multiples of ${PAGE_SIZE}`);
    }
    if (addr + size > ADDR_LIMIT) {
      throw new MemError(`${what}: range 0x${addr.toString(16)}+0x${size.toString(16)} is outside user space`);
    }
  }

  private flushTlb(): void {
    this.rtag.fill(NaN); this.wtag.fill(NaN);
    this.host.flush();
  }

  /** Maps zero-filled pages; pages already mapped keep their contents and get `prot`. */
  map(addr: number, size: number, prot: number): void {
    this.checkRange(addr, size, "map");
    const first = addr / PAGE_SIZE, n = size / PAGE_SIZE;
    for (let pn = first; pn < first + n; pn++) {
      const p = this.pages.get(pn);
      if (p) { p.prot = prot; this.onProtChange?.(pn); }
      else this.pages.set(pn, new Page(prot, pn));
    }
    this.flushTlb();
  }

  /**
   * Maps pages whose bytes are `data` (size bytes, a multiple of the page
   * size), one page per 4 KiB of it, owned by `owner`. Every page of the
   * range must be unmapped. The unicorn engine maps native memory this way.
   */
  mapWith(addr: number, size: number, prot: number, data: Uint8Array, owner: object | null): void {
    this.checkRange(addr, size, "map");
    if (data.length !== size) throw new Error(`internal: mapWith: ${data.length} bytes for a 0x${size.toString(16)}-byte range`);
    const first = addr / PAGE_SIZE, n = size / PAGE_SIZE;
    for (let pn = first; pn < first + n; pn++) {
      if (this.pages.has(pn)) throw new Error(`internal: mapWith: page 0x${(pn * PAGE_SIZE).toString(16)} is mapped`);
    }
    for (let i = 0; i < n; i++) {
      const p = new Page(prot, first + i, data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
      p.owner = owner;
      this.pages.set(first + i, p);
    }
    this.flushTlb();
  }

  unmap(addr: number, size: number): void {
    this.checkRange(addr, size, "unmap");
    const first = addr / PAGE_SIZE, n = size / PAGE_SIZE;
    for (let pn = first; pn < first + n; pn++) {
      const p = this.pages.get(pn);
      if (p === undefined) continue;
      this.pages.delete(pn);
      if (!p.lazy && p.fromSlab) this.slabs.give(p);
      this.onProtChange?.(pn);
    }
    this.flushTlb();
  }

  /** Changes permissions; every page of the range must be mapped (as mprotect's ENOMEM). */
  protect(addr: number, size: number, prot: number): void {
    this.checkRange(addr, size, "protect");
    const first = addr / PAGE_SIZE, n = size / PAGE_SIZE;
    for (let pn = first; pn < first + n; pn++) {
      if (!this.pages.has(pn)) throw new MemError(`protect: page 0x${(pn * PAGE_SIZE).toString(16)} is not mapped`);
    }
    for (let pn = first; pn < first + n; pn++) {
      this.pages.get(pn)!.prot = prot;
      this.onProtChange?.(pn);
    }
    this.flushTlb();
  }

  /** Pages mapped. */
  pageCount(): number {
    return this.pages.size;
  }

  isMapped(addr: number): boolean {
    return this.pages.has(Math.floor(addr / PAGE_SIZE));
  }

  /** Permissions of the page holding addr, or -1 when unmapped. */
  protOf(addr: number): number {
    const p = this.pages.get(Math.floor(addr / PAGE_SIZE));
    return p ? p.prot : -1;
  }

  /** The page holding addr, for the decoder (marks nothing). */
  pageAt(addr: number): Page | undefined {
    return this.pages.get(Math.floor(addr / PAGE_SIZE));
  }

  /** Mapped ranges [start, end) in address order, for debuggers and tests. */
  regions(): { start: number; end: number; prot: number }[] {
    const pns = [...this.pages.keys()].sort((a, b) => a - b);
    const out: { start: number; end: number; prot: number }[] = [];
    for (const pn of pns) {
      const prot = this.pages.get(pn)!.prot;
      const last = out[out.length - 1];
      if (last && last.end === pn * PAGE_SIZE && last.prot === prot) last.end += PAGE_SIZE;
      else out.push({ start: pn * PAGE_SIZE, end: (pn + 1) * PAGE_SIZE, prot });
    }
    return out;
  }

  // ---- page lookup (slow path of the caches) --------------------------------

  private readPage(a: number): Page {
    const pn = Math.floor(a / PAGE_SIZE);
    const p = this.pages.get(pn);
    if (p === undefined || (p.prot & PROT_READ) === 0) throw new MemFault(a, "read");
    this.rtag[pn & TLB_MASK] = pn; this.rpg[pn & TLB_MASK] = p;
    return p;
  }

  private writePage(a: number): Page {
    const pn = Math.floor(a / PAGE_SIZE);
    const p = this.pages.get(pn);
    if (p === undefined || (p.prot & PROT_WRITE) === 0) throw new MemFault(a, "write");
    p.own(this.slabs);
    this.wtag[pn & TLB_MASK] = pn; this.wpg[pn & TLB_MASK] = p;
    return p;
  }

  /** The page to fetch instructions from; faults unless mapped executable. */
  execPage(a: number): Page {
    const p = this.pages.get(Math.floor(a / PAGE_SIZE));
    if (p === undefined || (p.prot & PROT_EXEC) === 0) throw new MemFault(a, "exec");
    return p;
  }

  // ---- hot-path accessors ----------------------------------------------------
  // `a & PAGE_MASK` is exact for any integer below 2^53 (ToInt32 reduces mod 2^32).

  read8(a: number): number {
    const pn = Math.floor(a / PAGE_SIZE);
    const p = this.rtag[pn & TLB_MASK] === pn ? this.rpg[pn & TLB_MASK]! : this.readPage(a);
    return p.u8[a & PAGE_MASK]!;
  }

  read16(a: number): number {
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 2) return this.read8(a) | (this.read8(a + 1) << 8);
    const pn = Math.floor(a / PAGE_SIZE);
    const p = this.rtag[pn & TLB_MASK] === pn ? this.rpg[pn & TLB_MASK]! : this.readPage(a);
    return p.dv.getUint16(off, true);
  }

  /** 32 bits, as a signed int32 (the register file's representation). */
  read32(a: number): number {
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 4) return this.slowRead32(a);
    const pn = Math.floor(a / PAGE_SIZE);
    const p = this.rtag[pn & TLB_MASK] === pn ? this.rpg[pn & TLB_MASK]! : this.readPage(a);
    return p.dv.getInt32(off, true);
  }

  private slowRead32(a: number): number {
    // Check both pages before reading so the fault names the first bad byte.
    return (this.read8(a) | (this.read8(a + 1) << 8) | (this.read8(a + 2) << 16) | (this.read8(a + 3) << 24));
  }

  /** High half of the last read64 (int32). */
  hi = 0;

  /** 64 bits: returns the low half (int32) and leaves the high half in `hi`. */
  read64(a: number): number {
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 8) {
      const lo = this.slowRead32(a);
      this.hi = this.slowRead32(a + 4);
      return lo;
    }
    const pn = Math.floor(a / PAGE_SIZE);
    const p = this.rtag[pn & TLB_MASK] === pn ? this.rpg[pn & TLB_MASK]! : this.readPage(a);
    this.hi = p.dv.getInt32(off + 4, true);
    return p.dv.getInt32(off, true);
  }

  write8(a: number, v: number): void {
    const pn = Math.floor(a / PAGE_SIZE);
    const p = this.wtag[pn & TLB_MASK] === pn ? this.wpg[pn & TLB_MASK]! : this.writePage(a);
    p.u8[a & PAGE_MASK] = v;
    if (p.code) this.onCodeWrite?.(pn);
  }

  write16(a: number, v: number): void {
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 2) { this.probeWrite(a, 2); this.write8(a, v); this.write8(a + 1, v >> 8); return; }
    const pn = Math.floor(a / PAGE_SIZE);
    const p = this.wtag[pn & TLB_MASK] === pn ? this.wpg[pn & TLB_MASK]! : this.writePage(a);
    p.dv.setUint16(off, v & 0xffff, true);
    if (p.code) this.onCodeWrite?.(pn);
  }

  write32(a: number, v: number): void {
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 4) { this.probeWrite(a, 4); this.slowWrite32(a, v); return; }
    const pn = Math.floor(a / PAGE_SIZE);
    const p = this.wtag[pn & TLB_MASK] === pn ? this.wpg[pn & TLB_MASK]! : this.writePage(a);
    p.dv.setInt32(off, v, true);
    if (p.code) this.onCodeWrite?.(pn);
  }

  private slowWrite32(a: number, v: number): void {
    this.write8(a, v); this.write8(a + 1, v >> 8); this.write8(a + 2, v >> 16); this.write8(a + 3, v >> 24);
  }

  write64(a: number, lo: number, hi: number): void {
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 8) { this.probeWrite(a, 8); this.slowWrite32(a, lo); this.slowWrite32(a + 4, hi); return; }
    const pn = Math.floor(a / PAGE_SIZE);
    const p = this.wtag[pn & TLB_MASK] === pn ? this.wpg[pn & TLB_MASK]! : this.writePage(a);
    p.dv.setInt32(off, lo, true);
    p.dv.setInt32(off + 4, hi, true);
    if (p.code) this.onCodeWrite?.(pn);
  }

  /**
   * Faults (without writing anything) unless all of [a, a+n) is writable, so a
   * store that straddles two pages is all-or-nothing, as on hardware.
   */
  probeWrite(a: number, n: number): void {
    this.writePage(a);
    const e = a + n - 1;
    if ((e & PAGE_MASK) < n - 1) this.writePage(e - (e & PAGE_MASK));
  }

  /** Faults unless all of [a, a+n) is readable. */
  probeRead(a: number, n: number): void {
    this.readPage(a);
    const e = a + n - 1;
    if ((e & PAGE_MASK) < n - 1) this.readPage(e - (e & PAGE_MASK));
  }

  // ---- bulk and cold-path access -----------------------------------------------

  /** Reads len bytes; faults (as a read) at the first inaccessible byte. */
  read(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let i = 0;
    while (i < len) {
      const a = addr + i;
      const p = this.readPage(a);
      const off = a & PAGE_MASK;
      const n = Math.min(len - i, PAGE_SIZE - off);
      out.set(p.u8.subarray(off, off + n), i);
      i += n;
    }
    return out;
  }

  /** Writes bytes; checks the whole range first so a faulting write changes nothing. */
  write(addr: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length;) {
      const a = addr + i;
      this.writePage(a);
      i += PAGE_SIZE - (a & PAGE_MASK);
    }
    let i = 0;
    while (i < bytes.length) {
      const a = addr + i;
      const pn = Math.floor(a / PAGE_SIZE);
      const p = this.writePage(a);
      const off = a & PAGE_MASK;
      const n = Math.min(bytes.length - i, PAGE_SIZE - off);
      p.u8.set(bytes.subarray(i, i + n), off);
      if (p.code) this.onCodeWrite?.(pn);
      i += n;
    }
  }

  /** Writes ignoring permissions (a loader filling read-only or code pages). Pages must be mapped. */
  poke(addr: number, bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      const a = addr + i;
      const pn = Math.floor(a / PAGE_SIZE);
      const p = this.pages.get(pn);
      if (!p) throw new MemFault(a, "write");
      p.own(this.slabs);
      const off = a & PAGE_MASK;
      const n = Math.min(bytes.length - i, PAGE_SIZE - off);
      p.u8.set(bytes.subarray(i, i + n), off);
      if (p.code) this.onCodeWrite?.(pn);
      i += n;
    }
  }

  /** Reads ignoring permissions (debuggers); unmapped bytes still fault. */
  peek(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let i = 0;
    while (i < len) {
      const a = addr + i;
      const p = this.pages.get(Math.floor(a / PAGE_SIZE));
      if (!p) throw new MemFault(a, "read");
      const off = a & PAGE_MASK;
      const n = Math.min(len - i, PAGE_SIZE - off);
      out.set(p.u8.subarray(off, off + n), i);
      i += n;
    }
    return out;
  }

  readU64(a: number): bigint {
    const lo = this.read64(a);
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  writeU64(a: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.write64(a, Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0);
  }

  readU32(a: number): number { return this.read32(a) >>> 0; }
  writeU32(a: number, v: number): void { this.write32(a, v | 0); }

  // ---- snapshots ---------------------------------------------------------------

  snapshot(): MemSnapshot {
    const pages = new Map<number, { prot: number; data: Uint8Array }>();
    for (const [pn, p] of this.pages) pages.set(pn, { prot: p.prot, data: p.lazy ? ZERO_U8 : p.u8.slice() });
    return { pages };
  }

  restore(s: MemSnapshot): void {
    for (const [pn, p] of this.pages) {
      if (!p.lazy && p.fromSlab) this.slabs.give(p);
      this.onProtChange?.(pn);
    }
    this.pages.clear();
    for (const [pn, { prot, data }] of s.pages) this.pages.set(pn, new Page(prot, pn, data === ZERO_U8 ? undefined : data.slice()));
    this.flushTlb();
  }
}

export { TWO32 };

// ---- host access ---------------------------------------------------------------

/** Up to this many bytes a bulk copy moves byte by byte (no subarray views). */
const SMALL = 32;

/**
 * HostMem over a Memory: every access ignores permissions but not mapping.
 * Its TLB is separate from the CPU's (a host access must not
 * evict the page the guest is working on) and is flushed with them.
 */
/**
 * The host TLB's slot for page number pn: Fibonacci hashing of its low 32
 * bits (Math.imul reduces pn modulo 2^32), the top 6 bits of the product.
 * Consecutive pages still land in different slots.
 */
function hostSlot(pn: number): number {
  return Math.imul(pn, 0x9e3779b1) >>> (32 - HOST_TLB_BITS);
}
/** log2 of the host TLB's entries: more than the CPU's, as the host's working set (g, m, p, sched, stacks, frames) is wider. */
const HOST_TLB_BITS = 8;

export class HostView implements HostMem {
  // A direct-mapped TLB as the CPU's (the runtime walks g, m, p and sched
  // in turn), holding any mapped page. Its slot is a hash of the page number
  // (hostSlot), not its low bits: the runtime's globals (0x7f0000000000) and
  // Go's first heap page (0xc000000000), which every switch touches, share
  // their low bits and evicted each other seven times a switch; so did the
  // program's data page and a goroutine's g with 64 slots and any hash.
  private readonly tag = new Float64Array(1 << HOST_TLB_BITS).fill(NaN);
  private readonly pg: Page[] = new Array<Page>(1 << HOST_TLB_BITS).fill(NO_PAGE);

  constructor(private readonly mem: Memory, private readonly pages: Map<number, Page>) {}

  flush(): void {
    this.tag.fill(NaN);
  }

  private page(a: number): Page {
    const pn = Math.floor(a / PAGE_SIZE);
    const i = hostSlot(pn);
    if (this.tag[i] === pn) return this.pg[i]!;
    return this.miss(a, pn, i);
  }

  // Out of line, so that page() (and the accessors around it) stay small enough to inline.
  private miss(a: number, pn: number, i: number): Page {
    const p = this.pages.get(pn);
    if (p === undefined) throw new EngineMemoryError(a);
    // Host accesses read and write through one TLB: own the page on the way in.
    p.own(this.mem.slabs);
    this.tag[i] = pn;
    this.pg[i] = p;
    return p;
  }

  private wrote(p: Page): void {
    if (p.code) this.mem.onCodeWrite?.(p.pn);
  }

  u8(a: number): number {
    return this.page(a).u8[a & PAGE_MASK]!;
  }

  u16(a: number): number {
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 2) return this.u8(a) | (this.u8(a + 1) << 8);
    return this.page(a).dv.getUint16(off, true);
  }

  u32(a: number): number {
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 4) {
      return (this.u8(a) | (this.u8(a + 1) << 8) | (this.u8(a + 2) << 16) | (this.u8(a + 3) << 24)) >>> 0;
    }
    return this.page(a).dv.getUint32(off, true);
  }

  word(a: number): number {
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 8) return this.wordStraddling(a);
    const dv = this.page(a).dv;
    const lo = dv.getUint32(off, true);
    const hi = dv.getUint32(off + 4, true);
    return hi < 0x20_0000 ? hi * TWO32 + lo : -1;
  }

  private wordStraddling(a: number): number {
    const lo = this.u32(a), hi = this.u32(a + 4);
    return hi < 0x20_0000 ? hi * TWO32 + lo : -1;
  }

  setWord(a: number, v: number): void {
    // ToUint32 is exact modulo 2^32 for any integer below 2^53 (and, unlike
    // %, needs no call into the runtime for a double).
    const lo = v >>> 0;
    const hi = (v - lo) / TWO32;
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 8) return this.setWordStraddling(a, lo, hi);
    const p = this.page(a);
    p.dv.setUint32(off, lo, true);
    p.dv.setUint32(off + 4, hi, true);
    if (p.code) this.wrote(p);
  }

  private setWordStraddling(a: number, lo: number, hi: number): void {
    this.page(a - (a & PAGE_MASK) + PAGE_SIZE); // both pages mapped before anything is written
    this.setU32(a, lo);
    this.setU32(a + 4, hi);
  }

  setU8(a: number, v: number): void {
    const p = this.page(a);
    p.u8[a & PAGE_MASK] = v;
    if (p.code) this.wrote(p);
  }

  setU16(a: number, v: number): void {
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 2) { this.page(a - off + PAGE_SIZE); this.setU8(a, v); this.setU8(a + 1, v >>> 8); return; }
    const p = this.page(a);
    p.dv.setUint16(off, v, true);
    if (p.code) this.wrote(p);
  }

  setU32(a: number, v: number): void {
    const off = a & PAGE_MASK;
    if (off > PAGE_SIZE - 4) {
      this.page(a - off + PAGE_SIZE); // both pages mapped before anything is written
      this.setU8(a, v); this.setU8(a + 1, v >>> 8); this.setU8(a + 2, v >>> 16); this.setU8(a + 3, v >>> 24);
      return;
    }
    const p = this.page(a);
    p.dv.setUint32(off, v, true);
    if (p.code) this.wrote(p);
  }

  /** Faults (EngineMemoryError at the first unmapped byte) unless all of [a, a+n) is mapped. */
  private check(a: number, n: number): void {
    for (let x = a; x < a + n; x = (Math.floor(x / PAGE_SIZE) + 1) * PAGE_SIZE) this.page(x);
  }

  read(a: number, n: number, into?: Uint8Array): Uint8Array {
    const out = into ?? new Uint8Array(n);
    if (into !== undefined && into.length < n) throw new RangeError(`HostMem.read: ${n} bytes into a ${into.length}-byte buffer`);
    let i = 0;
    while (i < n) {
      const x = a + i;
      const p = this.page(x);
      const off = x & PAGE_MASK;
      const k = Math.min(n - i, PAGE_SIZE - off);
      const src = p.u8;
      if (k <= SMALL) for (let j = 0; j < k; j++) out[i + j] = src[off + j]!;
      else out.set(src.subarray(off, off + k), i);
      i += k;
    }
    return out;
  }

  write(a: number, bytes: Uint8Array): void {
    const n = bytes.length;
    this.check(a, n);
    let i = 0;
    while (i < n) {
      const x = a + i;
      const p = this.page(x);
      const off = x & PAGE_MASK;
      const k = Math.min(n - i, PAGE_SIZE - off);
      const dst = p.u8;
      if (k <= SMALL) for (let j = 0; j < k; j++) dst[off + j] = bytes[i + j]!;
      else dst.set(bytes.subarray(i, i + k), off);
      if (p.code) this.wrote(p);
      i += k;
    }
  }

  fill(a: number, n: number, byte: number): void {
    this.check(a, n);
    let i = 0;
    while (i < n) {
      const x = a + i;
      const p = this.page(x);
      const off = x & PAGE_MASK;
      const k = Math.min(n - i, PAGE_SIZE - off);
      p.u8.fill(byte, off, off + k);
      if (p.code) this.wrote(p);
      i += k;
    }
  }

  copy(dst: number, src: number, n: number): void {
    if (n <= 0 || dst === src) { if (n > 0) { this.check(src, n); } return; }
    this.check(src, n);
    this.check(dst, n);
    // Forward when the destination starts below the source (or they do not
    // overlap), backward otherwise: no byte is overwritten before it is read.
    const forward = dst < src || dst >= src + n;
    let done = 0;
    while (done < n) {
      const left = n - done;
      // The chunk: the largest piece within one source page and one destination page.
      let s: number, d: number, k: number;
      if (forward) {
        s = src + done; d = dst + done;
        k = Math.min(left, PAGE_SIZE - (s & PAGE_MASK), PAGE_SIZE - (d & PAGE_MASK));
      } else {
        const se = src + left, de = dst + left; // ends, exclusive
        k = Math.min(left, ((se - 1) & PAGE_MASK) + 1, ((de - 1) & PAGE_MASK) + 1);
        s = se - k; d = de - k;
      }
      const sp = this.page(s), so = s & PAGE_MASK;
      const dp = this.page(d), dOff = d & PAGE_MASK;
      if (sp === dp) sp.u8.copyWithin(dOff, so, so + k);
      else if (k <= SMALL) {
        const a = sp.u8, b = dp.u8;
        if (forward) for (let j = 0; j < k; j++) b[dOff + j] = a[so + j]!;
        else for (let j = k - 1; j >= 0; j--) b[dOff + j] = a[so + j]!;
      } else dp.u8.set(sp.u8.subarray(so, so + k), dOff);
      if (dp.code) this.wrote(dp);
      done += k;
    }
  }
}
