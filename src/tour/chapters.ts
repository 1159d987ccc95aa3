// The tour's other chapters: park, preempt, morestack and syscall, each a
// path through the runtime followed on the machine (the gosched chapter is
// walk.ts, the first one written).
//
// A chapter is a start, a list of functions shown instruction by
// instruction, prose for each function it enters, and an end:
//
//   park       a goroutine receives from an empty channel: gopark sets the
//              wait reason, mcall saves it in g.sched and moves to g0,
//              park_m makes it _Gwaiting, others run; a sender's goready
//              makes it runnable and gogo resumes it from its gobuf.
//   preempt    sysmon finds a goroutine running too long and sends SIGURG:
//              the kernel builds a signal frame and enters sigtramp, the
//              handler's pushCall rewrites the saved context so that
//              sigreturn "returns" into asyncPreempt, which saves every
//              register and calls asyncPreempt2 (mcall, gopreempt_m); later
//              gogo resumes it in asyncPreempt, which restores the
//              registers and RETs to the interrupted instruction.
//   morestack  a prologue finds SP at or below g.stackguard0: morestack
//              saves the caller in m.morebuf and g.sched, newstack (with
//              copystack) moves the goroutine to a stack twice as large,
//              and gogo restarts the function on it.
//   syscall    syscall.Syscall: entersyscall gives the P up to _Psyscall,
//              SYSCALL enters the kernel (the thread blocks), exitsyscall
//              takes a P again.
//
// Where a chapter begins is found by running the program once and noting
// the step of the event that matters (the signal that preempted, the park
// on a channel), then rebuilding the machine and stepping to the last
// entry of the chapter's first function before it: the machine is
// deterministic, so the second run reaches the same place. Instructions
// outside the functions shown are counted, not listed, and the scheduler's
// events between them are shown as they happen. Like walk.ts this imports
// nothing of Node.

import { REG_RIP, regId } from "../engine/engine.ts";
import { formatEvent, goid as goidOf, GPR_NAMES, insnAt, isG0, subscribe, tlsg, type SchedEvent } from "../debug/view.ts";
import type { Machine } from "../runtime/boot.ts";
import {
  g_sched, g_stack, g_stackguard0, g_waitreason, gobuf_bp, gobuf_g, gobuf_pc, gobuf_sp, sigcontext_rip, sigcontext_rsp, ucontext_uc_mcontext,
} from "../runtime/offsets.ts";
import { waitReasonStrings } from "../runtime/runtime2.ts";
import { GOBUF_SENTENCE, type TourItem } from "./walk.ts";

export const CHAPTERS = ["gosched", "park", "preempt", "morestack", "syscall"] as const;
export type ChapterName = (typeof CHAPTERS)[number];

/** The program each chapter shows best, under programs/. */
export const CHAPTER_PROGRAM: Readonly<Record<ChapterName, string>> = {
  gosched: "gosched.s", park: "hello.s", preempt: "spin.s", morestack: "deeprec.s", syscall: "syscall.s",
};

/** A machine and its one step, fresh: a chapter may boot twice (see the essay). */
export interface ChapterBoot { m: Machine; step: () => string | undefined }

export interface ChapterHost {
  boot(): ChapterBoot;
  source(file: string): string | undefined;
  showPath(file: string): string;
  /** At most this many steps to find the start, and again to follow the chapter. */
  maxSteps: number;
}

const hex = (v: number | bigint): string => "0x" + v.toString(16);

interface Spec {
  title: string;
  /** What the program must do, for the message when it does not. */
  needs: string;
  /** The step the chapter starts at, found on a first run (undefined: never). */
  find(m: Machine, step: () => string | undefined, max: number): number | undefined;
  /** Prose before the first instruction. */
  intro(t: Tracer): string;
  /** Prose when the machine enters a function (by symbol or host name); a section starts there. */
  sections: Record<string, (t: Tracer) => string>;
  /** Whether an instruction of this function is shown one by one. */
  detail(t: Tracer, fn: string): boolean;
  /** After each step: has the chapter ended? */
  done(t: Tracer): boolean;
  outro(t: Tracer): string;
}

/** The machine as a chapter reads it. */
class Tracer {
  gp = 0;
  /** Values a chapter notes at its start (the interrupted PC, the old stack ...). */
  note: Record<string, number> = {};
  readonly events: SchedEvent[] = [];
  constructor(readonly m: Machine, readonly host: ChapterHost) {}
  reg(r: number): number { return Number(this.m.engine.getReg(regId(r))); }
  get rip(): number { return this.reg(REG_RIP); }
  getg(): number { return tlsg(this.m); }
  goid(gp: number): number { return goidOf(this.m, gp); }
  /** The function at pc: its symbol, or the host function's name. */
  fn(pc: number): string {
    return this.m.image.symAt(pc)?.name ?? this.m.bridge.nameAt(pc)?.replace(/ \(.*$/, "") ?? hex(pc);
  }
  sym(pc: number): string { return this.m.image.symbolize(pc) ?? this.m.bridge.nameAt(pc) ?? hex(pc); }
  where(pc: number): string {
    const l = this.m.image.pcToLine(pc);
    return l ? `${this.host.showPath(l.file)}:${l.line}` : "?";
  }
  ptr(a: number): number { return this.m.mem.ptr(a); }
  stack(gp: number): { lo: number; hi: number } { return { lo: this.ptr(gp + g_stack), hi: this.ptr(gp + g_stack + 8) }; }
  gobufText(gp: number): string {
    const b = gp + g_sched;
    return `sp=${hex(this.ptr(b + gobuf_sp))} pc=${hex(this.ptr(b + gobuf_pc))} (${this.sym(this.ptr(b + gobuf_pc))}) bp=${hex(this.ptr(b + gobuf_bp))}`;
  }
  /** The goroutine gogo is about to restore (its gobuf's g), at runtime.gogo's entry. */
  gogoTarget(): number {
    try { return this.ptr(this.ptr(this.reg(4) + 8) + gobuf_g); } catch { return 0; }
  }
}

/** Runs the machine to find the first step where `at` holds, up to max. */
function firstWhere(m: Machine, step: () => string | undefined, max: number, at: () => boolean): number | undefined {
  for (let i = 0; i < max; i++) {
    if (at()) return i;
    if (step()) return undefined;
  }
  return undefined;
}

/**
 * The step of the last time `enter` held before an event `trigger` accepts
 * (the mcall before the park it leads to, the sigtramp before the
 * preemption it makes).
 */
function lastBefore(m: Machine, step: () => string | undefined, max: number, enter: () => boolean, trigger: (ev: SchedEvent) => boolean): number | undefined {
  let last: number | undefined, hit = false;
  const off = subscribe(m, (ev) => { if (!hit && trigger(ev)) hit = true; });
  try {
    for (let i = 0; i < max; i++) {
      if (enter()) last = i;
      if (step()) return undefined;
      if (hit) return last;
    }
    return undefined;
  } finally {
    off();
  }
}

const rip = (m: Machine): number => Number(m.engine.getReg(regId(REG_RIP)));
const mcallFn = (m: Machine): number => { try { return m.mem.ptr(Number(m.engine.getReg(regId(0)))); } catch { return 0; } };

const SPECS: Record<Exclude<ChapterName, "gosched">, Spec> = {
  park: {
    title: "park: a channel receive parks a goroutine (gopark, mcall, park_m), and goready wakes it",
    needs: "a goroutine that receives from a channel before anything was sent",
    find(m, step, max) {
      const mcall = m.image.addrOf("runtime.mcall"), user = m.image.addrOf("main.main");
      const parkM = m.bridge.addrOf("runtime.park_m");
      // A receive of the program's own (runtime.main's waits for its helpers come first).
      let started = false;
      return lastBefore(m, step, max, () => {
        const r = rip(m);
        if (r === user) started = true;
        return started && r === mcall && mcallFn(m) === parkM;
      }, (ev) => started && ev.kind === "park" && ev.detail === "chan receive");
    },
    intro(t) {
      t.gp = t.getg();
      return `G${t.goid(t.gp)} receives from a channel that holds nothing. chanrecv (TypeScript) queues it on the channel's ` +
        `receive queue and calls gopark, which wrote the wait reason (${waitReasonStrings[t.m.mem.u8(t.gp + g_waitreason)]}) ` +
        `into the g and now calls mcall(park_m): the goroutine stops here, in the middle of its call.\n`;
    },
    sections: {
      "runtime.mcall": (t) => t.getg() === t.gp ? `mcall, on G${t.goid(t.gp)}: its SP, PC and BP go into g.sched; the thread moves to g0 and its stack.\n` : "",
      "runtime.park_m": (t) => `park_m (TypeScript: src/runtime/proc.ts), on g0: G${t.goid(t.gp)} goes _Grunning → _Gwaiting, dropg ` +
        "unlinks it from the M, the channel's lock is released, and schedule finds other work. Nothing runs G" + t.goid(t.gp) +
        " until someone readies it.\n",
      "runtime.gogo": (t) => t.gogoTarget() === t.gp ? `gogo, switching back to G${t.goid(t.gp)}: its gobuf holds ${t.gobufText(t.gp)}.\n` + GOBUF_SENTENCE : "",
    },
    detail(t, fn) {
      if (fn === "runtime.mcall") return t.getg() === t.gp || t.note.inMcall === 1;
      if (fn === "runtime.gogo" || fn.startsWith("gogo<")) return t.note.resuming === 1;
      return false;
    },
    done(t) {
      if (this.detail(t, "runtime.mcall") && t.fn(t.rip) === "runtime.mcall") t.note.inMcall = 1;
      else t.note.inMcall = 0;
      if (t.fn(t.rip) === "runtime.gogo" && t.gogoTarget() === t.gp && t.events.some((e) => e.kind === "ready" && e.goid === t.goid(t.gp))) t.note.resuming = 1;
      return t.note.resuming === 1 && t.getg() === t.gp && !/^(runtime\.gogo|gogo<)/.test(t.fn(t.rip));
    },
    outro(t) {
      const ready = t.events.find((e) => e.kind === "ready" && e.goid === t.goid(t.gp));
      return `G${t.goid(t.gp)} runs again at ${t.sym(t.rip)}: ${ready ? `G${ready.by}'s send found it waiting on the channel, ` +
        "handed it the value directly and called goready, which made it _Grunnable and put it in runnext; " : ""}` +
        "to G" + t.goid(t.gp) + ", mcall has simply returned, and chanrecv returns the value.\n";
    },
  },

  preempt: {
    title: "preempt: SIGURG, the signal frame, pushCall, asyncPreempt, and back",
    needs: "a goroutine that runs without calls long enough for sysmon to preempt it (programs/spin.s)",
    find(m, step, max) {
      // The kernel delivers a signal and runs the handler's first
      // instruction in one step: the chapter starts on sigtramp's second.
      let inside = false;
      return lastBefore(m, step, max, () => {
        const was = inside;
        inside = m.image.symAt(rip(m))?.name === "runtime.sigtramp";
        return inside && !was;
      }, (ev) => ev.kind === "signal");
    },
    intro(t) {
      // sigtramp(sig DI, info SI, ctx DX): the ucontext the kernel saved the interrupted registers in.
      const ctx = t.reg(2);
      const mctx = ctx + ucontext_uc_mcontext;
      t.note.ctx = mctx;
      t.note.pc = t.ptr(mctx + sigcontext_rip);
      t.note.sp = t.ptr(mctx + sigcontext_rsp);
      t.gp = t.getg();
      return `sysmon saw G${t.goid(t.gp)} run for longer than its time slice and sent its thread SIGURG (tgkill). ` +
        `The kernel interrupted the thread at ${t.sym(t.note.pc)} (${t.where(t.note.pc)}), pushed a signal frame ` +
        `(a ucontext at ${hex(ctx)} with every register: RIP=${hex(t.note.pc)}, RSP=${hex(t.note.sp)}) ` +
        "onto the signal stack, and entered the handler, runtime.sigtramp.\n";
    },
    sections: {
      "runtime.sigtramp": () => "sigtramp (asm/sys_linux_amd64.s): from the kernel's calling convention to the Go handler.\n",
      "runtime.sigtrampgo": (t) => "sigtrampgo → sighandler → doSigPreempt (TypeScript: src/runtime/signal_unix.ts): the goroutine asked to stop and " +
        "is at an async safe point, so pushCall rewrites the saved context: RSP -= 8, the interrupted PC stored there as a " +
        "return address, and RIP = asyncPreempt. The goroutine will seem to have called asyncPreempt at " + t.sym(t.note.pc) + ".\n",
      "runtime.sigreturn__sigaction": (t) => {
        t.note.newrip = t.ptr(t.note.ctx + sigcontext_rip);
        return `sigreturn: rt_sigreturn loads the registers from the (rewritten) context: RIP=${hex(t.note.newrip)} (${t.sym(t.note.newrip)}).\n`;
      },
      "runtime.asyncPreempt": (t) => t.note.back === 1 ? "" : "asyncPreempt (asm): saves every register the interrupted code may have live (the ABI does not apply: the goroutine did not call), then calls asyncPreempt2.\n",
      "runtime.asyncPreempt2": () => "asyncPreempt2 (TypeScript: src/runtime/preempt.ts): mcall(gopreempt_m): the goroutine is saved in its gobuf, made _Grunnable and put on the global run queue; others run.\n",
      "runtime.gogo": (t) => t.gogoTarget() === t.gp ? `gogo, back to G${t.goid(t.gp)}: its gobuf holds ${t.gobufText(t.gp)}, inside asyncPreempt.\n` + GOBUF_SENTENCE : "",
    },
    detail(t, fn) {
      if (fn === "runtime.sigtramp" || fn === "runtime.sigreturn__sigaction") return t.note.delivered !== 1;
      if (fn === "runtime.asyncPreempt") return t.getg() === t.gp;
      if (fn === "runtime.mcall") return t.getg() === t.gp || t.note.inMcall === 1;
      if (fn === "runtime.gogo" || fn.startsWith("gogo<")) return t.note.back === 1;
      return false;
    },
    done(t) {
      const fn = t.fn(t.rip);
      t.note.inMcall = fn === "runtime.mcall" && (t.getg() === t.gp || t.note.inMcall === 1) ? 1 : 0;
      if (fn === "runtime.asyncPreempt" && t.getg() === t.gp) t.note.delivered = 1;
      if (fn === "runtime.gogo" && t.gogoTarget() === t.gp && t.note.delivered === 1) t.note.back = 1;
      return t.note.back === 1 && t.getg() === t.gp && t.rip === t.note.pc;
    },
    outro(t) {
      const ok = t.reg(4) === t.note.sp;
      return `asyncPreempt restored the registers and its RET popped the address pushCall stored: G${t.goid(t.gp)} runs on at ` +
        `${t.sym(t.rip)} with RSP=${hex(t.reg(4))}${ok ? ", exactly where and as the signal found it" : ` (the signal found RSP=${hex(t.note.sp)})`}.\n`;
    },
  },

  morestack: {
    title: "morestack: the prologue's check, morestack, newstack and copystack",
    needs: "a function whose stack outgrows its goroutine's stack (programs/deeprec.s)",
    find(m, step, max) {
      const a = m.image.addrOf("runtime.morestack_noctxt"), b = m.image.addrOf("runtime.morestack");
      return firstWhere(m, step, max, () => { const r = rip(m); return (r === a || r === b) && !isG0(m, tlsg(m)); });
    },
    intro(t) {
      t.gp = t.getg();
      const ret = t.ptr(t.reg(4)); // morestack's caller: the function whose prologue failed
      const f = t.m.image.symAt(ret);
      t.note.f = f?.addr ?? 0;
      const old = t.stack(t.gp);
      t.note.lo = old.lo;
      t.note.hi = old.hi;
      const guard = t.ptr(t.gp + g_stackguard0);
      const prologue: string[] = [];
      for (let a = t.note.f, i = 0; f && i < 3; i++) {
        const d = insnAt(t.m, a);
        prologue.push(`  ${hex(a)}  ${t.where(a).padEnd(24)} ${d.text}`);
        a += d.len;
      }
      return `${f?.name ?? "A function"} began with the prologue every function with a frame has:\n${prologue.join("\n")}\n` +
        `SP was ${hex(t.reg(4) + 8)}, at or below g.stackguard0 = ${hex(guard)} (the stack [${hex(old.lo)}, ${hex(old.hi)}) plus ` +
        `a guard), so the JLS went to the CALL runtime.morestack_noctxt at the function's end, before the frame was made.\n`;
    },
    sections: {
      "runtime.morestack_noctxt": () => "morestack_noctxt: no closure context (DX = 0), then morestack.\n",
      "runtime.morestack": (t) => `morestack (asm/asm_amd64.s), on G${t.goid(t.gp)}: the caller's caller goes into m.morebuf, ` +
        "the function's own state into g.sched (pc = the return address after the CALL, which JMPs back to the function's entry), then onto g0's stack to call newstack.\n",
      "runtime.newstack": (t) => `newstack (TypeScript: src/runtime/stack.ts), on g0: allocates a stack twice the size (${(t.note.hi - t.note.lo) * 2} bytes), ` +
        "copystack copies the used part to its top and moves every pointer into the old stack by the difference (saved BPs, g.sched.sp), frees the old one, and gogo(&g.sched).\n",
      "runtime.gogo": (t) => t.gogoTarget() === t.gp ? `gogo, back to G${t.goid(t.gp)} on its new stack: ${t.gobufText(t.gp)}.\n` + GOBUF_SENTENCE : "",
    },
    detail(t, fn) {
      if (fn === "runtime.morestack" || fn === "runtime.morestack_noctxt") return true;
      if (fn === "runtime.gogo" || fn.startsWith("gogo<")) return t.note.back === 1;
      return false;
    },
    done(t) {
      if (t.fn(t.rip) === "runtime.gogo" && t.gogoTarget() === t.gp) t.note.back = 1;
      // gogo resumes after the CALL morestack, whose JMP goes to the entry.
      return t.note.back === 1 && t.getg() === t.gp && t.rip === t.note.f;
    },
    outro(t) {
      const now = t.stack(t.gp);
      return `G${t.goid(t.gp)} is back at ${t.sym(t.rip)}'s entry, on the stack [${hex(now.lo)}, ${hex(now.hi)}) ` +
        `(${now.hi - now.lo} bytes; it was [${hex(t.note.lo)}, ${hex(t.note.hi)}), ${t.note.hi - t.note.lo} bytes), with SP=${hex(t.reg(4))}: ` +
        "the prologue runs again and passes this time.\n";
    },
  },

  syscall: {
    title: "syscall: entersyscall, SYSCALL, exitsyscall",
    needs: "a call of syscall.Syscall (programs/syscall.s)",
    find(m, step, max) {
      const a = m.image.addrOf("syscall.Syscall");
      return a === undefined ? undefined : firstWhere(m, step, max, () => rip(m) === a);
    },
    intro(t) {
      t.gp = t.getg();
      t.note.ret = t.ptr(t.reg(4));
      t.note.sp = t.reg(4) + 8;
      return `G${t.goid(t.gp)} calls syscall.Syscall(${t.ptr(t.reg(4) + 8)}, ...) from ${t.sym(t.note.ret)}: a system call ` +
        "that may block its thread, so the P must not be held hostage meanwhile.\n";
    },
    sections: {
      "syscall.Syscall": () => "syscall.Syscall (asm/syscall_linux_amd64.s):\n",
      "runtime.entersyscall": () => "entersyscall (TypeScript: src/runtime/syscall.ts): saves the caller's SP and PC in g.sched, G _Grunning → _Gsyscall, " +
        "the P _Prunning → _Psyscall (still the M's, but sysmon may hand it to another M if the call takes long).\n",
      "runtime.exitsyscall": () => "exitsyscall (TypeScript: src/runtime/syscall.ts): takes its P back if it is still in _Psyscall (the fast path), " +
        "else an idle P, else queues the goroutine and stops the M.\n",
    },
    detail(t, fn) { return fn === "syscall.Syscall" && t.getg() === t.gp; },
    done(t) { return t.getg() === t.gp && t.rip === t.note.ret && t.reg(4) === t.note.sp; },
    outro(t) {
      return `G${t.goid(t.gp)} is back in ${t.sym(t.rip)} with the call's result (AX=${hex(t.reg(0))}).\n`;
    },
  },
};

/**
 * A chapter other than gosched (walk.ts): yields its items, returns the exit
 * status (0: it ran to its end; 1: the program never does what the chapter
 * needs; 4: the end was not reached within the step limit).
 */
export function* walkChapter(name: Exclude<ChapterName, "gosched">, host: ChapterHost): Generator<TourItem, number> {
  const spec = SPECS[name];
  // The first run: where the chapter starts.
  let b = host.boot();
  let at: number | undefined;
  try {
    at = spec.find(b.m, b.step, host.maxSteps);
  } finally {
    b.m.engine.close();
  }
  if (at === undefined) {
    yield { kind: "text", text: `tour: the program never does what --chapter ${name} follows: ${spec.needs}. ` +
      `Try: gmpemu tour programs/${CHAPTER_PROGRAM[name]} --chapter ${name}\n` };
    return 1;
  }
  b = host.boot();
  const m = b.m;
  try {
    for (let i = 0; i < at; i++) if (b.step()) throw new Error(`tour: the second run ended before step ${at}: the machine was not deterministic`);
    const t = new Tracer(m, host);
    yield { kind: "section", title: spec.title };
    yield { kind: "text", text: spec.intro(t) };
    const off = subscribe(m, (ev) => t.events.push(ev));
    const sources = new Map<string, string[]>();
    const comment = (pc: number): string => {
      const l = m.image.pcToLine(pc);
      if (!l) return "";
      let lines = sources.get(l.file);
      if (!lines) sources.set(l.file, (lines = host.source(l.file)?.split("\n") ?? []));
      const text = lines[l.line - 1] ?? "";
      const i = text.indexOf("//");
      return i >= 0 ? text.slice(i + 2).trim() : "";
    };
    try {
      const said = new Set<string>();
      let lastFn = "", skipped = 0, skippedIn = new Set<string>(), shownEvents = 0;
      const flushSkipped = function* (): Generator<TourItem> {
        if (skipped > 0) yield { kind: "text", text: `  … ${skipped} step${skipped === 1 ? "" : "s"} in ${[...skippedIn].slice(0, 4).join(", ")}${skippedIn.size > 4 ? ", …" : ""}\n` };
        skipped = 0;
        skippedIn = new Set();
      };
      for (let i = 0; i < host.maxSteps; i++) {
        const pc = t.rip, fn = t.fn(pc);
        if (fn !== lastFn) {
          const say = said.has(fn) ? "" : spec.sections[fn]?.(t);
          if (say) said.add(fn);
          if (say) {
            yield* flushSkipped();
            yield { kind: "section", title: fn };
            yield { kind: "text", text: say };
          }
          lastFn = fn;
        }
        const shown = m.image.symAt(pc) !== undefined && spec.detail(t, fn);
        const regsBefore = GPR_NAMES.map((_, r) => t.reg(r));
        const gBefore = t.getg();
        const text = shown ? insnAt(m, pc).text : "";
        const end = b.step();
        if (shown) {
          yield* flushSkipped();
          const changes: string[] = [];
          GPR_NAMES.forEach((n, r) => { const v = t.reg(r); if (v !== regsBefore[r]) changes.push(`${n}=${hex(v)}`); });
          if (t.getg() !== gBefore) changes.push(`TLS g=${hex(t.getg())} (G${t.goid(t.getg())}${isG0(m, t.getg()) ? ", g0" : ""})`);
          yield { kind: "insn", phase: name, pc, where: t.where(pc), text, changes, comment: comment(pc) };
        } else {
          skipped++;
          skippedIn.add(m.image.symAt(pc) ? fn : `${fn} (TypeScript)`);
        }
        for (; shownEvents < t.events.length; shownEvents++) {
          const ev = t.events[shownEvents]!;
          yield* flushSkipped();
          yield { kind: "event", ev, text: formatEvent(ev) };
        }
        if (end) {
          yield { kind: "text", text: `tour: the program ended (${end}) before the chapter's end\n` };
          return 4;
        }
        if (spec.done(t)) {
          yield* flushSkipped();
          yield { kind: "section", title: "end" };
          yield { kind: "text", text: spec.outro(t) };
          return 0;
        }
      }
      yield { kind: "text", text: `tour: the chapter did not end within ${host.maxSteps} steps\n` };
      return 4;
    } finally {
      off();
    }
  } finally {
    m.engine.close();
  }
}
