// Channels (chan.go): makechan, chansend, chanrecv, closechan.
//
// Channels are Go's: an hchan in emulated memory with its ring buffer,
// recvq/sendq of sudogs linked through sudog.next/prev, a lock, and the
// hand-off rules (a sender finding a waiting receiver copies straight into
// the receiver's slot and readies it; a receiver on a full buffered channel
// takes the head and moves the first waiting sender's value into the freed
// slot). Blocking goes through gopark with chanparkcommit, which unlocks the
// channel on g0 after the goroutine is parked, exactly as Go's.
//
// A send or receive that parks continues, when it is readied, at a resume
// point (bridge.ts) that does what Go's code does after gopark returns:
// everything it needs is in memory (gp.waiting is the sudog, sudog.success
// says whether a partner or closechan woke it). So a ping-pong round trip
// allocates nothing. The runtime's own goroutines (runtime.main) use the
// same code from generators (`park` undefined: gopark by yield).
//
// The channel lock is held across a park (from chansend's gopark to
// chanparkcommit on g0), so another thread can find it held: lockWait then
// yields the thread through the `runtime·osyield` stub until it is free —
// Go's lock2 spins, yields and then sleeps on a futex; this is the same
// protocol minus the futex, deterministic under the kernel's seeded
// interleaving.
//
// makechan takes an element size (assembly programs have no type
// descriptors); panics (send on a closed channel ...) are fatal, as there is
// no recover.

import { finish, type HostFnDef, type HostGen, type HostImpl, type HostResult, type HostTable, type ResumeDef } from "./bridge.ts";
import { mallocgc } from "./malloc.ts";
import {
  g_activeStackChans, g_param, g_parkingOnChan, g_selectDone, g_waiting, hchan__size, hchan_buf, hchan_closed, hchan_dataqsiz,
  hchan_elemsize, hchan_lock, hchan_qcount, hchan_recvq, hchan_recvx, hchan_sendq, hchan_sendx, m_p, p_sudogcache,
  slice_array, slice_cap, slice_len, sudog__size, sudog_c, sudog_elem, sudog_g, sudog_isSelect, sudog_next,
  sudog_prev, sudog_success, sudog_waitlink, waitq_first, waitq_last,
} from "./offsets.ts";
import { osyield } from "./os_linux.ts";
import { gopanic, throw_ } from "./panic.ts";
import { defineUnlockf, gopark, goparkG, goready } from "./proc.ts";
import type { H, Runtime } from "./rt.ts";
import { waitReasonChanReceive, waitReasonChanReceiveNilChan, waitReasonChanSend, waitReasonChanSendNilChan } from "./runtime2.ts";

/** Where a host function's send or receive goes on after a park: its resume points. */
interface Park {
  /** Readied by a partner or by closechan. */
  parked: ResumeDef<Runtime>;
  /** Parked on a nil channel, for good. */
  forever: ResumeDef<Runtime>;
}

const maxAlign = 8;
const hchanSize = hchan__size + ((-hchan__size) & (maxAlign - 1));
const maxAlloc = 2 ** 47;

// --- locks held across parks ----------------------------------------------------

/** lock2 on a lock held across parks: free → taken, true; held → false (use lockWaitThen). */
export function tryLock(rt: Runtime, l: number): boolean {
  if (rt.mem.u32(l) !== 0) return false;
  rt.mem.setU32(l, 1);
  return true;
}

/** Yields the thread until l is free, takes it, and goes on with k. */
function* lockWaitThen(rt: Runtime, h: H, l: number, k: () => HostResult): HostGen {
  while (rt.mem.u32(l) !== 0) yield* osyield(rt, h);
  rt.mem.setU32(l, 1);
  return yield* finish(k());
}

export function unlockWait(rt: Runtime, l: number): void {
  if (rt.mem.u32(l) === 0) throw_("unlock of unlocked lock");
  rt.mem.setU32(l, 0);
}

// --- sudogs ---------------------------------------------------------------------

// acquireSudog: from the P's cache, else a new one.
export function acquireSudog(rt: Runtime): number {
  const mem = rt.mem;
  const cache = mem.ptr(rt.getm() + m_p) + p_sudogcache;
  const n = mem.int(cache + slice_len);
  if (n > 0) {
    const sg = mem.ptr(mem.ptr(cache + slice_array) + 8 * (n - 1));
    mem.setInt(cache + slice_len, n - 1);
    return sg;
  }
  return mallocgc(rt, sudog__size, 0, true);
}

// releaseSudog: checks it is clean and puts it back in the P's cache.
export function releaseSudog(rt: Runtime, sg: number): void {
  const mem = rt.mem;
  if (mem.ptr(sg + sudog_elem) !== 0) throw_("runtime: sudog with non-nil elem");
  if (mem.ptr(sg + sudog_next) !== 0) throw_("runtime: sudog with non-nil next");
  if (mem.ptr(sg + sudog_prev) !== 0) throw_("runtime: sudog with non-nil prev");
  if (mem.ptr(sg + sudog_waitlink) !== 0) throw_("runtime: sudog with non-nil waitnext");
  if (mem.ptr(sg + sudog_c) !== 0) throw_("runtime: sudog with non-nil c");
  mem.setPtr(sg + sudog_g, 0);
  const cache = mem.ptr(rt.getm() + m_p) + p_sudogcache;
  const n = mem.int(cache + slice_len), cap = mem.int(cache + slice_cap);
  if (n < cap) {
    mem.setPtr(mem.ptr(cache + slice_array) + 8 * n, sg);
    mem.setInt(cache + slice_len, n + 1);
  }
}

// waitq.enqueue
export function enqueue(rt: Runtime, q: number, sgp: number): void {
  const mem = rt.mem;
  mem.setPtr(sgp + sudog_next, 0);
  const x = mem.ptr(q + waitq_last);
  if (x === 0) {
    mem.setPtr(sgp + sudog_prev, 0);
    mem.setPtr(q + waitq_first, sgp);
    mem.setPtr(q + waitq_last, sgp);
    return;
  }
  mem.setPtr(sgp + sudog_prev, x);
  mem.setPtr(x + sudog_next, sgp);
  mem.setPtr(q + waitq_last, sgp);
}

// waitq.dequeue: the first sudog, skipping those of a select that another
// case has already won (the CAS on g.selectDone, select.ts).
export function dequeue(rt: Runtime, q: number): number {
  const mem = rt.mem;
  for (;;) {
    const sgp = mem.ptr(q + waitq_first);
    if (sgp === 0) return 0;
    const y = mem.ptr(sgp + sudog_next);
    if (y === 0) {
      mem.setPtr(q + waitq_first, 0);
      mem.setPtr(q + waitq_last, 0);
    } else {
      mem.setPtr(y + sudog_prev, 0);
      mem.setPtr(q + waitq_first, y);
      mem.setPtr(sgp + sudog_next, 0);
    }
    if (mem.u8(sgp + sudog_isSelect) !== 0) {
      const gp = mem.ptr(sgp + sudog_g);
      if (mem.u32(gp + g_selectDone) !== 0) continue;
      mem.setU32(gp + g_selectDone, 1);
    }
    return sgp;
  }
}

// --- channels -----------------------------------------------------------------------

export function makechan(rt: Runtime, elemsize: number, size: number): number {
  if (elemsize >= 1 << 16) throw_("makechan: invalid channel element type");
  const memsz = elemsize * size;
  if (size < 0 || memsz > maxAlloc - hchanSize) gopanic("makechan: size out of range");
  const mem = rt.mem;
  const c = mallocgc(rt, hchanSize + memsz, 0, true);
  mem.setPtr(c + hchan_buf, memsz === 0 ? c : c + hchanSize);
  mem.setU16(c + hchan_elemsize, elemsize);
  mem.setInt(c + hchan_dataqsiz, size);
  return c;
}

export function chanbuf(rt: Runtime, c: number, i: number): number {
  return rt.mem.ptr(c + hchan_buf) + i * rt.mem.u16(c + hchan_elemsize);
}

let chanparkcommit = "";

// send: a receiver was waiting: copy straight into its slot and ready it.
// unlockf drops the channel's lock (a select's: all its channels' locks), as Go's send takes it;
// without one, the channel's own lock (not a default closure: one per send).
export function send(rt: Runtime, h: H, c: number, sg: number, ep: number, unlockf?: () => void): HostGen<void> | undefined {
  const mem = rt.mem;
  const dst = mem.ptr(sg + sudog_elem);
  if (dst !== 0) {
    mem.copy(dst, ep, mem.u16(c + hchan_elemsize));
    mem.setPtr(sg + sudog_elem, 0);
  }
  const gp = mem.ptr(sg + sudog_g);
  if (unlockf === undefined) unlockWait(rt, c + hchan_lock);
  else unlockf();
  mem.setPtr(gp + g_param, sg);
  mem.setU8(sg + sudog_success, 1);
  return goready(rt, h, gp);
}

// chansend (block = true): `park` is the caller's resume point after a
// park, or undefined to park by yield (the caller is a generator).
function chansend(rt: Runtime, h: H, c: number, ep: number, park: Park | undefined): HostResult {
  if (c === 0) return parkForever(rt, h, waitReasonChanSendNilChan, park);
  if (!tryLock(rt, c + hchan_lock)) return lockWaitThen(rt, h, c + hchan_lock, () => chansendLocked(rt, h, c, ep, park));
  return chansendLocked(rt, h, c, ep, park);
}

function chansendLocked(rt: Runtime, h: H, c: number, ep: number, park: Park | undefined): HostResult {
  const mem = rt.mem;
  if (mem.u32(c + hchan_closed) !== 0) {
    unlockWait(rt, c + hchan_lock);
    gopanic("send on closed channel");
  }
  const sg = dequeue(rt, c + hchan_recvq);
  if (sg !== 0) return send(rt, h, c, sg, ep);
  const qcount = mem.int(c + hchan_qcount), dataqsiz = mem.int(c + hchan_dataqsiz);
  if (qcount < dataqsiz) {
    const sendx = mem.int(c + hchan_sendx);
    mem.copy(chanbuf(rt, c, sendx), ep, mem.u16(c + hchan_elemsize));
    mem.setInt(c + hchan_sendx, sendx + 1 === dataqsiz ? 0 : sendx + 1);
    mem.setInt(c + hchan_qcount, qcount + 1);
    unlockWait(rt, c + hchan_lock);
    return undefined;
  }
  // Block on the channel.
  const gp = rt.getg();
  const mysg = acquireSudog(rt);
  mem.setPtr(mysg + sudog_elem, ep);
  mem.setPtr(mysg + sudog_waitlink, 0);
  mem.setPtr(mysg + sudog_g, gp);
  mem.setU8(mysg + sudog_isSelect, 0);
  mem.setPtr(mysg + sudog_c, c);
  mem.setPtr(gp + g_waiting, mysg);
  mem.setPtr(gp + g_param, 0);
  enqueue(rt, c + hchan_sendq, mysg);
  mem.setU8(gp + g_parkingOnChan, 1);
  if (park !== undefined) return gopark(rt, h, chanparkcommit, c + hchan_lock, waitReasonChanSend, park.parked);
  return (function* () {
    yield* goparkG(rt, h, chanparkcommit, c + hchan_lock, waitReasonChanSend);
    chansendParked(rt);
  })();
}

// What chansend does once readied: by a receiver (success) or by closechan.
function chansendParked(rt: Runtime): void {
  const mem = rt.mem;
  const gp = rt.getg();
  const mysg = mem.ptr(gp + g_waiting);
  if (mysg === 0) throw_("G waiting list is corrupted");
  mem.setPtr(gp + g_waiting, 0);
  mem.setU8(gp + g_activeStackChans, 0);
  const closed = mem.u8(mysg + sudog_success) === 0;
  mem.setPtr(gp + g_param, 0);
  mem.setPtr(mysg + sudog_c, 0);
  mem.setPtr(mysg + sudog_elem, 0);
  releaseSudog(rt, mysg);
  if (closed) gopanic("send on closed channel");
}

// recv: a sender was waiting. unlockf as for send.
export function recv(rt: Runtime, h: H, c: number, sg: number, ep: number, unlockf?: () => void): HostGen<void> | undefined {
  const mem = rt.mem;
  const size = mem.u16(c + hchan_elemsize);
  if (mem.int(c + hchan_dataqsiz) === 0) {
    if (ep !== 0) mem.copy(ep, mem.ptr(sg + sudog_elem), size);
  } else {
    // The buffer is full: take its head, put the sender's value at the tail.
    const recvx = mem.int(c + hchan_recvx);
    const qp = chanbuf(rt, c, recvx);
    if (ep !== 0) mem.copy(ep, qp, size);
    mem.copy(qp, mem.ptr(sg + sudog_elem), size);
    const next = recvx + 1 === mem.int(c + hchan_dataqsiz) ? 0 : recvx + 1;
    mem.setInt(c + hchan_recvx, next);
    mem.setInt(c + hchan_sendx, next);
  }
  mem.setPtr(sg + sudog_elem, 0);
  const gp = mem.ptr(sg + sudog_g);
  if (unlockf === undefined) unlockWait(rt, c + hchan_lock);
  else unlockf();
  mem.setPtr(gp + g_param, sg);
  mem.setU8(sg + sudog_success, 1);
  return goready(rt, h, gp);
}

// chanrecv (block = true): `received` goes to result `ret` of the host
// function (-1: none); `park` as for chansend.
function chanrecv(rt: Runtime, h: H, c: number, ep: number, ret: number, park: Park | undefined): HostResult {
  if (c === 0) return parkForever(rt, h, waitReasonChanReceiveNilChan, park);
  if (!tryLock(rt, c + hchan_lock)) return lockWaitThen(rt, h, c + hchan_lock, () => chanrecvLocked(rt, h, c, ep, ret, park));
  return chanrecvLocked(rt, h, c, ep, ret, park);
}

function chanrecvLocked(rt: Runtime, h: H, c: number, ep: number, ret: number, park: Park | undefined): HostResult {
  const mem = rt.mem;
  const size = mem.u16(c + hchan_elemsize);
  if (mem.u32(c + hchan_closed) !== 0 && mem.int(c + hchan_qcount) === 0) {
    unlockWait(rt, c + hchan_lock);
    if (ep !== 0) mem.zero(ep, size);
    if (ret >= 0) h.ret(ret, 0);
    return undefined;
  }
  const sg = dequeue(rt, c + hchan_sendq);
  if (sg !== 0) {
    if (ret >= 0) h.ret(ret, 1);
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
    unlockWait(rt, c + hchan_lock);
    if (ret >= 0) h.ret(ret, 1);
    return undefined;
  }
  // Block on the channel.
  const gp = rt.getg();
  const mysg = acquireSudog(rt);
  mem.setPtr(mysg + sudog_elem, ep);
  mem.setPtr(mysg + sudog_waitlink, 0);
  mem.setPtr(gp + g_waiting, mysg);
  mem.setPtr(mysg + sudog_g, gp);
  mem.setU8(mysg + sudog_isSelect, 0);
  mem.setPtr(mysg + sudog_c, c);
  mem.setPtr(gp + g_param, 0);
  enqueue(rt, c + hchan_recvq, mysg);
  mem.setU8(gp + g_parkingOnChan, 1);
  if (park !== undefined) return gopark(rt, h, chanparkcommit, c + hchan_lock, waitReasonChanReceive, park.parked);
  return (function* () {
    yield* goparkG(rt, h, chanparkcommit, c + hchan_lock, waitReasonChanReceive);
    chanrecvParked(rt, h, ret);
  })();
}

// What chanrecv does once readied: by a sender (success) or by closechan.
function chanrecvParked(rt: Runtime, h: H, ret: number): void {
  const mem = rt.mem;
  const gp = rt.getg();
  const mysg = mem.ptr(gp + g_waiting);
  if (mysg === 0) throw_("G waiting list is corrupted");
  mem.setPtr(gp + g_waiting, 0);
  mem.setU8(gp + g_activeStackChans, 0);
  const success = mem.u8(mysg + sudog_success) !== 0;
  mem.setPtr(gp + g_param, 0);
  mem.setPtr(mysg + sudog_c, 0);
  releaseSudog(rt, mysg);
  if (ret >= 0) h.ret(ret, success ? 1 : 0);
}

/** A send or receive on a nil channel: park for good. */
function parkForever(rt: Runtime, h: H, reason: number, park: Park | undefined): HostResult {
  if (park !== undefined) return gopark(rt, h, undefined, 0, reason, park.forever);
  return (function* () {
    yield* goparkG(rt, h, undefined, 0, reason);
    throw_("unreachable");
  })();
}

/** chansend and chanrecv for the runtime's generators: `yield* chansendG(...)`. */
export function chansendG(rt: Runtime, h: H, c: number, ep: number, _block: true): HostGen {
  return finish(chansend(rt, h, c, ep, undefined));
}

export function chanrecvG(rt: Runtime, h: H, c: number, ep: number, _block: true): HostGen {
  return finish(chanrecv(rt, h, c, ep, -1, undefined));
}

// closechan: closes c and readies every goroutine waiting on it.
export function closechan(rt: Runtime, h: H, c: number): HostResult {
  if (c === 0) gopanic("close of nil channel");
  if (!tryLock(rt, c + hchan_lock)) return lockWaitThen(rt, h, c + hchan_lock, () => closechanLocked(rt, h, c));
  return closechanLocked(rt, h, c);
}

function closechanLocked(rt: Runtime, h: H, c: number): HostResult {
  const mem = rt.mem;
  if (mem.u32(c + hchan_closed) !== 0) {
    unlockWait(rt, c + hchan_lock);
    gopanic("close of closed channel");
  }
  mem.setU32(c + hchan_closed, 1);
  const glist: number[] = [];
  for (const q of [c + hchan_recvq, c + hchan_sendq]) {
    for (;;) {
      const sg = dequeue(rt, q);
      if (sg === 0) break;
      if (q === c + hchan_recvq && mem.ptr(sg + sudog_elem) !== 0) {
        mem.zero(mem.ptr(sg + sudog_elem), mem.u16(c + hchan_elemsize));
      }
      mem.setPtr(sg + sudog_elem, 0);
      const gp = mem.ptr(sg + sudog_g);
      mem.setPtr(gp + g_param, sg);
      mem.setU8(sg + sudog_success, 0);
      glist.push(gp);
    }
  }
  unlockWait(rt, c + hchan_lock);
  // Go's gList is a stack: the last one found is readied first.
  return readyAll(rt, h, glist);
}

function readyAll(rt: Runtime, h: H, glist: number[]): HostResult {
  while (glist.length) {
    const w = goready(rt, h, glist.pop()!);
    if (w !== undefined) {
      return (function* () {
        yield* w;
        while (glist.length) {
          const w2 = goready(rt, h, glist.pop()!);
          if (w2 !== undefined) yield* w2;
        }
      })();
    }
  }
  return undefined;
}

/** Declares the channel calls programs make. */
export function register(t: HostTable<Runtime>): void {
  // chanparkcommit: after the goroutine is parked, release the channel lock.
  chanparkcommit = defineUnlockf(t, "runtime.chanparkcommit", (rt, _h, gp, lockAddr) => {
    rt.mem.setU8(gp + g_activeStackChans, 1);
    rt.mem.setU8(gp + g_parkingOnChan, 0);
    unlockWait(rt, lockAddr);
    return true;
  });
  t.define("runtime.makechan", "p p : p", (rt, h) => { h.ret(0, makechan(rt, h.arg(0), h.argInt(1))); });

  const parks = (fn: HostFnDef<Runtime>, parked: HostImpl<Runtime>): Park => ({
    parked: t.resume(fn, "p", parked),
    forever: t.resume(fn, "p", () => throw_("unreachable"), "unreachable"),
  });
  const send1 = t.define("runtime.chansend1", "p p", (rt, h) => chansend(rt, h, h.arg(0), h.arg(1), send1Park));
  const send1Park = parks(send1, (rt) => { chansendParked(rt); });
  const recv1 = t.define("runtime.chanrecv1", "p p", (rt, h) => chanrecv(rt, h, h.arg(0), h.arg(1), -1, recv1Park));
  const recv1Park = parks(recv1, (rt, h) => { chanrecvParked(rt, h, -1); });
  const recv2 = t.define("runtime.chanrecv2", "p p : i", (rt, h) => chanrecv(rt, h, h.arg(0), h.arg(1), 0, recv2Park));
  const recv2Park = parks(recv2, (rt, h) => { chanrecvParked(rt, h, 0); });
  t.define("runtime.closechan", "p", (rt, h) => closechan(rt, h, h.arg(0)));
}
