// The unicorn engine: libunicorn (QEMU's CPU core) behind the Engine interface.
//
// libunicorn.so.2 is bound at run time through koffi, so nothing has to be
// compiled; when the library is missing, creating the engine fails with a
// message that says how to install it. Register ids, hook types and error
// numbers below are unicorn 2's (unicorn/x86.h, unicorn/unicorn.h); the ones
// that matter are re-checked at run time by probe() (a register written
// through one id must read back through its narrower alias).
//
// Memory is ours. Every region is native memory (anonymous mmap, page
// aligned, zero-filled, never moved) mapped into unicorn with
// uc_mem_map_ptr and into a src/mem Memory as pages that are views of the
// same bytes. So host access (hmem, read, write) is a typed-array access
// with no native call at all, and the page table, permissions and
// snapshots are the interpreter's code. A protect or unmap of part of a
// region is done on both sides: unicorn splits a map_ptr region keeping its
// host pointers (checked by test), and Memory is per page. The native block
// is unmapped when its last page is. Translated code: QEMU notices the
// guest's own writes into translated pages, but not ours, so a host write
// into an executable page (Page.code) drops the translations of that page.
//
// The CPU is Linux's user mode. Unicorn starts at CPL 0, where CLI, HLT,
// LGDT, MOV to CR3... simply run; the engine drops it to CPL 3 at creation
// (enterUserMode), so QEMU raises #GP for them, as Linux's CPU does. What
// QEMU would still do differently from the machine gmpemu defines — CPUID
// and RDTSC (virtualised, src/cpu/virt.ts), port I/O and the UMIP group
// (which QEMU lets through), bytes the interpreter does not implement, and
// a few QEMU 5 departures from the SDM — it never executes: the
// interpreter's decoder marks where such instructions would start
// ("exits", below) and the interpreter's handler runs them. So both
// engines report the same stop, fault type and RIP for any bytes
// (test/hostile/engine-fuzz.test.ts).
//
// Invariants and costs:
//   - Free runs never cross into JavaScript per instruction. run(n) is
//     uc_emu_start(rip, NEVER, 0, n); the only JS hooks are a code hook over
//     the host range (so execution stops before a host function runs), the
//     SYSCALL instruction hook, the interrupt hook (INT3, #DE) and the
//     memory-fault hooks. Each fires at most once per uc_emu_start: it
//     records what happened and calls uc_emu_stop. A run goes on after an
//     exit (an instruction the interpreter ran) or after the first fetch
//     from a page (which computes its exits).
//   - Instruction counting is exact. Unicorn implements its `count` option
//     with a native per-instruction hook that increments a counter in its
//     engine struct before each instruction and stops when the counter
//     passes the budget. We read that counter directly after each run: its
//     offset is discovered once per process by running a known number of
//     NOPs on a scratch engine and finding the adjacent (counter, budget)
//     pair, then confirmed with a second, different budget. The counter
//     includes the instruction that stopped the run when that instruction
//     did not complete (fault, host call, budget), except for instruction
//     fetch faults, where no instruction was ever translated, and exits,
//     where translation stopped before it. If the probe fails (another
//     unicorn build), run() falls back to stepping one instruction at a
//     time, which is exact but slow.
//     Rejected: a JS block hook to count (a native→JS crossing per basic
//     block caps unicorn at the speed of the crossing), and counting by
//     decoding blocks ourselves (needs the hook anyway).
//   - Faults report what the interpreter reports: the RIP of the faulting
//     instruction (unicorn restores it precisely) and, for page faults, the
//     first inaccessible byte and the access kind; a non-canonical address
//     is #GP (QEMU, which does not check, reports it as unmapped). A SYSCALL
//     is reported after it executed, with RCX/R11 set as the CPU sets them
//     (unicorn's SYSCALL hook leaves them alone).
//   - Registers are cached in native slots: the first read after a run
//     fetches all of them with one uc_reg_read_batch; writes go into the
//     slots and are written back with one uc_reg_write_batch before unicorn
//     next needs them (a run, a context save). A host call that reads and
//     writes a dozen registers costs two native calls, not two dozen, and
//     getRegN/setRegN allocate nothing.
//   - No error string is built unless a call failed.
//   - A host call costs four native calls: uc_emu_start, uc_emu_stop (from
//     the hook), one batch read and one batch write of the registers
//     (bench/sched.ts counts them per switch, countUnicornCalls below);
//     host reads and writes of guest memory cost none, and a host write
//     into a data page flushes nothing. The batches take native arrays
//     (ids, slot addresses) allocated once, not typed arrays marshalled
//     per call. Rejected: exits at host function entries instead of the
//     code hook (each exit costs every run, see "exits").
//   - Snapshots are uc_context_save (CPU state) plus Memory's page copies.
//
// Unicorn 2.0.1 (QEMU 5) behaviours this binding works around, each found
// by the differential test or the fuzzer and pinned by a test:
//   - host writes do not invalidate code already translated from those
//     bytes: a host write into an executable page drops the translation
//     cache for that page;
//   - after an exception reported through the interrupt hook (#DE) QEMU
//     still remembers it, and the next #DE becomes a double fault (vector
//     8): the pristine context is restored under the live registers;
//   - after a data fault RFLAGS is stale (QEMU exits without restoring its
//     lazy flags): an observed run (lockstep) puts back the flags it saw
//     before the instruction; a free run reports them as QEMU left them;
//   - stepping (count = 1) retranslates the rest of the basic block at each
//     step, tens of microseconds on fresh code: lockstep drives unicorn with
//     runObserved (one run, a hook per instruction) instead;
//   - instruction-level departures from the SDM go to the interpreter as
//     exits (needsInterp below lists them).
import koffi from "koffi";
import {
  type AccessKind, type Engine, type EngineSnapshot, type Fault, type RegId, type Stop,
  REG_FS_BASE, REG_GS_BASE, REG_R11, REG_RCX, REG_RFLAGS, REG_RIP,
} from "./engine.ts";
import { Memory, PAGE_SIZE, PROT_EXEC, PROT_WRITE, type MemSnapshot, type Page } from "../mem/memory.ts";
import type { HostMem } from "../mem/hostmem.ts";
import { badRegN, MAX_REGN } from "./interp.ts";
import { Cpu, RFLAGS_SETTABLE, STOP_BREAKPOINT, STOP_NONE, STOP_SYSCALL } from "../cpu/cpu.ts";
import { classifiedLength, classifyAt, decode, memSource, C_INCOMPLETE, C_SPECIAL, K_XMM, MAX_LEN, P_LOCK, P_MEM, P_OPSIZE, P_REXR_EXT, P_STALE_REX, type Insn } from "../cpu/decode.ts";
import { faultOf } from "../cpu/exec.ts";
import { isCanonicalU, unsignedAddr } from "../cpu/fault.ts";
import { NEEDS_INTERP } from "../cpu/handlers.ts";
import type { Form } from "../x86/table.ts";

// --- unicorn constants -------------------------------------------------------

const UC_ARCH_X86 = 4;
const UC_MODE_64 = 8;

const UC_ERR_INSN_INVALID = 10;

const UC_HOOK_INTR = 1 << 0;
const UC_HOOK_INSN = 1 << 1;
const UC_HOOK_CODE = 1 << 2;
const UC_HOOK_MEM_UNMAPPED = (1 << 4) | (1 << 5) | (1 << 6);
const UC_HOOK_MEM_PROT = (1 << 7) | (1 << 8) | (1 << 9);
const UC_HOOK_MEM_WRITE = 1 << 11;

// uc_mem_type values passed to memory hooks (READ_UNMAPPED 19 and READ_PROT 23 mean "read").
const UC_MEM_WRITE_UNMAPPED = 20, UC_MEM_FETCH_UNMAPPED = 21;
const UC_MEM_WRITE_PROT = 22, UC_MEM_FETCH_PROT = 24;

const UC_X86_INS_SYSCALL = 699;

// uc_ctl(UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), begin, end): type | nargs << 26 | write << 30.
const UC_CTL_TB_REMOVE_CACHE_W = 9 | (2 << 26) | (1 << 30);
// UC_CTL_UC_USE_EXITS (1 arg) and UC_CTL_UC_EXITS (2 args: uint64_t *exits, size_t n), written.
const UC_CTL_USE_EXITS_W = 4 | (1 << 26) | (1 << 30);
const UC_CTL_EXITS_W = 6 | (2 << 26) | (1 << 30);

// Register ids (enum uc_x86_reg, unicorn 2.0).
const UC_AL = 2, UC_EAX = 19;
const UC_RAX = 35, UC_RBP = 36, UC_RBX = 37, UC_RCX = 38, UC_RDI = 39, UC_RDX = 40;
const UC_RIP = 41, UC_RSI = 43, UC_RSP = 44;
const UC_R8 = 106;
const UC_R8B = 218;
const UC_XMM0 = 122;
const UC_FS_BASE = 250, UC_GS_BASE = 251, UC_RFLAGS = 253;
const UC_CS = 11, UC_GDTR = 243;

/** Our register numbering (hardware order, then RIP RFLAGS FS_BASE GS_BASE) → unicorn ids. */
const UC_REG: readonly number[] = [
  UC_RAX, UC_RCX, UC_RDX, UC_RBX, UC_RSP, UC_RBP, UC_RSI, UC_RDI,
  UC_R8, UC_R8 + 1, UC_R8 + 2, UC_R8 + 3, UC_R8 + 4, UC_R8 + 5, UC_R8 + 6, UC_R8 + 7,
  UC_RIP, UC_RFLAGS, UC_FS_BASE, UC_GS_BASE,
];
const NREGS = UC_REG.length;

/** An address no instruction can start at (non-canonical): "run until stopped". */
const NEVER = 0x8000_0000_0000_0000n;

// --- the binding -------------------------------------------------------------

/** An opaque native pointer as koffi hands it to us. */
type Ptr = object;

interface UcLib {
  open(arch: number, mode: number, out: [Ptr | null]): number;
  close(uc: Ptr): number;
  strerror(err: number): string;
  memMap(uc: Ptr, addr: number, size: number, perms: number): number;
  memMapPtr(uc: Ptr, addr: number, size: number, perms: number, ptr: Ptr): number;
  memUnmap(uc: Ptr, addr: number, size: number): number;
  memProtect(uc: Ptr, addr: number, size: number, perms: number): number;
  memRead(uc: Ptr, addr: number, buf: Uint8Array, size: number): number;
  memWrite(uc: Ptr, addr: number, buf: Uint8Array, size: number): number;
  memRegions(uc: Ptr, out: [Ptr | null], count: [number]): number;
  free(p: Ptr): number;
  regRead(uc: Ptr, id: number, buf: Uint8Array): number;
  regWrite(uc: Ptr, id: number, buf: Uint8Array): number;
  regReadBatch(uc: Ptr, ids: Ptr, vals: Ptr, count: number): number;
  regWriteBatch(uc: Ptr, ids: Ptr, vals: Ptr, count: number): number;
  emuStart(uc: Ptr, begin: bigint | number, until: bigint | number, timeout: number, count: number): number;
  emuStop(uc: Ptr): number;
  hookAdd(uc: Ptr, out: [bigint], type: number, cb: Ptr, user: null, begin: bigint, end: bigint, ...extra: (string | number)[]): number;
  hookDel(uc: Ptr, hh: bigint): number;
  contextAlloc(uc: Ptr, out: [Ptr | null]): number;
  contextSave(uc: Ptr, ctx: Ptr): number;
  contextRestore(uc: Ptr, ctx: Ptr): number;
  contextFree(ctx: Ptr): number;
  ctl(uc: Ptr, control: number, ...args: (string | bigint | number | BigUint64Array)[]): number;
  /** libc's anonymous mmap/munmap: native memory that never moves. */
  mmap(addr: null, length: number, prot: number, flags: number, fd: number, offset: number): Ptr | null;
  munmap(addr: Ptr, length: number): number;
  protos: { code: koffi.IKoffiCType; intr: koffi.IKoffiCType; syscall: koffi.IKoffiCType; mem: koffi.IKoffiCType };
  regionType: koffi.IKoffiCType;
  /** Byte offset of uc_struct.emu_counter, or -1 when the probe failed. */
  counterOffset: number;
}

let libCache: UcLib | Error | undefined;

export const UNICORN_MISSING =
  "unicorn engine: libunicorn.so.2 not found (install it with: apt-get install libunicorn2)";

function bind(): UcLib {
  let lib: koffi.IKoffiLib;
  try {
    // GMPEMU_LIBUNICORN names another build (or, in tests, a missing one).
    lib = koffi.load(process.env.GMPEMU_LIBUNICORN || "libunicorn.so.2");
  } catch {
    throw new Error(UNICORN_MISSING);
  }
  const libc = koffi.load("libc.so.6");
  // koffi's functions are untyped; each is given its exact TS signature here, once.
  const f = <T>(decl: string): T => lib.func(decl) as unknown as T;
  const u: UcLib = {
    open: f("int uc_open(int arch, int mode, _Out_ void **uc)"),
    close: f("int uc_close(void *uc)"),
    strerror: f("const char *uc_strerror(int err)"),
    memMap: f("int uc_mem_map(void *uc, uint64_t address, size_t size, uint32_t perms)"),
    memMapPtr: f("int uc_mem_map_ptr(void *uc, uint64_t address, size_t size, uint32_t perms, void *ptr)"),
    memUnmap: f("int uc_mem_unmap(void *uc, uint64_t address, size_t size)"),
    memProtect: f("int uc_mem_protect(void *uc, uint64_t address, size_t size, uint32_t perms)"),
    memRead: f("int uc_mem_read(void *uc, uint64_t address, _Out_ uint8_t *bytes, size_t size)"),
    memWrite: f("int uc_mem_write(void *uc, uint64_t address, const uint8_t *bytes, size_t size)"),
    memRegions: f("int uc_mem_regions(void *uc, _Out_ void **regions, _Out_ uint32_t *count)"),
    free: f("int uc_free(void *mem)"),
    regRead: f("int uc_reg_read(void *uc, int regid, _Out_ uint8_t *value)"),
    regWrite: f("int uc_reg_write(void *uc, int regid, const uint8_t *value)"),
    // regs and vals are native arrays of ours (vals: void **, the addresses of
    // our value slots), passed as pointers: no typed array to marshal per call.
    regReadBatch: f("int uc_reg_read_batch(void *uc, void *regs, void *vals, int count)"),
    regWriteBatch: f("int uc_reg_write_batch(void *uc, void *regs, void *vals, int count)"),
    emuStart: f("int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)"),
    emuStop: f("int uc_emu_stop(void *uc)"),
    hookAdd: f("int uc_hook_add(void *uc, _Out_ uint64_t *hh, int type, void *callback, void *user_data, uint64_t begin, uint64_t end, ...)"),
    hookDel: f("int uc_hook_del(void *uc, uint64_t hh)"),
    contextAlloc: f("int uc_context_alloc(void *uc, _Out_ void **context)"),
    contextSave: f("int uc_context_save(void *uc, void *context)"),
    contextRestore: f("int uc_context_restore(void *uc, void *context)"),
    contextFree: f("int uc_context_free(void *context)"),
    ctl: f("int uc_ctl(void *uc, int control, ...)"),
    mmap: libc.func("void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)") as unknown as UcLib["mmap"],
    munmap: libc.func("int munmap(void *addr, size_t length)") as unknown as UcLib["munmap"],
    protos: {
      code: koffi.proto("void gmpemu_uc_code_cb(void *uc, uint64_t address, uint32_t size, void *user)"),
      intr: koffi.proto("void gmpemu_uc_intr_cb(void *uc, uint32_t intno, void *user)"),
      syscall: koffi.proto("void gmpemu_uc_syscall_cb(void *uc, void *user)"),
      mem: koffi.proto("bool gmpemu_uc_mem_cb(void *uc, int type, uint64_t address, int size, int64_t value, void *user)"),
    },
    regionType: koffi.struct("gmpemu_uc_mem_region", { begin: "uint64_t", end: "uint64_t", perms: "uint32_t" }),
    counterOffset: -1,
  };
  u.counterOffset = probe(u);
  return u;
}

function check(u: UcLib, err: number, what: string): void {
  if (err !== 0) throw new Error(`unicorn engine: ${what}: ${u.strerror(err)}`);
}

/**
 * Checks the register ids on a scratch engine and finds emu_counter's offset
 * (see the essay). Returns -1 when the counter cannot be found.
 */
function probe(u: UcLib): number {
  const out: [Ptr | null] = [null];
  check(u, u.open(UC_ARCH_X86, UC_MODE_64, out), "uc_open");
  const uc = out[0]!;
  try {
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, 0x1122_3344_5566_7788n, true);
    check(u, u.regWrite(uc, UC_RAX, b), "probe");
    b.fill(0);
    u.regRead(uc, UC_EAX, b);
    const eax = dv.getUint32(0, true);
    b.fill(0);
    u.regRead(uc, UC_AL, b);
    const al = b[0];
    b.fill(0);
    dv.setBigUint64(0, 0x99n, true);
    u.regWrite(uc, UC_R8, b);
    b.fill(0);
    u.regRead(uc, UC_R8B, b);
    if (eax !== 0x5566_7788 || al !== 0x88 || b[0] !== 0x99) {
      throw new Error("unicorn engine: this libunicorn's x86 register numbering is not unicorn 2's");
    }
    const base = 0x10000, size = 0x4000;
    check(u, u.memMap(uc, base, size, 7), "probe map");
    const nops = new Uint8Array(size).fill(0x90);
    u.memWrite(uc, base, nops, size);
    const span = 4096;
    const find = (k: number): number[] => {
      check(u, u.emuStart(uc, BigInt(base), NEVER, 0, k), "probe run");
      const mem = new Uint8Array(koffi.decode(uc, "uint8_t", span) as number[]);
      const v = new DataView(mem.buffer);
      const hits: number[] = [];
      for (let o = 0; o + 16 <= span; o += 8) {
        if (v.getBigUint64(o, true) === BigInt(k + 1) && v.getBigUint64(o + 8, true) === BigInt(k)) hits.push(o);
      }
      return hits;
    };
    const a = find(1237), c = find(411);
    const both = a.filter((o) => c.includes(o));
    return both.length === 1 ? both[0]! : -1;
  } finally {
    u.close(uc);
  }
}

function lib(): UcLib {
  if (libCache === undefined) {
    try {
      libCache = bind();
    } catch (e) {
      libCache = e instanceof Error ? e : new Error(String(e));
    }
  }
  if (libCache instanceof Error) throw libCache;
  return libCache;
}

/** Native calls made by unicorn engines created while counting was on (countUnicornCalls). */
export const unicornCalls = { ffi: 0, emuStart: 0 };
let countingLib: UcLib | undefined;
let counting = false;

/**
 * Counts the native calls (every uc_* and libc function through koffi, in
 * unicornCalls) of the engines created from now on, for the benchmark's
 * calls per switch; engines created with it off pay nothing for it.
 */
export function countUnicornCalls(on: boolean): void {
  counting = on;
}

/** The library with each function wrapped to count its calls. */
function countedLib(u: UcLib): UcLib {
  if (countingLib) return countingLib;
  const c: Record<string, unknown> = { ...u };
  for (const [k, v] of Object.entries(u)) {
    if (typeof v !== "function") continue;
    const fn = v as (...a: unknown[]) => unknown;
    c[k] = k === "emuStart"
      ? (...a: unknown[]): unknown => { unicornCalls.ffi++; unicornCalls.emuStart++; return fn(...a); }
      : (...a: unknown[]): unknown => { unicornCalls.ffi++; return fn(...a); };
  }
  countingLib = c as unknown as UcLib;
  return countingLib;
}

/** Whether libunicorn can be loaded (for tests and `createEngine`). */
export function unicornAvailable(): boolean {
  try {
    lib();
    return true;
  } catch {
    return false;
  }
}

/** Whether run() counts through unicorn's own counter (false: step fallback). */
export function unicornFastCount(): boolean {
  return lib().counterOffset >= 0;
}

// --- the engine ----------------------------------------------------------------

/**
 * Instructions unicorn must not run itself (see "exits"): the virtual
 * machine's own (NEEDS_INTERP), and QEMU 5's departures from the SDM, each
 * found by random code (test/hostile/engine-fuzz.test.ts, the differential
 * test) and each sent to the interpreter instead:
 *   - a near branch with an operand-size prefix, which QEMU truncates to 16
 *     bits as AMD processors do, where Intel processors ignore the prefix;
 *   - a REX prefix followed by a legacy prefix, which QEMU still applies,
 *     where the SDM says it is ignored;
 *   - LOCK NEG, whose flags QEMU computes wrongly;
 *   - a successful 32-bit CMPXCHG, after which QEMU zero-extends RAX (the
 *     SDM writes EAX only on failure);
 *   - a shift or rotate of memory by CL, whose CF QEMU takes from stale
 *     state;
 *   - REX.R on a ModRM whose reg field is an opcode extension, which QEMU
 *     adds to the extension (C6 /0 with REX.R becomes #UD) where the SDM
 *     ignores it;
 *   - CMPSD/CMPSS with a predicate above 7, which QEMU makes #UD where the
 *     SDM uses bits 2:0 of the immediate (Go writes only 0-7; the rule is
 *     on the op, as the immediate is not among the facts classifyAt gives).
 */
function needsInterp(form: Form, pflags: number): boolean {
  const op = form.op;
  if (NEEDS_INTERP.has(op)) return true;
  if (pflags & P_STALE_REX) return true;
  if ((pflags & P_OPSIZE) && (op === "jcc" || op === "jmp" || op === "call" || op === "ret")) return true;
  if (op === "neg" && (pflags & P_LOCK)) return true;
  if (op === "cmpxchg" && form.size === 4) return true;
  if ((pflags & P_MEM) && form.args[0] === "cl") return true;
  if (pflags & P_REXR_EXT) return true;
  if (op === "cmpsd") return true;
  return false;
}

/** What a hook saw during the last uc_emu_start. */
type Event =
  | { kind: "hostcall"; addr: number }
  | { kind: "break"; addr: number }
  | { kind: "observer" }
  | { kind: "syscall" }
  | { kind: "intr"; intno: number }
  | { kind: "mem"; type: number; addr: bigint };

interface UnicornSnapshot extends EngineSnapshot {
  readonly engine: "unicorn";
  readonly ctx: Ptr;
  readonly mem: MemSnapshot;
  readonly icount: number;
}

const contextReaper = new FinalizationRegistry<{ free: (p: Ptr) => number; ctx: Ptr }>((h) => {
  h.free(h.ctx);
});

/** Native memory mapped into unicorn; munmapped when its last page is unmapped. */
class NativeBlock {
  live: number;
  constructor(readonly ptr: Ptr, readonly size: number) {
    this.live = size / PAGE_SIZE;
  }
}

// mmap: PROT_READ|PROT_WRITE; MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE (a
// 64 MiB arena costs address space, not memory, until it is touched).
const MMAP_PROT = 3, MMAP_FLAGS = 0x02 | 0x20 | 0x4000;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
const UC_CTL_TB_FLUSH_W = 10 | (0 << 26) | (1 << 30);
const TWO32 = 4294967296;
const NO_RANGES: readonly [number, number][] = [];

/** d within [0, n]: instructions a run retired, from unicorn's counter. */
function clampTo(n: number, d: number): number {
  return d < 0 ? 0 : d > n ? n : d;
}

export class UnicornEngine implements Engine {
  readonly name = "unicorn" as const;
  /** Guest memory: the pages unicorn executes from (see the essay). */
  readonly mem = new Memory();
  readonly hmem: HostMem = this.mem.host;
  private readonly u: UcLib;
  private uc: Ptr | null;
  private _icount = 0;
  private event: Event | null = null;
  private hostHook: bigint | null = null;
  private hostRange: [number, number] | null = null;
  /** Breakpoint hooks (one code hook per address), and whether they stop a run (not a step). */
  private bpHooks: bigint[] = [];
  private bpCb: koffi.IKoffiRegisteredCallback | null = null;
  private bpLive = true;
  private readonly callbacks: koffi.IKoffiRegisteredCallback[] = [];
  private readonly blocks = new Set<NativeBlock>();

  // Register cache (see the essay): native slots, valid while regsValid,
  // holding writes not yet given to unicorn while regsDirty.
  private readonly regSlots: Ptr;
  /** Native int32_t[NREGS]: the unicorn ids of the batch. */
  private readonly regIds: Ptr;
  /** Native uint64_t[NREGS]: the address of each slot (the batch's void **vals). */
  private readonly regSlotAddrs: Ptr;
  private readonly regBig: BigUint64Array;
  private readonly regU32: Uint32Array;
  private regsValid = false;
  private regsDirty = false;
  /** uc_struct's instruction counter (low, high), or null without the probe. */
  private readonly counterU32: Uint32Array | null;

  // Exits (see the essay): pages unicorn may execute, and where it must stop.
  private readonly granted = new Set<number>();
  private readonly exitsByPage = new Map<number, number[]>();
  private readonly exitSet = new Set<number>();
  private readonly scanBuf = new Uint8Array(PAGE_SIZE + MAX_LEN);
  /** The interpreter's CPU over our memory, for the instructions unicorn must not run itself. */
  private readonly cpu = new Cpu(this.mem);
  private readonly src = memSource(this.mem);
  /** runObserved's per-instruction callback while it runs. */
  private observer: ((addr: number) => boolean) | null = null;
  private observerFirst = false;
  /** RFLAGS as the observer saw it before the instruction at flagsAt (see emulateOnce). */
  private flagsAt = -1;
  private flagsBefore = 0;

  constructor() {
    this.u = counting ? countedLib(lib()) : lib();
    const out: [Ptr | null] = [null];
    check(this.u, this.u.open(UC_ARCH_X86, UC_MODE_64, out), "uc_open");
    this.uc = out[0]!;
    this.regSlots = koffi.alloc("uint64_t", NREGS) as Ptr;
    const base = koffi.address(this.regSlots);
    this.regSlotAddrs = koffi.alloc("uint64_t", NREGS) as Ptr;
    const addrs = new BigUint64Array(koffi.view(this.regSlotAddrs, 8 * NREGS));
    for (let i = 0; i < NREGS; i++) addrs[i] = base + BigInt(8 * i);
    this.regIds = koffi.alloc("int32_t", NREGS) as Ptr;
    new Int32Array(koffi.view(this.regIds, 4 * NREGS)).set(UC_REG);
    const slots = koffi.view(this.regSlots, 8 * NREGS);
    this.regBig = new BigUint64Array(slots);
    this.regU32 = new Uint32Array(slots);
    const off = this.u.counterOffset;
    this.counterU32 = off >= 0 ? new Uint32Array(koffi.view(this.uc, off + 8), off, 2) : null;
    this.mem.onCodeWrite = (pn) => this.codeWritten(pn);
    this.mem.onProtChange = (pn) => {
      const p = this.mem.pageAt(pn * PAGE_SIZE);
      if (p) p.code = (p.prot & PROT_EXEC) !== 0;
    };
    this.enterUserMode();
    check(this.u, this.u.ctl(this.h, UC_CTL_USE_EXITS_W, "int", 1), "use exits");
    this.pushExits();
    this.installHooks();
    const ctx: [Ptr | null] = [null];
    check(this.u, this.u.contextAlloc(this.h, ctx), "context alloc");
    this.pristine = ctx[0]!;
    check(this.u, this.u.contextSave(this.h, this.pristine), "context save");
  }
  /** The CPU context right after uc_open (see forgetException). */
  private readonly pristine: Ptr;

  private get h(): Ptr {
    if (!this.uc) throw new Error("unicorn engine: used after close()");
    return this.uc;
  }

  /** Throws the error of a failed unicorn call; only ever called on failure. */
  private fail(err: number, what: string, addr?: number, size?: number): never {
    const where = addr === undefined ? "" : ` 0x${addr.toString(16)}${size === undefined ? "" : `+0x${size.toString(16)}`}`;
    throw new Error(`unicorn engine: ${what}${where}: ${this.u.strerror(err)}`);
  }

  private installHooks(): void {
    const u = this.u, uc = this.h;
    const reg = (fn: (...a: never[]) => unknown, proto: koffi.IKoffiCType): koffi.IKoffiRegisteredCallback => {
      const cb = koffi.register(fn, koffi.pointer(proto));
      this.callbacks.push(cb);
      return cb;
    };
    const intr = reg((_uc: Ptr, intno: number) => {
      this.event = { kind: "intr", intno };
      u.emuStop(this.h);
    }, u.protos.intr);
    const sys = reg(() => {
      this.event = { kind: "syscall" };
      u.emuStop(this.h);
    }, u.protos.syscall);
    const mem = reg((_uc: Ptr, type: number, addr: bigint | number) => {
      this.event = { kind: "mem", type, addr: BigInt(addr) };
      return false;
    }, u.protos.mem);
    const hh: [bigint] = [0n];
    check(u, u.hookAdd(uc, hh, UC_HOOK_INTR, intr as Ptr, null, 1n, 0n), "hook interrupts");
    check(u, u.hookAdd(uc, hh, UC_HOOK_INSN, sys as Ptr, null, 1n, 0n, "int", UC_X86_INS_SYSCALL), "hook SYSCALL");
    check(u, u.hookAdd(uc, hh, UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT, mem as Ptr, null, 1n, 0n), "hook memory faults");
  }

  /**
   * Drops unicorn from CPL 0, where it starts, to CPL 3, where Linux runs a
   * process: an IRETQ to a 64-bit user code segment (0x33) and stack
   * segment (0x2b), through a throwaway GDT on a throwaway page. QEMU then
   * raises #GP for what user mode may not do (CLI, HLT, LGDT, MOV to CR3,
   * WRMSR...) and POPF leaves IF and IOPL alone, as on Linux. Afterwards
   * GDTR is empty (no segment can be loaded), the registers are zero and
   * RFLAGS is 0x202, the interpreter's initial state.
   */
  private enterUserMode(): void {
    const u = this.u, uc = this.h;
    const page = 0x1000;
    check(u, u.memMap(uc, page, PAGE_SIZE, 7), "map the user-mode trampoline");
    const b = new Uint8Array(PAGE_SIZE);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0x800 + 5 * 8, 0x00cf_f300_0000_ffffn, true); // 0x28: data, DPL 3
    dv.setBigUint64(0x800 + 6 * 8, 0x00af_fb00_0000_ffffn, true); // 0x30: 64-bit code, DPL 3
    // The IRETQ frame: RIP, CS, RFLAGS, RSP, SS.
    const frame = 0xf00;
    // (RIP: right after the IRETQ, so that the one-instruction run ends on a mapped page.)
    [BigInt(page + 2), 0x33n, 0x202n, 0n, 0x2bn].forEach((v, k) => dv.setBigUint64(frame + 8 * k, v, true));
    b[0] = 0x48; b[1] = 0xcf; // IRETQ
    check(u, u.memWrite(uc, page, b, PAGE_SIZE), "write the user-mode trampoline");
    const mmr = (base: number, limit: number): Uint8Array => {
      const m = new Uint8Array(24);
      const v = new DataView(m.buffer);
      v.setBigUint64(8, BigInt(base), true);
      v.setUint32(16, limit, true);
      return m;
    };
    check(u, u.regWrite(uc, UC_GDTR, mmr(page + 0x800, 0x3f)), "write GDTR");
    const rsp = new Uint8Array(8);
    new DataView(rsp.buffer).setBigUint64(0, BigInt(page + frame), true);
    check(u, u.regWrite(uc, UC_RSP, rsp), "write RSP");
    check(u, u.emuStart(uc, page, NEVER, 0, 1), "IRETQ to user mode");
    const cs = new Uint8Array(8);
    u.regRead(uc, UC_CS, cs);
    if ((cs[0]! & 3) !== 3) throw new Error("unicorn engine: could not enter user mode (CPL 3)");
    check(u, u.memUnmap(uc, page, PAGE_SIZE), "unmap the user-mode trampoline");
    check(u, u.regWrite(uc, UC_GDTR, mmr(0, 0)), "write GDTR");
    this.regsValid = true;
    this.regBig.fill(0n);
    this.regBig[REG_RFLAGS] = 0x202n;
    this.regsDirty = true;
    this.flushRegs();
    this.regsValid = false;
  }

  // --- exits: where QEMU must not execute by itself ---
  //
  // Some instructions mean what this virtual machine says, not what QEMU's
  // CPU does: CPUID and RDTSC (virtualised), the privileged, I/O and UMIP
  // instructions (Linux's answers), POPF (TF stays clear), and every byte
  // sequence the interpreter does not implement (#UD) or that is longer than
  // 15 bytes (#GP). The interpreter's decoder classifies every offset of an
  // executable page (classifyAt) the first time unicorn fetches from it:
  // pages are mapped into unicorn without execute permission until then, and
  // the fetch fault grants it. Offsets where such an instruction would start
  // become unicorn "exits" (uc_ctl UC_CTL_UC_EXITS): QEMU checks them when
  // it translates, so they cost nothing at run time, and stops before the
  // instruction. There the interpreter's handler runs it on a CPU loaded
  // from unicorn's registers, over the same memory, and the run goes on.
  // Other offsets cannot start such an instruction, whatever the program
  // jumps to, so nothing else ever stops. The two engines therefore agree
  // on these instructions by construction (lockstep compares them like any
  // other, but there it checks the interpreter against itself).
  //
  // Declared code (declareCode, from a loader: each function's text). After
  // every run, unicorn drops the translations that contain an exit address
  // (so that the exit's own translation does not outlive it), and a false
  // exit — an offset inside a real instruction where some other instruction
  // would start — sits inside the translations of ordinary code: they would
  // be translated again after every run. So on a page that holds declared
  // code, only the instructions on each declared function's path are
  // classified, and nothing else on the page is; a page with none (code
  // written by a test, a fuzzer, a debugger's patch) gets every offset
  // classified. A program that jumps into the middle of one of its own
  // declared instructions may then run differently on the two engines.
  // The walk along a declared range stops at bytes that do not decode (an
  // instruction the interpreter lacks: its length cannot be trusted), so a
  // loader that knows more instruction starts than the entry declares a
  // function in pieces, each walked from its own start (a Go binary, cut at
  // its pclntab's pc-value boundaries: src/golang/load.ts). Declared ranges
  // are indexed by page, and forgotten when unmapped.
  //
  // Exits cost every run, not only the runs that reach them: at the end of
  // each uc_emu_start unicorn invalidates the translations at every exit
  // address (about 0.3 µs each, measured), so a run costs ~5 µs plus that.
  // Hence the care for false exits above: a Go binary's text undeclared
  // had ~8,400 of them on the pages it ran, declared ~90.
  //
  // Invalidation: a host write into an executable page (or a protection
  // change) recomputes the exits of that page and of the one before it
  // (whose last instructions may reach into it). The guest's own writes
  // into code: a page that is writable and executable is read-only to
  // unicorn while it may execute it, so such a store faults, and the
  // interpreter runs it (the store into Memory then counts as a host write
  // into code, above). This also spares QEMU's self-modifying-code path,
  // which under an instruction budget can lose the store.
  //
  // Data faults are decided by the interpreter too: at a fault QEMU stopped
  // before the instruction, which the interpreter then runs on the same
  // state, so the fault reported is the one it finds (the first
  // inaccessible byte of an access that straddles two pages, where QEMU
  // names its last byte).

  /** Computes a page's exits and lets unicorn execute it (and no longer write it: see above). */
  private grant(pn: number): void {
    const p = this.mem.pageAt(pn * PAGE_SIZE)!;
    this.computeExits(pn);
    this.granted.add(pn);
    const err = this.u.memProtect(this.h, pn * PAGE_SIZE, PAGE_SIZE, p.prot & ~PROT_WRITE);
    if (err !== 0) this.fail(err, "protect", pn * PAGE_SIZE, PAGE_SIZE);
    this.pushExits();
  }

  /** Takes execute permission back from a page (it will be granted again, with fresh exits, when fetched). */
  private revoke(pn: number): void {
    if (!this.granted.delete(pn)) return;
    this.dropExits(pn);
    const a = pn * PAGE_SIZE;
    const p = this.mem.pageAt(a);
    if (p) {
      const err = this.u.memProtect(this.h, a, PAGE_SIZE, p.prot & ~PROT_EXEC);
      if (err !== 0) this.fail(err, "protect", a, PAGE_SIZE);
    }
    this.u.ctl(this.h, UC_CTL_TB_REMOVE_CACHE_W, "uint64_t", a, "uint64_t", a + PAGE_SIZE);
  }

  private dropExits(pn: number): void {
    const old = this.exitsByPage.get(pn);
    if (!old) return;
    for (const x of old) this.exitSet.delete(x);
    this.exitsByPage.delete(pn);
  }

  private computeExits(pn: number): void {
    this.dropExits(pn);
    const a = pn * PAGE_SIZE;
    const list: number[] = [];
    const declared = this.declaredOn(pn);
    if (declared.length > 0) {
      // Along each declared function's instructions only (see "declared code").
      for (const [s, e] of declared) {
        for (let x = s; x < e && x < a + PAGE_SIZE;) {
          const cls = this.classifyHere(x);
          if (cls < 0 || cls === C_INCOMPLETE) break; // runs off executable memory
          if (x >= a && cls === C_SPECIAL) list.push(x);
          const len = classifiedLength();
          // Past an instruction that does not decode, its length means nothing.
          if (cls === C_SPECIAL && !this.decodes(x)) break;
          x += Math.max(1, len);
        }
      }
    } else {
      const buf = this.scanBuf;
      buf.set(this.mem.pageAt(a)!.u8, 0);
      let avail = PAGE_SIZE;
      const next = this.mem.pageAt(a + PAGE_SIZE);
      if (next && (next.prot & PROT_EXEC)) { buf.set(next.u8.subarray(0, MAX_LEN), PAGE_SIZE); avail += MAX_LEN; }
      for (let o = 0; o < PAGE_SIZE; o++) {
        if (classifyAt(buf, o, Math.min(MAX_LEN, avail - o), needsInterp) === C_SPECIAL) list.push(a + o);
      }
    }
    for (const x of list) this.exitSet.add(x);
    this.exitsByPage.set(pn, list);
  }

  /** Classifies the instruction at x (reading across pages), or -1 when its first byte is not executable memory. */
  private classifyHere(x: number): number {
    const buf = this.scanBuf;
    let n = 0;
    for (; n < MAX_LEN; n++) {
      const p = this.mem.pageAt(x + n);
      if (!p || !(p.prot & PROT_EXEC)) break;
      buf[n] = p.u8[(x + n) & (PAGE_SIZE - 1)]!;
    }
    if (n === 0) return -1;
    return classifyAt(buf, 0, n, needsInterp);
  }

  /** Whether the instruction at x decodes (special ones do; bytes that raise #UD or #GP do not). */
  private decodes(x: number): boolean {
    try {
      return decode(this.src, x).op !== "bad";
    } catch {
      return false;
    }
  }

  /** Declared code (see "declared code") that starts on page pn or runs into it. */
  private declaredOn(pn: number): readonly [number, number][] {
    return this.declared.get(pn) ?? NO_RANGES;
  }

  /** Declared ranges by each page they touch (a Go binary declares tens of thousands). */
  private readonly declared = new Map<number, [number, number][]>();

  declareCode(start: number, end: number): void {
    if (!(end > start)) return;
    const r: [number, number] = [start, end];
    for (let pn = Math.floor(start / PAGE_SIZE); pn * PAGE_SIZE < end; pn++) {
      const l = this.declared.get(pn);
      if (l) l.push(r);
      else this.declared.set(pn, [r]);
    }
    this.revokeAround(start, end - start);
  }

  /** Forgets the declared code that overlaps [addr, addr+size) (on every page it touches). */
  private undeclare(addr: number, size: number): void {
    const gone = new Set<[number, number]>();
    for (let pn = Math.floor(addr / PAGE_SIZE); pn * PAGE_SIZE < addr + size; pn++) {
      for (const r of this.declared.get(pn) ?? NO_RANGES) if (r[0] < addr + size && r[1] > addr) gone.add(r);
    }
    for (const r of gone) {
      for (let pn = Math.floor(r[0] / PAGE_SIZE); pn * PAGE_SIZE < r[1]; pn++) {
        const l = this.declared.get(pn)!.filter((x) => x !== r);
        if (l.length > 0) this.declared.set(pn, l);
        else this.declared.delete(pn);
      }
    }
  }

  /** Gives unicorn the current exits (the whole set; it replaces the old one). */
  private pushExits(): void {
    const n = this.exitSet.size;
    const arr = new BigUint64Array(Math.max(1, n));
    let k = 0;
    for (const x of this.exitSet) arr[k++] = BigInt(x);
    check(this.u, this.u.ctl(this.h, UC_CTL_EXITS_W, "uint64_t *", arr, "size_t", n), "set exits");
  }

  /** Pages whose exits may be stale after [a, a+n) changed: those pages and the one before. */
  private revokeAround(a: number, n: number): void {
    const first = Math.floor(a / PAGE_SIZE) - 1, last = Math.floor((a + n - 1) / PAGE_SIZE);
    let any = false;
    for (let pn = first; pn <= last; pn++) if (this.granted.has(pn)) { this.revoke(pn); any = true; }
    if (any) this.pushExits();
  }

  /**
   * Runs the instruction at RIP (an exit) with the interpreter's handler on
   * unicorn's registers and our memory. Returns its stop — a fault, or a
   * breakpoint or system call, in which case it completed — or null when
   * it simply completed; registers are written back, RIP after it.
   */
  private execHere(): Stop | null {
    if (!this.regsValid) this.loadRegs();
    const c = this.cpu, r = c.r, u32 = this.regU32;
    for (let k = 0; k < 32; k++) r[k] = u32[k]! | 0;
    const rip = Number(BigInt.asIntN(64, this.regBig[REG_RIP]!));
    c.rip = rip;
    c.rflags = u32[2 * REG_RFLAGS]!;
    c.fsBase = this.getRegN(REG_FS_BASE);
    c.gsBase = this.getRegN(REG_GS_BASE);
    c.icount = this._icount;
    c.stop = STOP_NONE;
    let ins: Insn;
    // An exit that reads or writes XMM registers (CMPSD, see needsInterp) runs on unicorn's.
    let xmm = false;
    try {
      ins = decode(this.src, rip);
      xmm = ins.args.some((a) => a.k === K_XMM);
      if (xmm) for (let k = 0; k < 16; k++) c.x.set(new Int32Array(this.getXmm(k).buffer), 4 * k);
      c.rip = ins.next;
      ins.h(c, ins);
    } catch (e) {
      return { kind: "fault", fault: faultOf(e, rip) };
    }
    if (xmm) for (let k = 0; k < 16; k++) this.setXmm(k, new Uint8Array(c.x.buffer, 16 * k, 16));
    let stop: Stop | null = null;
    if (c.stop === STOP_BREAKPOINT) stop = { kind: "breakpoint", addr: c.stopAddr };
    else if (c.stop === STOP_SYSCALL) stop = { kind: "syscall" };
    else if (c.stop !== STOP_NONE) throw new Error(`internal: ${ins.op} stopped the run at an exit`);
    c.stop = STOP_NONE;
    for (let k = 0; k < 32; k++) u32[k] = r[k]!;
    this.regBig[REG_RIP] = c.ripExact();
    u32[2 * REG_RFLAGS] = c.rflags; u32[2 * REG_RFLAGS + 1] = 0;
    this.regsDirty = true;
    return stop;
  }

  // --- memory ---

  /** Maps zero-filled pages; pages already mapped keep their contents and get `prot` (as Memory.map). */
  map(addr: number, size: number, prot: number): void {
    this.mem.checkRange(addr, size, "map");
    const end = addr + size;
    for (let a = addr; a < end;) {
      const mapped = this.mem.isMapped(a);
      let b = a + PAGE_SIZE;
      while (b < end && this.mem.isMapped(b) === mapped) b += PAGE_SIZE;
      if (mapped) {
        this.mem.map(a, b - a, prot);
        const err = this.u.memProtect(this.h, a, b - a, prot & ~PROT_EXEC);
        if (err !== 0) this.fail(err, "protect", a, b - a);
      } else {
        this.mapFresh(a, b - a, prot);
      }
      a = b;
    }
    this.revokeAround(addr, size);
  }

  /** Maps [a, a+n), none of it mapped, as a new native block. */
  private mapFresh(a: number, n: number, prot: number): void {
    const ptr = this.u.mmap(null, n, MMAP_PROT, MMAP_FLAGS, -1, 0);
    if (ptr === null || koffi.address(ptr) === MAP_FAILED) {
      throw new Error(`unicorn engine: cannot allocate 0x${n.toString(16)} bytes of guest memory for 0x${a.toString(16)}`);
    }
    // Execute permission waits for the first fetch (see "exits").
    const err = this.u.memMapPtr(this.h, a, n, prot & ~PROT_EXEC, ptr);
    if (err !== 0) {
      this.u.munmap(ptr, n);
      this.fail(err, "map", a, n);
    }
    const block = new NativeBlock(ptr, n);
    this.blocks.add(block);
    this.mem.mapWith(a, n, prot, new Uint8Array(koffi.view(ptr, n)), block);
    if (prot & PROT_EXEC) for (let x = a; x < a + n; x += PAGE_SIZE) this.mem.pageAt(x)!.code = true;
  }

  unmap(addr: number, size: number): void {
    this.mem.checkRange(addr, size, "unmap");
    this.revokeAround(addr, size);
    this.undeclare(addr, size);
    const end = addr + size;
    const touched = new Set<NativeBlock>();
    for (let a = addr; a < end;) {
      if (!this.mem.isMapped(a)) { a += PAGE_SIZE; continue; }
      let b = a;
      for (; b < end && this.mem.isMapped(b); b += PAGE_SIZE) {
        const blk = this.mem.pageAt(b)!.owner as NativeBlock;
        blk.live--;
        touched.add(blk);
      }
      const err = this.u.memUnmap(this.h, a, b - a);
      if (err !== 0) this.fail(err, "unmap", a, b - a);
      a = b;
    }
    this.mem.unmap(addr, size);
    // Only now that no page views them may the native blocks go.
    for (const blk of touched) if (blk.live === 0) this.freeBlock(blk);
  }

  /** Native memory blocks currently mapped (for tests: unmapping frees them). */
  get nativeBlocks(): number {
    return this.blocks.size;
  }

  private freeBlock(blk: NativeBlock): void {
    this.blocks.delete(blk);
    this.u.munmap(blk.ptr, blk.size);
  }

  protect(addr: number, size: number, prot: number): void {
    this.mem.protect(addr, size, prot); // validates first: every page mapped
    this.revokeAround(addr, size);
    const err = this.u.memProtect(this.h, addr, size, prot & ~PROT_EXEC);
    if (err !== 0) this.fail(err, "protect", addr, size);
  }

  /**
   * A host write went into an executable page: drop what unicorn translated
   * from it, and its exits (and those of the page before), which the next
   * fetch recomputes.
   */
  private codeWritten(pn: number): void {
    const a = pn * PAGE_SIZE;
    this.u.ctl(this.h, UC_CTL_TB_REMOVE_CACHE_W, "uint64_t", a, "uint64_t", a + PAGE_SIZE);
    if (this.granted.has(pn) || this.granted.has(pn - 1)) this.revokeAround(a, PAGE_SIZE);
  }

  read(addr: number, len: number): Uint8Array { return this.hmem.read(addr, len); }
  write(addr: number, bytes: Uint8Array): void { this.hmem.write(addr, bytes); }
  readU64(addr: number): bigint {
    const lo = this.hmem.u32(addr), hi = this.hmem.u32(addr + 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  writeU64(addr: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.hmem.u32(addr + 4);
    this.hmem.setU32(addr, Number(u & 0xffffffffn));
    this.hmem.setU32(addr + 4, Number(u >> 32n));
  }

  // --- registers ---

  private loadRegs(): void {
    const err = this.u.regReadBatch(this.h, this.regIds, this.regSlotAddrs, NREGS);
    if (err !== 0) this.fail(err, "read registers");
    this.regsValid = true;
  }

  /** Gives unicorn the register writes it has not seen (before it runs or saves a context). */
  private flushRegs(): void {
    if (!this.regsDirty) return;
    const err = this.u.regWriteBatch(this.h, this.regIds, this.regSlotAddrs, NREGS);
    if (err !== 0) this.fail(err, "write registers");
    this.regsDirty = false;
  }

  private regId(r: RegId): void {
    if (!(r >= 0 && r < NREGS)) throw new RangeError(`unicorn engine: no register ${r}`);
    if (this.uc === null) throw new Error("unicorn engine: used after close()");
    if (!this.regsValid) this.loadRegs();
  }

  getReg(r: RegId): bigint {
    this.regId(r);
    const v = this.regBig[r]!;
    // RFLAGS: unicorn keeps the upper half zero.
    return r === REG_RFLAGS ? v & 0xffff_ffffn : v;
  }

  setReg(r: RegId, v: bigint): void {
    this.regId(r);
    let u = BigInt.asUintN(64, v);
    // RFLAGS as the CPU keeps it (bit 1 always set, the upper half zero),
    // so that the cache reads back what unicorn will hold.
    if (r === REG_RFLAGS) u = BigInt((Number(u & 0xffff_ffffn) & RFLAGS_SETTABLE) | 2);
    this.regBig[r] = u;
    this.regsDirty = true;
  }

  getRegN(r: RegId): number {
    this.regId(r);
    return this.regU32[2 * r + 1]! * TWO32 + this.regU32[2 * r]!;
  }

  setRegN(r: RegId, v: number): void {
    if (!(v >= 0 && v <= MAX_REGN && Math.floor(v) === v)) badRegN(r, v);
    this.regId(r);
    // Integer steps only (no fractional intermediate), so that even
    // unoptimized code stores small values without boxing a double.
    const lo = v >>> 0;
    const hi = (v - lo) / TWO32;
    // RFLAGS as setReg keeps it: bit 1 set, the upper half zero.
    this.regU32[2 * r] = r === REG_RFLAGS ? ((lo & RFLAGS_SETTABLE) | 2) >>> 0 : lo;
    this.regU32[2 * r + 1] = r === REG_RFLAGS ? 0 : hi;
    this.regsDirty = true;
  }

  getXmm(i: number): Uint8Array {
    const b = new Uint8Array(16);
    const err = this.u.regRead(this.h, UC_XMM0 + i, b);
    if (err !== 0) this.fail(err, `read X${i}`);
    return b;
  }
  setXmm(i: number, v: Uint8Array): void {
    const b = new Uint8Array(16);
    b.set(v.subarray(0, 16));
    const err = this.u.regWrite(this.h, UC_XMM0 + i, b);
    if (err !== 0) this.fail(err, `write X${i}`);
  }

  // --- execution ---

  setHostRange(start: number, end: number): void {
    if (this.hostHook !== null) {
      this.u.hookDel(this.h, this.hostHook);
      this.hostHook = null;
    }
    this.hostRange = end > start ? [start, end] : null;
    if (!this.hostRange) return;
    if (!this.hostCb) {
      const u = this.u;
      this.hostCb = koffi.register((_uc: Ptr, address: bigint | number) => {
        this.event = { kind: "hostcall", addr: Number(address) };
        u.emuStop(this.h);
      }, koffi.pointer(u.protos.code));
      this.callbacks.push(this.hostCb);
    }
    const hh: [bigint] = [0n];
    // Unicorn's hook ranges are inclusive.
    check(this.u, this.u.hookAdd(this.h, hh, UC_HOOK_CODE, this.hostCb as Ptr, null, BigInt(start), BigInt(end - 1)), "hook host range");
    this.hostHook = hh[0];
  }
  private hostCb: koffi.IKoffiRegisteredCallback | null = null;

  setBreakpoints(addrs: readonly number[]): void {
    for (const hh of this.bpHooks) this.u.hookDel(this.h, hh);
    this.bpHooks = [];
    const set = new Set(addrs);
    this.bpSet = set;
    if (set.size === 0) return;
    if (!this.bpCb) {
      const u = this.u;
      this.bpCb = koffi.register((_uc: Ptr, address: bigint | number) => {
        if (!this.bpLive || this.event !== null) return;
        const a = Number(address);
        if (!this.bpSet.has(a)) return;
        this.event = { kind: "break", addr: a };
        u.emuStop(this.h);
      }, koffi.pointer(u.protos.code));
      this.callbacks.push(this.bpCb);
    }
    // One hook per cluster of nearby addresses (the callback picks the
    // breakpoints out): QEMU calls a code hook only for instructions inside
    // its range, so the rest of the code runs without a crossing, and every
    // hook costs each run a little whether it fires or not (60 one-address
    // hooks made a CPU-bound program 2.4 times slower; a few ranges, none).
    const sorted = [...set].sort((x, y) => x - y);
    const GAP = 512;
    for (let i = 0; i < sorted.length;) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1]! - sorted[j]! <= GAP) j++;
      const hh: [bigint] = [0n];
      check(this.u, this.u.hookAdd(this.h, hh, UC_HOOK_CODE, this.bpCb as Ptr, null, BigInt(sorted[i]!), BigInt(sorted[j]!)), "hook breakpoint");
      this.bpHooks.push(hh[0]);
      i = j + 1;
    }
  }
  private bpSet = new Set<number>();

  get icount(): number {
    return this._icount;
  }

  run(maxInsns: number): Stop {
    if (maxInsns <= 0) return { kind: "count" };
    if (this.counterU32 === null) return this.runByStepping(maxInsns);
    return this.emulate(maxInsns);
  }

  step(): Stop {
    this.bpLive = false;
    try {
      return this.emulate(1);
    } finally {
      this.bpLive = true;
    }
  }

  /**
   * Runs like run(), calling `before` ahead of every instruction after the
   * first (so each call sees the state the previous instruction left); when
   * it returns false the run stops there, reported as {kind: "count"}.
   * This is the lockstep driver: stepping unicorn one uc_emu_start at a time
   * retranslates the rest of the basic block at every step (QEMU translates
   * from the start address), which costs tens of microseconds per
   * instruction on fresh code; one run with a per-instruction hook
   * translates each block once. Costs a JS call per instruction.
   */
  runObserved(maxInsns: number, before: (addr: number) => boolean): Stop {
    if (maxInsns <= 0) return { kind: "count" };
    const u = this.u;
    this.observerFirst = true;
    this.observer = before;
    this.flagsAt = -1;
    const cb = koffi.register((_uc: Ptr, address: bigint | number) => {
      this.regsValid = false;
      if (this.event === null && !this.observe(Number(address))) {
        this.event = { kind: "observer" };
        u.emuStop(this.h);
      }
    }, koffi.pointer(u.protos.code));
    const hh: [bigint] = [0n];
    try {
      check(u, u.hookAdd(this.h, hh, UC_HOOK_CODE, cb as Ptr, null, 1n, 0n), "hook code");
      if (this.counterU32 === null) throw new Error("unicorn engine: observed runs need the instruction counter");
      return this.emulate(maxInsns);
    } finally {
      this.observer = null;
      if (hh[0] !== 0n) u.hookDel(this.h, hh[0]);
      koffi.unregister(cb);
    }
  }

  /** runObserved's callback before an instruction: none before the first (its state is the caller's). */
  private observe(addr: number): boolean {
    if (this.observerFirst) {
      this.observerFirst = false;
      return true;
    }
    const go = this.observer!(addr);
    if (this.regsValid) { this.flagsAt = addr; this.flagsBefore = this.regU32[2 * REG_RFLAGS]!; }
    return go;
  }

  /**
   * Runs with no instruction budget and no counting until RIP reaches
   * `until` or something stops it: unicorn at full speed, for benchmarks.
   * icount is NOT advanced (nothing counts); the stop is reported as run()
   * would, with {kind: "halt"} for reaching `until`.
   */
  runUncounted(until: number): Stop {
    const u = this.u;
    this.exitSet.add(until);
    this.pushExits();
    try {
      for (;;) {
        const begin = this.startAddr();
        this.flushRegs();
        this.event = null;
        const err = u.emuStart(this.h, begin, NEVER, 0, 0);
        this.regsValid = false;
        const ev = this.event as Event | null;
        this.event = null;
        if (ev?.kind === "hostcall") return { kind: "hostcall", addr: ev.addr };
        if (ev?.kind === "syscall") return { kind: "syscall" };
        if (ev?.kind === "mem" && this.grantable(ev)) continue;
        if (err !== 0 || ev !== null) return { kind: "fault", fault: { type: "gp", rip: this.getRegN(REG_RIP), why: u.strerror(err) } };
        const rip = this.getRegN(REG_RIP);
        if (rip === until) return { kind: "halt" };
        const st = this.execHere();
        if (st) return st;
      }
    } finally {
      this.exitSet.delete(until);
      this.pushExits();
    }
  }

  private runByStepping(maxInsns: number): Stop {
    for (let i = 0; i < maxInsns; i++) {
      const s = this.emulate(1);
      if (s.kind !== "count") return s;
    }
    return { kind: "count" };
  }

  /** RIP for uc_emu_start: a number when exact, else the bigint. */
  private startAddr(): number | bigint {
    this.regId(REG_RIP);
    const hi = this.regU32[2 * REG_RIP + 1]!;
    return hi < 0x200000 ? hi * TWO32 + this.regU32[2 * REG_RIP]! : this.regBig[REG_RIP]!;
  }

  /** Instructions unicorn counted in the last run (1 without the probe, which steps). */
  private counter(): number {
    const c = this.counterU32;
    return c === null ? 1 : c[1]! * TWO32 + c[0]!;
  }

  /**
   * A fetch fault on an executable page unicorn was not yet given: grants it
   * (computing its exits) and says the run may go on.
   */
  private grantable(ev: { kind: "mem"; type: number; addr: bigint }): boolean {
    if (ev.type !== UC_MEM_FETCH_PROT && ev.type !== UC_MEM_FETCH_UNMAPPED) return false;
    if (ev.addr >= 0x8000_0000_0000n) return false;
    const pn = Math.floor(Number(ev.addr) / PAGE_SIZE);
    const p = this.mem.pageAt(pn * PAGE_SIZE);
    if (!p || !(p.prot & PROT_EXEC) || this.granted.has(pn)) return false;
    this.grant(pn);
    return true;
  }

  /**
   * Runs at most n instructions: uc_emu_start, again after each exit (run
   * by the interpreter's handler) or newly granted page, until something
   * stops the run.
   */
  private emulate(n: number): Stop {
    let left = n;
    for (;;) {
      const r = this.emulateOnce(left);
      this._icount += r.done;
      left -= r.done;
      if (r.stop) return r.stop;
      if (left <= 0) return { kind: "count" };
    }
  }

  /** One uc_emu_start of at most n instructions: the stop, or null to go on, and the instructions retired. */
  private emulateOnce(n: number): { stop: Stop | null; done: number } {
    const u = this.u, uc = this.h;
    const begin = this.startAddr();
    this.flushRegs();
    this.event = null;
    const err = u.emuStart(uc, begin, NEVER, 0, n);
    this.regsValid = false;
    const counter = this.counter();
    const ev = this.event as Event | null;
    this.event = null;
    if (ev?.kind === "hostcall") return { stop: { kind: "hostcall", addr: ev.addr }, done: clampTo(n, counter - 1) };
    if (ev?.kind === "break") return { stop: { kind: "break", addr: ev.addr }, done: clampTo(n, counter - 1) };
    if (ev?.kind === "observer") return { stop: { kind: "count" }, done: clampTo(n, counter - 1) };
    if (ev?.kind === "syscall") {
      // The CPU's SYSCALL leaves the return address in RCX and RFLAGS in R11.
      this.setRegN(REG_RCX, this.getRegN(REG_RIP));
      this.setRegN(REG_R11, this.getRegN(REG_RFLAGS));
      return { stop: { kind: "syscall" }, done: clampTo(n, counter) };
    }
    if (ev?.kind === "mem") {
      const access: AccessKind =
        ev.type === UC_MEM_FETCH_UNMAPPED || ev.type === UC_MEM_FETCH_PROT ? "exec"
          : ev.type === UC_MEM_WRITE_UNMAPPED || ev.type === UC_MEM_WRITE_PROT ? "write" : "read";
      // A failed fetch never reached the counting hook.
      const done = clampTo(n, access === "exec" ? counter : counter - 1);
      if (access === "exec") {
        if (this.grantable(ev)) return { stop: null, done };
        if (!isCanonicalU(ev.addr)) {
          const fault: Fault = { type: "gp", rip: Number(ev.addr), why: `general protection (#GP): RIP 0x${ev.addr.toString(16)} is not canonical` };
          return { stop: { kind: "fault", fault }, done };
        }
        return { stop: { kind: "fault", fault: { type: "page", addr: ev.addr, access, rip: this.getRegN(REG_RIP) } }, done };
      }
      // A data fault: QEMU stopped before the instruction, with RFLAGS
      // stale (it exits without restoring its lazy flags; an observed run,
      // which saw the state before this instruction, puts them back). The
      // interpreter runs the instruction and says what happened (see
      // "exits"): the fault, or a completed store into code.
      const at = this.getRegN(REG_RIP);
      if (this.observer !== null && this.flagsAt === at) this.setRegN(REG_RFLAGS, this.flagsBefore);
      this._icount += done; // the TSC, should the instruction read it
      const st = this.execHere();
      this._icount -= done;
      if (st === null) return { stop: null, done: done + 1 };
      return { stop: st, done: st.kind === "fault" ? done : done + 1 };
    }
    if (ev?.kind === "intr") {
      const r = this.interrupt(ev.intno);
      return { stop: r.stop, done: clampTo(n, r.completed ? counter : counter - 1) };
    }
    if (err === UC_ERR_INSN_INVALID) {
      const at = this.getRegN(REG_RIP);
      return { stop: { kind: "fault", fault: { type: "ud", rip: at, bytes: this.bytesAt(at) } }, done: clampTo(n, counter - 1) };
    }
    if (err !== 0) {
      const at = this.getRegN(REG_RIP);
      return { stop: { kind: "fault", fault: { type: "gp", rip: at, why: u.strerror(err) } }, done: clampTo(n, counter - 1) };
    }
    if (counter > n) return { stop: { kind: "count" }, done: n };
    // Stopped before an instruction at an exit: the interpreter runs it.
    const rip = this.getRegN(REG_RIP);
    const hr = this.hostRange;
    if (hr && rip >= hr[0] && rip < hr[1]) return { stop: { kind: "hostcall", addr: rip }, done: clampTo(n, counter) };
    if (!this.exitSet.has(rip)) throw new Error(`internal: unicorn stopped at 0x${rip.toString(16)} for no reason it reported`);
    if (counter >= n) return { stop: null, done: n };
    this._icount += counter; // the TSC an RDTSC here reads
    if (this.observer !== null && !this.observe(rip)) {
      this._icount -= counter;
      return { stop: { kind: "count" }, done: counter };
    }
    const st = this.execHere();
    this._icount -= counter;
    if (st === null) return { stop: null, done: counter + 1 };
    return { stop: st, done: st.kind === "fault" ? counter : counter + 1 };
  }

  /** Interprets an interrupt the hook saw: INT3, #DE, or a software INT n. */
  private interrupt(intno: number): { stop: Stop; completed: boolean } {
    const rip = this.getRegN(REG_RIP);
    if (intno === 0) {
      // #DE is a fault: unicorn left RIP at the DIV.
      this.forgetException();
      return { stop: { kind: "fault", fault: { type: "de", rip } }, completed: false };
    }
    // Software interrupts leave RIP after the instruction (CC, or CD ib).
    const one = this.tryRead(rip - 1, 1), two = this.tryRead(rip - 2, 2);
    const isCC = one !== null && one[0] === 0xcc;
    const isCD = two !== null && two[0] === 0xcd && two[1] === intno;
    if (intno === 3 && (isCC || isCD)) {
      return { stop: { kind: "breakpoint", addr: rip - (isCC ? 1 : 2) }, completed: true };
    }
    // INT n other than 3 is #GP in user mode (the gate is kernel-only): report it at the INT.
    const at = isCD ? rip - 2 : rip;
    if (!isCD) this.forgetException();
    if (isCD) this.setRegN(REG_RIP, at);
    const fault: Fault = { type: "gp", rip: at, why: isCD ? `INT $0x${intno.toString(16)}` : `exception ${intno}` };
    return { stop: { kind: "fault", fault }, completed: false };
  }

  /**
   * Clears QEMU's memory of the exception just reported. QEMU remembers the
   * last exception until its (never run) delivery completes, so the next
   * #DE would become a double fault. Restoring the pristine context taken at
   * creation resets that; the architectural registers are carried over.
   */
  private forgetException(): void {
    if (!this.regsValid) this.loadRegs();
    const regs = this.regBig.slice();
    const xmm: Uint8Array[] = [];
    for (let i = 0; i < 16; i++) xmm.push(this.getXmm(i));
    check(this.u, this.u.contextRestore(this.h, this.pristine), "context restore");
    this.regBig.set(regs);
    this.regsDirty = true;
    this.flushRegs();
    for (let i = 0; i < 16; i++) this.setXmm(i, xmm[i]!);
  }

  /** `len` bytes at addr when all of them are mapped, else null. */
  private tryRead(addr: number, len: number): Uint8Array | null {
    if (addr < 0 || !this.mem.isMapped(addr) || !this.mem.isMapped(addr + len - 1)) return null;
    return this.hmem.read(addr, len);
  }

  /** Up to 15 instruction bytes at addr (fewer at the end of mapped memory). */
  private bytesAt(addr: number): Uint8Array {
    for (let n = 15; n > 0; n--) {
      const b = this.tryRead(addr, n);
      if (b) return b;
    }
    return new Uint8Array(0);
  }

  // --- write tracing (lockstep) ---

  private writeHook: bigint | null = null;
  private writeCb: koffi.IKoffiRegisteredCallback | null = null;
  private writes: [number, number][] = [];

  /** Records every memory write (address, size) until turned off; costs a JS call per write. */
  traceWrites(on: boolean): void {
    if (on === (this.writeHook !== null)) return;
    if (!on) {
      this.u.hookDel(this.h, this.writeHook!);
      this.writeHook = null;
      return;
    }
    if (!this.writeCb) {
      this.writeCb = koffi.register((_uc: Ptr, _type: number, addr: bigint | number, size: number) => {
        this.writes.push([Number(addr), size]);
        return true;
      }, koffi.pointer(this.u.protos.mem));
      this.callbacks.push(this.writeCb);
    }
    const hh: [bigint] = [0n];
    check(this.u, this.u.hookAdd(this.h, hh, UC_HOOK_MEM_WRITE, this.writeCb as Ptr, null, 1n, 0n), "hook writes");
    this.writeHook = hh[0];
  }

  takeWrites(): [number, number][] {
    const w = this.writes;
    this.writes = [];
    return w;
  }

  // --- snapshots ---

  snapshot(): EngineSnapshot {
    this.flushRegs();
    const out: [Ptr | null] = [null];
    check(this.u, this.u.contextAlloc(this.h, out), "context alloc");
    const ctx = out[0]!;
    contextReaper.register(ctx, { free: this.u.contextFree, ctx });
    check(this.u, this.u.contextSave(this.h, ctx), "context save");
    const s: UnicornSnapshot = { engine: "unicorn", ctx, mem: this.mem.snapshot(), icount: this._icount };
    return s;
  }

  restore(snap: EngineSnapshot): void {
    if (snap.engine !== "unicorn") throw new Error(`unicorn engine: cannot restore a ${snap.engine} snapshot`);
    const s = snap as UnicornSnapshot;
    const pages = s.mem.pages;
    let same = this.mem.pageCount() === pages.size;
    if (same) {
      for (const [pn, p] of pages) {
        const cur = this.mem.pageAt(pn * PAGE_SIZE);
        if (!cur || cur.prot !== p.prot) { same = false; break; }
      }
    }
    if (!same) {
      for (const r of this.mem.regions()) this.unmap(r.start, r.end - r.start);
      const pns = [...pages.keys()].sort((x, y) => x - y);
      for (let i = 0; i < pns.length;) {
        let j = i + 1;
        const prot = pages.get(pns[i]!)!.prot;
        while (j < pns.length && pns[j] === pns[j - 1]! + 1 && pages.get(pns[j]!)!.prot === prot) j++;
        this.mapFresh(pns[i]! * PAGE_SIZE, (j - i) * PAGE_SIZE, prot);
        i = j;
      }
    }
    for (const [pn, p] of pages) (this.mem.pageAt(pn * PAGE_SIZE) as Page).u8.set(p.data);
    this.u.ctl(this.h, UC_CTL_TB_FLUSH_W);
    check(this.u, this.u.contextRestore(this.h, s.ctx), "context restore");
    this._icount = s.icount;
    this.regsValid = false;
    this.regsDirty = false;
  }

  close(): void {
    if (!this.uc) return;
    this.u.close(this.uc);
    this.u.contextFree(this.pristine);
    this.uc = null;
    for (const cb of this.callbacks) koffi.unregister(cb);
    this.callbacks.length = 0;
    koffi.free(this.regSlots);
    koffi.free(this.regSlotAddrs);
    koffi.free(this.regIds);
    // Drop every page view before the memory behind it goes.
    for (const r of this.mem.regions()) this.mem.unmap(r.start, r.end - r.start);
    for (const blk of this.blocks) this.u.munmap(blk.ptr, blk.size);
    this.blocks.clear();
  }
}
