// The stepper: gdb's commands over both layers at once, the machine code
// and the scheduler that drives it.
//
// A stepper owns one machine, built by its host (files on Node:
// src/step/stepper.ts; memory in the browser page: web/), and advances it
// only with the kernel's stepOnce: one instruction of the current thread, or
// one host function run by the bridge when RIP reaches it. So every stop is
// at an instruction boundary, and a run is a sequence of steps that the same
// program, options and seed reproduce exactly. `steps` counts them: it is
// the machine's position.
//
// Reverse execution. `rsi N` and `rc` go back by rebuilding the machine and
// replaying it to the earlier position, which is exact because the machine
// is deterministic. Snapshots were the first idea and are not sound here:
// the TypeScript runtime keeps suspended generators (runtime.main waiting
// on main.main, sysmon's loop, the system goroutines parked for good) that
// JavaScript cannot copy, and from the moment runtime.main starts there is
// no instant with none of them suspended, so no checkpoint of the engine,
// kernel and runtime state could be restored with its generators. What
// replay can save is the cost per step: a step forward checks breakpoints
// and watchpoints after every instruction, a replay checks nothing and
// knows where it stops, so it runs the engine over whole stretches of
// instructions (Kernel.stepMany), stopping only where stepOnce would do
// more than execute one (a host call, a system call, a thread switch, the
// stepper's time slice below, the --preempt-every tick). The checkpoints
// are those positions, computed from the step count: a replay reaches the
// same machine as the steps did (test/step/stepper.test.ts compares the two
// field by field across time slices and ticks). Measured
// (bench/step-back.ts, a goroutine looping 10,000,000 times): `rsi 1` at
// step 2,000,000 costs about 0.10-0.14 s of CPU, the rebuild included,
// and 0.02-0.07 s below step 1,000,000; replaying step by step cost
// about 2 s there (issue 17's figure).
//
// Output. The program's output (fds 1 and 2) is shown after each command,
// each line marked "| " apart from the stepper's own words. Output of steps
// already taken once (before the furthest position reached) is not shown
// again: going back and forward through history reprints nothing.
//
// Stops. Breakpoints: on an address (a symbol as the source spells it, an
// expression, or FILE:LINE, which may map to several addresses), on a
// scheduler event (@switch = gogo, @preempt, @newproc, @park, @ready,
// @steal, @syscall, @signal), each with an optional condition on the
// goroutine (`if goid == 5`); a failed `b` uses up no number. Watchpoints
// compare a field or 8 bytes after every step: `watch g 5 sched.sp` is
// goroutine 5's field wherever it runs, `watch g.sched.sp` the field of the
// goroutine current when the machine stops, bound again at every stop, and
// `watch EXPR` a fixed address.
//
// The kernel's stepOnce switches threads only when one blocks; the stepper
// also asks it to pick again every STEP_SLICE steps, so that a goroutine
// spinning on its thread does not keep sysmon's thread from ever running
// (spin.s ends under `c` as it does under `gmpemu run`).
//
// A command that moves the machine is a Motion: a terminal drives it in
// slices and can drop it between them (Ctrl-C), a page the same way
// between its messages, with the same stops either way; exec drives one to
// its end at once (scripts, tests). This file imports nothing of Node, so
// the page runs the same stepper.
//
// The view at each stop: the instructions around RIP with their source
// lines and each line's comment (the runtime's assembly is commented line
// by line for this reader), every register (the ones the last command
// changed marked with *, or in bold on a terminal), the current g's gobuf
// (inside gogo, the gobuf being restored instead: BX's), the current M, P
// and G, and the displays.

import { REG_RFLAGS, REG_RIP, regId } from "../engine/engine.ts";
import {
  backtrace, curgoid, findG, formatEvent, ginfo, goid, goroutines, gobuf, gwhere, insnAt, isG0, mOf, ms, pOf, pid,
  ps, REG_VIEW_NAMES, sched, subscribe, symbolize, tlsg, where, mid, type SchedEvent,
} from "../debug/view.ts";
import { RunStopped, type Machine, type RunOptions } from "../runtime/boot.ts";
import { g_sched } from "../runtime/offsets.ts";
import { gobuf as gobufDef, off } from "../runtime/runtime2.ts";
import {
  evaluate, gFieldText, lookupRegister, parseGField, readRegister, readUnsigned, resolveG, symbolAddr, symbolError,
  type GFieldExpr,
} from "./expr.ts";
import { fieldNamer } from "./fields.ts";
import { COMMAND_NAMES, helpText } from "./help.ts";

/** The event names of `b @event` and `se @event`, and the events each one means. */
export const EVENT_BREAKS: Readonly<Record<string, SchedEvent["kind"][]>> = {
  "@switch": ["run"], "@preempt": ["preempt"], "@newproc": ["create"], "@park": ["park"], "@ready": ["ready"],
  "@steal": ["steal"], "@syscall": ["syscall", "sysexit"], "@signal": ["signal"],
};

interface Breakpoint {
  id: number;
  spec: string;
  addrs: number[];
  events: SchedEvent["kind"][];
  goid: number | undefined;
  hits: number;
}

interface Watch {
  id: number;
  spec: string;
  /** A goroutine's field (bound again at every stop), or a fixed address. */
  field: GFieldExpr | undefined;
  /** The address compared now (undefined: nothing to watch until the next stop, e.g. no goroutine yet). */
  addr: number | undefined;
  size: number;
  value: bigint;
  hits: number;
}

interface Display { id: number; cmd: string; expr: string }

/** The most units one `x` shows (gdb has no cap; a screenful is what a person reads). */
export const X_MAX_COUNT = 4096;

/** Steps one thread may take before the stepper lets the kernel pick again. */
export const STEP_SLICE = 10_000;

/** The most steps one command runs before it gives up (a program that never stops). */
export const RUN_LIMIT = 50_000_000;

export interface StepperCoreOptions extends Omit<RunOptions, "stdout" | "stderr" | "observe" | "maxInsns"> {
  /** Colour for changed registers (a terminal). */
  color?: boolean;
  /** How a source file's path is shown (the Node stepper: relative to a root). */
  showPath?: (file: string) => string;
  /** Called with every machine built, the first and each one a replay rebuilds (a page's event recorder). */
  onBoot?: (m: Machine) => void;
  /** A source file's text, for the comments beside instructions and `list` (undefined: none). */
  source?: (file: string) => string | undefined;
  /** The program's own files, as pcToLine names them: `s` and `n` stop only on their lines (default: any file but the runtime's). */
  programFiles?: readonly string[];
}

/** Builds a fresh machine for the program with these options (the host's: files on Node, memory in a page). */
export type MachineBuilder = (opts: RunOptions) => Machine;

/**
 * A command that moves the machine, in progress. A terminal drives it to its
 * end at once (exec) or in slices (Ctrl-C); a page drives it a slice at a
 * time, so that it can handle a Stop between slices.
 */
export interface Motion {
  /** Runs at most `budget` more steps: why it stopped ("" when it simply finished), or undefined to go on. */
  advance(budget: number): string | undefined;
  /** Ends the motion (unsubscribes what it listened to); returns the message to show for why it stopped. */
  end(why: string): string;
}

const hex = (v: number | bigint): string => "0x" + v.toString(16);

/** The program's output, each line marked "| " apart from the stepper's own. */
export function quote(s: string): string {
  if (!s) return "";
  return s.replace(/\n$/, "").split("\n").map((l) => "| " + l).join("\n") + "\n";
}

/** Why an interrupted motion stopped (Ctrl-C in a terminal, Stop in a page). */
export const INTERRUPTED = "interrupted";

/** RFLAGS bits gdb names. */
const FLAG_BITS: [number, string][] = [[0, "CF"], [2, "PF"], [4, "AF"], [6, "ZF"], [7, "SF"], [8, "TF"], [9, "IF"], [10, "DF"], [11, "OF"]];

export class StepperCore {
  m!: Machine;
  /** stepOnce calls since the start: the machine's position, for replay. */
  steps = 0;
  /** The furthest position reached: output of steps before it was shown once already. */
  private seen = 0;
  private breaks: Breakpoint[] = [];
  private watches: Watch[] = [];
  private displays: Display[] = [];
  private nextId = 1;
  private nextDisplay = 1;
  private lastRegs: bigint[] = [];
  private eventHit: string | undefined;
  private ended: string | undefined;
  private readonly output: string[] = [];
  /** Drop the program's output (a replay, or a step taken before). */
  private quiet = false;
  /** Positions where earlier commands stopped, for rc. */
  private stops: number[] = [];
  /** Where `list` goes on. */
  private listAt: { file: string; line: number } | undefined;
  private readonly sources = new Map<string, string[]>();

  constructor(private readonly build: MachineBuilder, readonly opts: StepperCoreOptions = {}) {
    this.boot();
  }

  private boot(): void {
    const { color: _c, showPath: _s, onBoot: _o, source: _src, ...machine } = this.opts;
    const ropts: RunOptions = { ...machine, procs: this.opts.procs ?? 1, seed: this.opts.seed ?? 1, engine: this.opts.engine ?? "interp" };
    const dec = new TextDecoder();
    ropts.stdout = ropts.stderr = (b) => { if (!this.quiet) this.output.push(dec.decode(b)); };
    this.m?.engine.close();
    this.m = this.build(ropts);
    this.steps = 0;
    this.ended = undefined;
    // The first thread loaded, as stepOnce would load it (one thread: no
    // choice, no PRNG draw), so the first view shows rt0_go's registers.
    const k = this.m.kernel;
    if (!k.cur && k.threads.length === 1) k.switchTo(k.threads[0]!);
    subscribe(this.m, (ev) => this.onEvent(ev));
    this.opts.onBoot?.(this.m);
    this.lastRegs = this.regs();
  }

  private get mem() { return this.m.mem; }
  private reg(r: number): number { return Number(this.m.engine.getReg(regId(r))); }
  private regs(): bigint[] { return Array.from({ length: 18 }, (_, r) => this.m.engine.getReg(regId(r))); }
  /** The g in the current thread's TLS slot (0 before TLS is set up). */
  getg(): number { return tlsg(this.m); }
  goid(gp: number): number { return goid(this.m, gp); }
  /** The goroutine a condition means (see debug/view.ts curgoid). */
  curgoid(): number { return curgoid(this.m); }

  private onEvent(ev: SchedEvent): void {
    for (const b of this.breaks) {
      if (b.events.includes(ev.kind) && (b.goid === undefined || b.goid === ev.goid)) {
        b.hits++;
        this.eventHit = `breakpoint ${b.id}, ${b.spec}: ${formatEvent(ev)}`;
      }
    }
  }

  /** Why the program can go no further (it exited, or the machine stopped), once it cannot. */
  get end(): string | undefined { return this.ended; }

  /** The breakpoints set (id, what was typed, the addresses it means), for a view that marks them. */
  get breakpoints(): readonly { id: number; spec: string; addrs: readonly number[] }[] {
    return this.breaks.map((b) => ({ id: b.id, spec: b.spec, addrs: b.addrs }));
  }

  private endOf(end: { kind: string; code?: number }): string {
    return end.kind === "exit" ? `the program exited with status ${end.code}` : `the machine stopped: ${end.kind}`;
  }

  /** One step; returns why it must stop, if it must. */
  stepOne(): string | undefined {
    if (this.ended) return this.ended;
    // A time slice for the stepper: every STEP_SLICE steps the kernel picks
    // the next thread (and wakes sleepers), so sysmon runs beside a spinner.
    if (this.steps % STEP_SLICE === STEP_SLICE - 1) this.m.kernel.requestSwitch();
    this.quiet = this.steps < this.seen;
    let end;
    try {
      end = this.m.kernel.stepOnce();
    } catch (e) {
      // A failed switch check (--check) ends the program where it happened.
      if (!(e instanceof RunStopped)) throw e;
      this.steps++;
      if (this.steps > this.seen) this.seen = this.steps;
      return (this.ended = e.message);
    } finally {
      this.quiet = false;
    }
    this.steps++;
    if (this.steps > this.seen) this.seen = this.steps;
    if (end) return (this.ended = this.endOf(end));
    return undefined;
  }

  /**
   * Up to `budget` steps toward position n with nothing checked, as the
   * steps would have taken them (the time slice included): a replay.
   * Returns true when n is reached or the machine ended.
   */
  private fastForward(n: number, budget: number): boolean {
    const k = this.m.kernel;
    const stop = Math.min(n, this.steps + budget);
    this.quiet = true;
    try {
      while (this.steps < stop && !this.ended) {
        if (this.steps % STEP_SLICE === STEP_SLICE - 1) k.requestSwitch();
        // No further than the next time slice: the step before it asks for a switch.
        const toSlice = STEP_SLICE - 1 - (this.steps % STEP_SLICE);
        const r = k.stepMany(Math.min(stop - this.steps, toSlice === 0 ? STEP_SLICE : toSlice));
        this.steps += r.steps;
        if (r.end) this.ended = this.endOf(r.end);
      }
    } finally {
      this.quiet = false;
    }
    if (this.steps > this.seen) this.seen = this.steps;
    return this.steps >= n || this.ended !== undefined;
  }

  /** Binds each watchpoint to what it means now (g.FIELD: the current goroutine's) and takes its value. */
  private bindWatches(): void {
    for (const w of this.watches) {
      w.addr = undefined;
      try {
        if (w.field) {
          const gp = resolveG(this.m, w.field.sel);
          if (gp !== 0) w.addr = gp + w.field.field.off;
        } else {
          w.addr = Number(evaluate(this.m, w.spec).v);
        }
        if (w.addr !== undefined) w.value = readUnsigned(this.m, w.addr, w.size);
      } catch {
        w.addr = undefined; // nothing there yet (a goroutine not yet created, an unmapped page)
      }
    }
  }

  private checkStops(): string | undefined {
    if (this.eventHit) {
      const s = this.eventHit;
      this.eventHit = undefined;
      return s;
    }
    const rip = this.reg(REG_RIP);
    for (const b of this.breaks) {
      if (b.addrs.includes(rip) && (b.goid === undefined || b.goid === this.curgoid())) {
        b.hits++;
        return `breakpoint ${b.id}, ${this.m.image.symbolize(rip) ?? b.spec} at ${hex(rip)}`;
      }
    }
    for (const w of this.watches) {
      if (w.addr === undefined) continue;
      let v: bigint;
      try { v = readUnsigned(this.m, w.addr, w.size); } catch { continue; }
      if (v !== w.value) {
        const s = `watchpoint ${w.id}, ${w.spec}: ${hex(w.value)} -> ${hex(v)}`;
        w.value = v;
        w.hits++;
        return s;
      }
    }
    return undefined;
  }

  /**
   * A motion that runs until a stop or until `done` says so (checked after
   * every step), at most `limit` steps; `report` turns its ending into the
   * message shown, `cleanup` runs once at the end.
   */
  private until(done: () => boolean, report: (why: string) => string = (w) => w, cleanup?: () => void, limit = RUN_LIMIT): Motion {
    let i = 0;
    this.bindWatches();
    return {
      advance: (budget) => {
        for (let k = 0; k < budget; k++) {
          if (i++ >= limit) return `stopped after ${limit} steps`;
          const end = this.stepOne();
          if (end) return end;
          const hit = this.checkStops();
          if (hit) return hit;
          if (done()) return "";
        }
        return undefined;
      },
      end: (why) => {
        cleanup?.();
        return report(why === INTERRUPTED ? `interrupted at step ${this.steps}` : why);
      },
    };
  }

  /** Drives a motion to its end: a script's way. */
  private drive(mo: Motion): string {
    let why: string | undefined;
    try {
      do why = mo.advance(RUN_LIMIT); while (why === undefined);
    } catch (e) {
      mo.end("");
      throw e;
    }
    return mo.end(why);
  }

  /**
   * Rebuilds the machine and replays it to step n (reverse execution), as a
   * motion: the replay stops nowhere else, and breakpoints and watchpoints
   * are set aside until it ends. Each slice of `budget` steps runs fast
   * (fastForward), so a page can still interrupt a long one.
   */
  replay(n: number, report: (why: string) => string = (w) => w): Motion {
    const keepBreaks = this.breaks, keepWatches = this.watches;
    this.breaks = [];
    this.watches = [];
    this.boot();
    return {
      advance: (budget) => (this.fastForward(n, budget) ? "" : undefined),
      end: (why) => {
        this.breaks = keepBreaks;
        this.watches = keepWatches;
        this.bindWatches();
        this.eventHit = undefined;
        return report(why === INTERRUPTED ? `interrupted at step ${this.steps}` : why);
      },
    };
  }

  /** Every address of a location: FILE:LINE (each line's first instruction), else an expression (a symbol, ADDR, $reg, sym+off). */
  resolveLocation(spec: string): number[] {
    const img = this.m.image;
    const fl = /^(.+):(\d+)$/.exec(spec);
    if (fl && !spec.startsWith("$")) {
      const [, file, lineS] = fl;
      const line = Number(lineS);
      // A compiled program's image answers from its line tables (its text is megabytes).
      const linePCs = (img as { linePCs?: (f: string, l: number) => number[] }).linePCs;
      if (linePCs !== undefined) {
        const pcs = linePCs.call(img, file!, line);
        if (pcs.length === 0) throw new Error(`no code at ${spec}`);
        return pcs;
      }
      const out: number[] = [];
      let prev = false;
      for (let a = img.textStart; a < img.textEnd; a++) {
        const l = img.pcToLine(a);
        const hit = l !== undefined && l.line === line && (l.file === file || l.file.endsWith("/" + file!));
        if (hit && !prev) out.push(a);
        prev = hit;
      }
      if (out.length === 0) throw new Error(`no code at ${spec}`);
      return out;
    }
    if (/^[\p{L}_·][\p{L}\p{N}_·./∕]*(<\d*>)?$/u.test(spec)) {
      const a = symbolAddr(this.m, spec);
      if (a === undefined) throw new Error(symbolError(this.m, spec));
      return [a];
    }
    return [Number(evaluate(this.m, spec.replace(/^\*/, "")).v)];
  }

  /**
   * The motion a command line asks for (si ni c finish until se sg rsi rc),
   * or undefined for a command that does not move the machine. Bad
   * arguments throw before anything moves.
   */
  begin(line: string): Motion | undefined {
    const [cmd = "", ...rest] = line.trim().split(/\s+/);
    const arg = rest.join(" ");
    const n = (d: number): number => {
      const v = rest[0] === undefined ? d : /^\d+$/.test(rest[0]) ? Number(rest[0]) : NaN;
      if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${cmd}: not a positive count: ${rest[0]}`);
      return v;
    };
    switch (cmd) {
      case "s": case "step": {
        // To the next line of the program's source that any thread reaches (Delve's step).
        const from = this.lineHere();
        const g = this.curgoid();
        return this.until(() => {
          const l = this.lineHere();
          return l !== undefined && (from === undefined || l.file !== from.file || l.line !== from.line || this.curgoid() !== g);
        });
      }
      case "n": case "next": {
        // To the next line of this goroutine in this frame or its caller: over calls and parks.
        const from = this.lineHere();
        if (from === undefined) throw new Error("next: not in the program's source (use si, ni or finish, or step)");
        const g = this.curgoid(), top = this.frameTop();
        return this.until(() => {
          if (this.curgoid() !== g) return false;
          const l = this.lineHere();
          if (l === undefined) return false;
          const t = this.frameTop();
          return t > top || (t === top && (l.file !== from.file || l.line !== from.line));
        });
      }
      case "si": case "stepi": {
        const k = n(1);
        let i = 0;
        return this.until(() => ++i >= k);
      }
      case "ni": case "nexti": {
        const rip = this.reg(REG_RIP);
        const { text, len } = insnAt(this.m, rip);
        if (!text.startsWith("CALL")) return this.begin("si");
        const sp = this.reg(4), t = this.m.kernel.cur;
        return this.until(() => this.reg(REG_RIP) === rip + len && this.reg(4) === sp && this.m.kernel.cur === t);
      }
      case "c": case "continue":
        return this.until(() => false);
      case "finish": {
        // The return address: through BP for a function with a frame, else at SP.
        const rip = this.reg(REG_RIP);
        const sym = this.m.image.symAt(rip);
        const sp = this.reg(4);
        const retAt = sym?.frame && sym.frame > 0 && rip !== sym.addr ? this.reg(5) + 8 : sp;
        const ret = this.mem.ptr(retAt), t = this.m.kernel.cur;
        return this.until(() => this.reg(REG_RIP) === ret && this.reg(4) > retAt && this.m.kernel.cur === t,
          (why) => why || `returned to ${symbolize(this.m, ret) ?? hex(ret)}`);
      }
      case "until": case "u": {
        if (!arg) throw new Error("until: usage: until SYM|ADDR|FILE:LINE");
        const addrs = this.resolveLocation(arg);
        return this.until(() => addrs.includes(this.reg(REG_RIP)));
      }
      case "se": case "event": {
        // One scheduler event, or the next one of a kind (se @park).
        const kinds = rest[0] === undefined ? undefined : EVENT_BREAKS[rest[0]];
        if (rest[0] !== undefined && kinds === undefined) throw new Error(`se: no event ${rest[0]} (events: ${Object.keys(EVENT_BREAKS).join(" ")})`);
        let seen: SchedEvent | undefined;
        const off = subscribe(this.m, (ev) => { if (kinds === undefined || kinds.includes(ev.kind)) seen ??= ev; });
        return this.until(() => seen !== undefined, (why) => {
          const ev = seen as SchedEvent | undefined;
          return why || (ev ? `event: ${formatEvent(ev)}` : "");
        }, off);
      }
      case "sg": {
        // Steps only goroutine N: the others run but do not stop.
        const want = Number(rest[0]);
        const k = rest[1] === undefined ? 1 : Number(rest[1]);
        if (!Number.isInteger(want) || !Number.isInteger(k) || k < 1) throw new Error("sg: usage: sg GOID [N]");
        const live = this.liveGoids();
        if (!live.includes(want)) throw new Error(`sg: no goroutine ${want} (goroutines: ${live.join(" ") || "none yet"})`);
        let i = 0;
        return this.until(() => this.goid(this.getg()) === want && this.m.image.symAt(this.reg(REG_RIP)) !== undefined && ++i >= k);
      }
      case "rsi": case "reverse-stepi": {
        const k = n(1);
        const to = Math.max(0, this.steps - k);
        return this.replay(to, () => this.steps === 0 && k > to ? `back to the start, step 0` : `back ${k} step${k === 1 ? "" : "s"}, at step ${this.steps}`);
      }
      case "rc": case "reverse-continue": {
        // Back to the previous stop: the latest one before here, never forward.
        let to = 0;
        for (const s of this.stops) if (s < this.steps && s > to) to = s;
        return this.replay(to, () => to === 0 ? "back to the start, step 0 (no earlier stop)" : `back to the previous stop, step ${this.steps}`);
      }
      default:
        return undefined;
    }
  }

  /** Records a motion's stop (for rc); returns what the program printed meanwhile, raw. */
  stopped(): string {
    this.stops.push(this.steps);
    const s = this.output.join("");
    this.output.length = 0;
    return s;
  }

  /** What a terminal shows after a motion ended with `why` (the program's output, why, the view, the displays). */
  afterMotion(why: string, before: bigint[]): string {
    const printed = quote(this.stopped());
    if (this.ended) {
      const say = why && why !== this.ended ? why + "\n" : "";
      return printed + say + `[${this.ended}, step ${this.steps}]\n`;
    }
    return printed + (why ? why + "\n" : "") + this.view(before) + this.showDisplays();
  }

  /** The registers now, for afterMotion's marks. */
  snapshotRegs(): bigint[] { return this.regs(); }

  /** Executes one command line; returns its output. */
  exec(line: string): string {
    const before = this.regs();
    const mo = this.begin(line);
    if (mo) return this.afterMotion(this.drive(mo), before);
    return this.look(line, before);
  }

  /**
   * Executes a command line with its motion in slices of `slice` steps,
   * calling `pause` between them: a terminal's way, which reads Ctrl-C
   * meanwhile. `pause` resolves to true to stop the motion there.
   */
  async execSliced(line: string, pause: () => Promise<boolean>, slice = 100_000): Promise<string> {
    const before = this.regs();
    const mo = this.begin(line);
    if (!mo) return this.look(line, before);
    let why: string | undefined;
    try {
      for (;;) {
        why = mo.advance(slice);
        if (why !== undefined) break;
        if (await pause()) { why = INTERRUPTED; break; }
      }
    } catch (e) {
      mo.end("");
      throw e;
    }
    return this.afterMotion(mo.end(why), before);
  }

  /** The commands that look without moving. */
  private look(line: string, before: bigint[]): string {
    const t = line.trim();
    const [cmd = "", ...rest] = t.split(/\s+/);
    const arg = rest.join(" ");
    const slash = /^(\w+)\/(\S*)$/.exec(cmd);
    const base = slash ? slash[1]! : cmd;
    const fmt = slash ? slash[2]! : "";
    switch (base) {
      case "": return "";
      case "help": case "h": return helpText(rest[0]);
      case "b": case "break": return this.breakCmd(arg);
      case "watch": return this.watchCmd(arg);
      case "delete": case "d": return this.deleteCmd(rest);
      case "info": case "i": return this.info(rest);
      case "regs": return this.regsView(before);
      case "g":
        if (rest.length > 1) return this.print(fmt, arg);
        return this.gView(rest[0] === undefined ? this.getg() : this.findGoroutine(rest[0]));
      case "goroutines": return this.goroutines();
      case "m": return this.msView();
      case "p": case "print":
        if (arg === "" && base === "p" && !slash) return this.psView();
        return this.print(fmt, arg);
      case "ps": return this.psView();
      case "display": return this.displayCmd(fmt, arg);
      case "undisplay": return this.undisplay(rest);
      case "sched": return this.schedView();
      case "bt": case "backtrace": case "where": return this.bt();
      case "disas": case "disassemble": return this.disas(arg);
      case "list": case "l": return this.list(arg);
      case "thread": {
        const tid = Number(rest[0]);
        const th = this.m.kernel.threads.find((x) => x.tid === tid);
        if (!th) throw new Error(`thread: no thread ${rest[0]} (threads: ${this.m.kernel.threads.map((x) => x.tid).join(" ")})`);
        const r = this.threadRegs(th);
        return `thread ${tid} (${th.state}): RIP=${hex(r.rip)} (${symbolize(this.m, r.rip) ?? "?"}) RSP=${hex(r.rsp)}\n`;
      }
      case "threads": return this.threadsView();
      case "x": return this.examine(fmt, arg, cmd);
      default:
        throw new Error(`unknown command "${cmd}" (type help for the commands: ${[...new Set(COMMAND_NAMES.filter((c) => c.length <= 2 || !c.includes("-")))].slice(0, 12).join(" ")} ...)`);
    }
  }

  // --- stops -------------------------------------------------------------------------

  private breakCmd(arg: string): string {
    const m = /^(\S+)(?:\s+if\s+goid\s*==\s*(\d+))?$/.exec(arg);
    if (!m) throw new Error("b: usage: b SYM|ADDR|FILE:LINE|@event [if goid == N]");
    const spec = m[1]!;
    const goid = m[2] !== undefined ? Number(m[2]) : undefined;
    const events = EVENT_BREAKS[spec];
    if (spec.startsWith("@") && !events) throw new Error(`b: no event ${spec} (events: ${Object.keys(EVENT_BREAKS).join(" ")})`);
    // Resolved before a number is taken: a failed b uses up none.
    const addrs = events ? [] : this.resolveLocation(spec);
    const b: Breakpoint = { id: this.nextId++, spec, addrs, events: events ?? [], goid, hits: 0 };
    this.breaks.push(b);
    return `breakpoint ${b.id} at ${events ? spec : b.addrs.map((a) => `${hex(a)}${this.m.image.symbolize(a) ? ` <${this.m.image.symbolize(a)}>` : ""}`).join(", ")}${goid !== undefined ? ` if goid == ${goid}` : ""}\n`;
  }

  private watchCmd(arg: string): string {
    if (!arg) throw new Error("watch: usage: watch g N FIELD | g.FIELD | EXPR (g 5 sched.sp, g.sched.sp, 0xc000000138)");
    const field = parseGField(arg);
    const w: Watch = { id: 0, spec: field ? gFieldText(field) : arg, field, addr: undefined, size: field ? field.field.size : 8, value: 0n, hits: 0 };
    if (field) {
      const gp = resolveG(this.m, field.sel);
      // Before TLS holds a g, g.FIELD waits for the first stop that has one.
      if (gp !== 0) w.addr = gp + field.field.off;
    } else {
      w.addr = Number(evaluate(this.m, arg).v);
    }
    if (w.addr !== undefined) w.value = readUnsigned(this.m, w.addr, w.size);
    w.id = this.nextId++;
    this.watches.push(w);
    if (w.addr === undefined) return `watchpoint ${w.id}: ${w.spec} (no current goroutine yet: the current goroutine's at each stop)\n`;
    const whose = field ? field.sel.kind === "current" ? ` (now G${this.goid(w.addr - field.field.off)}'s, the current goroutine's at each stop)` : ` (goroutine ${field.sel.goid}'s)` : "";
    return `watchpoint ${w.id}: ${w.spec}${whose} at ${hex(w.addr)} = ${hex(w.value)}\n`;
  }

  private deleteCmd(rest: string[]): string {
    if (rest.length === 0) {
      const n = this.breaks.length + this.watches.length;
      this.breaks = [];
      this.watches = [];
      return `deleted all breakpoints and watchpoints (${n})\n`;
    }
    // All or nothing, as a typo must not half-apply.
    const known = [...this.breaks.map((b) => b.id), ...this.watches.map((w) => w.id)];
    for (const a of rest) {
      if (!/^\d+$/.test(a) || !known.includes(Number(a))) {
        throw new Error(`delete: no breakpoint or watchpoint ${a} (${known.length ? `set: ${known.join(" ")}` : "none set"})`);
      }
    }
    for (const id of rest.map(Number)) {
      this.breaks = this.breaks.filter((b) => b.id !== id);
      this.watches = this.watches.filter((w) => w.id !== id);
    }
    return `deleted ${rest.join(" ")}\n`;
  }

  // --- info, p, display ------------------------------------------------------------

  private info(rest: string[]): string {
    const [sub = "", ...args] = rest;
    if ("registers".startsWith(sub) && sub.length >= 1 || sub === "all-registers") return this.infoRegisters(args);
    if ("breakpoints".startsWith(sub) && sub.length >= 1 || sub === "watchpoints") return this.infoBreakpoints();
    if ("display".startsWith(sub) && sub.length >= 2) return this.infoDisplay();
    if (sub === "threads") return this.threadsView();
    if (sub === "goroutines") return this.goroutines();
    throw new Error(`info: usage: info registers [REG...] | breakpoints | display | threads | goroutines`);
  }

  private infoRegisters(names: string[]): string {
    const amd = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
    const row = (name: string, goName: string, v: bigint, natural: string): string =>
      `${`${name} (${goName})`.padEnd(15)}${hex(v).padEnd(20)}${natural}`;
    const flags = (v: bigint): string => `[ ${FLAG_BITS.filter(([b]) => (v >> BigInt(b)) & 1n).map(([, n]) => n).join(" ")} ]`;
    const one = (id: number): string => {
      const v = this.m.engine.getReg(regId(id));
      if (id === REG_RIP) return row("rip", "PC", v, symbolize(this.m, Number(v)) ? `<${symbolize(this.m, Number(v))}>` : "");
      if (id === REG_RFLAGS) return row("eflags", "FLAGS", v, flags(v));
      const natural = id === 4 || id === 5 ? (symbolize(this.m, Number(v)) ?? hex(v)) : BigInt.asIntN(64, v).toString();
      return row(amd[id]!, REG_VIEW_NAMES[id]!, v, natural);
    };
    if (names.length === 0) return [...Array.from({ length: 16 }, (_, i) => one(i)), one(REG_RIP), one(REG_RFLAGS)].join("\n") + "\n";
    return names.map((n) => {
      const r = lookupRegister(n.replace(/^\$/, ""));
      if (!r) throw new Error(`info registers: unknown register ${n} (rax … r15, rip, eflags, or Go's AX … R15, SP, BP, PC)`);
      if (r.bytes === 4) return `${r.name.padEnd(15)}${hex(readRegister(this.m, r)).padEnd(20)}${readRegister(this.m, r)}`;
      return one(r.id);
    }).join("\n") + "\n";
  }

  private infoBreakpoints(): string {
    if (this.breaks.length + this.watches.length === 0) return "no breakpoints or watchpoints\n";
    const rows: string[][] = [["Num", "Type", "Hits", "What"]];
    const all = [
      ...this.breaks.map((b) => ({ id: b.id, row: [String(b.id), "breakpoint", String(b.hits),
        (b.events.length ? b.spec : `${b.spec} at ${b.addrs.map(hex).join(", ")}`) + (b.goid !== undefined ? ` if goid == ${b.goid}` : "")] })),
      ...this.watches.map((w) => ({ id: w.id, row: [String(w.id), "watchpoint", String(w.hits),
        `${w.spec}${w.addr !== undefined ? ` at ${hex(w.addr)} = ${hex(w.value)}` : " (nothing to watch until the next stop)"}`] })),
    ].sort((a, b) => a.id - b.id);
    for (const x of all) rows.push(x.row);
    const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    return rows.map((r) => `${r[0]!.padEnd(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]!.padEnd(w[2]!)}  ${r[3]}`).join("\n") + "\n";
  }

  private infoDisplay(): string {
    if (this.displays.length === 0) return "no displays\n";
    return this.displays.map((d) => `${d.id}: ${d.cmd} ${d.expr}`).join("\n") + "\n";
  }

  /** `p[/x|/d|/u] EXPR`. */
  private print(fmt: string, expr: string): string {
    if (!/^[xdu]?$/.test(fmt)) throw new Error(`print: unknown format /${fmt} (x, d, u)`);
    if (!expr) throw new Error("print: usage: p[/x|/d] EXPR ($rsp, $AX, g.sched.sp, g 5 sched.pc, runtime·gogo, *($sp+8))");
    const v = evaluate(this.m, expr);
    const signed = BigInt.asIntN(v.size * 8, v.v);
    let text: string;
    if (fmt === "x") text = hex(v.v);
    else if (fmt === "d") text = signed.toString();
    else if (fmt === "u") text = v.v.toString();
    else {
      const sym = v.v < 2n ** 53n ? symbolize(this.m, Number(v.v)) : undefined;
      text = sym ? `${hex(v.v)} <${sym}>` : v.what === "number" && v.v < 0x10000n ? v.v.toString() : `${hex(v.v)} (${signed})`;
    }
    return `${expr} = ${text}\n`;
  }

  private displayCmd(fmt: string, expr: string): string {
    if (!expr) return this.showDisplays() || "no displays\n";
    // display/i $pc and display/4gx $sp show memory, as x does; /x, /d, /u print a value.
    const cmd = fmt === "" ? "p" : /^[xdu]$/.test(fmt) ? `p/${fmt}` : `x/${fmt}`;
    const d: Display = { id: this.nextDisplay++, cmd, expr };
    let first: string;
    try {
      first = this.runDisplay(d);
    } catch (e) {
      this.nextDisplay--;
      throw e;
    }
    this.displays.push(d);
    return first;
  }

  private runDisplay(d: Display): string {
    const [c, f = ""] = d.cmd.split("/");
    const body = c === "p" ? this.print(f, d.expr) : this.examine(f, d.expr, d.cmd);
    return `${d.id}: ${d.cmd} ${d.expr}\n${body.replace(/^/gm, "   ").replace(/ +$/, "")}`;
  }

  /** Every display's text (at a stop). */
  private showDisplays(): string {
    return this.displays.map((d) => {
      try { return this.runDisplay(d); } catch (e) { return `${d.id}: ${d.cmd} ${d.expr}: ${(e as Error).message}\n`; }
    }).join("");
  }

  private undisplay(rest: string[]): string {
    if (rest.length === 0) { this.displays = []; return "deleted all displays\n"; }
    const known = this.displays.map((d) => d.id);
    for (const a of rest) if (!/^\d+$/.test(a) || !known.includes(Number(a))) throw new Error(`undisplay: no display ${a} (${known.length ? `displays: ${known.join(" ")}` : "none"})`);
    this.displays = this.displays.filter((d) => !rest.includes(String(d.id)));
    return `deleted display ${rest.join(" ")}\n`;
  }

  // --- the view ----------------------------------------------------------------------

  private mark(s: string, changed: boolean): string {
    if (!changed) return s + " ";
    return this.opts.color ? `\x1b[1;33m${s}\x1b[0m ` : s + "*";
  }

  /** RIP's line, when it is in the program's own source (not the runtime, a host function, the library). */
  private lineHere(): { file: string; line: number } | undefined {
    const l = this.m.image.pcToLine(this.reg(REG_RIP));
    if (l === undefined) return undefined;
    const files = this.opts.programFiles;
    if (files !== undefined) return files.includes(l.file) ? l : undefined;
    // Without a list: anything but the runtime's assembly and Go's own sources.
    return /(^|\/)asm\/[^/]+\.s$|\/src\/runtime\/|\/go-1\.\d+\/src\//.test(l.file) ? undefined : l;
  }

  /** The top of the current frame: SP plus the compiled function's SP delta (SP elsewhere). */
  private frameTop(): number {
    const rip = this.reg(REG_RIP), sp = this.reg(4);
    return sp + (this.m.go?.spdelta(rip) ?? 0);
  }

  private where(pc: number): string {
    return where(this.m, pc, this.opts.showPath);
  }

  private sourceLines(file: string): string[] {
    let lines = this.sources.get(file);
    if (!lines) {
      lines = this.opts.source?.(file)?.split("\n") ?? [];
      this.sources.set(file, lines);
    }
    return lines;
  }

  /** The comment of pc's source line ("" when none). */
  comment(pc: number): string {
    const l = this.m.image.pcToLine(pc);
    if (!l) return "";
    const text = this.sourceLines(l.file)[l.line - 1] ?? "";
    const i = text.indexOf("//");
    return i >= 0 ? text.slice(i + 2).trim() : "";
  }

  /** One instruction line: marker, address, source line, disassembly, comment. */
  private insnLine(a: number, rip: number, sym?: { addr: number }): string {
    const text = insnAt(this.m, a).text;
    const c = this.comment(a);
    const off = sym ? ` <+${a - sym.addr}>`.padEnd(8) : "";
    return `${a === rip ? "=>" : "  "} ${hex(a)}${off}  ${this.where(a).padEnd(26)} ${c ? `${text.padEnd(30)}  // ${c}` : text}`.trimEnd();
  }

  /** Where the machine stands, in words: for the opening screen. */
  intro(file: string): string {
    const rip = this.reg(REG_RIP);
    const at = symbolize(this.m, rip) ?? hex(rip);
    const src = this.where(rip);
    return `gmpemu step: ${file}, stopped before its first instruction (step 0, thread ${this.m.kernel.cur?.tid ?? "-"} at ${at}${src ? `, ${src}` : ""}).\n` +
      "Type help for the commands (gdb's: si, ni, c, b, x, p, info registers, disas, list ...), quit to leave.\n";
  }

  /** The stop view: code around RIP, registers, gobuf, M/P/G. */
  view(before: bigint[] = this.lastRegs): string {
    if (this.ended) return `[${this.ended}, step ${this.steps}]\n`;
    const out: string[] = [];
    const rip = this.reg(REG_RIP);
    const img = this.m.image;
    const sym = img.symAt(rip);
    const host = this.m.bridge.nameAt(rip);
    const hostFile = host ? this.m.bridge.table.fileOf(host.replace(/ \(.*$/, "")) : undefined;
    out.push(`step ${this.steps}, thread ${this.m.kernel.cur?.tid ?? "-"}: ${sym ? img.symbolize(rip) : host ? `${host} (host function${hostFile ? `, TypeScript: ${hostFile}` : ""})` : hex(rip)}`);
    // A Go program's source line at RIP (an assembly program's is its instruction's comment).
    const src = this.m.go !== undefined ? img.pcToLine(rip) : undefined;
    const srcText = src !== undefined && src.file.endsWith(".go") ? this.opts.source?.(src.file)?.split("\n")[src.line - 1] : undefined;
    if (src !== undefined && srcText !== undefined) out.push(`${this.where(rip)}: ${srcText.trim()}`);
    if (sym) {
      // Decode from the symbol's start to show up to 3 instructions before RIP and 3 after.
      const pcs = this.decodeFunction(sym.addr, sym.size);
      let i = pcs.indexOf(rip);
      if (i < 0) i = 0;
      for (const a of pcs.slice(Math.max(0, i - 3), i + 4)) out.push(this.insnLine(a, rip));
    }
    out.push(this.regsView(before).trimEnd());
    const gp = this.getg();
    const restoring = this.gogoBuf(rip);
    if (gp !== 0) {
      const mp = mOf(this.m, gp), pp = pOf(this.m, mp);
      const b = gobuf(this.m, gp + g_sched);
      const who = `G${this.goid(gp)}${isG0(this.m, gp) ? " (g0)" : ""} M${mp !== 0 ? mid(this.m, mp) : "-"} P${pp !== 0 ? pid(this.m, pp) : "-"}`;
      out.push(restoring === undefined ? `${who}  gobuf: sp=${hex(b.sp)} pc=${hex(b.pc)} bp=${hex(b.bp)} ctxt=${hex(b.ctxt)} ret=${hex(b.ret)}` : who);
    }
    if (restoring !== undefined) {
      const b = gobuf(this.m, restoring);
      const pcName = symbolize(this.m, b.pc);
      out.push(`gogo restores G${this.goid(b.g)}'s gobuf (at ${hex(restoring)}): sp=${hex(b.sp)} pc=${hex(b.pc)}${pcName ? ` (${pcName})` : ""} bp=${hex(b.bp)} ctxt=${hex(b.ctxt)} ret=${hex(b.ret)}`);
    }
    this.lastRegs = this.regs();
    return out.join("\n") + "\n";
  }

  /** Inside gogo, the gobuf it restores: its argument in runtime.gogo (8(SP)), BX in gogo<>. */
  private gogoBuf(rip: number): number | undefined {
    const name = this.m.image.symAt(rip)?.name;
    try {
      let buf: number | undefined;
      if (name === "runtime.gogo") buf = this.mem.ptr(this.reg(4) + 8);
      else if (name?.startsWith("gogo<")) buf = this.reg(3);
      // gogo<>'s last load replaces BX with the gobuf's pc: past it BX is no
      // gobuf, which its g field (no goroutine's) tells.
      if (buf !== undefined && this.m.allgs.includes(this.mem.ptr(buf + off(gobufDef, "g")))) return buf;
    } catch { /* no stack there, or BX is no pointer */ }
    return undefined;
  }

  /** The instruction addresses of a function, decoded from memory. */
  private decodeFunction(addr: number, size: number): number[] {
    const pcs: number[] = [];
    for (let a = addr; a < addr + size && pcs.length < 4096;) {
      pcs.push(a);
      a += Math.max(1, insnAt(this.m, a).len);
    }
    return pcs;
  }

  private regsView(before: bigint[]): string {
    const now = this.regs();
    const cells = REG_VIEW_NAMES.slice(0, 16).map((n, r) => this.mark(`${n.padEnd(3)} ${hex(now[r]!).padStart(18)}`, now[r] !== before[r]));
    cells.push(this.mark(`RIP ${hex(now[REG_RIP]!).padStart(18)}`, now[REG_RIP] !== before[REG_RIP]));
    cells.push(this.mark(`FLG ${hex(now[REG_RFLAGS]!).padStart(18)}`, now[REG_RFLAGS] !== before[REG_RFLAGS]));
    const rows: string[] = [];
    for (let i = 0; i < cells.length; i += 4) rows.push(cells.slice(i, i + 4).join("  "));
    return rows.join("\n") + "\n";
  }

  /** `disas [LOC]`: the whole function, RIP marked. */
  private disas(arg: string): string {
    const rip = this.reg(REG_RIP);
    const at = arg ? this.resolveLocation(arg)[0]! : rip;
    const sym = this.m.image.symAt(at);
    if (!sym) {
      const host = this.m.bridge.nameAt(at);
      throw new Error(host ? `disas: ${host} is a host function (TypeScript: ${this.m.bridge.table.fileOf(host.replace(/ \(.*$/, "")) ?? "src/runtime"}), it has no machine code`
        : `disas: no function at ${hex(at)}`);
    }
    const lines = this.decodeFunction(sym.addr, sym.size).map((a) => this.insnLine(a, rip, sym));
    return `Dump of assembler code for function ${sym.name}:\n${lines.join("\n")}\nEnd of assembler dump.\n`;
  }

  /** `list [LOC]`: ten source lines around a location (RIP by default); again, the next ten. */
  private list(arg: string): string {
    let file: string, line: number;
    if (arg === "" && this.listAt) {
      // Again: the ten lines after the last shown (centred 4 below the first).
      ({ file, line } = this.listAt);
      line += 4;
    } else if (/^\d+$/.test(arg)) {
      const l = this.m.image.pcToLine(this.reg(REG_RIP)) ?? this.listAt;
      if (!l) throw new Error("list: no current source file (list FILE:LINE)");
      file = l.file;
      line = Number(arg);
    } else {
      const fl = /^(.+):(\d+)$/.exec(arg);
      const pc = arg === "" ? this.reg(REG_RIP) : fl ? this.resolveLocation(arg)[0]! : this.resolveLocation(arg)[0]!;
      const l = this.m.image.pcToLine(pc);
      if (!l) throw new Error(arg === "" ? `list: no source line at RIP (${symbolize(this.m, pc) ?? hex(pc)})` : `list: no source line at ${arg}`);
      file = l.file;
      line = fl ? Number(fl[2]) : l.line;
    }
    const text = this.sourceLines(file);
    if (text.length === 0) throw new Error(`list: cannot read ${this.opts.showPath?.(file) ?? file}`);
    const from = Math.max(1, line - 4), to = Math.min(text.length, from + 9);
    if (from > text.length) throw new Error(`list: line ${line} is beyond ${this.opts.showPath?.(file) ?? file} (${text.length} lines)`);
    this.listAt = { file, line: to + 1 };
    const cur = this.m.image.pcToLine(this.reg(REG_RIP));
    const out = [`${this.opts.showPath?.(file) ?? file}:`];
    for (let n = from; n <= to; n++) {
      const here = cur && cur.file === file && cur.line === n;
      out.push(`${here ? "=>" : "  "} ${String(n).padStart(4)}  ${text[n - 1]}`.trimEnd());
    }
    return out.join("\n") + "\n";
  }

  /** The goids of the goroutines that are not dead, in creation order. */
  private liveGoids(): number[] {
    return goroutines(this.m).map((g) => g.goid);
  }

  private findGoroutine(text: string): number {
    const id = /^\d+$/.test(text) ? Number(text) : NaN;
    const gp = Number.isSafeInteger(id) ? findG(this.m, id) : undefined;
    if (gp === undefined) throw new Error(`no goroutine ${text} (goroutines: ${this.liveGoids().join(" ") || "none yet"})`);
    return gp;
  }

  private gView(gp: number): string {
    if (gp === 0) return "no current g\n";
    const g = ginfo(this.m, gp);
    const b = g.sched;
    return `G${g.goid} at ${hex(gp)}: ${g.statusName}${g.waitReason ? ` (${g.waitReason})` : ""}\n` +
      `  stack [${hex(g.stackLo)}, ${hex(g.stackHi)})\n` +
      `  gobuf: sp=${hex(b.sp)} pc=${hex(b.pc)} (${symbolize(this.m, b.pc) ?? "?"}) ` +
      `g=${hex(b.g)} ctxt=${hex(b.ctxt)} ret=${hex(b.ret)} bp=${hex(b.bp)}\n`;
  }

  private goroutines(): string {
    const cur = this.getg();
    return goroutines(this.m).map((g) =>
      `${g.gp === cur ? "*" : " "} G${g.goid}  ${g.statusName}${g.waitReason ? ` (${g.waitReason})` : ""}  ${gwhere(this.m, g.gp)}`,
    ).join("\n") + "\n";
  }

  private msView(): string {
    return ms(this.m).map((x) =>
      `M${x.id} thread ${x.procid}: curg ${x.curg ? `G${this.goid(x.curg)}` : "-"}, P ${x.p ? pid(this.m, x.p) : "-"}${x.spinning ? ", spinning" : ""}`,
    ).join("\n") + "\n";
  }

  private psView(): string {
    return ps(this.m).map((p) =>
      `P${p.id} ${p.statusName} M${p.m ? mid(this.m, p.m) : "-"} schedtick=${p.schedtick} ` +
      `runnext=${p.runnext ? `G${this.goid(p.runnext)}` : "-"} runq=[${p.runq.map((g) => `G${this.goid(g)}`).join(" ")}]`,
    ).join("\n") + "\n";
  }

  private schedView(): string {
    const s = sched(this.m);
    return `global runq (${s.runqsize}): [${s.runq.map((g) => `G${this.goid(g)}`).join(" ")}]\n` +
      `idle Ps: ${s.npidle}, idle Ms: ${s.nmidle}, spinning Ms: ${s.nmspinning}\n`;
  }

  /** A thread's RIP and RSP: live from the engine for the thread loaded in it, else as the kernel saved them. */
  private threadRegs(t: { regs: bigint[] }): { rip: number; rsp: number } {
    if (t === this.m.kernel.cur) return { rip: this.reg(REG_RIP), rsp: this.reg(4) };
    return { rip: Number(t.regs[REG_RIP]!), rsp: Number(t.regs[4]!) };
  }

  private threadsView(): string {
    return this.m.kernel.threads.map((t) => {
      const r = this.threadRegs(t);
      const at = symbolize(this.m, r.rip);
      return `${t === this.m.kernel.cur ? "*" : " "} thread ${t.tid} ${t.state} RIP=${hex(r.rip)}${at ? ` (${at})` : ""}`;
    }).join("\n") + "\n";
  }

  /** Assembly frames by the frame-pointer chain, and host frames through the bridge. */
  private bt(): string {
    return backtrace(this.m, 64, this.opts.showPath).map((f) =>
      f.kind === "host" ? `#${f.depth} ${f.name} (TypeScript runtime: ${f.where})` : `#${f.depth} ${f.name} ${f.where}`,
    ).join("\n") + "\n";
  }

  /** `x/NFU EXPR`: memory as numbers (fields of runtime structures named), or as instructions (F = i). */
  private examine(fmtText: string, arg: string, cmd: string): string {
    const m = /^(\d*)([xducibhwg]*)$/.exec(fmtText);
    if (!m || /([xduci]).*\1|([bhwg]).*\2/.test(m[2] ?? "") || (m[2] ?? "").replace(/[bhwg]/g, "").length > 1) {
      throw new Error("x: usage: x/NFU EXPR (F: x d u c, or i for instructions; U: b h w g)");
    }
    const count = m[1] ? Number(m[1]) : 1;
    if (!(count >= 1 && count <= X_MAX_COUNT)) throw new Error(`x: count ${m[1]} out of range (1 to ${X_MAX_COUNT})`);
    const fmt = /[xduci]/.exec(m[2] ?? "")?.[0] ?? "x";
    if (!arg.trim()) throw new Error(`${cmd}: an address is needed ($sp, $pc, 0xc000000138, g.sched.sp, runtime·gogo ...)`);
    let addr: number;
    try {
      addr = Number(evaluate(this.m, arg).v);
    } catch (e) {
      throw new Error(`x: ${(e as Error).message}`);
    }
    if (fmt === "i") {
      const rip = this.reg(REG_RIP);
      const out: string[] = [];
      for (let a = addr, i = 0; i < count; i++) {
        const d = insnAt(this.m, a);
        const sym = this.m.image.symbolize(a);
        out.push(`${a === rip ? "=>" : "  "} ${hex(a)}${sym ? ` <${sym}>` : ""}  ${d.text}`);
        a += Math.max(1, d.len);
      }
      return out.join("\n") + "\n";
    }
    const size = { b: 1, h: 2, w: 4, g: 8 }[(/[bhwg]/.exec(m[2] ?? "")?.[0] ?? "g") as "b"];
    const bytes = this.m.engine.read(addr, count * size);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const vals: string[] = [];
    for (let i = 0; i < count; i++) {
      const v = size === 8 ? dv.getBigUint64(i * 8, true) : BigInt(size === 4 ? dv.getUint32(i * 4, true) : size === 2 ? dv.getUint16(i * 2, true) : dv.getUint8(i));
      const signed = BigInt.asIntN(size * 8, v);
      vals.push(fmt === "x" ? hex(v) : fmt === "d" ? signed.toString() : fmt === "c" ? JSON.stringify(String.fromCharCode(Number(v & 0xffn))) : v.toString());
    }
    // Inside a g, an M, a P or sched: one unit a line, each named.
    const name = fieldNamer(this.m);
    const names = vals.map((_, i) => name(addr + i * size));
    if (names.some((n) => n !== undefined)) {
      const w = Math.max(...names.map((n) => (n ?? "").length));
      return vals.map((v, i) => `${hex(addr + i * size)} ${`<${names[i] ?? "?"}>`.padEnd(w + 2)}: ${v}`).join("\n") + "\n";
    }
    const rows: string[] = [];
    const per = size === 8 ? 2 : size === 4 ? 4 : 8;
    for (let i = 0; i < vals.length; i += per) rows.push(`${hex(addr + i * size)}: ${vals.slice(i, i + per).join("\t")}`);
    return rows.join("\n") + "\n";
  }
}
