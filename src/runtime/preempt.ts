// Preemption: sysmon, retake, and the two ways Go takes the CPU away from a
// goroutine that does not give it up (proc.go, preempt.go, signal_unix.go).
//
// sysmon runs on an M of its own, without a P, from runtime.main. It sleeps
// (usleep: a nanosleep on the virtual clock) 20 µs at first, doubling after
// 50 idle rounds up to 10 ms, and each round calls retake: a P whose
// schedtick has not moved for forcePreemptNS (10 ms of virtual time, or
// --timeslice) is running one goroutine too long, and preemptone asks that
// goroutine to stop, in two ways at once:
//
//   - cooperatively: gp.preempt = true and gp.stackguard0 = stackPreempt,
//     so the next function prologue that checks the stack fails its
//     comparison and calls morestack; newstack sees stackPreempt and
//     reschedules the goroutine (newstack.ts);
//   - asynchronously (Go 1.14+): preemptM sends SIGURG to the M's thread
//     with tgkill. The kernel (src/os/signal.ts) interrupts the thread at an
//     instruction boundary, saves its context on the gsignal stack and runs
//     sigtramp → sigtrampgo → sighandler → doSigPreempt. If the goroutine
//     is at an async safe point, pushCall edits the saved context so that
//     rt_sigreturn resumes it in asyncPreempt (asm/preempt_amd64.s) with
//     the interrupted PC as return address; asyncPreempt saves every
//     register and calls asyncPreempt2, which does mcall(gopreempt_m).
//
// Async safe points. Go refuses every assembly function (it has no stack
// maps to scan it with). gmpemu's programs are all assembly, standing for
// compiled Go code, so here a program's function is a safe point unless it
// is NOSPLIT (which Go also treats as unsafe: it may run with no stack
// room); runtime functions, host functions and anything off the
// goroutine's own stack are refused as Go refuses them, and so is an M
// that holds locks, is allocating, has preemptoff set or whose P is not
// running. Every refusal is counted by reason (--stats).
//
// Left out, and said so: preemptStop/suspendG (only the GC uses them);
// sighandler's other signals (only SIGURG is installed); the switch to
// gsignal inside sigtrampgo (the host function runs atomically, so no
// instruction can observe which g is current while it runs).

import type { Image } from "../asm/link.ts";
import type { Kernel, Thread } from "../os/kernel.ts";
import { SA_ONSTACK, SA_RESTORER, SA_SIGINFO, SIGCTX_RIP, SIGCTX_RSP, SIGURG, sigframe } from "../os/signal.ts";
import type { Bridge, HostCall, HostGen } from "./bridge.ts";
import { lock, unlock } from "./lock_futex.ts";
import { throw_ } from "./panic.ts";
import { mcount, readgstatus, runqempty } from "./proc.ts";
import type { Sched } from "./sched.ts";
import { g as gT, m as mT, off, p as pT, schedt, stack as stackT, _Pidle, _Prunning, _Psyscall, _Grunning, stackPreempt } from "./runtime2.ts";

const o = {
  g_m: off(gT, "m"),
  g_stack_lo: off(gT, "stack") + off(stackT, "lo"),
  g_stack_hi: off(gT, "stack") + off(stackT, "hi"),
  g_stackguard0: off(gT, "stackguard0"),
  g_preempt: off(gT, "preempt"),
  g_asyncSafePoint: off(gT, "asyncSafePoint"),
  m_g0: off(mT, "g0"),
  m_gsignal: off(mT, "gsignal"),
  m_curg: off(mT, "curg"),
  m_p: off(mT, "p"),
  m_procid: off(mT, "procid"),
  m_locks: off(mT, "locks"),
  m_mallocing: off(mT, "mallocing"),
  m_preemptoff: off(mT, "preemptoff"),
  m_preemptGen: off(mT, "preemptGen"),
  m_signalPending: off(mT, "signalPending"),
  p_status: off(pT, "status"),
  p_m: off(pT, "m"),
  p_schedtick: off(pT, "schedtick"),
  p_syscalltick: off(pT, "syscalltick"),
  p_sysmontick: off(pT, "sysmontick"),
  p_preempt: off(pT, "preempt"),
  p_runqhead: off(pT, "runqhead"),
  p_runqtail: off(pT, "runqtail"),
  s_lock: off(schedt, "lock"),
  s_nmsys: off(schedt, "nmsys"),
  s_npidle: off(schedt, "npidle"),
  s_nmspinning: off(schedt, "nmspinning"),
  s_nmidle: off(schedt, "nmidle"),
  s_runqsize: off(schedt, "runqsize"),
  s_sysmonwait: off(schedt, "sysmonwait"),
  s_sysmonnote: off(schedt, "sysmonnote"),
};
// sysmontick: {schedtick uint32; schedwhen int64; syscalltick uint32; syscallwhen int64}.
const pd_schedtick = 0, pd_schedwhen = 8, pd_syscalltick = 16, pd_syscallwhen = 24;

/** forcePreemptNS: Go's time slice, 10 ms. */
export const forcePreemptNS = 10_000_000;
/** forcegcperiod/2: sysmon's longest sleep when every P is idle. */
const sysmonIdleSleepNS = 60_000_000_000;
/**
 * Stack a goroutine needs below SP to take an async preemption:
 * asyncPreempt's return address, saved BP and flags, its 368-byte save area,
 * and the return address of its call to asyncPreempt2 (which switches to g0
 * at once), with room to spare.
 */
export const asyncPreemptStack = 8 + 8 + 8 + 368 + 8 + 128;

const SA_RESTART = 0x10000000;
const NOSPLIT = 4;

export interface PreemptOptions {
  /** GODEBUG=asyncpreemptoff=1: no signals, only the cooperative flag. */
  asyncpreemptoff?: boolean;
  /** forcePreemptNS, for labs (--timeslice). */
  timeslice?: number;
  /** Don't start sysmon (tests that count every instruction of a switch). */
  nosysmon?: boolean;
  /** GODEBUG=schedtrace=MS: sysmon prints a SCHED line every MS ms of virtual time. */
  schedtrace?: number;
}

export interface PreemptStats {
  /** preemptone requests (sysmon or --preempt-every). */
  requests: number;
  /** SIGURG sent with tgkill, or raised by --preempt-every. */
  signals: number;
  /** Signals that ended in pushCall(asyncPreempt). */
  taken: number;
  /** Signals refused, by reason. */
  refused: Map<string, number>;
  /** Goroutines that entered asyncPreempt2 (taken ones that reached it). */
  asyncPreempt2: number;
  /** P handoffs by retake (a P in a system call too long). */
  handoffs: number;
  /** sysmon rounds. */
  sysmonRounds: number;
}

export class Preempt {
  readonly stats: PreemptStats = { requests: 0, signals: 0, taken: 0, refused: new Map(), asyncPreempt2: 0, handoffs: 0, sysmonRounds: 0 };
  readonly timeslice: number;
  /** The linked program (set once linked: register() comes first, since linking resolves host functions). */
  image!: Image;
  /** Called after doSigPreempt decides (tests follow one signal). */
  onDecision: ((gp: number, taken: boolean, reason: string, pc: number, sp: number) => void) | undefined;

  constructor(
    readonly sched: Sched,
    readonly bridge: Bridge,
    readonly kernel: Kernel,
    readonly opts: PreemptOptions = {},
  ) {
    this.timeslice = opts.timeslice ?? forcePreemptNS;
  }

  private get mem() { return this.sched.rt.mem; }

  register(): void {
    const b = this.bridge, self = this;
    b.define("runtime.sysmon", "", (h) => self.sysmon(h));
    b.define("runtime.sigtrampgo", "i p p", (h) => { self.sigtrampgo(Number(h.args[0]), Number(h.args[1]), Number(h.args[2])); });
    b.define("runtime.asyncPreempt2", "", function* (h) {
      const gp = self.sched.getg();
      self.stats.asyncPreempt2++;
      self.mem.setU8(gp + o.g_asyncSafePoint, 1);
      yield h.call("runtime.mcall", "p", [0n], { 0: BigInt(self.sched.funcval("runtime.gopreempt_m")) });
      self.mem.setU8(self.sched.getg() + o.g_asyncSafePoint, 0);
    });
    b.define("runtime.gopreempt_m", "p", (h) => self.sched.gopreempt_m(Number(h.args[0]), h));
    this.kernel.onTick = (t) => this.forcePreempt(t);
  }

  // --- per-M signal set-up ------------------------------------------------------------

  // initsig (on m0): installs sigtramp for SIGURG, with SA_ONSTACK so that it
  // runs on gsignal's stack, and sigreturn__sigaction as the restorer.
  *initsig(h: HostCall): HostGen {
    const mem = this.mem;
    const sa = this.sched.scratch(32);
    mem.setPtr(sa, this.bridge.addrOf("runtime.sigtramp"));
    mem.setU64(sa + 8, BigInt(SA_SIGINFO | SA_ONSTACK | SA_RESTORER | SA_RESTART));
    mem.setPtr(sa + 16, this.bridge.addrOf("runtime.sigreturn__sigaction"));
    mem.setU64(sa + 24, 0xffffffffffffffffn);
    const [r] = yield h.call("runtime.rt_sigaction", "p p p p : i", [BigInt(SIGURG), BigInt(sa), 0n, 8n]);
    if (Number(BigInt.asIntN(32, r ?? 0n)) !== 0) throw_("initsig: rt_sigaction failed");
  }

  // minitSignalStack: the M's gsignal stack becomes its sigaltstack.
  *minit(mp: number, h: HostCall): HostGen {
    const mem = this.mem;
    const gsignal = mem.ptr(mp + o.m_gsignal);
    if (gsignal === 0) return;
    const st = this.sched.scratch(24);
    const lo = mem.ptr(gsignal + o.g_stack_lo), hi = mem.ptr(gsignal + o.g_stack_hi);
    mem.setPtr(st, lo);
    mem.setI32(st + 8, 0);
    mem.setPtr(st + 16, hi - lo);
    yield h.call("runtime.sigaltstack", "p p", [BigInt(st), 0n]);
  }

  // --- sysmon -----------------------------------------------------------------------

  // sysmon: never returns; its M has no P and counts in sched.nmsys.
  *sysmon(h: HostCall): HostGen {
    const s = this.sched, rt = s.rt, mem = this.mem;
    lock(rt, rt.sched + o.s_lock);
    mem.setI32(rt.sched + o.s_nmsys, mem.i32(rt.sched + o.s_nmsys) + 1);
    s.checkdead();
    unlock(rt, rt.sched + o.s_lock);
    // lasttrace starts a whole period back, so the first round prints, as
    // Go's does (its nanotime is far from zero); times count from that round.
    let idle = 0, delay = 0, lasttrace = -Number.MAX_SAFE_INTEGER, starttime = -1;
    const schedtrace = (this.opts.schedtrace ?? 0) * 1_000_000;
    for (;;) {
      if (idle === 0) delay = 20;
      else if (idle > 50) delay *= 2;
      if (delay > 10_000) delay = 10_000;
      yield h.call("runtime.usleep", "i", [BigInt(delay)]);
      this.stats.sysmonRounds++;
      let now = s.nanotime();
      // With schedtrace on, sysmon never sleeps for long: it has lines to print.
      if (schedtrace <= 0 && mem.u32(rt.sched + o.s_npidle) === rt.allp.length) {
        // Every P idle: nothing to retake; sleep until the next timer (or a
        // minute), or until exitsyscall wakes us.
        lock(rt, rt.sched + o.s_lock);
        if (mem.u32(rt.sched + o.s_npidle) === rt.allp.length) {
          const next = s.timers.length ? Math.min(...s.timers.map((t) => t.when)) : Number.MAX_SAFE_INTEGER;
          if (next > now) {
            mem.setU32(rt.sched + o.s_sysmonwait, 1);
            unlock(rt, rt.sched + o.s_lock);
            const sleep = Math.min(sysmonIdleSleepNS, next - now);
            const woken = yield* s.notetsleep(rt.sched + o.s_sysmonnote, sleep, h);
            lock(rt, rt.sched + o.s_lock);
            mem.setU32(rt.sched + o.s_sysmonwait, 0);
            mem.setU32(rt.sched + o.s_sysmonnote, 0); // noteclear
            if (woken) { idle = 0; delay = 20; }
          }
        }
        unlock(rt, rt.sched + o.s_lock);
        now = s.nanotime();
      }
      if ((yield* this.retake(now, h)) !== 0) idle = 0;
      else idle++;
      if (schedtrace > 0 && lasttrace + schedtrace <= now) {
        lasttrace = now;
        if (starttime < 0) starttime = now;
        yield* this.schedtrace(now - starttime, h);
      }
    }
  }

  // schedtrace (non-detailed): Go's GODEBUG=schedtrace line, on the virtual
  // clock, written to fd 2 with the write1 stub as Go's print does.
  *schedtrace(sinceStart: number, h: HostCall): HostGen {
    const rt = this.sched.rt, mem = this.mem, sc = rt.sched;
    const lens = rt.allp.map((pp) => (mem.u32(pp + o.p_runqtail) - mem.u32(pp + o.p_runqhead)) >>> 0);
    const line = `SCHED ${Math.floor(sinceStart / 1e6)}ms: gomaxprocs=${rt.allp.length} idleprocs=${mem.i32(sc + o.s_npidle)} ` +
      `threads=${mcount(rt)} spinningthreads=${mem.i32(sc + o.s_nmspinning)} idlethreads=${mem.i32(sc + o.s_nmidle)} ` +
      `runqueue=${mem.i32(sc + o.s_runqsize)} [${lens.join(" ")}]\n`;
    const bytes = new TextEncoder().encode(line);
    const buf = this.sched.scratch(bytes.length);
    rt.engine.write(buf, bytes);
    yield h.call("runtime.write1", "p p i : i", [2n, BigInt(buf), BigInt(bytes.length)]);
  }

  // retake: preempts Ps that have run one G for a whole time slice and
  // hands off Ps that have sat in a system call. Returns the handoffs.
  *retake(now: number, h: HostCall): Generator<ReturnType<HostCall["call"]>, number, readonly bigint[]> {
    const s = this.sched, rt = s.rt, mem = this.mem;
    let n = 0;
    for (const pp of rt.allp) {
      const pd = pp + o.p_sysmontick;
      const st = mem.u32(pp + o.p_status);
      let sysretake = false;
      if (st === _Prunning || st === _Psyscall) {
        const t = mem.u32(pp + o.p_schedtick);
        if (mem.u32(pd + pd_schedtick) !== t) {
          mem.setU32(pd + pd_schedtick, t);
          mem.setInt(pd + pd_schedwhen, now);
        } else if (mem.int(pd + pd_schedwhen) + this.timeslice <= now) {
          yield* this.preemptone(pp, h);
          sysretake = true;
        }
      }
      if (st === _Psyscall) {
        const t = mem.u32(pp + o.p_syscalltick);
        if (!sysretake && mem.u32(pd + pd_syscalltick) !== t) {
          mem.setU32(pd + pd_syscalltick, t);
          mem.setInt(pd + pd_syscallwhen, now);
          continue;
        }
        // Nothing to do and someone else could take the work: leave it.
        const spare = mem.u32(rt.sched + o.s_nmspinning) + mem.u32(rt.sched + o.s_npidle);
        if (runqempty(rt, pp) && spare > 0 && mem.int(pd + pd_syscallwhen) + 10_000_000 > now) continue;
        if (mem.u32(pp + o.p_status) === _Psyscall) {
          mem.setU32(pp + o.p_status, _Pidle);
          n++;
          this.stats.handoffs++;
          this.sched.emit("handoff", 0, `P${mem.i32(pp + off(pT, "id"))}`);
          mem.setU32(pp + o.p_syscalltick, mem.u32(pp + o.p_syscalltick) + 1);
          yield* s.handoffp(pp, h);
        }
      }
    }
    return n;
  }

  // preemptone: asks the goroutine running on pp to stop, both ways
  // (preemptM and signalM folded in).
  *preemptone(pp: number, h: HostCall): Generator<ReturnType<HostCall["call"]>, boolean, readonly bigint[]> {
    const mem = this.mem;
    const mp = mem.ptr(pp + o.p_m);
    if (mp === 0 || mp === mem.ptr(this.sched.getg() + o.g_m)) return false;
    const gp = mem.ptr(mp + o.m_curg);
    if (gp === 0 || gp === mem.ptr(mp + o.m_g0)) return false;
    if (this.request(pp, mp, gp)) {
      // signalM: tgkill(getpid(), mp.procid, SIGURG).
      const [pid] = yield h.call("runtime.getpid", ": p", []);
      yield h.call("runtime.tgkill", "p p p", [pid ?? 0n, BigInt(mem.ptr(mp + o.m_procid)), BigInt(SIGURG)]);
    }
    return true;
  }

  /**
   * What both ways of asking start with: the cooperative request
   * (gp.preempt, stackguard0 = stackPreempt), then, unless async
   * preemption is off, p.preempt and preemptM's one signal in flight per M
   * (signalPending). True when the caller must send the signal.
   */
  private request(pp: number, mp: number, gp: number): boolean {
    const mem = this.mem;
    this.stats.requests++;
    mem.setU8(gp + o.g_preempt, 1);
    mem.setU64(gp + o.g_stackguard0, stackPreempt);
    if (this.opts.asyncpreemptoff) return false;
    mem.setU8(pp + o.p_preempt, 1);
    if (mem.u32(mp + o.m_signalPending) !== 0) return false;
    mem.setU32(mp + o.m_signalPending, 1);
    this.stats.signals++;
    return true;
  }

  /**
   * --preempt-every N: the kernel's tick on thread t. A lab's forced
   * preemption: preemptone on the P of the M running there, with the
   * signal raised directly (no sysmon round, no tgkill).
   */
  forcePreempt(t: Thread): void {
    const mem = this.mem;
    const mp = this.sched.rt.allm.find((m) => mem.ptr(m + o.m_procid) === t.tid);
    if (mp === undefined) return;
    const pp = mem.ptr(mp + o.m_p);
    const gp = mem.ptr(mp + o.m_curg);
    if (pp === 0 || gp === 0) return;
    if (this.request(pp, mp, gp)) this.kernel.raise(t, SIGURG);
  }


  // --- the handler ----------------------------------------------------------------

  // sigtrampgo + sighandler: only SIGURG is installed, so this is doSigPreempt.
  sigtrampgo(sig: number, _info: number, ctx: number): void {
    const gp = this.sched.getg();
    if (gp === 0) return; // badsignal: a thread with no g (none here)
    if (sig !== SIGURG || this.opts.asyncpreemptoff) return;
    this.doSigPreempt(gp, ctx);
  }

  doSigPreempt(gp: number, ctx: number): void {
    const mem = this.mem;
    const mctx = ctx - sigframe.UC + sigframe.MCTX;
    const pc = mem.ptr(mctx + SIGCTX_RIP), sp = mem.ptr(mctx + SIGCTX_RSP);
    const reason = this.wantAsyncPreempt(gp) ? this.isAsyncSafePoint(gp, pc, sp) : "no preemption requested";
    if (reason === "") {
      // pushCall(asyncPreempt, pc): as if the goroutine had called it here.
      const nsp = sp - 8;
      mem.setPtr(nsp, pc);
      mem.setPtr(mctx + SIGCTX_RSP, nsp);
      mem.setPtr(mctx + SIGCTX_RIP, this.bridge.addrOf("runtime.asyncPreempt"));
      this.stats.taken++;
      this.sched.emit("signal", gp, "asyncPreempt");
    } else {
      this.stats.refused.set(reason, (this.stats.refused.get(reason) ?? 0) + 1);
    }
    this.onDecision?.(gp, reason === "", reason, pc, sp);
    const mp = mem.ptr(gp + o.g_m);
    if (mp !== 0) {
      mem.setU32(mp + o.m_preemptGen, mem.u32(mp + o.m_preemptGen) + 1);
      mem.setU32(mp + o.m_signalPending, 0);
    }
  }

  // wantAsyncPreempt: the goroutine (or its P) was asked to stop, and it runs.
  wantAsyncPreempt(gp: number): boolean {
    const mem = this.mem;
    const mp = mem.ptr(gp + o.g_m);
    const pp = mp !== 0 ? mem.ptr(mp + o.m_p) : 0;
    const asked = mem.u8(gp + o.g_preempt) !== 0 || (pp !== 0 && mem.u8(pp + o.p_preempt) !== 0);
    return asked && (readgstatus(this.sched.rt, gp) & ~0x1000) === _Grunning;
  }

  /** isAsyncSafePoint: "" when gp may be preempted at pc, else why not. */
  isAsyncSafePoint(gp: number, pc: number, sp: number): string {
    const mem = this.mem;
    const mp = mem.ptr(gp + o.g_m);
    if (mp === 0 || mem.ptr(mp + o.m_curg) !== gp) return "not on a goroutine's stack";
    const pp = mem.ptr(mp + o.m_p);
    if (pp === 0 || mem.i32(mp + o.m_locks) !== 0 || mem.i32(mp + o.m_mallocing) !== 0 ||
      mem.int(mp + o.m_preemptoff + 8) !== 0 || mem.u32(pp + o.p_status) !== _Prunning) {
      return "M holds locks or its P is not running";
    }
    const lo = mem.ptr(gp + o.g_stack_lo);
    if (sp < lo || sp - lo < asyncPreemptStack) return "too little stack";
    if (this.bridge.nameAt(pc) !== undefined) return "in a host function";
    const sym = this.image.symAt(pc);
    if (!sym || sym.kind !== "text") return "not in a function";
    if (sym.name.startsWith("runtime.")) return "runtime code";
    if (sym.flags & NOSPLIT) return "NOSPLIT assembly";
    return "";
  }
}
