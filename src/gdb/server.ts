// A GDB remote stub for the emulated machine (`gmpemu gdb FILE.s --port P`).
//
// What it does. The stub speaks gdb's Remote Serial Protocol over one TCP
// connection on 127.0.0.1: packet framing with acks until gdb asks for
// QStartNoAckMode, qSupported, the amd64 target description (core, sse,
// linux and segments features, so `info registers fs_base` works), register
// reads and writes (g/G/p/P) mapped from gdb's numbering (rax rbx rcx rdx …)
// to the engine's hardware numbering (rax rcx rdx rbx …), memory (m/M, E14 on
// an unmapped address), software breakpoints (Z0/Z1) and write watchpoints
// (Z2), continue and single-step (c, s, vCont), the 0x03 interrupt, and
// detach/kill. Breakpoints never patch memory: while any breakpoint or
// watchpoint is set, `continue` runs the machine one instruction at a time
// (Kernel.stepOnce) and compares RIP with the breakpoint set and each watched
// range with its last contents after every instruction; with none set it
// runs the kernel in chunks (Kernel.run) at full speed. Every few thousand
// single steps the stub rotates to the next runnable thread, so that a
// thread spinning for another cannot starve it (stepOnce itself only
// switches when the current thread blocks). The end of the program is
// `W xx` with its exit status; a runtime throw or panic ends it with W02
// after printing Go's message.
//
// Threads. Every kernel thread is a gdb thread and its gdb thread id is its
// kernel tid (1000, 1001, …). A kernel thread is an M (or sysmon), so
// `info threads` lists Ms; qThreadExtraInfo names the M and the goroutine it
// is running, read from the runtime's own structures: the g in the thread's
// TLS slot (FS base - 8), that g's m, the m's id and curg. Registers of the
// thread loaded in the engine come from the engine; another thread's come
// from the kernel's saved state (Thread.regs, Thread.xmm), and writes go
// there too. Hg selects the thread for register access; Hc and vCont;s:TID
// choose the thread a step runs on (if it can run).
//
// Left out: x87 state (st0-7, fctrl…) and mxcsr read as zero and ignore
// writes, as do the segment selectors and orig_rax; gs_base of a thread not
// loaded in the engine reads as zero (the kernel does not save it). No
// non-stop mode, no multiprocess extensions, no hardware read/access
// watchpoints (Z3/Z4), no binary memory writes (X; gdb falls back to M), no
// qXfer:threads, no reverse execution. Goroutines are not gdb threads: a
// goroutine that is not running has no thread to show; use qThreadExtraInfo
// or memory to see it. Stepping with breakpoints set changes the thread
// interleaving from what `gmpemu run` with the same seed would do.

import { createServer, type Server, type Socket } from "node:net";
import type { Machine } from "../runtime/boot.ts";
import type { Thread, Exit } from "../os/kernel.ts";
import { REG_RIP, regId } from "../engine/engine.ts";
import { GoThrow } from "../runtime/panic.ts";
import {
  GDB_REGS, PacketParser, bytesToHex, frame, hexToBytes, leHex, leHexToBigint, targetXml, xferSlice, type GdbReg,
} from "./rsp.ts";

/** Instructions between checks for gdb's interrupt (and event-loop turns). */
const CHUNK = 20_000;
/** Single steps before the continue loop rotates to the next runnable thread. */
const ROTATE = 5_000;

const G_M = 48, G_GOID = 152, M_CURG = 192, M_ID = 232;

export interface GdbServerOptions {
  port: number;
  host?: string;
  /** Protocol trace (each packet in and out). */
  log?: (line: string) => void;
}

/** Why a resume ended. */
type StopInfo =
  | { kind: "signal"; sig: number; thread: Thread | undefined; extra?: string }
  | { kind: "exit"; code: number };

export class GdbStub {
  readonly breakpoints = new Set<number>();
  readonly watchpoints = new Map<number, { len: number; old: Uint8Array | undefined }>();
  private gThread: number | undefined;
  private cThread: number | undefined;
  private noAck = false;
  private exited: number | undefined;
  private interrupted = false;
  private running = false;
  private lastStop: StopInfo | undefined;

  constructor(readonly m: Machine, private readonly log: (line: string) => void = () => {}) {}

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

  /** The runtime's view of a thread: its M and that M's goroutine. */
  threadInfo(t: Thread): string {
    const e = this.m.engine;
    const parts: string[] = [];
    try {
      const fs = Number(this.regValue(t, { kind: "reg", id: 18 }));
      if (fs === 0) {
        parts.push("not started");
      } else {
        const g = Number(e.readU64(fs - 8));
        const mp = g === 0 ? 0 : Number(e.readU64(g + G_M));
        if (mp === 0) {
          parts.push("no M");
        } else {
          const id = e.readU64(mp + M_ID);
          const curg = Number(e.readU64(mp + M_CURG));
          parts.push(curg !== 0 ? `M${id} running G${e.readU64(curg + G_GOID)}` : `M${id} on g0`);
        }
      }
    } catch {
      parts.push("no runtime state");
    }
    if (t.state !== "runnable") parts.push(`(${t.state})`);
    return parts.join(" ");
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

  // --- running -------------------------------------------------------------

  private stopReply(s: StopInfo): string {
    if (s.kind === "exit") return `W${(s.code & 0xff).toString(16).padStart(2, "0")}`;
    const t = s.thread ?? this.current();
    return `T${s.sig.toString(16).padStart(2, "0")}${t ? `thread:${t.tid.toString(16)};` : ""}${s.extra ?? ""}`;
  }

  private snapshotWatch(): void {
    for (const [addr, w] of this.watchpoints) w.old = this.tryRead(addr, w.len);
  }

  private tryRead(addr: number, len: number): Uint8Array | undefined {
    try { return this.m.engine.read(addr, len); } catch { return undefined; }
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

  /** Runs a step of the kernel, turning a runtime throw into the program's end. */
  private guarded(f: () => Exit | undefined): StopInfo | undefined {
    try {
      return this.ended(f());
    } catch (e) {
      if (e instanceof GoThrow) {
        process.stderr.write(e.text() + "\n");
        this.exited = 2;
        return { kind: "exit", code: 2 };
      }
      throw e;
    }
  }

  /** One instruction on thread tid (or the current one). */
  step(tid: number | undefined): StopInfo {
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
  async resume(): Promise<StopInfo> {
    const k = this.m.kernel;
    this.interrupted = false;
    this.running = true;
    try {
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
            if (++sinceRotate >= ROTATE) {
              sinceRotate = 0;
              const ready = k.threads.filter((t) => t.state === "runnable");
              if (ready.length > 1) {
                const at = k.cur ? ready.indexOf(k.cur) : -1;
                k.switchTo(ready[(at + 1) % ready.length]!);
              }
            }
          }
        }
        await new Promise<void>((r) => setImmediate(r));
        if (this.interrupted) return { kind: "signal", sig: 2, thread: this.current() };
      }
    } finally {
      this.running = false;
    }
  }

  /** The program's exit status once it has ended. */
  get exitCode(): number | undefined { return this.exited; }

  interrupt(): void {
    if (this.running) this.interrupted = true;
  }

  // --- packets -------------------------------------------------------------

  /**
   * The reply to one packet: a string (possibly empty: "not supported"),
   * a promise of one (resumes), or null for none (k).
   */
  handle(p: string): string | Promise<string> | null {
    const e = this.m.engine;
    if (p.startsWith("qSupported")) return "PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;vContSupported+;swbreak+";
    if (p === "QStartNoAckMode") { this.noAck = true; return "OK"; }
    if (p.startsWith("qXfer:features:read:")) {
      const m = /^qXfer:features:read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
      if (!m) return "E00";
      if (m[1] !== "target.xml") return "E00";
      return xferSlice(targetXml(), parseInt(m[2]!, 16), parseInt(m[3]!, 16));
    }
    if (p === "?") return this.stopReply(this.lastStop ?? (this.exited !== undefined ? { kind: "exit", code: this.exited } : { kind: "signal", sig: 5, thread: this.current() }));
    if (p === "qfThreadInfo") return "m" + this.alive().map((t) => t.tid.toString(16)).join(",");
    if (p === "qsThreadInfo") return "l";
    if (p === "qC") { const t = this.current(); return t ? `QC${t.tid.toString(16)}` : ""; }
    if (p === "qAttached") return "1";
    if (p.startsWith("qSymbol")) return "OK";
    if (p === "vCont?") return "vCont;c;C;s;S";
    if (p.startsWith("qThreadExtraInfo,")) {
      const t = this.thread(parseInt(p.slice(17), 16));
      return t ? bytesToHex(new TextEncoder().encode(this.threadInfo(t))) : "E01";
    }
    if (p[0] === "H" && (p[1] === "g" || p[1] === "c")) {
      const id = p.slice(2) === "-1" ? -1 : parseInt(p.slice(2), 16);
      if (id > 0 && !this.thread(id)) return "E01";
      if (p[1] === "g") this.gThread = id > 0 ? id : undefined;
      else this.cThread = id > 0 ? id : undefined;
      return "OK";
    }
    if (p[0] === "T") return this.thread(parseInt(p.slice(1), 16)) ? "OK" : "E01";
    if (p === "g") {
      const t = this.thread(this.gThread);
      if (!t) return "E01";
      return GDB_REGS.map((_r, i) => this.readRegister(t, i)).join("");
    }
    if (p[0] === "G") {
      const t = this.thread(this.gThread);
      if (!t) return "E01";
      let at = 1;
      for (const r of GDB_REGS) {
        const n = (r.bits / 8) * 2;
        if (at + n > p.length) break;
        this.setRegValue(t, r.src, leHexToBigint(p.slice(at, at + n)));
        at += n;
      }
      return "OK";
    }
    if (p[0] === "p") {
      const t = this.thread(this.gThread);
      const n = parseInt(p.slice(1), 16);
      if (!t || !(n >= 0 && n < GDB_REGS.length)) return "E01";
      return this.readRegister(t, n);
    }
    if (p[0] === "P") {
      const m = /^P([0-9a-fA-F]+)=([0-9a-fA-F]+)$/.exec(p);
      const t = this.thread(this.gThread);
      if (!m || !t) return "E01";
      const n = parseInt(m[1]!, 16);
      if (!(n < GDB_REGS.length)) return "E01";
      this.setRegValue(t, GDB_REGS[n]!.src, leHexToBigint(m[2]!));
      return "OK";
    }
    if (p[0] === "m") {
      const m = /^m([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
      if (!m) return "E01";
      const b = this.tryRead(parseInt(m[1]!, 16), parseInt(m[2]!, 16));
      return b ? bytesToHex(b) : "E14";
    }
    if (p[0] === "M") {
      const m = /^M([0-9a-fA-F]+),([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(p);
      if (!m) return "E01";
      try {
        e.write(parseInt(m[1]!, 16), hexToBytes(m[3]!));
        return "OK";
      } catch {
        return "E14";
      }
    }
    if (p[0] === "Z" || p[0] === "z") {
      const m = /^[Zz]([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)/.exec(p);
      if (!m) return "E01";
      const type = Number(m[1]), addr = parseInt(m[2]!, 16), len = parseInt(m[3]!, 16);
      const set = p[0] === "Z";
      if (type === 0 || type === 1) {
        if (set) this.breakpoints.add(addr); else this.breakpoints.delete(addr);
        return "OK";
      }
      if (type === 2) {
        if (set) this.watchpoints.set(addr, { len, old: this.tryRead(addr, len) });
        else this.watchpoints.delete(addr);
        return "OK";
      }
      return "";
    }
    if (p === "c" || p.startsWith("c") || p[0] === "C") return this.doResume(undefined, false);
    if (p === "s" || p.startsWith("s") || p[0] === "S") return this.doResume(this.cThread, true);
    if (p.startsWith("vCont;")) {
      const actions = p.slice(6).split(";").map((a) => {
        const [act, tid] = a.split(":");
        return { act: act![0]!, tid: tid !== undefined ? parseInt(tid, 16) : undefined };
      });
      const s = actions.find((a) => a.act === "s" || a.act === "S");
      if (s) return this.doResume(s.tid ?? this.cThread, true);
      return this.doResume(undefined, false);
    }
    if (p === "vMustReplyEmpty") return "";
    if (p[0] === "D") return "OK";
    if (p === "k") return null;
    return "";
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

  /** Serves one gdb connection on a socket; resolves when gdb detaches, kills or hangs up. */
  serve(sock: Socket): Promise<"detach" | "kill" | "hangup"> {
    sock.setEncoding("latin1");
    sock.setNoDelay(true);
    const parser = new PacketParser();
    const queue: string[] = [];
    let busy = false;
    let done: "detach" | "kill" | "hangup" | undefined;
    return new Promise((resolve) => {
      const send = (data: string): void => {
        this.log(`<- ${data.length > 200 ? data.slice(0, 200) + "…" : data}`);
        sock.write(frame(data), "latin1");
      };
      const finish = (how: "detach" | "kill" | "hangup"): void => {
        if (done) return;
        done = how;
        sock.end();
        resolve(how);
      };
      const pump = async (): Promise<void> => {
        if (busy) return;
        busy = true;
        try {
          while (queue.length && !done) {
            const p = queue.shift()!;
            this.log(`-> ${p}`);
            const r = this.handle(p);
            if (r === null) { finish("kill"); break; }
            const reply = typeof r === "string" ? r : await r;
            send(reply);
            if (p[0] === "D") { finish("detach"); break; }
          }
        } catch (err) {
          process.stderr.write(`gmpemu gdb: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
          finish("hangup");
        } finally {
          busy = false;
        }
      };
      sock.on("data", (chunk: string) => {
        for (const inc of parser.feed(chunk)) {
          switch (inc.kind) {
            case "packet":
              if (!this.noAck) sock.write("+");
              queue.push(inc.data);
              break;
            case "bad":
              if (!this.noAck) sock.write("-");
              break;
            case "interrupt": this.interrupt(); break;
            case "ack": case "nack": break;
          }
        }
        void pump();
      });
      sock.on("close", () => finish("hangup"));
      sock.on("error", () => finish("hangup"));
    });
  }
}

/**
 * A listening stub: accepts one gdb at a time until a session detaches or
 * kills, or hangs up after the program has ended.
 */
export interface GdbServer {
  readonly port: number;
  readonly stub: GdbStub;
  /** Resolves when a session ends with detach or kill (or the server is closed). */
  readonly done: Promise<"detach" | "kill" | "hangup">;
  close(): void;
}

export function startGdbServer(m: Machine, opts: GdbServerOptions): Promise<GdbServer> {
  const stub = new GdbStub(m, opts.log);
  let server: Server;
  let resolveDone: (how: "detach" | "kill" | "hangup") => void = () => {};
  const done = new Promise<"detach" | "kill" | "hangup">((r) => (resolveDone = r));
  return new Promise((resolve, reject) => {
    server = createServer((sock) => {
      void stub.serve(sock).then((how) => {
        // A hang-up leaves the machine for the next gdb, unless the program has ended.
        if (how !== "hangup" || stub.exitCode !== undefined) {
          server.close();
          resolveDone(how);
        }
      });
    });
    server.on("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      const a = server.address();
      const port = typeof a === "object" && a ? a.port : opts.port;
      resolve({
        port, stub, done,
        close: () => { server.close(); resolveDone("hangup"); },
      });
    });
  });
}
