// The runtime functions that code compiled by Go calls and assembly
// programs do not (src/golang/served.ts says which binary function each
// one serves): allocation with the real type descriptors, makechan from a
// *chantype, sync's notify lists and spinning, Go's panics and fatal
// errors in Go's words, print's remaining kinds, the process's arguments,
// and package initialisation (doInit, which runtime.main runs).
//
// Each is an ordinary host function: the bridge calls it with Go's
// register ABI when compiled code calls it (bridge.ts), with ABI0 from
// assembly, and `h.arg`/`h.ret` read and write the same either way.
//
// The one that is not a runtime function is runtime.notProvided: the
// loader makes every function of Go's runtime that is neither served nor
// safe to run as compiled code call it, so a program that needs one stops
// with its name and its caller's line instead of running Go's scheduler
// or returning a wrong answer.
//
// Panics are fatal (there is no recover): the message is Go's, from the
// panic value (printpanicval's rules for the basic kinds and the
// runtime's own error types), followed by the goroutine dump.

import { RDX } from "../x86/regs.ts";
import { finish, sig, type HostGen, type HostResult, type HostTable } from "./bridge.ts";
import { acquireSudog, makechan, releaseSudog, tryLock, unlockWait } from "./chan.ts";
import { mallocgc } from "./malloc.ts";
import {
  _type_align, _type_kind, _type_size, _type_tflag, m_locks, m_p, p_id, schedt_nmspinning, schedt_npidle,
  hchan_elemtype, sudog_g, sudog_next, sudog_releasetime, sudog_ticket,
  stringStruct_len,
} from "./offsets.ts";

// proc.go's initTask {state, ndeps, nfns uintptr}, then ndeps *initTask and nfns PCs.
// (Go's runtime has no DWARF for it, so it is named here rather than in runtime2.ts.)
const initTask_ndeps = 8, initTask_nfns = 16, initTask__size = 24;
import { osyield, SIG_I, SIG_NONE } from "./os_linux.ts";
import { fatal, GoThrow, gopanic, hex, throw_ } from "./panic.ts";
import { printtext, printLocals } from "./print.ts";
import { defineUnlockf, gopark, goready } from "./proc.ts";
import type { H, Runtime } from "./rt.ts";
import { runqempty } from "./runq.ts";
import { waitReasonSyncCondWait } from "./runtime2.ts";

/** A runtime function the emulated runtime does not serve was called. */
export class NotProvided extends GoThrow {
  constructor(readonly fn: string, readonly from: string) {
    super(`${fn} is not provided by the emulated runtime`, "fatal");
    this.name = "NotProvided";
  }

  override text(): string {
    return `gmpemu: ${this.fn} is not provided by the emulated runtime${this.from ? ` (called from ${this.from})` : ""}\n`;
  }
}

// --- type descriptors (type.go) ---------------------------------------------------

/** chantype.elem: after the 48-byte _type. */
const chantype_elem = 48;
const tflagExtraStar = 2;
export const kindMask = 31;
export const kindBool = 1, kindInt = 2, kindInt8 = 3, kindInt16 = 4, kindInt32 = 5, kindInt64 = 6, kindUint = 7,
  kindUint8 = 8, kindUint16 = 9, kindUint32 = 10, kindUint64 = 11, kindUintptr = 12, kindFloat32 = 13, kindFloat64 = 14,
  kindComplex64 = 15, kindComplex128 = 16, kindString = 24;
/** _type.str, a nameOff from moduledata.types. */
const _type_str = 40;

/** A Go string's bytes (ptr, len) as text. */
export function gostring(rt: Runtime, p: number, n: number): string {
  if (n <= 0) return "";
  return new TextDecoder().decode(rt.mem.bytes(p, n));
}

// (*_type).string: the type's name, from its nameOff (a name: flags, varint length, bytes).
export function typeString(rt: Runtime, typ: number): string {
  const go = rt.go;
  if (go === undefined) return hex(typ);
  const mem = rt.mem;
  let p = go.types + mem.i32(typ + _type_str) + 1;
  let n = 0, shift = 0;
  for (;;) {
    const b = mem.u8(p++);
    n += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  const s = gostring(rt, p, n);
  return (mem.u8(typ + _type_tflag) & tflagExtraStar) !== 0 ? s.slice(1) : s;
}

// --- package initialisation (proc.go: doInit) ------------------------------------------

/**
 * doInit: runs a package's init functions after its dependencies'. A task
 * is {state, ndeps, nfns} followed by ndeps *initTask and nfns PCs; each
 * PC's slot serves as the func value it is called through (DX).
 */
export function* doInit(rt: Runtime, h: H, t: number): HostGen<void> {
  const mem = rt.mem;
  const state = mem.int(t);
  if (state === 2) return;
  if (state === 1) throw_("recursive call during initialization - linker skew");
  mem.setInt(t, 1);
  const ndeps = mem.int(t + initTask_ndeps), nfns = mem.int(t + initTask_nfns);
  for (let i = 0; i < ndeps; i++) yield* doInit(rt, h, mem.ptr(t + initTask__size + 8 * i));
  for (let i = 0; i < nfns; i++) {
    const slot = t + 24 + 8 * ndeps + 8 * i;
    const req = h.call(mem.ptr(slot), SIG_NONE);
    rt.engine.setRegN(RDX, slot);
    yield req;
  }
  mem.setInt(t, 2);
}

// --- panics --------------------------------------------------------------------------

const boundsErrorFmts = [
  "index out of range [%x] with length %y", "slice bounds out of range [:%x] with length %y",
  "slice bounds out of range [:%x] with capacity %y", "slice bounds out of range [%x:%y]",
  "slice bounds out of range [::%x] with length %y", "slice bounds out of range [::%x] with capacity %y",
  "slice bounds out of range [:%x:%y]", "slice bounds out of range [%x:%y:]",
  "cannot convert slice with length %y to pointer to array with length %x",
];
const boundsNegErrorFmts = [
  "index out of range [%x]", "slice bounds out of range [:%x]", "slice bounds out of range [:%x]",
  "slice bounds out of range [%x:]", "slice bounds out of range [::%x]", "slice bounds out of range [::%x]",
  "slice bounds out of range [:%x:]", "slice bounds out of range [%x::]",
];

// goPanicIndex and friends: boundsError{x, y, signed, code}.Error().
function panicBounds(h: H, code: number, signed: boolean): never {
  const x = signed ? BigInt.asIntN(64, h.argU64(0)) : h.argU64(0);
  const y = BigInt.asIntN(64, h.argU64(1));
  const fmt = signed && x < 0n ? boundsNegErrorFmts[code]! : boundsErrorFmts[code]!;
  gopanic("runtime error: " + fmt.replace("%x", x.toString()).replace("%y", y.toString()));
}

/** printpanicval for an eface {typ, data}, with the Error methods of the runtime's error types. */
function panicValue(rt: Runtime, typ: number, data: number): string {
  if (typ === 0) return "nil";
  const mem = rt.mem;
  const kind = mem.u8(typ + _type_kind) & kindMask;
  const name = typeString(rt, typ);
  const str = (): string => gostring(rt, mem.ptr(data), mem.int(data + stringStruct_len));
  // error values (preprintpanics calls Error): the runtime's own, and errors.New's.
  if (name === "runtime.plainError") return str();
  if (name === "runtime.errorString") return "runtime error: " + str();
  if (name === "*errors.errorString") return gostring(rt, mem.ptr(mem.ptr(data)), mem.int(mem.ptr(data) + stringStruct_len));
  const v = basicValue(rt, kind, data);
  if (v === undefined) return `(${name}) ${hex(data)}`;
  if (name === basicNames[kind]) return v;
  return kind === kindString ? `${name}("${v}")` : kind === kindComplex64 || kind === kindComplex128 ? name + v : `${name}(${v})`;
}

const basicNames: Record<number, string> = {
  [kindBool]: "bool", [kindInt]: "int", [kindInt8]: "int8", [kindInt16]: "int16", [kindInt32]: "int32", [kindInt64]: "int64",
  [kindUint]: "uint", [kindUint8]: "uint8", [kindUint16]: "uint16", [kindUint32]: "uint32", [kindUint64]: "uint64",
  [kindUintptr]: "uintptr", [kindFloat32]: "float32", [kindFloat64]: "float64", [kindComplex64]: "complex64",
  [kindComplex128]: "complex128", [kindString]: "string",
};

/** A value of a basic kind at data, as print prints it; undefined for other kinds. */
function basicValue(rt: Runtime, kind: number, data: number): string | undefined {
  const mem = rt.mem;
  const b = (n: number): DataView => {
    const x = mem.bytes(data, n);
    return new DataView(x.buffer, x.byteOffset, n);
  };
  switch (kind) {
    case kindBool: return mem.u8(data) !== 0 ? "true" : "false";
    case kindInt: case kindInt64: return mem.i64(data).toString();
    case kindInt8: return String((mem.u8(data) << 24) >> 24);
    case kindInt16: return String((mem.u16(data) << 16) >> 16);
    case kindInt32: return String(mem.i32(data));
    case kindUint: case kindUint64: case kindUintptr: return mem.u64(data).toString();
    case kindUint8: return String(mem.u8(data));
    case kindUint16: return String(mem.u16(data));
    case kindUint32: return String(mem.u32(data));
    case kindFloat32: return formatFloat(b(4).getFloat32(0, true));
    case kindFloat64: return formatFloat(b(8).getFloat64(0, true));
    case kindComplex64: return `(${formatFloat(b(8).getFloat32(0, true))}${formatFloat(b(8).getFloat32(4, true))}i)`;
    case kindComplex128: return `(${formatFloat(b(16).getFloat64(0, true))}${formatFloat(b(16).getFloat64(8, true))}i)`;
    case kindString: return gostring(rt, mem.ptr(data), mem.int(data + stringStruct_len));
  }
  return undefined;
}

// printfloat's format: +d.dddddde+ddd, by the same float64 steps as Go's.
export function formatFloat(v: number): string {
  if (v !== v) return "NaN";
  if (v + v === v && v > 0) return "+Inf";
  if (v + v === v && v < 0) return "-Inf";
  const n = 7;
  let sign = "+";
  let e = 0;
  if (v === 0) {
    if (1 / v < 0) sign = "-";
  } else {
    if (v < 0) {
      v = -v;
      sign = "-";
    }
    while (v >= 10) { e++; v /= 10; }
    while (v < 1) { e--; v *= 10; }
    let h = 5.0;
    for (let i = 0; i < n; i++) h /= 10;
    v += h;
    if (v >= 10) { e++; v /= 10; }
  }
  const digits: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = Math.trunc(v);
    digits.push(s);
    v -= s;
    v *= 10;
  }
  const es = e < 0 ? "-" : "+";
  e = Math.abs(e);
  return `${sign}${digits[0]}.${digits.slice(1).join("")}e${es}${Math.trunc(e / 100)}${Math.trunc(e / 10) % 10}${e % 10}`;
}

// --- sync's notify lists (sema.go) ---------------------------------------------------------

/** notifyList: {wait uint32; notify uint32; lock mutex; head, tail *sudog}. */
const nl_wait = 0, nl_notify = 4, nl_lock = 8, nl_head = 16, nl_tail = 24, notifyList__size = 32;

/** less(a, b): a < b in the wrapping order of ticket numbers. */
const less = (a: number, b: number): boolean => ((a - b) | 0) < 0;

let notifyListCommit = "";

/** Readies each waiter of a list linked through sudog.next (readyWithTime, in list order). */
function readyList(rt: Runtime, h: H, s: number): HostResult {
  const mem = rt.mem;
  while (s !== 0) {
    const next = mem.ptr(s + sudog_next);
    mem.setPtr(s + sudog_next, 0);
    const w = goready(rt, h, mem.ptr(s + sudog_g));
    s = next;
    if (w !== undefined) {
      const rest = s;
      return (function* () {
        yield* w;
        yield* finish(readyList(rt, h, rest));
      })();
    }
  }
  return undefined;
}

/** The notify list's lock is held across a park (as a channel's is): wait by yielding the thread. */
function withLock(rt: Runtime, h: H, l: number, k: () => HostResult): HostResult {
  if (tryLock(rt, l)) return k();
  return (function* () {
    while (!tryLock(rt, l)) yield* osyield(rt, h);
    return yield* finish(k());
  })();
}

// notifyListWait: parks until notifyListNotify* has passed ticket t.
function notifyListWait(rt: Runtime, h: H): HostResult {
  const l = h.arg(0), t = h.arg(1);
  return withLock(rt, h, l + nl_lock, () => {
    const mem = rt.mem;
    if (less(t, mem.u32(l + nl_notify))) {
      unlockWait(rt, l + nl_lock);
      return undefined;
    }
    const s = acquireSudog(rt);
    mem.setPtr(s + sudog_g, rt.getg());
    mem.setU32(s + sudog_ticket, t);
    mem.setInt(s + sudog_releasetime, 0);
    const tail = mem.ptr(l + nl_tail);
    if (tail === 0) mem.setPtr(l + nl_head, s);
    else mem.setPtr(tail + sudog_next, s);
    mem.setPtr(l + nl_tail, s);
    mem.setPtr(h.locals, s);
    return gopark(rt, h, notifyListCommit, l + nl_lock, waitReasonSyncCondWait, notifyListWoken);
  });
}
let notifyListWoken: Parameters<typeof gopark>[5];

function notifyListNotifyAll(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const l = h.arg(0);
  if (mem.u32(l + nl_wait) === mem.u32(l + nl_notify)) return undefined;
  return withLock(rt, h, l + nl_lock, () => {
    const s = mem.ptr(l + nl_head);
    mem.setPtr(l + nl_head, 0);
    mem.setPtr(l + nl_tail, 0);
    mem.setU32(l + nl_notify, mem.u32(l + nl_wait));
    unlockWait(rt, l + nl_lock);
    return readyList(rt, h, s);
  });
}

function notifyListNotifyOne(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const l = h.arg(0);
  if (mem.u32(l + nl_wait) === mem.u32(l + nl_notify)) return undefined;
  return withLock(rt, h, l + nl_lock, () => {
    const t = mem.u32(l + nl_notify);
    if (t === mem.u32(l + nl_wait)) {
      unlockWait(rt, l + nl_lock);
      return undefined;
    }
    mem.setU32(l + nl_notify, (t + 1) >>> 0);
    for (let p = 0, s = mem.ptr(l + nl_head); s !== 0; p = s, s = mem.ptr(s + sudog_next)) {
      if (mem.u32(s + sudog_ticket) !== t) continue;
      const n = mem.ptr(s + sudog_next);
      if (p !== 0) mem.setPtr(p + sudog_next, n);
      else mem.setPtr(l + nl_head, n);
      if (n === 0) mem.setPtr(l + nl_tail, p);
      unlockWait(rt, l + nl_lock);
      mem.setPtr(s + sudog_next, 0);
      return goready(rt, h, mem.ptr(s + sudog_g));
    }
    unlockWait(rt, l + nl_lock);
    return undefined;
  });
}

// --- the host functions ----------------------------------------------------------------

/** os.Args and the environment: a []string in the heap, for runtime_args and runtime_envs. */
function stringSlice(rt: Runtime, h: H, ss: readonly string[]): undefined {
  const mem = rt.mem;
  const arr = ss.length === 0 ? 0 : mallocgc(rt, 16 * ss.length, 0, true);
  ss.forEach((s, i) => {
    const b = new TextEncoder().encode(s);
    const p = b.length === 0 ? 0 : mallocgc(rt, b.length, 0, false);
    if (b.length > 0) mem.setBytes(p, b);
    mem.setPtr(arr + 16 * i, p);
    mem.setInt(arr + 16 * i + stringStruct_len, b.length);
  });
  h.ret(0, arr);
  h.ret(1, ss.length);
  h.ret(2, ss.length);
  return undefined;
}

/** A fixed wall clock for time.Now: the Go playground's epoch plus virtual time, so runs repeat. */
const wallEpochSec = 1257894000;

export function register(t: HostTable<Runtime>): void {
  // notProvided: the patched entry's CALL pushed entry+5; the caller's return address is above it.
  t.define("runtime.notProvided", "", (rt, h) => {
    const entry = h.pc - 5;
    const name = rt.image.symAt(entry)?.name.replace(/\.abi0$/, "") ?? hex(entry);
    const caller = rt.mem.ptr(h.callerSp);
    const l = rt.image.pcToLine(caller - 1);
    throw new NotProvided(name, l ? `${l.file.replace(/^.*\//, "")}:${l.line}` : hex(caller));
  });

  // Allocation with the real type descriptors (malloc.go).
  t.define("runtime.newobject", "p : p", (rt, h) => {
    const typ = h.arg(0);
    h.ret(0, mallocgc(rt, rt.mem.ptr(typ + _type_size), typ, true));
  });
  t.define("runtime.newarray", "p p : p", (rt, h) => {
    const typ = h.arg(0), n = h.argInt(1);
    const size = rt.mem.ptr(typ + _type_size) * n;
    if (n < 0 || !Number.isSafeInteger(size) || size > 2 ** 47) gopanic("runtime: allocation size out of range");
    h.ret(0, mallocgc(rt, size, typ, true));
  });
  // makechan(t *chantype, size int) *hchan (also makechan64).
  t.define("runtime.makechan·chantype", "p p : p", (rt, h) => {
    const mem = rt.mem;
    const elem = mem.ptr(h.arg(0) + chantype_elem);
    const size = mem.ptr(elem + _type_size);
    if (size >= 1 << 16) throw_("makechan: invalid channel element type");
    if (mem.u8(elem + _type_align) > 8) throw_("makechan: bad alignment");
    const c = makechan(rt, size, h.argInt(1));
    mem.setPtr(c + hchan_elemtype, elem);
    h.ret(0, c);
  });

  // GOMAXPROCS(n): the number of Ps; it cannot change while a program runs here.
  t.define("runtime.GOMAXPROCS", "p : p", (rt, h) => {
    const n = h.argInt(0);
    if (n > 0 && n !== rt.gomaxprocs) throw new NotProvided(`runtime.GOMAXPROCS(${n}) (changing the number of Ps; use --procs)`, "");
    h.ret(0, rt.gomaxprocs);
  });
  t.define("runtime.nanotime", ": p", (rt, h) => { h.ret(0, rt.now); });
  // time.now() (sec int64, nsec int32, mono int64)
  t.define("time.now", ": p i p", (rt, h) => {
    const ns = rt.now;
    h.ret(0, wallEpochSec + Math.floor(ns / 1e9));
    h.ret(1, ns % 1e9);
    h.ret(2, ns);
  });

  // sync's notify lists (sync.Cond, and WaitGroup's cousins).
  notifyListCommit = defineUnlockf(t, "runtime.notifyListCommit", (rt, _h, _gp, l) => {
    unlockWait(rt, l);
    return true;
  });
  t.define("sync.runtime_notifyListAdd", "p : i", (rt, h) => {
    const l = h.arg(0);
    const v = rt.mem.u32(l + nl_wait);
    rt.mem.setU32(l + nl_wait, (v + 1) >>> 0);
    h.ret(0, v);
  });
  const wait = t.define("sync.runtime_notifyListWait", "p i", notifyListWait, 16);
  notifyListWoken = t.resume(wait, "p", (rt, h) => { releaseSudog(rt, rt.mem.ptr(h.locals)); });
  t.define("sync.runtime_notifyListNotifyAll", "p", notifyListNotifyAll);
  t.define("sync.runtime_notifyListNotifyOne", "p", notifyListNotifyOne);
  t.define("sync.runtime_notifyListCheck", "p", (_rt, h) => {
    const sz = h.arg(0);
    if (sz !== notifyList__size) throw_("bad notifyList size", `runtime: bad notifyList size - sync=${sz} runtime=${notifyList__size}`);
  });
  // sync.Mutex spins only on a machine with other Ps running (here, as many CPUs as Ps).
  t.define("sync.runtime_canSpin", "p : b", (rt, h) => {
    const mem = rt.mem, i = h.argInt(0);
    const ncpu = rt.gomaxprocs;
    let ok = !(i >= 4 || ncpu <= 1 || rt.gomaxprocs <= mem.i32(rt.sched + schedt_npidle) + mem.i32(rt.sched + schedt_nmspinning) + 1);
    if (ok && !runqempty(rt, mem.ptr(rt.getm() + m_p))) ok = false;
    h.ret(0, ok ? 1 : 0);
  });
  t.define("sync.runtime_doSpin", "", (rt, h) => h.tailcall(rt.image.addrOf("runtime.procyield")!, SIG_I, 30));
  // The pools are cleared by the collector, which never runs: nothing to register.
  t.define("sync.runtime_registerPoolCleanup", "p", () => undefined);
  t.define("sync.runtime_procPin", ": p", (rt, h) => {
    const mp = rt.getm();
    rt.mem.setI32(mp + m_locks, rt.mem.i32(mp + m_locks) + 1);
    h.ret(0, rt.mem.i32(rt.mem.ptr(mp + m_p) + p_id));
  });
  t.define("sync.runtime_procUnpin", "", (rt) => {
    const mp = rt.getm();
    rt.mem.setI32(mp + m_locks, rt.mem.i32(mp + m_locks) - 1);
  });

  // Fatal errors and panics.
  t.define("runtime.throw", "p p", (rt, h) => throw_(gostring(rt, h.arg(0), h.argInt(1))));
  t.define("runtime.fatal", "p p", (rt, h) => fatal(gostring(rt, h.arg(0), h.argInt(1))));
  t.define("runtime.gopanic", "p p", (rt, h) => gopanic(panicValue(rt, h.arg(0), h.arg(1))));
  const bounds = ["Index", "SliceAlen", "SliceAcap", "SliceB", "Slice3Alen", "Slice3Acap", "Slice3B", "Slice3C"];
  bounds.forEach((b, code) => {
    t.define(`runtime.goPanic${b}`, "p p", (_rt, h) => panicBounds(h, code, true));
    t.define(`runtime.goPanic${b}U`, "p p", (_rt, h) => panicBounds(h, code, false));
  });
  t.define("runtime.goPanicSliceConvert", "p p", (_rt, h) => panicBounds(h, 8, true));
  t.define("runtime.panicdivide", "", () => gopanic("runtime error: integer divide by zero"));
  t.define("runtime.panicshift", "", () => gopanic("runtime error: negative shift amount"));
  t.define("runtime.panicmem", "", () => gopanic("runtime error: invalid memory address or nil pointer dereference"));
  t.define("runtime.panicmakeslicelen", "", () => gopanic("runtime error: makeslice: len out of range"));
  t.define("runtime.panicmakeslicecap", "", () => gopanic("runtime error: makeslice: cap out of range"));
  t.define("runtime.panicunsafeslicelen", "", () => gopanic("runtime error: unsafe.Slice: len out of range"));

  // Write barriers are off (no collector): the bulk barriers return at once, as Go's do when !writeBarrier.needed.
  t.define("runtime.bulkBarrierPreWrite", "p p p", () => undefined);
  t.define("runtime.bulkBarrierPreWriteSrcOnly", "p p p", () => undefined);
  // No collector: a finalizer would never run, so recording none is exact.
  t.define("runtime.SetFinalizer", "p p p p", () => undefined);
  t.define("runtime.KeepAlive", "p p", () => undefined);
  // The process: os.Args, an empty environment (a run must not depend on the host's), exit.
  t.define("os.runtime_args", ": p p p", (rt, h) => stringSlice(rt, h, rt.go?.args ?? []));
  t.define("syscall.runtime_envs", ": p p p", (rt, h) => stringSlice(rt, h, []));
  t.define("os.runtime_beforeExit", "", () => undefined);
  t.define("syscall.Exit", "p", (rt, h) => h.tailcall(rt.asm.exit, SIG_I, h.argInt(0)));

  // print's other kinds.
  t.define("runtime.printfloat", "f", (rt, h) => printtext(rt, h, formatFloat(h.argFloat(0))), printLocals);
  t.define("runtime.printcomplex", "f f", (rt, h) => printtext(rt, h, `(${formatFloat(h.argFloat(0))}${formatFloat(h.argFloat(1))}i)`), printLocals);
  t.define("runtime.printslice", "p p p", (rt, h) => printtext(rt, h, `[${h.argInt(1)}/${h.argInt(2)}]${hex(h.arg(0))}`), printLocals);
  t.define("runtime.printeface", "p p", (rt, h) => printtext(rt, h, `(${hex(h.arg(0))},${hex(h.arg(1))})`), printLocals);
  t.define("runtime.printiface", "p p", (rt, h) => printtext(rt, h, `(${hex(h.arg(0))},${hex(h.arg(1))})`), printLocals);
}

/** The signature of a call with no arguments, for callers outside the runtime. */
export const SIG_CALL = sig("");
