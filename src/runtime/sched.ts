// The scheduler loop (proc.go): what runs on the Ms. schedinit and
// procresize, mstart0/mstart1, newproc/newproc1, schedule, findRunnable,
// execute, gopark/park_m, goready/ready, Gosched, goexit1/goexit0,
// wakep/startm/stopm/handoffp, acquirep/releasep, checkdead, newm.
//
// These are host functions (bridge.ts) and the generators they call. Where
// Go's code calls into assembly, ours does too, by yielding a request to the
// bridge: execute ends in `gogo(&gp.sched)`, gopark and goexit1 and Gosched
// call `mcall(fn)` with fn a funcval of a host function (park_m, goexit0,
// gosched_m), newm clones a thread through the `runtime·clone` stub,
// notesleep/notewakeup go through the `runtime·futex` stub. So a goroutine
// switch is always the real sequence of machine code, and a thread that
// waits is blocked in the emulated kernel on a futex, as in Go.
//
// The data structures (run queues, free lists, goids, stacks) are the data
// layer's (proc.ts, stack.ts, malloc.ts); every piece of state is in
// emulated memory, except what cannot be (a TypeScript callback for
// gopark's unlockf, kept per M in a map beside m.waitunlockf).
//
// Left out, and said so: netpoll (no network), the GC's hooks (no GC:
// gcwaiting, safe points, gcBlackenEnabled), locked Ms (LockOSThread),
// cgo and trace events. sysmon and preemption are in preempt.ts, stack
// growth in newstack.ts; the randomization of stealing order is Go's, from
// the seeded fastrand.

import { PROT_READ, PROT_WRITE } from "../engine/engine.ts";
import type { Kernel } from "../os/kernel.ts";
import type { Bridge, HostCall, HostGen, HostReq } from "./bridge.ts";
import { lock, unlock } from "./lock_futex.ts";
import { malloc_funcval } from "./funcval.ts";
import type { Preempt } from "./preempt.ts";
import { mallocgc } from "./malloc.ts";
import { registerNewstack } from "./newstack.ts";
import { fatal, throw_ } from "./panic.ts";
import {
  allgadd, allpgrow, casgstatus, fastrandn, gfget, gfput, globrunqget, globrunqput, malg, mcommoninit,
  mcount, newgoid, readgstatus, runqempty, runqget, runqput, runqsteal, schedGFreeN, pGFreeN,
} from "./proc.ts";
import { persistentalloc, type Runtime } from "./rt.ts";
import {
  _Gdead, _Gidle, _Gpreempted, _Grunnable, _Grunning, _Gsyscall, _Gwaiting, _Pidle, _Prunning, _StackGuard,
  _StackMin, g as gT, gobuf as gobufT, m as mT, note as noteT, off, p as pT, schedt, stack as stackT,
} from "./runtime2.ts";

const o = {
  g_stack_lo: off(gT, "stack") + off(stackT, "lo"),
  g_stack_hi: off(gT, "stack") + off(stackT, "hi"),
  g_stackguard0: off(gT, "stackguard0"),
  g_m: off(gT, "m"),
  g_sched: off(gT, "sched"),
  g_atomicstatus: off(gT, "atomicstatus"),
  g_goid: off(gT, "goid"),
  g_waitsince: off(gT, "waitsince"),
  g_waitreason: off(gT, "waitreason"),
  g_preempt: off(gT, "preempt"),
  g_param: off(gT, "param"),
  g_gopc: off(gT, "gopc"),
  g_startpc: off(gT, "startpc"),
  g_lockedm: off(gT, "lockedm"),
  g__defer: off(gT, "_defer"),
  g__panic: off(gT, "_panic"),
  g_writebuf: off(gT, "writebuf"),
  g_labels: off(gT, "labels"),
  g_timer: off(gT, "timer"),
  g_preemptStop: off(gT, "preemptStop"),
  g_paniconfault: off(gT, "paniconfault"),
  gobuf_sp: off(gobufT, "sp"),
  gobuf_pc: off(gobufT, "pc"),
  gobuf_g: off(gobufT, "g"),
  gobuf_ctxt: off(gobufT, "ctxt"),
  gobuf_bp: off(gobufT, "bp"),
  m_g0: off(mT, "g0"),
  m_curg: off(mT, "curg"),
  m_p: off(mT, "p"),
  m_nextp: off(mT, "nextp"),
  m_oldp: off(mT, "oldp"),
  m_id: off(mT, "id"),
  m_tls: off(mT, "tls"),
  m_spinning: off(mT, "spinning"),
  m_blocked: off(mT, "blocked"),
  m_locks: off(mT, "locks"),
  m_park: off(mT, "park"),
  m_schedlink: off(mT, "schedlink"),
  m_mstartfn: off(mT, "mstartfn"),
  m_lockedg: off(mT, "lockedg"),
  m_waitlock: off(mT, "waitlock"),
  m_procid: off(mT, "procid"),
  p_id: off(pT, "id"),
  p_status: off(pT, "status"),
  p_link: off(pT, "link"),
  p_m: off(pT, "m"),
  p_schedtick: off(pT, "schedtick"),
  p_preempt: off(pT, "preempt"),
  p_runnext: off(pT, "runnext"),
  s_lock: off(schedt, "lock"),
  s_midle: off(schedt, "midle"),
  s_nmidle: off(schedt, "nmidle"),
  s_nmidlelocked: off(schedt, "nmidlelocked"),
  s_nmsys: off(schedt, "nmsys"),
  s_ngsys: off(schedt, "ngsys"),
  s_pidle: off(schedt, "pidle"),
  s_npidle: off(schedt, "npidle"),
  s_nmspinning: off(schedt, "nmspinning"),
  s_runqsize: off(schedt, "runqsize"),
  note_key: off(noteT, "key"),
};

/** Go's waitReason values (runtime2.go) and their strings, for tracebacks. */
export const waitReason = {
  zero: 0, gcAssistMarking: 1, ioWait: 2, chanReceiveNilChan: 3, chanSendNilChan: 4, dumpingHeap: 5,
  garbageCollection: 6, garbageCollectionScan: 7, panicWait: 8, select: 9, selectNoCases: 10,
  gcAssistWait: 11, gcSweepWait: 12, gcScavengeWait: 13, chanReceive: 14, chanSend: 15, finalizerWait: 16,
  forceGCIdle: 17, semacquire: 18, sleep: 19, syncCondWait: 20, timerGoroutineIdle: 21, traceReaderBlocked: 22,
  waitForGCCycle: 23, GCWorkerIdle: 24, preempted: 25, debugCall: 26,
} as const;
export const waitReasonStrings: readonly string[] = [
  "", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)", "dumping heap",
  "garbage collection", "garbage collection scan", "panicwait", "select", "select (no cases)",
  "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive", "chan send", "finalizer wait",
  "force gc (idle)", "semacquire", "sleep", "sync.Cond.Wait", "timer goroutine (idle)", "trace reader (blocked)",
  "wait for GC cycle", "GC worker (idle)", "preempted", "debug call",
];

const FUTEX_WAIT_PRIVATE = 128, FUTEX_WAKE_PRIVATE = 129;
/** clone flags newosproc uses (os_linux.go cloneFlags). */
const cloneFlags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x80000;

/**
 * A scheduler event, for traces (gmpemu trace --events, --trace-out) and
 * stepper breakpoints. Emitted at the point Go's own trace would emit its
 * event; `goid` is the goroutine the event is about, `by` the one that
 * caused it (0: the runtime, on g0), `p` the P's id (-1: none), `m` the
 * M's id, `t` the virtual time in ns.
 */
export interface SchedEvent {
  kind: "create" | "run" | "park" | "ready" | "gosched" | "preempt" | "exit" | "steal" | "syscall" | "sysexit" | "handoff" | "signal";
  t: number;
  goid: number;
  by: number;
  p: number;
  m: number;
  /** Wait reason for park, victim P for steal, and so on. */
  detail?: string;
}

/** gopark's unlock function: runs on g0 in park_m; returns false to keep the goroutine running. */
export type UnlockFn = (gp: number, lockAddr: number, h: HostCall) => Generator<HostReq, boolean, readonly bigint[]>;

export interface SchedOptions {
  procs: number;
}

/**
 * The scheduler: its host functions registered on the bridge, and the
 * per-run state that is not emulated memory (callbacks, funcvals).
 */
export class Sched {
  mainStarted = false;
  /** Per M, the host function whose schedule → execute jumped to gogo last (for bt). */
  readonly execFrom = new Map<number, string>();
  /** gopark's unlockf per M (a TypeScript function cannot live in emulated memory). */
  readonly waitunlockf = new Map<number, UnlockFn>();
  /** Timers: goroutines sleeping until a virtual time (time.go, simplified: one list, not per-P heaps). */
  readonly timers: { when: number; gp: number }[] = [];
  /** funcvals of host functions that machine code calls through (mcall's fn, newproc's main). */
  private readonly fv = new Map<string, number>();
  /** Per-M closure for newproc's systemstack call. */
  private readonly sysfv = new Map<number, number>();
  /** Per-M scratch for formatting prints into emulated memory. */
  readonly printbuf = new Map<number, number>();

  /** Subscribers to scheduler events (traces, the stepper). */
  readonly listeners: ((ev: SchedEvent) => void)[] = [];

  /** Emits a scheduler event about gp (cheap when nobody listens). */
  emit(kind: SchedEvent["kind"], gp: number, detail?: string, by?: number): void {
    if (this.listeners.length === 0) return;
    const mem = this.mem;
    const cur = this.getg();
    const mp = cur !== 0 ? mem.ptr(cur + o.g_m) : 0;
    const pp = mp !== 0 ? mem.ptr(mp + o.m_p) : 0;
    const curg = mp !== 0 ? mem.ptr(mp + o.m_curg) : 0;
    const ev: SchedEvent = {
      kind, t: this.kernel.now, goid: gp !== 0 ? mem.int(gp + o.g_goid) : 0,
      by: by ?? (curg !== 0 && curg !== gp ? mem.int(curg + o.g_goid) : 0),
      p: pp !== 0 ? mem.i32(pp + o.p_id) : -1, m: mp !== 0 ? mem.int(mp + o.m_id) : -1,
    };
    if (detail !== undefined) ev.detail = detail;
    for (const l of this.listeners) l(ev);
  }

  /** Preemption and sysmon (preempt.ts), when the machine has them. */
  preempt: Preempt | undefined;

  /** The runtime's memory; attached once the image is loaded (its m0 and g0 are linker symbols). */
  rt!: Runtime;

  constructor(readonly bridge: Bridge, readonly kernel: Kernel, readonly opts: SchedOptions) {}

  attach(rt: Runtime): void {
    this.rt = rt;
    rt.getg = () => this.getg();
  }

  /** getg: the g in the current thread's TLS slot (FS-8). */
  getg(): number {
    const fs = Number(this.rt.engine.getReg(18));
    if (fs === 0) return this.rt.g0;
    return this.rt.mem.ptr(fs - 8);
  }

  /** A funcval whose fn is the host function `name` (allocated once). */
  funcval(name: string): number {
    let v = this.fv.get(name);
    if (v === undefined) {
      v = malloc_funcval(this.rt, this.bridge.addrOf(name));
      this.fv.set(name, v);
    }
    return v;
  }

  get mem() { return this.rt.mem; }
  nanotime(): number { return this.kernel.now; }

  // --- Ms, Ps and their lists -------------------------------------------------

  // acquirem/releasem: m.locks, which Go uses to forbid preemption.
  acquirem(): number {
    const mp = this.mem.ptr(this.getg() + o.g_m);
    this.mem.setI32(mp + o.m_locks, this.mem.i32(mp + o.m_locks) + 1);
    return mp;
  }
  releasem(mp: number): void {
    this.mem.setI32(mp + o.m_locks, this.mem.i32(mp + o.m_locks) - 1);
  }

  // mput: puts mp on the idle list. sched.lock must be held.
  mput(mp: number): void {
    const mem = this.mem, s = this.rt.sched;
    mem.setPtr(mp + o.m_schedlink, mem.ptr(s + o.s_midle));
    mem.setPtr(s + o.s_midle, mp);
    mem.setI32(s + o.s_nmidle, mem.i32(s + o.s_nmidle) + 1);
    this.checkdead();
  }

  // mget: an idle M, or 0. sched.lock must be held.
  mget(): number {
    const mem = this.mem, s = this.rt.sched;
    const mp = mem.ptr(s + o.s_midle);
    if (mp !== 0) {
      mem.setPtr(s + o.s_midle, mem.ptr(mp + o.m_schedlink));
      mem.setI32(s + o.s_nmidle, mem.i32(s + o.s_nmidle) - 1);
    }
    return mp;
  }

  // pidleput: puts pp on the idle P list. sched.lock must be held.
  pidleput(pp: number): void {
    const mem = this.mem, s = this.rt.sched;
    if (!runqempty(this.rt, pp)) throw_("pidleput: P has non-empty run queue");
    mem.setU32(pp + o.p_status, _Pidle);
    mem.setPtr(pp + o.p_link, mem.ptr(s + o.s_pidle));
    mem.setPtr(s + o.s_pidle, pp);
    mem.setI32(s + o.s_npidle, mem.i32(s + o.s_npidle) + 1);
  }

  // pidleget: an idle P, or 0. sched.lock must be held.
  pidleget(): number {
    const mem = this.mem, s = this.rt.sched;
    const pp = mem.ptr(s + o.s_pidle);
    if (pp !== 0) {
      mem.setPtr(s + o.s_pidle, mem.ptr(pp + o.p_link));
      mem.setI32(s + o.s_npidle, mem.i32(s + o.s_npidle) - 1);
    }
    return pp;
  }

  // acquirep: associates pp with the current M.
  acquirep(pp: number): void {
    const mem = this.mem;
    const mp = mem.ptr(this.getg() + o.g_m);
    if (mem.ptr(mp + o.m_p) !== 0) throw_("wirep: already in go");
    if (mem.ptr(pp + o.p_m) !== 0 || mem.u32(pp + o.p_status) !== _Pidle) {
      throw_("wirep: invalid p state", `wirep: p->m=${mem.ptr(pp + o.p_m)} p->status=${mem.u32(pp + o.p_status)}`);
    }
    mem.setPtr(mp + o.m_p, pp);
    mem.setPtr(pp + o.p_m, mp);
    mem.setU32(pp + o.p_status, _Prunning);
  }

  // releasep: disassociates the current M from its P and returns the P.
  releasep(): number {
    const mem = this.mem;
    const mp = mem.ptr(this.getg() + o.g_m);
    const pp = mem.ptr(mp + o.m_p);
    if (pp === 0) throw_("releasep: invalid arg");
    if (mem.ptr(pp + o.p_m) !== mp || mem.u32(pp + o.p_status) !== _Prunning) {
      throw_("releasep: invalid p state", `releasep: m=${mp} m->p=${pp} p->m=${mem.ptr(pp + o.p_m)} p->status=${mem.u32(pp + o.p_status)}`);
    }
    mem.setPtr(mp + o.m_p, 0);
    mem.setPtr(pp + o.p_m, 0);
    mem.setU32(pp + o.p_status, _Pidle);
    return pp;
  }

  // procresize: sets up nprocs Ps; P 0 goes to the current M, the rest idle.
  // (Only the start-up call is needed: GOMAXPROCS does not change at run time here.)
  procresize(nprocs: number): void {
    allpgrow(this.rt, nprocs);
    const mem = this.mem;
    const mp = mem.ptr(this.getg() + o.g_m);
    const allp = this.rt.allp;
    const p0 = allp[0]!;
    mem.setPtr(mp + o.m_p, 0);
    mem.setPtr(p0 + o.p_m, 0);
    mem.setU32(p0 + o.p_status, _Pidle);
    this.acquirep(p0);
    for (let i = nprocs - 1; i >= 1; i--) {
      const pp = allp[i]!;
      mem.setU32(pp + o.p_status, _Pidle);
      this.pidleput(pp);
    }
  }

  // --- checkdead ----------------------------------------------------------------

  // isSystemGoroutine: a goroutine the runtime started for itself (its
  // startpc is a runtime function other than runtime.main): checkdead,
  // NumGoroutine and tracebacks leave it out.
  isSystemGoroutine(gp: number): boolean {
    const start = this.bridge.nameAt(this.mem.ptr(gp + o.g_startpc));
    return start !== undefined && start.startsWith("runtime.") && start !== "runtime.main";
  }

  // checkdead: throws if no M is running and no goroutine can ever run again.
  // sched.lock must be held.
  checkdead(): void {
    const mem = this.mem, s = this.rt.sched;
    const run = mcount(this.rt) - mem.i32(s + o.s_nmidle) - mem.i32(s + o.s_nmidlelocked) - mem.i32(s + o.s_nmsys);
    if (run > 0) return;
    if (run < 0) {
      throw_("checkdead: inconsistent counts",
        `runtime: checkdead: nmidle=${mem.i32(s + o.s_nmidle)} nmidlelocked=${mem.i32(s + o.s_nmidlelocked)} mcount=${mcount(this.rt)} nmsys=${mem.i32(s + o.s_nmsys)}`);
    }
    let grunning = 0;
    for (const gp of this.rt.allgs) {
      if (this.isSystemGoroutine(gp)) continue;
      const st = readgstatus(this.rt, gp) & ~0x1000;
      if (st === _Gwaiting || st === _Gpreempted) grunning++;
      else if (st === _Grunnable || st === _Grunning || st === _Gsyscall) {
        throw_("checkdead: runnable g", `runtime: checkdead: find g ${mem.int(gp + o.g_goid)} in status ${st}`);
      }
    }
    if (grunning === 0) fatal("no goroutines (main called runtime.Goexit) - deadlock!");
    // Sleeping goroutines will wake: some M is waiting for their timer.
    if (this.timers.length > 0) return;
    fatal("all goroutines are asleep - deadlock!");
  }

  // --- notes: one-shot wake-ups on a futex -------------------------------------

  *futexsleep(addr: number, val: number, ns: number, h: HostCall): HostGen {
    let ts = 0;
    if (ns >= 0) {
      ts = this.scratch(16);
      const b = new Uint8Array(16);
      const dv = new DataView(b.buffer);
      dv.setBigInt64(0, BigInt(Math.floor(ns / 1e9)), true);
      dv.setBigInt64(8, BigInt(ns % 1e9), true);
      this.rt.engine.write(ts, b);
    }
    yield h.call("runtime.futex", "p i i p p i : i", [BigInt(addr), BigInt(FUTEX_WAIT_PRIVATE), BigInt(val), BigInt(ts), 0n, 0n]);
  }

  *futexwakeup(addr: number, cnt: number, h: HostCall): HostGen {
    yield h.call("runtime.futex", "p i i p p i : i", [BigInt(addr), BigInt(FUTEX_WAKE_PRIVATE), BigInt(cnt), 0n, 0n, 0n]);
  }

  // notesleep: waits until notewakeup(n).
  *notesleep(n: number, h: HostCall): HostGen {
    const mem = this.mem;
    const mp = mem.ptr(this.getg() + o.g_m);
    while (mem.u32(n + o.note_key) === 0) {
      mem.setU8(mp + o.m_blocked, 1);
      yield* this.futexsleep(n + o.note_key, 0, -1, h);
      mem.setU8(mp + o.m_blocked, 0);
    }
  }

  // notetsleep: notesleep with a timeout in ns; returns whether it was woken.
  *notetsleep(n: number, ns: number, h: HostCall): Generator<ReturnType<HostCall["call"]>, boolean, readonly bigint[]> {
    const mem = this.mem;
    const deadline = this.nanotime() + ns;
    while (mem.u32(n + o.note_key) === 0) {
      const left = deadline - this.nanotime();
      if (left <= 0) return false;
      yield* this.futexsleep(n + o.note_key, 0, left, h);
    }
    return true;
  }

  *notewakeup(n: number, h: HostCall): HostGen {
    const mem = this.mem;
    const old = mem.u32(n + o.note_key);
    mem.setU32(n + o.note_key, 1);
    if (old !== 0) throw_("notewakeup - double wakeup", `notewakeup - double wakeup (${old})`);
    yield* this.futexwakeup(n + o.note_key, 1, h);
  }

  noteclear(n: number): void { this.mem.setU32(n + o.note_key, 0); }

  /** Scratch bytes on the current M, for arguments that must be in memory. */
  scratch(size: number): number {
    const mp = this.mem.ptr(this.getg() + o.g_m);
    let b = this.printbuf.get(mp);
    if (b === undefined) {
      b = persistentalloc(this.rt, 256, 16);
      this.printbuf.set(mp, b);
    }
    if (size > 256) throw_("scratch: too large");
    return b;
  }

  // --- starting and stopping Ms --------------------------------------------------

  // allocm + newm + newosproc: a new M with a g0 stack, started on a new
  // thread (clone) that runs mstart with nextp = pp.
  *newm(fn: string | undefined, pp: number, id: number, h: HostCall): HostGen {
    const rt = this.rt, mem = this.mem;
    const mp = mallocgc(rt, mT.size, 0, true);
    mcommoninit(rt, mp, id);
    const g0 = malg(rt, 16384);
    mem.setPtr(mp + o.m_g0, g0);
    mem.setPtr(g0 + o.g_m, mp);
    mem.setPtr(mp + o.m_nextp, pp);
    if (fn !== undefined) mem.setPtr(mp + o.m_mstartfn, this.funcval(fn));
    // newosproc: clone(cloneFlags, stk, mp, mp.g0, mstart).
    const stk = mem.ptr(g0 + o.g_stack_hi);
    const [ret] = yield h.call("runtime.clone", "i p p p p : i", [
      BigInt(cloneFlags), BigInt(stk), BigInt(mp), BigInt(g0), BigInt(this.bridge.addrOf("runtime.mstart")),
    ]);
    const r = Number(BigInt.asIntN(32, ret ?? 0n));
    if (r < 0) throw_("newosproc", `runtime: failed to create new OS thread (have ${mcount(rt)} already; errno=${-r})`);
  }

  // startm: schedules some M to run pp (an idle P from the list if pp is 0).
  *startm(pp: number, spinning: boolean, h: HostCall): HostGen {
    const rt = this.rt, mem = this.mem;
    const mp = this.acquirem();
    lock(rt, rt.sched + o.s_lock);
    if (pp === 0) {
      pp = this.pidleget();
      if (pp === 0) {
        unlock(rt, rt.sched + o.s_lock);
        if (spinning) {
          // The caller incremented nmspinning, but there are no idle Ps.
          const n = mem.i32(rt.sched + o.s_nmspinning) - 1;
          if (n < 0) throw_("startm: negative nmspinning");
          mem.setI32(rt.sched + o.s_nmspinning, n);
        }
        this.releasem(mp);
        return;
      }
    }
    const nmp = this.mget();
    if (nmp === 0) {
      const id = mem.int(rt.sched + off(schedt, "mnext"));
      mem.setInt(rt.sched + off(schedt, "mnext"), id + 1);
      unlock(rt, rt.sched + o.s_lock);
      yield* this.newm(spinning ? "runtime.mspinning" : undefined, pp, id, h);
      this.releasem(mp);
      return;
    }
    unlock(rt, rt.sched + o.s_lock);
    if (mem.u8(nmp + o.m_spinning) !== 0) throw_("startm: m is spinning");
    if (mem.ptr(nmp + o.m_nextp) !== 0) throw_("startm: m has p");
    if (spinning && !runqempty(rt, pp)) throw_("startm: p has runnable gs");
    mem.setU8(nmp + o.m_spinning, spinning ? 1 : 0);
    mem.setPtr(nmp + o.m_nextp, pp);
    yield* this.notewakeup(nmp + o.m_park, h);
    this.releasem(mp);
  }

  // handoffp: hands off pp from a blocked or exiting M.
  *handoffp(pp: number, h: HostCall): HostGen {
    const rt = this.rt, mem = this.mem;
    if (!runqempty(rt, pp) || mem.i32(rt.sched + o.s_runqsize) !== 0) {
      yield* this.startm(pp, false, h);
      return;
    }
    if (mem.i32(rt.sched + o.s_nmspinning) + mem.i32(rt.sched + o.s_npidle) === 0) {
      mem.setI32(rt.sched + o.s_nmspinning, 1);
      yield* this.startm(pp, true, h);
      return;
    }
    lock(rt, rt.sched + o.s_lock);
    if (mem.i32(rt.sched + o.s_runqsize) !== 0) {
      unlock(rt, rt.sched + o.s_lock);
      yield* this.startm(pp, false, h);
      return;
    }
    this.pidleput(pp);
    unlock(rt, rt.sched + o.s_lock);
  }

  // wakep: tries to add one more spinning M to run goroutines.
  *wakep(h: HostCall): HostGen {
    const mem = this.mem, s = this.rt.sched;
    if (mem.i32(s + o.s_npidle) === 0) return;
    if (mem.i32(s + o.s_nmspinning) !== 0) return;
    mem.setI32(s + o.s_nmspinning, 1);
    yield* this.startm(0, true, h);
  }

  // stopm: parks the current M until startm hands it a P.
  *stopm(h: HostCall): HostGen {
    const rt = this.rt, mem = this.mem;
    const mp = mem.ptr(this.getg() + o.g_m);
    if (mem.i32(mp + o.m_locks) !== 0) throw_("stopm holding locks");
    if (mem.ptr(mp + o.m_p) !== 0) throw_("stopm holding p");
    if (mem.u8(mp + o.m_spinning) !== 0) throw_("stopm spinning");
    lock(rt, rt.sched + o.s_lock);
    this.mput(mp);
    unlock(rt, rt.sched + o.s_lock);
    yield* this.notesleep(mp + o.m_park, h);
    this.noteclear(mp + o.m_park);
    this.acquirep(mem.ptr(mp + o.m_nextp));
    mem.setPtr(mp + o.m_nextp, 0);
  }

  // resetspinning: the M found work and stops spinning; start another spinner if Ps are idle.
  *resetspinning(h: HostCall): HostGen {
    const mem = this.mem, s = this.rt.sched;
    const mp = mem.ptr(this.getg() + o.g_m);
    if (mem.u8(mp + o.m_spinning) === 0) throw_("resetspinning: not a spinning m");
    mem.setU8(mp + o.m_spinning, 0);
    const n = mem.i32(s + o.s_nmspinning) - 1;
    if (n < 0) throw_("findrunnable: negative nmspinning");
    mem.setI32(s + o.s_nmspinning, n);
    yield* this.wakep(h);
  }

  // --- goroutines -----------------------------------------------------------------

  // newproc1: a new goroutine running fn, in _Grunnable, not yet queued.
  newproc1(fn: number, callergp: number, callerpc: number): number {
    const rt = this.rt, mem = this.mem;
    if (fn === 0) fatal("go of nil func value");
    const mp = this.acquirem();
    const pp = mem.ptr(mp + o.m_p);
    let newg = gfget(rt, pp);
    if (newg === 0) {
      newg = malg(rt, _StackMin);
      casgstatus(rt, newg, _Gidle, _Gdead);
      allgadd(rt, newg);
    }
    if (mem.ptr(newg + o.g_stack_hi) === 0) throw_("newproc1: newg missing stack");
    if (readgstatus(rt, newg) !== _Gdead) throw_("newproc1: new g is not Gdead");
    // The initial frame: room for 4 words (Go's totalSize), 16-byte aligned.
    const totalSize = 4 * 8;
    const sp = mem.ptr(newg + o.g_stack_hi) - totalSize;
    const sched = newg + o.g_sched;
    mem.zero(sched, 56);
    // gostartcallfn: push goexit+1 as the return address, start at fn.fn with
    // the closure in ctxt (DX when gogo jumps).
    const goexitPC = this.bridge.addrOf("runtime.goexit") + 1;
    mem.setPtr(sp - 8, goexitPC);
    mem.setPtr(sched + o.gobuf_sp, sp - 8);
    mem.setPtr(sched + o.gobuf_pc, mem.ptr(fn));
    mem.setPtr(sched + o.gobuf_g, newg);
    mem.setPtr(sched + o.gobuf_ctxt, fn);
    mem.setPtr(newg + o.g_gopc, callerpc);
    mem.setPtr(newg + o.g_startpc, mem.ptr(fn));
    mem.setU8(newg + o.g_waitreason, 0);
    // isSystemGoroutine: the runtime's own goroutines (not runtime.main) are
    // not counted by NumGoroutine.
    if (this.isSystemGoroutine(newg)) {
      mem.setI32(rt.sched + o.s_ngsys, mem.i32(rt.sched + o.s_ngsys) + 1);
    }
    casgstatus(rt, newg, _Gdead, _Grunnable);
    mem.setInt(newg + o.g_goid, newgoid(rt, pp));
    void callergp;
    this.releasem(mp);
    return newg;
  }

  /** The channel and print calls (chan.ts), which runtime.main uses too. */
  calls: { makechan(e: number, n: number): number; chanrecv(c: number, ep: number, block: boolean, h: HostCall): Generator<HostReq, [boolean, boolean], readonly bigint[]>; chansend(c: number, ep: number, block: boolean, h: HostCall): Generator<HostReq, boolean, readonly bigint[]> } | undefined;

  // `go f(args)` from the runtime itself, for a host function f: a closure
  // {f, args...} and newproc.
  *goHost(name: string, args: number[], h: HostCall): HostGen {
    const rt = this.rt, mem = this.mem;
    const fv = mallocgc(rt, 8 * (1 + args.length), 0, true);
    mem.setPtr(fv, this.bridge.addrOf(name));
    args.forEach((a, i) => mem.setPtr(fv + 8 * (i + 1), a));
    const gp = this.getg();
    const newg = this.newproc1(fv, gp, h.pc);
    runqput(rt, mem.ptr(mem.ptr(gp + o.g_m) + o.m_p), newg, true);
    if (this.mainStarted) yield* this.wakep(h);
  }

  // dropg: the M's curg is no longer running on it.
  dropg(): void {
    const mem = this.mem;
    const mp = mem.ptr(this.getg() + o.g_m);
    const gp = mem.ptr(mp + o.m_curg);
    if (gp !== 0) mem.setPtr(gp + o.g_m, 0);
    mem.setPtr(mp + o.m_curg, 0);
  }

  // execute: runs gp on the current M; never returns (gogo).
  *execute(gp: number, inheritTime: boolean, h: HostCall): HostGen {
    const rt = this.rt, mem = this.mem;
    const mp = mem.ptr(this.getg() + o.g_m);
    mem.setPtr(mp + o.m_curg, gp);
    mem.setPtr(gp + o.g_m, mp);
    casgstatus(rt, gp, _Grunnable, _Grunning);
    mem.setU64(gp + o.g_waitsince, 0n);
    mem.setU8(gp + o.g_preempt, 0);
    mem.setPtr(gp + o.g_stackguard0, mem.ptr(gp + o.g_stack_lo) + _StackGuard);
    if (!inheritTime) {
      const pp = mem.ptr(mp + o.m_p);
      mem.setU32(pp + o.p_schedtick, mem.u32(pp + o.p_schedtick) + 1);
    }
    this.emit("run", gp, inheritTime ? "inherit" : undefined, 0);
    // For tracebacks from inside gogo: the TypeScript frames that led here.
    this.execFrom.set(mp, this.bridge.active?.name ?? "?");
    yield h.jump("runtime.gogo", "p", [BigInt(gp + o.g_sched)]);
    throw_("execute: gogo returned");
  }

  /** Timers whose time has come: their goroutines become runnable. */
  *checkTimers(h: HostCall): HostGen {
    const now = this.nanotime();
    for (let i = 0; i < this.timers.length; ) {
      const t = this.timers[i]!;
      if (t.when <= now) {
        this.timers.splice(i, 1);
        yield* this.ready(t.gp, true, h);
      } else i++;
    }
  }

  // findRunnable: a goroutine to run, trying in proc.go's order: every 61st
  // schedtick the global queue, the local queue, the global queue, (netpoll:
  // none here), stealing from other Ps while spinning, and finally stopping
  // the M until there is work. Returns [gp, inheritTime].
  *findRunnable(h: HostCall): Generator<ReturnType<HostCall["call"]>, [number, boolean], readonly bigint[]> {
    const rt = this.rt, mem = this.mem, s = rt.sched;
    for (;;) {
      const mp = mem.ptr(this.getg() + o.g_m);
      const pp = mem.ptr(mp + o.m_p);
      yield* this.checkTimers(h);
      if (mem.u32(pp + o.p_schedtick) % 61 === 0 && mem.i32(s + o.s_runqsize) > 0) {
        lock(rt, s + o.s_lock);
        const gp = globrunqget(rt, pp, 1);
        unlock(rt, s + o.s_lock);
        if (gp !== 0) return [gp, false];
      }
      const [lgp, inheritTime] = runqget(rt, pp);
      if (lgp !== 0) return [lgp, inheritTime];
      if (mem.i32(s + o.s_runqsize) !== 0) {
        lock(rt, s + o.s_lock);
        const gp = globrunqget(rt, pp, 0);
        unlock(rt, s + o.s_lock);
        if (gp !== 0) return [gp, false];
      }
      // Spinning: steal from other Ps, unless too many Ms are spinning already.
      const procs = rt.gomaxprocs;
      if (mem.u8(mp + o.m_spinning) !== 0 || 2 * mem.i32(s + o.s_nmspinning) < procs - mem.i32(s + o.s_npidle)) {
        if (mem.u8(mp + o.m_spinning) === 0) {
          mem.setU8(mp + o.m_spinning, 1);
          mem.setI32(s + o.s_nmspinning, mem.i32(s + o.s_nmspinning) + 1);
        }
        const gp = this.stealWork(pp);
        if (gp !== 0) return [gp, false];
      }
      // Nothing to do: give up the P and sleep, or wait for the next timer.
      lock(rt, s + o.s_lock);
      if (mem.i32(s + o.s_runqsize) !== 0) {
        const gp = globrunqget(rt, pp, 0);
        unlock(rt, s + o.s_lock);
        return [gp, false];
      }
      if (this.releasep() !== pp) throw_("findrunnable: wrong p");
      this.pidleput(pp);
      unlock(rt, s + o.s_lock);
      const wasSpinning = mem.u8(mp + o.m_spinning) !== 0;
      if (wasSpinning) {
        mem.setU8(mp + o.m_spinning, 0);
        const n = mem.i32(s + o.s_nmspinning) - 1;
        if (n < 0) throw_("findrunnable: negative nmspinning");
        mem.setI32(s + o.s_nmspinning, n);
        // Re-check every P's queue after dropping spinning (Go's "delicate dance").
        for (const p2 of rt.allp) {
          if (!runqempty(rt, p2)) {
            lock(rt, s + o.s_lock);
            const np = this.pidleget();
            unlock(rt, s + o.s_lock);
            if (np !== 0) {
              this.acquirep(np);
              mem.setU8(mp + o.m_spinning, 1);
              mem.setI32(s + o.s_nmspinning, mem.i32(s + o.s_nmspinning) + 1);
            }
            break;
          }
        }
        if (mem.ptr(mp + o.m_p) !== 0) continue;
      }
      // Go would block in netpoll until the next timer; we sleep on the
      // M's park note with that timeout, or stop the M when there is none.
      if (this.timers.length > 0 && this.timerWaiter === 0) {
        const next = Math.min(...this.timers.map((t) => t.when));
        lock(rt, s + o.s_lock);
        const np = this.pidleget();
        unlock(rt, s + o.s_lock);
        if (np !== 0) {
          this.acquirep(np);
          this.timerWaiter = mp;
          this.timerDeadline = next;
          yield* this.notetsleep(mp + o.m_park, Math.max(1, next - this.nanotime()), h);
          this.timerWaiter = 0;
          this.noteclear(mp + o.m_park);
          continue;
        }
      }
      yield* this.stopm(h);
    }
  }

  /** The M sleeping until the next timer (Go's M blocked in netpoll), and until when. */
  private timerWaiter = 0;
  private timerDeadline = 0;

  // addtimer + wakeNetPoller: a goroutine sleeps until `when`; if an M is
  // already waiting for an later timer, wake it to wait for this one.
  *addtimer(when: number, gp: number, h: HostCall): HostGen {
    this.timers.push({ when, gp });
    if (this.timerWaiter !== 0 && when < this.timerDeadline) {
      const w = this.timerWaiter;
      this.timerWaiter = 0;
      yield* this.notewakeup(w + o.m_park, h);
    }
  }

  // stealWork: four passes over all Ps in a random order, stealing half a run
  // queue (and, on the last pass, runnext).
  stealWork(pp: number): number {
    const rt = this.rt;
    const allp = rt.allp;
    const n = allp.length;
    const stealTries = 4;
    for (let i = 0; i < stealTries; i++) {
      const stealRunNextG = i === stealTries - 1;
      // randomOrder: a start and a coprime stride, as Go's stealOrder does.
      const start = fastrandn(rt, n);
      const coprimes = [...Array(n).keys()].map((k) => k + 1).filter((c) => gcd(c, n) === 1);
      const inc = coprimes[fastrandn(rt, coprimes.length)]!;
      for (let k = 0, pos = start; k < n; k++, pos = (pos + inc) % n) {
        const p2 = allp[pos]!;
        if (p2 === pp) continue;
        if (!runqempty(rt, p2)) {
          const gp = runqsteal(rt, pp, p2, stealRunNextG);
          if (gp !== 0) {
            this.emit("steal", gp, `from P${this.mem.i32(p2 + o.p_id)}`, 0);
            return gp;
          }
        }
      }
    }
    return 0;
  }

  // schedule: one round of the scheduler: find a goroutine and run it. Never returns.
  *schedule(h: HostCall): HostGen {
    const mem = this.mem;
    const mp = mem.ptr(this.getg() + o.g_m);
    if (mem.i32(mp + o.m_locks) !== 0) throw_("schedule: holding locks");
    // A preemption request for the P is answered by this very call: clear
    // it, as Go's schedule does, so it cannot outlive the goroutine it was for.
    const pp = mem.ptr(mp + o.m_p);
    if (pp !== 0) mem.setU8(pp + o.p_preempt, 0);
    const [gp, inheritTime] = yield* this.findRunnable(h);
    if (mem.u8(mp + o.m_spinning) !== 0) yield* this.resetspinning(h);
    yield* this.execute(gp, inheritTime, h);
  }

  // park_m: on g0, after mcall from gopark.
  *park_m(gp: number, h: HostCall): HostGen {
    const rt = this.rt, mem = this.mem;
    const mp = mem.ptr(this.getg() + o.g_m);
    casgstatus(rt, gp, _Grunning, _Gwaiting);
    this.emit("park", gp, waitReasonStrings[mem.u8(gp + o.g_waitreason)] ?? "", mem.int(gp + o.g_goid));
    this.dropg();
    const fn = this.waitunlockf.get(mp);
    if (fn) {
      this.waitunlockf.delete(mp);
      const ok = yield* fn(gp, mem.ptr(mp + o.m_waitlock), h);
      mem.setPtr(mp + o.m_waitlock, 0);
      if (!ok) {
        casgstatus(rt, gp, _Gwaiting, _Grunnable);
        yield* this.execute(gp, true, h);
      }
    }
    yield* this.schedule(h);
  }

  // gopark: puts the current goroutine into a waiting state and calls
  // unlockf on the system stack; it resumes when someone calls goready(gp).
  *gopark(unlockf: UnlockFn | undefined, lockAddr: number, reason: number, h: HostCall): HostGen {
    const mem = this.mem;
    const mp = this.acquirem();
    const gp = mem.ptr(mp + o.m_curg);
    const status = readgstatus(this.rt, gp);
    if (status !== _Grunning && status !== (0x1000 | _Grunning)) throw_("gopark: bad g status");
    mem.setPtr(mp + o.m_waitlock, lockAddr);
    if (unlockf) this.waitunlockf.set(mp, unlockf);
    mem.setU8(gp + o.g_waitreason, reason);
    this.releasem(mp);
    yield h.call("runtime.mcall", "p", [0n], { 0: BigInt(this.funcval("runtime.park_m")) });
  }

  // ready: marks gp runnable and puts it in runnext of the current P.
  *ready(gp: number, next: boolean, h: HostCall): HostGen {
    const rt = this.rt, mem = this.mem;
    const status = readgstatus(rt, gp);
    const mp = this.acquirem();
    if ((status & ~0x1000) !== _Gwaiting) throw_("bad g->status in ready", `runtime: gp: gp=${gp}, goid=${mem.int(gp + o.g_goid)}, status=${status}`);
    casgstatus(rt, gp, _Gwaiting, _Grunnable);
    this.emit("ready", gp);
    runqput(rt, mem.ptr(mp + o.m_p), gp, next);
    yield* this.wakep(h);
    this.releasem(mp);
  }

  *goready(gp: number, h: HostCall): HostGen {
    yield* this.ready(gp, true, h);
  }

  // gosched_m: on g0 after mcall from Gosched.
  gosched_m(gp: number, h: HostCall): HostGen { return this.goschedImpl(gp, false, h); }

  // gopreempt_m: the same for a preemption (asyncPreempt2, newstack); only
  // the event differs, as in Go, where only the trace event differs.
  gopreempt_m(gp: number, h: HostCall): HostGen { return this.goschedImpl(gp, true, h); }

  // goschedImpl: the goroutine goes to the global queue, and the M schedules.
  *goschedImpl(gp: number, preempted: boolean, h: HostCall): HostGen {
    const rt = this.rt;
    const status = readgstatus(rt, gp);
    if ((status & ~0x1000) !== _Grunning) throw_("bad g status");
    casgstatus(rt, gp, _Grunning, _Grunnable);
    this.emit(preempted || this.rt.mem.u8(gp + o.g_preempt) !== 0 ? "preempt" : "gosched", gp, undefined, this.rt.mem.int(gp + o.g_goid));
    this.dropg();
    lock(rt, rt.sched + o.s_lock);
    globrunqput(rt, gp);
    unlock(rt, rt.sched + o.s_lock);
    yield* this.schedule(h);
  }

  // goexit0: on g0 after mcall from goexit1: gp is dead and goes to the free list.
  *goexit0(gp: number, h: HostCall): HostGen {
    const rt = this.rt, mem = this.mem;
    const mp = mem.ptr(this.getg() + o.g_m);
    const pp = mem.ptr(mp + o.m_p);
    casgstatus(rt, gp, _Grunning, _Gdead);
    this.emit("exit", gp, undefined, mem.int(gp + o.g_goid));
    mem.setPtr(gp + o.g_m, 0);
    mem.setPtr(gp + o.g_lockedm, 0);
    mem.setPtr(mp + o.m_lockedg, 0);
    mem.setU8(gp + o.g_preemptStop, 0);
    mem.setU8(gp + o.g_paniconfault, 0);
    mem.setPtr(gp + o.g__defer, 0);
    mem.setPtr(gp + o.g__panic, 0);
    mem.zero(gp + o.g_writebuf, 24);
    mem.setU8(gp + o.g_waitreason, 0);
    mem.setPtr(gp + o.g_param, 0);
    mem.setPtr(gp + o.g_labels, 0);
    mem.setPtr(gp + o.g_timer, 0);
    this.dropg();
    gfput(rt, pp, gp);
    yield* this.schedule(h);
  }

  // gcount: live goroutines (allgs minus the free ones).
  gcount(): number {
    const rt = this.rt;
    let n = rt.allgs.length - schedGFreeN(rt) - this.mem.i32(rt.sched + o.s_ngsys);
    for (const pp of rt.allp) n -= pGFreeN(rt, pp);
    return Math.max(n, 1);
  }

  // mstart1: the M's first host frame: record where g0's stack starts for
  // mcall/systemstack, take nextp, run mstartfn, and schedule.
  *mstart0(h: HostCall): HostGen {
    const rt = this.rt, mem = this.mem;
    const gp = this.getg();
    const mp = mem.ptr(gp + o.g_m);
    if (gp !== mem.ptr(mp + o.m_g0)) throw_("bad runtime·mstart");
    // gp.sched.pc/sp = getcallerpc/getcallersp: mstart's return address and
    // its SP, so that mcall's switches to g0 land at the top of its stack.
    const sched = gp + o.g_sched;
    mem.setPtr(sched + o.gobuf_pc, h.pc);
    mem.setPtr(sched + o.gobuf_sp, h.sp + 8);
    mem.setPtr(sched + o.gobuf_bp, Number(rt.engine.getReg(5)));
    mem.setPtr(sched + o.gobuf_g, gp);
    mem.setPtr(mp + o.m_procid, this.kernel.cur?.tid ?? 0);
    // minit: the signal stack; on m0 first, initsig (mstartm0).
    if (this.preempt) {
      if (mp === rt.m0) yield* this.preempt.initsig(h);
      yield* this.preempt.minit(mp, h);
    }
    const fn = mem.ptr(mp + o.m_mstartfn);
    const fnName = fn !== 0 ? this.bridge.nameAt(mem.ptr(fn)) : undefined;
    if (fnName === "runtime.mspinning") {
      mem.setU8(mp + o.m_spinning, 1);
    } else if (fnName !== undefined) {
      // mstartfn: sysmon's M runs it, without a P, for good.
      yield h.call(fnName, "", []);
      throw_(`mstart: ${fnName} returned`);
    }
    if (mp !== rt.m0) {
      this.acquirep(mem.ptr(mp + o.m_nextp));
      mem.setPtr(mp + o.m_nextp, 0);
    }
    yield* this.schedule(h);
  }

  // schedinit: the part of Go's schedinit the scheduler owns (the data layer
  // already ran mallocinit and stackinit): m0's id and the Ps.
  schedinit(): void {
    const rt = this.rt;
    mcommoninit(rt, rt.m0, -1);
    this.procresize(this.opts.procs);
  }

  /** Registers the scheduler's host functions. */
  register(): void {
    const b = this.bridge;
    const self = this;
    b.define("runtime.schedinit", "", () => { self.schedinit(); });
    // newproc: as Go's, it does its work on the system stack: a closure
    // {newproc_m, fn, gp, pc} handed to the systemstack routine, which
    // switches to g0 (when called from a user goroutine), calls it, and
    // switches back.
    b.define("runtime.newproc", "p", function* (h) {
      const mem = self.mem;
      const gp = self.getg();
      const mp = mem.ptr(gp + o.g_m);
      let fv = self.sysfv.get(mp);
      if (fv === undefined) {
        fv = persistentalloc(self.rt, 32, 8);
        self.sysfv.set(mp, fv);
      }
      mem.setPtr(fv, self.bridge.addrOf("runtime.newproc_m"));
      mem.setPtr(fv + 8, Number(h.args[0]));
      mem.setPtr(fv + 16, gp);
      mem.setPtr(fv + 24, h.pc);
      yield h.call("runtime.systemstack", "p", [BigInt(fv)]);
    });
    b.define("runtime.newproc_m", "", function* (h) {
      const mem = self.mem;
      const fv = Number(h.engine.getReg(2)); // the closure, in DX
      const fn = mem.ptr(fv + 8), callergp = mem.ptr(fv + 16), callerpc = mem.ptr(fv + 24);
      const newg = self.newproc1(fn, callergp, callerpc);
      self.emit("create", newg, undefined, callergp !== 0 ? self.mem.int(callergp + o.g_goid) : 0);
      const pp = mem.ptr(mem.ptr(self.getg() + o.g_m) + o.m_p);
      runqput(self.rt, pp, newg, true);
      if (self.mainStarted) yield* self.wakep(h);
    });
    b.define("runtime.mstart0", "", (h) => self.mstart0(h));
    b.define("runtime.mspinning", "", () => {});
    b.define("runtime.park_m", "p", (h) => self.park_m(Number(h.args[0]), h));
    b.define("runtime.goexit0", "p", (h) => self.goexit0(Number(h.args[0]), h));
    b.define("runtime.gosched_m", "p", (h) => self.gosched_m(Number(h.args[0]), h));
    b.define("runtime.goexit1", "", function* (h) {
      yield h.call("runtime.mcall", "p", [0n], { 0: BigInt(self.funcval("runtime.goexit0")) });
      throw_("goexit1: mcall returned");
    });
    b.define("runtime.Gosched", "", function* (h) {
      yield h.call("runtime.mcall", "p", [0n], { 0: BigInt(self.funcval("runtime.gosched_m")) });
    });
    b.define("runtime.Goexit", "", function* (h) {
      yield h.call("runtime.mcall", "p", [0n], { 0: BigInt(self.funcval("runtime.goexit0")) });
      throw_("Goexit: mcall returned");
    });
    b.define("runtime.NumGoroutine", ": p", () => [BigInt(self.gcount())]);
    // runtime.main: goroutine 1. Starts the runtime's own goroutines as Go's
    // does before main.main (runtime init's forcegchelper; gcenable's
    // bgsweep and bgscavenge, waiting for each to report in on a channel),
    // which is also what makes the scheduler's state at main.main Go's
    // (schedtick, goids 2-4, the free list), then runs main.main and exits.
    b.define("runtime.main", "", function* (h) {
      self.mainStarted = true;
      // sysmon, on an M of its own without a P (Go does this on the system stack).
      if (self.preempt && !self.preempt.opts.nosysmon) yield* self.newm("runtime.sysmon", 0, -1, h);
      yield* self.goHost("runtime.forcegchelper", [], h);
      const c = self.calls!.makechan(8, 2);
      yield* self.goHost("runtime.bgsweep", [c], h);
      yield* self.goHost("runtime.bgscavenge", [c], h);
      yield* self.calls!.chanrecv(c, 0, true, h);
      yield* self.calls!.chanrecv(c, 0, true, h);
      yield h.call("main.main", "", []);
      yield h.call("runtime.exit", "i", [0n]);
      throw_("runtime.main: exit returned");
    });
    // The runtime's system goroutines: each parks for good (no GC here to wake them).
    b.define("runtime.forcegchelper", "", function* (h) {
      for (;;) yield* self.gopark(undefined, 0, waitReason.forceGCIdle, h);
    });
    for (const [name, reason] of [["runtime.bgsweep", waitReason.gcSweepWait], ["runtime.bgscavenge", waitReason.gcScavengeWait]] as const) {
      b.define(name, "", function* (h) {
        // The closure {fn, c} is in DX, as gogo left it; report in on c.
        const c = self.mem.ptr(Number(h.engine.getReg(2)) + 8);
        const one = self.scratch(8);
        self.mem.setPtr(one, 1);
        yield* self.calls!.chansend(c, one, true, h);
        for (;;) yield* self.gopark(undefined, 0, reason, h);
      });
    }
    for (const name of ["badmcall", "badmcall2", "badsystemstack", "badmorestackg0", "badmorestackgsignal"]) {
      const msg = {
        badmcall: "runtime: mcall called on m->g0 stack", badmcall2: "runtime: mcall function returned",
        badsystemstack: "systemstack called from unexpected goroutine", badmorestackg0: "morestack on g0",
        badmorestackgsignal: "morestack on gsignal",
      }[name]!;
      b.define(`runtime.${name}`, "", () => throw_(msg));
    }
    registerNewstack(this); // runtime.newstack: stack growth and preemption check-ins (newstack.ts)
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Maps the main thread's OS stack (what the kernel gives a new process). */
export function mapOSStack(rt: Runtime, top: number, size: number): void {
  rt.engine.map(top - size, size, PROT_READ | PROT_WRITE);
}
