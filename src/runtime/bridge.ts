// The bridge between machine code and the runtime written in TypeScript.
//
// A host function is a runtime function with no machine code: the linker
// gives its symbol (`runtime.schedule`, `runtime.newproc` ...) an address on
// the host region, and when a thread's RIP reaches that address the engine
// stops and the bridge runs the TypeScript function instead. It is called
// exactly like an ABI0 function: the return address at 0(SP), arguments
// from 8(SP) up, results after the arguments; it returns by popping the
// return address into RIP, as RET would.
//
// Host functions are generators, because the real ones call back into
// machine code: `gopark` calls `mcall(park_m)` and continues only when
// some later `gogo` resumes its goroutine, perhaps on another thread;
// `notesleep` calls the `runtime·futex` stub, whose SYSCALL blocks the
// thread in the kernel. A generator yields a request:
//
//   call  — call machine code: the bridge writes the arguments below the
//           host function's frame, pushes a *continuation token* as the
//           return address (a fresh address in the host region), and jumps.
//           When RIP reaches the token — by RET, or by gogo restoring a
//           gobuf whose pc is the token, on whichever thread — the bridge
//           resumes the generator with the callee's results.
//   jump  — transfer control for good (execute → gogo): the generator and
//           its frame are abandoned, as the Go function's frame is.
//
// A token is a real return address in emulated memory: mcall saves it in
// g.sched.pc, a traceback sees it, and the debugger can name it. Tokens are
// recycled once resumed.
//
// Argument frames follow ABI0 for the types used here, written as a
// signature string: `p` an 8-byte word, `i` a 4-byte word; arguments, then
// `:` and results. Each is aligned to its size, results start 8-aligned
// (Go's rules), so `futex` is "p i i p p i : i" with its result at +40.
//
// Invariants: a host function runs without interruption until it yields or
// returns (the kernel switches threads only between engine runs); a token is
// resumed at most once; an address in the host region that is neither a
// function nor a live token is a fatal error, never a silent return.
//
// Rejected: snapshotting generator state (JavaScript cannot), so a
// machine snapshot while host frames are suspended is not restorable by
// itself; reverse execution goes through deterministic replay instead.

import { PROT_READ, PROT_EXEC, PROT_WRITE, REG_FS_BASE, REG_RIP, regId, type Engine } from "../engine/engine.ts";
import type { Thread } from "../os/kernel.ts";

/** The host region: functions first, then continuation tokens. Within rel32 of the text. */
export const HOST_BASE = 0x7f00_0000;
export const HOST_FUNCS = 0x1_0000; // 4096 functions, 16 bytes apart
export const HOST_SIZE = 0x100_0000;
const TOKEN_BASE = HOST_BASE + HOST_FUNCS;

export type HostReq =
  | { kind: "call"; addr: number; sig: string; args: readonly bigint[]; regs?: Readonly<Record<number, bigint>> }
  | { kind: "jump"; addr: number; sig: string; args: readonly bigint[]; regs?: Readonly<Record<number, bigint>>; sp?: number };

/** What a host function is: a plain function or a generator over requests. */
export type HostGen = Generator<HostReq, readonly bigint[] | void, readonly bigint[]>;
export type HostImpl = (h: HostCall) => HostGen | readonly bigint[] | void;

interface Slot { off: number; size: 4 | 8 }
interface Layout { args: Slot[]; rets: Slot[]; size: number }

const layouts = new Map<string, Layout>();

/** ABI0 frame layout of a signature like "p i : i". */
export function frameLayout(sig: string): Layout {
  const hit = layouts.get(sig);
  if (hit) return hit;
  const [a = "", r = ""] = sig.split(":");
  let off = 0;
  const slots = (s: string): Slot[] => s.trim().split(/\s+/).filter(Boolean).map((k) => {
    const size: 4 | 8 = k === "i" ? 4 : k === "p" ? 8 : badSig(sig);
    off = Math.ceil(off / size) * size;
    const slot: Slot = { off, size };
    off += size;
    return slot;
  });
  const args = slots(a);
  off = Math.ceil(off / 8) * 8;
  const rets = slots(r);
  const l = { args, rets, size: Math.ceil(off / 8) * 8 };
  layouts.set(sig, l);
  return l;
}

function badSig(sig: string): never {
  throw new Error(`bridge: bad signature "${sig}"`);
}

interface HostFn {
  name: string;
  addr: number;
  sig: string;
  impl: HostImpl;
}

interface Suspension {
  gen: HostGen;
  fn: HostFn;
  /** SP of the host function's frame (its return address is at frameSp). */
  frameSp: number;
  callSig: string;
  /** The function's view of its call, whose sp moves with frameSp. */
  h: HostCall | undefined;
}

/** The view a host function has of its call. */
export class HostCall {
  constructor(
    readonly bridge: Bridge,
    readonly thread: Thread,
    readonly name: string,
    /** Arguments, as read from the frame. */
    readonly args: readonly bigint[],
    /**
     * SP at entry: the return address is at sp, arguments at sp+8. Not
     * readonly: when the goroutine's stack is copied (copystack), the
     * bridge moves it with the frame (Bridge.moveFrames).
     */
    public sp: number,
  ) {}
  get engine(): Engine { return this.bridge.engine; }
  /** The caller's PC (the return address). */
  get pc(): number { return Number(this.engine.readU64(this.sp)); }
  /** A request to call machine code at a symbol or address; yield it to get the results. */
  call(target: string | number, sig: string, args: readonly bigint[], regs?: Record<number, bigint>): HostReq {
    const r: HostReq = { kind: "call", addr: this.bridge.addrOf(target), sig, args };
    if (regs) r.regs = regs;
    return r;
  }
  /** A request to transfer control for good. */
  jump(target: string | number, sig: string, args: readonly bigint[], regs?: Record<number, bigint>, sp?: number): HostReq {
    const r: HostReq = { kind: "jump", addr: this.bridge.addrOf(target), sig, args };
    if (regs) r.regs = regs;
    if (sp !== undefined) r.sp = sp;
    return r;
  }
}

export class Bridge {
  private readonly byName = new Map<string, HostFn>();
  private readonly byAddr = new Map<number, HostFn>();
  private readonly tokens = new Map<number, Suspension>();
  private readonly freeTokens: number[] = [];
  private nextToken = TOKEN_BASE;
  /** Addresses of machine-code symbols, for call requests by name. */
  symbols: (name: string) => number | undefined = () => undefined;
  /** Host calls made (for statistics and traces). */
  calls = 0;
  /** The host function running now and its frame SP, for tracebacks of a throw. */
  active: { name: string; frameSp: number } | undefined;

  constructor(readonly engine: Engine) {}

  /** Declares a host function. Its address is fixed by declaration order. */
  define(name: string, sig: string, impl: HostImpl): void {
    if (this.byName.has(name)) throw new Error(`bridge: ${name} defined twice`);
    const addr = HOST_BASE + 16 * this.byName.size;
    if (addr >= TOKEN_BASE) throw new Error("bridge: too many host functions");
    const fn = { name, addr, sig, impl };
    this.byName.set(name, fn);
    this.byAddr.set(addr, fn);
  }

  has(name: string): boolean { return this.byName.has(name); }

  /** The argument words of host function `name` in a frame whose return address is at frameSp. */
  argWords(name: string, frameSp: number, read: (addr: number, size: 4 | 8) => bigint): bigint[] {
    const fn = this.byName.get(name);
    if (!fn) return [];
    return frameLayout(fn.sig).args.map((a) => read(frameSp + 8 + a.off, a.size));
  }

  /** The linker's resolver for undefined symbols. */
  resolve = (name: string): number | undefined => this.byName.get(name)?.addr;

  addrOf(target: string | number): number {
    if (typeof target === "number") return target;
    const a = this.symbols(target) ?? this.byName.get(target)?.addr;
    if (a === undefined) throw new Error(`bridge: no symbol ${target}`);
    return a;
  }

  /** The suspended host frame a continuation token belongs to. */
  suspension(addr: number): { name: string; frameSp: number } | undefined {
    const s = this.tokens.get(addr);
    return s ? { name: s.fn.name, frameSp: s.frameSp } : undefined;
  }

  /**
   * copystack's hook: a goroutine stack [lo, hi) moved by delta bytes. Every
   * suspended host frame on it (a host function that called into machine
   * code on that goroutine, as runtime.main calls main.main) moves with it:
   * its frameSp, where it returns and where its next call's frame goes, and
   * its HostCall's sp. Returns how many frames moved. A host function must
   * not keep other stack addresses in its locals across a call: those are
   * not found here.
   */
  moveFrames(lo: number, hi: number, delta: number): number {
    let n = 0;
    for (const s of this.tokens.values()) {
      if (s.frameSp >= lo && s.frameSp < hi) {
        s.frameSp += delta;
        n++;
      }
      if (s.h && s.h.sp >= lo && s.h.sp < hi) s.h.sp += delta;
    }
    return n;
  }

  /** Name of a host address: a function, or a continuation token of one. */
  nameAt(addr: number): string | undefined {
    const f = this.byAddr.get(addr);
    if (f) return f.name;
    const s = this.tokens.get(addr);
    return s ? `${s.fn.name} (continuation)` : undefined;
  }

  /** Maps the host region (INT3-filled, so that executing it by mistake traps) and declares it to the engine. */
  install(): void {
    const e = this.engine;
    e.map(HOST_BASE, HOST_SIZE, PROT_READ | PROT_WRITE);
    e.write(HOST_BASE, new Uint8Array(HOST_FUNCS).fill(0xcc));
    e.protect(HOST_BASE, HOST_SIZE, PROT_READ | PROT_EXEC);
    e.setHostRange(HOST_BASE, HOST_BASE + HOST_SIZE);
  }

  /** The kernel's host-call handler: RIP is at `addr` on thread t. */
  onHostCall(t: Thread, addr: number): void {
    this.calls++;
    const e = this.engine;
    const sp = Number(e.getReg(4));
    const s = this.tokens.get(addr);
    if (s) {
      this.tokens.delete(addr);
      this.freeTokens.push(addr);
      // The callee returned (RET popped the token) or gogo resumed us: SP is
      // just above the token; the results follow the arguments.
      const l = frameLayout(s.callSig);
      const rets = l.rets.map((r) => this.readSlot(sp + r.off, r.size));
      this.drive(t, s.gen, s.fn, s.frameSp, rets, s.h);
      return;
    }
    const fn = this.byAddr.get(addr);
    if (!fn) throw new HostFault(addr, addr >= TOKEN_BASE ? "a stale continuation (resumed twice?)" : "no host function here");
    const l = frameLayout(fn.sig);
    const args = l.args.map((a) => this.readSlot(sp + 8 + a.off, a.size));
    const h = new HostCall(this, t, fn.name, args, sp);
    this.active = { name: fn.name, frameSp: sp };
    const r = fn.impl(h);
    this.active = undefined;
    if (r && typeof (r as HostGen).next === "function") this.drive(t, r as HostGen, fn, sp, [], h);
    else this.finish(fn, sp, (r as readonly bigint[] | undefined) ?? []);
  }

  private drive(t: Thread, gen: HostGen, fn: HostFn, frameSp: number, input: readonly bigint[], h: HostCall | undefined): void {
    const e = this.engine;
    this.active = { name: fn.name, frameSp };
    const res = gen.next(input);
    this.active = undefined;
    if (res.done) {
      this.finish(fn, frameSp, res.value ?? []);
      return;
    }
    const req = res.value;
    const l = frameLayout(req.sig);
    // The callee's frame goes below the host function's own (whose return
    // address is at frameSp), 16-byte aligned for the callee's comfort.
    const top = req.kind === "jump" && req.sp !== undefined ? req.sp : frameSp;
    const callSp = Math.floor((top - l.size) / 16) * 16 - 8;
    let ret = 0;
    if (req.kind === "call") {
      ret = this.freeTokens.pop() ?? this.nextToken++;
      if (ret >= HOST_BASE + HOST_SIZE) throw new Error("bridge: out of continuation tokens");
      this.tokens.set(ret, { gen, fn, frameSp, callSig: req.sig, h });
    }
    e.writeU64(callSp, BigInt(ret));
    l.args.forEach((a, i) => this.writeSlot(callSp + 8 + a.off, a.size, req.args[i] ?? 0n));
    // Go's ABI0-to-ABIInternal wrappers load the g register from TLS: the
    // callee (mcall, say) may read R14, which the program may have used
    // for anything (ABI0 code keeps no g there).
    const fs = Number(e.getReg(REG_FS_BASE));
    if (fs !== 0) e.setReg(14, e.readU64(fs - 8));
    for (const [r, v] of Object.entries(req.regs ?? {})) e.setReg(regId(Number(r)), v);
    e.setReg(4, BigInt(callSp));
    e.setReg(REG_RIP, BigInt(req.addr));
    void t;
  }

  private finish(fn: HostFn, frameSp: number, rets: readonly bigint[]): void {
    const e = this.engine;
    const l = frameLayout(fn.sig);
    l.rets.forEach((r, i) => this.writeSlot(frameSp + 8 + r.off, r.size, rets[i] ?? 0n));
    e.setReg(REG_RIP, e.readU64(frameSp));
    e.setReg(4, BigInt(frameSp + 8));
  }

  private readSlot(addr: number, size: 4 | 8): bigint {
    if (size === 8) return this.engine.readU64(addr);
    return BigInt(new DataView(this.engine.read(addr, 4).buffer).getUint32(0, true));
  }

  private writeSlot(addr: number, size: 4 | 8, v: bigint): void {
    if (size === 8) return this.engine.writeU64(addr, v);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, Number(BigInt.asUintN(32, v)), true);
    this.engine.write(addr, b);
  }
}

/** RIP reached the host region where nothing lives: a wild jump or return. */
export class HostFault extends Error {
  constructor(readonly addr: number, why: string) {
    super(`jump to host address 0x${addr.toString(16)}: ${why}`);
  }
}
