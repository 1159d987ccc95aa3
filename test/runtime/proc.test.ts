// Free Gs, G status, goids, allgs, Ms and Ps (proc.go's data side).
import { describe, expect, it } from "vitest";
import {
  allgadd, allpgrow, fastrand, fastrandn, gfget, gfpurge, gfput, malg, mcommoninit,
  mcount, newgoid, pGFreeN, round2, schedGFreeN,
} from "../../src/runtime/proc.ts";
import { glPop, glPush, glPushAll, gqEmpty, gqPop, gqPush, gqPushBack, gqPushBackAll } from "../../src/runtime/runq.ts";
import { gQueue_tail, rtglobals_allglen, rtglobals_allgs } from "../../src/runtime/offsets.ts";
import { linkGs, listAt, pGFree, schedGFreeNoStack, schedGFreeStack } from "./queues.ts";
import {
  _Gdead, _Gidle, _Grunnable, _Grunning, _Gscanrunnable, _Gwaiting, _Pgcstop, _StackGuard, _StackMin,
  g, m, mcache, numSpanClasses, off, p, schedt,
} from "../../src/runtime/runtime2.ts";
import { mallocgc } from "../../src/runtime/malloc.ts";
import type { Runtime } from "../../src/runtime/rt.ts";
import { gstack } from "../../src/runtime/stackalloc.ts";
import { casgstatus, gStatusNames, readgstatus } from "../../src/runtime/gstatus.ts";
import { ALLOWED_NOT_GO, GO_TRANSITIONS, NOT_PORTED } from "./gotransitions.ts";
import { spanOf } from "../../src/runtime/mheap.ts";
import { mspan_elemsize } from "../../src/runtime/offsets.ts";
import { acquireP, catchThrow, deadG, makeGs, setup } from "./rtutil.ts";

const g_stackguard0 = off(g, "stackguard0");
const g_stackguard1 = off(g, "stackguard1");
const g_schedlink = off(g, "schedlink");

describe("gQueue and gList", () => {
  it("push, pushBack, pushBackAll, pop keep head/tail and schedlink right; a gList pushes and pops at its head", () => {
    const rt = setup(1);
    const gs = makeGs(rt, 5);
    const q = rt.sched + off(schedt, "runq");
    const head = (): number => rt.mem.ptr(q);
    const tail = (): number => rt.mem.ptr(q + gQueue_tail);
    expect(gqEmpty(rt.mem, q)).toBe(true);
    gqPushBack(rt.mem, q, gs[0]!);
    gqPush(rt.mem, q, gs[1]!);
    gqPushBack(rt.mem, q, gs[2]!);
    expect(listAt(rt, head())).toEqual([gs[1], gs[0], gs[2]]);
    expect(tail()).toBe(gs[2]);
    const [h2, t2] = linkGs(rt, [gs[3]!, gs[4]!]);
    gqPushBackAll(rt.mem, q, h2, t2);
    expect(listAt(rt, head())).toEqual([gs[1], gs[0], gs[2], gs[3], gs[4]]);
    expect(tail()).toBe(gs[4]);
    expect(gqPop(rt.mem, q)).toBe(gs[1]);
    for (let i = 0; i < 4; i++) gqPop(rt.mem, q);
    expect(gqEmpty(rt.mem, q)).toBe(true);
    expect(tail()).toBe(0);
    // A gList: sched.gFree.stack.
    const l = rt.sched + off(schedt, "gFree") + 8;
    glPush(rt.mem, l, gs[0]!);
    expect(rt.mem.ptr(rt.sched + 160)).toBe(gs[0]);
    const [h3, t3] = linkGs(rt, [gs[2]!, gs[3]!]);
    glPushAll(rt.mem, l, h3, t3);
    expect(listAt(rt, rt.mem.ptr(l))).toEqual([gs[2], gs[3], gs[0]]);
    expect(glPop(rt.mem, l)).toBe(gs[2]);
    expect(rt.mem.ptr(gs[0]! + g_schedlink)).toBe(0);
  });
});

describe("casgstatus", () => {
  it("moves between statuses when the old value matches", () => {
    const rt = setup(1);
    const gp = malg(rt, -1);
    expect(readgstatus(rt, gp)).toBe(_Gidle);
    casgstatus(rt, gp, _Gidle, _Gdead);
    casgstatus(rt, gp, _Gdead, _Grunnable);
    casgstatus(rt, gp, _Grunnable, _Grunning);
    expect(readgstatus(rt, gp)).toBe(_Grunning);
    expect(rt.mem.u32(gp + off(g, "atomicstatus"))).toBe(_Grunning);
  });

  it("throws Go's messages on bad transitions", () => {
    const rt = setup(1);
    const gp = malg(rt, -1);
    casgstatus(rt, gp, _Gidle, _Gdead);
    casgstatus(rt, gp, _Gdead, _Grunnable);
    const same = catchThrow(() => casgstatus(rt, gp, _Grunnable, _Grunnable));
    expect(same.msg).toBe("casgstatus: bad incoming values");
    expect(same.prints).toEqual(["runtime: casgstatus: oldval=0x1 newval=0x1"]);
    expect(same.text()).toBe("runtime: casgstatus: oldval=0x1 newval=0x1\nfatal error: casgstatus: bad incoming values\n");
    expect(catchThrow(() => casgstatus(rt, gp, _Gscanrunnable, _Grunning)).msg).toBe("casgstatus: bad incoming values");
    expect(catchThrow(() => casgstatus(rt, gp, _Grunnable, _Gscanrunnable)).msg).toBe("casgstatus: bad incoming values");
    expect(catchThrow(() => casgstatus(rt, gp, _Gwaiting, _Grunnable)).msg).toBe("casgstatus: waiting for Gwaiting but is Grunnable");
    expect(catchThrow(() => casgstatus(rt, gp, _Grunning, _Gwaiting)).msg).toBe("casgstatus: bad status");
    // The status was not changed by the failed attempts.
    expect(readgstatus(rt, gp)).toBe(_Grunnable);
  });

  it("every change Go's runtime makes succeeds (but stop-the-world's), and every pair Go never makes throws (but the two listed)", () => {
    // The reference is Go's source (gotransitions.ts), not gstatus.ts's table.
    const rt = setup(1);
    const gp = malg(rt, -1);
    const key = (a: number, b: number): string => `${a}>${b}`;
    const goes = new Set(GO_TRANSITIONS.map((t) => key(t.from, t.to)));
    const notPorted = new Set(NOT_PORTED.map(([a, b]) => key(a, b)));
    const extra = new Set(ALLOWED_NOT_GO.map(([a, b]) => key(a, b)));
    let legal = 0, illegal = 0;
    for (let from = 0; from <= 9; from++) {
      for (let to = 0; to <= 9; to++) {
        if (from === to) continue;
        rt.mem.setU32(gp + off(g, "atomicstatus"), from);
        const k = key(from, to);
        if ((goes.has(k) && !notPorted.has(k)) || extra.has(k)) {
          casgstatus(rt, gp, from, to);
          expect(readgstatus(rt, gp), `${gStatusNames[from]} to ${gStatusNames[to]}`).toBe(to);
          legal++;
        } else {
          const t = catchThrow(() => casgstatus(rt, gp, from, to));
          expect(t.msg).toBe(`casgstatus: illegal transition from ${gStatusNames[from]} to ${gStatusNames[to]}`);
          expect(readgstatus(rt, gp)).toBe(from);
          illegal++;
        }
      }
    }
    // Go 1.19 makes 17 distinct changes; one needs a GC, two more are allowed.
    expect(GO_TRANSITIONS.length).toBe(17);
    expect(legal).toBe(17 - 1 + 2);
    expect(illegal).toBe(90 - legal);
    expect(catchThrow(() => { rt.mem.setU32(gp + off(g, "atomicstatus"), _Gidle); casgstatus(rt, gp, _Gidle, _Grunnable); }).msg)
      .toBe("casgstatus: illegal transition from Gidle to Grunnable");
  });
});

describe("free Gs", () => {
  it("gfput keeps up to 63 per P; the 64th moves 33 to sched.gFree (local keeps 31)", () => {
    const rt = setup(1);
    const pp = rt.allp[0]!;
    const gs: number[] = [];
    for (let i = 0; i < 64; i++) gs.push(deadG(rt, _StackMin));
    for (let i = 0; i < 63; i++) gfput(rt, pp, gs[i]!);
    expect(pGFreeN(rt, pp)).toBe(63);
    expect(schedGFreeN(rt)).toBe(0);
    gfput(rt, pp, gs[63]!);
    expect(pGFreeN(rt, pp)).toBe(31);
    expect(pGFree(rt, pp).length).toBe(31);
    expect(schedGFreeN(rt)).toBe(33);
    expect(schedGFreeStack(rt).length).toBe(33);
    expect(schedGFreeNoStack(rt).length === 0).toBe(true);
    // Local is LIFO: the oldest 31 stay.
    expect(pGFree(rt, pp)).toEqual(gs.slice(0, 31).reverse());
    expect(new Set([...pGFree(rt, pp), ...schedGFreeStack(rt)]).size).toBe(64);
  });

  it("gfget takes local first, then refills 32 from the global lists, preferring Gs with stacks", () => {
    const rt = setup(2);
    const [p0, p1] = rt.allp as [number, number];
    const withStack: number[] = [];
    for (let i = 0; i < 64; i++) withStack.push(deadG(rt, _StackMin));
    for (const gp of withStack) gfput(rt, p0, gp);
    gfpurge(rt, p0);
    expect(pGFreeN(rt, p0)).toBe(0);
    expect(schedGFreeN(rt)).toBe(64);
    // A G whose stack is not the standard size loses it in gfput.
    const big = deadG(rt, 8192);
    gfput(rt, p1, big);
    expect(gstack(rt, big)).toEqual({ lo: 0, hi: 0 });
    expect(rt.mem.u64(big + g_stackguard0)).toBe(0n);
    gfpurge(rt, p1);
    expect(schedGFreeNoStack(rt)).toEqual([big]);
    expect(schedGFreeN(rt)).toBe(65);

    const got = gfget(rt, p1);
    expect(got).not.toBe(big);
    expect(withStack).toContain(got);
    expect(pGFreeN(rt, p1)).toBe(31);
    expect(schedGFreeN(rt)).toBe(65 - 32);
    // Drain everything: the stackless G comes last and gets a fresh standard stack.
    const all = [got];
    for (let x = gfget(rt, p1); x !== 0; x = gfget(rt, p1)) all.push(x);
    expect(all.length).toBe(65);
    expect(all[64]).toBe(big);
    const stk = gstack(rt, big);
    expect(stk.hi - stk.lo).toBe(_StackMin);
    expect(rt.mem.ptr(big + g_stackguard0)).toBe(stk.lo + _StackGuard);
    expect(schedGFreeN(rt)).toBe(0);
    expect(gfget(rt, p1)).toBe(0);
  });

  it("gfput throws on a G that is not dead", () => {
    const rt = setup(1);
    const gp = malg(rt, _StackMin);
    casgstatus(rt, gp, _Gidle, _Gdead);
    casgstatus(rt, gp, _Gdead, _Grunnable);
    expect(catchThrow(() => gfput(rt, rt.allp[0]!, gp)).msg).toBe("gfput: bad status (not Gdead)");
  });
});

describe("malg, goids, allgs", () => {
  it("malg gives a power-of-two stack with Go's guards and a zeroed bottom word", () => {
    const rt = setup(1);
    const gp = malg(rt, 5000);
    const stk = gstack(rt, gp);
    expect(stk.hi - stk.lo).toBe(8192);
    expect(rt.mem.ptr(gp + g_stackguard0)).toBe(stk.lo + _StackGuard);
    expect(rt.mem.u64(gp + g_stackguard1)).toBe(0xffff_ffff_ffff_ffffn);
    expect(rt.mem.ptr(stk.lo)).toBe(0);
    expect(readgstatus(rt, gp)).toBe(_Gidle);
    // g itself is a 416-byte size-class object (392 rounded up).
    expect(rt.mem.ptr(spanOf(rt, gp) + mspan_elemsize)).toBe(416);
    expect(gstack(rt, malg(rt, -1))).toEqual({ lo: 0, hi: 0 });
    expect([1, 2, 3, 1000, 2048, 2049].map(round2)).toEqual([1, 2, 4, 1024, 2048, 4096]);
  });

  it("goids come in batches of 16 per P from sched.goidgen, starting at 1", () => {
    const rt = setup(2);
    const [p0, p1] = rt.allp as [number, number];
    const a = Array.from({ length: 16 }, () => newgoid(rt, p0));
    expect(a).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(newgoid(rt, p1)).toBe(17);
    expect(newgoid(rt, p0)).toBe(33);
    expect(newgoid(rt, p1)).toBe(18);
    expect(rt.mem.int(rt.sched + off(schedt, "goidgen"))).toBe(48);
    expect(rt.mem.int(p0 + off(p, "goidcache"))).toBe(34);
    expect(rt.mem.int(p0 + off(p, "goidcacheend"))).toBe(49);
  });

  it("allgadd appends in order, growing the array, and rejects _Gidle", () => {
    const rt = setup(1);
    const gs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const gp = malg(rt, -1);
      expect(catchThrow(() => allgadd(rt, gp)).msg).toBe("allgadd: bad status Gidle");
      casgstatus(rt, gp, _Gidle, _Gdead);
      allgadd(rt, gp);
      gs.push(gp);
    }
    expect(rt.allgs).toEqual(gs);
    expect(rt.mem.int(rt.gvar(rtglobals_allglen))).toBe(20);
    expect(rt.mem.int(rt.gvar(rtglobals_allgs) + 16)).toBe(32);
  });
});

describe("Ms and Ps", () => {
  it("allpgrow makes Ps with ids, _Pgcstop, P0 on mcache0 and its own mcache for the others", () => {
    const rt = setup(1);
    allpgrow(rt, 3);
    const ps = rt.allp;
    expect(ps.length).toBe(3);
    expect(rt.gomaxprocs).toBe(3);
    const mc = ps.map((pp) => rt.mem.ptr(pp + off(p, "mcache")));
    expect(mc[0]).toBe(rt.mcache0);
    expect(new Set(mc).size).toBe(3);
    ps.forEach((pp, i) => {
      expect(rt.mem.i32(pp + off(p, "id"))).toBe(i);
      expect(rt.mem.u32(pp + off(p, "status"))).toBe(_Pgcstop);
      expect(rt.mem.ptr(pp + off(p, "sudogcache"))).toBe(pp + off(p, "sudogbuf"));
      expect(rt.mem.int(pp + off(p, "sudogcache") + 16)).toBe(128);
    });
    // p is a 9472-byte size-class object (8912 rounded up).
    expect(rt.mem.ptr(spanOf(rt, ps[1]!) + mspan_elemsize)).toBe(9472);
    expect(catchThrow(() => allpgrow(rt, 2)).msg).toMatch(/^procresize/);
  });

  it("mcommoninit numbers Ms, gives each a gsignal with a 32 KiB stack, and links allm newest first", () => {
    const rt = setup(1);
    mcommoninit(rt, rt.m0, -1);
    expect(rt.mem.int(rt.m0 + off(m, "id"))).toBe(0);
    const m2 = makeM(rt);
    mcommoninit(rt, m2, -1);
    expect(rt.mem.int(m2 + off(m, "id"))).toBe(1);
    expect(rt.allm).toEqual([m2, rt.m0]);
    expect(mcount(rt)).toBe(2);
    const gsignal = rt.mem.ptr(m2 + off(m, "gsignal"));
    const stk = gstack(rt, gsignal);
    expect(stk.hi - stk.lo).toBe(32768);
    expect(rt.mem.ptr(gsignal + off(g, "m"))).toBe(m2);
    expect(rt.mem.ptr(gsignal + g_stackguard1)).toBe(stk.lo + _StackGuard);
    expect(rt.mem.u64(rt.m0 + off(m, "fastrand"))).not.toBe(rt.mem.u64(m2 + off(m, "fastrand")));
  });

  it("checkmcount throws thread exhaustion past sched.maxmcount", () => {
    const rt = setup(1);
    rt.mem.setI32(rt.sched + off(schedt, "maxmcount"), 2);
    mcommoninit(rt, rt.m0, -1);
    mcommoninit(rt, makeM(rt), -1);
    const t = catchThrow(() => mcommoninit(rt, makeM(rt), -1));
    expect(t.msg).toBe("thread exhaustion");
    expect(t.prints).toEqual(["runtime: program exceeds 2-thread limit"]);
  });

  it("fastrand is wyrand over m.fastrand: deterministic per seed, fastrandn in range", () => {
    const seq = (seed: number): number[] => {
      const rt = setup(1, { seed });
      mcommoninit(rt, rt.m0, -1);
      return Array.from({ length: 8 }, () => fastrand(rt));
    };
    expect(seq(7)).toEqual(seq(7));
    expect(seq(7)).not.toEqual(seq(8));
    const rt = setup(1);
    mcommoninit(rt, rt.m0, -1);
    // wyrand step by hand from the stored state.
    const s0 = rt.mem.u64(rt.m0 + off(m, "fastrand"));
    const s = BigInt.asUintN(64, s0 + 0xa0761d6478bd642fn);
    const prod = s * (s ^ 0xe7037ed1a0b428dbn);
    expect(fastrand(rt)).toBe(Number(((prod >> 64n) ^ BigInt.asUintN(64, prod)) & 0xffffffffn));
    for (let i = 0; i < 100; i++) {
      const r = fastrandn(rt, 5);
      expect(r >= 0 && r < 5).toBe(true);
    }
  });

  it("runs with its own P: acquireP makes mallocgc use that P's mcache", () => {
    const rt = setup(2);
    acquireP(rt, rt.allp[1]!);
    const x = makeGs(rt, 1)[0]!;
    const c1 = rt.mem.ptr(rt.allp[1]! + off(p, "mcache"));
    // The span the object came from is the one cached in P1's mcache for its class.
    const s = spanOf(rt, x);
    let found = false;
    for (let i = 0; i < numSpanClasses; i++) if (rt.mem.ptr(c1 + off(mcache, "alloc") + 8 * i) === s) found = true;
    expect(found).toBe(true);
  });
});

/** A new M: an ordinary heap object, as Go's new(m). */
function makeM(rt: Runtime): number {
  return mallocgc(rt, m.size, 0, true);
}
