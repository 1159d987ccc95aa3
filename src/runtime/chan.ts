// Channels (chan.go), semaphores (sema.go, simplified), sleep (time.go,
// simplified), print (print.go), allocation and exit: the runtime calls
// programs make, as host functions with ABI0 frames.
//
// Channels are Go's: an hchan in emulated memory with its ring buffer,
// recvq/sendq of sudogs linked through sudog.next/prev, a lock, and the
// hand-off rules (a sender finding a waiting receiver copies straight into
// the receiver's slot and readies it; a receiver on a full buffered
// channel takes the head and moves the first waiting sender's value into
// the freed slot). Blocking goes through gopark with chanparkcommit, which
// unlocks the channel on g0 after the goroutine is parked, exactly as Go's.
//
// Locks held across a park (a channel's, print's debuglock) use lockWait:
// Go's lock2 spins, yields and then sleeps on a futex; ours yields the
// thread through the `runtime·osyield` stub until the lock is free, which
// is the same protocol minus the futex, deterministic under the kernel's
// seeded interleaving.
//
// Simplified, and said so: semaphores keep their wait queues in a map
// (Go: a treap in semtable); timers are one list scanned by findRunnable
// (Go: a heap per P); makechan takes an element size instead of a type;
// panics (send on a closed channel ...) are fatal, as there is no recover.

import type { HostCall, HostGen, HostReq } from "./bridge.ts";
import { mallocgc } from "./malloc.ts";
import { GoThrow, throw_ } from "./panic.ts";
import type { Runtime } from "./rt.ts";
import { g as gT, hchan, m as mT, off, p as pT, sudog, waitq } from "./runtime2.ts";
import { waitReason, type Sched } from "./sched.ts";

const c_qcount = off(hchan, "qcount"), c_dataqsiz = off(hchan, "dataqsiz"), c_buf = off(hchan, "buf");
const c_elemsize = off(hchan, "elemsize"), c_closed = off(hchan, "closed"), c_sendx = off(hchan, "sendx");
const c_recvx = off(hchan, "recvx"), c_recvq = off(hchan, "recvq"), c_sendq = off(hchan, "sendq"), c_lock = off(hchan, "lock");
const q_first = off(waitq, "first"), q_last = off(waitq, "last");
const sg_g = off(sudog, "g"), sg_next = off(sudog, "next"), sg_prev = off(sudog, "prev"), sg_elem = off(sudog, "elem");
const sg_c = off(sudog, "c"), sg_success = off(sudog, "success"), sg_isSelect = off(sudog, "isSelect");
const sg_waitlink = off(sudog, "waitlink"), sg_ticket = off(sudog, "ticket");
const g_m = off(gT, "m"), g_param = off(gT, "param"), g_waiting = off(gT, "waiting");
const g_parkingOnChan = off(gT, "parkingOnChan"), g_activeStackChans = off(gT, "activeStackChans");
const m_p = off(mT, "p"), m_printlock = off(mT, "printlock"), m_locks = off(mT, "locks");
const p_sudogcache = off(pT, "sudogcache");
const maxAlign = 8;
const hchanSize = hchan.size + ((-hchan.size) & (maxAlign - 1));
const maxAlloc = 2 ** 47;

/** A Go panic the program cannot recover from here: printed as Go prints an unrecovered panic. */
export class GoPanic extends GoThrow {
  override text(): string {
    return `panic: ${this.msg}\n`;
  }
}

export function gopanic(msg: string): never {
  throw new GoPanic(msg, "fatal");
}

type Req = Generator<HostReq, void, readonly bigint[]>;

export class Runtime2Calls {
  /** semacquire/semrelease waiters: address → queue of goroutines (Go: semtable's treaps). */
  private readonly semq = new Map<number, number[]>();
  private debuglock = 0;

  constructor(readonly s: Sched) {
    s.calls = this;
  }
  get rt(): Runtime { return this.s.rt; }
  get mem() { return this.s.rt.mem; }

  // --- locks held across parks ----------------------------------------------------

  /** lock2, yielding the thread while another holds l. */
  *lockWait(l: number, h: HostCall): Req {
    while (this.mem.u32(l) !== 0) yield h.call("runtime.osyield", "", []);
    this.mem.setU32(l, 1);
  }

  unlockWait(l: number): void {
    if (this.mem.u32(l) === 0) throw_("unlock of unlocked lock");
    this.mem.setU32(l, 0);
  }

  // --- sudogs ---------------------------------------------------------------------

  // acquireSudog: from the P's cache, else a new one.
  acquireSudog(): number {
    const mem = this.mem;
    const pp = mem.ptr(mem.ptr(this.s.getg() + g_m) + m_p);
    const cache = pp + p_sudogcache;
    const n = mem.int(cache + 8);
    if (n > 0) {
      const sg = mem.ptr(mem.ptr(cache) + 8 * (n - 1));
      mem.setInt(cache + 8, n - 1);
      return sg;
    }
    return mallocgc(this.rt, sudog.size, 0, true);
  }

  // releaseSudog: checks it is clean and puts it back in the P's cache.
  releaseSudog(sg: number): void {
    const mem = this.mem;
    if (mem.ptr(sg + sg_elem) !== 0) throw_("runtime: sudog with non-nil elem");
    if (mem.ptr(sg + sg_next) !== 0) throw_("runtime: sudog with non-nil next");
    if (mem.ptr(sg + sg_prev) !== 0) throw_("runtime: sudog with non-nil prev");
    if (mem.ptr(sg + sg_waitlink) !== 0) throw_("runtime: sudog with non-nil waitnext");
    if (mem.ptr(sg + sg_c) !== 0) throw_("runtime: sudog with non-nil c");
    mem.setPtr(sg + sg_g, 0);
    const pp = mem.ptr(mem.ptr(this.s.getg() + g_m) + m_p);
    const cache = pp + p_sudogcache;
    const n = mem.int(cache + 8), cap = mem.int(cache + 16);
    if (n < cap) {
      mem.setPtr(mem.ptr(cache) + 8 * n, sg);
      mem.setInt(cache + 8, n + 1);
    }
  }

  // waitq.enqueue / dequeue
  enqueue(q: number, sgp: number): void {
    const mem = this.mem;
    mem.setPtr(sgp + sg_next, 0);
    const x = mem.ptr(q + q_last);
    if (x === 0) {
      mem.setPtr(sgp + sg_prev, 0);
      mem.setPtr(q + q_first, sgp);
      mem.setPtr(q + q_last, sgp);
      return;
    }
    mem.setPtr(sgp + sg_prev, x);
    mem.setPtr(x + sg_next, sgp);
    mem.setPtr(q + q_last, sgp);
  }

  dequeue(q: number): number {
    const mem = this.mem;
    for (;;) {
      const sgp = mem.ptr(q + q_first);
      if (sgp === 0) return 0;
      const y = mem.ptr(sgp + sg_next);
      if (y === 0) {
        mem.setPtr(q + q_first, 0);
        mem.setPtr(q + q_last, 0);
      } else {
        mem.setPtr(y + sg_prev, 0);
        mem.setPtr(q + q_first, y);
        mem.setPtr(sgp + sg_next, 0);
      }
      if (mem.u8(sgp + sg_isSelect) !== 0) continue; // no select here; kept for shape
      return sgp;
    }
  }

  // --- channels -----------------------------------------------------------------------

  makechan(elemsize: number, size: number): number {
    if (elemsize >= 1 << 16) throw_("makechan: invalid channel element type");
    const memsz = elemsize * size;
    if (size < 0 || memsz > maxAlloc - hchanSize) gopanic("makechan: size out of range");
    const mem = this.mem;
    const c = mallocgc(this.rt, hchanSize + memsz, 0, true);
    mem.setPtr(c + c_buf, memsz === 0 ? c : c + hchanSize);
    mem.setU16(c + c_elemsize, elemsize);
    mem.setInt(c + c_dataqsiz, size);
    return c;
  }

  private chanbuf(c: number, i: number): number {
    return this.mem.ptr(c + c_buf) + i * this.mem.u16(c + c_elemsize);
  }

  // chanparkcommit: after the goroutine is parked, release the channel lock.
  private chanparkcommit = function* (this: Runtime2Calls, gp: number, lockAddr: number): Generator<HostReq, boolean, readonly bigint[]> {
    this.mem.setU8(gp + g_activeStackChans, 1);
    this.mem.setU8(gp + g_parkingOnChan, 0);
    this.unlockWait(lockAddr);
    return true;
  };

  // send: a receiver was waiting: copy straight into its slot and ready it.
  private *send(c: number, sg: number, ep: number, h: HostCall): Req {
    const mem = this.mem;
    const dst = mem.ptr(sg + sg_elem);
    if (dst !== 0) {
      mem.copy(dst, ep, mem.u16(c + c_elemsize));
      mem.setPtr(sg + sg_elem, 0);
    }
    const gp = mem.ptr(sg + sg_g);
    this.unlockWait(c + c_lock);
    mem.setPtr(gp + g_param, sg);
    mem.setU8(sg + sg_success, 1);
    yield* this.s.goready(gp, h);
  }

  *chansend(c: number, ep: number, block: boolean, h: HostCall): Generator<HostReq, boolean, readonly bigint[]> {
    const mem = this.mem;
    if (c === 0) {
      if (!block) return false;
      yield* this.s.gopark(undefined, 0, waitReason.chanSendNilChan, h);
      throw_("unreachable");
    }
    yield* this.lockWait(c + c_lock, h);
    if (mem.u32(c + c_closed) !== 0) {
      this.unlockWait(c + c_lock);
      gopanic("send on closed channel");
    }
    const sg = this.dequeue(c + c_recvq);
    if (sg !== 0) {
      yield* this.send(c, sg, ep, h);
      return true;
    }
    const qcount = mem.int(c + c_qcount), dataqsiz = mem.int(c + c_dataqsiz);
    if (qcount < dataqsiz) {
      const sendx = mem.int(c + c_sendx);
      mem.copy(this.chanbuf(c, sendx), ep, mem.u16(c + c_elemsize));
      mem.setInt(c + c_sendx, sendx + 1 === dataqsiz ? 0 : sendx + 1);
      mem.setInt(c + c_qcount, qcount + 1);
      this.unlockWait(c + c_lock);
      return true;
    }
    if (!block) {
      this.unlockWait(c + c_lock);
      return false;
    }
    const gp = this.s.getg();
    const mysg = this.acquireSudog();
    mem.setPtr(mysg + sg_elem, ep);
    mem.setPtr(mysg + sg_waitlink, 0);
    mem.setPtr(mysg + sg_g, gp);
    mem.setU8(mysg + sg_isSelect, 0);
    mem.setPtr(mysg + sg_c, c);
    mem.setPtr(gp + g_waiting, mysg);
    mem.setPtr(gp + g_param, 0);
    this.enqueue(c + c_sendq, mysg);
    mem.setU8(gp + g_parkingOnChan, 1);
    yield* this.s.gopark(this.chanparkcommit.bind(this), c + c_lock, waitReason.chanSend, h);
    // Woken by a receiver (success) or by closechan.
    if (mysg !== mem.ptr(gp + g_waiting)) throw_("G waiting list is corrupted");
    mem.setPtr(gp + g_waiting, 0);
    mem.setU8(gp + g_activeStackChans, 0);
    const closed = mem.u8(mysg + sg_success) === 0;
    mem.setPtr(gp + g_param, 0);
    mem.setPtr(mysg + sg_c, 0);
    mem.setPtr(mysg + sg_elem, 0);
    this.releaseSudog(mysg);
    if (closed) gopanic("send on closed channel");
    return true;
  }

  // recv: a sender was waiting.
  private *recv(c: number, sg: number, ep: number, h: HostCall): Req {
    const mem = this.mem;
    const size = mem.u16(c + c_elemsize);
    if (mem.int(c + c_dataqsiz) === 0) {
      if (ep !== 0) mem.copy(ep, mem.ptr(sg + sg_elem), size);
    } else {
      // The buffer is full: take its head, put the sender's value at the tail.
      const recvx = mem.int(c + c_recvx);
      const qp = this.chanbuf(c, recvx);
      if (ep !== 0) mem.copy(ep, qp, size);
      mem.copy(qp, mem.ptr(sg + sg_elem), size);
      const next = recvx + 1 === mem.int(c + c_dataqsiz) ? 0 : recvx + 1;
      mem.setInt(c + c_recvx, next);
      mem.setInt(c + c_sendx, next);
    }
    mem.setPtr(sg + sg_elem, 0);
    const gp = mem.ptr(sg + sg_g);
    this.unlockWait(c + c_lock);
    mem.setPtr(gp + g_param, sg);
    mem.setU8(sg + sg_success, 1);
    yield* this.s.goready(gp, h);
  }

  /** chanrecv: returns [selected, received]. */
  *chanrecv(c: number, ep: number, block: boolean, h: HostCall): Generator<HostReq, [boolean, boolean], readonly bigint[]> {
    const mem = this.mem;
    if (c === 0) {
      if (!block) return [false, false];
      yield* this.s.gopark(undefined, 0, waitReason.chanReceiveNilChan, h);
      throw_("unreachable");
    }
    yield* this.lockWait(c + c_lock, h);
    const size = mem.u16(c + c_elemsize);
    if (mem.u32(c + c_closed) !== 0 && mem.int(c + c_qcount) === 0) {
      this.unlockWait(c + c_lock);
      if (ep !== 0) mem.zero(ep, size);
      return [true, false];
    }
    const sg = this.dequeue(c + c_sendq);
    if (sg !== 0) {
      yield* this.recv(c, sg, ep, h);
      return [true, true];
    }
    const qcount = mem.int(c + c_qcount);
    if (qcount > 0) {
      const recvx = mem.int(c + c_recvx);
      const qp = this.chanbuf(c, recvx);
      if (ep !== 0) mem.copy(ep, qp, size);
      mem.zero(qp, size);
      mem.setInt(c + c_recvx, recvx + 1 === mem.int(c + c_dataqsiz) ? 0 : recvx + 1);
      mem.setInt(c + c_qcount, qcount - 1);
      this.unlockWait(c + c_lock);
      return [true, true];
    }
    if (!block) {
      this.unlockWait(c + c_lock);
      return [false, false];
    }
    const gp = this.s.getg();
    const mysg = this.acquireSudog();
    mem.setPtr(mysg + sg_elem, ep);
    mem.setPtr(mysg + sg_waitlink, 0);
    mem.setPtr(gp + g_waiting, mysg);
    mem.setPtr(mysg + sg_g, gp);
    mem.setU8(mysg + sg_isSelect, 0);
    mem.setPtr(mysg + sg_c, c);
    mem.setPtr(gp + g_param, 0);
    this.enqueue(c + c_recvq, mysg);
    mem.setU8(gp + g_parkingOnChan, 1);
    yield* this.s.gopark(this.chanparkcommit.bind(this), c + c_lock, waitReason.chanReceive, h);
    if (mysg !== mem.ptr(gp + g_waiting)) throw_("G waiting list is corrupted");
    mem.setPtr(gp + g_waiting, 0);
    mem.setU8(gp + g_activeStackChans, 0);
    const success = mem.u8(mysg + sg_success) !== 0;
    mem.setPtr(gp + g_param, 0);
    mem.setPtr(mysg + sg_c, 0);
    this.releaseSudog(mysg);
    return [true, success];
  }

  *closechan(c: number, h: HostCall): Req {
    const mem = this.mem;
    if (c === 0) gopanic("close of nil channel");
    yield* this.lockWait(c + c_lock, h);
    if (mem.u32(c + c_closed) !== 0) {
      this.unlockWait(c + c_lock);
      gopanic("close of closed channel");
    }
    mem.setU32(c + c_closed, 1);
    const glist: number[] = [];
    for (const q of [c + c_recvq, c + c_sendq]) {
      for (;;) {
        const sg = this.dequeue(q);
        if (sg === 0) break;
        if (q === c + c_recvq && mem.ptr(sg + sg_elem) !== 0) {
          mem.zero(mem.ptr(sg + sg_elem), mem.u16(c + c_elemsize));
        }
        mem.setPtr(sg + sg_elem, 0);
        const gp = mem.ptr(sg + sg_g);
        mem.setPtr(gp + g_param, sg);
        mem.setU8(sg + sg_success, 0);
        glist.push(gp);
      }
    }
    this.unlockWait(c + c_lock);
    // Go's gList is a stack: the last one found is readied first.
    while (glist.length) yield* this.s.goready(glist.pop()!, h);
  }

  // --- semaphores ---------------------------------------------------------------------

  *semacquire(addr: number, h: HostCall): Req {
    const mem = this.mem;
    for (;;) {
      const v = mem.u32(addr);
      if (v > 0) {
        mem.setU32(addr, v - 1);
        return;
      }
      const gp = this.s.getg();
      const q = this.semq.get(addr) ?? [];
      this.semq.set(addr, q);
      q.push(gp);
      yield* this.s.gopark(undefined, 0, waitReason.semacquire, h);
    }
  }

  *semrelease(addr: number, h: HostCall): Req {
    const mem = this.mem;
    mem.setU32(addr, mem.u32(addr) + 1);
    const q = this.semq.get(addr);
    const gp = q?.shift();
    if (q && q.length === 0) this.semq.delete(addr);
    if (gp !== undefined) yield* this.s.goready(gp, h);
  }

  // --- time -----------------------------------------------------------------------

  // timeSleep: park until ns of virtual time have passed (resetForSleep adds
  // the timer once the goroutine is parked, so no M can ready it too early).
  *timeSleep(ns: number, h: HostCall): Req {
    if (ns <= 0) return;
    const when = this.s.nanotime() + ns;
    const s = this.s;
    yield* s.gopark(function* (gp: number) {
      yield* s.addtimer(when, gp, h);
      return true;
    }, 0, waitReason.sleep, h);
  }

  // --- print ------------------------------------------------------------------------

  *printlock(h: HostCall): Req {
    const mem = this.mem;
    const mp = mem.ptr(this.s.getg() + g_m);
    mem.setI32(mp + m_locks, mem.i32(mp + m_locks) + 1);
    const n = mem.u8(mp + m_printlock) + 1;
    mem.setU8(mp + m_printlock, n);
    if (n === 1) yield* this.lockWait(this.debuglockAddr(), h);
    mem.setI32(mp + m_locks, mem.i32(mp + m_locks) - 1);
  }

  printunlock(): void {
    const mem = this.mem;
    const mp = mem.ptr(this.s.getg() + g_m);
    const n = mem.u8(mp + m_printlock) - 1;
    mem.setU8(mp + m_printlock, n);
    if (n === 0) this.unlockWait(this.debuglockAddr());
  }

  private debuglockAddr(): number {
    if (this.debuglock === 0) this.debuglock = mallocgc(this.rt, 8, 0, true);
    return this.debuglock;
  }

  /** gwrite: bytes at p go to stderr through the write1 stub. */
  *gwrite(p: number, n: number, h: HostCall): Req {
    if (n <= 0) return;
    yield h.call("runtime.write1", "p p i : i", [2n, BigInt(p), BigInt(n)]);
  }

  *printbytes(text: string, h: HostCall): Req {
    const b = new TextEncoder().encode(text);
    const buf = this.s.scratch(b.length);
    this.rt.engine.write(buf, b);
    yield* this.gwrite(buf, b.length, h);
  }

  /** Registers the calls programs make. */
  register(): void {
    const b = this.s.bridge;
    const self = this;
    const i64 = (v: bigint | undefined): bigint => BigInt.asIntN(64, v ?? 0n);
    b.define("runtime.mallocgc", "p p p : p", (h) => [BigInt(mallocgc(self.rt, Number(h.args[0]), Number(h.args[1]), (Number(h.args[2]! & 0xffn)) !== 0))]);
    b.define("runtime.makechan", "p p : p", (h) => [BigInt(self.makechan(Number(h.args[0]), Number(i64(h.args[1]))))]);
    b.define("runtime.chansend1", "p p", function* (h) { yield* self.chansend(Number(h.args[0]), Number(h.args[1]), true, h); });
    b.define("runtime.chanrecv1", "p p", function* (h) { yield* self.chanrecv(Number(h.args[0]), Number(h.args[1]), true, h); });
    b.define("runtime.chanrecv2", "p p : i", function* (h) {
      const [, received] = yield* self.chanrecv(Number(h.args[0]), Number(h.args[1]), true, h);
      return [received ? 1n : 0n];
    });
    b.define("runtime.closechan", "p", (h) => self.closechan(Number(h.args[0]), h));
    b.define("runtime.semacquire", "p", (h) => self.semacquire(Number(h.args[0]), h));
    b.define("runtime.semrelease", "p", (h) => self.semrelease(Number(h.args[0]), h));
    b.define("runtime.timeSleep", "p", (h) => self.timeSleep(Number(i64(h.args[0])), h));
    b.define("runtime.printlock", "", (h) => self.printlock(h));
    b.define("runtime.printunlock", "", () => { self.printunlock(); });
    b.define("runtime.printstring", "p p", (h) => self.gwrite(Number(h.args[0]), Number(h.args[1]), h));
    b.define("runtime.printint", "p", (h) => self.printbytes(i64(h.args[0]).toString(), h));
    b.define("runtime.printuint", "p", (h) => self.printbytes(BigInt.asUintN(64, h.args[0] ?? 0n).toString(), h));
    b.define("runtime.printhex", "p", (h) => self.printbytes("0x" + BigInt.asUintN(64, h.args[0] ?? 0n).toString(16), h));
    b.define("runtime.printbool", "i", (h) => self.printbytes((Number(h.args[0]! & 0xffn)) !== 0 ? "true" : "false", h));
    b.define("runtime.printpointer", "p", (h) => self.printbytes("0x" + BigInt.asUintN(64, h.args[0] ?? 0n).toString(16), h));
    b.define("runtime.printsp", "", (h) => self.printbytes(" ", h));
    b.define("runtime.printnl", "", (h) => self.printbytes("\n", h));
  }
}

export type { HostGen };
