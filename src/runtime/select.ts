// select (select.go): selectgo, the non-blocking sends and receives a
// select with one case and a default compiles to, and block (select {}).
//
// The compiler lays a select out on the goroutine's stack: an array of
// scases {c, elem}, sends first then receives, and an array of 2·n uint16
// that selectgo fills with the poll order (a random permutation of the
// cases with a non-nil channel, by fastrandn) and the lock order (the same
// cases sorted by channel address, a heap sort, so two selects lock shared
// channels in the same order). Then, as Go does:
//
//   1. lock every channel (sellock), and look at the cases in poll order:
//      a waiting partner (a hand-off, as chansend/chanrecv do), room or
//      data in the buffer, a closed channel. The first ready case wins.
//   2. none, and no default: enqueue one sudog per case, all linked from
//      gp.waiting (in lock order) and marked isSelect, and park; the
//      unlock function (selparkcommit) releases the channels only once
//      the goroutine is parked.
//   3. woken by one partner (gp.param is the sudog that fired; a closing
//      channel counts), lock again, dequeue every other sudog from its
//      channel, free them, and report the case.
//
// A partner that dequeues a select's sudog must win the race against the
// other cases: dequeue (chan.ts) claims the goroutine with g.selectDone
// 0 → 1, and skips sudogs whose goroutine another case already claimed.
//
// Step 3 runs at a resume point: everything it needs is in memory (the
// arguments in the frame, gp.param, gp.waiting), so a select that parks
// keeps no JavaScript state. Channel locks held across a park by another
// M are waited for by yielding the thread (chan.ts's protocol).
//
// Not ported: the race detector's and the block profile's bookkeeping;
// reflect.Select (reflect_rselect).

import { finish, type HostGen, type HostResult, type HostTable, type ResumeDef } from "./bridge.ts";
import {
  acquireSudog, chanbuf, dequeue, enqueue, recv, releaseSudog, send, tryLock, unlockWait,
} from "./chan.ts";
import {
  g_activeStackChans, g_param, g_parkingOnChan, g_selectDone, g_waiting, hchan_closed, hchan_dataqsiz, hchan_elemsize,
  hchan_lock, hchan_qcount, hchan_recvq, hchan_recvx, hchan_sendq, hchan_sendx, sudog_c, sudog_elem, sudog_g,
  sudog_isSelect, sudog_next, sudog_prev, sudog_releasetime, sudog_success, sudog_waitlink, waitq_first, waitq_last,
} from "./offsets.ts";
import { osyield } from "./os_linux.ts";
import { gopanic, throw_ } from "./panic.ts";
import { defineUnlockf, fastrandn, gopark } from "./proc.ts";
import type { H, Runtime } from "./rt.ts";
import { waitReasonSelect, waitReasonSelectNoCases } from "./runtime2.ts";

/** scase (select.go): {c *hchan; elem unsafe.Pointer}. */
const scase__size = 16, scase_c = 0, scase_elem = 8;

/** selectgo's arguments, read from the frame (the spill area for a register-ABI call). */
interface Sel { cas0: number; order0: number; nsends: number; ncases: number; norder: number }

function selArgs(rt: Runtime, h: H): Sel {
  const cas0 = h.arg(0), order0 = h.arg(1), nsends = h.argInt(3), nrecvs = h.argInt(4);
  const ncases = nsends + nrecvs;
  // The cases with a channel: pollorder's length, recomputed at the resume point.
  let norder = 0;
  for (let i = 0; i < ncases; i++) if (rt.mem.ptr(cas0 + i * scase__size + scase_c) !== 0) norder++;
  return { cas0, order0, nsends, ncases, norder };
}

const caseC = (rt: Runtime, s: Sel, i: number): number => rt.mem.ptr(s.cas0 + i * scase__size + scase_c);
const caseElem = (rt: Runtime, s: Sel, i: number): number => rt.mem.ptr(s.cas0 + i * scase__size + scase_elem);
const pollAt = (rt: Runtime, s: Sel, i: number): number => rt.mem.u16(s.order0 + 2 * i);
const lockAt = (rt: Runtime, s: Sel, i: number): number => rt.mem.u16(s.order0 + 2 * (s.ncases + i));
const setPoll = (rt: Runtime, s: Sel, i: number, v: number): void => rt.mem.setU16(s.order0 + 2 * i, v);
const setLock = (rt: Runtime, s: Sel, i: number, v: number): void => rt.mem.setU16(s.order0 + 2 * (s.ncases + i), v);

// The poll order (a random permutation of the cases with a channel) and
// the lock order (by channel address, heap-sorted), into order0.
function selectOrder(rt: Runtime, s: Sel): void {
  const mem = rt.mem;
  let norder = 0;
  for (let i = 0; i < s.ncases; i++) {
    if (caseC(rt, s, i) === 0) {
      mem.setPtr(s.cas0 + i * scase__size + scase_elem, 0); // allow GC
      continue;
    }
    const j = fastrandn(rt, norder + 1);
    setPoll(rt, s, norder, pollAt(rt, s, j));
    setPoll(rt, s, j, i);
    norder++;
  }
  const key = (i: number): number => caseC(rt, s, lockAt(rt, s, i));
  // Sort by channel address: build a heap, then pop it.
  for (let i = 0; i < norder; i++) {
    let j = i;
    const c = caseC(rt, s, pollAt(rt, s, i));
    while (j > 0 && key((j - 1) >> 1) < c) {
      const k = (j - 1) >> 1;
      setLock(rt, s, j, lockAt(rt, s, k));
      j = k;
    }
    setLock(rt, s, j, pollAt(rt, s, i));
  }
  for (let i = norder - 1; i >= 0; i--) {
    const o = lockAt(rt, s, i);
    const c = caseC(rt, s, o);
    setLock(rt, s, i, lockAt(rt, s, 0));
    let j = 0;
    for (;;) {
      let k = j * 2 + 1;
      if (k >= i) break;
      if (k + 1 < i && key(k) < key(k + 1)) k++;
      if (c < key(k)) {
        setLock(rt, s, j, lockAt(rt, s, k));
        j = k;
        continue;
      }
      break;
    }
    setLock(rt, s, j, o);
  }
}

// sellock: every channel's lock, in lock order (each once). Undefined when
// all were free; else a generator that waits for the busy ones.
function sellock(rt: Runtime, h: H, s: Sel): HostGen<void> | undefined {
  let c = 0;
  for (let i = 0; i < s.norder; i++) {
    const c0 = caseC(rt, s, lockAt(rt, s, i));
    if (c0 === c) continue;
    c = c0;
    if (!tryLock(rt, c + hchan_lock)) return sellockWait(rt, h, s, i);
  }
  return undefined;
}

function* sellockWait(rt: Runtime, h: H, s: Sel, from: number): HostGen<void> {
  let c = from > 0 ? caseC(rt, s, lockAt(rt, s, from - 1)) : 0;
  for (let i = from; i < s.norder; i++) {
    const c0 = caseC(rt, s, lockAt(rt, s, i));
    if (c0 === c) continue;
    c = c0;
    while (!tryLock(rt, c + hchan_lock)) yield* osyield(rt, h);
  }
}

// selunlock: in reverse lock order, each channel once.
function selunlock(rt: Runtime, s: Sel): void {
  for (let i = s.norder - 1; i >= 0; i--) {
    const c = caseC(rt, s, lockAt(rt, s, i));
    if (i > 0 && c === caseC(rt, s, lockAt(rt, s, i - 1))) continue;
    unlockWait(rt, c + hchan_lock);
  }
}

let selparkcommit = "";

/** The resume point after selectgo's park. */
let selectParked: ResumeDef<Runtime>;

// selectgo: see the essay. Results: the chosen case (-1: the default) and
// whether a receive received a value.
function selectgo(rt: Runtime, h: H): HostResult {
  const s = selArgs(rt, h);
  selectOrder(rt, s);
  const w = sellock(rt, h, s);
  if (w === undefined) return selectLocked(rt, h, s);
  return (function* () {
    yield* w;
    return yield* finish(selectLocked(rt, h, s));
  })();
}

function done(h: H, casi: number, recvOK: boolean): undefined {
  h.ret(0, casi);
  h.ret(1, recvOK ? 1 : 0);
  return undefined;
}

// selectgo with every channel locked: the first ready case in poll order,
// else the default, else park.
function selectLocked(rt: Runtime, h: H, s: Sel): HostResult {
  const mem = rt.mem;
  for (let p = 0; p < s.norder; p++) {
    const casi = pollAt(rt, s, p);
    const c = caseC(rt, s, casi), elem = caseElem(rt, s, casi);
    const size = mem.u16(c + hchan_elemsize);
    if (casi >= s.nsends) {
      const sg = dequeue(rt, c + hchan_sendq);
      if (sg !== 0) {
        // recv: a sender was waiting.
        done(h, casi, true);
        return selRecv(rt, h, s, c, sg, elem);
      }
      const qcount = mem.int(c + hchan_qcount);
      if (qcount > 0) {
        // bufrecv
        const recvx = mem.int(c + hchan_recvx);
        const qp = chanbuf(rt, c, recvx);
        if (elem !== 0) mem.copy(elem, qp, size);
        mem.zero(qp, size);
        mem.setInt(c + hchan_recvx, recvx + 1 === mem.int(c + hchan_dataqsiz) ? 0 : recvx + 1);
        mem.setInt(c + hchan_qcount, qcount - 1);
        selunlock(rt, s);
        return done(h, casi, true);
      }
      if (mem.u32(c + hchan_closed) !== 0) {
        // rclose
        selunlock(rt, s);
        if (elem !== 0) mem.zero(elem, size);
        return done(h, casi, false);
      }
    } else {
      if (mem.u32(c + hchan_closed) !== 0) {
        selunlock(rt, s);
        gopanic("send on closed channel");
      }
      const sg = dequeue(rt, c + hchan_recvq);
      if (sg !== 0) {
        done(h, casi, false);
        return selSend(rt, h, s, c, sg, elem);
      }
      const qcount = mem.int(c + hchan_qcount);
      if (qcount < mem.int(c + hchan_dataqsiz)) {
        // bufsend
        const sendx = mem.int(c + hchan_sendx);
        mem.copy(chanbuf(rt, c, sendx), elem, size);
        mem.setInt(c + hchan_sendx, sendx + 1 === mem.int(c + hchan_dataqsiz) ? 0 : sendx + 1);
        mem.setInt(c + hchan_qcount, qcount + 1);
        selunlock(rt, s);
        return done(h, casi, false);
      }
    }
  }
  if ((h.arg(5) & 0xff) === 0) {
    selunlock(rt, s);
    return done(h, -1, false);
  }
  // Block: a sudog on every case's queue, linked from gp.waiting in lock order.
  const gp = rt.getg();
  if (mem.ptr(gp + g_waiting) !== 0) throw_("gp.waiting != nil");
  let nextp = gp + g_waiting;
  for (let i = 0; i < s.norder; i++) {
    const casi = lockAt(rt, s, i);
    const c = caseC(rt, s, casi);
    const sg = acquireSudog(rt);
    mem.setPtr(sg + sudog_g, gp);
    mem.setU8(sg + sudog_isSelect, 1);
    mem.setPtr(sg + sudog_elem, caseElem(rt, s, casi));
    mem.setInt(sg + sudog_releasetime, 0);
    mem.setPtr(sg + sudog_c, c);
    mem.setPtr(nextp, sg);
    nextp = sg + sudog_waitlink;
    enqueue(rt, casi < s.nsends ? c + hchan_sendq : c + hchan_recvq, sg);
  }
  mem.setPtr(nextp, 0);
  mem.setPtr(gp + g_param, 0);
  mem.setU8(gp + g_parkingOnChan, 1);
  return gopark(rt, h, selparkcommit, 0, waitReasonSelect, selectParked);
}

// send and recv within a select: chan.ts's, with selunlock for the unlock.
function selSend(rt: Runtime, h: H, s: Sel, c: number, sg: number, ep: number): HostResult {
  return send(rt, h, c, sg, ep, () => selunlock(rt, s));
}

function selRecv(rt: Runtime, h: H, s: Sel, c: number, sg: number, ep: number): HostResult {
  return recv(rt, h, c, sg, ep, () => selunlock(rt, s));
}

// After the park: relock, find the sudog that fired, take every other one
// off its channel, free them all, and report.
function selectWoken(rt: Runtime, h: H): HostResult {
  const s = selArgs(rt, h);
  rt.mem.setU8(rt.getg() + g_activeStackChans, 0);
  const w = sellock(rt, h, s);
  if (w === undefined) return selectWokenLocked(rt, h, s);
  return (function* () {
    yield* w;
    return yield* finish(selectWokenLocked(rt, h, s));
  })();
}

function selectWokenLocked(rt: Runtime, h: H, s: Sel): HostResult {
  const mem = rt.mem;
  const gp = rt.getg();
  mem.setU32(gp + g_selectDone, 0);
  const sg = mem.ptr(gp + g_param);
  mem.setPtr(gp + g_param, 0);
  let casi = -1, success = false;
  let sglist = mem.ptr(gp + g_waiting);
  for (let sg1 = sglist; sg1 !== 0; sg1 = mem.ptr(sg1 + sudog_waitlink)) {
    mem.setU8(sg1 + sudog_isSelect, 0);
    mem.setPtr(sg1 + sudog_elem, 0);
    mem.setPtr(sg1 + sudog_c, 0);
  }
  mem.setPtr(gp + g_waiting, 0);
  for (let i = 0; i < s.norder; i++) {
    const k = lockAt(rt, s, i);
    if (sg === sglist) {
      casi = k;
      success = mem.u8(sglist + sudog_success) !== 0;
    } else {
      const c = caseC(rt, s, k);
      dequeueSudoG(rt, k < s.nsends ? c + hchan_sendq : c + hchan_recvq, sglist);
    }
    const sgnext = mem.ptr(sglist + sudog_waitlink);
    mem.setPtr(sglist + sudog_waitlink, 0);
    releaseSudog(rt, sglist);
    sglist = sgnext;
  }
  if (casi < 0) throw_("selectgo: bad wakeup");
  selunlock(rt, s);
  if (casi < s.nsends) {
    if (!success) gopanic("send on closed channel");
    return done(h, casi, false);
  }
  return done(h, casi, success);
}

// (*waitq).dequeueSudoG: takes sgp out of q, wherever it is (or nowhere).
function dequeueSudoG(rt: Runtime, q: number, sgp: number): void {
  const mem = rt.mem;
  const x = mem.ptr(sgp + sudog_prev), y = mem.ptr(sgp + sudog_next);
  if (x !== 0) {
    if (y !== 0) {
      mem.setPtr(x + sudog_next, y);
      mem.setPtr(y + sudog_prev, x);
      mem.setPtr(sgp + sudog_next, 0);
      mem.setPtr(sgp + sudog_prev, 0);
      return;
    }
    mem.setPtr(x + sudog_next, 0);
    mem.setPtr(q + waitq_last, x);
    mem.setPtr(sgp + sudog_prev, 0);
    return;
  }
  if (y !== 0) {
    mem.setPtr(y + sudog_prev, 0);
    mem.setPtr(q + waitq_first, y);
    mem.setPtr(sgp + sudog_next, 0);
    return;
  }
  if (mem.ptr(q + waitq_first) === sgp) {
    mem.setPtr(q + waitq_first, 0);
    mem.setPtr(q + waitq_last, 0);
  }
}

// selectnbsend: `select { case c <- v: ... default: ... }` (chansend, block = false).
function selectnbsend(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const c = h.arg(0), ep = h.arg(1);
  h.ret(0, 0);
  if (c === 0) return undefined;
  // Fast path: not closed and full, no lock needed.
  const full = mem.int(c + hchan_dataqsiz) === 0 ? mem.ptr(c + hchan_recvq + waitq_first) === 0 : mem.int(c + hchan_qcount) === mem.int(c + hchan_dataqsiz);
  if (mem.u32(c + hchan_closed) === 0 && full) return undefined;
  if (!tryLock(rt, c + hchan_lock)) return lockThen(rt, h, c, () => nbsendLocked(rt, h, c, ep));
  return nbsendLocked(rt, h, c, ep);
}

function nbsendLocked(rt: Runtime, h: H, c: number, ep: number): HostResult {
  const mem = rt.mem;
  if (mem.u32(c + hchan_closed) !== 0) {
    unlockWait(rt, c + hchan_lock);
    gopanic("send on closed channel");
  }
  const sg = dequeue(rt, c + hchan_recvq);
  if (sg !== 0) {
    h.ret(0, 1);
    return send(rt, h, c, sg, ep);
  }
  const qcount = mem.int(c + hchan_qcount), dataqsiz = mem.int(c + hchan_dataqsiz);
  if (qcount < dataqsiz) {
    const sendx = mem.int(c + hchan_sendx);
    mem.copy(chanbuf(rt, c, sendx), ep, mem.u16(c + hchan_elemsize));
    mem.setInt(c + hchan_sendx, sendx + 1 === dataqsiz ? 0 : sendx + 1);
    mem.setInt(c + hchan_qcount, qcount + 1);
    h.ret(0, 1);
  }
  unlockWait(rt, c + hchan_lock);
  return undefined;
}

// selectnbrecv(elem, c) (selected, received bool): `select { case v, ok = <-c: ... default: ... }`.
function selectnbrecv(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const ep = h.arg(0), c = h.arg(1);
  h.ret(0, 0);
  h.ret(1, 0);
  if (c === 0) return undefined;
  const empty = (): boolean => (mem.int(c + hchan_dataqsiz) === 0 ? mem.ptr(c + hchan_sendq + waitq_first) === 0 : mem.int(c + hchan_qcount) === 0);
  if (empty()) {
    if (mem.u32(c + hchan_closed) === 0) return undefined;
    if (empty()) {
      if (ep !== 0) mem.zero(ep, mem.u16(c + hchan_elemsize));
      h.ret(0, 1);
      return undefined;
    }
  }
  if (!tryLock(rt, c + hchan_lock)) return lockThen(rt, h, c, () => nbrecvLocked(rt, h, c, ep));
  return nbrecvLocked(rt, h, c, ep);
}

function nbrecvLocked(rt: Runtime, h: H, c: number, ep: number): HostResult {
  const mem = rt.mem;
  const size = mem.u16(c + hchan_elemsize);
  if (mem.u32(c + hchan_closed) !== 0 && mem.int(c + hchan_qcount) === 0) {
    unlockWait(rt, c + hchan_lock);
    if (ep !== 0) mem.zero(ep, size);
    h.ret(0, 1);
    return undefined;
  }
  const sg = dequeue(rt, c + hchan_sendq);
  if (sg !== 0) {
    h.ret(0, 1);
    h.ret(1, 1);
    return recv(rt, h, c, sg, ep);
  }
  const qcount = mem.int(c + hchan_qcount);
  if (qcount > 0) {
    const recvx = mem.int(c + hchan_recvx);
    const qp = chanbuf(rt, c, recvx);
    if (ep !== 0) mem.copy(ep, qp, size);
    mem.zero(qp, size);
    mem.setInt(c + hchan_recvx, recvx + 1 === mem.int(c + hchan_dataqsiz) ? 0 : recvx + 1);
    mem.setInt(c + hchan_qcount, qcount - 1);
    h.ret(0, 1);
    h.ret(1, 1);
  }
  unlockWait(rt, c + hchan_lock);
  return undefined;
}

function* lockThen(rt: Runtime, h: H, c: number, k: () => HostResult): HostGen {
  while (!tryLock(rt, c + hchan_lock)) yield* osyield(rt, h);
  return yield* finish(k());
}

/** Declares selectgo, selectnbsend, selectnbrecv and block. */
export function register(t: HostTable<Runtime>): void {
  // selparkcommit: once the goroutine is parked, release every channel
  // (each once: gp.waiting is in lock order).
  selparkcommit = defineUnlockf(t, "runtime.selparkcommit", (rt, _h, gp) => {
    const mem = rt.mem;
    mem.setU8(gp + g_activeStackChans, 1);
    mem.setU8(gp + g_parkingOnChan, 0);
    let lastc = 0;
    for (let sg = mem.ptr(gp + g_waiting); sg !== 0; sg = mem.ptr(sg + sudog_waitlink)) {
      const c = mem.ptr(sg + sudog_c);
      if (c !== lastc && lastc !== 0) unlockWait(rt, lastc + hchan_lock);
      lastc = c;
    }
    if (lastc !== 0) unlockWait(rt, lastc + hchan_lock);
    return true;
  });
  // selectgo(cas0 *scase, order0 *uint16, pc0 *uintptr, nsends, nrecvs int, block bool) (int, bool)
  const sg = t.define("runtime.selectgo", "p p p p p b : p b", selectgo);
  selectParked = t.resume(sg, "p", selectWoken);
  // selectnbsend(c *hchan, elem unsafe.Pointer) (selected bool)
  t.define("runtime.selectnbsend", "p p : b", selectnbsend);
  // selectnbrecv(elem unsafe.Pointer, c *hchan) (selected, received bool)
  t.define("runtime.selectnbrecv", "p p : b b", selectnbrecv);
  // block: select {} parks for good.
  const blk = t.define("runtime.block", "", (rt, h) => gopark(rt, h, undefined, 0, waitReasonSelectNoCases, blockForever));
  const blockForever = t.resume(blk, "p", () => throw_("block: woken"));
}
