// A GDB remote stub for the emulated machine (`gmpemu gdb FILE.s --port P`).
//
// What it does. The stub speaks gdb's Remote Serial Protocol over TCP on
// 127.0.0.1: packet framing with acks until gdb asks for QStartNoAckMode,
// qSupported, the amd64 target description (core, sse, linux and segments
// features, so `info registers fs_base` works), register reads and writes
// (g/G/p/P) mapped from gdb's numbering (rax rbx rcx rdx …) to the engine's
// hardware numbering (rax rcx rdx rbx …), memory (m/M, E14 on an unmapped
// address, a short reply for a read that runs off mapped memory), software
// breakpoints (Z0/Z1) and write watchpoints (Z2), continue and single-step
// (c, s, C, S, vCont), the 0x03 interrupt, detach/kill, and monitor
// commands (qRcmd: `monitor goroutines`, `monitor g N`, `monitor bt`,
// src/gdb/monitor.ts). Breakpoints never patch memory: while any breakpoint
// or watchpoint is set, `continue` runs the machine one instruction at a
// time (Kernel.stepOnce) and compares RIP with the breakpoint set and each
// watched range with its last contents after every instruction; with none
// set it runs the kernel in chunks (Kernel.run) at full speed. Every few
// thousand single steps the kernel picks the next thread as its scheduler
// would (Kernel.requestSwitch, waking sleepers whose time has come), so
// that a thread spinning for another, or sysmon asleep while main spins,
// is not starved (stepOnce itself only switches when the current thread
// blocks). The end of the program is
// `W xx` with its exit status; a runtime throw or panic ends it with W02
// after printing Go's message; any other error out of the machine ends it
// with W01 and one line on stderr, as `gmpemu run` would exit 1.
//
// Hostile input. A client is untrusted: every packet is parsed strictly
// (hex digits, lengths, register sizes, thread ids), a malformed one is
// answered E01 and an unknown one with the empty reply (as gdbserver does),
// and the session goes on; an exception inside the stub is reported on
// stderr and answered E01, never a stack trace or a dropped session. A
// damaged packet (bad checksum or escape, or cut short by the next "$") gets
// "-" while acks are on, so gdb resends it, and E01 in no-ack mode, where
// gdb waits for an answer. The parser holds at most PACKET_SIZE bytes
// (advertised as PacketSize); a longer packet is skipped as it arrives and
// answered E01. Replies are bounded too: m reads at most what fits in a
// packet, qXfer slices, thread lists page, monitor output goes out in O
// packets. A client that queues more than MAX_QUEUE packets while the
// machine runs is disconnected.
//
// Clients (startGdbServer). One gdb at a time: a second connection is
// accepted and closed at once, with a line on stderr. After a detach the
// program runs on, as under gdbserver, and a new gdb may attach: its
// connection stops the machine where it is. After a hang-up (gdb gone, or
// its `disconnect`) the machine waits, stopped, for the next gdb. `kill`
// ends the stub, as gdbserver exits; so does the program's end once no gdb
// is attached. `once` (the CLI's --once) serves the first connection only.
//
// Host frames. The runtime's functions written in TypeScript have no code;
// the ELF describes their frames with call frame information
// (src/gdb/cfi.ts) whose rule for a suspended host function asks the stub,
// through reads of a table at HOSTFRAME_TABLE that no guest can map, where
// that frame is; the stub answers from the bridge. gdb sees the host
// region's bytes as NOPs (hostAsNops).
//
// Threads. Every kernel thread is a gdb thread and its gdb thread id is its
// kernel tid (1000, 1001, …). A kernel thread is an M (or sysmon), so
// `info threads` lists Ms; qThreadExtraInfo names the M and the goroutine it
// is running, read from the runtime's own structures (monitor.ts). Registers
// of the thread loaded in the engine come from the engine; another thread's
// come from the kernel's saved state (Thread.regs, Thread.xmm), and writes
// go there too. Hg selects the thread for register access; Hc and
// vCont;s:TID choose the thread a step runs on (if it can run).
//
// Left out: x87 state (st0-7, fctrl…) and mxcsr read as zero and ignore
// writes, as do the segment selectors and orig_rax; gs_base of a thread not
// loaded in the engine reads as zero (the kernel does not save it). No
// non-stop mode, no multiprocess or extended-remote mode, no hardware
// read/access watchpoints (Z3/Z4), no binary memory writes (X; gdb falls
// back to M), no qXfer:threads, no reverse execution. Goroutines are not gdb
// threads: a goroutine that is not running has no thread to show; `monitor
// goroutines` and `monitor g N` show them. Stepping with breakpoints set
// changes the thread interleaving from what `gmpemu run` with the same seed
// would do.

import { createServer, type Server, type Socket } from "node:net";
import type { Machine } from "../node/boot.ts";
import type { Thread, Exit } from "../os/kernel.ts";
import { REG_RIP, regId } from "../engine/engine.ts";
import { GoThrow } from "../runtime/panic.ts";
import { HOST_BASE } from "../runtime/bridge.ts";
import { HOST_END, HOSTFRAME_TABLE, HOSTFRAME_TABLE_END, hostFrameTableRead } from "./cfi.ts";
import { monitor, threadInfo, type RegsOf } from "./monitor.ts";
import {
  GDB_REGS, PACKET_SIZE, PacketParser, bytesToHex, frame, hexToBytes, isHexBytes, leHex, leHexToBigint, targetXml, xferSlice, type GdbReg,
} from "./rsp.ts";

/** Instructions between checks for gdb's interrupt (and event-loop turns). */
const CHUNK = 20_000;
/** Single steps before the continue loop lets the kernel pick a thread again (Kernel.requestSwitch). */
const ROTATE = 5_000;
/** The most bytes one `m` reply carries: its hex must fit in a packet. */
const MAX_READ = (PACKET_SIZE - 4) >> 1;
/** Watchpoints are compared after every instruction: at most this many, each at most this long. */
const MAX_WATCHPOINTS = 64, MAX_WATCH_LEN = 4096;
/** Packets a client may queue while the machine runs before it is dropped. */
const MAX_QUEUE = 1024;
/** Reply bytes a client may leave unread before the stub waits for it. */
const MAX_UNREAD = 1 << 20;
/** Thread ids per qfThreadInfo / qsThreadInfo reply. */
const THREADS_PER_REPLY = 256;
/** Console output bytes per `O` packet. */
const OUTPUT_CHUNK = (PACKET_SIZE - 16) >> 1;

/** The largest address an emulated access can reach (the engines take numbers). */
const MAX_ADDR = BigInt(Number.MAX_SAFE_INTEGER);

const HEXNUM = /^[0-9a-fA-F]{1,16}$/;
/** A hex number of at most 16 digits, as a bigint, or undefined. */
function hexBig(s: string | undefined): bigint | undefined {
  return s !== undefined && HEXNUM.test(s) ? BigInt("0x" + s) : undefined;
}
/** A hex number no larger than max, or undefined. */
function hexNum(s: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = hexBig(s);
  return v !== undefined && v <= BigInt(max) ? Number(v) : undefined;
}
/** A thread id: -1 (all), 0 (any) or a hex tid; undefined when malformed. */
function threadId(s: string): number | undefined {
  if (s === "-1") return -1;
  return hexNum(s, 0x7fffffff);
}

export interface GdbServerOptions {
  port: number;
  host?: string;
  /** Protocol trace (each packet in and out). */
  log?: (line: string) => void;
  /** The stub's own messages (a connection refused, a session's end); stderr by default. */
  notice?: (line: string) => void;
  /** Serve one gdb only: stop listening once it connects, and end when it leaves (gdbserver's --once). */
  once?: boolean;
}

/** Why a resume ended. */
type StopInfo =
  | { kind: "signal"; sig: number; thread: Thread | undefined; extra?: string }
  | { kind: "exit"; code: number };

/** How a gdb session ended. */
export type SessionEnd = "detach" | "kill" | "hangup";

const stderrNotice = (line: string): void => { process.stderr.write(line + "\n"); };

export class GdbStub {
  readonly breakpoints = new Set<number>();
  readonly watchpoints = new Map<number, { len: number; old: Uint8Array | undefined }>();
  private gThread: number | undefined;
  private cThread: number | undefined;
  private noAck = false;
  private exited: number | undefined;
  private interrupted = false;
  /** gdb's ^C that came before the resume it was meant for had started (both in one read). */
  private pendingInterrupt = false;
  private running: Promise<StopInfo> | undefined;
  private lastStop: StopInfo | undefined;
  /** Threads not yet listed by qsThreadInfo. */
  private threadsLeft: Thread[] = [];
  /** Console output (O packets) to send before the next reply. */
  private output: string[] = [];
  /** Set by D, k and vKill: the session ends after the reply. */
  private ending: "detach" | "kill" | undefined;

  constructor(
    readonly m: Machine,
    private readonly log: (line: string) => void = () => {},
    private readonly notice: (line: string) => void = stderrNotice,
  ) {}

  // --- threads -------------------------------------------------------------

  private alive(): Thread[] {
    return this.m.kernel.threads.filter((t) => t.state !== "exited");
  }

  private thread(tid: number | undefined): Thread | undefined {
    if (tid === undefined || tid <= 0) return this.current();
    return this.m.kernel.threads.find((t) => t.tid === tid && t.state !== "exited");
  }

  /** The thread gdb sees as current: the one loaded in the engine, else the first alive. */
  current(): Thread | undefined {
    const k = this.m.kernel;
    if (k.cur && k.cur.state !== "exited") return k.cur;
    return this.alive()[0];
  }

  /** A thread's registers for the monitor's stack walks. */
  private readonly regsOf: RegsOf = (t) => ({
    pc: Number(this.regValue(t, { kind: "reg", id: REG_RIP })),
    sp: Number(this.regValue(t, { kind: "reg", id: 4 })),
    bp: Number(this.regValue(t, { kind: "reg", id: 5 })),
    fs: Number(this.regValue(t, { kind: "reg", id: 18 })),
  });

  /** The runtime's view of a thread: its M and that M's goroutine. */
  threadInfo(t: Thread): string {
    return threadInfo(this.m, t, this.regsOf);
  }

  // --- registers -----------------------------------------------------------

  private regValue(t: Thread, src: GdbReg["src"]): bigint {
    const loaded = this.m.kernel.cur === t;
    const e = this.m.engine;
    switch (src.kind) {
      case "zero": return 0n;
      case "reg":
        if (loaded) return e.getReg(regId(src.id));
        return t.regs[src.id] ?? 0n;
      case "xmm": {
        const b = loaded ? e.getXmm(src.index) : t.xmm[src.index]!;
        let v = 0n;
        for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        return v;
      }
    }
  }

  private setRegValue(t: Thread, src: GdbReg["src"], v: bigint): void {
    const loaded = this.m.kernel.cur === t;
    const e = this.m.engine;
    switch (src.kind) {
      case "zero": return;
      case "reg":
        if (loaded) e.setReg(regId(src.id), v);
        else if (src.id < t.regs.length) t.regs[src.id] = BigInt.asUintN(64, v);
        return;
      case "xmm": {
        const b = new Uint8Array(16);
        let x = BigInt.asUintN(128, v);
        for (let i = 0; i < 16; i++) { b[i] = Number(x & 0xffn); x >>= 8n; }
        if (loaded) e.setXmm(src.index, b);
        else t.xmm[src.index] = b;
        return;
      }
    }
  }

  readRegister(t: Thread, n: number): string {
    const r = GDB_REGS[n]!;
    return leHex(this.regValue(t, r.src), r.bits / 8);
  }

  // --- memory --------------------------------------------------------------

  private tryRead(addr: number, len: number): Uint8Array | undefined {
    try { return this.m.engine.read(addr, len); } catch { return undefined; }
  }

  /**
   * Up to len bytes at addr: as many as are readable from the start, page
   * by page (gdb takes a short reply as a partial read), or undefined.
   */
  private readPrefix(addr: bigint, len: number): Uint8Array | undefined {
    if (addr >= HOSTFRAME_TABLE && addr < HOSTFRAME_TABLE_END) {
      const n = Number(BigInt(len) < HOSTFRAME_TABLE_END - addr ? BigInt(len) : HOSTFRAME_TABLE_END - addr);
      return hostFrameTableRead(addr, n, (pc) => this.m.bridge.cfaOffsetOfReturn(pc));
    }
    if (addr + BigInt(len) > MAX_ADDR) return undefined;
    const a = Number(addr);
    const whole = this.tryRead(a, len);
    if (whole) return this.hostAsNops(a, whole);
    const parts: Uint8Array[] = [];
    let at = a, n = 0;
    while (n < len) {
      const step = Math.min(len - n, 0x1000 - (at % 0x1000));
      const b = this.tryRead(at, step);
      if (!b) break;
      parts.push(b);
      at += step;
      n += step;
    }
    if (n === 0) return undefined;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return this.hostAsNops(a, out);
  }

  /**
   * The host region as gdb sees it: NOPs. Its real filler is INT3 (so that
   * running it by mistake traps), which gdb takes for a breakpoint compiled
   * into the program: stepping from a host function it would skip the INT3
   * by setting RIP one byte on, into no function at all.
   */
  private hostAsNops(addr: number, b: Uint8Array): Uint8Array {
    const lo = Math.max(addr, HOST_BASE), hi = Math.min(addr + b.length, HOST_END);
    if (lo < hi) b.fill(0x90, lo - addr, hi - addr);
    return b;
  }

  // --- running -------------------------------------------------------------

  private stopReply(s: StopInfo): string {
    if (s.kind === "exit") return `W${(s.code & 0xff).toString(16).padStart(2, "0")}`;
    const t = s.thread ?? this.current();
    return `T${s.sig.toString(16).padStart(2, "0")}${t ? `thread:${t.tid.toString(16)};` : ""}${s.extra ?? ""}`;
  }

  private snapshotWatch(): void {
    for (const [addr, w] of this.watchpoints) w.old = this.tryRead(addr, w.len);
  }

  /** A watchpoint whose memory changed, updating the saved contents. */
  private watchHit(): number | undefined {
    let hit: number | undefined;
    for (const [addr, w] of this.watchpoints) {
      const now = this.tryRead(addr, w.len);
      const changed = now === undefined || w.old === undefined ? now !== w.old : now.some((b, i) => b !== w.old![i]);
      w.old = now;
      if (changed && hit === undefined) hit = addr;
    }
    return hit;
  }

  /** The machine's end as a stop, or undefined to go on. */
  private ended(x: Exit | undefined): StopInfo | undefined {
    if (!x) return undefined;
    switch (x.kind) {
      case "exit": this.exited = x.code; return { kind: "exit", code: x.code };
      case "deadlock":
        process.stderr.write("fatal error: all threads are blocked with no timer to wake them\n");
        this.exited = 2;
        return { kind: "exit", code: 2 };
      case "budget": return undefined;
      case "stop": {
        const st = x.stop;
        const sig = st.kind === "breakpoint" ? 5 : st.kind === "fault" ? (st.fault.type === "de" ? 8 : st.fault.type === "ud" ? 4 : 11) : 5;
        return { kind: "signal", sig, thread: x.thread };
      }
    }
  }

  /**
   * Runs a step of the kernel, turning a runtime throw into the program's
   * end (Go's message, status 2), and any other error out of the machine
   * into its end with the tool's status 1, as `gmpemu run` reports it.
   */
  private guarded(f: () => Exit | undefined): StopInfo | undefined {
    try {
      return this.ended(f());
    } catch (e) {
      if (e instanceof GoThrow) {
        process.stderr.write(e.text() + "\n");
        this.exited = 2;
        return { kind: "exit", code: 2 };
      }
      this.notice(`gmpemu: the machine stopped: ${e instanceof Error ? e.message : String(e)}`);
      this.exited = 1;
      return { kind: "exit", code: 1 };
    }
  }

  /** One instruction on thread tid (or the current one). */
  step(tid: number | undefined): StopInfo {
    this.pendingInterrupt = false;
    const k = this.m.kernel;
    const t = this.thread(tid);
    if (t && t.state === "runnable" && k.cur !== t) k.switchTo(t);
    this.snapshotWatch();
    const end = this.guarded(() => k.stepOnce());
    if (end) return end;
    const w = this.watchHit();
    const cur = this.current();
    return { kind: "signal", sig: 5, thread: cur, ...(w !== undefined ? { extra: `watch:${w.toString(16)};` } : {}) };
  }

  /** Continues until a breakpoint, a watchpoint, an interrupt or the end. */
  resume(): Promise<StopInfo> {
    if (this.running) return this.running;
    this.interrupted = this.pendingInterrupt;
    this.pendingInterrupt = false;
    const p = this.resumeLoop().finally(() => { this.running = undefined; });
    this.running = p;
    return p;
  }

  private async resumeLoop(): Promise<StopInfo> {
    const k = this.m.kernel;
    if (this.exited !== undefined) return { kind: "exit", code: this.exited };
    this.snapshotWatch();
    let sinceRotate = 0;
    for (;;) {
      if (this.breakpoints.size === 0 && this.watchpoints.size === 0) {
        const end = this.guarded(() => k.run(CHUNK));
        if (end) return end;
      } else {
        for (let i = 0; i < CHUNK; i++) {
          const end = this.guarded(() => k.stepOnce());
          if (end) return end;
          const rip = Number(this.m.engine.getReg(REG_RIP));
          if (k.cur && this.breakpoints.has(rip)) return { kind: "signal", sig: 5, thread: k.cur, extra: "swbreak:;" };
          if (this.watchpoints.size) {
            const w = this.watchHit();
            if (w !== undefined) return { kind: "signal", sig: 5, thread: k.cur, extra: `watch:${w.toString(16)};` };
          }
          // A time slice: the kernel picks again, waking sleepers whose time
          // has come (sysmon), so that a spinning thread cannot starve them.
          if (++sinceRotate >= ROTATE) {
            sinceRotate = 0;
            k.requestSwitch();
          }
        }
      }
      await new Promise<void>((r) => setImmediate(r));
      if (this.interrupted) return { kind: "signal", sig: 2, thread: this.current() };
    }
  }

  /** The program's exit status once it has ended. */
  get exitCode(): number | undefined { return this.exited; }

  /** Ends the program with a status (the server's, when the machine stopped with nobody to tell). */
  abandon(code: number): void { this.exited ??= code; }

  /** Stops a running resume at its next check (the server's own use: a new gdb, a hang-up, close). */
  interrupt(): void {
    if (this.running) this.interrupted = true;
  }

  /**
   * gdb's ^C: stops the running resume, or the one about to start when the
   * ^C arrived with its packet (a step, which stops anyway, clears it).
   */
  requestInterrupt(): void {
    if (this.running) this.interrupted = true;
    else this.pendingInterrupt = true;
  }

  /** Resolves when no resume is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  /** Forgets every breakpoint and watchpoint (a detach). */
  clearBreakpoints(): void {
    this.breakpoints.clear();
    this.watchpoints.clear();
  }

  /** Runs free (after a detach) to the end or to an interrupt; the stop is what the next gdb is told. */
  async runFree(): Promise<StopInfo> {
    this.clearBreakpoints();
    const s = await this.resume();
    this.lastStop = s;
    return s;
  }

  // --- packets -------------------------------------------------------------

  /**
   * The reply to one packet: a string (possibly empty: "not supported"),
   * a promise of one (resumes), or null for none (k). A malformed packet
   * gets E01, a memory access that fails E14; an error inside the stub is
   * reported on stderr and answered E01, and the session goes on.
   */
  handle(p: string): string | Promise<string> | null {
    try {
      const r = this.dispatch(p);
      return r instanceof Promise ? r.catch((e: unknown) => this.internal(p, e)) : r;
    } catch (e) {
      return this.internal(p, e);
    }
  }

  private internal(p: string, e: unknown): string {
    this.notice(`gmpemu: gdb stub: error on packet ${JSON.stringify(p.length > 40 ? p.slice(0, 40) + "…" : p)}: ${e instanceof Error ? e.message : String(e)}`);
    return "E01";
  }

  /** Console output queued by the last packet (qRcmd), as O packets; cleared. */
  takeOutput(): string[] {
    const o = this.output;
    this.output = [];
    return o;
  }

  /** How the session ends after this reply: D gives "detach", k and vKill "kill". */
  takeEnding(): "detach" | "kill" | undefined {
    const e = this.ending;
    this.ending = undefined;
    return e;
  }

  private dispatch(p: string): string | Promise<string> | null {
    const e = this.m.engine;
    let m: RegExpExecArray | null;
    switch (p) {
      case "QStartNoAckMode": this.noAck = true; return "OK";
      case "?": return this.stopReply(this.lastStop ?? (this.exited !== undefined ? { kind: "exit", code: this.exited } : { kind: "signal", sig: 5, thread: this.current() }));
      case "qfThreadInfo": this.threadsLeft = this.alive(); return this.threadList();
      case "qsThreadInfo": return this.threadList();
      case "qC": { const t = this.current(); return t ? `QC${t.tid.toString(16)}` : ""; }
      case "qAttached": return "1";
      case "vCont?": return "vCont;c;C;s;S";
      case "vMustReplyEmpty": return "";
      case "g": {
        const t = this.thread(this.gThread);
        if (!t) return "E01";
        return GDB_REGS.map((_r, i) => this.readRegister(t, i)).join("");
      }
      case "k": this.ending = "kill"; return null;
      case "c": case "s": return this.doResume(p === "s" ? this.cThread : undefined, p === "s");
    }
    if (p.startsWith("qSupported")) return `PacketSize=${PACKET_SIZE.toString(16)};QStartNoAckMode+;qXfer:features:read+;vContSupported+;swbreak+`;
    if (p.startsWith("qSymbol")) return "OK";
    if (p.startsWith("qXfer:features:read:")) {
      m = /^qXfer:features:read:([^:]*):([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})$/.exec(p);
      if (!m) return "E01";
      if (m[1] !== "target.xml") return "E00";
      const len = Math.min(parseInt(m[3]!, 16), PACKET_SIZE - 8);
      return xferSlice(targetXml(), parseInt(m[2]!, 16), len);
    }
    if (p.startsWith("qThreadExtraInfo,")) {
      const tid = threadId(p.slice(17));
      const t = tid !== undefined && tid > 0 ? this.thread(tid) : undefined;
      return t ? bytesToHex(new TextEncoder().encode(this.threadInfo(t))) : "E01";
    }
    if (p.startsWith("qRcmd,")) {
      const h = p.slice(6);
      if (!isHexBytes(h)) return "E01";
      const text = monitor(this.m, Buffer.from(h, "hex").toString("latin1"), this.regsOf, this.thread(this.gThread));
      const bytes = new TextEncoder().encode(text);
      for (let i = 0; i < bytes.length; i += OUTPUT_CHUNK) this.output.push("O" + bytesToHex(bytes.subarray(i, i + OUTPUT_CHUNK)));
      return "OK";
    }
    switch (p[0]) {
      case "H": {
        m = /^H([gc])(-1|[0-9a-fA-F]{1,8})$/.exec(p);
        if (!m) return "E01";
        const id = threadId(m[2]!)!;
        if (id > 0 && !this.thread(id)) return "E01";
        if (m[1] === "g") this.gThread = id > 0 ? id : undefined;
        else this.cThread = id > 0 ? id : undefined;
        return "OK";
      }
      case "T": {
        const id = threadId(p.slice(1));
        return id !== undefined && id > 0 && this.thread(id) ? "OK" : "E01";
      }
      case "G": {
        const t = this.thread(this.gThread);
        const want = GDB_REGS.reduce((n, r) => n + r.bits / 4, 0);
        if (p.length !== 1 + want || !isHexBytes(p.slice(1))) return "E01";
        if (!t) return "E01";
        let at = 1;
        for (const r of GDB_REGS) {
          const n = r.bits / 4;
          this.setRegValue(t, r.src, leHexToBigint(p.slice(at, at + n)));
          at += n;
        }
        return "OK";
      }
      case "p": {
        const n = hexNum(p.slice(1), GDB_REGS.length - 1);
        const t = this.thread(this.gThread);
        if (n === undefined || !t) return "E01";
        return this.readRegister(t, n);
      }
      case "P": {
        m = /^P([0-9a-fA-F]{1,8})=([0-9a-fA-F]+)$/.exec(p);
        const n = m ? hexNum(m[1], GDB_REGS.length - 1) : undefined;
        const t = this.thread(this.gThread);
        if (!m || n === undefined || !t) return "E01";
        const r = GDB_REGS[n]!;
        if (m[2]!.length !== r.bits / 4) return "E01";
        this.setRegValue(t, r.src, leHexToBigint(m[2]!));
        return "OK";
      }
      case "m": {
        m = /^m([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,16})$/.exec(p);
        if (!m) return "E01";
        const want = hexBig(m[2])!;
        const len = want > BigInt(MAX_READ) ? MAX_READ : Number(want);
        if (len === 0) return "";
        const b = this.readPrefix(hexBig(m[1])!, len);
        return b ? bytesToHex(b) : "E14";
      }
      case "M": {
        m = /^M([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,8}):([0-9a-fA-F]*)$/.exec(p);
        if (!m || m[3]!.length !== 2 * parseInt(m[2]!, 16)) return "E01";
        const addr = hexBig(m[1])!;
        if (addr + BigInt(m[3]!.length / 2) > MAX_ADDR) return "E14";
        try {
          e.write(Number(addr), hexToBytes(m[3]!));
          return "OK";
        } catch {
          return "E14";
        }
      }
      case "Z": case "z": {
        m = /^[Zz]([0-9]),([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,8})(;.*)?$/.exec(p);
        if (!m) return "E01";
        const type = Number(m[1]);
        const addr = hexNum(m[2]), len = parseInt(m[3]!, 16);
        const set = p[0] === "Z";
        if (type > 4) return "E01";
        if (type > 2) return ""; // read and access watchpoints: not supported
        if (addr === undefined) return "E01";
        if (type === 0 || type === 1) {
          if (set) this.breakpoints.add(addr); else this.breakpoints.delete(addr);
          return "OK";
        }
        if (!set) { this.watchpoints.delete(addr); return "OK"; }
        if (len < 1 || len > MAX_WATCH_LEN) return "E01";
        if (this.watchpoints.size >= MAX_WATCHPOINTS && !this.watchpoints.has(addr)) return "E01";
        this.watchpoints.set(addr, { len, old: this.tryRead(addr, len) });
        return "OK";
      }
      case "c": case "s": case "C": case "S": {
        // c [addr], s [addr], C sig [;addr], S sig [;addr]: resume at addr if given.
        m = /^([cs])([0-9a-fA-F]{1,16})?$|^([CS])[0-9a-fA-F]{2}(?:;([0-9a-fA-F]{1,16}))?$/.exec(p);
        if (!m) return "E01";
        const step = (m[1] ?? m[3]!).toLowerCase() === "s";
        const at = m[2] ?? m[4];
        if (at !== undefined) {
          const t = this.thread(step ? this.cThread : undefined);
          const a = hexNum(at);
          if (!t || a === undefined) return "E01";
          this.setRegValue(t, { kind: "reg", id: REG_RIP }, BigInt(a));
        }
        return this.doResume(step ? this.cThread : undefined, step);
      }
      case "D":
        if (!/^D(;[0-9a-fA-F]{1,8})?$/.test(p)) return "E01";
        this.ending = "detach";
        return "OK";
    }
    if (p.startsWith("vCont;")) {
      const actions: { act: string; tid: number | undefined }[] = [];
      for (const a of p.slice(6).split(";")) {
        m = /^([cs]|[CS][0-9a-fA-F]{2})(?::(-1|[0-9a-fA-F]{1,8}))?$/.exec(a);
        if (!m) return "E01";
        const tid = m[2] === undefined ? undefined : threadId(m[2]);
        actions.push({ act: m[1]![0]!.toLowerCase(), tid: tid !== undefined && tid > 0 ? tid : undefined });
      }
      const s = actions.find((a) => a.act === "s");
      if (s) return this.doResume(s.tid ?? this.cThread, true);
      return this.doResume(undefined, false);
    }
    if (/^vKill;[0-9a-fA-F]{1,8}$/.test(p)) { this.ending = "kill"; return "OK"; }
    return "";
  }

  private threadList(): string {
    if (this.threadsLeft.length === 0) return "l";
    const now = this.threadsLeft.splice(0, THREADS_PER_REPLY);
    return "m" + now.map((t) => t.tid.toString(16)).join(",");
  }

  private doResume(tid: number | undefined, step: boolean): string | Promise<string> {
    if (this.exited !== undefined) return `W${(this.exited & 0xff).toString(16).padStart(2, "0")}`;
    if (step) {
      const s = this.step(tid);
      this.lastStop = s;
      return this.stopReply(s);
    }
    return this.resume().then((s) => {
      this.lastStop = s;
      return this.stopReply(s);
    });
  }

  /**
   * Serves one gdb connection on a socket; resolves when gdb detaches,
   * kills or hangs up. A hang-up while the machine runs interrupts it.
   */
  serve(sock: Socket): Promise<SessionEnd> {
    sock.setNoDelay(true);
    // Each connection starts as the protocol does: acks on, threads unselected.
    this.noAck = false;
    this.gThread = this.cThread = undefined;
    this.ending = undefined;
    this.pendingInterrupt = false;
    const parser = new PacketParser();
    /** Packets to answer, in order: data to handle, or a reply already decided (a bad packet's E01). */
    const queue: ({ data: string } | { reply: string })[] = [];
    let busy = false;
    let done: SessionEnd | undefined;
    return new Promise((resolve) => {
      const send = (data: string): void => {
        this.log(`<- ${data.length > 200 ? data.slice(0, 200) + "…" : data}`);
        if (!sock.destroyed) sock.write(frame(data), "latin1");
      };
      const finish = (how: SessionEnd): void => {
        if (done) return;
        done = how;
        if (how === "hangup") this.interrupt();
        if (!sock.destroyed) sock.end();
        resolve(how);
      };
      const pump = async (): Promise<void> => {
        if (busy) return;
        busy = true;
        try {
          while (queue.length && !done) {
            const item = queue.shift()!;
            if ("reply" in item) { send(item.reply); continue; }
            const p = item.data;
            this.log(`-> ${p.length > 200 ? p.slice(0, 200) + "…" : p}`);
            const r = this.handle(p);
            const reply = r === null || typeof r === "string" ? r : await r;
            for (const o of this.takeOutput()) send(o);
            if (reply !== null) send(reply);
            const end = this.takeEnding();
            if (end) { finish(end); break; }
            // A client that does not read its replies: wait for it, rather
            // than buffer them (requests keep queueing up to MAX_QUEUE).
            if (sock.writableLength > MAX_UNREAD && !sock.destroyed) {
              await new Promise<void>((r) => { sock.once("drain", r); sock.once("close", r); });
            }
          }
        } finally {
          busy = false;
        }
      };
      sock.on("data", (chunk: Buffer) => {
        if (done) return;
        for (const inc of parser.feed(chunk)) {
          switch (inc.kind) {
            case "packet":
              if (!this.noAck) sock.write("+");
              queue.push({ data: inc.data });
              break;
            case "bad":
              // With acks gdb resends a damaged packet; without, it waits for an answer.
              this.log(`-> (damaged) ${inc.data.slice(0, 80)}`);
              if (!this.noAck) sock.write("-");
              else queue.push({ reply: "E01" });
              break;
            case "toolong":
              this.log(`-> (longer than ${PACKET_SIZE} bytes: dropped)`);
              if (!this.noAck) sock.write("+");
              queue.push({ reply: "E01" });
              break;
            case "interrupt": this.requestInterrupt(); break;
            case "ack": case "nack": break;
          }
        }
        if (queue.length > MAX_QUEUE) {
          this.notice(`gmpemu: gdb stub: the client sent more than ${MAX_QUEUE} packets without waiting for replies; disconnected`);
          sock.destroy();
          finish("hangup");
          return;
        }
        void pump();
      });
      sock.on("close", () => finish("hangup"));
      sock.on("error", () => finish("hangup"));
    });
  }
}

/**
 * A listening stub. It serves one gdb at a time and turns a second away
 * (accepted and closed at once, with a line on stderr). After a detach the
 * program runs on, as under gdbserver, and the next gdb to connect stops
 * it where it is; after a hang-up (gdb's `disconnect`, or gdb gone) the
 * machine waits, stopped, for the next gdb. `kill`, or the program's end
 * once no gdb is attached, ends the server; `done` then resolves with how
 * the last session ended. With `once`, only the first connection is served.
 */
export interface GdbServer {
  readonly port: number;
  readonly stub: GdbStub;
  /** Resolves when the server stops serving, with how the last session ended. */
  readonly done: Promise<SessionEnd>;
  close(): void;
}

export function startGdbServer(m: Machine, opts: GdbServerOptions): Promise<GdbServer> {
  const notice = opts.notice ?? stderrNotice;
  const stub = new GdbStub(m, opts.log, notice);
  let server: Server;
  let resolveDone: (how: SessionEnd) => void = () => {};
  const done = new Promise<SessionEnd>((r) => (resolveDone = r));
  let session: Socket | undefined;
  /** A connection is waiting for the free-running machine to stop. */
  let starting = false;
  let closed = false;
  let last: SessionEnd = "hangup";
  let free: Promise<void> | undefined;

  const finish = (how: SessionEnd): void => {
    if (closed) return;
    closed = true;
    stub.interrupt();
    server.close();
    session?.destroy();
    resolveDone(how);
  };

  const runFree = (): void => {
    free = stub.runFree().then((s) => {
      free = undefined;
      if (closed || session || starting) return; // a new gdb takes over where it stopped
      if (s.kind === "signal") {
        notice(`gmpemu: the program stopped with signal ${s.sig} and no gdb attached; ending it`);
        stub.abandon(2);
      }
      finish(last);
    });
  };

  const attach = async (sock: Socket, peer: string): Promise<void> => {
    starting = true;
    try {
      if (free) {
        stub.interrupt();
        await free;
      }
      await stub.idle();
    } finally {
      starting = false;
    }
    if (closed) { sock.destroy(); return; }
    session = sock;
    if (opts.once) server.close();
    notice(`gmpemu: gdb attached from ${peer}`);
    const how = await stub.serve(sock);
    session = undefined;
    last = how;
    if (closed) return;
    if (how === "kill") { notice("gmpemu: gdb killed the program"); finish("kill"); return; }
    if (stub.exitCode !== undefined) { finish(how); return; }
    if (how === "detach") {
      notice("gmpemu: gdb detached; the program runs on");
      runFree();
      return;
    }
    if (opts.once) { finish(how); return; }
    notice("gmpemu: gdb hung up; the machine waits, stopped, for the next gdb");
  };

  return new Promise((resolve, reject) => {
    server = createServer((sock) => {
      const peer = `${sock.remoteAddress ?? "?"}:${sock.remotePort ?? "?"}`;
      if (closed) { sock.destroy(); return; }
      if (session || starting) {
        notice(`gmpemu: gdb stub: refused a connection from ${peer}: a gdb is already attached (one at a time)`);
        sock.destroy();
        return;
      }
      void attach(sock, peer);
    });
    server.on("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      const a = server.address();
      const port = typeof a === "object" && a ? a.port : opts.port;
      resolve({ port, stub, done, close: () => finish(last) });
    });
  });
}
