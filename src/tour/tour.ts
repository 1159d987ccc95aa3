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

import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { REG_RIP, regId } from "../engine/engine.ts";
import { formatEvent, gobuf as readGobuf, goid as goidOf, GPR_NAMES, insnAt, isG0, subscribe, tlsg, type SchedEvent } from "../debug/view.ts";
import { buildMachine, type Machine } from "../node/boot.ts";
import { g_sched, gobuf_g } from "../runtime/offsets.ts";

export interface TourOptions {
  /** Root for relative paths in the output. */
  root?: string;
  /** At most this many instructions before the switch is found. */
  maxSteps?: number;
}

const hex = (v: number | bigint): string => "0x" + v.toString(16);

/** Runs the tour on file and writes it with out. Returns the exit status. */
export function runTour(file: string, out: (s: string) => void, opts: TourOptions = {}): number {
  const root = opts.root ?? process.cwd();
  const m = buildMachine([file], { procs: 1, nosysmon: true, stdout: () => {}, stderr: () => {} });
  try {
    return tour(m, out, root, opts.maxSteps ?? 2_000_000);
  } finally {
    m.engine.close();
  }
}

function tour(m: Machine, out: (s: string) => void, root: string, maxSteps: number): number {
  const { engine: e, kernel, image, bridge, mem } = m;
  const reg = (r: number): number => Number(e.getReg(regId(r)));
  const getg = (): number => tlsg(m);
  const goid = (gp: number): number => goidOf(m, gp);
  const mcall = image.addrOf("runtime.mcall")!;
  const gogo = image.addrOf("runtime.gogo")!;
  const goschedM = bridge.addrOf("runtime.gosched_m");
  const sources = new Map<string, string[]>();
  const sourceLine = (f: string, line: number): string => {
    let lines = sources.get(f);
    if (!lines) {
      try { lines = readFileSync(f, "utf8").split("\n"); } catch { lines = []; }
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
    return l ? `${relative(root, l.file)}:${l.line}` : "?";
  };

  // 1. Find a user goroutine entering mcall(gosched_m).
  // The second such call, so that the goroutine gogo resumes is one that
  // itself stopped in Gosched (the first switch starts a fresh goroutine).
  let gp = 0, seen = 0;
  for (let i = 0; i < maxSteps; i++) {
    const end = kernel.stepOnce();
    if (end) {
      out(`tour: the program ended before any goroutine called runtime.Gosched (${end.kind})\n`);
      return 1;
    }
    if (reg(REG_RIP) === mcall) {
      const g = getg();
      const fn = mem.ptr(reg(0)); // mcall's fn (a funcval) in AX
      if (fn === goschedM && goid(g) > 4 && ++seen === 2) { gp = g; break; }
    }
  }
  if (gp === 0) {
    out("tour: no goroutine called runtime.Gosched within the step limit\n");
    return 1;
  }
  out(`Goroutine ${goid(gp)} has called runtime.Gosched: mcall's return address is ${describe(mem.ptr(reg(4)), reg(4) + 8)}.\n`);
  out(`Gosched asks mcall to run gosched_m on g0. Watch its state go into g.sched at ${hex(gp + g_sched)}.\n\n`);

  const gobufOf = (g: number) => {
    const b = readGobuf(m, g + g_sched);
    return { "sched.sp": b.sp, "sched.pc": b.pc, "sched.bp": b.bp, "sched.ctxt": b.ctxt, "sched.ret": b.ret };
  };
  // One instruction: disassembly, changes, and the source's comment.
  const step = (watch: number, label: string): void => {
    const rip = reg(REG_RIP);
    const text = insnAt(m, rip).text;
    const regsBefore = GPR_NAMES.map((_, r) => reg(r));
    const bufBefore = gobufOf(watch);
    const tlsBefore = getg();
    kernel.stepOnce();
    const changes: string[] = [];
    GPR_NAMES.forEach((name, r) => { const v = reg(r); if (v !== regsBefore[r]) changes.push(`${name}=${hex(v)}`); });
    const bufAfter = gobufOf(watch);
    for (const k of Object.keys(bufAfter) as (keyof typeof bufAfter)[]) {
      if (bufAfter[k] !== bufBefore[k]) changes.push(`${label}.${k}=${hex(bufAfter[k])}`);
    }
    if (getg() !== tlsBefore) changes.push(`TLS g=${hex(getg())} (G${goid(getg())}${isG0(m, getg()) ? ", g0" : ""})`);
    out(`  ${hex(rip)}  ${where(rip).padEnd(24)} ${text.padEnd(34)} ${changes.join(" ")}\n`);
    const c = comment(rip);
    if (c) out(`  ${"".padEnd(10)}  ${"".padEnd(24)} // ${c}\n`);
  };

  out(`mcall (asm/asm_amd64.s), on G${goid(gp)}:\n`);
  for (let i = 0; i < 64 && image.symAt(reg(REG_RIP))?.name === "runtime.mcall"; i++) step(gp, `G${goid(gp)}`);
  const parked = readGobuf(m, gp + g_sched);
  out(`\nG${goid(gp)} is now parked in its gobuf: sp=${hex(parked.sp)} pc=${hex(parked.pc)} ` +
    `(${describe(parked.pc, parked.sp)}). The thread runs g0, in gosched_m.\n\n`);

  // 2. The scheduler, as events, until gogo.
  const events: SchedEvent[] = [];
  const unsubscribe = subscribe(m, (ev) => { events.push(ev); });
  for (let i = 0; i < maxSteps && reg(REG_RIP) !== gogo; i++) kernel.stepOnce();
  unsubscribe();
  out("The scheduler, on g0 (TypeScript: src/runtime/proc.ts):\n");
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
  for (const ev of events) out(`  ${say[ev.kind]?.(ev) ?? formatEvent(ev)}\n`);
  const next = mem.ptr(mem.ptr(reg(4) + 8) + gobuf_g);
  const want = gobufOf(next);
  out(`\ngogo (asm/asm_amd64.s), switching to G${goid(next)}: its gobuf holds sp=${hex(want["sched.sp"])} pc=${hex(want["sched.pc"])} ` +
    `(${describe(want["sched.pc"], want["sched.sp"])}) bp=${hex(want["sched.bp"])} ctxt=${hex(want["sched.ctxt"])}.\n`);
  for (let i = 0; i < 64; i++) {
    const name = image.symAt(reg(REG_RIP))?.name;
    if (name !== "runtime.gogo" && !name?.startsWith("gogo<")) break;
    step(next, `G${goid(next)}`);
  }
  const pc = reg(REG_RIP), sp = reg(4), bp = reg(5);
  // The sentence states only what it has compared with the gobuf gogo read.
  const agree = sp === want["sched.sp"] && bp === want["sched.bp"] && pc === want["sched.pc"];
  if (agree) {
    out(`\nG${goid(next)} runs again at ${describe(pc, sp)}, with SP=${hex(sp)} and BP=${hex(bp)}, as its gobuf said. ` +
      `It stopped in Gosched exactly as G${goid(gp)} just did: to it, mcall has simply returned.\n`);
    return 0;
  }
  const diffs: string[] = [];
  if (pc !== want["sched.pc"]) diffs.push(`PC=${hex(pc)} where gobuf.pc was ${hex(want["sched.pc"])}`);
  if (sp !== want["sched.sp"]) diffs.push(`SP=${hex(sp)} where gobuf.sp was ${hex(want["sched.sp"])}`);
  if (bp !== want["sched.bp"]) diffs.push(`BP=${hex(bp)} where gobuf.bp was ${hex(want["sched.bp"])}`);
  out(`\nG${goid(next)} runs again at ${describe(pc, sp)}, but NOT as its gobuf said: ${diffs.join("; ")}.\n`);
  return 4;
}
