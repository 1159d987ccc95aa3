// The switch checker (--check): gmpemu as the judge of a context switch.
//
// A goroutine switch is a handful of assembly routines (gogo, mcall,
// systemstack, asyncPreempt, morestack) that save and restore registers,
// gobuf fields and the TLS g slot. A wrong one often goes unnoticed: a gogo
// that forgets BP still prints the right output. The checker watches every
// run of each routine and compares the machine, where control leaves the
// routine, with what the routine's contract says it must be, as Go defines
// it (runtime/asm_amd64.s, preempt_amd64.s, stack.go). It judges the
// effect, not the code: a student's routine, written any way at all (the
// lab's --runtime-asm), is held to the same rules.
//
// How it watches. The checker wraps the machine's engine (RunOptions.check).
// It sets engine breakpoints (which never patch memory) on each routine's
// entry, on each control transfer inside it (JMP, Jcc, CALL, RET: the only
// ways out), on the instruction after each CALL and just past its end;
// everything else runs at full speed. At an entry it snapshots what the
// contract is about (the gobuf, the caller's return address, every register
// for asyncPreempt), runs to the next transfer, steps that one instruction,
// and so on while RIP stays inside the routine. When RIP leaves:
//   - by a CALL (SP 8 lower, the return address inside the routine): the
//     routine's "call" rule runs (mcall entering fn, systemstack entering
//     fn on g0, morestack entering newstack) and, if the routine comes back
//     (systemstack, asyncPreempt from asyncPreempt2), the observation waits,
//     keyed by (return address, SP), for the breakpoint there: the
//     goroutine may come back on another thread, much later;
//   - any other way (gogo's JMP, a RET, a tail call): the "leave" rule.
// At the return from such a call the checker scrambles every general
// register but SP and BP (ABI0 and ABIInternal let a callee clobber them
// all; gmpemu's TypeScript callees happen to preserve them), so a routine
// that relies on a value surviving fn (systemstack reusing AX) is caught as
// it would break under Go. A fault inside a routine is a failure too, named
// by the register the faulting instruction addressed through.
// A signal delivered while a thread is inside a routine (the kernel's
// forced preemption) suspends the observation until sigreturn brings the
// thread back to the same RIP and SP. Observations are per thread (the
// kernel's thread loaded in the engine).
//
// The rules (issue 13):
//   gogo         at gobuf.pc, with SP, BP, DX, AX = gobuf.sp, .bp, .ctxt,
//                .ret as they were at entry; R14 and the TLS g slot =
//                gobuf.g; gobuf.sp, .ret, .ctxt, .bp zeroed in memory; the g
//                resumed is not dead and runs on no stack another g still
//                holds (goexit's rule).
//   mcall        at fn: g.sched.pc = the caller's return address, .sp = the
//                caller's SP after the return, .bp = its BP; SP = g0's
//                g0.sched.sp - 16 (fn's argument word and return address);
//                TLS g and R14 = g0; fn's argument (AX, and 8(SP), where an
//                ABI0 view reads it) = the old g.
//   systemstack  from a user g: g.sched = {systemstack_switch, SP and BP at
//                entry, ret 0}, fn called on g0 (TLS g, R14, SP =
//                g0.sched.sp - 8, DX = fn); back at the caller's return
//                address with SP, BP, TLS g and R14 restored and g.sched.sp
//                zeroed. On g0 or gsignal: a tail call to fn, nothing moved.
//   asyncPreempt back at the interrupted PC with every general register,
//                the arithmetic flags and DF, and X0-X15 as interrupted, and
//                SP as it was before the signal pushed that PC.
//   morestack    at newstack: m.morebuf = f's caller (pc, sp, g), g.sched =
//                f in its prologue (pc, sp, bp, ctxt), on g0 (TLS, R14, SP =
//                g0.sched.sp - 8); when a gogo resumes that g: at f's PC,
//                SP and BP moved by the copy's delta, and no saved frame
//                pointer left pointing into the old stack.
//
// A failed rule stops the run with exit status 4 and one line a student can
// act on: the routine, the register or field, expected against got, the
// goroutine, the source line of the routine's last instruction (by
// address) that writes the register, or where control left, and the step (the stepper's count:
// instructions plus host calls), e.g.
//   check: gogo restored BP=0xc00001e7d0 for goroutine 6; gobuf.bp was
//   0xc00001efd0 (asm/asm_amd64.s:176, step 5123)
//
// Cost: nothing without --check (no breakpoint is set, no wrapper exists).
// With it, a switch costs a breakpoint stop per transfer of its routine
// (two for gogo, two for asyncPreempt's ~70 instructions). Rejected: a per-instruction hook over
// the whole run (every instruction would pay for the few that matter), and
// INT3 patching (tools that read code would see it; the gdb stub rejected
// it for the same reason).

import {
  REG_FS_BASE, REG_RFLAGS, REG_RIP, type Engine, type EngineSnapshot, type HostMem, type RegId, type Stop,
} from "../engine/engine.ts";
import type { EngineObserver, Machine } from "../runtime/boot.ts";
import { RunStopped } from "../runtime/boot.ts";
import type { Thread } from "../os/kernel.ts";
import {
  g_m, g_sched, g_stack_hi, g_stack_lo, gobuf_bp, gobuf_ctxt, gobuf_g, gobuf_pc, gobuf_ret, gobuf_sp,
  m_curg, m_g0, m_gsignal, m_morebuf,
} from "../runtime/offsets.ts";
import { readgstatus } from "../runtime/gstatus.ts";
import { _Gdead, _Gscan } from "../runtime/runtime2.ts";
import { goid, insnAt, symbolize } from "../debug/view.ts";
import { AF, CF, DF, GPR_NAMES, OF, PF, R14, RAX, RBP, RDX, RSP, SF, ZF, regId } from "../x86/regs.ts";

/** The exit status of a run stopped by a failed check. */
export const CHECK_STATUS = 4;

/** One failed rule, for people (message) and machines (--check-json). */
export interface CheckFailure {
  /** gogo, mcall, systemstack, asyncPreempt, morestack, goexit. */
  routine: string;
  /** The register or field: "BP", "gobuf.bp", "TLS g", "target", "X3", "RFLAGS" ... */
  what: string;
  expected: string;
  got: string;
  /** The goroutine the switch was for (-1: none known). */
  goid: number;
  /** Source of the instruction that last wrote the register, or where control left the routine. */
  file: string;
  line: number;
  /** The stepper's step count (instructions plus host calls) when control left the routine. */
  step: number;
  /** The one-line message (without the "check: " prefix). */
  message: string;
}

export class CheckError extends RunStopped {
  constructor(readonly failure: CheckFailure) {
    super(`check: ${failure.message}`, CHECK_STATUS, "check");
  }
}

export interface CheckOptions {
  /** How a source path is shown (default: as the image has it). */
  showPath?: (file: string) => string;
  /** Told of every failure (before the run stops): --check-json collects them here. */
  onFailure?: (f: CheckFailure) => void;
}

/** RunOptions.check for the switch checker. Each machine built gets its own checker. */
export function switchCheck(opts: CheckOptions = {}): (engine: Engine) => EngineObserver {
  return (engine) => new CheckEngine(engine, opts);
}

// Local copies: an imported binding costs a getter call per use under some
// module loaders (tsx), and the run loop below uses these per instruction.
const RIP = REG_RIP, SP = RSP;

const hex = (v: number | bigint): string => "0x" + BigInt.asUintN(64, BigInt(v)).toString(16);
/** The flags asyncPreempt must give back: the arithmetic ones and DF. */
const PRESERVED_FLAGS = CF | PF | AF | ZF | SF | OF | DF;
/** What a register holds after a call out of a routine (see the essay): no address, and says where it came from. */
const POISON = 0xbad0_c0de_0000_0000n;
/** Instructions that may take control out of a routine. */
const TRANSFER = /^(J[A-Z]+|CALL|RET|LOOP)/;
const FLAG_BITS: [number, string][] = [[CF, "CF"], [PF, "PF"], [AF, "AF"], [ZF, "ZF"], [SF, "SF"], [OF, "OF"], [DF, "DF"]];

// --- routines ------------------------------------------------------------------------

/** How an observation ends when control leaves its routine. */
type Leave = "done" | "await";

/** What the checker knows while it judges one routine run. */
interface Ctx {
  readonly c: Checker;
  /** Where control left from (the last instruction inside). */
  readonly from: number;
  /** Left by a CALL whose return address is inside the routine. */
  readonly call: boolean;
}

/** One run of a routine being watched, from entry to where control leaves for good. */
abstract class Obs {
  constructor(readonly routine: string, readonly region: Region, readonly goid: number) {}
  /** Control left the routine (see Ctx.call). */
  abstract leave(x: Ctx): Leave;
}

/** A rule's subject that is no routine run (goexit's stack rule, a resume after morestack). */
class Subject extends Obs {
  leave(): Leave { return "done"; }
}

/** A routine's code: the address ranges that count as inside it. */
interface Region {
  ranges: [number, number][];
}

function inRegion(r: Region, a: number): boolean {
  for (const [lo, hi] of r.ranges) if (a >= lo && a < hi) return true;
  return false;
}

// --- the engine wrapper ----------------------------------------------------------------

interface Active {
  obs: Obs;
  /** RIP and SP after the last step: anything else next time means a signal came in. */
  rip: number;
  sp: number;
  /** Control transfers stepped inside the routine since it was entered or came back. */
  steps: number;
}

/** A routine that jumps this many times without leaving is stuck (an endless loop). */
export const MAX_ROUTINE_STEPS = 100_000;

/**
 * The Engine the machine runs on under --check: the machine's own engine,
 * with breakpoints at the routines and the checker in the loop.
 */
class CheckEngine implements Engine, EngineObserver {
  readonly name: Engine["name"];
  readonly hmem: HostMem;
  checker: Checker | undefined;

  constructor(readonly inner: Engine, readonly opts: CheckOptions) {
    this.name = inner.name;
    this.hmem = inner.hmem;
    // Host calls in place where the engine makes them (the interpreter), so
    // that --check keeps that speed between switches.
    if (inner.runHosted !== undefined) {
      const hosted = inner.runHosted.bind(inner);
      this.runHosted = (n, onHost) => this.checker ? this.checker.run(n, onHost) : hosted(n, onHost);
    }
  }

  runHosted?: (maxInsns: number, onHost: (rip: number) => number) => Stop;

  get engine(): Engine { return this; }

  attach(m: Machine): void {
    this.checker = new Checker(m, this.inner, this.opts);
  }

  map(addr: number, size: number, prot: number): void { this.inner.map(addr, size, prot); }
  unmap(addr: number, size: number): void { this.inner.unmap(addr, size); }
  protect(addr: number, size: number, prot: number): void { this.inner.protect(addr, size, prot); }
  read(addr: number, len: number): Uint8Array { return this.inner.read(addr, len); }
  write(addr: number, bytes: Uint8Array): void { this.inner.write(addr, bytes); }
  readU64(addr: number): bigint { return this.inner.readU64(addr); }
  writeU64(addr: number, v: bigint): void { this.inner.writeU64(addr, v); }
  getReg(r: RegId): bigint { return this.inner.getReg(r); }
  setReg(r: RegId, v: bigint): void { this.inner.setReg(r, v); }
  getRegN(r: RegId): number { return this.inner.getRegN(r); }
  setRegN(r: RegId, v: number): void { this.inner.setRegN(r, v); }
  getXmm(i: number): Uint8Array { return this.inner.getXmm(i); }
  setXmm(i: number, v: Uint8Array): void { this.inner.setXmm(i, v); }
  setHostRange(start: number, end: number): void { this.inner.setHostRange(start, end); }
  declareCode(start: number, end: number): void { this.inner.declareCode(start, end); }
  setBreakpoints(addrs: readonly number[]): void { this.inner.setBreakpoints(addrs); }
  get icount(): number { return this.inner.icount; }
  snapshot(): EngineSnapshot { return this.inner.snapshot(); }
  restore(s: EngineSnapshot): void { this.inner.restore(s); }
  close(): void { this.inner.close(); }

  run(maxInsns: number): Stop {
    return this.checker ? this.checker.run(maxInsns) : this.inner.run(maxInsns);
  }

  /** One instruction, watched like any other (the stepper's stepOnce comes here). */
  step(): Stop {
    return this.checker ? this.checker.run(1) : this.inner.step();
  }
}

// --- the checker --------------------------------------------------------------------------

interface Routine {
  name: string;
  region: Region;
  /** Starts an observation at the routine's entry (undefined: nothing to judge this time). */
  enter(c: Checker, entry: number, region: Region): Obs | undefined;
}

/** A morestack whose goroutine has not been resumed yet. */
interface StackResume {
  pc: number; sp: number; bp: number; lo: number; hi: number; goid: number; step: number; from: number;
}

export class Checker {
  private readonly mem;
  private readonly entries = new Map<number, Routine>();
  private readonly active = new Map<Thread | undefined, Active>();
  private readonly interrupted = new Map<Thread | undefined, Active>();
  /** Observations waiting for a return, by return address, then SP after the return. */
  private readonly pending = new Map<number, Map<number, Obs>>();
  /** morestack observations waiting for their goroutine to be resumed, by g. */
  readonly stackResumes = new Map<number, StackResume>();
  /** The g that last ran on each stack (by stack.lo): goexit's rule. */
  readonly stackOwner = new Map<number, number>();
  /** Switches judged, by routine (for tests and --stats). */
  readonly judged = new Map<string, number>();
  /** Every breakpoint address (a run never gets past one: a watched thread steps them). */
  private readonly bps: Set<number>;
  /** The control transfers inside the routines (JMP, Jcc, CALL, RET): the only ways out. */
  private readonly transfers = new Set<number>();
  /** Every instruction of the routines, decoded once: for the source line of a register's writer. */
  private readonly code = new Map<number, string>();
  private allRanges: [number, number][] = [];

  private routinesCover(a: number): boolean {
    for (const [lo, hi] of this.allRanges) if (a >= lo && a < hi) return true;
    return false;
  }

  constructor(readonly m: Machine, readonly e: Engine, readonly opts: CheckOptions) {
    this.mem = m.mem;
    const bps: number[] = [];
    for (const r of this.routines()) {
      for (const [lo, hi] of r.region.ranges) {
        for (let a = lo; a < hi;) {
          const d = insnAt(m, a);
          if (d.len <= 0 || d.text === "?") break;
          this.code.set(a, d.text);
          // Control leaves a routine only by a transfer: each is a breakpoint
          // (stepped while the routine is watched), and so is the instruction
          // after each CALL, where a call out comes back.
          if (TRANSFER.test(d.text)) {
            this.transfers.add(a);
            bps.push(a);
          }
          a += d.len;
          if (/^CALL\b/.test(d.text) && a < hi) bps.push(a);
        }
        // Falling off the end of a routine is leaving it too.
        if (!this.routinesCover(hi)) bps.push(hi);
      }
    }
    for (const a of this.entries.keys()) bps.push(a);
    this.bps = new Set(bps);
    e.setBreakpoints([...this.bps]);
  }

  // --- the routines of this image -----------------------------------------------------

  private routines(): Routine[] {
    const img = this.m.image;
    const out: Routine[] = [];
    /**
     * The region of a routine: its symbols, and the file-local text symbols
     * they reach by relocation (gogo's JMP to gogo<>, systemstack's CALL to
     * gosave_systemstack_switch<>), wherever those were defined.
     */
    const region = (names: string[]): Region | undefined => {
      const syms = names.map((n) => img.lookup(n)).filter((s) => s !== undefined && s.kind === "text");
      if (syms.length === 0) return undefined;
      const seen = new Set(syms.map((s) => s!.name));
      for (let i = 0; i < syms.length; i++) {
        for (const r of syms[i]!.relocs) {
          if (!r.sym || seen.has(r.sym) || !/<\d+>$/.test(r.sym)) continue;
          const l = img.lookup(r.sym);
          if (l && l.kind === "text") {
            seen.add(r.sym);
            syms.push(l);
          }
        }
      }
      return { ranges: syms.map((s) => [s!.addr, s!.addr + s!.size] as [number, number]) };
    };
    const add = (name: string, entryNames: string[], regionNames: string[], enter: Routine["enter"]): void => {
      const r = region(regionNames);
      if (!r) return;
      const routine: Routine = { name, region: r, enter };
      this.allRanges.push(...r.ranges);
      for (const n of entryNames) {
        const a = img.addrOf(n);
        if (a !== undefined) this.entries.set(a, routine);
      }
      out.push(routine);
    };
    add("gogo", ["runtime.gogo"], ["runtime.gogo"], GogoObs.enter);
    add("mcall", ["runtime.mcall"], ["runtime.mcall"], McallObs.enter);
    add("systemstack", ["runtime.systemstack"], ["runtime.systemstack"], SystemstackObs.enter);
    add("asyncPreempt", ["runtime.asyncPreempt"], ["runtime.asyncPreempt"], AsyncPreemptObs.enter);
    add("morestack", ["runtime.morestack", "runtime.morestack_noctxt"], ["runtime.morestack", "runtime.morestack_noctxt"], MorestackObs.enter);
    return out;
  }

  // --- the run loop ------------------------------------------------------------------------

  /**
   * Runs at most n instructions, watching the routines. With onHost (the
   * kernel's host calls in place, Engine.runHosted), the stretches between
   * breakpoints run hosted; a run that stopped at a breakpoint returns
   * {kind:"count"} once the breakpoint is handled, since onHost may have
   * shortened what it may do.
   */
  run(n: number, onHost?: (rip: number) => number): Stop {
    const e = this.e;
    let left = n;
    while (left > 0) {
      const t = this.m.kernel.cur;
      const act = this.active.get(t);
      if (act !== undefined) {
        const rip = e.getRegN(RIP), sp = e.getRegN(SP);
        if (rip !== act.rip || sp !== act.sp) {
          // A signal handler runs (the kernel delivered one between runs):
          // the routine goes on when sigreturn brings the thread back.
          this.active.delete(t);
          this.interrupted.set(t, act);
          continue;
        }
        if (!this.bps.has(rip) && inRegion(act.obs.region, rip)) {
          // Straight-line code inside the routine: at full speed to the next transfer.
          const before = e.icount;
          const s = e.run(left);
          left -= e.icount - before;
          act.rip = e.getRegN(RIP);
          act.sp = e.getRegN(SP);
          if (s.kind === "fault") this.faulted(act, s.fault.rip, s.fault.type === "page" ? s.fault.addr : undefined);
          if (s.kind === "breakpoint") this.trapped(act, s.addr);
          if (s.kind === "break") {
            // Fell off the end of the routine (no transfer): leaving it.
            if (!inRegion(act.obs.region, s.addr)) this.left(t, act, s.addr - 1, act.sp);
            continue;
          }
          if (s.kind !== "count") return s;
          continue;
        }
        const before = e.icount;
        const s = e.step();
        left -= e.icount - before;
        if (s.kind === "fault") this.faulted(act, s.fault.rip, s.fault.type === "page" ? s.fault.addr : undefined);
        if (s.kind === "breakpoint") this.trapped(act, s.addr);
        this.afterStep(t, act, rip, sp);
        if (s.kind !== "count") return s;
        if (e.icount === before) return s;
        continue;
      }
      if (this.interrupted.size > 0) {
        const back = this.interrupted.get(t);
        if (back !== undefined && e.getRegN(RIP) === back.rip && e.getRegN(SP) === back.sp) {
          this.interrupted.delete(t);
          this.active.set(t, back);
          continue;
        }
      }
      const before = e.icount;
      const s = onHost !== undefined ? e.runHosted!(left, onHost) : e.run(left);
      left -= e.icount - before;
      if (s.kind !== "break") return s;
      if (!this.onBreak(t, s.addr)) {
        // Nothing to watch here this time: step past the breakpoint.
        const b = e.icount;
        const s2 = e.step();
        left -= e.icount - b;
        if (s2.kind !== "count") return s2;
      }
      // Host calls made in place may have changed what this run may still
      // do (onHost's answer): the kernel decides again, as after any short run.
      if (onHost !== undefined) return { kind: "count" };
    }
    return { kind: "count" };
  }

  /** A breakpoint: a routine's entry, or a return into one. Returns whether a routine is now watched. */
  private onBreak(t: Thread | undefined, addr: number): boolean {
    const e = this.e;
    const sp = e.getRegN(SP);
    const waiting = this.pending.get(addr);
    const back = waiting?.get(sp);
    if (back !== undefined) {
      waiting!.delete(sp);
      if (waiting!.size === 0) this.pending.delete(addr);
      for (let r = 0; r < 16; r++) if (r !== RSP && r !== RBP) e.setReg(regId(r), POISON | BigInt(r));
      this.watch(t, back);
      return true;
    }
    const r = this.entries.get(addr);
    if (r === undefined) return false;
    const obs = r.enter(this, addr, r.region);
    if (obs === undefined) return false;
    this.watch(t, obs);
    return true;
  }

  private watch(t: Thread | undefined, obs: Obs): void {
    const e = this.e;
    this.active.set(t, { obs, rip: e.getRegN(RIP), sp: e.getRegN(SP), steps: 0 });
  }

  private afterStep(t: Thread | undefined, act: Active, from: number, spBefore: number): void {
    const e = this.e;
    const rip = e.getRegN(RIP), sp = e.getRegN(SP);
    act.rip = rip;
    act.sp = sp;
    if (inRegion(act.obs.region, rip)) {
      if (++act.steps >= MAX_ROUTINE_STEPS) {
        this.current = act;
        this.fail(act.obs, from, "loop", "leaves the routine", `still inside after ${act.steps} transfers`,
          `${act.obs.routine} jumped ${act.steps} times without leaving${act.obs.goid >= 0 ? ` for goroutine ${act.obs.goid}` : ""}: an endless loop at ${this.addr(from)}?`);
      }
      return;
    }
    this.left(t, act, from, spBefore);
  }

  /** Control left the routine from the instruction at `from` (SP was spBefore before it). */
  private left(t: Thread | undefined, act: Active, from: number, spBefore: number): void {
    const sp = this.e.getRegN(SP);
    this.active.delete(t);
    this.current = act;
    let ret = -1;
    if (sp === spBefore - 8) {
      try {
        ret = this.mem.ptr(sp);
      } catch {
        ret = -1;
      }
    }
    const call = ret > from && inRegion(act.obs.region, ret);
    const how = act.obs.leave({ c: this, from, call });
    if (how === "done") this.count(act.obs.routine);
    if (how === "await" && call) {
      let w = this.pending.get(ret);
      if (!w) this.pending.set(ret, (w = new Map()));
      w.set(sp + 8, act.obs);
    }
    this.current = undefined;
  }

  private trapped(act: Active, at: number): never {
    this.current = act;
    this.fail(act.obs, at, "INT3", "no trap", "INT $3",
      `${act.obs.routine} reached a breakpoint trap (INT $3) at ${this.addr(at)}${act.obs.goid >= 0 ? ` for goroutine ${act.obs.goid}` : ""}: an unfinished routine?`);
  }

  /**
   * The instruction of the routine that last wrote register r before
   * `from`, by address (the routines are straight-line code between
   * transfers): the source line a failure on r points at.
   */
  private writerOf(region: Region, from: number, r: number): number | undefined {
    const name = GPR_NAMES[r]!;
    let best: number | undefined;
    for (const [a, text] of this.code) {
      if (a > from || !inRegion(region, a) || (best !== undefined && a < best)) continue;
      const ops = text.replace(/^\S+\s*/, "").split(/,\s*(?![^(]*\))/);
      const dst = ops[ops.length - 1]?.trim();
      if (dst === name || (/^POP/.test(text) && ops[0]?.trim() === name)) best = a;
    }
    return best;
  }

  private current: Active | undefined;

  /** A fault inside a routine: named by the register its memory operand goes through. */
  private faulted(act: Active, rip: number, addr: bigint | undefined): never {
    this.current = act;
    const text = insnAt(this.m, rip).text;
    const base = /\(([A-Z][A-Z0-9]*)\)/.exec(text)?.[1];
    const r = base === undefined ? -1 : (GPR_NAMES as readonly string[]).indexOf(base);
    const what = r >= 0 ? base! : "fault";
    const val = r >= 0 ? `: ${base}=${hex(this.reg(r))} is no address it can use` : "";
    const obs = act.obs;
    this.fail(obs, rip, what, "an address", r >= 0 ? hex(this.reg(r)) : "fault",
      `${obs.routine} faulted at ${this.addr(rip)} (${text})${obs.goid >= 0 ? ` for goroutine ${obs.goid}` : ""}${addr !== undefined ? `, address ${hex(addr)}` : ""}${val}`);
  }

  private count(routine: string): void {
    this.judged.set(routine, (this.judged.get(routine) ?? 0) + 1);
  }

  // --- helpers for the rules ---------------------------------------------------------------

  reg(r: number): bigint { return this.e.getReg(regId(r)); }
  regN(r: number): number { return this.e.getRegN(regId(r)); }
  /** A word of memory (0 where unreadable: a rule then fails on it rather than the checker). */
  word(a: number): bigint {
    try {
      return this.mem.u64(a);
    } catch {
      return 0n;
    }
  }
  ptr(a: number): number { return Number(this.word(a)); }
  /** The g in the TLS slot of the thread in the engine. */
  tlsg(): number {
    const fs = this.e.getRegN(REG_FS_BASE);
    return fs === 0 ? 0 : this.ptr(fs - 8);
  }
  goid(gp: number): number { return gp === 0 ? -1 : goid(this.m, gp); }
  g0Of(gp: number): number { const mp = this.ptr(gp + g_m); return mp === 0 ? 0 : this.ptr(mp + m_g0); }
  /** "0x4011e0 (runtime.park_m)" */
  addr(a: number | bigint): string {
    const n = Number(a);
    const s = Number.isSafeInteger(n) ? symbolize(this.m, n) : undefined;
    return s ? `${hex(a)} (${s})` : hex(a);
  }
  /** "0xc000000380 (goroutine 6)", "(g0)" */
  gname(gp: number | bigint): string {
    const g = Number(gp);
    if (g === 0) return "0";
    const mp = this.ptr(g + g_m);
    if (mp !== 0 && this.ptr(mp + m_g0) === g) return `${hex(g)} (g0)`;
    const id = this.goid(g);
    return id >= 0 ? `${hex(g)} (goroutine ${id})` : hex(g);
  }
  step(): number { return this.e.icount + this.m.kernel.hostCalls; }

  /**
   * Fails a rule: `reg` names the register whose last writer gives the
   * source line (otherwise the instruction control left from).
   */
  fail(obs: Obs, from: number, what: string, expected: string, got: string, message: string, reg?: number): never {
    const at = (reg !== undefined ? this.writerOf(obs.region, from, reg) : undefined) ?? from;
    const l = this.m.image.pcToLine(at);
    const file = l ? (this.opts.showPath ?? ((f: string) => f))(l.file) : "";
    const line = l?.line ?? 0;
    const step = this.step();
    const f: CheckFailure = {
      routine: obs.routine, what, expected, got, goid: obs.goid, file, line, step,
      message: `${message} (${file ? `${file}:${line}, ` : ""}step ${step})`,
    };
    this.opts.onFailure?.(f);
    throw new CheckError(f);
  }

  /** Compares a register with its expected value; fails with `said` explaining where the value comes from. */
  expectReg(obs: Obs, x: Ctx, r: number, want: bigint, verb: string, said: string): void {
    const got = this.reg(r);
    if (got === BigInt.asUintN(64, want)) return;
    const name = GPR_NAMES[r]!;
    this.fail(obs, x.from, name, hex(want), hex(got),
      `${obs.routine} ${verb} ${name}=${hex(got)}${obs.goid >= 0 ? ` for goroutine ${obs.goid}` : ""}; ${said} ${hex(want)}`, r);
  }

  /** Goroutine-resume rules after a gogo: the morestack resume, goexit's stack rule. */
  resumed(obs: Obs, x: Ctx, gp: number): void {
    const raw = readgstatus(this.m, gp) & ~_Gscan;
    if (raw === _Gdead) {
      this.fail(obs, x.from, "status", "not dead", "dead", `gogo resumed goroutine ${this.goid(gp)}, which is dead (goexit: a dead g's stack must not run)`);
    }
    const lo = this.ptr(gp + g_stack_lo);
    const prev = this.stackOwner.get(lo);
    if (prev !== undefined && prev !== gp && this.ptr(prev + g_stack_lo) === lo) {
      this.fail(new Subject("goexit", obs.region, this.goid(gp)), x.from, "stack", this.gname(prev), this.gname(gp),
        `goroutine ${this.goid(gp)} runs on the stack [${hex(lo)}, ${hex(this.ptr(gp + g_stack_hi))}) that goroutine ${this.goid(prev)} still holds (a stack is reused only after its g gave it up)`);
    }
    if (lo !== 0) this.stackOwner.set(lo, gp);
    const sr = this.stackResumes.get(gp);
    if (sr !== undefined) {
      this.stackResumes.delete(gp);
      checkStackResume(this, obs, x, gp, sr);
    }
  }
}

// --- gogo ------------------------------------------------------------------------------------

class GogoObs extends Obs {
  constructor(region: Region, goid: number, readonly buf: number, readonly sp: bigint, readonly pc: bigint, readonly g: bigint,
    readonly ctxt: bigint, readonly ret: bigint, readonly bp: bigint) {
    super("gogo", region, goid);
  }

  static enter(this: void, c: Checker, _entry: number, region: Region): Obs {
    const buf = c.ptr(c.regN(RSP) + 8);
    const g = c.word(buf + gobuf_g);
    return new GogoObs(region, c.goid(Number(g)), buf, c.word(buf + gobuf_sp), c.word(buf + gobuf_pc), g,
      c.word(buf + gobuf_ctxt), c.word(buf + gobuf_ret), c.word(buf + gobuf_bp));
  }

  leave(x: Ctx): Leave {
    const c = x.c;
    if (x.call) return "await"; // a helper of the student's: judged when control leaves for good
    const rip = c.reg(REG_RIP);
    if (rip !== this.pc) {
      c.fail(this, x.from, "target", hex(this.pc), hex(rip),
        `gogo jumped to ${c.addr(rip)} for goroutine ${this.goid}; gobuf.pc was ${c.addr(this.pc)}`);
    }
    c.expectReg(this, x, RSP, this.sp, "restored", "gobuf.sp was");
    c.expectReg(this, x, RBP, this.bp, "restored", "gobuf.bp was");
    c.expectReg(this, x, RDX, this.ctxt, "restored", "gobuf.ctxt was");
    c.expectReg(this, x, RAX, this.ret, "restored", "gobuf.ret was");
    const tls = BigInt(c.tlsg());
    if (tls !== this.g) {
      c.fail(this, x.from, "TLS g", c.gname(this.g), c.gname(tls),
        `gogo left the TLS g slot = ${c.gname(tls)} for goroutine ${this.goid}; gobuf.g was ${c.gname(this.g)}`);
    }
    const r14 = c.reg(R14);
    if (r14 !== this.g) {
      c.fail(this, x.from, "R14", c.gname(this.g), c.gname(r14),
        `gogo left R14 = ${c.gname(r14)} for goroutine ${this.goid}; gobuf.g was ${c.gname(this.g)} (R14 is the g register of ABIInternal code)`, R14);
    }
    for (const [off, field] of [[gobuf_sp, "sp"], [gobuf_ret, "ret"], [gobuf_ctxt, "ctxt"], [gobuf_bp, "bp"]] as const) {
      const v = c.word(this.buf + off);
      if (v !== 0n) {
        c.fail(this, x.from, `gobuf.${field}`, "0", hex(v),
          `gogo left gobuf.${field}=${hex(v)} for goroutine ${this.goid}; Go zeroes it once consumed (a parked gobuf only holds a parked goroutine)`);
      }
    }
    c.resumed(this, x, Number(this.g));
    return "done";
  }
}

// --- mcall ------------------------------------------------------------------------------------

class McallObs extends Obs {
  constructor(region: Region, goid: number, readonly g: number, readonly g0: number, readonly g0sp: number, readonly fn: number,
    readonly fnpc: number, readonly retpc: number, readonly callerSp: number, readonly bp: bigint) {
    super("mcall", region, goid);
  }

  static enter(this: void, c: Checker, _entry: number, region: Region): Obs | undefined {
    const g = c.tlsg();
    if (g === 0) return undefined;
    const g0 = c.g0Of(g);
    // mcall on g0 is the runtime's own fatal error (badmcall): nothing to judge.
    if (g0 === 0 || g0 === g) return undefined;
    const sp = c.regN(RSP);
    const fn = c.regN(RAX);
    return new McallObs(region, c.goid(g), g, g0, c.ptr(g0 + g_sched + gobuf_sp), fn, c.ptr(fn), c.ptr(sp), sp + 8, c.reg(RBP));
  }

  leave(x: Ctx): Leave {
    const c = x.c;
    const rip = c.regN(REG_RIP);
    if (rip !== this.fnpc) {
      c.fail(this, x.from, "target", c.addr(this.fnpc), c.addr(rip),
        `mcall went to ${c.addr(rip)} for goroutine ${this.goid}; fn was ${c.addr(this.fnpc)}`);
    }
    const sched = this.g + g_sched;
    const field = (off: number, name: string, want: bigint, said: string): void => {
      const v = c.word(sched + off);
      if (v !== want) {
        c.fail(this, x.from, `g.sched.${name}`, hex(want), hex(v),
          `mcall saved g.sched.${name}=${hex(v)} for goroutine ${this.goid}; ${said} ${c.addr(want)}`);
      }
    };
    field(gobuf_pc, "pc", BigInt(this.retpc), "the caller's return address was");
    field(gobuf_sp, "sp", BigInt(this.callerSp), "the caller's SP (after the return) was");
    field(gobuf_bp, "bp", this.bp, "the caller's BP was");
    const tls = c.tlsg();
    if (tls !== this.g0) {
      c.fail(this, x.from, "TLS g", c.gname(this.g0), c.gname(tls), `mcall left the TLS g slot = ${c.gname(tls)} entering fn; g0 is ${c.gname(this.g0)}`);
    }
    const r14 = c.regN(R14);
    if (r14 !== this.g0) {
      c.fail(this, x.from, "R14", c.gname(this.g0), c.gname(r14), `mcall left R14 = ${c.gname(r14)} entering fn; g0 is ${c.gname(this.g0)}`, R14);
    }
    c.expectReg(this, x, RSP, BigInt(this.g0sp - 16), "entered fn with", "g0's stack starts at g0.sched.sp - 16 (fn's argument word and return address):");
    c.expectReg(this, x, RAX, BigInt(this.g), "passed fn", "fn's argument (AX) must be the old g");
    const arg = c.ptr(c.regN(RSP) + 8);
    if (arg !== this.g) {
      c.fail(this, x.from, "8(SP)", c.gname(this.g), c.gname(arg),
        `mcall passed fn 8(SP)=${c.gname(arg)} for goroutine ${this.goid}; fn's argument word must be the old g ${c.gname(this.g)}`);
    }
    return "done";
  }
}

// --- systemstack ---------------------------------------------------------------------------------

class SystemstackObs extends Obs {
  private called = false;
  constructor(region: Region, goid: number, readonly g: number, readonly g0: number, readonly mode: "switch" | "noswitch",
    readonly fn: number, readonly fnpc: number, readonly retpc: number, readonly sp: number, readonly bp: bigint, readonly g0sp: number) {
    super("systemstack", region, goid);
  }

  static enter(this: void, c: Checker, _entry: number, region: Region): Obs | undefined {
    const g = c.tlsg();
    if (g === 0) return undefined;
    const mp = c.ptr(g + g_m);
    if (mp === 0) return undefined;
    const g0 = c.ptr(mp + m_g0);
    const mode = g === g0 || g === c.ptr(mp + m_gsignal) ? "noswitch" : g === c.ptr(mp + m_curg) ? "switch" : undefined;
    // From any other goroutine the runtime itself crashes (badsystemstack).
    if (mode === undefined) return undefined;
    const sp = c.regN(RSP);
    const fn = c.ptr(sp + 8);
    return new SystemstackObs(region, mode === "switch" ? c.goid(g) : -1, g, g0, mode, fn, c.ptr(fn), c.ptr(sp), sp, c.reg(RBP),
      c.ptr(g0 + g_sched + gobuf_sp));
  }

  leave(x: Ctx): Leave {
    const c = x.c;
    const rip = c.regN(REG_RIP);
    if (!this.called && this.mode === "noswitch") {
      if (rip !== this.fnpc) {
        c.fail(this, x.from, "target", c.addr(this.fnpc), c.addr(rip), `systemstack (already on the system stack) went to ${c.addr(rip)}; fn was ${c.addr(this.fnpc)}`);
      }
      c.expectReg(this, x, RDX, BigInt(this.fn), "called fn with", "the closure context (DX) must be fn,");
      if (x.call) {
        // A call instead of Go's tail call: judged again at the return.
        this.called = true;
        return "await";
      }
      c.expectReg(this, x, RSP, BigInt(this.sp), "tail-called fn with", "already on the system stack, SP stays as at entry:");
      return "done";
    }
    if (!this.called) {
      this.called = true;
      if (rip !== this.fnpc || !x.call) {
        c.fail(this, x.from, "target", c.addr(this.fnpc), c.addr(rip), `systemstack ${x.call ? "called" : "jumped to"} ${c.addr(rip)} for goroutine ${this.goid}; it must call fn ${c.addr(this.fnpc)} on g0`);
      }
      const sched = this.g + g_sched;
      const field = (off: number, name: string, want: number, said: string): void => {
        const v = c.word(sched + off);
        if (v !== BigInt(want)) {
          c.fail(this, x.from, `g.sched.${name}`, hex(want), hex(v),
            `systemstack saved g.sched.${name}=${hex(v)} for goroutine ${this.goid}; ${said} ${c.addr(want)}`);
        }
      };
      field(gobuf_pc, "pc", c.m.image.addrOf("runtime.systemstack_switch") ?? 0, "tracebacks need the systemstack_switch marker,");
      field(gobuf_sp, "sp", this.sp, "systemstack's SP at entry was");
      field(gobuf_bp, "bp", Number(this.bp), "the BP at entry was");
      field(gobuf_ret, "ret", 0, "a parked systemstack has no return value:");
      const tls = c.tlsg();
      if (tls !== this.g0) c.fail(this, x.from, "TLS g", c.gname(this.g0), c.gname(tls), `systemstack called fn with the TLS g slot = ${c.gname(tls)}; g0 is ${c.gname(this.g0)}`);
      const r14 = c.regN(R14);
      if (r14 !== this.g0) c.fail(this, x.from, "R14", c.gname(this.g0), c.gname(r14), `systemstack called fn with R14 = ${c.gname(r14)}; g0 is ${c.gname(this.g0)}`, R14);
      c.expectReg(this, x, RSP, BigInt(this.g0sp - 8), "called fn with", "fn runs at the top of g0's stack, g0.sched.sp - 8:");
      c.expectReg(this, x, RDX, BigInt(this.fn), "called fn with", "the closure context (DX) must be fn,");
      return "await";
    }
    // Back from fn, and now leaving for the caller.
    if (rip !== this.retpc) {
      c.fail(this, x.from, "target", c.addr(this.retpc), c.addr(rip), `systemstack returned to ${c.addr(rip)} for goroutine ${this.goid}; the caller's return address was ${c.addr(this.retpc)}`);
    }
    c.expectReg(this, x, RSP, BigInt(this.sp + 8), "returned with", "the caller's SP was");
    c.expectReg(this, x, RBP, this.bp, "returned with", "the caller's BP was");
    const tls = c.tlsg();
    if (tls !== this.g) c.fail(this, x.from, "TLS g", c.gname(this.g), c.gname(tls), `systemstack returned with the TLS g slot = ${c.gname(tls)}; it was called on ${c.gname(this.g)}`);
    const r14 = c.regN(R14);
    if (r14 !== this.g) c.fail(this, x.from, "R14", c.gname(this.g), c.gname(r14), `systemstack returned with R14 = ${c.gname(r14)}; it was called on ${c.gname(this.g)}`, R14);
    const v = this.mode === "switch" ? c.word(this.g + g_sched + gobuf_sp) : 0n;
    if (v !== 0n) c.fail(this, x.from, "g.sched.sp", "0", hex(v), `systemstack left g.sched.sp=${hex(v)} for goroutine ${this.goid} on return; Go zeroes it (g is no longer parked)`);
    return "done";
  }
}

// --- asyncPreempt ------------------------------------------------------------------------------------

class AsyncPreemptObs extends Obs {
  constructor(region: Region, goid: number, readonly regs: bigint[], readonly flags: number, readonly xmm: Uint8Array[], readonly retpc: number) {
    super("asyncPreempt", region, goid);
  }

  static enter(this: void, c: Checker, _entry: number, region: Region): Obs {
    const regs: bigint[] = [];
    for (let r = 0; r < 16; r++) regs.push(c.reg(r));
    const sp = c.regN(RSP);
    // The interrupted context: SP as it was before the signal pushed the PC.
    regs[RSP] = BigInt(sp + 8);
    const xmm: Uint8Array[] = [];
    for (let i = 0; i < 16; i++) xmm.push(c.e.getXmm(i));
    return new AsyncPreemptObs(region, c.goid(c.tlsg()), regs, c.regN(REG_RFLAGS), xmm, c.ptr(sp));
  }

  leave(x: Ctx): Leave {
    const c = x.c;
    if (x.call) return "await"; // asyncPreempt2: back when the goroutine is rescheduled
    const rip = c.regN(REG_RIP);
    if (rip !== this.retpc) {
      c.fail(this, x.from, "target", c.addr(this.retpc), c.addr(rip), `asyncPreempt returned to ${c.addr(rip)} for goroutine ${this.goid}; the interrupted PC was ${c.addr(this.retpc)}`);
    }
    for (let r = 0; r < 16; r++) {
      c.expectReg(this, x, r, this.regs[r]!, "restored", r === RSP ? "before the signal pushed the PC, SP was" : "the interrupted value was");
    }
    const fl = c.regN(REG_RFLAGS);
    const diff = (fl ^ this.flags) & PRESERVED_FLAGS;
    if (diff !== 0) {
      const names = FLAG_BITS.filter(([b]) => diff & b).map(([b, n]) => `${n}=${fl & b ? 1 : 0}`).join(" ");
      c.fail(this, x.from, "RFLAGS", hex(this.flags & PRESERVED_FLAGS), hex(fl & PRESERVED_FLAGS),
        `asyncPreempt restored RFLAGS=${hex(fl)} for goroutine ${this.goid} (${names}); the interrupted flags were ${hex(this.flags)}`);
    }
    for (let i = 0; i < 16; i++) {
      const got = c.e.getXmm(i), want = this.xmm[i]!;
      let same = true;
      for (let k = 0; k < 16; k++) if (got[k] !== want[k]) same = false;
      if (!same) {
        const h = (b: Uint8Array): string => "0x" + [...b].reverse().map((v) => v.toString(16).padStart(2, "0")).join("");
        c.fail(this, x.from, `X${i}`, h(want), h(got), `asyncPreempt restored X${i}=${h(got)} for goroutine ${this.goid}; the interrupted value was ${h(want)}`);
      }
    }
    return "done";
  }
}

// --- morestack ------------------------------------------------------------------------------------------

class MorestackObs extends Obs {
  constructor(region: Region, goid: number, readonly g: number, readonly g0: number, readonly fpc: number, readonly fsp: number,
    readonly callerPc: number, readonly callerSp: number, readonly bp: number, readonly ctxt: bigint, readonly g0sp: number) {
    super("morestack", region, goid);
  }

  static enter(this: void, c: Checker, entry: number, region: Region): Obs | undefined {
    const g = c.tlsg();
    if (g === 0) return undefined;
    const mp = c.ptr(g + g_m);
    const g0 = mp === 0 ? 0 : c.ptr(mp + m_g0);
    // morestack on g0 or gsignal is the runtime's own fatal error.
    if (g0 === 0 || g === g0 || g === c.ptr(mp + m_gsignal)) return undefined;
    const sp = c.regN(RSP);
    const noctxt = entry === c.m.image.addrOf("runtime.morestack_noctxt");
    return new MorestackObs(region, c.goid(g), g, g0, c.ptr(sp), sp + 8, c.ptr(sp + 8), sp + 16, c.regN(RBP), noctxt ? 0n : c.reg(RDX),
      c.ptr(g0 + g_sched + gobuf_sp));
  }

  leave(x: Ctx): Leave {
    const c = x.c;
    const rip = c.regN(REG_RIP);
    const newstack = c.m.image.addrOf("runtime.newstack") ?? c.m.image.undefined.get("runtime.newstack") ?? 0;
    if (rip !== newstack) {
      c.fail(this, x.from, "target", c.addr(newstack), c.addr(rip), `morestack went to ${c.addr(rip)} for goroutine ${this.goid}; it must call newstack on g0`);
    }
    const check = (base: number, what: string, off: number, name: string, want: bigint, said: string): void => {
      const v = c.word(base + off);
      if (v !== want) c.fail(this, x.from, `${what}.${name}`, hex(want), hex(v), `morestack saved ${what}.${name}=${hex(v)} for goroutine ${this.goid}; ${said} ${c.addr(want)}`);
    };
    const mp = c.ptr(this.g + g_m);
    check(mp + m_morebuf, "m.morebuf", gobuf_pc, "pc", BigInt(this.callerPc), "f's return address was");
    check(mp + m_morebuf, "m.morebuf", gobuf_sp, "sp", BigInt(this.callerSp), "f's caller's SP was");
    check(mp + m_morebuf, "m.morebuf", gobuf_g, "g", BigInt(this.g), "the goroutine was");
    check(this.g + g_sched, "g.sched", gobuf_pc, "pc", BigInt(this.fpc), "the PC in f's prologue was");
    check(this.g + g_sched, "g.sched", gobuf_sp, "sp", BigInt(this.fsp), "f's SP was");
    check(this.g + g_sched, "g.sched", gobuf_bp, "bp", BigInt(this.bp), "f's BP was");
    check(this.g + g_sched, "g.sched", gobuf_ctxt, "ctxt", this.ctxt, "f's closure context (DX) was");
    const tls = c.tlsg();
    if (tls !== this.g0) c.fail(this, x.from, "TLS g", c.gname(this.g0), c.gname(tls), `morestack called newstack with the TLS g slot = ${c.gname(tls)}; g0 is ${c.gname(this.g0)}`);
    const r14 = c.regN(R14);
    if (r14 !== this.g0) c.fail(this, x.from, "R14", c.gname(this.g0), c.gname(r14), `morestack called newstack with R14 = ${c.gname(r14)}; g0 is ${c.gname(this.g0)}`, R14);
    c.expectReg(this, x, RSP, BigInt(this.g0sp - 8), "called newstack with", "newstack runs at the top of g0's stack, g0.sched.sp - 8:");
    c.stackResumes.set(this.g, {
      pc: this.fpc, sp: this.fsp, bp: this.bp, lo: c.ptr(this.g + g_stack_lo), hi: c.ptr(this.g + g_stack_hi), goid: this.goid, step: c.step(), from: x.from,
    });
    return "done";
  }
}

/** newstack/copystack's rule, when gogo resumes a goroutine that called morestack. */
function checkStackResume(c: Checker, obs: Obs, x: Ctx, gp: number, sr: StackResume): void {
  const lo = c.ptr(gp + g_stack_lo), hi = c.ptr(gp + g_stack_hi);
  const delta = hi - sr.hi;
  const o = new Subject("morestack", obs.region, sr.goid);
  const rip = c.regN(REG_RIP);
  if (rip !== sr.pc) c.fail(o, x.from, "resume pc", c.addr(sr.pc), c.addr(rip), `goroutine ${sr.goid} resumed after morestack at ${c.addr(rip)}; f's PC was ${c.addr(sr.pc)}`);
  const sp = c.regN(RSP);
  if (sp !== sr.sp + delta) c.fail(o, x.from, "resume SP", hex(sr.sp + delta), hex(sp), `goroutine ${sr.goid} resumed after morestack with SP=${hex(sp)}; f's SP ${hex(sr.sp)} moved by the copy's delta ${delta} is ${hex(sr.sp + delta)}`);
  const inOld = sr.bp >= sr.lo && sr.bp < sr.hi;
  const wantBp = inOld ? sr.bp + delta : sr.bp;
  const bp = c.regN(RBP);
  if (bp !== wantBp) c.fail(o, x.from, "resume BP", hex(wantBp), hex(bp), `goroutine ${sr.goid} resumed after morestack with BP=${hex(bp)}; f's BP ${hex(sr.bp)} moved by the copy's delta ${delta} is ${hex(wantBp)}`);
  if (delta === 0) return;
  // The frame-pointer chain: no saved BP may still point into the old stack.
  let fp = bp;
  for (let i = 0; i < 10_000 && fp >= lo && fp < hi; i++) {
    const next = c.ptr(fp);
    if (next >= sr.lo && next < sr.hi) {
      c.fail(o, x.from, "frame pointer", `inside [${hex(lo)}, ${hex(hi)})`, hex(next),
        `goroutine ${sr.goid}'s frame-pointer chain after copystack: the saved BP at ${hex(fp)} is ${hex(next)}, inside the old stack [${hex(sr.lo)}, ${hex(sr.hi)})`);
    }
    if (next <= fp) break;
    fp = next;
  }
}
