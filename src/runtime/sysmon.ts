// sysmon (proc.go): the runtime's watchdog, on an M of its own without a P.
//
// It sleeps (usleep: a nanosleep on the virtual clock) 20 µs at first,
// doubling after 50 idle rounds up to 10 ms, and each round calls retake:
// a P whose schedtick has not moved for forcePreemptNS (10 ms of virtual
// time, or --timeslice) is running one goroutine too long, and preemptone
// asks that goroutine to stop, both ways (preempt.ts); a P that has sat in
// a system call since the last round is handed off (handoffp) so that its
// queued goroutines run. When every P is idle, sysmon sleeps on
// sched.sysmonnote until the next timer or until exitsyscall wakes it.
// With GODEBUG=schedtrace=MS (--schedtrace), it prints Go's SCHED line
// when it starts and then every MS ms of virtual time, at 0, MS, 2·MS ...
//
// sysmon is a generator: its round keeps JavaScript state (idle, delay,
// the loop over the Ps) across its calls into machine code, and it runs
// once per round, off the scheduler's hot path.

import type { HostGen, HostTable } from "./bridge.ts";
import { emit } from "./events.ts";
import { lock, noteclear, notetsleep, unlock } from "./lock_futex.ts";
import {
  m_curg, m_g0, p_id, p_m, p_runqhead, p_runqtail, p_schedtick, p_status, p_syscalltick, p_sysmontick,
  schedt_lock, schedt_nmidle, schedt_nmspinning, schedt_nmsys, schedt_npidle, schedt_runqsize, schedt_sysmonnote,
  schedt_sysmonwait, sysmontick_schedtick, sysmontick_schedwhen, sysmontick_syscalltick, sysmontick_syscallwhen,
} from "./offsets.ts";
import { SIG_WRITE, usleep } from "./os_linux.ts";
import { checkdead, handoffp, mcount } from "./proc.ts";
import type { H, Runtime } from "./rt.ts";
import { runqempty } from "./runq.ts";
import { _Pidle, _Prunning, _Psyscall } from "./runtime2.ts";
import { preemptRequest, signalM } from "./signal_unix.ts";
import { timeSleepUntil } from "./time.ts";

/** forcegcperiod/2: sysmon's longest sleep when every P is idle. */
const sysmonIdleSleepNS = 60_000_000_000;

// sysmon: never returns; its M has no P and counts in sched.nmsys.
function* sysmon(rt: Runtime, h: H): HostGen {
  const mem = rt.mem, s = rt.sched;
  lock(rt, s + schedt_lock);
  mem.setI32(s + schedt_nmsys, mem.i32(s + schedt_nmsys) + 1);
  checkdead(rt);
  unlock(rt, s + schedt_lock);
  let idle = 0, delay = 0;
  // schedtrace: the first line now (Go's first is "SCHED 0ms" too, at its
  // first round; a program shorter than that round would print none), then
  // one every period of virtual time, sysmon's sleep cut short to be on
  // time: Go's may oversleep a due line by up to 10 ms, and a lab compares
  // lines at 0, MS, 2·MS ...
  const schedtrace = (rt.opts.schedtrace ?? 0) * 1_000_000;
  const starttime = rt.now;
  let nexttrace = starttime + schedtrace;
  if (schedtrace > 0) yield* schedtraceLine(rt, h, 0);
  for (;;) {
    if (idle === 0) delay = 20;
    else if (idle > 50) delay *= 2;
    if (delay > 10_000) delay = 10_000;
    yield* usleep(rt, h, schedtrace > 0 ? Math.max(1, Math.min(delay, Math.ceil((nexttrace - rt.now) / 1000))) : delay);
    rt.stats.preempt.sysmonRounds++;
    let now = rt.now;
    // With schedtrace on, sysmon never sleeps for long: it has lines to print.
    if (schedtrace <= 0 && mem.u32(s + schedt_npidle) === rt.nallp) {
      // Every P idle: nothing to retake; sleep until the next timer (or a
      // minute), or until exitsyscall wakes us.
      lock(rt, s + schedt_lock);
      if (mem.u32(s + schedt_npidle) === rt.nallp) {
        const next = timeSleepUntil(rt);
        if (next > now) {
          mem.setU32(s + schedt_sysmonwait, 1);
          unlock(rt, s + schedt_lock);
          const sleep = Math.min(sysmonIdleSleepNS, next - now);
          const woken = yield* notetsleep(rt, h, s + schedt_sysmonnote, sleep);
          lock(rt, s + schedt_lock);
          mem.setU32(s + schedt_sysmonwait, 0);
          noteclear(rt, s + schedt_sysmonnote);
          if (woken) { idle = 0; delay = 20; }
        }
      }
      unlock(rt, s + schedt_lock);
      now = rt.now;
    }
    if ((yield* retake(rt, h, now)) !== 0) idle = 0;
    else idle++;
    if (schedtrace > 0 && nexttrace <= now) {
      // Lines due while sysmon could not run (a long system call) are skipped, as Go's are.
      while (nexttrace <= now) nexttrace += schedtrace;
      yield* schedtraceLine(rt, h, now - starttime);
    }
  }
}

// schedtrace (non-detailed): Go's GODEBUG=schedtrace line, on the virtual
// clock, written to fd 2 with the write1 stub as Go's print does.
function* schedtraceLine(rt: Runtime, h: H, sinceStart: number): HostGen<void> {
  const mem = rt.mem, sc = rt.sched;
  const lens = rt.allp.map((pp) => (mem.u32(pp + p_runqtail) - mem.u32(pp + p_runqhead)) >>> 0);
  const line = `SCHED ${Math.floor(sinceStart / 1e6)}ms: gomaxprocs=${rt.nallp} idleprocs=${mem.i32(sc + schedt_npidle)} ` +
    `threads=${mcount(rt)} spinningthreads=${mem.i32(sc + schedt_nmspinning)} idlethreads=${mem.i32(sc + schedt_nmidle)} ` +
    `runqueue=${mem.i32(sc + schedt_runqsize)} [${lens.join(" ")}]\n`;
  const bytes = new TextEncoder().encode(line);
  const buf = h.scratch(bytes.length);
  mem.setBytes(buf, bytes);
  yield h.call(rt.asm.write1, SIG_WRITE, 2, buf, bytes.length);
}

// retake: preempts Ps that have run one G for a whole time slice and
// hands off Ps that have sat in a system call. Returns the handoffs.
function* retake(rt: Runtime, h: H, now: number): HostGen<number> {
  const mem = rt.mem;
  let n = 0;
  for (const pp of rt.allp) {
    const pd = pp + p_sysmontick;
    const st = mem.u32(pp + p_status);
    let sysretake = false;
    if (st === _Prunning || st === _Psyscall) {
      const t = mem.u32(pp + p_schedtick);
      if (mem.u32(pd + sysmontick_schedtick) !== t) {
        mem.setU32(pd + sysmontick_schedtick, t);
        mem.setInt(pd + sysmontick_schedwhen, now);
      } else if (mem.int(pd + sysmontick_schedwhen) + rt.timeslice <= now) {
        yield* preemptone(rt, h, pp);
        sysretake = true;
      }
    }
    if (st === _Psyscall) {
      const t = mem.u32(pp + p_syscalltick);
      if (!sysretake && mem.u32(pd + sysmontick_syscalltick) !== t) {
        mem.setU32(pd + sysmontick_syscalltick, t);
        mem.setInt(pd + sysmontick_syscallwhen, now);
        continue;
      }
      // Nothing to do and someone else could take the work: leave it.
      const spare = mem.u32(rt.sched + schedt_nmspinning) + mem.u32(rt.sched + schedt_npidle);
      if (runqempty(rt, pp) && spare > 0 && mem.int(pd + sysmontick_syscallwhen) + 10_000_000 > now) continue;
      if (mem.u32(pp + p_status) === _Psyscall) {
        mem.setU32(pp + p_status, _Pidle);
        n++;
        rt.stats.preempt.handoffs++;
        emit(rt, "handoff", 0, `P${mem.i32(pp + p_id)}`);
        mem.setU32(pp + p_syscalltick, mem.u32(pp + p_syscalltick) + 1);
        yield* handoffp(rt, h, pp);
      }
    }
  }
  return n;
}

// preemptone: asks the goroutine running on pp to stop, both ways
// (preemptM and signalM folded in).
function* preemptone(rt: Runtime, h: H, pp: number): HostGen<boolean> {
  const mem = rt.mem;
  const mp = mem.ptr(pp + p_m);
  if (mp === 0 || mp === rt.getm()) return false;
  const gp = mem.ptr(mp + m_curg);
  if (gp === 0 || gp === mem.ptr(mp + m_g0)) return false;
  if (preemptRequest(rt, pp, mp, gp)) yield* signalM(rt, h, mp);
  return true;
}

export function register(t: HostTable<Runtime>): void {
  t.define("runtime.sysmon", "", sysmon);
}

