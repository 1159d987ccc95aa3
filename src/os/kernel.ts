// The emulated kernel: threads, a virtual clock, and the handful of Linux
// system calls the Go runtime makes on linux/amd64.
//
// There is one CPU (an Engine) and many threads. A thread is a saved
// register file (general registers, RIP, RFLAGS, FS base, X0-X15); the
// kernel loads one into the engine, runs it for a quantum, saves it, and
// picks the next. Which thread runs next, and for how long, comes from a
// PRNG seeded by the user (--seed), so the same program with the same seed
// interleaves its threads the same way every time: same output, same trace.
// Threads switch only at instruction boundaries and at system calls, and a
// host function (src/runtime/bridge.ts) runs to its next yield without
// interruption, which is what makes the runtime's atomics atomic here.
//
// Time is virtual: one nanosecond per retired instruction, and when every
// thread is blocked the clock jumps to the earliest deadline (a nanosleep or
// a futex timeout), so sleeps cost no real time and are reproducible.
//
// System calls are the SYSCALL instruction with Linux x86-64 numbers and
// registers (RAX number; RDI RSI RDX R10 R8 R9 arguments; result or -errno
// in RAX). Supported: write (fds 1 and 2), futex (WAIT, WAKE), clone (a new
// thread sharing memory, CLONE_SETTLS), arch_prctl(ARCH_SET_FS), nanosleep,
// clock_gettime, sched_yield, gettid, getpid, exit (one thread), exit_group,
// and signals: rt_sigaction, rt_sigprocmask, sigaltstack, tgkill and
// rt_sigreturn, with delivery on the thread's signal stack (signal.ts).
// Anything else returns -ENOSYS, as a kernel without the feature would.
//
// Departures from Linux, all of them (the runtime's from Go's are in
// docs/ARCHITECTURE.md):
//   - one CPU: threads never run at the same time, and switch only at
//     instruction boundaries, system calls and host calls;
//   - time is the instruction count (1 ns each); clock_gettime's clocks
//     are all that one clock, starting at 0;
//   - write goes to fds 1 and 2 only; every other fd is EBADF, and there is
//     no file, process or network call at all (open, mmap, socket, execve,
//     fork ... are ENOSYS): a guest can reach nothing outside the machine;
//   - clone makes threads only (CLONE_VM | CLONE_THREAD); at most
//     MAX_THREADS live threads (EAGAIN past it, as RLIMIT_NPROC gives);
//   - futex: WAIT and WAKE, private or not, no requeue or PI;
//   - signals: a thread blocked in futex or nanosleep keeps a signal
//     pending until it runs again (Linux would interrupt the call and, with
//     SA_RESTART, restart it: the registers come out the same); only
//     SA_SIGINFO handlers with a restorer are delivered; with no handler, a
//     signal takes its default action: SIGKILL and the terminating signals
//     end the process with status 128+signo, the rest are ignored (there
//     are no stopped processes and no core dumps);
//   - a fault the guest causes (a page fault, #GP, #UD, #DE) is reported to
//     the layer above as the machine stopping, with no signal frame: the Go
//     runtime's own handler is not installed for SIGSEGV (gmpemu's runtime
//     reports faults itself, in Go's words).
//
// Rejected: real host threads (Workers). Determinism is the point, and a
// single engine interleaved by a seeded PRNG gives it for free.

import { REG_FS_BASE, REG_RFLAGS, REG_RIP, regId, type Engine, type Stop } from "../engine/engine.ts";
import {
  deliverSignal, newThreadSignals, SA_RESTORER, SA_SIGINFO, sigbit, sigreturn, SS_DISABLE, SS_ONSTACK,
  type Delivered, type SigAction, type ThreadSignals,
} from "./signal.ts";

export const SYS = {
  write: 1, mmap: 9, munmap: 11, rt_sigaction: 13, rt_sigprocmask: 14, rt_sigreturn: 15, sched_yield: 24,
  madvise: 28, nanosleep: 35, getpid: 39, clone: 56, exit: 60, sigaltstack: 131, arch_prctl: 158, gettid: 186,
  futex: 202, clock_gettime: 228, exit_group: 231, tgkill: 234,
} as const;

const ENOSYS = 38, EAGAIN = 11, ETIMEDOUT = 110, EINVAL = 22, EFAULT = 14, ESRCH = 3, EPERM = 1, EBADF = 9;
/** Live threads a process may have (clone fails with EAGAIN past it, as RLIMIT_NPROC makes it). */
export const MAX_THREADS = 4096;
const SIGKILL = 9;
/** Signals whose default action ends the process (SIGKILL, and the terminating and core-dumping ones). */
const DEFAULT_TERMINATES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 24, 25, 26, 27, 29, 30, 31]);
const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_PRIVATE_FLAG = 128;
const CLONE_SETTLS = 0x80000;
const ARCH_SET_FS = 0x1002;

export type ThreadState = "runnable" | "futex" | "sleeping" | "exited";

export interface Thread {
  readonly tid: number;
  state: ThreadState;
  /** Saved registers: 0-15 GPRs, 16 RIP, 17 RFLAGS, 18 FS base. */
  regs: bigint[];
  xmm: Uint8Array[];
  /** futex: the address waited on; sleeping/futex with timeout: wake-up time. */
  futexAddr?: number;
  deadline?: number;
  /** Instructions this thread has retired. */
  icount: number;
  /** Pending and blocked signals, and the sigaltstack. */
  sig: ThreadSignals;
}

export interface KernelOptions {
  seed?: number;
  /** Instructions per quantum: each slice runs between min and max. */
  quantum?: [number, number];
  /** Where fds 1 and 2 go. */
  stdout?: (b: Uint8Array) => void;
  stderr?: (b: Uint8Array) => void;
  /** Calls onTick every this many instructions (for --preempt-every). */
  tickEvery?: number;
  /** What to do when RIP reaches a host address (the runtime's bridge); without it, such a stop ends the run. */
  onHostCall?: HostCallHandler;
  /** Called every tickEvery instructions with the running thread. */
  onTick?: (t: Thread) => void;
}

/** Why the whole machine stopped. */
export type Exit =
  | { kind: "exit"; code: number }
  /** A stop the kernel does not handle itself (a fault, INT3, a host call it was not given a handler for). */
  | { kind: "stop"; stop: Stop; thread: Thread }
  /** Every thread is blocked and no deadline can wake one. */
  | { kind: "deadlock" }
  /** The instruction budget ran out. */
  | { kind: "budget" };

/** What the kernel asks of the layer above when RIP reaches a host address. */
export type HostCallHandler = (t: Thread, addr: number) => void;

/** A small, fast, seedable PRNG (mulberry32). */
export class Rand {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
}

export class Kernel {
  readonly threads: Thread[] = [];
  /** The thread loaded in the engine, if any. */
  cur: Thread | undefined;
  /** Virtual time in nanoseconds. */
  now = 0;
  readonly rand: Rand;
  private readonly onHostCall: HostCallHandler | undefined;
  private readonly onTick: ((t: Thread) => void) | undefined;
  /** Observers: called at every thread switch (for traces). */
  onSwitch: ((from: Thread | undefined, to: Thread) => void) | undefined;
  /** Called when a signal is delivered (after the frame is built, before the handler runs). */
  onSignal: ((t: Thread, sig: number, d: Delivered) => void) | undefined;
  /** Installed signal actions (rt_sigaction), by signal number. */
  readonly sigactions = new Map<number, SigAction>();
  /** Host calls handled (they count against run's budget). */
  hostCalls = 0;
  /** Signals delivered and rt_sigreturns, for --stats and tests. */
  signalsDelivered = 0;
  sigreturns = 0;
  private readonly tickEvery: number;
  private nextTick: number;
  private nextTid = 1000;
  private readonly quantum: [number, number];
  private exitCode: number | undefined;
  private readonly out: (fd: number, b: Uint8Array) => void;
  /** The current slice's remaining budget; a host call may end it early (sched_yield). */
  private sliceEnds = false;

  constructor(readonly engine: Engine, opts: KernelOptions = {}) {
    this.rand = new Rand(opts.seed ?? 1);
    this.quantum = opts.quantum ?? [2000, 20000];
    this.tickEvery = opts.tickEvery ?? 0;
    this.onHostCall = opts.onHostCall;
    this.onTick = opts.onTick;
    this.nextTick = this.tickEvery > 0 ? this.tickEvery : Number.MAX_SAFE_INTEGER;
    const so = opts.stdout ?? ((b) => process.stdout.write(b));
    const se = opts.stderr ?? ((b) => process.stderr.write(b));
    this.out = (fd, b) => (fd === 1 ? so(b) : se(b));
  }

  /** Creates a thread with the given registers (RIP, RSP, FS base...). Not loaded. */
  newThread(init: { rip: number; rsp: number; fsBase?: number; regs?: Partial<Record<number, bigint>> }): Thread {
    const regs = new Array<bigint>(19).fill(0n);
    regs[4] = BigInt(init.rsp);
    regs[REG_RIP] = BigInt(init.rip);
    regs[REG_RFLAGS] = 0x202n;
    regs[REG_FS_BASE] = BigInt(init.fsBase ?? 0);
    for (const [k, v] of Object.entries(init.regs ?? {})) regs[Number(k)] = v!;
    const t: Thread = { tid: this.nextTid++, state: "runnable", regs, xmm: Array.from({ length: 16 }, () => new Uint8Array(16)), icount: 0, sig: newThreadSignals() };
    this.threads.push(t);
    return t;
  }

  private save(t: Thread): void {
    const e = this.engine;
    for (let r = 0; r <= REG_FS_BASE; r++) t.regs[r] = e.getReg(regId(r));
    for (let i = 0; i < 16; i++) t.xmm[i] = e.getXmm(i);
  }

  private load(t: Thread): void {
    const e = this.engine;
    for (let r = 0; r <= REG_FS_BASE; r++) e.setReg(regId(r), t.regs[r]!);
    for (let i = 0; i < 16; i++) e.setXmm(i, t.xmm[i]!);
  }

  /** Switches the engine to thread t (saving the current one). */
  switchTo(t: Thread): void {
    if (this.cur === t) return;
    if (this.cur && this.cur.state !== "exited") this.save(this.cur);
    this.onSwitch?.(this.cur, t);
    this.load(t);
    this.cur = t;
  }

  /**
   * Makes the next stepOnce pick a thread as the scheduler would (expiring
   * sleeps and timeouts on the way), even if the current one could go on:
   * a debugger's time slice, so that one spinning thread cannot keep the
   * others (sysmon) from ever running.
   */
  requestSwitch(): void { this.rotate = true; this.unfinished = undefined; }
  private rotate = false;

  /** Ends the current slice at the next opportunity (sched_yield, a block). */
  yieldSlice(): void { this.sliceEnds = true; }

  /** Requests exit_group from the layer above (a fatal error, runtime exit). */
  exit(code: number): void {
    this.exitCode = code;
    this.sliceEnds = true;
  }

  get exited(): boolean { return this.exitCode !== undefined; }

  /** Wakes threads whose deadline has passed. */
  private expire(): void {
    for (const t of this.threads) {
      if ((t.state === "sleeping" || t.state === "futex") && t.deadline !== undefined && t.deadline <= this.now) {
        if (t.state === "futex") {
          t.regs[0] = BigInt.asUintN(64, BigInt(-ETIMEDOUT));
          // Still loaded in the engine when nothing else ran meanwhile.
          if (t === this.cur) this.engine.setReg(0, t.regs[0]);
        }
        t.state = "runnable";
        delete t.deadline;
        delete t.futexAddr;
      }
    }
  }

  /** The number of runnable threads. */
  private runnable(): number {
    let n = 0;
    for (const t of this.threads) if (t.state === "runnable") n++;
    return n;
  }

  /**
   * Picks the next thread to run (the k-th runnable one, in creation order,
   * k from the seeded PRNG when there is a choice); advances the clock to
   * the earliest deadline when all are blocked.
   */
  private pick(): Thread | undefined {
    this.expire();
    let n = this.runnable();
    if (n === 0) {
      let next = Infinity;
      for (const t of this.threads) if (t.deadline !== undefined && t.state !== "exited" && t.deadline < next) next = t.deadline;
      if (next === Infinity) return undefined;
      this.now = Math.max(this.now, next);
      this.expire();
      n = this.runnable();
    }
    let k = n === 1 ? 0 : this.rand.int(0, n - 1);
    for (const t of this.threads) if (t.state === "runnable" && k-- === 0) return t;
    return undefined;
  }

  /**
   * Runs until exit_group, a stop the kernel does not handle, a deadlock, or
   * maxInsns. The budget bounds host calls too (a host function can return
   * into another without an instruction between), so every run ends.
   */
  run(maxInsns = Number.MAX_SAFE_INTEGER): Exit {
    const e = this.engine;
    const start = e.icount;
    const hostStart = this.hostCalls;
    // Host calls in place (runHosted) when the engine has them and there is
    // a bridge: inHost then makes, after each call, the same decisions this
    // loop makes after a hostcall stop, so the runs are the same.
    const hosted = e.runHosted !== undefined && this.onHostCall !== undefined;
    this.hostLimit = start + hostStart + maxInsns;
    for (;;) {
      if (this.exitCode !== undefined) return { kind: "exit", code: this.exitCode };
      // A run that ended on its budget left its slice to the next run, so
      // that many short runs interleave threads exactly as one long run.
      let t: Thread, budget: number;
      const r = this.unfinished;
      this.unfinished = undefined;
      if (r !== undefined && r.t === this.cur && r.t.state === "runnable") {
        t = r.t;
        budget = r.budget;
      } else {
        const p = this.pick();
        if (!p) return { kind: "deadlock" };
        t = p;
        this.switchTo(t);
        this.sliceEnds = false;
        budget = this.rand.int(this.quantum[0], this.quantum[1]);
      }
      while (!this.sliceEnds && t.state === "runnable" && budget > 0) {
        // Host calls count against the budget with the instructions.
        const left = maxInsns - (e.icount - start) - (this.hostCalls - hostStart);
        if (left <= 0) {
          this.unfinished = { t, budget };
          return { kind: "budget" };
        }
        if (t.sig.pending & ~t.sig.mask) {
          this.deliverPending(t);
          if (this.exitCode !== undefined) break;
        }
        const before = e.icount;
        const n = Math.min(budget, left, Math.max(1, this.nextTick - e.icount));
        let stop: Stop;
        if (hosted) {
          this.hostThread = t;
          this.sliceEnd = before + budget;
          this.accounted = before;
          stop = e.runHosted!(n, this.inHost);
          this.hostThread = undefined;
        } else {
          this.accounted = before;
          stop = e.run(n);
        }
        budget -= e.icount - before;
        const ran = e.icount - this.accounted;
        t.icount += ran;
        this.now += ran;
        const end = this.handle(t, stop);
        if (end) return end;
        if (this.exitCode !== undefined) break;
        if (e.icount >= this.nextTick) {
          this.nextTick = e.icount + this.tickEvery;
          if (t.state === "runnable") this.onTick?.(t);
        }
      }
      if (t.state === "exited") this.cur = undefined;
    }
  }

  /** The slice a run left when its budget ran out (see run); stepOnce, stepMany and requestSwitch drop it. */
  private unfinished: { t: Thread; budget: number } | undefined;

  // runHosted's state: the thread running, the icount at which its slice
  // ends, the icount + host calls at which run's budget ends, and the icount
  // up to which t.icount and the clock are brought.
  private hostThread: Thread | undefined;
  private sliceEnd = 0;
  private hostLimit = 0;
  private accounted = 0;

  /**
   * A host call made in place: the clock and the thread's count first
   * (host functions read nanotime), then the call, then what the loop in
   * run() would decide before running on: 0 to stop (exit, the slice ends,
   * the thread blocks, a tick is due, a signal is pending, a budget is
   * spent), or how far the run may go.
   */
  private readonly inHost = (rip: number): number => {
    const t = this.hostThread!;
    const ic = this.engine.icount;
    const ran = ic - this.accounted;
    t.icount += ran;
    this.now += ran;
    this.accounted = ic;
    this.hostCalls++;
    this.onHostCall!(t, rip);
    if (this.exitCode !== undefined || this.sliceEnds || t.state !== "runnable" || ic >= this.nextTick) return 0;
    if (t.sig.pending & ~t.sig.mask) return 0;
    const left = this.hostLimit - ic - this.hostCalls;
    const budget = this.sliceEnd - ic;
    return Math.min(budget, left, Math.max(1, this.nextTick - ic));
  };

  /** Handles a stop of thread t: a system call, a host call; anything else ends the run. */
  private handle(t: Thread, stop: Stop): Exit | undefined {
    switch (stop.kind) {
      case "count": return undefined;
      case "syscall": this.syscall(t); return undefined;
      case "hostcall":
        if (!this.onHostCall) return { kind: "stop", stop, thread: t };
        this.hostCalls++;
        this.onHostCall(t, stop.addr);
        return undefined;
      default:
        this.save(t);
        return { kind: "stop", stop, thread: t };
    }
  }

  /**
   * One step for a debugger: the current thread (or the next one, if it
   * cannot run) executes one instruction, or reaches a host function and
   * the bridge runs it. Threads switch only when the current one blocks.
   */
  stepOnce(): Exit | undefined {
    if (this.exitCode !== undefined) return { kind: "exit", code: this.exitCode };
    this.unfinished = undefined;
    let t = this.cur;
    if (!t || t.state !== "runnable" || this.rotate) {
      this.rotate = false;
      t = this.pick();
      if (!t) return { kind: "deadlock" };
      this.switchTo(t);
    }
    if (t.sig.pending & ~t.sig.mask) {
      this.deliverPending(t);
      if (this.exitCode !== undefined) return { kind: "exit", code: this.exitCode };
    }
    const before = this.engine.icount;
    const stop = this.engine.step();
    const ran = this.engine.icount - before;
    t.icount += ran;
    this.now += ran;
    const end = this.handle(t, stop);
    if (t.state === "exited") this.cur = undefined;
    if (end) return end;
    if (this.exitCode !== undefined) return { kind: "exit", code: this.exitCode };
    this.tick(t);
    return undefined;
  }

  /** The tick (--preempt-every) once the count is due, as run() makes it: for stepOnce and stepMany. */
  private tick(t: Thread): void {
    if (this.engine.icount < this.nextTick) return;
    this.nextTick = this.engine.icount + this.tickEvery;
    if (t.state === "runnable") this.onTick?.(t);
  }

  /**
   * n steps exactly as n calls of stepOnce take them (each instruction and
   * each host call is one; the current thread runs on until it blocks), but
   * with the engine running whole stretches of instructions between the
   * points where stepOnce does more than execute one: a debugger's replay,
   * which must reach the machine n stepOnce calls reach, fast. Returns the
   * steps taken, which are fewer than n only when the machine ended (the
   * call that ends it counts, as stepOnce's does).
   */
  stepMany(n: number): { steps: number; end: Exit | undefined } {
    const e = this.engine;
    // As stepOnce: a slice left by run() is not resumed by steps.
    this.unfinished = undefined;
    let done = 0;
    while (done < n) {
      if (this.exitCode !== undefined) return { steps: done + 1, end: { kind: "exit", code: this.exitCode } };
      let t = this.cur;
      if (!t || t.state !== "runnable" || this.rotate) {
        this.rotate = false;
        t = this.pick();
        if (!t) return { steps: done + 1, end: { kind: "deadlock" } };
        this.switchTo(t);
      }
      if (t.sig.pending & ~t.sig.mask) {
        this.deliverPending(t);
        if (this.exitCode !== undefined) return { steps: done + 1, end: { kind: "exit", code: this.exitCode } };
      }
      // No further than the tick: stepOnce makes it after the instruction that reaches it.
      const before = e.icount;
      const stop = e.run(Math.min(n - done, Math.max(1, this.nextTick - before)));
      const ran = e.icount - before;
      t.icount += ran;
      this.now += ran;
      done += ran;
      if (stop.kind === "hostcall") {
        // stepOnce stops before a host function without retiring anything:
        // the call is a step of its own, the next one if any is left.
        if (done === n) break;
        done++;
      }
      const end = this.handle(t, stop);
      if (t.state === "exited") this.cur = undefined;
      if (end) return { steps: done, end };
      if (this.exitCode !== undefined) return { steps: done, end: { kind: "exit", code: this.exitCode } };
      this.tick(t);
    }
    return { steps: done, end: undefined };
  }

  /** Makes sig pending on thread t (tgkill, or a lab's forced preemption). */
  raise(t: Thread, sig: number): void {
    t.sig.pending |= sigbit(sig);
  }

  /** Delivers the lowest pending unblocked signal of t, which is loaded in the engine. */
  private deliverPending(t: Thread): void {
    const ready = t.sig.pending & ~t.sig.mask;
    let sig = 1;
    while (((ready >> BigInt(sig - 1)) & 1n) === 0n) sig++;
    t.sig.pending &= ~sigbit(sig);
    const act = this.sigactions.get(sig);
    if (!act || act.handler === 0n) {
      // SIG_DFL: terminate for most signals, ignore the rest (SIGURG, SIGCHLD, SIGWINCH ...).
      if (DEFAULT_TERMINATES.has(sig)) {
        this.exitCode = 128 + sig;
        this.sliceEnds = true;
      }
      return;
    }
    if (act.handler === 1n) return; // SIG_IGN
    const d = deliverSignal(this.engine, t.sig, sig, act, this.threads[0]?.tid ?? 1);
    this.signalsDelivered++;
    this.onSignal?.(t, sig, d);
  }

  private reg(r: number): bigint { return this.engine.getReg(regId(r)); }
  private ret(v: number | bigint): void { this.engine.setReg(0, BigInt.asUintN(64, BigInt(v))); }

  private u32(addr: number): number {
    return new DataView(this.engine.read(addr, 4).buffer).getUint32(0, true);
  }

  /** Handles the SYSCALL the current thread t just executed. */
  private syscall(t: Thread): void {
    const nr = Number(this.reg(0));
    const a = [7, 6, 2, 10, 8, 9].map((r) => this.reg(r)); // RDI RSI RDX R10 R8 R9
    const n = (i: number): number => Number(BigInt.asIntN(64, a[i]!));
    switch (nr) {
      case SYS.write: {
        const fd = n(0), len = n(2);
        if (fd !== 1 && fd !== 2) return this.ret(-EBADF);
        if (len < 0) return this.ret(-EINVAL);
        try {
          this.out(fd, this.engine.read(n(1), len));
        } catch {
          return this.ret(-EFAULT);
        }
        return this.ret(len);
      }
      case SYS.exit_group:
        this.exitCode = n(0) & 0xff;
        return;
      case SYS.exit:
        t.state = "exited";
        this.save(t);
        return;
      case SYS.sched_yield:
        this.sliceEnds = true;
        return this.ret(0);
      case SYS.gettid: return this.ret(t.tid);
      case SYS.getpid: return this.ret(this.threads[0]?.tid ?? 1);
      case SYS.arch_prctl:
        if (n(0) !== ARCH_SET_FS) return this.ret(-EINVAL);
        this.engine.setReg(REG_FS_BASE, a[1]!);
        return this.ret(0);
      case SYS.clock_gettime: {
        const ts = n(1);
        const buf = new Uint8Array(16);
        const dv = new DataView(buf.buffer);
        dv.setBigInt64(0, BigInt(Math.floor(this.now / 1e9)), true);
        dv.setBigInt64(8, BigInt(this.now % 1e9), true);
        try {
          this.engine.write(ts, buf);
        } catch {
          return this.ret(-EFAULT);
        }
        return this.ret(0);
      }
      case SYS.nanosleep: {
        const ns = this.timespec(n(0));
        if (ns === undefined) return this.ret(-EFAULT);
        this.ret(0);
        if (ns <= 0) return;
        t.state = "sleeping";
        t.deadline = this.now + ns;
        this.save(t);
        return;
      }
      case SYS.futex: return this.futex(t, n(0), n(1), n(2), n(3));
      case SYS.clone: {
        const flags = n(0), stack = n(1), tls = n(4);
        let live = 0;
        for (const x of this.threads) if (x.state !== "exited") live++;
        if (live >= MAX_THREADS) return this.ret(-EAGAIN);
        this.save(t);
        const child = this.newThread({ rip: Number(t.regs[REG_RIP]), rsp: stack });
        child.regs = [...t.regs];
        child.regs[4] = BigInt(stack);
        child.regs[0] = 0n;
        child.regs[1] = t.regs[REG_RIP]!; // SYSCALL leaves RIP in RCX and RFLAGS in R11
        child.regs[11] = t.regs[REG_RFLAGS]!;
        if (flags & CLONE_SETTLS) child.regs[REG_FS_BASE] = BigInt(tls);
        child.xmm = t.xmm.map((x) => x.slice());
        return this.ret(child.tid);
      }
      case SYS.rt_sigaction: return this.rtSigaction(n(0), n(1), n(2));
      case SYS.rt_sigprocmask: {
        const how = n(0), set = n(1), old = n(2);
        try {
          if (old !== 0) this.writeU64(old, t.sig.mask);
          if (set !== 0) {
            const v = this.readU64(set);
            if (how === SIG_BLOCK) t.sig.mask |= v;
            else if (how === SIG_UNBLOCK) t.sig.mask &= ~v;
            else if (how === SIG_SETMASK) t.sig.mask = v;
            else return this.ret(-EINVAL);
            t.sig.mask &= ~(sigbit(9) | sigbit(19)); // SIGKILL and SIGSTOP cannot be blocked
          }
        } catch {
          return this.ret(-EFAULT);
        }
        return this.ret(0);
      }
      case SYS.sigaltstack: {
        const ns = n(0), old = n(1);
        const alt = t.sig.alt;
        try {
          if (old !== 0) {
            const b = new Uint8Array(24);
            const dv = new DataView(b.buffer);
            dv.setBigUint64(0, BigInt(alt.sp), true);
            dv.setInt32(8, alt.flags, true);
            dv.setBigUint64(16, BigInt(alt.size), true);
            this.engine.write(old, b);
          }
          if (ns !== 0) {
            if (alt.flags === SS_ONSTACK) return this.ret(-EPERM); // cannot change it while on it
            const dv = new DataView(this.engine.read(ns, 24).buffer);
            const flags = dv.getInt32(8, true);
            if (flags === SS_DISABLE) t.sig.alt = { sp: 0, size: 0, flags: SS_DISABLE };
            else t.sig.alt = { sp: Number(dv.getBigUint64(0, true)), size: Number(dv.getBigUint64(16, true)), flags: 0 };
          }
        } catch {
          return this.ret(-EFAULT);
        }
        return this.ret(0);
      }
      case SYS.rt_sigreturn:
        if (!sigreturn(this.engine, t.sig)) {
          // Linux kills the process with SIGSEGV when the frame is unreadable.
          this.exitCode = 128 + 11;
          return;
        }
        this.sigreturns++;
        return; // RAX is the restored RAX, not a result
      case SYS.tgkill: {
        const tid = n(1), sig = n(2);
        if (sig < 0 || sig > 64) return this.ret(-EINVAL);
        const target = this.threads.find((x) => x.tid === tid && x.state !== "exited");
        if (!target) return this.ret(-ESRCH);
        if (sig === SIGKILL) {
          // Cannot be caught or blocked: the whole process ends at once.
          this.exitCode = 128 + SIGKILL;
          this.sliceEnds = true;
          return this.ret(0);
        }
        if (sig !== 0) this.raise(target, sig);
        return this.ret(0);
      }
      case SYS.madvise:
        return this.ret(0);
      default:
        return this.ret(-ENOSYS);
    }
  }

  private readU64(addr: number): bigint {
    return new DataView(this.engine.read(addr, 8).buffer).getBigUint64(0, true);
  }

  private writeU64(addr: number, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    this.engine.write(addr, b);
  }

  // rt_sigaction: Go's sigactiont is {sa_handler, sa_flags, sa_restorer, sa_mask}.
  private rtSigaction(sig: number, act: number, old: number): void {
    if (sig < 1 || sig > 64 || sig === 9 || sig === 19) return this.ret(-EINVAL);
    try {
      if (old !== 0) {
        const o = this.sigactions.get(sig) ?? { handler: 0n, flags: 0n, restorer: 0n, mask: 0n };
        const b = new Uint8Array(32);
        const dv = new DataView(b.buffer);
        dv.setBigUint64(0, o.handler, true);
        dv.setBigUint64(8, o.flags, true);
        dv.setBigUint64(16, o.restorer, true);
        dv.setBigUint64(24, o.mask, true);
        this.engine.write(old, b);
      }
      if (act !== 0) {
        const dv = new DataView(this.engine.read(act, 32).buffer);
        const a: SigAction = {
          handler: dv.getBigUint64(0, true), flags: dv.getBigUint64(8, true),
          restorer: dv.getBigUint64(16, true), mask: dv.getBigUint64(24, true),
        };
        const needs = BigInt(SA_SIGINFO | SA_RESTORER);
        if (a.handler > 1n && (a.flags & needs) !== needs) return this.ret(-EINVAL); // see signal.ts
        this.sigactions.set(sig, a);
      }
    } catch {
      return this.ret(-EFAULT);
    }
    return this.ret(0);
  }

  private timespec(addr: number): number | undefined {
    if (addr === 0) return undefined;
    try {
      const dv = new DataView(this.engine.read(addr, 16).buffer);
      return Number(dv.getBigInt64(0, true)) * 1e9 + Number(dv.getBigInt64(8, true));
    } catch {
      return undefined;
    }
  }

  private futex(t: Thread, addr: number, op: number, val: number, timeout: number): void {
    switch (op & ~FUTEX_PRIVATE_FLAG) {
      case FUTEX_WAIT: {
        let cur: number;
        try { cur = this.u32(addr); } catch { return this.ret(-EFAULT); }
        if (cur !== (val >>> 0)) return this.ret(-EAGAIN);
        // Linux copies the timeout in before it waits: one it cannot read
        // is EFAULT, not a wait without end.
        let ns: number | undefined;
        if (timeout !== 0 && (ns = this.timespec(timeout)) === undefined) return this.ret(-EFAULT);
        this.ret(0);
        t.state = "futex";
        t.futexAddr = addr;
        if (ns !== undefined) t.deadline = this.now + ns;
        this.save(t);
        return;
      }
      case FUTEX_WAKE: {
        let woken = 0;
        for (const w of this.threads) {
          if (woken >= val) break;
          if (w.state === "futex" && w.futexAddr === addr) {
            w.state = "runnable";
            delete w.futexAddr;
            delete w.deadline;
            woken++;
          }
        }
        return this.ret(woken);
      }
      default:
        return this.ret(-ENOSYS);
    }
  }
}
