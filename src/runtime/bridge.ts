// The bridge between machine code and the runtime written in TypeScript.
//
// A host function is a runtime function with no machine code: the linker
// gives its symbol (`runtime.schedule`, `runtime.newproc` ...) an address in
// the host region, and when a thread's RIP reaches that address the engine
// stops and the bridge runs the TypeScript function instead. It is called
// exactly like an ABI0 function: the return address at 0(SP), arguments from
// 8(SP) up, results after the arguments; it returns by popping the return
// address into RIP, as RET would.
//
// Host functions call back into machine code: `gopark` calls
// `mcall(park_m)` and goes on only when some later `gogo` resumes its
// goroutine, perhaps on another thread; `notesleep` calls the `runtime·futex`
// stub, whose SYSCALL blocks the thread in the kernel. Such a call writes
// the callee's ABI0 frame below the host function's own frame (and below
// any locals it reserved there), pushes a return address, and jumps; the
// kernel may run other threads before the callee returns. What runs when it
// does return, and how the host function's state survives meanwhile, comes
// in two kinds:
//
//   resume points  A host function written as plain code ends its first
//                  part with `h.callThen(target, sig, resume)`; `resume` is
//                  a second plain function with an address of its own in
//                  the host region, pushed as the return address. Whatever
//                  the second part needs lives in emulated memory, where Go
//                  keeps it (the sudog, gp.param, the frame's locals), so a
//                  resume point costs no allocation and no JavaScript state:
//                  the host function's frame is found again from SP alone
//                  (see `resumeAddr`). `h.tailcall` is the common case, a
//                  call whose resume point just returns.
//   generators     A host function written as a generator yields
//                  `h.call(...)`; the bridge pushes a fresh *continuation
//                  token* and keeps the suspended generator until RIP
//                  reaches the token. Used where the code after the call
//                  holds JavaScript state (loops over Ps, sysmon's round)
//                  and for cold paths, where readability beats the
//                  allocation of a generator.
//
// Either way the return address is a real address in emulated memory: mcall
// saves it in g.sched.pc, a traceback walks through it (`frameOfReturn`),
// and the debugger names it (`nameAt`). `h.jump` transfers control for good
// (execute → gogo): the host frame is abandoned, as the Go function's is.
//
// The hot path allocates nothing: arguments and results are read and
// written in the frame through the HostCall (`h.arg(i)`, `h.ret(i, v)`),
// one HostCall object is reused by every plain activation, signatures are
// parsed once, and requests are two constant markers. A host function that
// returns a generator takes the HostCall with it (the bridge makes a new one
// for the next call).
//
// Signatures follow ABI0 for the types used here, written as a string: `p`
// an 8-byte word, `i` a 4-byte word, `b` a byte (a bool), `f` a float64;
// arguments, then `:` and results. Each
// is aligned to its size, results start 8-aligned (Go's rules), so `futex`
// is "p i i p p i : i" with its result at +40.
//
// Two ABIs, one implementation. Every host function has two entries, 8
// bytes apart: ABI0 at its address (assembly programs, and the runtime's
// own assembly, call it with arguments on the stack) and ABIInternal at
// address + 8 (code compiled by Go calls it with Go's register ABI:
// integer arguments and results in AX, BX, CX, DI, SI, R8-R11, floats in
// X0-X14, R14 = g, X15 = 0). At the ABIInternal entry the bridge spills
// the argument registers into the spill area the caller reserved above
// the return address — which is laid out exactly as ABI0's arguments —
// so `h.arg(i)` reads both the same way. Results cannot go in the frame
// (an ABIInternal caller reserves no room for them): `h.ret(i, v)` puts
// them in a result area below the function's locals, and the final return
// loads them into registers, with R14 = g again. The ABI of an activation
// is part of its resume points' addresses (+4), as the padding is (+8), so
// a frame is still found from SP alone; a generator keeps it in its
// HostCall. Continuation tokens are the same for both.
//
// Invariants: a host function runs without interruption until it returns or
// calls (the kernel switches threads only between engine runs); a token is
// resumed at most once; an address in the host region that is neither a
// function, nor a resume point, nor a live token is a fatal error, never a
// silent return.
//
// Rejected: snapshotting generator state (JavaScript cannot), so a machine
// with suspended generators is not restorable from an engine snapshot;
// reverse execution goes through deterministic replay instead. Rejected
// too: running a callee to completion inside the host function (a nested
// engine run): the kernel could no longer switch threads at the call, so
// the interleaving of a run would differ from Go's.

import { TLS_G_OFFSET } from "../asm/link.ts";
import { R14, RSP, REG_R8, REG_R9, REG_R10, REG_R11, REG_RAX, REG_RBX, REG_RCX, REG_RDI, REG_RSI, type RegId } from "../x86/regs.ts";
import { PROT_EXEC, PROT_READ, PROT_WRITE, REG_FS_BASE, REG_RIP, type Engine } from "../engine/engine.ts";
import type { Thread } from "../os/kernel.ts";
import { EngineMemoryError } from "../mem/hostmem.ts";
import { BadWord, type Mem } from "./mem.ts";
import { GoFault } from "./panic.ts";

/** The host region: functions, resume points, then continuation tokens. Within rel32 of the text. */
export const HOST_BASE = 0x7f00_0000;
export const HOST_FUNCS = 0x1_0000; // 4096 functions, 16 bytes apart
const RESUME_BASE = HOST_BASE + HOST_FUNCS; // 4096 resume points, 16 bytes apart
const TOKEN_BASE = RESUME_BASE + 0x1_0000;
export const HOST_SIZE = 0x100_0000;
/** The ABIInternal entry of a host function is its address + 8; a resume point of an ABIInternal activation, + 4. */
export const ABI_INTERNAL = 8;
const RESUME_REGABI = 4;
/** The upper 32 bits of a little-endian word (below 2^21 there, the word is a safe integer). */
const HIGH_HALF = 4;
/** Go's ABIInternal integer argument and result registers, in order (AX, BX, CX, DI, SI, R8-R11). */
export const REGABI_INT: readonly RegId[] = [REG_RAX, REG_RBX, REG_RCX, REG_RDI, REG_RSI, REG_R8, REG_R9, REG_R10, REG_R11];


/** A request a host function makes: returned (plain code) or yielded (a generator). */
export interface Req { readonly kind: "call" | "jump" }
/** The call was set up; for a generator, the bridge pushes a token. */
export const CALLED: Req = Object.freeze({ kind: "call" });
/** Control went elsewhere for good. */
export const JUMPED: Req = Object.freeze({ kind: "jump" });

/**
 * A generator host function: yields CALLED (from `h.call`), and returns
 * nothing (return to the caller, results written with `h.ret`) or JUMPED.
 */
export type HostGen<T = void | Req> = Generator<Req, T, void>;
/** What a host function, a resume point, or a helper on their path returns. */
export type HostResult = void | Req | HostGen;
export type HostImpl<C> = (ctx: C, h: HostCall<C>) => HostResult;

interface Slot { readonly off: number; readonly size: 1 | 4 | 8; readonly float: boolean }

/** An ABI0 frame layout, parsed once from its signature string. */
export interface Sig {
  readonly text: string;
  readonly args: readonly Slot[];
  readonly rets: readonly Slot[];
  /** Bytes of arguments and results. */
  readonly size: number;
  /** Bytes of the result area of an ABIInternal activation (the results, rounded up to 16). */
  readonly retArea: number;
  /** Where the results start in the ABI0 frame (their offsets there are from the arguments' start). */
  readonly retStart: number;
}

const sigs = new Map<string, Sig>();

/** The layout of a signature like "p i : i". */
export function sig(text: string): Sig {
  const hit = sigs.get(text);
  if (hit) return hit;
  const [a = "", r = ""] = text.split(":");
  let off = 0;
  const slots = (s: string): Slot[] => s.trim().split(/\s+/).filter(Boolean).map((k) => {
    const size: 1 | 4 | 8 = k === "b" ? 1 : k === "i" ? 4 : k === "p" || k === "f" ? 8 : badSig(text);
    off = Math.ceil(off / size) * size;
    const slot: Slot = { off, size, float: k === "f" };
    off += size;
    return slot;
  });
  const args = slots(a);
  off = Math.ceil(off / 8) * 8;
  const retStart = off;
  const rets = slots(r);
  const l: Sig = { text, args, rets, size: Math.ceil(off / 8) * 8, retArea: Math.ceil((off - retStart) / 16) * 16, retStart };
  sigs.set(text, l);
  return l;
}

function badSig(text: string): never {
  throw new Error(`bridge: bad signature "${text}"`);
}

/** A host function, declared once for every machine (the table is static). */
export interface HostFnDef<C> {
  readonly name: string;
  /** The source file that defines it (for tracebacks and the debugger). */
  readonly file: string;
  readonly sig: Sig;
  /** Bytes of locals the function keeps below its frame (h.locals) across calls. */
  readonly locals: number;
  readonly impl: HostImpl<C>;
}

/** A resume point: the part of a host function that runs when its call returns. */
export interface ResumeDef<C> {
  readonly name: string;
  /** Its address in the host region (and +8: see Bridge.resumeAddr). */
  readonly addr: number;
  readonly fn: HostFnDef<C>;
  /** The signature of the call it resumes from (its results are read with h.result). */
  readonly callSig: Sig;
  readonly impl: HostImpl<C>;
}

/**
 * The host functions of a runtime: names → addresses, fixed by declaration
 * order, so the linker can resolve symbols before any machine exists.
 */
export class HostTable<C> {
  readonly fns: HostFnDef<C>[] = [];
  readonly resumes: ResumeDef<C>[] = [];
  private readonly byName = new Map<string, number>();
  private file = "";

  /** Runs register(t) for one source file: what it defines is recorded as that file's. */
  section(file: string, register: (t: HostTable<C>) => void): void {
    this.file = file;
    try {
      register(this);
    } finally {
      this.file = "";
    }
  }

  /** The file that defines host function `name`, if any. */
  fileOf(name: string): string | undefined {
    const i = this.byName.get(name);
    return i === undefined ? undefined : this.fns[i]!.file;
  }

  /** Declares a host function; returns its definition (for resume points). */
  define(name: string, sigText: string, impl: HostImpl<C>, locals = 0): HostFnDef<C> {
    if (this.byName.has(name)) throw new Error(`bridge: ${name} defined twice`);
    if (this.fns.length >= HOST_FUNCS / 16) throw new Error("bridge: too many host functions");
    if (locals % 16 !== 0) throw new Error(`bridge: ${name}: locals must be a multiple of 16`);
    const def: HostFnDef<C> = { name, file: this.file, sig: sig(sigText), locals, impl };
    this.byName.set(name, this.fns.length);
    this.fns.push(def);
    return def;
  }

  /** Declares a resume point of fn, for calls with signature callSig. */
  resume(fn: HostFnDef<C>, callSigText: string, impl: HostImpl<C>, label = "resume"): ResumeDef<C> {
    if (this.resumes.length >= 0x1_0000 / 16) throw new Error("bridge: too many resume points");
    const def: ResumeDef<C> = { name: `${fn.name}·${label}`, addr: RESUME_BASE + 16 * this.resumes.length, fn, callSig: sig(callSigText), impl };
    this.resumes.push(def);
    return def;
  }

  /** The address of host function `name`, or undefined: the linker's resolver. */
  resolve = (name: string): number | undefined => {
    const i = this.byName.get(name);
    return i === undefined ? undefined : HOST_BASE + 16 * i;
  };

  /** The ABIInternal entry of host function `name` (Go's register ABI), or undefined. */
  resolveInternal(name: string): number | undefined {
    const a = this.resolve(name);
    return a === undefined ? undefined : a + ABI_INTERNAL;
  }

  addrOfFn(def: HostFnDef<C>): number {
    return this.resolve(def.name)!;
  }
}

/** A generator suspended at a continuation token. */
interface Suspension<C> {
  gen: HostGen;
  h: HostCall<C>;
  callSig: Sig;
  /** Where the token is (SP of the callee's frame at the call). */
  callSp: number;
}

/**
 * The view a host function has of its call. One is reused by every plain
 * activation; a generator keeps the one it was given.
 */
export class HostCall<C> {
  /** The running host function (a resume point runs as its function). */
  fn!: HostFnDef<C>;
  thread!: Thread;
  /** SP at entry: the return address is at frameSp, arguments at frameSp+8. */
  frameSp = 0;
  /** Entered by Go's register ABI (ABIInternal): results go to registers on return. */
  regabi = false;
  /** SP just after the last call returned (its results are there), and its signature. */
  private resultSp = 0;
  private callSig: Sig | undefined;
  /**
   * Bytes a generator set aside below its frame and locals for the call in
   * flight (a timespec for futex, a sigaction): `h.scratch(n)`. Resume
   * points cannot use it (their frame is found from SP and fn.locals).
   */
  extra = 0;
  /** Where the last h.call put its return address (the bridge fills in the token), and its signature. */
  pendingRet = 0;
  pendingSig: Sig | undefined;

  constructor(readonly bridge: Bridge<C>) {}

  get mem(): Mem { return this.bridge.mem; }
  get name(): string { return this.fn.name; }
  /** The caller's PC (the return address). */
  get pc(): number { return this.mem.ptr(this.frameSp); }
  /** The caller's SP after the return. */
  get callerSp(): number { return this.frameSp + 8; }
  /** The function's locals (h.fn.locals bytes) end at the return address. */
  get locals(): number { return this.frameSp - this.fn.locals; }
  /** Bytes the activation keeps below its return address: locals, and an ABIInternal one's result area. */
  get below(): number { return this.fn.locals + (this.regabi ? this.fn.sig.retArea : 0); }

  /**
   * n bytes of memory below the frame (16-aligned), for a generator to pass
   * to its next call; the call's frame goes below them. Valid until the
   * next scratch().
   */
  scratch(n: number): number {
    this.extra = Math.ceil(n / 16) * 16;
    return this.frameSp - this.below - this.extra;
  }

  /** Argument i as an unsigned number (exact below 2^53: addresses, sizes). */
  arg(i: number): number {
    const s = this.fn.sig.args[i]!;
    const a = this.frameSp + 8 + s.off;
    return s.size === 8 ? this.mem.word(a) : s.size === 4 ? this.mem.u32(a) : this.mem.u8(a);
  }

  /** Argument i as a signed integer (int64 or int32), exact when it is a safe integer. */
  argInt(i: number): number {
    const s = this.fn.sig.args[i]!;
    const a = this.frameSp + 8 + s.off;
    return s.size === 8 ? this.mem.sword(a) : s.size === 4 ? this.mem.i32(a) : (this.mem.u8(a) << 24) >> 24;
  }

  /** Argument i as the 64-bit word it is (cold callers). */
  argU64(i: number): bigint {
    const s = this.fn.sig.args[i]!;
    const a = this.frameSp + 8 + s.off;
    return s.size === 8 ? this.mem.u64(a) : BigInt(s.size === 4 ? this.mem.u32(a) : this.mem.u8(a));
  }

  /** Argument i, a float64 (an `f` slot). */
  argFloat(i: number): number {
    const s = this.fn.sig.args[i]!;
    const b = this.mem.bytes(this.frameSp + 8 + s.off, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
  }

  /** Sets result i (an integer; negative values are two's complement). */
  ret(i: number, v: number): void {
    const s = this.fn.sig.rets[i]!;
    const a = this.regabi ? this.frameSp - this.fn.locals - this.fn.sig.retArea + s.off - this.fn.sig.retStart : this.frameSp + 8 + s.off;
    writeWord(this.mem, a, s.size, v);
  }

  /** Result i of the call that just returned, unsigned (i32 results: signed). */
  result(i: number): number {
    const sg = this.callSig;
    if (sg === undefined) throw new Error("bridge: no call has returned");
    const s = sg.rets[i]!;
    const a = this.resultSp + s.off;
    return s.size === 8 ? this.mem.word(a) : s.size === 4 ? this.mem.i32(a) : this.mem.u8(a);
  }

  /** Called by the bridge when a call of this activation returns. */
  returned(sp: number, callSig: Sig): void {
    this.extra = 0;
    this.resultSp = sp;
    this.callSig = callSig;
  }

  /**
   * Calls machine code at `target` from a generator: `yield h.call(...)`.
   * Arguments are integers (or addresses) below 2^53, or negative int32s.
   */
  call(target: number, s: Sig, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): Req {
    this.pendingRet = this.bridge.setupCall(this, target, s, 0, a0, a1, a2, a3, a4, a5);
    this.pendingSig = s;
    return CALLED;
  }

  /** Calls machine code from plain code; `resume` runs when it returns. */
  callThen(target: number, resume: ResumeDef<C>, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): Req {
    if (resume.fn !== this.fn) throw new Error(`bridge: ${this.fn.name} resumes at ${resume.name}`);
    this.bridge.setupCall(this, target, resume.callSig, resume, a0, a1, a2, a3, a4, a5);
    return CALLED;
  }

  /** Calls machine code from plain code and returns to the caller when it returns. */
  tailcall(target: number, s: Sig, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): Req {
    this.bridge.setupCall(this, target, s, this.bridge.returnResume(this.fn, s), a0, a1, a2, a3, a4, a5);
    return CALLED;
  }

  /** Transfers control for good, with the frame below the host frame or at `sp`. */
  jump(target: number, s: Sig, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): Req {
    this.bridge.setupJump(this, target, s, -1, a0, a1, a2, a3, a4, a5);
    return JUMPED;
  }

  jumpSp(target: number, s: Sig, sp: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): Req {
    this.bridge.setupJump(this, target, s, sp, a0, a1, a2, a3, a4, a5);
    return JUMPED;
  }
}

function writeWord(mem: Mem, a: number, size: 1 | 4 | 8, v: number): void {
  if (size === 1) mem.setU8(a, v & 0xff);
  else if (size === 4) mem.setU32(a, v >>> 0);
  else mem.setWord(a, v);
}

/** The frame of a host function found from a return address in the host region. */
export interface HostFrame { name: string; frameSp: number }

export class Bridge<C> {
  private readonly tokens = new Map<number, Suspension<C>>();
  private readonly freeTokens: number[] = [];
  private nextToken = TOKEN_BASE;
  /** "Return to the caller" resume points, per function and call signature (made on first use). */
  private readonly returns = new Map<HostFnDef<C>, Map<Sig, ResumeDef<C>>>();
  private readonly extraResumes: ResumeDef<C>[] = [];
  /** The HostCall plain activations share. */
  private cur: HostCall<C>;
  /** Host calls made (for statistics and traces). */
  calls = 0;
  /** The host function running now and its frame SP, for tracebacks of a throw (fn undefined: none). */
  activeFn: HostFnDef<C> | undefined;
  activeFrameSp = 0;

  constructor(
    readonly engine: Engine,
    readonly mem: Mem,
    readonly table: HostTable<C>,
    readonly ctx: C,
  ) {
    this.cur = new HostCall(this);
  }

  /** Maps the host region (INT3-filled, so that executing it by mistake traps) and declares it to the engine. */
  install(): void {
    const e = this.engine;
    e.map(HOST_BASE, HOST_SIZE, PROT_READ | PROT_WRITE);
    e.write(HOST_BASE, new Uint8Array(TOKEN_BASE - HOST_BASE).fill(0xcc));
    e.protect(HOST_BASE, HOST_SIZE, PROT_READ | PROT_EXEC);
    e.setHostRange(HOST_BASE, HOST_BASE + HOST_SIZE);
  }

  has(name: string): boolean { return this.table.resolve(name) !== undefined; }

  /** The address of host function `name`; throws if there is none. */
  addrOf(name: string): number {
    const a = this.table.resolve(name);
    if (a === undefined) throw new Error(`bridge: no host function ${name}`);
    return a;
  }

  /** The argument words of host function `name` in a frame whose return address is at frameSp. */
  argWords(name: string, frameSp: number): bigint[] {
    const a = this.table.resolve(name);
    if (a === undefined) return [];
    const def = this.table.fns[(a - HOST_BASE) / 16]!;
    return def.sig.args.map((s) => {
      const a = frameSp + 8 + s.off;
      return s.size === 8 ? this.mem.u64(a) : BigInt(s.size === 4 ? this.mem.u32(a) : this.mem.u8(a));
    });
  }

  /** The resume point's address for a frame at frameSp: see resumeAddr. */
  private resumeDefAt(addr: number): ResumeDef<C> | undefined {
    if (addr < RESUME_BASE || addr >= TOKEN_BASE) return undefined;
    const i = Math.floor((addr - RESUME_BASE) / 16);
    return i < this.table.resumes.length ? this.table.resumes[i] : this.extraResumes[i - this.table.resumes.length];
  }

  /** The "return to the caller" resume point of fn after a call with signature s. */
  returnResume(fn: HostFnDef<C>, s: Sig): ResumeDef<C> {
    let m = this.returns.get(fn);
    if (m === undefined) this.returns.set(fn, (m = new Map()));
    let r = m.get(s);
    if (r === undefined) {
      const i = this.table.resumes.length + this.extraResumes.length;
      if (i >= 0x1_0000 / 16) throw new Error("bridge: too many resume points");
      r = { name: `${fn.name}·return`, addr: RESUME_BASE + 16 * i, fn, callSig: s, impl: () => undefined };
      this.extraResumes.push(r);
      m.set(s, r);
    }
    return r;
  }

  /**
   * Where the callee's frame goes: below the host frame's locals (or at
   * `top` for a jump with an explicit SP), 16-byte aligned for the callee's
   * comfort, with the return address just below the arguments.
   */
  private callSpFor(top: number, s: Sig): number {
    return Math.floor((top - s.size) / 16) * 16 - 8;
  }

  /**
   * A resume point's return address encodes the one bit that SP alone does
   * not give back: callSp + 8 = floor((frameSp - locals - size) / 16) * 16,
   * and frameSp - locals - size is a multiple of 8, so frameSp is one of two
   * addresses; the token is the resume point's address plus the padding (0
   * or 8). When the call returns, SP + size + locals + padding is frameSp
   * again, however the stack was moved meanwhile (copystack moves it by a
   * multiple of the page size).
   */
  private resumeAddr(def: ResumeDef<C>, h: HostCall<C>, callSp: number): number {
    const pad = h.frameSp - h.below - def.callSig.size - (callSp + 8);
    if (pad !== 0 && pad !== 8) throw new Error(`bridge: ${def.name}: padding ${pad}`);
    return def.addr + pad + (h.regabi ? RESUME_REGABI : 0);
  }

  /** frameSp of the activation a resume point's return address (k: its offset in the slot) belongs to, SP just above it. */
  private resumeFrameSp(r: ResumeDef<C>, k: number, sp: number): number {
    return sp + r.callSig.size + r.fn.locals + ((k & RESUME_REGABI) !== 0 ? r.fn.sig.retArea : 0) + (k & 8);
  }

  /** Writes a call's frame and registers; returns where its return address goes. */
  setupCall(h: HostCall<C>, target: number, s: Sig, resume: ResumeDef<C> | 0, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): number {
    if (resume !== 0 && h.extra !== 0) throw new Error(`bridge: ${h.fn.name}: a resume point after scratch()`);
    const top = h.frameSp - h.below - h.extra;
    const callSp = this.callSpFor(top, s);
    const ret = resume === 0 ? 0 : this.resumeAddr(resume, h, callSp);
    this.writeFrame(callSp, ret, s, a0, a1, a2, a3, a4, a5);
    this.enter(target, callSp);
    return callSp;
  }

  setupJump(h: HostCall<C>, target: number, s: Sig, sp: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): void {
    const callSp = this.callSpFor(sp >= 0 ? sp : h.frameSp - h.below, s);
    this.writeFrame(callSp, 0, s, a0, a1, a2, a3, a4, a5);
    this.enter(target, callSp);
  }

  private writeFrame(callSp: number, ret: number, s: Sig, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): void {
    const mem = this.mem;
    mem.setPtr(callSp, ret);
    const args = s.args;
    const n = args.length;
    if (n > 6) throw new Error(`bridge: ${s.text}: more than 6 arguments`);
    if (n > 0) writeWord(mem, callSp + 8 + args[0]!.off, args[0]!.size, a0);
    if (n > 1) writeWord(mem, callSp + 8 + args[1]!.off, args[1]!.size, a1);
    if (n > 2) writeWord(mem, callSp + 8 + args[2]!.off, args[2]!.size, a2);
    if (n > 3) writeWord(mem, callSp + 8 + args[3]!.off, args[3]!.size, a3);
    if (n > 4) writeWord(mem, callSp + 8 + args[4]!.off, args[4]!.size, a4);
    if (n > 5) writeWord(mem, callSp + 8 + args[5]!.off, args[5]!.size, a5);
  }

  private enter(target: number, callSp: number): void {
    const e = this.engine;
    // Go's ABI0-to-ABIInternal wrappers load the g register from TLS: the
    // callee (mcall, say) may read R14, which the program may have used
    // for anything (ABI0 code keeps no g there).
    const fs = e.getRegN(REG_FS_BASE);
    if (fs !== 0) e.setRegN(R14, this.mem.ptr(fs + TLS_G_OFFSET));
    e.setRegN(RSP, callSp);
    e.setRegN(REG_RIP, target);
  }

  /**
   * The host frame that a return address in the host region belongs to,
   * given SP just above it (where RET would leave SP): for tracebacks and
   * the debugger.
   */
  frameOfReturn(pc: number, sp: number): HostFrame | undefined {
    const r = this.resumeDefAt(pc);
    if (r !== undefined) return { name: r.fn.name, frameSp: this.resumeFrameSp(r, (pc - RESUME_BASE) % 16, sp) };
    const s = this.tokens.get(pc);
    if (s !== undefined) return { name: s.h.fn.name, frameSp: s.h.frameSp };
    return undefined;
  }

  /**
   * For a debugger's unwinder (gdb's CFI): how far above SP — where RET of
   * a callee leaves it, just above a return address into the host region —
   * the host frame's CFA is (its frame SP + 8). Undefined for an address
   * that is no return address.
   */
  cfaOffsetOfReturn(pc: number): number | undefined {
    const r = this.resumeDefAt(pc);
    if (r !== undefined) return this.resumeFrameSp(r, (pc - RESUME_BASE) % 16, 0) + 8;
    const s = this.tokens.get(pc);
    return s === undefined ? undefined : s.h.frameSp - s.callSp;
  }

  /**
   * copystack's hook: a goroutine stack [lo, hi) moved by delta bytes. Every
   * generator suspended with its frame on that stack (runtime.main waiting
   * for main.main to return) moves with it. Resume points need nothing: their
   * frame is found from SP. Returns how many frames moved.
   */
  moveFrames(lo: number, hi: number, delta: number): number {
    let n = 0;
    for (const s of this.tokens.values()) {
      if (s.h.frameSp >= lo && s.h.frameSp < hi) {
        s.h.frameSp += delta;
        s.callSp += delta;
        n++;
      }
    }
    return n;
  }

  /** Name of a host address: a function (either entry), a resume point, or a continuation token of one. */
  nameAt(addr: number): string | undefined {
    if (addr >= HOST_BASE && addr < RESUME_BASE && (addr - HOST_BASE) % ABI_INTERNAL === 0) {
      return this.table.fns[Math.floor((addr - HOST_BASE) / 16)]?.name;
    }
    const r = this.resumeDefAt(addr);
    if (r !== undefined) return `${r.name}`;
    const s = this.tokens.get(addr);
    return s ? `${s.h.fn.name} (continuation)` : undefined;
  }

  /** The host function an address is an entry of, ABI0 or ABIInternal (not a resume point or token). */
  fnAt(addr: number): HostFnDef<C> | undefined {
    if (addr < HOST_BASE || addr >= RESUME_BASE || (addr - HOST_BASE) % ABI_INTERNAL !== 0) return undefined;
    return this.table.fns[Math.floor((addr - HOST_BASE) / 16)];
  }

  /** The kernel's host-call handler: RIP is at `addr` on thread t. */
  onHostCall(t: Thread, addr: number): void {
    this.calls++;
    const sp = this.engine.getRegN(RSP);
    if (addr < RESUME_BASE) {
      const k = addr - HOST_BASE;
      const def = addr >= HOST_BASE && k % ABI_INTERNAL === 0 ? this.table.fns[Math.floor(k / 16)] : undefined;
      if (def === undefined) throw new HostFault(addr, "no host function here");
      const h = this.cur;
      h.fn = def;
      h.thread = t;
      h.frameSp = sp;
      h.regabi = k % 16 === ABI_INTERNAL;
      h.extra = 0;
      h.pendingSig = undefined;
      if (h.regabi) this.spillArgs(def.sig, sp);
      this.settle(h, this.run(def.impl, h));
      return;
    }
    const r = this.resumeDefAt(addr);
    if (r !== undefined) {
      const k = (addr - RESUME_BASE) % 16;
      if ((k & 3) !== 0) throw new HostFault(addr, "not a resume point");
      const h = this.cur;
      h.fn = r.fn;
      h.thread = t;
      h.pendingSig = undefined;
      h.regabi = (k & RESUME_REGABI) !== 0;
      h.frameSp = this.resumeFrameSp(r, k, sp);
      h.returned(sp, r.callSig);
      this.settle(h, this.run(r.impl, h));
      return;
    }
    const s = this.tokens.get(addr);
    if (s === undefined) throw new HostFault(addr, "a stale continuation (resumed twice?)");
    this.tokens.delete(addr);
    this.freeTokens.push(addr);
    // The callee returned (RET popped the token) or gogo resumed us: SP is
    // just above the token; the results follow the arguments.
    s.h.thread = t;
    s.h.returned(sp, s.callSig);
    this.drive(s.gen, s.h);
  }

  private run(impl: HostImpl<C>, h: HostCall<C>): HostResult {
    this.activeFn = h.fn;
    this.activeFrameSp = h.frameSp;
    try {
      return impl(this.ctx, h);
    } catch (e) {
      throw this.asFault(e, h);
    } finally {
      this.activeFn = undefined;
    }
  }

  /**
   * A host function that touched memory that is not mapped, or took a bad
   * word for a pointer, faults as Go's runtime code would (GoFault), at its
   * own address; anything else goes up as it is.
   */
  private asFault(e: unknown, h: HostCall<C>): unknown {
    if (e instanceof EngineMemoryError) return new GoFault(BigInt.asUintN(64, BigInt(Math.trunc(e.addr))), this.table.resolve(h.fn.name) ?? 0);
    if (e instanceof BadWord) return new GoFault(e.value, this.table.resolve(h.fn.name) ?? 0);
    return e;
  }

  /** What a plain activation returned: done (RET), a request already set up, or a generator to drive. */
  private settle(h: HostCall<C>, r: HostResult): void {
    if (r === undefined) {
      this.finish(h);
      return;
    }
    if (r === CALLED || r === JUMPED) return;
    // A generator: it owns h from now on.
    this.cur = new HostCall(this);
    this.drive(r as HostGen, h);
  }

  private drive(gen: HostGen, h: HostCall<C>): void {
    this.activeFn = h.fn;
    this.activeFrameSp = h.frameSp;
    let res: IteratorResult<Req, void | Req>;
    try {
      res = gen.next();
    } catch (e) {
      throw this.asFault(e, h);
    } finally {
      this.activeFn = undefined;
    }
    if (res.done) {
      // JUMPED: gone for good; CALLED: a resume point (callThen) takes over.
      if (res.value === JUMPED) return;
      if (res.value === CALLED) {
        if (h.pendingSig !== undefined) throw new Error(`bridge: ${h.fn.name} returned h.call(); yield it`);
        return;
      }
      this.finish(h);
      return;
    }
    if (res.value !== CALLED) {
      if (res.value === JUMPED) throw new Error(`bridge: ${h.fn.name} yielded a jump; return it`);
      throw new Error(`bridge: ${h.fn.name} yielded ${String(res.value)}`);
    }
    const ret = this.freeTokens.pop() ?? this.nextToken++;
    if (ret >= HOST_BASE + HOST_SIZE) throw new Error("bridge: out of continuation tokens");
    this.tokens.set(ret, { gen, h, callSig: this.lastCallSig(h), callSp: h.pendingRet });
    this.mem.setPtr(h.pendingRet, ret);
  }

  /** The signature of h's pending call: it says where the results are when it returns. */
  private lastCallSig(h: HostCall<C>): Sig {
    const s = h.pendingSig;
    if (s === undefined) throw new Error(`bridge: ${h.fn.name}: no call to suspend on`);
    h.pendingSig = undefined;
    return s;
  }

  /** RET: the results are in the frame (ABI0) or go to registers (ABIInternal); pop the return address. */
  private finish(h: HostCall<C>): void {
    const e = this.engine;
    if (h.regabi) this.loadResults(h);
    e.setRegN(REG_RIP, this.mem.ptr(h.frameSp));
    e.setRegN(RSP, h.frameSp + 8);
  }

  /**
   * ABIInternal entry: the argument registers go to the spill area above
   * the return address, which the caller reserved and which is laid out as
   * ABI0's arguments are.
   */
  private spillArgs(s: Sig, sp: number): void {
    const e = this.engine, mem = this.mem;
    let ni = 0, nf = 0;
    for (const a of s.args) {
      const at = sp + 8 + a.off;
      if (a.float) {
        mem.setBytes(at, e.getXmm(nf++).subarray(0, 8));
        continue;
      }
      const r = REGABI_INT[ni++];
      if (r === undefined) throw new Error(`bridge: ${s.text}: more integer arguments than registers`);
      if (a.size === 8) {
        const v = e.getRegN(r);
        if (v < 2 ** 53) mem.setWord(at, v);
        else mem.setU64(at, e.getReg(r));
      } else {
        const n = e.getRegN(r);
        const v = n < 2 ** 53 ? n % 0x1_0000_0000 : Number(e.getReg(r) & 0xffff_ffffn);
        writeWord(mem, at, a.size, a.size === 1 ? v & 0xff : v);
      }
    }
  }

  /** ABIInternal return: results from the result area into their registers; R14 = g (from TLS). */
  private loadResults(h: HostCall<C>): void {
    const e = this.engine, mem = this.mem;
    const s = h.fn.sig;
    const base = h.frameSp - h.fn.locals - s.retArea - s.retStart;
    let ni = 0, nf = 0;
    for (const r of s.rets) {
      const at = base + r.off;
      if (r.float) {
        const x = new Uint8Array(16);
        x.set(mem.bytes(at, 8));
        e.setXmm(nf++, x);
        continue;
      }
      const reg = REGABI_INT[ni++]!;
      if (r.size === 8) {
        if (mem.u32(at + HIGH_HALF) < 0x20_0000) e.setRegN(reg, mem.word(at));
        else e.setReg(reg, mem.u64(at));
      } else {
        e.setRegN(reg, r.size === 4 ? mem.u32(at) : mem.u8(at));
      }
    }
    const fs = e.getRegN(REG_FS_BASE);
    if (fs !== 0) e.setRegN(R14, mem.ptr(fs + TLS_G_OFFSET));
  }
}

/** Runs a HostResult to its end inside a generator: `return yield* finish(r)`. */
export function* finish(r: HostResult): HostGen {
  if (r === undefined || r === CALLED || r === JUMPED) return r;
  return yield* (r as HostGen);
}

/** A HostGen<void> | undefined run to its end inside a generator. */
export function* maybe(g: HostGen<void> | undefined): HostGen<void> {
  if (g !== undefined) yield* g;
}

/** RIP reached the host region where nothing lives: a wild jump or return. */
export class HostFault extends Error {
  constructor(readonly addr: number, why: string) {
    super(`jump to host address 0x${addr.toString(16)}: ${why}`);
  }
}
