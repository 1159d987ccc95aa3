// The tour: one Gosched, walked through for someone who has just read how
// Go's GMP scheduler works.
//
// It boots the program (programs/gosched.s by default) on one P and runs it
// until a user goroutine calls runtime.Gosched and reaches mcall with
// gosched_m. From there it follows the switch the way the seed articles
// describe it, at the level of the machine:
//
//   1. mcall, instruction by instruction: the goroutine's SP, PC and BP go
//      into g.sched, the thread moves to g0 and its stack, and gosched_m is
//      called there;
//   2. the scheduler's decisions in between (gosched_m puts the goroutine
//      on the global run queue, schedule and findRunnable pick the next
//      one, execute hands it to gogo), as scheduler events;
//   3. gogo, instruction by instruction: the next goroutine's g into TLS
//      and R14, its SP, BP and context out of its gobuf, and the jump to
//      where it stopped.
//
// Each instruction is shown with its address, its source line, its
// disassembly, what it changed (registers, the gobuf fields, the TLS g
// slot) and the comment on that line of asm/asm_amd64.s: the assembly is
// commented line by line for exactly this reader, so the tour's sentences
// are the source's own.

// This file is the walk itself, as a sequence of items (prose, one
// instruction with its changes and comment, one scheduler event), taken
// one at a time from a generator: the terminal prints them (tour.ts), the
// browser page shows each beside the machine's state at that moment. It
// imports nothing of Node: the host gives it the step, the sources and how
// to show a path.

import { REG_RIP, regId } from "../engine/engine.ts";
import { formatEvent, gobuf as readGobuf, goid as goidOf, GPR_NAMES, insnAt, isG0, subscribe, tlsg, type SchedEvent } from "../debug/view.ts";
import type { Machine } from "../runtime/boot.ts";
import { g_sched, gobuf_g } from "../runtime/offsets.ts";

/** The sentence every walk that restores a gobuf says once. */
export const GOBUF_SENTENCE =
  "A gobuf holds only SP, PC, BP, ctxt and ret because a goroutine is switched out only at a call (mcall, morestack, " +
  "or the call asyncPreempt's signal injects): the ABI lets a call clobber every other register, so nothing else needs saving.\n";

/** One thing the tour says, after the machine has done what it describes. */
export type TourItem =
  /** Prose, exactly as printed (it carries its own newlines). */
  | { kind: "text"; text: string }
  /** A section begins: the terminal pauses before it (Enter to go on). */
  | { kind: "section"; title: string }
  /** One instruction just executed: where it was, what it changed, its source line's comment (phase: the routine or chapter). */
  | { kind: "insn"; phase: string; pc: number; where: string; text: string; changes: string[]; comment: string }
  /** One of the scheduler's decisions between mcall and gogo. */
  | { kind: "event"; ev: SchedEvent; text: string };

export interface TourHost {
  /** One step of the machine; why the program ended, if it has. */
  step(): string | undefined;
  /** A source file's text (for the comments), or undefined. */
  source(file: string): string | undefined;
  /** How a file's path is shown. */
  showPath(file: string): string;
  /** At most this many steps before the switch is found. */
  maxSteps: number;
}

const hex = (v: number | bigint): string => "0x" + v.toString(16);

/** An item as the terminal prints it. */
export function renderItem(it: TourItem): string {
  switch (it.kind) {
    case "text": return it.text;
    case "section": return `\n── ${it.title}\n`;
    case "event": return `  ${it.text}\n`;
    case "insn":
      return `  ${hex(it.pc)}  ${it.where.padEnd(24)} ${it.text.padEnd(34)} ${it.changes.join(" ")}\n` +
        (it.comment ? `  ${"".padEnd(10)}  ${"".padEnd(24)} // ${it.comment}\n` : "");
  }
}

/**
 * The tour on a machine just built (one P, no sysmon): yields its items,
 * returns the exit status (0: the switch went as the gobuf said; 1: no
 * Gosched to follow; 4: the registers disagreed with the gobuf).
 */
export function* walkTour(m: Machine, host: TourHost): Generator<TourItem, number> {
  const { engine: e, image, bridge, mem } = m;
  const prose = (t: string): TourItem => ({ kind: "text", text: t });
  const reg = (r: number): number => Number(e.getReg(regId(r)));
  const getg = (): number => tlsg(m);
  const goid = (gp: number): number => goidOf(m, gp);
  const mcall = image.addrOf("runtime.mcall")!;
  const gogo = image.addrOf("runtime.gogo")!;
  const goschedM = bridge.addrOf("runtime.gosched_m");
  const maxSteps = host.maxSteps;
  const sources = new Map<string, string[]>();
  const sourceLine = (f: string, line: number): string => {
    let lines = sources.get(f);
    if (!lines) {
      lines = host.source(f)?.split("\n") ?? [];
      sources.set(f, lines);
    }
    return lines[line - 1] ?? "";
  };
  const comment = (pc: number): string => {
    const l = image.pcToLine(pc);
    if (!l) return "";
    const text = sourceLine(l.file, l.line);
    const i = text.indexOf("//");
    return i >= 0 ? text.slice(i + 2).trim() : "";
  };
  // A pc in machine code, or a return address into a host function (the
  // one mcall saves when Gosched, a host function, called it; sp is where
  // RET would leave SP): then also where that host function returns to.
  const describe = (pc: number, sp: number): string => {
    const sym = image.symAt(pc);
    if (sym) return image.symbolize(pc) ?? hex(pc);
    const frame = bridge.frameOfReturn(pc, sp);
    if (frame) {
      const ret = mem.ptr(frame.frameSp);
      return `${frame.name}'s continuation, which returns to ${image.symbolize(ret)} (${where(ret - 1)})`;
    }
    return bridge.nameAt(pc) ?? hex(pc);
  };
  const where = (pc: number): string => {
    const l = image.pcToLine(pc);
    return l ? `${host.showPath(l.file)}:${l.line}` : "?";
  };

  // 1. Find a user goroutine entering mcall(gosched_m).
  // The second such call, so that the goroutine gogo resumes is one that
  // itself stopped in Gosched (the first switch starts a fresh goroutine).
  let gp = 0, seen = 0;
  for (let i = 0; i < maxSteps; i++) {
    const end = host.step();
    if (end) {
      yield { kind: "text", text: `tour: the program ended before any goroutine called runtime.Gosched (${end}); ` +
        "the other chapters follow other paths: --chapter park (a channel receive), preempt, morestack, syscall\n" };
      return 1;
    }
    if (reg(REG_RIP) === mcall) {
      const g = getg();
      const fn = mem.ptr(reg(0)); // mcall's fn (a funcval) in AX
      if (fn === goschedM && goid(g) > 4 && ++seen === 2) { gp = g; break; }
    }
  }
  if (gp === 0) {
    yield { kind: "text", text: "tour: no goroutine called runtime.Gosched within the step limit\n" };
    return 1;
  }
  yield { kind: "section", title: "gosched: one Gosched, through mcall, the scheduler and gogo" };
  yield prose(`Goroutine ${goid(gp)} has called runtime.Gosched: mcall's return address is ${describe(mem.ptr(reg(4)), reg(4) + 8)}.\n`);
  yield prose(`Gosched asks mcall to run gosched_m on g0. Watch its state go into g.sched at ${hex(gp + g_sched)}.\n\n`);

  const gobufOf = (g: number) => {
    const b = readGobuf(m, g + g_sched);
    return { "sched.sp": b.sp, "sched.pc": b.pc, "sched.bp": b.bp, "sched.ctxt": b.ctxt, "sched.ret": b.ret };
  };
  // One instruction: disassembly, changes, and the source's comment.
  const step = (watch: number, label: string, phase: "mcall" | "gogo"): TourItem => {
    const rip = reg(REG_RIP);
    const text = insnAt(m, rip).text;
    const regsBefore = GPR_NAMES.map((_, r) => reg(r));
    const bufBefore = gobufOf(watch);
    const tlsBefore = getg();
    host.step();
    const changes: string[] = [];
    GPR_NAMES.forEach((name, r) => { const v = reg(r); if (v !== regsBefore[r]) changes.push(`${name}=${hex(v)}`); });
    const bufAfter = gobufOf(watch);
    for (const k of Object.keys(bufAfter) as (keyof typeof bufAfter)[]) {
      if (bufAfter[k] !== bufBefore[k]) changes.push(`${label}.${k}=${hex(bufAfter[k])}`);
    }
    if (getg() !== tlsBefore) changes.push(`TLS g=${hex(getg())} (G${goid(getg())}${isG0(m, getg()) ? ", g0" : ""})`);
    return { kind: "insn", phase, pc: rip, where: where(rip), text, changes, comment: comment(rip) };
  };

  yield { kind: "section", title: "runtime.mcall" };
  yield prose(`mcall (asm/asm_amd64.s), on G${goid(gp)}:\n`);
  for (let i = 0; i < 64 && image.symAt(reg(REG_RIP))?.name === "runtime.mcall"; i++) yield step(gp, `G${goid(gp)}`, "mcall");
  const parked = readGobuf(m, gp + g_sched);
  yield prose(`G${goid(gp)} is now parked in its gobuf: sp=${hex(parked.sp)} pc=${hex(parked.pc)} ` +
    `(${describe(parked.pc, parked.sp)}). The thread runs g0, in gosched_m.\n\n`);

  // 2. The scheduler, as events, until gogo.
  const events: SchedEvent[] = [];
  const unsubscribe = subscribe(m, (ev) => { events.push(ev); });
  for (let i = 0; i < maxSteps && reg(REG_RIP) !== gogo; i++) host.step();
  unsubscribe();
  yield { kind: "section", title: "the scheduler" };
  yield prose("The scheduler, on g0 (TypeScript: src/runtime/proc.ts):\n");
  const say: Record<SchedEvent["kind"], (ev: SchedEvent) => string> = {
    gosched: (ev) => `gosched_m: G${ev.goid} running → runnable, onto the global run queue (Gosched gives up the P's local queue too)`,
    preempt: (ev) => `gopreempt_m: G${ev.goid} preempted, onto the global run queue`,
    run: (ev) => `schedule → findRunnable picks G${ev.goid}; execute: runnable → running on P${ev.p}, M${ev.m}${ev.detail === "inherit" ? " (from runnext: it inherits the time slice)" : ", schedtick+1"}; then gogo(&G${ev.goid}.sched)`,
    park: (ev) => `G${ev.goid} parks (${ev.detail ?? ""})`,
    ready: (ev) => `G${ev.goid} made runnable by G${ev.by}`,
    create: (ev) => `G${ev.goid} created by G${ev.by}`,
    exit: (ev) => `G${ev.goid} exits`,
    steal: (ev) => `G${ev.goid} stolen ${ev.detail ?? ""}`,
    syscall: (ev) => `G${ev.goid} enters a system call`,
    sysexit: (ev) => `G${ev.goid} returns from a system call`,
    handoff: (ev) => `sysmon hands off ${ev.detail ?? "a P"}`,
    signal: (ev) => `G${ev.goid} interrupted by SIGURG`,
  };
  for (const ev of events) yield { kind: "event", ev, text: say[ev.kind]?.(ev) ?? formatEvent(ev) };
  const next = mem.ptr(mem.ptr(reg(4) + 8) + gobuf_g);
  const want = gobufOf(next);
  yield { kind: "section", title: "runtime.gogo" };
  yield prose(`gogo (asm/asm_amd64.s), switching to G${goid(next)}: its gobuf holds sp=${hex(want["sched.sp"])} pc=${hex(want["sched.pc"])} ` +
    `(${describe(want["sched.pc"], want["sched.sp"])}) bp=${hex(want["sched.bp"])} ctxt=${hex(want["sched.ctxt"])}.\n` + GOBUF_SENTENCE);
  for (let i = 0; i < 64; i++) {
    const name = image.symAt(reg(REG_RIP))?.name;
    if (name !== "runtime.gogo" && !name?.startsWith("gogo<")) break;
    yield step(next, `G${goid(next)}`, "gogo");
  }
  const pc = reg(REG_RIP), sp = reg(4), bp = reg(5);
  // The sentence states only what it has compared with the gobuf gogo read.
  const agree = sp === want["sched.sp"] && bp === want["sched.bp"] && pc === want["sched.pc"];
  if (agree) {
    yield prose(`\nG${goid(next)} runs again at ${describe(pc, sp)}, with SP=${hex(sp)} and BP=${hex(bp)}, as its gobuf said. ` +
      `It stopped in Gosched exactly as G${goid(gp)} just did: to it, mcall has simply returned.\n`);
    return 0;
  }
  const diffs: string[] = [];
  if (pc !== want["sched.pc"]) diffs.push(`PC=${hex(pc)} where gobuf.pc was ${hex(want["sched.pc"])}`);
  if (sp !== want["sched.sp"]) diffs.push(`SP=${hex(sp)} where gobuf.sp was ${hex(want["sched.sp"])}`);
  if (bp !== want["sched.bp"]) diffs.push(`BP=${hex(bp)} where gobuf.bp was ${hex(want["sched.bp"])}`);
  yield prose(`\nG${goid(next)} runs again at ${describe(pc, sp)}, but NOT as its gobuf said: ${diffs.join("; ")}.\n`);
  return 4;
}
