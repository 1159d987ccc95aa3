// Struct layouts of the Go runtime, Go 1.19, linux/amd64.
//
// The scheduler's state lives in emulated memory, at the offsets Go's own
// compiler gives it, because the same bytes are read by three parties: the
// assembly (gogo reads gobuf_sp, morestack reads g_m and m_g0 ...), the
// TypeScript port of the scheduler, and the debugger. Each struct is
// declared once here: its size, and the offset and width of every field any
// of the three touches. From these declarations we generate
// asm/include/go_asm.h, the header the assembly includes, exactly as Go's
// build generates its go_asm.h from the compiler's view of the structs
// (a test fails when the checked-in header is stale, and another compares
// every offset with the go_asm.h Go 1.19 itself generates).
//
// Fields we never touch are not declared; their bytes are still reserved by
// the struct's size, so a g here is the 392 bytes a g is in Go 1.19.
// Constants keep Go's names and values (status codes, stack sizes).

export interface FieldDef {
  off: number;
  /** Width in bytes (the width of the whole field for embedded structs). */
  size: number;
}

/**
 * A struct layout. K names its declared fields, so `off(g, "schedlink")`
 * is checked by the compiler.
 */
export interface StructDef<K extends string = string> {
  name: string;
  size: number;
  fields: Readonly<Record<K, FieldDef>>;
}

/** Declares a layout: name, size, and [offset, width] per field. */
export function struct<K extends string>(name: string, size: number, fields: Record<K, [number, number]>): StructDef<K> {
  const out = {} as Record<K, FieldDef>;
  for (const k of Object.keys(fields) as K[]) {
    const [off, sz] = fields[k];
    if (off + sz > size) throw new Error(`runtime2: ${name}.${k} lies beyond the struct`);
    out[k] = { off, size: sz };
  }
  return { name, size, fields: out };
}

/** The offset of a field: `off(g, "sched") + off(gobuf, "sp")`. */
export function off<K extends string>(s: StructDef<K>, name: K): number {
  return s.fields[name].off;
}

/** stack: [lo, hi) of a goroutine stack. */
export const stack = struct("stack", 16, { lo: [0, 8], hi: [8, 8] });

/** gobuf: what gogo restores and mcall/gosave save. */
export const gobuf = struct("gobuf", 56, {
  sp: [0, 8], pc: [8, 8], g: [16, 8], ctxt: [24, 8], ret: [32, 8], lr: [40, 8], bp: [48, 8],
});

export const g = struct("g", 392, {
  stack: [0, 16],
  stackguard0: [16, 8],
  stackguard1: [24, 8],
  _panic: [32, 8],
  _defer: [40, 8],
  m: [48, 8],
  sched: [56, 56],
  syscallsp: [112, 8],
  syscallpc: [120, 8],
  stktopsp: [128, 8],
  param: [136, 8],
  atomicstatus: [144, 4],
  stackLock: [148, 4],
  goid: [152, 8],
  schedlink: [160, 8],
  waitsince: [168, 8],
  waitreason: [176, 1],
  preempt: [177, 1],
  preemptStop: [178, 1],
  preemptShrink: [179, 1],
  asyncSafePoint: [180, 1],
  paniconfault: [181, 1],
  gcscandone: [182, 1],
  throwsplit: [183, 1],
  activeStackChans: [184, 1],
  parkingOnChan: [185, 1],
  tracking: [188, 1],
  trackingSeq: [189, 1],
  runnableStamp: [192, 8],
  runnableTime: [200, 8],
  sysexitticks: [208, 8],
  traceseq: [216, 8],
  tracelastp: [224, 8],
  lockedm: [232, 8],
  sig: [240, 4],
  writebuf: [248, 24],
  sigcode0: [272, 8],
  sigcode1: [280, 8],
  sigpc: [288, 8],
  gopc: [296, 8],
  ancestors: [304, 8],
  startpc: [312, 8],
  waiting: [328, 8],
  labels: [360, 8],
  timer: [368, 8],
  selectDone: [376, 4],
  goroutineProfiled: [380, 4],
  gcAssistBytes: [384, 8],
});

export const m = struct("m", 1008, {
  g0: [0, 8],
  morebuf: [8, 56],
  divmod: [64, 4],
  procid: [72, 8],
  gsignal: [80, 8],
  goSigStack: [88, 40],
  sigmask: [128, 8],
  tls: [136, 48],
  mstartfn: [184, 8],
  curg: [192, 8],
  caughtsig: [200, 8],
  p: [208, 8],
  nextp: [216, 8],
  oldp: [224, 8],
  id: [232, 8],
  mallocing: [240, 4],
  throwing: [244, 4],
  preemptoff: [248, 16],
  locks: [264, 4],
  dying: [268, 4],
  profilehz: [272, 4],
  spinning: [276, 1],
  blocked: [277, 1],
  newSigstack: [278, 1],
  printlock: [279, 1],
  incgo: [280, 1],
  freeWait: [284, 4],
  fastrand: [288, 8],
  needextram: [296, 1],
  traceback: [297, 1],
  ncgocall: [304, 8],
  ncgo: [312, 4],
  park: [328, 8],
  alllink: [336, 8],
  schedlink: [344, 8],
  lockedg: [352, 8],
  createstack: [360, 256],
  lockedExt: [616, 4],
  lockedInt: [620, 4],
  nextwaitm: [624, 8],
  waitunlockf: [632, 8],
  waitlock: [640, 8],
  waittraceev: [648, 1],
  waittraceskip: [656, 8],
  startingtrace: [664, 1],
  syscalltick: [668, 4],
  freelink: [672, 8],
  vdsoSP: [800, 8],
  vdsoPC: [808, 8],
  preemptGen: [816, 4],
  signalPending: [820, 4],
  mOS: [824, 12],
  locksHeldLen: [840, 8],
  locksHeld: [848, 160],
});

export const p = struct("p", 8912, {
  id: [0, 4],
  status: [4, 4],
  link: [8, 8],
  schedtick: [16, 4],
  syscalltick: [20, 4],
  sysmontick: [24, 32],
  m: [56, 8],
  mcache: [64, 8],
  pcache: [72, 24],
  deferpool: [104, 24],
  deferpoolbuf: [128, 256],
  goidcache: [384, 8],
  goidcacheend: [392, 8],
  runqhead: [400, 4],
  runqtail: [404, 4],
  runq: [408, 2048],
  runnext: [2456, 8],
  gFree: [2464, 16],
  sudogcache: [2480, 24],
  sudogbuf: [2504, 1024],
  mspancache: [3528, 1032],
  tracebuf: [4560, 8],
  palloc: [4592, 16],
  timer0When: [4616, 8],
  timerModifiedEarliest: [4624, 8],
  gcw: [4672, 40],
  wbBuf: [4712, 4112],
  runSafePointFn: [8824, 4],
  statsSeq: [8828, 4],
  timersLock: [8832, 8],
  timers: [8840, 24],
  numTimers: [8864, 4],
  deletedTimers: [8868, 4],
  maxStackScanDelta: [8880, 8],
  scannedStackSize: [8888, 8],
  scannedStacks: [8896, 8],
  preempt: [8904, 1],
});

/** The scheduler's global state: Go's `sched` variable is one of these. */
export const schedt = struct("schedt", 6080, {
  goidgen: [0, 8],
  lastpoll: [8, 8],
  pollUntil: [16, 8],
  lock: [24, 8],
  midle: [32, 8],
  nmidle: [40, 4],
  nmidlelocked: [44, 4],
  mnext: [48, 8],
  maxmcount: [56, 4],
  nmsys: [60, 4],
  nmfreed: [64, 8],
  ngsys: [72, 4],
  pidle: [80, 8],
  npidle: [88, 4],
  nmspinning: [92, 4],
  runq: [96, 16],
  runqsize: [112, 4],
  disable: [120, 32],
  gFree: [152, 32],
  sudoglock: [184, 8],
  sudogcache: [192, 8],
  deferlock: [200, 8],
  deferpool: [208, 8],
  freem: [216, 8],
  gcwaiting: [224, 4],
  stopwait: [228, 4],
  stopnote: [232, 8],
  sysmonwait: [240, 4],
  sysmonnote: [248, 8],
  safePointFn: [256, 8],
  safePointWait: [264, 4],
  safePointNote: [272, 8],
  profilehz: [280, 4],
  procresizetime: [288, 8],
  totaltime: [296, 8],
  sysmonlock: [304, 8],
  timeToRun: [312, 5768],
});

/** A queue of Gs linked through g.schedlink. */
export const gQueue = struct("gQueue", 16, { head: [0, 8], tail: [8, 8] });
/** A stack of Gs linked through g.schedlink. */
export const gList = struct("gList", 8, { head: [0, 8] });
export const mutex = struct("mutex", 8, { key: [0, 8] });
export const note = struct("note", 8, { key: [0, 8] });
/** The first word of a free object (a free stack, a free fixalloc block). */
export const gclink = struct("gclink", 8, { next: [0, 8] });

/** A free list of stacks of one order, in an mcache. */
export const stackfreelist = struct("stackfreelist", 16, { list: [0, 8], size: [8, 8] });

/** Per-P allocation cache: spans per span class, and the stack cache. */
export const mcache = struct("mcache", 1200, {
  nextSample: [0, 8],
  scanAlloc: [8, 8],
  tiny: [16, 8],
  tinyoffset: [24, 8],
  tinyAllocs: [32, 8],
  alloc: [40, 1088],
  stackcache: [1128, 64],
  flushGen: [1192, 4],
});

/** A run of pages: a heap span of one size class, a stack span, or free. */
export const mspan = struct("mspan", 144, {
  next: [0, 8],
  prev: [8, 8],
  list: [16, 8],
  startAddr: [24, 8],
  npages: [32, 8],
  manualFreeList: [40, 8],
  freeindex: [48, 8],
  nelems: [56, 8],
  allocCache: [64, 8],
  allocBits: [72, 8],
  gcmarkBits: [80, 8],
  sweepgen: [88, 4],
  divMul: [92, 4],
  allocCount: [96, 2],
  spanclass: [98, 1],
  state: [99, 1],
  needzero: [100, 1],
  allocCountBeforeCache: [102, 2],
  elemsize: [104, 8],
  limit: [112, 8],
  speciallock: [120, 8],
  specials: [128, 8],
  freeIndexForScan: [136, 8],
});

export const mSpanList = struct("mSpanList", 16, { first: [0, 8], last: [8, 8] });

/** One order of the global stack pool (the element of `stackpool` is this, padded to 64). */
export const stackpoolItem = struct("stackpoolItem", 24, { mu: [0, 8], span: [8, 16] });

/** A type descriptor; mallocgc reads ptrdata to choose a scan or noscan span class. */
export const _type = struct("_type", 48, {
  size: [0, 8], ptrdata: [8, 8], hash: [16, 4], tflag: [20, 1], align: [21, 1],
  fieldAlign: [22, 1], kind: [23, 1], equal: [24, 8], gcdata: [32, 8], str: [40, 4], ptrToThis: [44, 4],
});

export const funcval = struct("funcval", 8, { fn: [0, 8] });

export const sudog = struct("sudog", 88, {
  g: [0, 8], next: [8, 8], prev: [16, 8], elem: [24, 8],
  acquiretime: [32, 8], releasetime: [40, 8], ticket: [48, 4],
  isSelect: [52, 1], success: [53, 1], parent: [56, 8],
  waitlink: [64, 8], waittail: [72, 8], c: [80, 8],
});

export const hchan = struct("hchan", 96, {
  qcount: [0, 8], dataqsiz: [8, 8], buf: [16, 8], elemsize: [24, 2],
  closed: [28, 4], elemtype: [32, 8], sendx: [40, 8], recvx: [48, 8],
  recvq: [56, 16], sendq: [72, 16], lock: [88, 8],
});

export const waitq = struct("waitq", 16, { first: [0, 8], last: [8, 8] });

/** Linux's struct sigcontext (the mcontext inside a ucontext). */
export const sigcontext = struct("sigcontext", 256, {
  r8: [0, 8], r9: [8, 8], r10: [16, 8], r11: [24, 8], r12: [32, 8], r13: [40, 8],
  r14: [48, 8], r15: [56, 8], rdi: [64, 8], rsi: [72, 8], rbp: [80, 8], rbx: [88, 8],
  rdx: [96, 8], rax: [104, 8], rcx: [112, 8], rsp: [120, 8], rip: [128, 8],
  eflags: [136, 8], cs: [144, 2], gs: [146, 2], fs: [148, 2], err: [152, 8],
  trapno: [160, 8], oldmask: [168, 8], cr2: [176, 8], fpstate: [184, 8],
});

export const ucontext = struct("ucontext", 936, {
  uc_flags: [0, 8], uc_link: [8, 8], uc_stack: [16, 24], uc_mcontext: [40, 256],
  uc_sigmask: [296, 8], __fpregs_mem: [424, 512],
});

/** The structs whose layout go_asm.h exports, in the order we print them. */
export const STRUCTS: readonly StructDef[] = [
  stack, gobuf, g, m, p, funcval, sudog, hchan, waitq, sigcontext, ucontext,
  schedt, gQueue, gList, mutex, note, gclink, stackfreelist, mcache, mspan, mSpanList,
  stackpoolItem, _type,
];

// --- anonymous structs -------------------------------------------------------
//
// Fields whose type is an unnamed struct have no names of their own in
// go_asm.h, so these layouts are not exported there; they are read from the
// declarations in runtime2.go and stack.go (and agree with the DWARF of a
// Go 1.19 binary). Offsets are relative to the field.

/** schedt.disable: struct { user bool; runnable gQueue; n int32 }. */
export const schedtDisable = struct("schedt.disable", 32, { user: [0, 1], runnable: [8, 16], n: [24, 4] });
/** schedt.gFree: struct { lock mutex; stack gList; noStack gList; n int32 }. */
export const schedtGFree = struct("schedt.gFree", 32, { lock: [0, 8], stack: [8, 8], noStack: [16, 8], n: [24, 4] });
/** p.gFree: struct { gList; n int32 }. */
export const pGFree = struct("p.gFree", 16, { gList: [0, 8], n: [8, 4] });
/** An element of stack.go's stackpool array: a stackpoolItem padded to a cache line. */
export const stackpoolElem = struct("stackpool[i]", 64, { item: [0, 24] });
/** stack.go's stackLarge: struct { lock mutex; free [heapAddrBits - pageShift]mSpanList }. */
export const stackLargeT = struct("stackLarge", 568, { lock: [0, 8], free: [8, 560] });

// --- runtime types go_asm.h leaves out -----------------------------------------
//
// Go's go_asm.h exports only the types the runtime's assembly names. These
// are Go types too (the DWARF of a Go 1.19 binary has them, and
// test/runtime/dwarf.test.ts checks them there); the TypeScript runtime
// keeps its timers, semaphores and string headers in emulated memory with
// them, so a debugger reading memory sees what it would see in Go.

/** time.go's timer: one per sleeping goroutine (g.timer), on its P's heap. */
export const timer = struct("timer", 72, {
  pp: [0, 8], when: [8, 8], period: [16, 8], f: [24, 8], arg: [32, 16], seq: [48, 8],
  nextwhen: [56, 8], status: [64, 4],
});
/** sema.go's semaRoot: a treap of sudogs, one per address waited on. */
export const semaRoot = struct("semaRoot", 24, { lock: [0, 8], treap: [8, 8], nwait: [16, 4] });
/** proc.go's sysmontick: what sysmon last saw of a P. */
export const sysmontick = struct("sysmontick", 32, {
  schedtick: [0, 4], schedwhen: [8, 8], syscalltick: [16, 4], syscallwhen: [24, 8],
});
/** A string header (string.go's stringStruct). */
export const stringStruct = struct("stringStruct", 16, { str: [0, 8], len: [8, 8] });
/** A slice header (slice.go's slice). */
export const slice = struct("slice", 24, { array: [0, 8], len: [8, 8], cap: [16, 8] });
/** An empty interface (runtime2.go's eface). */
export const eface = struct("eface", 16, { _type: [0, 8], data: [8, 8] });

/** defs_linux_amd64.go's timespec (futex timeouts, nanosleep). */
export const timespec = struct("timespec", 16, { tv_sec: [0, 8], tv_nsec: [8, 8] });
/** defs_linux_amd64.go's sigactiont, what rt_sigaction reads. */
export const sigactiont = struct("sigactiont", 32, { sa_handler: [0, 8], sa_flags: [8, 8], sa_restorer: [16, 8], sa_mask: [24, 8] });
/** defs_linux_amd64.go's stackt, what sigaltstack reads. */
export const stackt = struct("stackt", 24, { ss_sp: [0, 8], ss_flags: [8, 4], ss_size: [16, 8] });

/** Go types the runtime uses that go_asm.h does not export (offsets.ts has them too). */
export const RUNTIME_STRUCTS: readonly StructDef[] = [timer, semaRoot, sysmontick, stringStruct, slice, eface, timespec, sigactiont, stackt];

// --- constants (Go 1.19 values) ---------------------------------------------

/** G status (runtime2.go). */
export const _Gidle = 0;
export const _Grunnable = 1;
export const _Grunning = 2;
export const _Gsyscall = 3;
export const _Gwaiting = 4;
export const _Gmoribund_unused = 5;
export const _Gdead = 6;
export const _Genqueue_unused = 7;
export const _Gcopystack = 8;
export const _Gpreempted = 9;
export const _Gscan = 0x1000;
export const _Gscanrunnable = _Gscan + _Grunnable;
export const _Gscanrunning = _Gscan + _Grunning;
export const _Gscansyscall = _Gscan + _Gsyscall;
export const _Gscanwaiting = _Gscan + _Gwaiting;
export const _Gscanpreempted = _Gscan + _Gpreempted;

/** P status. */
export const _Pidle = 0;
export const _Prunning = 1;
export const _Psyscall = 2;
export const _Pgcstop = 3;
export const _Pdead = 4;

/** Stack constants (stack.go, linux/amd64). */
export const _StackSystem = 0;
export const _StackMin = 2048;
export const _FixedStack = 2048;
export const _StackBig = 4096;
export const _StackGuard = 928;
export const _StackSmall = 128;
export const _StackLimit = _StackGuard - _StackSystem - _StackSmall;
export const _StackCacheSize = 32768;
export const _NumStackOrders = 4;
/** uintptrMask & -1314: stackguard0 value that makes every prologue fail. */
export const stackPreempt = 0xfffffffffffffaden;
export const stackFork = 0xfffffffffffffb2en;
export const stackForceMove = 0xfffffffffffffeedn;

export const _GoidCacheBatch = 16;
/** gTrackingPeriod: casgstatus tracks scheduling latency of every 8th transition out of _Grunning. */
export const gTrackingPeriod = 8;

/** Heap layout (malloc.go, sizeclasses.go, linux/amd64). */
export const _PageShift = 13;
export const pageShift = _PageShift;
export const pageSize = 1 << _PageShift;
export const _PageMask = pageSize - 1;
export const _MaxSmallSize = 32768;
export const maxSmallSize = _MaxSmallSize;
export const smallSizeDiv = 8;
export const smallSizeMax = 1024;
export const largeSizeDiv = 128;
export const _NumSizeClasses = 68;
export const numSpanClasses = _NumSizeClasses << 1;
export const _TinySize = 16;
export const maxTinySize = _TinySize;
export const _TinySizeClass = 2;
export const tinySpanClass = (_TinySizeClass << 1) | 1;
export const heapAddrBits = 48;
export const logHeapArenaBytes = 26;
export const heapArenaBytes = 1 << logHeapArenaBytes;
export const pagesPerArena = heapArenaBytes / pageSize;
export const persistentChunkSize = 256 << 10;
export const _FixAllocChunk = 16 << 10;
/** mspan.state. */
export const mSpanDead = 0;
export const mSpanInUse = 1;
export const mSpanManual = 2;
/** What a manually managed span is for (mheap.allocManual). */
export const spanAllocHeap = 0;
export const spanAllocStack = 1;
/** gcphase. */
export const _GCoff = 0;
export const _GCmark = 1;
export const _GCmarktermination = 2;
/** mutex.key (lock_futex.go). */
export const mutex_unlocked = 0;
export const mutex_locked = 1;
export const mutex_sleeping = 2;

/** g.waitreason values (runtime2.go) and what a goroutine dump prints for them. */
export const waitReasonZero = 0;
export const waitReasonGCAssistMarking = 1;
export const waitReasonIOWait = 2;
export const waitReasonChanReceiveNilChan = 3;
export const waitReasonChanSendNilChan = 4;
export const waitReasonDumpingHeap = 5;
export const waitReasonGarbageCollection = 6;
export const waitReasonGarbageCollectionScan = 7;
export const waitReasonPanicWait = 8;
export const waitReasonSelect = 9;
export const waitReasonSelectNoCases = 10;
export const waitReasonGCAssistWait = 11;
export const waitReasonGCSweepWait = 12;
export const waitReasonGCScavengeWait = 13;
export const waitReasonChanReceive = 14;
export const waitReasonChanSend = 15;
export const waitReasonFinalizerWait = 16;
export const waitReasonForceGCIdle = 17;
export const waitReasonSemacquire = 18;
export const waitReasonSleep = 19;
export const waitReasonSyncCondWait = 20;
export const waitReasonTimerGoroutineIdle = 21;
export const waitReasonTraceReaderBlocked = 22;
export const waitReasonWaitForGCCycle = 23;
export const waitReasonGCWorkerIdle = 24;
export const waitReasonPreempted = 25;
export const waitReasonDebugCall = 26;
export const waitReasonStrings: readonly string[] = [
  "", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)",
  "dumping heap", "garbage collection", "garbage collection scan", "panicwait", "select",
  "select (no cases)", "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
  "chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep", "sync.Cond.Wait",
  "timer goroutine (idle)", "trace reader (blocked)", "wait for GC cycle", "GC worker (idle)",
  "preempted", "debug call",
];
export const forcePreemptNS = 10_000_000;
export const tlsSize = 48;
export const _PageSize = 8192;

/** The go_asm.h constants we export (name without the const_ prefix). */
export const CONSTS: Readonly<Record<string, bigint | number>> = {
  _Gidle, _Grunnable, _Grunning, _Gsyscall, _Gwaiting, _Gmoribund_unused, _Gdead,
  _Genqueue_unused, _Gcopystack, _Gpreempted, _Gscan, _Gscanrunnable, _Gscanrunning,
  _Gscansyscall, _Gscanwaiting, _Gscanpreempted,
  _Pidle, _Prunning, _Psyscall, _Pgcstop, _Pdead,
  _StackSystem, _StackMin, _FixedStack, _StackBig, _StackGuard, _StackSmall, _StackLimit,
  _StackCacheSize, stackPreempt, stackFork, stackForceMove,
  _GoidCacheBatch, forcePreemptNS, tlsSize, _PageSize, _NumStackOrders, gTrackingPeriod,
  _PageShift, pageShift, pageSize, _PageMask, _MaxSmallSize, maxSmallSize, smallSizeDiv,
  smallSizeMax, largeSizeDiv, _NumSizeClasses, numSpanClasses, _TinySize, maxTinySize,
  _TinySizeClass, tinySpanClass, heapAddrBits, logHeapArenaBytes, heapArenaBytes, pagesPerArena,
  persistentChunkSize, _FixAllocChunk, mSpanDead, mSpanInUse, mSpanManual, spanAllocHeap,
  spanAllocStack, _GCoff, _GCmark, _GCmarktermination, mutex_unlocked, mutex_locked,
  mutex_sleeping,
  waitReasonZero, waitReasonGCAssistMarking, waitReasonIOWait, waitReasonChanReceiveNilChan,
  waitReasonChanSendNilChan, waitReasonDumpingHeap, waitReasonGarbageCollection,
  waitReasonGarbageCollectionScan, waitReasonPanicWait, waitReasonSelect, waitReasonSelectNoCases,
  waitReasonGCAssistWait, waitReasonGCSweepWait, waitReasonGCScavengeWait, waitReasonChanReceive,
  waitReasonChanSend, waitReasonFinalizerWait, waitReasonForceGCIdle, waitReasonSemacquire,
  waitReasonSleep, waitReasonSyncCondWait, waitReasonTimerGoroutineIdle,
  waitReasonTraceReaderBlocked, waitReasonWaitForGCCycle, waitReasonGCWorkerIdle,
  waitReasonPreempted, waitReasonDebugCall,
};

/** Generates asm/include/go_asm.h from the declarations above. */
export function genGoAsmH(): string {
  const out: string[] = [
    "// Code generated by gmpemu from src/runtime/runtime2.ts; DO NOT EDIT.",
    "// Regenerate with: npm run gen",
    "// Struct offsets and constants of the Go 1.19 runtime (linux/amd64) that",
    "// the assembly in asm/ uses; the same names Go's own go_asm.h defines.",
    "",
  ];
  for (const s of STRUCTS) {
    out.push(`#define ${s.name}__size ${s.size}`);
    for (const [k, f] of Object.entries(s.fields)) out.push(`#define ${s.name}_${k} ${f.off}`);
  }
  for (const [k, v] of Object.entries(CONSTS)) out.push(`#define const_${k} ${v}`);
  return out.join("\n") + "\n";
}

/**
 * gmpemu's own layout: a block for Go's global variables that have no
 * linker symbol here (allgs, allp, mainStarted, debuglock, semtable ...),
 * at the start of the persistent region (rt.ts). Not a Go type, so no
 * oracle checks it; offsets.ts names its fields like the rest.
 */
export const rtglobals = struct("rtglobals", 1280, {
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
  /** proc.go's mainStarted: runtime.main has begun (newproc may start Ms). */
  mainStarted: [1176, 1],
  /** print.go's debuglock: serializes printlock'd output. */
  debuglock: [1184, 8],
  /** Address of sema.go's semtable ([251]struct{root semaRoot; pad}: 251 × 64 bytes). */
  semtable: [1192, 8],
  /** The M blocked waiting for the next timer, Go's M in netpoll (0: none). */
  netpollWaiter: [1200, 8],
  /** proc.go's runtimeInitTime: when runtime.main started. */
  runtimeInitTime: [1208, 8],
  /** proc.go's newmHandoff: Ms for the template thread to start (newm from a locked M). */
  newmHandoffLock: [1216, 8],
  newmHandoffNewm: [1224, 8],
  newmHandoffWaiting: [1232, 1],
  newmHandoffWake: [1240, 8],
  haveTemplateThread: [1248, 4],
});

/** Go's fixalloc: a free list of fixed-size blocks over persistentalloc'd chunks. */
export const fixalloc = struct("fixalloc", 40, {
  size: [0, 8], list: [8, 8], chunk: [16, 8], nchunk: [24, 4], nalloc: [28, 4], inuse: [32, 8],
});

/** Arenas the mheap can index (heap limit = base + maxArenasCap × 64 MiB). */
export const maxArenasCap = 64;

/** The mheap: our layout. */
export const mheap = struct("mheap", 656, {
  lock: [0, 8],
  /** Free runs of pages (mspans in state mSpanDead), first fit. */
  free: [8, 16],
  /** [curArenaBase, curArenaEnd): reserved heap address space not yet handed out. */
  curArenaBase: [24, 8],
  curArenaEnd: [32, 8],
  /** End of the part of the heap mapped in the engine. */
  mapped: [40, 8],
  pagesInUse: [48, 8],
  sweepgen: [56, 4],
  spanalloc: [64, 40],
  cachealloc: [104, 40],
  /** *heapArena (a [pagesPerArena]*mspan table) per arena, from the heap base. */
  arenas: [144, 8 * maxArenasCap],
});

/**
 * newproc's closure, {newproc_m, fn, gp, pc}: Go's compiler builds it on
 * newproc's stack for the func literal it passes to systemstack.
 */
export const newprocClosure = struct("newprocClosure", 32, { fn: [0, 8], arg: [8, 8], gp: [16, 8], pc: [24, 8] });
/** A frame with a frame pointer: BP points at the saved BP, the return address is above it. */
export const bpFrame = struct("bpFrame", 16, { savedbp: [0, 8], retpc: [8, 8] });

/** gmpemu's own layouts (offsets.ts has them; no oracle does). */
export const OWN_STRUCTS: readonly StructDef[] = [rtglobals, fixalloc, mheap, newprocClosure, bpFrame];

/**
 * The anonymous structs, flattened into their parent: `schedt_gFree_n` is
 * the offset of sched.gFree.n from the start of a schedt.
 */
export const ANON_FIELDS: readonly (readonly [StructDef, StructDef, string])[] = [
  // Not anonymous, but read so often that g_stack_lo reads better than g_stack + stack_lo.
  [g, stack, "stack"],
  [schedt, schedtDisable, "disable"],
  [schedt, schedtGFree, "gFree"],
  [p, pGFree, "gFree"],
];

/**
 * Generates src/runtime/offsets.ts: every declared field as a constant with
 * go_asm.h's name (`g_sched`, `gobuf_sp`, `m_g0`, `p_runqhead`), each
 * struct's size (`g__size`), the flattened anonymous fields, and the width
 * of every field (FIELD_WIDTH), which test/runtime/offsets.test.ts holds
 * each access in src/runtime to.
 */
export function genOffsetsTs(): string {
  const out: string[] = [
    "// Code generated by gmpemu from src/runtime/runtime2.ts; DO NOT EDIT.",
    "// Regenerate with: npm run gen",
    "//",
    "// Field offsets of the Go 1.19 runtime's structs, named as go_asm.h names",
    "// them. The TypeScript runtime reads memory with these and nothing else:",
    "// no other file computes an offset.",
    "",
  ];
  const widths: string[] = [];
  const emit = (name: string, v: number, width?: number): void => {
    out.push(`export const ${name} = ${v};`);
    if (width !== undefined) widths.push(`  ${name}: ${width},`);
  };
  for (const s of [...STRUCTS, ...RUNTIME_STRUCTS, ...OWN_STRUCTS]) {
    emit(`${s.name}__size`, s.size);
    for (const [k, f] of Object.entries(s.fields)) emit(`${s.name}_${k}`, f.off, f.size);
  }
  for (const [parent, sub, field] of ANON_FIELDS) {
    const base = (parent.fields as Record<string, FieldDef>)[field]!.off;
    for (const [k, f] of Object.entries(sub.fields)) emit(`${parent.name}_${field}_${k}`, base + f.off, f.size);
  }
  emit("stackpoolElem__size", stackpoolElem.size);
  for (const [k, f] of Object.entries(stackpoolElem.fields)) emit(`stackpoolElem_${k}`, f.off, f.size);
  for (const [k, f] of Object.entries(stackLargeT.fields)) emit(`stackLarge_${k}`, f.off, f.size);
  out.push("", "/** The width in bytes of each field above (an embedded struct's whole width). */");
  out.push("export const FIELD_WIDTH: Readonly<Record<string, number>> = {", ...widths, "};");
  return out.join("\n") + "\n";
}
