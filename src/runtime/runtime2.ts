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

export interface StructDef {
  name: string;
  size: number;
  fields: Readonly<Record<string, FieldDef>>;
}

function struct(name: string, size: number, fields: Record<string, [number, number]>): StructDef {
  const out: Record<string, FieldDef> = {};
  for (const [k, [off, sz]] of Object.entries(fields)) {
    if (off + sz > size) throw new Error(`runtime2: ${name}.${k} lies beyond the struct`);
    out[k] = { off, size: sz };
  }
  return { name, size, fields: out };
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
  lockedm: [232, 8],
  sig: [240, 4],
  sigcode0: [272, 8],
  sigcode1: [280, 8],
  sigpc: [288, 8],
  gopc: [296, 8],
  startpc: [312, 8],
  waiting: [328, 8],
  timer: [368, 8],
  selectDone: [376, 4],
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
  spinning: [276, 1],
  blocked: [277, 1],
  newSigstack: [278, 1],
  printlock: [279, 1],
  park: [328, 8],
  alllink: [336, 8],
  schedlink: [344, 8],
  lockedg: [352, 8],
  syscalltick: [668, 4],
  freelink: [672, 8],
  preemptGen: [816, 4],
  signalPending: [820, 4],
});

export const p = struct("p", 8912, {
  id: [0, 4],
  status: [4, 4],
  link: [8, 8],
  schedtick: [16, 4],
  syscalltick: [20, 4],
  sysmontick: [24, 32],
  m: [56, 8],
  goidcache: [384, 8],
  goidcacheend: [392, 8],
  runqhead: [400, 4],
  runqtail: [404, 4],
  runq: [408, 2048],
  runnext: [2456, 8],
  gFree: [2464, 16],
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
];

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
  _GoidCacheBatch, forcePreemptNS, tlsSize, _PageSize,
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
