// The runtime context: where the runtime's global variables are.
//
// In Go the scheduler's globals (sched, allgs, allp, allm, m0, g0, mheap_,
// stackpool ...) are variables the linker places in the data and bss
// sections. Here they are too, in emulated memory: a Runtime object is the
// symbol table of those variables, and nothing else. It holds the Engine,
// a Mem over it, and addresses that are fixed once the runtime is set up;
// it never holds the contents of runtime memory, so an engine snapshot
// restored later brings back the whole runtime state, and the debugger and
// the assembly see exactly what the TypeScript sees.
//
// Address space (defaults, each overridable):
//
//   0x00c000000000  the heap: spans for mallocgc and for goroutine stacks,
//                   growing upward in 64 MiB arenas (Go's first arena hint
//                   on linux/amd64, so addresses look like Go's).
//   0x7f0000000000  persistentalloc: runtime structures that are never freed
//                   (this block of globals, sched when the loader did not
//                   place it, mspans, mcaches, span tables, allgs/allp arrays).
//
// Globals that assembly names (runtime·sched, runtime·m0, runtime·g0) may be
// placed by the loader; pass their addresses and the runtime adopts them.
// The rest live in a block of our own layout, `rtglobals`, at the start of
// the persistent region.
//
// getg: which goroutine is running is CPU state (R14 / the TLS slot), not
// memory; the layer that runs threads installs `getg` to read it. Until then
// it answers m0's g0, which is what Go's getg returns during bootstrap.
//
// Rejected: one class with every runtime function as a method. Go's
// functions are free functions over globals; ours are free functions over
// this context (`runqput(rt, pp, gp, next)`), so each file mirrors its Go
// counterpart and stays readable on its own.

import { PROT_READ, PROT_WRITE, type Engine } from "../engine/engine.ts";
import { Mem } from "./mem.ts";
import { throw_ } from "./panic.ts";
import { g as gT, m as mT, off, persistentChunkSize, schedt, struct } from "./runtime2.ts";

/** The runtime globals that are not linker symbols: our layout, in emulated memory. */
export const rtglobals = struct("rtglobals", 1216, {
  /** persistentalloc's bump pointer and the end of the mapped persistent region. */
  persistentNext: [0, 8],
  persistentEnd: [8, 8],
  allglock: [16, 8],
  /** allgs []*g: array, len, cap. */
  allgs: [24, 24],
  allglen: [48, 8],
  allpLock: [56, 8],
  /** allp []*p: array, len, cap. */
  allp: [64, 24],
  gomaxprocs: [88, 4],
  ncpu: [92, 4],
  allm: [96, 8],
  m0: [104, 8],
  g0: [112, 8],
  mcache0: [120, 8],
  /** mallocgc(0) returns &zerobase. */
  zerobase: [128, 8],
  gcphase: [136, 4],
  startingStackSize: [140, 4],
  fastrandseed: [144, 8],
  /** stackpool [_NumStackOrders]struct{item stackpoolItem; pad}: 4 × 64 bytes. */
  stackpool: [192, 256],
  /** stackLarge struct{lock mutex; free [35]mSpanList}. */
  stackLarge: [448, 568],
  /** The empty span every mcache.alloc slot starts with. */
  emptymspan: [1016, 144],
  /** Address of the mheap (layout in mheap.ts). */
  mheap: [1160, 8],
  /** Address of sched. */
  sched: [1168, 8],
});

const G = rtglobals.fields;

export interface RuntimeOptions {
  /** Base of the heap; must be 64 MiB aligned. Default 0xc000000000. */
  heapBase?: number;
  /** How many 64 MiB arenas the heap may grow to. Default 64 (4 GiB). */
  maxArenas?: number;
  /** Base and size of the persistentalloc region. Default 0x7f0000000000, 1 GiB. */
  persistentBase?: number;
  persistentSize?: number;
  /** Addresses of runtime·sched, runtime·m0, runtime·g0 if the loader placed them (mapped, zeroed). */
  sched?: number;
  m0?: number;
  g0?: number;
  /** Seed for fastrand; the same seed gives the same run. */
  seed?: number;
}

export const defaultHeapBase = 0x00c0_0000_0000;
export const defaultPersistentBase = 0x7f00_0000_0000;
const defaultPersistentSize = 1 << 30;

export class Runtime {
  readonly mem: Mem;
  /** Address of the rtglobals block. */
  readonly globals: number;
  readonly heapBase: number;
  readonly heapLimit: number;
  readonly maxArenas: number;
  readonly persistentBase: number;
  readonly persistentLimit: number;
  /** Addresses of globals; contents are in memory. */
  readonly sched: number;
  readonly mheap_: number;
  readonly stackpool: number;
  readonly stackLarge: number;
  readonly emptymspan: number;
  /** The running goroutine of the calling thread; installed by the thread layer. */
  getg: () => number;

  /**
   * Lays out the globals. Use newRuntime (init.ts), which also runs
   * mallocinit and stackinit; this constructor alone allocates nothing
   * beyond the globals.
   */
  constructor(readonly engine: Engine, opts: RuntimeOptions = {}) {
    this.mem = new Mem(engine);
    this.heapBase = opts.heapBase ?? defaultHeapBase;
    this.maxArenas = opts.maxArenas ?? 64;
    if (this.heapBase % (64 << 20) !== 0) throw new Error("runtime: heapBase must be 64 MiB aligned");
    this.heapLimit = this.heapBase + this.maxArenas * (64 << 20);
    this.persistentBase = opts.persistentBase ?? defaultPersistentBase;
    this.persistentLimit = this.persistentBase + (opts.persistentSize ?? defaultPersistentSize);
    if (this.persistentBase % persistentChunkSize !== 0) throw new Error("runtime: persistentBase must be 256 KiB aligned");

    // The globals block opens the persistent region; persistentalloc's own
    // state is in it.
    engine.map(this.persistentBase, persistentChunkSize, PROT_READ | PROT_WRITE);
    this.globals = this.persistentBase;
    const mem = this.mem;
    mem.setPtr(this.globals + G.persistentNext.off, this.persistentBase + rtglobals.size);
    mem.setPtr(this.globals + G.persistentEnd.off, this.persistentBase + persistentChunkSize);

    this.stackpool = this.globals + G.stackpool.off;
    this.stackLarge = this.globals + G.stackLarge.off;
    this.emptymspan = this.globals + G.emptymspan.off;
    this.sched = opts.sched ?? persistentalloc(this, schedt.size, 64);
    mem.setPtr(this.globals + G.sched.off, this.sched);
    this.mheap_ = persistentalloc(this, MHEAP_SIZE, 64);
    mem.setPtr(this.globals + G.mheap.off, this.mheap_);
    mem.setU64(this.globals + G.fastrandseed.off, BigInt(opts.seed ?? 1));

    // m0 and g0: the loader's if given, else ours. rt0_go links them again
    // (m0.g0 = g0, g0.m = m0); doing it here too lets the runtime work
    // before any machine code has run.
    const m0 = opts.m0 ?? persistentalloc(this, mT.size, 64);
    const g0 = opts.g0 ?? persistentalloc(this, gT.size, 64);
    mem.setPtr(this.globals + G.m0.off, m0);
    mem.setPtr(this.globals + G.g0.off, g0);
    mem.setPtr(m0 + off(mT, "g0"), g0);
    mem.setPtr(g0 + off(gT, "m"), m0);
    this.getg = () => this.g0;
  }

  /** Address of a field of rtglobals. */
  gvar(name: keyof typeof G): number {
    return this.globals + G[name].off;
  }

  get m0(): number { return this.mem.ptr(this.gvar("m0")); }
  get g0(): number { return this.mem.ptr(this.gvar("g0")); }
  get mcache0(): number { return this.mem.ptr(this.gvar("mcache0")); }
  get gomaxprocs(): number { return this.mem.i32(this.gvar("gomaxprocs")); }
  get gcphase(): number { return this.mem.u32(this.gvar("gcphase")); }
  get startingStackSize(): number { return this.mem.u32(this.gvar("startingStackSize")); }
  get zerobase(): number { return this.gvar("zerobase"); }

  /** allp[:len]: the Ps, read from memory. */
  get allp(): number[] {
    return this.slice(this.gvar("allp"));
  }

  /** allgs[:len]: every G ever created (allgadd), read from memory. */
  get allgs(): number[] {
    return this.slice(this.gvar("allgs"));
  }

  /** The allm list (newest first, as Go links it through m.alllink). */
  get allm(): number[] {
    const out: number[] = [];
    const alllink = off(mT, "alllink");
    for (let mp = this.mem.ptr(this.gvar("allm")); mp !== 0; mp = this.mem.ptr(mp + alllink)) {
      out.push(mp);
      if (out.length > 1 << 20) throw_("allm: list is cyclic");
    }
    return out;
  }

  /** The elements of a []uintptr slice header at addr. */
  private slice(addr: number): number[] {
    const arr = this.mem.ptr(addr);
    const len = this.mem.int(addr + 8);
    const out = new Array<number>(len);
    for (let i = 0; i < len; i++) out[i] = this.mem.ptr(arr + 8 * i);
    return out;
  }
}

/** Size of our mheap layout (mheap.ts checks it). */
export const MHEAP_SIZE = 656;

// persistentalloc: memory for runtime structures that are never freed.
// A bump allocator over the persistent region, mapped in 256 KiB chunks as it
// is used; fresh memory is zero. Go's version keeps one chunk per P and takes
// big blocks straight from the OS; one bump pointer does for us.
export function persistentalloc(rt: Runtime, size: number, align: number): number {
  if (align !== 0) {
    if (align & (align - 1)) throw_("persistentalloc: align is not a power of 2");
    if (align > 8192) throw_("persistentalloc: align is too large");
  } else {
    align = 8;
  }
  const mem = rt.mem;
  const nextA = rt.gvar("persistentNext");
  const endA = rt.gvar("persistentEnd");
  const p = alignUp(mem.ptr(nextA), align);
  const next = p + size;
  if (next > rt.persistentLimit) throw_("runtime: cannot allocate memory");
  let end = mem.ptr(endA);
  if (next > end) {
    const newEnd = alignUp(next, persistentChunkSize);
    rt.engine.map(end, newEnd - end, PROT_READ | PROT_WRITE);
    end = newEnd;
    mem.setPtr(endA, end);
  }
  mem.setPtr(nextA, next);
  return p;
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function alignDown(n: number, a: number): number {
  return Math.floor(n / a) * a;
}

// systemstack: runs fn on the calling M's g0, as Go's systemstack does.
// Host code has no stack of its own to switch, so what changes is what getg
// answers while fn runs: g0, which is what stackalloc and friends check.
export function systemstack<T>(rt: Runtime, fn: () => T): T {
  const gp = rt.getg();
  if (gp === 0) return fn();
  const g0 = rt.mem.ptr(rt.mem.ptr(gp + off(gT, "m")) + off(mT, "g0"));
  if (g0 === gp) return fn();
  const saved = rt.getg;
  rt.getg = () => g0;
  try {
    return fn();
  } finally {
    rt.getg = saved;
  }
}
