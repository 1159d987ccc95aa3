// The scheduler (proc.go): Gs, Ms and Ps, and the loop that runs on every M.
//
// What is here, in the order of proc.go's concerns:
//
//   G status     readgstatus, casgstatus (with Go's state machine checked)
//   Gs           malg, newproc/newproc1, gfput/gfget (free Gs), goids, allgadd
//   Ms and Ps    mcommoninit, procresize, acquirep/releasep, the idle lists
//                (mput/mget, pidleput/pidleget), newm, startm/stopm,
//                handoffp, wakep, checkdead
//   the loop     schedule → findRunnable → execute → gogo; gopark/park_m,
//                goready/ready, Gosched, goexit1/goexit0; mstart0;
//                runtime.main and the runtime's own goroutines
//
// The run queues are in runq.ts, system calls in syscall.ts, sysmon and
// retake in sysmon.ts, signals in signal_unix.ts, stack growth in stack.ts.
//
// A goroutine switch is always the real machine code: execute ends in
// `gogo(&gp.sched)`; gopark, Gosched and goexit1 call `mcall(fn)` with fn a
// funcval of a host function (park_m, gosched_m, goexit0), which then runs
// on g0; newproc reaches newproc1 through `systemstack`. A thread that waits
// is blocked in the emulated kernel on a futex, as in Go.
//
// Style: the functions a goroutine switch runs through (Gosched →
// gosched_m → schedule → execute, gopark → park_m, goready) are plain code
// that returns what the bridge must do (bridge.ts), so a switch allocates
// nothing. Where they would have to wait (no work: stopm; another M to
// wake: startm's futex call), they hand a generator to the bridge instead,
// which is the readable form, for the paths off the hot one. A function
// whose result is `HostGen | undefined` did its work when it returns
// undefined, and otherwise needs the generator run to finish it.
//
// Left out, and said so: netpoll (no network), the GC's hooks (gcwaiting,
// safe points, gcBlackenEnabled), cgo, the execution tracer's own events
// (ours are in events.ts).

import { RAX, RBP, RDX } from "../x86/regs.ts";
import { finish, maybe, type HostGen, type HostResult, type ResumeDef, type HostTable, type Req } from "./bridge.ts";
import { casgstatus, readgstatus } from "./gstatus.ts";
import { acquirem, releasem } from "./runtime1.ts";
import { emit } from "./events.ts";
import { lock, notesleep, noteclear, notetsleep, notewakeup, unlock } from "./lock_futex.ts";
import { allocmcache, mallocgc } from "./malloc.ts";
import {
  g__defer, g__panic, g__size, g_asyncSafePoint, g_atomicstatus, g_gopc, g_goid, g_labels, g_lockedm, g_m, g_param, g_paniconfault,
  g_preempt, g_preemptStop, g_sched, g_schedlink, g_stack_hi, g_stack_lo, g_stackguard0, g_stackguard1, g_startpc, g_timer,
  g_waitreason, g_waitsince, g_writebuf, gobuf__size, gobuf_ctxt, gobuf_g, gobuf_pc, gobuf_sp, gobuf_bp,
  newprocClosure__size, newprocClosure_arg, newprocClosure_fn, newprocClosure_gp, newprocClosure_pc,
  m_alllink, m_blocked, m_curg, m_fastrand, m_freeWait, m_freelink, m_g0, m_gsignal, m_id, m_lockedExt, m_lockedInt,
  m_locks, m_lockedg, m_mstartfn, m_nextp, m_p,
  m_park, m_procid, m_schedlink, m_spinning, m_waitlock, m_waitunlockf, m__size, p__size, p_deferpool,
  p_deferpoolbuf, p_gFree, p_gFree_n, p_goidcache, p_goidcacheend, p_id, p_link, p_m, p_mcache, p_numTimers, p_preempt,
  p_schedtick, p_status, p_sudogbuf, p_sudogcache, rtglobals_allglen, rtglobals_allglock, rtglobals_allgs,
  rtglobals_allm, rtglobals_allp, rtglobals_allpLock, rtglobals_fastrandseed, rtglobals_gomaxprocs,
  rtglobals_haveTemplateThread, rtglobals_mainStarted, rtglobals_netpollWaiter, rtglobals_newmHandoffLock,
  rtglobals_newmHandoffNewm, rtglobals_newmHandoffWaiting, rtglobals_newmHandoffWake, rtglobals_runtimeInitTime,
  schedt_freem, schedt_lastpoll, schedt_gFree_lock, schedt_gFree_n, schedt_gFree_noStack,
  schedt_gFree_stack, schedt_goidgen, schedt_lock, schedt_maxmcount, schedt_midle, schedt_mnext, schedt_nmfreed,
  schedt_ngsys, schedt_nmidle, schedt_nmidlelocked, schedt_nmspinning, schedt_nmsys, schedt_npidle, schedt_pidle,
  schedt_pollUntil, schedt_runqsize, slice_array, slice_cap, slice_len, stack_hi, stack_lo,
} from "./offsets.ts";
import { newosproc, SIG_I, SIG_NONE, SIG_P } from "./os_linux.ts";
import { fatal, hex, throw_ } from "./panic.ts";
import { persistentalloc, type H, type Runtime } from "./rt.ts";
import {
  globrunqget, globrunqput, glEmpty, glPop, glPush, glPushAll, runqempty, runqget, runqgetInheritTime, runqput,
  runqsteal,
} from "./runq.ts";
import {
  _Gcopystack, _Gdead, _Gidle, _GoidCacheBatch, _Gpreempted, _Grunnable, _Grunning, _Gscan, _Gsyscall, _Gwaiting,
  _Pgcstop, _Pidle, _Prunning, _StackGuard, _StackMin, _StackSystem, waitReasonForceGCIdle, waitReasonGCScavengeWait,
  waitReasonGCSweepWait, waitReasonStrings,
} from "./runtime2.ts";
import { setgstack, stackalloc, stackfree } from "./stackalloc.ts";
import { initsig, minitSignalStack } from "./signal_unix.ts";
import { checkTimers, nobarrierWakeTime, timersDue, timeSleepUntil } from "./time.ts";

// --- free Gs -------------------------------------------------------------------

// gfput: puts dead gp on pp's free list, freeing a non-standard stack; past
// 64 free Gs, moves all but 31 to the global lists.
export function gfput(rt: Runtime, pp: number, gp: number): void {
  const mem = rt.mem;
  if (readgstatus(rt, gp) !== _Gdead) throw_("gfput: bad status (not Gdead)");
  const lo = mem.ptr(gp + g_stack_lo), hi = mem.ptr(gp + g_stack_hi);
  if (hi - lo !== rt.startingStackSize) {
    // Non-standard stack size: free it.
    stackfree(rt, { lo, hi });
    setgstack(rt, gp, { lo: 0, hi: 0 });
    mem.setU64(gp + g_stackguard0, 0n);
  }
  const local = pp + p_gFree;
  glPush(mem, local, gp);
  let n = mem.i32(pp + p_gFree_n) + 1;
  mem.setI32(pp + p_gFree_n, n);
  if (n >= 64) {
    let inc = 0;
    // Two local queues, built at their heads (gQueue.push).
    let sHead = 0, sTail = 0, nHead = 0, nTail = 0;
    while (n >= 32) {
      gp = glPop(mem, local);
      n--;
      if (mem.ptr(gp + g_stack_lo) === 0) {
        glPushLocal(rt, gp, nHead);
        if (nTail === 0) nTail = gp;
        nHead = gp;
      } else {
        glPushLocal(rt, gp, sHead);
        if (sTail === 0) sTail = gp;
        sHead = gp;
      }
      inc++;
    }
    mem.setI32(pp + p_gFree_n, n);
    lock(rt, rt.sched + schedt_gFree_lock);
    glPushAll(mem, rt.sched + schedt_gFree_noStack, nHead, nTail);
    glPushAll(mem, rt.sched + schedt_gFree_stack, sHead, sTail);
    mem.setI32(rt.sched + schedt_gFree_n, mem.i32(rt.sched + schedt_gFree_n) + inc);
    unlock(rt, rt.sched + schedt_gFree_lock);
  }
}

/** Links gp in front of a local list whose head is `head` (gQueue.push on a local). */
function glPushLocal(rt: Runtime, gp: number, head: number): void {
  rt.mem.setPtr(gp + g_schedlink, head);
}

// gfget: a free G from pp's list (refilled with up to 32 from the global
// lists when empty, preferring Gs with stacks), with a standard-size stack;
// or 0.
export function gfget(rt: Runtime, pp: number): number {
  const mem = rt.mem;
  const local = pp + p_gFree;
  const gstk = rt.sched + schedt_gFree_stack;
  const gnostk = rt.sched + schedt_gFree_noStack;
  if (glEmpty(mem, local) && (!glEmpty(mem, gstk) || !glEmpty(mem, gnostk))) {
    lock(rt, rt.sched + schedt_gFree_lock);
    // Move a batch of free Gs to the P.
    while (mem.i32(pp + p_gFree_n) < 32) {
      // Prefer Gs with stacks.
      let gp = glPop(mem, gstk);
      if (gp === 0) {
        gp = glPop(mem, gnostk);
        if (gp === 0) break;
      }
      mem.setI32(rt.sched + schedt_gFree_n, mem.i32(rt.sched + schedt_gFree_n) - 1);
      glPush(mem, local, gp);
      mem.setI32(pp + p_gFree_n, mem.i32(pp + p_gFree_n) + 1);
    }
    unlock(rt, rt.sched + schedt_gFree_lock);
  }
  const gp = glPop(mem, local);
  if (gp === 0) return 0;
  mem.setI32(pp + p_gFree_n, mem.i32(pp + p_gFree_n) - 1);
  const lo = mem.ptr(gp + g_stack_lo), hi = mem.ptr(gp + g_stack_hi);
  if (lo !== 0 && hi - lo !== rt.startingStackSize) {
    // The stack was the right size when gp was freed, but the standard
    // size has changed since: free it.
    rt.systemstack(() => {
      stackfree(rt, { lo, hi });
      setgstack(rt, gp, { lo: 0, hi: 0 });
      mem.setU64(gp + g_stackguard0, 0n);
    });
  }
  if (mem.ptr(gp + g_stack_lo) === 0) {
    // The stack was freed in gfput or just above: allocate a new one.
    const nstk = rt.systemstack(() => stackalloc(rt, rt.startingStackSize));
    setgstack(rt, gp, nstk);
    mem.setPtr(gp + g_stackguard0, nstk.lo + _StackGuard);
  }
  return gp;
}

// gfpurge: moves all of pp's free Gs to the global lists.
export function gfpurge(rt: Runtime, pp: number): void {
  const mem = rt.mem;
  let inc = 0;
  let sHead = 0, sTail = 0, nHead = 0, nTail = 0;
  const local = pp + p_gFree;
  while (!glEmpty(mem, local)) {
    const gp = glPop(mem, local);
    mem.setI32(pp + p_gFree_n, mem.i32(pp + p_gFree_n) - 1);
    if (mem.ptr(gp + g_stack_lo) === 0) {
      glPushLocal(rt, gp, nHead);
      if (nTail === 0) nTail = gp;
      nHead = gp;
    } else {
      glPushLocal(rt, gp, sHead);
      if (sTail === 0) sTail = gp;
      sHead = gp;
    }
    inc++;
  }
  lock(rt, rt.sched + schedt_gFree_lock);
  glPushAll(mem, rt.sched + schedt_gFree_noStack, nHead, nTail);
  glPushAll(mem, rt.sched + schedt_gFree_stack, sHead, sTail);
  mem.setI32(rt.sched + schedt_gFree_n, mem.i32(rt.sched + schedt_gFree_n) + inc);
  unlock(rt, rt.sched + schedt_gFree_lock);
}

/** sched.gFree.n and p.gFree.n: free Gs (for gcount, tests and the debugger). */
export function schedGFreeN(rt: Runtime): number {
  return rt.mem.i32(rt.sched + schedt_gFree_n);
}

export function pGFreeN(rt: Runtime, pp: number): number {
  return rt.mem.i32(pp + p_gFree_n);
}

// --- creating Gs ------------------------------------------------------------------

// round2: the smallest power of 2 >= x.
export function round2(x: number): number {
  let s = 0;
  while (2 ** s < x) s++;
  return 2 ** s;
}

// malg: a new G (status _Gidle) with a stack big enough for stacksize bytes,
// or no stack if stacksize < 0.
export function malg(rt: Runtime, stacksize: number): number {
  const mem = rt.mem;
  const newg = mallocgc(rt, g__size, 0, true);
  if (stacksize >= 0) {
    stacksize = round2(_StackSystem + stacksize);
    const stk = rt.systemstack(() => stackalloc(rt, stacksize));
    setgstack(rt, newg, stk);
    mem.setPtr(newg + g_stackguard0, stk.lo + _StackGuard);
    mem.setU64(newg + g_stackguard1, 0xffff_ffff_ffff_ffffn);
    // Clear the bottom word of the stack.
    mem.setPtr(stk.lo, 0);
  }
  return newg;
}

// newproc1 (its goid block): the next goid from pp's cache, refilling the
// cache with the next _GoidCacheBatch ids of sched.goidgen when it is used up.
export function newgoid(rt: Runtime, pp: number): number {
  const mem = rt.mem;
  let cache = mem.int(pp + p_goidcache);
  if (cache === mem.int(pp + p_goidcacheend)) {
    // sched.goidgen is the last id handed out; this batch is
    // [goidgen+1, goidgen+_GoidCacheBatch]. The main goroutine gets 1.
    const gen = mem.int(rt.sched + schedt_goidgen) + _GoidCacheBatch;
    mem.setInt(rt.sched + schedt_goidgen, gen);
    cache = gen - (_GoidCacheBatch - 1);
    mem.setInt(pp + p_goidcacheend, cache + _GoidCacheBatch);
  }
  mem.setInt(pp + p_goidcache, cache + 1);
  return cache;
}

// allgadd: records gp in allgs.
export function allgadd(rt: Runtime, gp: number): void {
  if (readgstatus(rt, gp) === _Gidle) throw_("allgadd: bad status Gidle");
  const mem = rt.mem;
  const allglock = rt.gvar(rtglobals_allglock);
  lock(rt, allglock);
  appendPtr(rt, rt.gvar(rtglobals_allgs), gp);
  mem.setInt(rt.gvar(rtglobals_allglen), mem.int(rt.gvar(rtglobals_allgs) + slice_len));
  unlock(rt, allglock);
}

/** append(*slice, v) for a []uintptr of the runtime's (persistent) memory; the array grows by doubling. */
function appendPtr(rt: Runtime, slice: number, v: number): void {
  const mem = rt.mem;
  let arr = mem.ptr(slice + slice_array);
  const len = mem.int(slice + slice_len);
  const cap = mem.int(slice + slice_cap);
  if (len === cap) {
    const ncap = cap === 0 ? 8 : cap * 2;
    const narr = persistentalloc(rt, 8 * ncap, 8);
    mem.copy(narr, arr, 8 * len);
    arr = narr;
    mem.setPtr(slice + slice_array, arr);
    mem.setInt(slice + slice_cap, ncap);
  }
  mem.setPtr(arr + 8 * len, v);
  mem.setInt(slice + slice_len, len + 1);
}

/** gp's goid. */
export function goid(rt: Runtime, gp: number): number {
  return rt.mem.int(gp + g_goid);
}

// --- Ms ------------------------------------------------------------------------

// mcount: Ms created and not freed.
export function mcount(rt: Runtime): number {
  return rt.mem.int(rt.sched + schedt_mnext) - rt.mem.int(rt.sched + schedt_nmfreed);
}

// checkmcount. sched.lock must be held.
export function checkmcount(rt: Runtime): void {
  const max = rt.mem.i32(rt.sched + schedt_maxmcount);
  if (mcount(rt) > max) throw_("thread exhaustion", `runtime: program exceeds ${max}-thread limit`);
}

// mReserveID: the next M id. sched.lock must be held.
export function mReserveID(rt: Runtime): number {
  const id = rt.mem.int(rt.sched + schedt_mnext);
  rt.mem.setInt(rt.sched + schedt_mnext, id + 1);
  checkmcount(rt);
  return id;
}

// mpreinit (os_linux.go): the signal-handling G with its 32 KiB stack.
export function mpreinit(rt: Runtime, mp: number): void {
  const gsignal = malg(rt, 32 * 1024);
  rt.mem.setPtr(mp + m_gsignal, gsignal);
  rt.mem.setPtr(gsignal + g_m, mp);
}

// mcommoninit: gives mp its id (id, or the next one if id < 0), its fastrand
// state and gsignal, and links it into allm.
export function mcommoninit(rt: Runtime, mp: number, id: number): void {
  const mem = rt.mem;
  lock(rt, rt.sched + schedt_lock);
  mem.setInt(mp + m_id, id >= 0 ? id : mReserveID(rt));
  // Go hashes the id and cputicks with the AES hash; we mix the id with the
  // run's seed, so runs are reproducible.
  const seed = mem.u64(rt.gvar(rtglobals_fastrandseed));
  const mid = BigInt(mem.int(mp + m_id));
  const lo = Number(mix64(mid ^ seed) & 0xffff_ffffn);
  let hi = Number(mix64(mid ^ ~seed ^ 0x9e37_79b9n) & 0xffff_ffffn);
  if ((lo | hi) === 0) hi = 1;
  mem.setU64(mp + m_fastrand, (BigInt(hi) << 32n) | BigInt(lo));
  mpreinit(rt, mp);
  const gsignal = mem.ptr(mp + m_gsignal);
  if (gsignal !== 0) mem.setPtr(gsignal + g_stackguard1, mem.ptr(gsignal + g_stack_lo) + _StackGuard);
  // Link into allm.
  mem.setPtr(mp + m_alllink, mem.ptr(rt.gvar(rtglobals_allm)));
  mem.setPtr(rt.gvar(rtglobals_allm), mp);
  unlock(rt, rt.sched + schedt_lock);
}

/** splitmix64's finalizer. */
function mix64(x: bigint): bigint {
  x = BigInt.asUintN(64, x);
  x = BigInt.asUintN(64, (x ^ (x >> 30n)) * 0xbf58_476d_1ce4_e5b9n);
  x = BigInt.asUintN(64, (x ^ (x >> 27n)) * 0x94d0_49bb_1331_11ebn);
  return x ^ (x >> 31n);
}

// fastrand: wyrand over getg().m.fastrand.
export function fastrand(rt: Runtime): number {
  const mem = rt.mem;
  const mp = rt.getm();
  const s = BigInt.asUintN(64, mem.u64(mp + m_fastrand) + 0xa076_1d64_78bd_642fn);
  mem.setU64(mp + m_fastrand, s);
  const prod = s * (s ^ 0xe703_7ed1_a0b4_28dbn);
  const hi = BigInt.asUintN(64, prod >> 64n);
  const lo = BigInt.asUintN(64, prod);
  return Number((hi ^ lo) & 0xffff_ffffn);
}

// fastrandn: a number in [0, n).
export function fastrandn(rt: Runtime, n: number): number {
  return Number((BigInt(fastrand(rt)) * BigInt(n >>> 0)) >> 32n);
}

// --- Ps ------------------------------------------------------------------------

// (*p).init: pp as P number id, status _Pgcstop, with an mcache (mcache0
// for P 0).
export function pinit(rt: Runtime, pp: number, id: number): void {
  const mem = rt.mem;
  mem.setI32(pp + p_id, id);
  mem.setU32(pp + p_status, _Pgcstop);
  // sudogcache = sudogbuf[:0], deferpool = deferpoolbuf[:0].
  mem.setPtr(pp + p_sudogcache + slice_array, pp + p_sudogbuf);
  mem.setInt(pp + p_sudogcache + slice_len, 0);
  mem.setInt(pp + p_sudogcache + slice_cap, 128);
  mem.setPtr(pp + p_deferpool + slice_array, pp + p_deferpoolbuf);
  mem.setInt(pp + p_deferpool + slice_len, 0);
  mem.setInt(pp + p_deferpool + slice_cap, 32);
  if (mem.ptr(pp + p_mcache) === 0) {
    if (id === 0) {
      const c0 = rt.mcache0;
      if (c0 === 0) throw_("missing mcache?");
      mem.setPtr(pp + p_mcache, c0);
    } else {
      mem.setPtr(pp + p_mcache, allocmcache(rt));
    }
  }
}

// procresize (its first half): grows allp to nprocs Ps, each new one
// allocated and initialised, and sets gomaxprocs.
export function allpgrow(rt: Runtime, nprocs: number): void {
  if (nprocs <= 0) throw_("procresize: invalid arg");
  const mem = rt.mem;
  const allp = rt.gvar(rtglobals_allp);
  const old = mem.int(allp + slice_len);
  if (nprocs < old) throw_("procresize: shrinking allp is not ported (GOMAXPROCS does not change at run time here)");
  if (nprocs > old) {
    lock(rt, rt.gvar(rtglobals_allpLock));
    for (let i = old; i < nprocs; i++) {
      const pp = mallocgc(rt, p__size, 0, true);
      pinit(rt, pp, i);
      appendPtr(rt, allp, pp);
    }
    unlock(rt, rt.gvar(rtglobals_allpLock));
  }
  mem.setU32(rt.gvar(rtglobals_gomaxprocs), nprocs);
}

// procresize: sets up nprocs Ps; P 0 goes to the current M, the rest idle.
// (Only the start-up call: GOMAXPROCS does not change at run time here.)
export function procresize(rt: Runtime, nprocs: number): void {
  allpgrow(rt, nprocs);
  const mem = rt.mem;
  const mp = rt.getm();
  const p0 = rt.allpAt(0);
  mem.setPtr(mp + m_p, 0);
  mem.setPtr(p0 + p_m, 0);
  mem.setU32(p0 + p_status, _Pidle);
  acquirep(rt, p0);
  for (let i = nprocs - 1; i >= 1; i--) {
    const pp = rt.allpAt(i);
    mem.setU32(pp + p_status, _Pidle);
    pidleput(rt, pp);
  }
}

// --- idle Ms and Ps ----------------------------------------------------------

// mput: puts mp on the idle list. sched.lock must be held.
export function mput(rt: Runtime, mp: number): void {
  const mem = rt.mem, s = rt.sched;
  mem.setPtr(mp + m_schedlink, mem.ptr(s + schedt_midle));
  mem.setPtr(s + schedt_midle, mp);
  mem.setI32(s + schedt_nmidle, mem.i32(s + schedt_nmidle) + 1);
  checkdead(rt);
}

// mget: an idle M, or 0. sched.lock must be held.
export function mget(rt: Runtime): number {
  const mem = rt.mem, s = rt.sched;
  const mp = mem.ptr(s + schedt_midle);
  if (mp !== 0) {
    mem.setPtr(s + schedt_midle, mem.ptr(mp + m_schedlink));
    mem.setI32(s + schedt_nmidle, mem.i32(s + schedt_nmidle) - 1);
  }
  return mp;
}

// pidleput: puts pp on the idle P list. sched.lock must be held.
export function pidleput(rt: Runtime, pp: number): void {
  const mem = rt.mem, s = rt.sched;
  if (!runqempty(rt, pp)) throw_("pidleput: P has non-empty run queue");
  mem.setU32(pp + p_status, _Pidle);
  mem.setPtr(pp + p_link, mem.ptr(s + schedt_pidle));
  mem.setPtr(s + schedt_pidle, pp);
  mem.setI32(s + schedt_npidle, mem.i32(s + schedt_npidle) + 1);
}

// pidleget: an idle P, or 0. sched.lock must be held.
export function pidleget(rt: Runtime): number {
  const mem = rt.mem, s = rt.sched;
  const pp = mem.ptr(s + schedt_pidle);
  if (pp !== 0) {
    mem.setPtr(s + schedt_pidle, mem.ptr(pp + p_link));
    mem.setI32(s + schedt_npidle, mem.i32(s + schedt_npidle) - 1);
  }
  return pp;
}

// acquirep: associates pp with the current M.
export function acquirep(rt: Runtime, pp: number): void {
  const mem = rt.mem;
  const mp = rt.getm();
  if (mem.ptr(mp + m_p) !== 0) throw_("wirep: already in go");
  if (mem.ptr(pp + p_m) !== 0 || mem.u32(pp + p_status) !== _Pidle) {
    throw_("wirep: invalid p state", `wirep: p->m=${mem.ptr(pp + p_m)} p->status=${mem.u32(pp + p_status)}`);
  }
  mem.setPtr(mp + m_p, pp);
  mem.setPtr(pp + p_m, mp);
  mem.setU32(pp + p_status, _Prunning);
}

// releasep: disassociates the current M from its P and returns the P.
export function releasep(rt: Runtime): number {
  const mem = rt.mem;
  const mp = rt.getm();
  const pp = mem.ptr(mp + m_p);
  if (pp === 0) throw_("releasep: invalid arg");
  if (mem.ptr(pp + p_m) !== mp || mem.u32(pp + p_status) !== _Prunning) {
    throw_("releasep: invalid p state", `releasep: m=${mp} m->p=${pp} p->m=${mem.ptr(pp + p_m)} p->status=${mem.u32(pp + p_status)}`);
  }
  mem.setPtr(mp + m_p, 0);
  mem.setPtr(pp + p_m, 0);
  mem.setU32(pp + p_status, _Pidle);
  return pp;
}

// --- checkdead ----------------------------------------------------------------

// isSystemGoroutine: a goroutine the runtime started for itself (its
// startpc is a runtime function other than runtime.main): checkdead,
// NumGoroutine and tracebacks leave it out.
export function isSystemGoroutine(rt: Runtime, gp: number): boolean {
  const start = rt.bridge.fnAt(rt.mem.ptr(gp + g_startpc));
  return start !== undefined && start.name.startsWith("runtime.") && start.name !== "runtime.main";
}

// checkdead: throws if no M is running and no goroutine can ever run again.
// sched.lock must be held.
export function checkdead(rt: Runtime): void {
  const mem = rt.mem, s = rt.sched;
  const run = mcount(rt) - mem.i32(s + schedt_nmidle) - mem.i32(s + schedt_nmidlelocked) - mem.i32(s + schedt_nmsys);
  if (run > 0) return;
  if (run < 0) {
    throw_("checkdead: inconsistent counts",
      `runtime: checkdead: nmidle=${mem.i32(s + schedt_nmidle)} nmidlelocked=${mem.i32(s + schedt_nmidlelocked)} mcount=${mcount(rt)} nmsys=${mem.i32(s + schedt_nmsys)}`);
  }
  let grunning = 0;
  for (const gp of rt.allgs) {
    if (isSystemGoroutine(rt, gp)) continue;
    const st = readgstatus(rt, gp) & ~_Gscan;
    if (st === _Gwaiting || st === _Gpreempted) grunning++;
    else if (st === _Grunnable || st === _Grunning || st === _Gsyscall) {
      throw_("checkdead: runnable g", `runtime: checkdead: find g ${mem.int(gp + g_goid)} in status ${st}`);
    }
  }
  if (grunning === 0) fatal("no goroutines (main called runtime.Goexit) - deadlock!");
  // Sleeping goroutines will wake: some M is waiting for their timer.
  if (timeSleepUntil(rt) !== Infinity) return;
  fatal("all goroutines are asleep - deadlock!");
}

// gcount: live goroutines (allgs minus the free ones and the runtime's own).
export function gcount(rt: Runtime): number {
  let n = rt.allgs.length - schedGFreeN(rt) - rt.mem.i32(rt.sched + schedt_ngsys);
  for (const pp of rt.allp) n -= pGFreeN(rt, pp);
  return Math.max(n, 1);
}

// --- starting and stopping Ms --------------------------------------------------

// allocm + newm: a new M with a g0 stack and nextp = pp, started on a new
// thread (newm1 → newosproc: clone) that runs mstart. An M locked to its
// goroutine by LockOSThread may be in an unusual state, so it does not
// clone: it hands the new M to the template thread, as Go does.
export function* newm(rt: Runtime, h: H, fn: string | undefined, pp: number, id: number): HostGen<void> {
  const mem = rt.mem;
  const mp = mallocgc(rt, m__size, 0, true);
  mcommoninit(rt, mp, id);
  const g0 = malg(rt, 16384);
  mem.setPtr(mp + m_g0, g0);
  mem.setPtr(g0 + g_m, mp);
  mem.setPtr(mp + m_nextp, pp);
  if (fn !== undefined) mem.setPtr(mp + m_mstartfn, rt.funcval(fn));
  const cur = rt.getm();
  if (mem.u32(cur + m_lockedExt) !== 0) {
    const l = rt.gvar(rtglobals_newmHandoffLock);
    lock(rt, l);
    if (mem.u32(rt.gvar(rtglobals_haveTemplateThread)) === 0) throw_("on a locked thread with no template thread");
    mem.setPtr(mp + m_schedlink, mem.ptr(rt.gvar(rtglobals_newmHandoffNewm)));
    mem.setPtr(rt.gvar(rtglobals_newmHandoffNewm), mp);
    if (mem.u8(rt.gvar(rtglobals_newmHandoffWaiting)) !== 0) {
      mem.setU8(rt.gvar(rtglobals_newmHandoffWaiting), 0);
      yield* notewakeup(rt, h, rt.gvar(rtglobals_newmHandoffWake));
    }
    unlock(rt, l);
    return;
  }
  yield* newm1(rt, h, mp);
}

// newm1: starts mp's thread.
function* newm1(rt: Runtime, h: H, mp: number): HostGen<void> {
  const r = yield* newosproc(rt, h, mp);
  if (r < 0) {
    const prints = [`runtime: failed to create new OS thread (have ${mcount(rt)} already; errno=${-r})`];
    if (r === -EAGAIN) prints.push("runtime: may need to increase max user processes (ulimit -u)");
    throw_("newosproc", ...prints);
  }
}

// templateThread: an M without a P that starts Ms for locked Ms (newm's
// handoff), so that a new thread is never cloned from one in an unusual
// state. It counts as a system M and sleeps when there is nothing to do.
function* templateThread(rt: Runtime, h: H): HostGen {
  const mem = rt.mem, s = rt.sched;
  lock(rt, s + schedt_lock);
  mem.setI32(s + schedt_nmsys, mem.i32(s + schedt_nmsys) + 1);
  checkdead(rt);
  unlock(rt, s + schedt_lock);
  const l = rt.gvar(rtglobals_newmHandoffLock), newmA = rt.gvar(rtglobals_newmHandoffNewm);
  for (;;) {
    lock(rt, l);
    while (mem.ptr(newmA) !== 0) {
      let nm = mem.ptr(newmA);
      mem.setPtr(newmA, 0);
      unlock(rt, l);
      while (nm !== 0) {
        const next = mem.ptr(nm + m_schedlink);
        mem.setPtr(nm + m_schedlink, 0);
        yield* newm1(rt, h, nm);
        nm = next;
      }
      lock(rt, l);
    }
    mem.setU8(rt.gvar(rtglobals_newmHandoffWaiting), 1);
    noteclear(rt, rt.gvar(rtglobals_newmHandoffWake));
    unlock(rt, l);
    yield* notesleep(rt, h, rt.gvar(rtglobals_newmHandoffWake));
  }
}

// startTemplateThread: starts the template thread, once.
function* startTemplateThread(rt: Runtime, h: H): HostGen<void> {
  const mp = acquirem(rt);
  const have = rt.gvar(rtglobals_haveTemplateThread);
  if (rt.mem.u32(have) !== 0) {
    releasem(rt, mp);
    return;
  }
  rt.mem.setU32(have, 1);
  yield* newm(rt, h, "runtime.templateThread", 0, -1);
  releasem(rt, mp);
}

// mexit: tears down and exits the current M (its locked goroutine exited).
// m0 cannot exit: it hands its P off and sleeps for good.
function* mexit(rt: Runtime, h: H): HostGen {
  const mem = rt.mem, s = rt.sched;
  const mp = rt.getm();
  if (mp === rt.m0) {
    yield* handoffp(rt, h, releasep(rt));
    lock(rt, s + schedt_lock);
    mem.setInt(s + schedt_nmfreed, mem.int(s + schedt_nmfreed) + 1);
    checkdead(rt);
    unlock(rt, s + schedt_lock);
    yield* notesleep(rt, h, mp + m_park);
    throw_("locked m0 woke up");
  }
  // Free the gsignal stack.
  const gsignal = mem.ptr(mp + m_gsignal);
  if (gsignal !== 0) {
    stackfree(rt, { lo: mem.ptr(gsignal + g_stack_lo), hi: mem.ptr(gsignal + g_stack_hi) });
    mem.setPtr(mp + m_gsignal, 0);
  }
  // Remove mp from allm; it goes on sched.freem until its thread is gone.
  lock(rt, s + schedt_lock);
  let pprev = rt.gvar(rtglobals_allm);
  while (mem.ptr(pprev) !== 0 && mem.ptr(pprev) !== mp) pprev = mem.ptr(pprev) + m_alllink;
  if (mem.ptr(pprev) === 0) throw_("m not found in allm");
  mem.setPtr(pprev, mem.ptr(mp + m_alllink));
  mem.setU32(mp + m_freeWait, 1);
  mem.setPtr(mp + m_freelink, mem.ptr(s + schedt_freem));
  mem.setPtr(s + schedt_freem, mp);
  unlock(rt, s + schedt_lock);
  yield* handoffp(rt, h, releasep(rt));
  lock(rt, s + schedt_lock);
  mem.setInt(s + schedt_nmfreed, mem.int(s + schedt_nmfreed) + 1);
  checkdead(rt);
  unlock(rt, s + schedt_lock);
  // exitThread(&m.freeWait): the thread's last instructions.
  yield h.call(rt.asm.exitThread, SIG_P, mp + m_freeWait);
  throw_("exitThread returned");
}

// startm: schedules some M to run pp (an idle P from the list if pp is 0).
export function* startm(rt: Runtime, h: H, pp: number, spinning: boolean): HostGen<void> {
  const mem = rt.mem;
  const mp = acquirem(rt);
  lock(rt, rt.sched + schedt_lock);
  if (pp === 0) {
    pp = pidleget(rt);
    if (pp === 0) {
      unlock(rt, rt.sched + schedt_lock);
      if (spinning) {
        // The caller incremented nmspinning, but there are no idle Ps.
        const n = mem.i32(rt.sched + schedt_nmspinning) - 1;
        if (n < 0) throw_("startm: negative nmspinning");
        mem.setI32(rt.sched + schedt_nmspinning, n);
      }
      releasem(rt, mp);
      return;
    }
  }
  const nmp = mget(rt);
  if (nmp === 0) {
    const id = mem.int(rt.sched + schedt_mnext);
    mem.setInt(rt.sched + schedt_mnext, id + 1);
    unlock(rt, rt.sched + schedt_lock);
    yield* newm(rt, h, spinning ? "runtime.mspinning" : undefined, pp, id);
    releasem(rt, mp);
    return;
  }
  unlock(rt, rt.sched + schedt_lock);
  if (mem.u8(nmp + m_spinning) !== 0) throw_("startm: m is spinning");
  if (mem.ptr(nmp + m_nextp) !== 0) throw_("startm: m has p");
  if (spinning && !runqempty(rt, pp)) throw_("startm: p has runnable gs");
  mem.setU8(nmp + m_spinning, spinning ? 1 : 0);
  mem.setPtr(nmp + m_nextp, pp);
  yield* notewakeup(rt, h, nmp + m_park);
  releasem(rt, mp);
}

// handoffp: hands off pp from a blocked or exiting M: to an M at once if
// it has work (or nobody is looking for work), else onto the idle list.
export function* handoffp(rt: Runtime, h: H, pp: number): HostGen<void> {
  const mem = rt.mem, s = rt.sched;
  // If it has local work, start it straight away.
  if (!runqempty(rt, pp) || mem.i32(s + schedt_runqsize) !== 0) {
    yield* startm(rt, h, pp, false);
    return;
  }
  // No local work: if no M is spinning or idle, our help is needed.
  if (mem.i32(s + schedt_nmspinning) + mem.i32(s + schedt_npidle) === 0) {
    mem.setI32(s + schedt_nmspinning, 1);
    yield* startm(rt, h, pp, true);
    return;
  }
  lock(rt, s + schedt_lock);
  if (mem.i32(s + schedt_runqsize) !== 0) {
    unlock(rt, s + schedt_lock);
    yield* startm(rt, h, pp, false);
    return;
  }
  // The last running P, and nobody waits for the next timer (netpoll):
  // start an M that will.
  if (mem.i32(s + schedt_npidle) === rt.gomaxprocs - 1 && mem.int(s + schedt_lastpoll) !== 0) {
    unlock(rt, s + schedt_lock);
    yield* startm(rt, h, pp, false);
    return;
  }
  const when = nobarrierWakeTime(rt, pp);
  pidleput(rt, pp);
  unlock(rt, s + schedt_lock);
  if (when !== 0) yield* maybe(wakeNetPoller(rt, h, when));
}

// wakep: tries to add one more spinning M to run goroutines. Undefined when
// there is nothing to do (no idle P, or an M is spinning already).
export function wakep(rt: Runtime, h: H): HostGen<void> | undefined {
  const mem = rt.mem, s = rt.sched;
  if (mem.i32(s + schedt_npidle) === 0) return undefined;
  if (mem.i32(s + schedt_nmspinning) !== 0) return undefined;
  mem.setI32(s + schedt_nmspinning, 1);
  return startm(rt, h, 0, true);
}

// stopm: parks the current M until startm hands it a P.
export function* stopm(rt: Runtime, h: H): HostGen<void> {
  const mem = rt.mem;
  const mp = rt.getm();
  if (mem.i32(mp + m_locks) !== 0) throw_("stopm holding locks");
  if (mem.ptr(mp + m_p) !== 0) throw_("stopm holding p");
  if (mem.u8(mp + m_spinning) !== 0) throw_("stopm spinning");
  lock(rt, rt.sched + schedt_lock);
  mput(rt, mp);
  unlock(rt, rt.sched + schedt_lock);
  yield* notesleep(rt, h, mp + m_park);
  noteclear(rt, mp + m_park);
  acquirep(rt, mem.ptr(mp + m_nextp));
  mem.setPtr(mp + m_nextp, 0);
}

// resetspinning: the M found work and stops spinning; start another spinner if Ps are idle.
export function resetspinning(rt: Runtime, h: H): HostGen<void> | undefined {
  const mem = rt.mem, s = rt.sched;
  const mp = rt.getm();
  if (mem.u8(mp + m_spinning) === 0) throw_("resetspinning: not a spinning m");
  mem.setU8(mp + m_spinning, 0);
  const n = mem.i32(s + schedt_nmspinning) - 1;
  if (n < 0) throw_("findrunnable: negative nmspinning");
  mem.setI32(s + schedt_nmspinning, n);
  return wakep(rt, h);
}

// --- goroutines -----------------------------------------------------------------

// newproc1: a new goroutine running fn, in _Grunnable, not yet queued.
export function newproc1(rt: Runtime, fn: number, callergp: number, callerpc: number): number {
  const mem = rt.mem;
  if (fn === 0) fatal("go of nil func value");
  const mp = acquirem(rt);
  const pp = mem.ptr(mp + m_p);
  let newg = gfget(rt, pp);
  if (newg === 0) {
    newg = malg(rt, _StackMin);
    casgstatus(rt, newg, _Gidle, _Gdead);
    allgadd(rt, newg);
  }
  if (mem.ptr(newg + g_stack_hi) === 0) throw_("newproc1: newg missing stack");
  if (readgstatus(rt, newg) !== _Gdead) throw_("newproc1: new g is not Gdead");
  // The initial frame: room for 4 words (Go's totalSize), 16-byte aligned.
  const totalSize = 4 * 8;
  const sp = mem.ptr(newg + g_stack_hi) - totalSize;
  const sched = newg + g_sched;
  mem.zero(sched, gobuf__size);
  // gostartcallfn: push goexit+1 as the return address, start at fn.fn with
  // the closure in ctxt (DX when gogo jumps).
  mem.setPtr(sp - 8, rt.asm.goexit + 1);
  mem.setPtr(sched + gobuf_sp, sp - 8);
  mem.setPtr(sched + gobuf_pc, mem.ptr(fn));
  mem.setPtr(sched + gobuf_g, newg);
  mem.setPtr(sched + gobuf_ctxt, fn);
  mem.setPtr(newg + g_gopc, callerpc);
  mem.setPtr(newg + g_startpc, mem.ptr(fn));
  mem.setU8(newg + g_waitreason, 0);
  // isSystemGoroutine: the runtime's own goroutines (not runtime.main) are
  // not counted by NumGoroutine.
  if (isSystemGoroutine(rt, newg)) {
    mem.setI32(rt.sched + schedt_ngsys, mem.i32(rt.sched + schedt_ngsys) + 1);
  }
  casgstatus(rt, newg, _Gdead, _Grunnable);
  mem.setInt(newg + g_goid, newgoid(rt, pp));
  void callergp;
  releasem(rt, mp);
  return newg;
}

// `go f(args)` from the runtime itself, for a host function f: a closure
// {f, args...} and newproc1, as Go's runtime does with its own goroutines.
export function goHost(rt: Runtime, h: H, name: string, args: readonly number[]): HostGen<void> | undefined {
  const mem = rt.mem;
  const fv = mallocgc(rt, 8 * (1 + args.length), 0, true);
  mem.setPtr(fv, rt.bridge.addrOf(name));
  args.forEach((a, i) => mem.setPtr(fv + 8 * (i + 1), a));
  const gp = rt.getg();
  const newg = newproc1(rt, fv, gp, h.pc);
  runqput(rt, mem.ptr(mem.ptr(gp + g_m) + m_p), newg, true);
  return mainStarted(rt) ? wakep(rt, h) : undefined;
}

function mainStarted(rt: Runtime): boolean {
  return rt.mem.u8(rt.gvar(rtglobals_mainStarted)) !== 0;
}

// dropg: the M's curg is no longer running on it.
export function dropg(rt: Runtime): void {
  const mem = rt.mem;
  const mp = rt.getm();
  const gp = mem.ptr(mp + m_curg);
  if (gp !== 0) mem.setPtr(gp + g_m, 0);
  mem.setPtr(mp + m_curg, 0);
}

// execute: runs gp on the current M; never returns (gogo).
export function execute(rt: Runtime, h: H, gp: number, inheritTime: boolean): Req {
  const mem = rt.mem;
  const mp = rt.getm();
  mem.setPtr(mp + m_curg, gp);
  mem.setPtr(gp + g_m, mp);
  casgstatus(rt, gp, _Grunnable, _Grunning);
  mem.setWord(gp + g_waitsince, 0); // a number: setU64's BigInts allocate on every switch
  mem.setU8(gp + g_preempt, 0);
  mem.setPtr(gp + g_stackguard0, mem.ptr(gp + g_stack_lo) + _StackGuard);
  if (!inheritTime) {
    const pp = mem.ptr(mp + m_p);
    mem.setU32(pp + p_schedtick, mem.u32(pp + p_schedtick) + 1);
  }
  emit(rt, "run", gp, inheritTime ? "inherit" : undefined, 0);
  // For tracebacks from inside gogo: the TypeScript frames that led here.
  rt.execFrom.set(mp, rt.bridge.activeFn?.name ?? "?");
  return h.jump(rt.asm.gogo, SIG_P, gp + g_sched);
}

// --- the scheduler loop -------------------------------------------------------

const EAGAIN = 11;

/** findRunnable's second result (Go returns (gp, inheritTime)). */
let foundInheritTime = false;

// The places findRunnable looks first that need no wait and no wake-up: every
// 61st schedtick the global queue, then the local queue, then the global
// queue. 0 when they are empty (nothing was changed then).
function runnableHere(rt: Runtime, pp: number): number {
  const mem = rt.mem, s = rt.sched;
  if (mem.u32(pp + p_schedtick) % 61 === 0 && mem.i32(s + schedt_runqsize) > 0) {
    lock(rt, s + schedt_lock);
    const gp = globrunqget(rt, pp, 1);
    unlock(rt, s + schedt_lock);
    if (gp !== 0) {
      foundInheritTime = false;
      return gp;
    }
  }
  const lgp = runqget(rt, pp);
  if (lgp !== 0) {
    foundInheritTime = runqgetInheritTime;
    return lgp;
  }
  if (mem.i32(s + schedt_runqsize) !== 0) {
    lock(rt, s + schedt_lock);
    const gp = globrunqget(rt, pp, 0);
    unlock(rt, s + schedt_lock);
    if (gp !== 0) {
      foundInheritTime = false;
      return gp;
    }
  }
  return 0;
}

// findRunnable: a goroutine to run, trying in proc.go's order: timers that
// are due, every 61st schedtick the global queue, the local queue, the
// global queue, (netpoll: none here), stealing from other Ps while spinning,
// and finally stopping the M until there is work. Sets foundInheritTime.
export function* findRunnable(rt: Runtime, h: H): HostGen<number> {
  const mem = rt.mem, s = rt.sched;
  for (;;) {
    const mp = rt.getm();
    const pp = mem.ptr(mp + m_p);
    yield* checkTimers(rt, h, pp);
    const gp = runnableHere(rt, pp);
    if (gp !== 0) return gp;
    // Spinning: steal from other Ps, unless too many Ms are spinning already.
    const procs = rt.gomaxprocs;
    if (mem.u8(mp + m_spinning) !== 0 || 2 * mem.i32(s + schedt_nmspinning) < procs - mem.i32(s + schedt_npidle)) {
      if (mem.u8(mp + m_spinning) === 0) {
        mem.setU8(mp + m_spinning, 1);
        mem.setI32(s + schedt_nmspinning, mem.i32(s + schedt_nmspinning) + 1);
      }
      const sgp = yield* stealWork(rt, h, pp);
      if (sgp !== 0) return sgp;
    }
    // Nothing to do: give up the P and sleep, or wait for the next timer.
    lock(rt, s + schedt_lock);
    if (mem.i32(s + schedt_runqsize) !== 0) {
      const ggp = globrunqget(rt, pp, 0);
      unlock(rt, s + schedt_lock);
      foundInheritTime = false;
      return ggp;
    }
    if (releasep(rt) !== pp) throw_("findrunnable: wrong p");
    pidleput(rt, pp);
    unlock(rt, s + schedt_lock);
    const wasSpinning = mem.u8(mp + m_spinning) !== 0;
    if (wasSpinning) {
      mem.setU8(mp + m_spinning, 0);
      const n = mem.i32(s + schedt_nmspinning) - 1;
      if (n < 0) throw_("findrunnable: negative nmspinning");
      mem.setI32(s + schedt_nmspinning, n);
      // Re-check every P's queue after dropping spinning (Go's "delicate dance").
      for (const p2 of rt.allp) {
        if (!runqempty(rt, p2)) {
          lock(rt, s + schedt_lock);
          const np = pidleget(rt);
          unlock(rt, s + schedt_lock);
          if (np !== 0) {
            acquirep(rt, np);
            mem.setU8(mp + m_spinning, 1);
            mem.setI32(s + schedt_nmspinning, mem.i32(s + schedt_nmspinning) + 1);
          }
          break;
        }
      }
      if (mem.ptr(mp + m_p) !== 0) continue;
    }
    // Poll the network until the next timer: Go blocks in netpoll(delay)
    // here, with no P. There is no network; the M sleeps on its park note
    // until the next timer is due (wakeNetPoller wakes it sooner), then
    // takes an idle P and looks again from the top — or, with no P to be
    // had, stops. sched.lastpoll is 0 while an M waits so, as in Go.
    const pollUntil = timeSleepUntil(rt);
    if (pollUntil !== Infinity && mem.int(s + schedt_lastpoll) !== 0) {
      mem.setInt(s + schedt_lastpoll, 0);
      mem.setInt(s + schedt_pollUntil, pollUntil);
      if (mem.ptr(mp + m_p) !== 0) throw_("findrunnable: netpoll with p");
      if (mem.u8(mp + m_spinning) !== 0) throw_("findrunnable: netpoll with spinning");
      const waiter = rt.gvar(rtglobals_netpollWaiter);
      const delay = pollUntil - rt.now;
      if (delay > 0) {
        mem.setPtr(waiter, mp);
        yield* notetsleep(rt, h, mp + m_park, delay);
        mem.setPtr(waiter, 0);
        noteclear(rt, mp + m_park);
      }
      mem.setInt(s + schedt_pollUntil, 0);
      mem.setInt(s + schedt_lastpoll, rt.now);
      lock(rt, s + schedt_lock);
      const np = pidleget(rt);
      unlock(rt, s + schedt_lock);
      if (np !== 0) {
        acquirep(rt, np);
        if (wasSpinning) {
          mem.setU8(mp + m_spinning, 1);
          mem.setI32(s + schedt_nmspinning, mem.i32(s + schedt_nmspinning) + 1);
        }
        continue;
      }
    }
    yield* stopm(rt, h);
  }
}

// wakeNetPoller: a timer was added for `when`. If an M waits for the next
// timer (Go's M in netpoll: sched.lastpoll == 0) and would wake too late,
// wake it; if none waits, wakep, so that some M will. Undefined when there
// is nothing to do.
export function wakeNetPoller(rt: Runtime, h: H, when: number): HostGen<void> | undefined {
  const mem = rt.mem, s = rt.sched;
  if (mem.int(s + schedt_lastpoll) === 0) {
    const pollerPollUntil = mem.int(s + schedt_pollUntil);
    const w = mem.ptr(rt.gvar(rtglobals_netpollWaiter));
    if (w === 0 || (pollerPollUntil !== 0 && pollerPollUntil <= when)) return undefined;
    // netpollBreak: wake the M waiting in "netpoll".
    mem.setPtr(rt.gvar(rtglobals_netpollWaiter), 0);
    return notewakeup(rt, h, w + m_park);
  }
  return wakep(rt, h);
}

// stealWork: four passes over all Ps in a random order, stealing half a run
// queue; on the last pass also runnext, and the timers that are due on the
// other Ps (whose goroutines, readied, land in our own queue). Sets
// foundInheritTime.
export function* stealWork(rt: Runtime, h: H, pp: number): HostGen<number> {
  const n = rt.nallp;
  const stealTries = 4;
  for (let i = 0; i < stealTries; i++) {
    const stealTimersOrRunNextG = i === stealTries - 1;
    // randomOrder: a start and a coprime stride, as Go's stealOrder does.
    const start = fastrandn(rt, n);
    const inc = coprimeAt(n, fastrandn(rt, coprimeCount(n)));
    for (let k = 0, pos = start; k < n; k++, pos = (pos + inc) % n) {
      const p2 = rt.allpAt(pos);
      if (p2 === pp) continue;
      if (stealTimersOrRunNextG && rt.mem.u32(p2 + p_numTimers) !== 0) {
        const { ran } = yield* checkTimers(rt, h, p2);
        if (ran) {
          const gp = runqget(rt, pp);
          if (gp !== 0) {
            foundInheritTime = runqgetInheritTime;
            return gp;
          }
        }
      }
      if (!runqempty(rt, p2)) {
        const gp = runqsteal(rt, pp, p2, stealTimersOrRunNextG);
        if (gp !== 0) {
          emit(rt, "steal", gp, `from P${rt.mem.i32(p2 + p_id)}`, 0);
          foundInheritTime = false;
          return gp;
        }
      }
    }
  }
  return 0;
}

/** How many c in [1, n] are coprime to n (randomOrder's len(coprimes)). */
function coprimeCount(n: number): number {
  let k = 0;
  for (let c = 1; c <= n; c++) if (gcd(c, n) === 1) k++;
  return k;
}

/** The i-th c in [1, n] coprime to n. */
function coprimeAt(n: number, i: number): number {
  for (let c = 1; c <= n; c++) if (gcd(c, n) === 1 && i-- === 0) return c;
  throw_("randomOrder: no coprime");
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

// schedule: one round of the scheduler: find a goroutine and run it. Never
// returns. The usual round — an M not locked to a goroutine, nothing due
// on the timers, an unlocked goroutine in the queues — runs straight
// through to gogo; any other goes through findRunnable's generator, from
// the top.
export function schedule(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const mp = rt.getm();
  if (mem.i32(mp + m_locks) !== 0) throw_("schedule: holding locks");
  // An M locked to a goroutine runs only that one: give the P away and
  // wait for it.
  if (mem.ptr(mp + m_lockedg) !== 0) return scheduleLocked(rt, h, mp);
  // A preemption request for the P is answered by this very call: clear
  // it, as Go's schedule does, so it cannot outlive the goroutine it was for.
  const pp = mem.ptr(mp + m_p);
  if (pp !== 0) mem.setU8(pp + p_preempt, 0);
  if (pp !== 0 && !timersDue(rt, pp)) {
    const gp = runnableHere(rt, pp);
    if (gp !== 0) {
      if (mem.ptr(gp + g_lockedm) !== 0) return scheduleFound(rt, h, gp, foundInheritTime);
      if (mem.u8(mp + m_spinning) !== 0) {
        const w = resetspinning(rt, h);
        if (w !== undefined) return executeAfter(rt, h, w, gp, foundInheritTime);
      }
      return execute(rt, h, gp, foundInheritTime);
    }
  }
  return scheduleSlow(rt, h);
}

function* scheduleLocked(rt: Runtime, h: H, mp: number): HostGen {
  yield* stoplockedm(rt, h);
  return execute(rt, h, rt.mem.ptr(mp + m_lockedg), false);
}

function* scheduleSlow(rt: Runtime, h: H): HostGen {
  const gp = yield* findRunnable(rt, h);
  return yield* scheduleFound(rt, h, gp, foundInheritTime);
}

// The rest of schedule once findRunnable found gp: stop spinning, and hand
// a locked goroutine to its M (then look again, from the top).
function* scheduleFound(rt: Runtime, h: H, gp: number, inheritTime: boolean): HostGen {
  const mem = rt.mem;
  for (;;) {
    const mp = rt.getm();
    if (mem.u8(mp + m_spinning) !== 0) yield* maybe(resetspinning(rt, h));
    if (mem.ptr(gp + g_lockedm) === 0) return execute(rt, h, gp, inheritTime);
    // Hands off our P to the locked M, then waits for a new P.
    yield* startlockedm(rt, h, gp);
    const pp = mem.ptr(mp + m_p);
    mem.setU8(pp + p_preempt, 0);
    gp = yield* findRunnable(rt, h);
    inheritTime = foundInheritTime;
  }
}

function* executeAfter(rt: Runtime, h: H, w: HostGen<void>, gp: number, inheritTime: boolean): HostGen {
  yield* w;
  return execute(rt, h, gp, inheritTime);
}

// --- locked Ms: LockOSThread ---------------------------------------------------

// dolockOSThread: wires the calling goroutine and its M to each other.
function dolockOSThread(rt: Runtime): void {
  const gp = rt.getg();
  const mp = rt.mem.ptr(gp + g_m);
  rt.mem.setPtr(mp + m_lockedg, gp);
  rt.mem.setPtr(gp + g_lockedm, mp);
}

// dounlockOSThread: unwires them, once neither the runtime nor the user holds a lock.
function dounlockOSThread(rt: Runtime): void {
  const mem = rt.mem;
  const gp = rt.getg();
  const mp = mem.ptr(gp + g_m);
  if (mem.u32(mp + m_lockedInt) !== 0 || mem.u32(mp + m_lockedExt) !== 0) return;
  mem.setPtr(mp + m_lockedg, 0);
  mem.setPtr(gp + g_lockedm, 0);
}

// lockOSThread: the runtime's own lock (runtime.main during init).
export function lockOSThread(rt: Runtime): void {
  const mp = rt.getm();
  rt.mem.setU32(mp + m_lockedInt, rt.mem.u32(mp + m_lockedInt) + 1);
  dolockOSThread(rt);
}

export function unlockOSThread(rt: Runtime): void {
  const mp = rt.getm();
  const n = rt.mem.u32(mp + m_lockedInt);
  if (n === 0) throw_("runtime: internal error: misuse of lockOSThread/unlockOSThread");
  rt.mem.setU32(mp + m_lockedInt, n - 1);
  dounlockOSThread(rt);
}

// incidlelocked: locked Ms idle, for checkdead.
function incidlelocked(rt: Runtime, v: number): void {
  const mem = rt.mem, s = rt.sched;
  lock(rt, s + schedt_lock);
  mem.setI32(s + schedt_nmidlelocked, mem.i32(s + schedt_nmidlelocked) + v);
  if (v > 0) checkdead(rt);
  unlock(rt, s + schedt_lock);
}

// stoplockedm: the M's locked goroutine is not runnable: hand off the P
// and sleep until startlockedm hands one back with the goroutine ready.
function* stoplockedm(rt: Runtime, h: H): HostGen<void> {
  const mem = rt.mem;
  const mp = rt.getm();
  const lockedg = mem.ptr(mp + m_lockedg);
  if (lockedg === 0 || mem.ptr(lockedg + g_lockedm) !== mp) throw_("stoplockedm: inconsistent locking");
  if (mem.ptr(mp + m_p) !== 0) yield* handoffp(rt, h, releasep(rt));
  incidlelocked(rt, 1);
  // mPark: wait until another thread schedules lockedg again.
  yield* notesleep(rt, h, mp + m_park);
  noteclear(rt, mp + m_park);
  const status = readgstatus(rt, lockedg);
  if ((status & ~_Gscan) !== _Grunnable) throw_("stoplockedm: not runnable", `runtime: stoplockedm: lockedg (atomicstatus=${status}) is not Grunnable or Gscanrunnable`);
  acquirep(rt, mem.ptr(mp + m_nextp));
  mem.setPtr(mp + m_nextp, 0);
}

// startlockedm: gp is locked to another M: hand it our P and wake it; stop.
function* startlockedm(rt: Runtime, h: H, gp: number): HostGen<void> {
  const mem = rt.mem;
  const lm = mem.ptr(gp + g_lockedm);
  if (lm === rt.getm()) throw_("startlockedm: locked to me");
  if (mem.ptr(lm + m_nextp) !== 0) throw_("startlockedm: m has p");
  incidlelocked(rt, -1);
  const pp = releasep(rt);
  mem.setPtr(lm + m_nextp, pp);
  yield* notewakeup(rt, h, lm + m_park);
  yield* stopm(rt, h);
}

// --- parking and readying ----------------------------------------------------------

/**
 * gopark's unlock function, run on g0 by park_m after gp is parked:
 * false puts gp back to running. One that must wake an M (a timer's
 * wakeNetPoller) returns a generator whose value is the answer.
 */
export type UnlockFn = (rt: Runtime, h: H, gp: number, lock: number) => boolean | HostGen<boolean>;

/** The unlock functions, by the address of their host function. */
const unlockFns = new Map<number, UnlockFn>();

/**
 * Declares an unlock function: it gets a host function's address (so that
 * m.waitunlockf holds an address, as in Go, and a debugger can name it),
 * and park_m calls it by that address.
 */
export function defineUnlockf(t: HostTable<Runtime>, name: string, fn: UnlockFn): string {
  t.define(name, "p p : i", (rt, h) => {
    const r = fn(rt, h, h.arg(0), h.arg(1));
    if (typeof r === "boolean") {
      h.ret(0, r ? 1 : 0);
      return undefined;
    }
    return (function* () {
      h.ret(0, (yield* r) ? 1 : 0);
    })();
  });
  unlockFns.set(t.resolve(name)!, fn);
  return name;
}

// gopark: puts the current goroutine into a waiting state and calls unlockf
// on the system stack (park_m); the goroutine goes on at `resume` (or, with
// none, returns to the host function's caller) when someone calls
// goready(gp).
export function gopark(rt: Runtime, h: H, unlockf: string | undefined, lockAddr: number, reason: number, resume?: ResumeDef<Runtime>): Req {
  goparkSetup(rt, unlockf, lockAddr, reason);
  rt.engine.setRegN(RAX, rt.funcval("runtime.park_m"));
  return resume ? h.callThen(rt.asm.mcall, resume, 0) : h.tailcall(rt.asm.mcall, SIG_P, 0);
}

/** gopark for generators: `yield* goparkG(...)` returns when the goroutine is readied. */
export function* goparkG(rt: Runtime, h: H, unlockf: string | undefined, lockAddr: number, reason: number): HostGen<void> {
  goparkSetup(rt, unlockf, lockAddr, reason);
  rt.engine.setRegN(RAX, rt.funcval("runtime.park_m"));
  yield h.call(rt.asm.mcall, SIG_P, 0);
}

function goparkSetup(rt: Runtime, unlockf: string | undefined, lockAddr: number, reason: number): void {
  const mem = rt.mem;
  const mp = acquirem(rt);
  const gp = mem.ptr(mp + m_curg);
  const status = readgstatus(rt, gp);
  if (status !== _Grunning && status !== (_Gscan | _Grunning)) throw_("gopark: bad g status");
  mem.setPtr(mp + m_waitlock, lockAddr);
  mem.setPtr(mp + m_waitunlockf, unlockf !== undefined ? rt.bridge.addrOf(unlockf) : 0);
  mem.setU8(gp + g_waitreason, reason);
  releasem(rt, mp);
}

// park_m: on g0, after mcall from gopark.
function park_m(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const gp = h.arg(0);
  const mp = rt.getm();
  casgstatus(rt, gp, _Grunning, _Gwaiting);
  emit(rt, "park", gp, waitReasonStrings[mem.u8(gp + g_waitreason)] ?? "", mem.int(gp + g_goid));
  dropg(rt);
  const fa = mem.ptr(mp + m_waitunlockf);
  if (fa !== 0) {
    const fn = unlockFns.get(fa);
    if (fn === undefined) throw_("park_m: waitunlockf is not an unlock function", `runtime: waitunlockf=${hex(fa)}`);
    mem.setPtr(mp + m_waitunlockf, 0);
    const ok = fn(rt, h, gp, mem.ptr(mp + m_waitlock));
    if (typeof ok !== "boolean") return parkMSlow(rt, h, gp, mp, ok);
    mem.setPtr(mp + m_waitlock, 0);
    if (!ok) {
      casgstatus(rt, gp, _Gwaiting, _Grunnable);
      return execute(rt, h, gp, true);
    }
  }
  return schedule(rt, h);
}

function* parkMSlow(rt: Runtime, h: H, gp: number, mp: number, unlock_: HostGen<boolean>): HostGen {
  const ok = yield* unlock_;
  rt.mem.setPtr(mp + m_waitlock, 0);
  if (!ok) {
    casgstatus(rt, gp, _Gwaiting, _Grunnable);
    return execute(rt, h, gp, true);
  }
  return yield* finish(schedule(rt, h));
}

// ready: marks gp runnable and puts it in runnext of the current P.
export function ready(rt: Runtime, h: H, gp: number, next: boolean): HostGen<void> | undefined {
  const mem = rt.mem;
  const status = readgstatus(rt, gp);
  const mp = acquirem(rt);
  if ((status & ~_Gscan) !== _Gwaiting) throw_("bad g->status in ready", `runtime: gp: gp=${hex(gp)}, goid=${mem.int(gp + g_goid)}, status=${hex(status)}`);
  casgstatus(rt, gp, _Gwaiting, _Grunnable);
  emit(rt, "ready", gp);
  runqput(rt, mem.ptr(mp + m_p), gp, next);
  const w = wakep(rt, h);
  if (w === undefined) {
    releasem(rt, mp);
    return undefined;
  }
  return readyTail(rt, w, mp);
}

function* readyTail(rt: Runtime, w: HostGen<void>, mp: number): HostGen<void> {
  yield* w;
  releasem(rt, mp);
}

export function goready(rt: Runtime, h: H, gp: number): HostGen<void> | undefined {
  return ready(rt, h, gp, true);
}

// goschedImpl: the goroutine goes to the global queue, and the M schedules.
function goschedImpl(rt: Runtime, h: H, gp: number, preempted: boolean): HostResult {
  const mem = rt.mem;
  const status = readgstatus(rt, gp);
  if ((status & ~_Gscan) !== _Grunning) throw_("bad g status");
  casgstatus(rt, gp, _Grunning, _Grunnable);
  emit(rt, preempted || mem.u8(gp + g_preempt) !== 0 ? "preempt" : "gosched", gp, undefined, mem.int(gp + g_goid));
  dropg(rt);
  lock(rt, rt.sched + schedt_lock);
  globrunqput(rt, gp);
  unlock(rt, rt.sched + schedt_lock);
  return schedule(rt, h);
}

// gopreempt_m: Gosched for a preemption (asyncPreempt2, newstack); only the
// event differs, as in Go, where only the trace event differs.
export function gopreempt_m(rt: Runtime, h: H, gp: number): HostResult {
  return goschedImpl(rt, h, gp, true);
}

// goexit0: on g0 after mcall from goexit1: gp is dead and goes to the free list.
function goexit0(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const gp = h.arg(0);
  const mp = rt.getm();
  const pp = mem.ptr(mp + m_p);
  casgstatus(rt, gp, _Grunning, _Gdead);
  emit(rt, "exit", gp, undefined, mem.int(gp + g_goid));
  mem.setPtr(gp + g_m, 0);
  const locked = mem.ptr(gp + g_lockedm) !== 0;
  mem.setPtr(gp + g_lockedm, 0);
  mem.setPtr(mp + m_lockedg, 0);
  mem.setU8(gp + g_preemptStop, 0);
  mem.setU8(gp + g_paniconfault, 0);
  mem.setPtr(gp + g__defer, 0);
  mem.setPtr(gp + g__panic, 0);
  mem.zero(gp + g_writebuf, 24);
  mem.setU8(gp + g_waitreason, 0);
  mem.setPtr(gp + g_param, 0);
  mem.setPtr(gp + g_labels, 0);
  mem.setPtr(gp + g_timer, 0);
  dropg(rt);
  if (mem.u32(mp + m_lockedInt) !== 0) throw_("internal lockOSThread error", `invalid m->lockedInt = ${mem.u32(mp + m_lockedInt)}`);
  gfput(rt, pp, gp);
  // The goroutine may have locked this thread because it put it in an
  // unusual state: kill it rather than return it to the pool.
  if (locked) return mexit(rt, h);
  return schedule(rt, h);
}

/** mcall(fn) for a host function fn; `resume` runs if mcall ever returns here. */
function mcall(rt: Runtime, h: H, fn: string, resume?: ResumeDef<Runtime>): Req {
  rt.engine.setRegN(RAX, rt.funcval(fn));
  return resume ? h.callThen(rt.asm.mcall, resume, 0) : h.tailcall(rt.asm.mcall, SIG_P, 0);
}

// --- start-up -------------------------------------------------------------------

// mstart0/mstart1: the M's first host frame: record where g0's stack starts
// for mcall/systemstack, set up signals, run mstartfn or take nextp, and
// schedule.
function* mstart0(rt: Runtime, h: H): HostGen {
  const mem = rt.mem;
  const gp = rt.getg();
  const mp = mem.ptr(gp + g_m);
  if (gp !== mem.ptr(mp + m_g0)) throw_("bad runtime·mstart");
  // gp.sched.pc/sp = getcallerpc/getcallersp: mstart's return address and
  // its SP, so that mcall's switches to g0 land at the top of its stack.
  const sched = gp + g_sched;
  mem.setPtr(sched + gobuf_pc, h.pc);
  mem.setPtr(sched + gobuf_sp, h.callerSp);
  mem.setPtr(sched + gobuf_bp, rt.engine.getRegN(RBP));
  mem.setPtr(sched + gobuf_g, gp);
  mem.setPtr(mp + m_procid, h.thread.tid);
  // minit: the signal stack; on m0 first, initsig (mstartm0).
  if (mp === rt.m0) yield* initsig(rt, h);
  yield* minitSignalStack(rt, h, mp);
  const fn = mem.ptr(mp + m_mstartfn);
  const fnName = fn !== 0 ? rt.bridge.nameAt(mem.ptr(fn)) : undefined;
  if (fnName === "runtime.mspinning") {
    mem.setU8(mp + m_spinning, 1);
  } else if (fnName !== undefined) {
    // mstartfn: sysmon's M runs it, without a P, for good.
    yield h.call(mem.ptr(fn), SIG_NONE);
    throw_(`mstart: ${fnName} returned`);
  }
  if (mp !== rt.m0) {
    acquirep(rt, mem.ptr(mp + m_nextp));
    mem.setPtr(mp + m_nextp, 0);
  }
  return yield* finish(schedule(rt, h));
}

// schedinit: the part of Go's schedinit the scheduler owns (the data layer
// already ran mallocinit and stackinit): m0's id and the Ps.
function schedinit(rt: Runtime): void {
  mcommoninit(rt, rt.m0, -1);
  rt.mem.setInt(rt.sched + schedt_lastpoll, rt.now);
  procresize(rt, rt.opts.procs ?? 1);
}

/** Declares the scheduler's host functions. */
export function register(t: HostTable<Runtime>): void {
  t.define("runtime.schedinit", "", (rt) => { schedinit(rt); });
  // newproc: as Go's, it does its work on the system stack: a closure
  // {newproc_m, fn, gp, pc} in its frame, handed to the systemstack
  // routine, which switches to g0 (when called from a user goroutine),
  // calls it, and switches back.
  t.define("runtime.newproc", "p", (rt, h) => {
    const mem = rt.mem;
    const gp = rt.getg();
    const fv = h.locals;
    mem.setPtr(fv + newprocClosure_fn, rt.bridge.addrOf("runtime.newproc_m"));
    mem.setPtr(fv + newprocClosure_arg, h.arg(0));
    mem.setPtr(fv + newprocClosure_gp, gp);
    mem.setPtr(fv + newprocClosure_pc, h.pc);
    return h.tailcall(rt.asm.systemstack, SIG_P, fv);
  }, newprocClosure__size);
  t.define("runtime.newproc_m", "", (rt, h) => {
    const mem = rt.mem;
    const fv = rt.engine.getRegN(RDX); // the closure, in DX
    const fn = mem.ptr(fv + newprocClosure_arg), callergp = mem.ptr(fv + newprocClosure_gp), callerpc = mem.ptr(fv + newprocClosure_pc);
    const newg = newproc1(rt, fn, callergp, callerpc);
    // The event names the goroutine's function (traces show it), when someone listens.
    const startName = rt.listeners.length === 0 ? undefined : rt.image.symbolize(mem.ptr(newg + g_startpc)) ?? rt.bridge.nameAt(mem.ptr(newg + g_startpc));
    emit(rt, "create", newg, startName, callergp !== 0 ? mem.int(callergp + g_goid) : 0);
    const pp = mem.ptr(rt.getm() + m_p);
    runqput(rt, pp, newg, true);
    return mainStarted(rt) ? wakep(rt, h) : undefined;
  });
  t.define("runtime.mstart0", "", (rt, h) => mstart0(rt, h));
  t.define("runtime.mspinning", "", () => undefined);
  t.define("runtime.park_m", "p", park_m);
  t.define("runtime.goexit0", "p", goexit0);
  t.define("runtime.gosched_m", "p", (rt, h) => goschedImpl(rt, h, h.arg(0), false));
  const goexit1 = t.define("runtime.goexit1", "", (rt, h) => mcall(rt, h, "runtime.goexit0", goexit1Returned));
  const goexit1Returned = t.resume(goexit1, "p", () => throw_("goexit1: mcall returned"));
  t.define("runtime.Gosched", "", (rt, h) => mcall(rt, h, "runtime.gosched_m"));
  const goexit = t.define("runtime.Goexit", "", (rt, h) => mcall(rt, h, "runtime.goexit0", goexitReturned));
  const goexitReturned = t.resume(goexit, "p", () => throw_("Goexit: mcall returned"));
  t.define("runtime.NumGoroutine", ": p", (rt, h) => { h.ret(0, gcount(rt)); });
  // LockOSThread: wires the calling goroutine to its thread until as many
  // UnlockOSThread calls; the first one ever starts the template thread.
  t.define("runtime.LockOSThread", "", (rt, h) => {
    const after = (): void => {
      const mp = rt.getm();
      const n = (rt.mem.u32(mp + m_lockedExt) + 1) >>> 0;
      if (n === 0) throw_("LockOSThread nesting overflow");
      rt.mem.setU32(mp + m_lockedExt, n);
      dolockOSThread(rt);
    };
    if (rt.mem.u32(rt.gvar(rtglobals_haveTemplateThread)) === 0) {
      return (function* () {
        yield* startTemplateThread(rt, h);
        after();
      })();
    }
    after();
    return undefined;
  });
  t.define("runtime.UnlockOSThread", "", (rt) => {
    const mp = rt.getm();
    const n = rt.mem.u32(mp + m_lockedExt);
    if (n === 0) return;
    rt.mem.setU32(mp + m_lockedExt, n - 1);
    dounlockOSThread(rt);
  });
  t.define("runtime.templateThread", "", templateThread);
  // asyncPreempt2 (preempt.go): from asyncPreempt, on the goroutine: give up the P.
  const ap2 = t.define("runtime.asyncPreempt2", "", (rt, h) => {
    const gp = rt.getg();
    rt.stats.preempt.asyncPreempt2++;
    rt.mem.setU8(gp + g_asyncSafePoint, 1);
    return mcall(rt, h, "runtime.gopreempt_m", ap2Resumed);
  });
  const ap2Resumed = t.resume(ap2, "p", (rt) => { rt.mem.setU8(rt.getg() + g_asyncSafePoint, 0); });
  t.define("runtime.gopreempt_m", "p", (rt, h) => gopreempt_m(rt, h, h.arg(0)));
  for (const [name, msg] of [
    ["badmcall", "runtime: mcall called on m->g0 stack"], ["badmcall2", "runtime: mcall function returned"],
    ["badsystemstack", "systemstack called from unexpected goroutine"], ["badmorestackg0", "morestack on g0"],
    ["badmorestackgsignal", "morestack on gsignal"],
  ] as const) {
    t.define(`runtime.${name}`, "", () => throw_(msg));
  }
}
