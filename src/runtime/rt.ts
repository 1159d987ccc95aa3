// The runtime context: one object that every runtime function takes first.
//
// Go's runtime is free functions over global variables (sched, allgs, allp,
// m0, g0, mheap_, stackpool ...) that the linker places in the data and bss
// sections. Ours is free functions over a Runtime (`runqput(rt, pp, gp,
// next)`, `schedule(rt, h)`), and the Runtime is, first of all, where those
// globals are: they live in emulated memory, in a block of our own layout
// (`rtglobals`) at the start of the persistent region, or at the address
// the loader gave their symbol (runtime·m0, runtime·g0). It never holds
// their contents, so the assembly, the debugger and the TypeScript see one
// truth, and an engine snapshot brings the globals back.
//
// Second, the Runtime is the machine the runtime runs on: the Engine, the
// kernel (src/os/) whose threads are the Ms, the bridge to host functions,
// and the linked image (symbols, the asm routines the runtime calls). boot.ts
// builds it in one pass; nothing is wired in later.
//
// What stays in JavaScript, and why (everything else is in emulated memory):
//   - options (--procs, --timeslice ...) and the addresses resolved from the
//     image: fixed for the life of the machine;
//   - statistics for --stats, and listeners of scheduler events: the
//     tools', not Go's;
//   - suspended generators of host functions (bridge.ts), which JavaScript
//     cannot put in memory; resume points keep their state in memory;
//   - `execFrom`, which host function jumped into gogo last on each M: a
//     debugging aid for bt, not state the runtime reads.
//
// Address space (defaults, each overridable):
//
//   0x00c000000000  the heap: spans for mallocgc and for goroutine stacks,
//                   growing upward in 64 MiB arenas (Go's first arena hint
//                   on linux/amd64, so addresses look like Go's).
//   0x7f0000000000  persistentalloc: runtime structures that are never freed
//                   (rtglobals, sched when the loader did not place it,
//                   mspans, mcaches, span tables, allgs/allp arrays).
//
// getg: which goroutine is running is CPU state (the TLS slot at FS-8, and
// R14), not memory. Before the machine has threads (and in the data layer's
// tests, which have none), getg answers m0's g0, as Go's getg does during
// bootstrap; `systemstack` makes it answer g0 while its function runs.

import { TLS_G_OFFSET } from "../asm/link.ts";
import type { Image } from "../asm/link.ts";
import { PROT_READ, PROT_WRITE, REG_FS_BASE, type Engine } from "../engine/engine.ts";
import { Kernel, type KernelOptions, type Thread } from "../os/kernel.ts";
import { Bridge, type HostCall, type HostTable } from "./bridge.ts";
import { Mem } from "./mem.ts";
import {
  g_m, m_g0, m_alllink, rtglobals__size, rtglobals_allgs, rtglobals_allm, rtglobals_allp, rtglobals_fastrandseed,
  rtglobals_g0, rtglobals_gcphase, rtglobals_gomaxprocs, rtglobals_m0, rtglobals_mcache0, rtglobals_mheap,
  rtglobals_persistentEnd, rtglobals_persistentNext, rtglobals_sched, rtglobals_startingStackSize,
  rtglobals_zerobase, rtglobals_stackpool, rtglobals_stackLarge, rtglobals_emptymspan, m__size, g__size,
  schedt__size, slice_array, slice_len, mheap__size,
} from "./offsets.ts";
import { throw_ } from "./panic.ts";
import { persistentChunkSize } from "./runtime2.ts";
import type { SchedEvent } from "./events.ts";
import type { GoProgram } from "./goprog.ts";

/** How host code sees its call: a HostCall over this runtime. */
export type H = HostCall<Runtime>;

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
  /** Seed for fastrand and the kernel's interleaving; the same seed gives the same run. */
  seed?: number;
  /** GOMAXPROCS. */
  procs?: number;
  /** GODEBUG=asyncpreemptoff=1: sysmon asks, but sends no signal. */
  asyncpreemptoff?: boolean;
  /** forcePreemptNS in virtual ns (--timeslice); Go's 10 ms by default. */
  timeslice?: number;
  /** Don't start sysmon (tests that count every instruction of a switch). */
  nosysmon?: boolean;
  /** GODEBUG=schedtrace=MS: sysmon prints a SCHED line every MS ms of virtual time. */
  schedtrace?: number;
  /** The goroutine stack limit in bytes (Go's maxstacksize); default 1,000,000,000. */
  maxStack?: number;
  /** Go's stackPoisonCopy debug switch: fill an old stack with 0xfc before freeing it. */
  poisonCopy?: boolean;
}

/** What a runtime needs to run machine code: the host table, the linked image, the kernel's options. */
export interface MachineParts {
  table: HostTable<Runtime>;
  image: Image;
  kernel: KernelOptions;
  /** The kernel's tick (--preempt-every). */
  onTick?: (rt: Runtime, t: Thread) => void;
  /** A program compiled by Go (src/golang/): its pclntab's answers. */
  go?: GoProgram;
}

export const defaultHeapBase = 0x00c0_0000_0000;
export const defaultPersistentBase = 0x7f00_0000_0000;
const defaultPersistentSize = 1 << 30;
/** Go's maxstacksize on 64-bit (set by runtime.main). */
export const defaultMaxStack = 1_000_000_000;
/** forcePreemptNS: Go's time slice, 10 ms. */
export const forcePreemptNS = 10_000_000;

/** Counters for --stats and tests: what preemption, stack growth and system calls did. */
export interface RuntimeStats {
  preempt: {
    /** preemptone requests (sysmon or --preempt-every). */
    requests: number;
    /** SIGURG sent with tgkill, or raised by --preempt-every. */
    signals: number;
    /** Signals that ended in pushCall(asyncPreempt). */
    taken: number;
    /** Signals refused, by reason. */
    refused: Map<string, number>;
    /** Goroutines that entered asyncPreempt2. */
    asyncPreempt2: number;
    /** P handoffs by retake (a P in a system call too long). */
    handoffs: number;
    /** sysmon rounds. */
    sysmonRounds: number;
  };
  newstack: {
    /** Calls of newstack (morestack reached it). */
    newstack: number;
    /** Of those, preemption requests acted on (gopreempt_m). */
    preempt: number;
    /** Preemption requests deferred because the M could not be preempted. */
    preemptDeferred: number;
    /** Stacks copied (copystack). */
    copystack: number;
    /** Bytes of used stack copied, in all. */
    bytesCopied: number;
    /** The biggest stack allocated so far, in bytes. */
    maxStackSize: number;
    /** The new size of each copy, in order (the first 64). */
    sizes: number[];
    /** Saved frame pointers moved (the frame-pointer chain). */
    framePointers: number;
    /** Other words moved because they pointed into the old stack (the conservative pass). */
    conservative: number;
    /** Suspended host frames moved with their stack. */
    hostFrames: number;
    /** sudog.elem pointers moved. */
    sudogs: number;
  };
  syscalls: {
    /** entersyscall calls. */
    enters: number;
    /** Calls that came back to their own P (exitsyscallfast). */
    fast: number;
    /** Calls that came back to another idle P. */
    fastIdle: number;
    /** Calls that found no P: exitsyscall0 queued the goroutine. */
    slow: number;
  };
}

/** The assembly routines the runtime calls, resolved once from the image. */
export interface AsmRoutines {
  mcall: number; gogo: number; systemstack: number; goexit: number; mstart: number;
  futex: number; clone: number; usleep: number; write1: number; exit: number; exitThread: number; osyield: number;
  getpid: number; tgkill: number; rt_sigaction: number; sigaltstack: number; sigtramp: number;
  sigreturn__sigaction: number; asyncPreempt: number; mainmain: number;
}

export class Runtime {
  readonly mem: Mem;
  readonly opts: Readonly<RuntimeOptions>;
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
  /** forcePreemptNS in effect. */
  readonly timeslice: number;
  readonly maxstacksize: number;

  // The machine (absent in the data layer's tests, which run no code).
  readonly kernel!: Kernel;
  readonly bridge!: Bridge<Runtime>;
  readonly image!: Image;
  readonly asm!: AsmRoutines;
  /** The compiled Go program, if the machine runs one (not an assembly program). */
  readonly go: GoProgram | undefined;

  readonly stats: RuntimeStats = {
    preempt: { requests: 0, signals: 0, taken: 0, refused: new Map(), asyncPreempt2: 0, handoffs: 0, sysmonRounds: 0 },
    newstack: {
      newstack: 0, preempt: 0, preemptDeferred: 0, copystack: 0, bytesCopied: 0, maxStackSize: 0, sizes: [],
      framePointers: 0, conservative: 0, hostFrames: 0, sudogs: 0,
    },
    syscalls: { enters: 0, fast: 0, fastIdle: 0, slow: 0 },
  };
  /** Subscribers to scheduler events (traces, the stepper). */
  readonly listeners: ((ev: SchedEvent) => void)[] = [];
  /** Per M, the host function whose schedule → execute jumped to gogo last (for bt). */
  readonly execFrom = new Map<number, string>();
  /** Called after doSigPreempt decides (tests follow one signal). */
  onDecision: ((gp: number, taken: boolean, reason: string, pc: number, sp: number) => void) | undefined;

  /** funcvals of host functions that machine code calls through (mcall's fn, newm's mstartfn). */
  private readonly fv = new Map<string, number>();
  /** While nonzero, getg answers this (systemstack). */
  private gOverride = 0;

  /**
   * Lays out the globals; with `parts`, also the machine: the kernel (one
   * thread per M, seeded), the bridge with its host functions, and the asm
   * routines. Use newRuntime (init.ts) or boot.ts, which also run mallocinit
   * and stackinit; this constructor alone allocates nothing beyond the globals.
   */
  constructor(readonly engine: Engine, opts: RuntimeOptions = {}, parts?: MachineParts) {
    this.opts = opts;
    this.mem = new Mem(engine);
    this.heapBase = opts.heapBase ?? defaultHeapBase;
    this.maxArenas = opts.maxArenas ?? 64;
    if (this.heapBase % (64 << 20) !== 0) throw new Error("runtime: heapBase must be 64 MiB aligned");
    this.heapLimit = this.heapBase + this.maxArenas * (64 << 20);
    this.persistentBase = opts.persistentBase ?? defaultPersistentBase;
    this.persistentLimit = this.persistentBase + (opts.persistentSize ?? defaultPersistentSize);
    if (this.persistentBase % persistentChunkSize !== 0) throw new Error("runtime: persistentBase must be 256 KiB aligned");
    this.timeslice = opts.timeslice ?? forcePreemptNS;
    this.maxstacksize = opts.maxStack ?? defaultMaxStack;
    if (!Number.isSafeInteger(this.maxstacksize) || this.maxstacksize <= 0) throw new Error(`maxStack: ${opts.maxStack} is not a positive integer`);

    if (parts) {
      const self = this as { -readonly [K in keyof Runtime]: Runtime[K] };
      self.image = parts.image;
      const onTick = parts.onTick;
      self.kernel = new Kernel(engine, {
        ...parts.kernel,
        onHostCall: (t, addr) => this.bridge.onHostCall(t, addr),
        ...(onTick ? { onTick: (t: Thread) => onTick(this, t) } : {}),
      });
      self.bridge = new Bridge(engine, this.mem, parts.table, this);
      self.asm = resolveRoutines(parts.image);
      self.go = parts.go;
    }

    // The globals block opens the persistent region; persistentalloc's own
    // state is in it.
    engine.map(this.persistentBase, persistentChunkSize, PROT_READ | PROT_WRITE);
    this.globals = this.persistentBase;
    const mem = this.mem;
    mem.setPtr(this.globals + rtglobals_persistentNext, this.persistentBase + rtglobals__size);
    mem.setPtr(this.globals + rtglobals_persistentEnd, this.persistentBase + persistentChunkSize);

    this.stackpool = this.globals + rtglobals_stackpool;
    this.stackLarge = this.globals + rtglobals_stackLarge;
    this.emptymspan = this.globals + rtglobals_emptymspan;
    this.sched = opts.sched ?? persistentalloc(this, schedt__size, 64);
    mem.setPtr(this.globals + rtglobals_sched, this.sched);
    this.mheap_ = persistentalloc(this, mheap__size, 64);
    mem.setPtr(this.globals + rtglobals_mheap, this.mheap_);
    mem.setU64(this.globals + rtglobals_fastrandseed, BigInt(opts.seed ?? 1));

    // m0 and g0: the loader's if given, else ours. rt0_go links them again
    // (m0.g0 = g0, g0.m = m0); doing it here too lets the runtime work
    // before any machine code has run.
    const m0 = opts.m0 ?? persistentalloc(this, m__size, 64);
    const g0 = opts.g0 ?? persistentalloc(this, g__size, 64);
    mem.setPtr(this.globals + rtglobals_m0, m0);
    mem.setPtr(this.globals + rtglobals_g0, g0);
    mem.setPtr(m0 + m_g0, g0);
    mem.setPtr(g0 + g_m, m0);
  }

  /** Address of a global in the rtglobals block (an rtglobals_* offset). */
  gvar(off: number): number {
    return this.globals + off;
  }

  get m0(): number { return this.mem.ptr(this.globals + rtglobals_m0); }
  get g0(): number { return this.mem.ptr(this.globals + rtglobals_g0); }
  get mcache0(): number { return this.mem.ptr(this.globals + rtglobals_mcache0); }
  get gomaxprocs(): number { return this.mem.i32(this.globals + rtglobals_gomaxprocs); }
  get gcphase(): number { return this.mem.u32(this.globals + rtglobals_gcphase); }
  get startingStackSize(): number { return this.mem.u32(this.globals + rtglobals_startingStackSize); }
  get zerobase(): number { return this.globals + rtglobals_zerobase; }
  /** Virtual time in ns (nanotime). */
  get now(): number { return this.kernel.now; }

  /** getg: the g in the calling thread's TLS slot (FS-8), or g0 during bootstrap. */
  getg(): number {
    if (this.gOverride !== 0) return this.gOverride;
    if (this.kernel === undefined) return this.g0;
    const fs = this.engine.getRegN(REG_FS_BASE);
    return fs === 0 ? this.g0 : this.mem.ptr(fs + TLS_G_OFFSET);
  }

  /** The M running the calling thread (getg().m). */
  getm(): number {
    return this.mem.ptr(this.getg() + g_m);
  }

  /**
   * systemstack: runs fn on the calling M's g0, as Go's systemstack does.
   * Host code has no stack of its own to switch, so what changes is what
   * getg answers while fn runs: g0, which is what stackalloc and friends check.
   */
  systemstack<T>(fn: () => T): T {
    const gp = this.getg();
    if (gp === 0) return fn();
    const g0 = this.mem.ptr(this.mem.ptr(gp + g_m) + m_g0);
    if (g0 === gp) return fn();
    const saved = this.gOverride;
    this.gOverride = g0;
    try {
      return fn();
    } finally {
      this.gOverride = saved;
    }
  }

  /** A funcval whose fn is the host function `name` (allocated once, never freed). */
  funcval(name: string): number {
    let v = this.fv.get(name);
    if (v === undefined) {
      v = persistentalloc(this, 8, 8);
      this.mem.setPtr(v, this.bridge.addrOf(name));
      this.fv.set(name, v);
    }
    return v;
  }

  /** allp[:len]: the Ps, read from memory. */
  get allp(): number[] {
    return this.slice(this.globals + rtglobals_allp);
  }

  /** allgs[:len]: every G ever created (allgadd), read from memory. */
  get allgs(): number[] {
    return this.slice(this.globals + rtglobals_allgs);
  }

  /** allp[i], without building the array. */
  allpAt(i: number): number {
    return this.mem.ptr(this.mem.ptr(this.globals + rtglobals_allp + slice_array) + 8 * i);
  }

  get nallp(): number {
    return this.mem.int(this.globals + rtglobals_allp + slice_len);
  }

  /** The allm list (newest first, as Go links it through m.alllink). */
  get allm(): number[] {
    const out: number[] = [];
    for (let mp = this.mem.ptr(this.globals + rtglobals_allm); mp !== 0; mp = this.mem.ptr(mp + m_alllink)) {
      out.push(mp);
      if (out.length > 1 << 20) throw_("allm: list is cyclic");
    }
    return out;
  }

  /** The elements of a []uintptr slice header at addr. */
  private slice(addr: number): number[] {
    const arr = this.mem.ptr(addr + slice_array);
    const len = this.mem.int(addr + slice_len);
    const out = new Array<number>(len);
    for (let i = 0; i < len; i++) out[i] = this.mem.ptr(arr + 8 * i);
    return out;
  }
}

function resolveRoutines(image: Image): AsmRoutines {
  const need = (name: string): number => {
    const a = image.addrOf(name);
    if (a === undefined) throw new Error(`asm/: no ${name}`);
    return a;
  };
  return {
    mcall: need("runtime.mcall"), gogo: need("runtime.gogo"), systemstack: need("runtime.systemstack"),
    goexit: need("runtime.goexit"), mstart: need("runtime.mstart"), futex: need("runtime.futex"),
    clone: need("runtime.clone"), usleep: need("runtime.usleep"), write1: need("runtime.write1"),
    exit: need("runtime.exit"), exitThread: need("runtime.exitThread"), osyield: need("runtime.osyield"), getpid: need("runtime.getpid"),
    tgkill: need("runtime.tgkill"), rt_sigaction: need("runtime.rt_sigaction"),
    sigaltstack: need("runtime.sigaltstack"), sigtramp: need("runtime.sigtramp"),
    sigreturn__sigaction: need("runtime.sigreturn__sigaction"), asyncPreempt: need("runtime.asyncPreempt"),
    mainmain: need("main.main"),
  };
}

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
  const nextA = rt.globals + rtglobals_persistentNext;
  const endA = rt.globals + rtglobals_persistentEnd;
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
