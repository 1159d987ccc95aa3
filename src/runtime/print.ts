// print and println (print.go): what programs print with, to stderr.
//
// printlock/printunlock make a print statement's pieces one line: the
// first printlock on an M takes debuglock (m.printlock counts nested
// ones), so two goroutines' lines do not interleave. Each print* formats its
// argument into the host function's locals — Go formats into a buffer on
// its stack — and writes it with the `runtime·write1` stub, so every byte
// a program prints goes through a write(2) system call of the emulated
// kernel, which a trace shows.
//
// debuglock is held across whatever runs between printlock and
// printunlock, which may include a thread switch, so another M can find it
// held: it waits by yielding the thread (see chan.ts's lockWait).

import type { HostGen, HostResult, HostTable } from "./bridge.ts";
import { m_locks, m_printlock, rtglobals_debuglock } from "./offsets.ts";
import { osyield, SIG_WRITE } from "./os_linux.ts";
import { throw_ } from "./panic.ts";
import type { H, Runtime } from "./rt.ts";

/** Bytes of locals a print* formats into: enough for any 64-bit number. */
export const printLocals = 32;

/** print.go's debuglock, a global mutex. */
function debuglock(rt: Runtime): number {
  return rt.gvar(rtglobals_debuglock);
}

// printlock
function printlock(rt: Runtime, h: H): HostResult {
  const mem = rt.mem;
  const mp = rt.getm();
  mem.setI32(mp + m_locks, mem.i32(mp + m_locks) + 1); // do not reschedule between printlock++ and lock(&debuglock)
  const n = mem.u8(mp + m_printlock) + 1;
  mem.setU8(mp + m_printlock, n);
  if (n === 1) {
    const l = debuglock(rt);
    if (mem.u32(l) !== 0) return printlockWait(rt, h, mp, l);
    mem.setU32(l, 1);
  }
  mem.setI32(mp + m_locks, mem.i32(mp + m_locks) - 1);
  return undefined;
}

function* printlockWait(rt: Runtime, h: H, mp: number, l: number): HostGen<void> {
  while (rt.mem.u32(l) !== 0) yield* osyield(rt, h);
  rt.mem.setU32(l, 1);
  rt.mem.setI32(mp + m_locks, rt.mem.i32(mp + m_locks) - 1);
}

// printunlock
function printunlock(rt: Runtime): void {
  const mem = rt.mem;
  const mp = rt.getm();
  const n = mem.u8(mp + m_printlock) - 1;
  mem.setU8(mp + m_printlock, n);
  if (n === 0) {
    const l = debuglock(rt);
    if (mem.u32(l) === 0) throw_("unlock of unlocked lock");
    mem.setU32(l, 0);
  }
}

/**
 * gwrite: n bytes at p go to stderr through the write1 stub. Go's gwrite
 * first copies them into its crash backlog (recordForPanic), so a bad
 * pointer faults in the runtime rather than being written as nothing; we
 * touch every page of the bytes for the same effect.
 */
export function gwrite(rt: Runtime, h: H, p: number, n: number): HostResult {
  if (n <= 0) return undefined;
  for (let a = p; a < p + n; a = (Math.floor(a / 4096) + 1) * 4096) rt.mem.u8(a);
  rt.mem.u8(p + n - 1);
  return h.tailcall(rt.asm.write1, SIG_WRITE, 2, p, n);
}

/** Writes ASCII text into the function's locals and prints it. */
export function printtext(rt: Runtime, h: H, text: string): HostResult {
  const buf = h.locals;
  if (text.length > printLocals) throw_("print: text too long for the frame");
  for (let i = 0; i < text.length; i++) rt.mem.setU8(buf + i, text.charCodeAt(i));
  return gwrite(rt, h, buf, text.length);
}

export function register(t: HostTable<Runtime>): void {
  t.define("runtime.printlock", "", printlock);
  t.define("runtime.printunlock", "", (rt) => { printunlock(rt); });
  t.define("runtime.printstring", "p p", (rt, h) => gwrite(rt, h, h.arg(0), h.argInt(1)));
  t.define("runtime.printint", "p", (rt, h) => printtext(rt, h, h.argU64(0) >= 1n << 63n ? (h.argU64(0) - (1n << 64n)).toString() : h.argU64(0).toString()), printLocals);
  t.define("runtime.printuint", "p", (rt, h) => printtext(rt, h, h.argU64(0).toString()), printLocals);
  t.define("runtime.printhex", "p", (rt, h) => printtext(rt, h, "0x" + h.argU64(0).toString(16)), printLocals);
  t.define("runtime.printbool", "i", (rt, h) => printtext(rt, h, (h.arg(0) & 0xff) !== 0 ? "true" : "false"), printLocals);
  t.define("runtime.printpointer", "p", (rt, h) => printtext(rt, h, "0x" + h.argU64(0).toString(16)), printLocals);
  t.define("runtime.printsp", "", (rt, h) => printtext(rt, h, " "), 16);
  t.define("runtime.printnl", "", (rt, h) => printtext(rt, h, "\n"), 16);
}
