// The stepper: gdb's commands over both layers at once, the machine code
// and the scheduler that drives it.
//
// A Stepper owns one machine (buildMachine) and advances it only with the
// kernel's stepOnce: one instruction of the current thread, or one host
// function run by the bridge when RIP reaches it. So every stop is at an
// instruction boundary, and a run is a sequence of steps that the same
// program, options and seed reproduce exactly.
//
// That sequence is what reverse stepping uses. The machine cannot be
// snapshotted whole: the TypeScript runtime's host functions are suspended
// JavaScript generators, which cannot be copied. Instead `rsi N` and `rc`
// rebuild the machine and replay the first (steps - N) steps, which is
// exact because the machine is deterministic, and costs no memory for
// history. (DESIGN.md's first idea was snapshots; replay is what works
// with generators, and it is bounded by time, not memory.)
//
// Breakpoints: on an address (a symbol, ADDR, or FILE:LINE, which may map
// to several addresses), on a scheduler event (@switch = gogo, @preempt,
// @newproc, @park, @ready, @steal, @syscall, @signal), each with an
// optional condition on the goroutine (`if goid == 5`). Watchpoints compare
// 8 bytes after every step.
//
// The kernel's stepOnce switches threads only when one blocks; the stepper
// also asks it to pick again every STEP_SLICE steps, so that a goroutine
// spinning on its thread does not keep sysmon's thread from ever running
// (spin.s ends under `c` as it does under `gmpemu run`).
//
// The view at each stop: the instructions around RIP with their source
// lines, every register (the ones the last command changed marked with *,
// or in bold on a terminal), the current g's gobuf, and the current M, P
// and G.

import { relative } from "node:path";
import { REG_RFLAGS, REG_RIP, regId } from "../engine/engine.ts";
import {
  backtrace, curgoid, findG, formatEvent, ginfo, goid, goroutines, gobuf, gwhere, insnAt, isG0, mOf, ms, pOf, pid,
  ps, REG_VIEW_NAMES, sched, subscribe, symbolize, tlsg, where, mid, type SchedEvent,
} from "../debug/view.ts";
import { buildMachine, type Machine, type RunOptions } from "../node/boot.ts";
import { g_sched, gobuf_bp, gobuf_pc, gobuf_sp } from "../runtime/offsets.ts";

const EVENT_BREAKS: Record<string, SchedEvent["kind"][]> = {
  "@switch": ["run"], "@preempt": ["preempt"], "@newproc": ["create"], "@park": ["park"], "@ready": ["ready"],
  "@steal": ["steal"], "@syscall": ["syscall", "sysexit"], "@signal": ["signal"],
};

interface Breakpoint {
  id: number;
  spec: string;
  addrs: number[];
  events: SchedEvent["kind"][];
  goid: number | undefined;
}

interface Watch { id: number; spec: string; addr: number; value: bigint }

/** The most units one `x` shows (gdb has no cap; a screenful is what a person reads). */
export const X_MAX_COUNT = 4096;

/** Steps one thread may take before the stepper lets the kernel pick again. */
export const STEP_SLICE = 10_000;

export interface StepperOptions extends Pick<RunOptions, "procs" | "seed" | "engine" | "timeslice" | "preemptEvery" | "asyncpreemptoff"> {
  /** Colour for changed registers (a terminal). */
  color?: boolean;
  /** Root for relative paths. */
  root?: string;
}

const hex = (v: number | bigint): string => "0x" + v.toString(16);

export class Stepper {
  m!: Machine;
  /** stepOnce calls since the start: the machine's position, for replay. */
  steps = 0;
  private breaks: Breakpoint[] = [];
  private watches: Watch[] = [];
  private nextId = 1;
  private lastRegs: bigint[] = [];
  private eventHit: string | undefined;
  private ended: string | undefined;
  private readonly output: string[] = [];
  /** Stop positions (steps) of earlier commands, for rc. */
  private stops: number[] = [];

  constructor(readonly file: string, readonly opts: StepperOptions = {}) {
    this.boot();
  }

  private boot(): void {
    const ropts: RunOptions = { procs: this.opts.procs ?? 1, seed: this.opts.seed ?? 1, engine: this.opts.engine ?? "interp" };
    if (this.opts.timeslice !== undefined) ropts.timeslice = this.opts.timeslice;
    if (this.opts.preemptEvery !== undefined) ropts.preemptEvery = this.opts.preemptEvery;
    if (this.opts.asyncpreemptoff) ropts.asyncpreemptoff = true;
    ropts.stdout = ropts.stderr = (b) => this.output.push(new TextDecoder().decode(b));
    this.m?.engine.close();
    this.m = buildMachine([this.file], ropts);
    this.steps = 0;
    this.ended = undefined;
    subscribe(this.m, (ev) => this.onEvent(ev));
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
        this.eventHit = `breakpoint ${b.id}, ${b.spec}: ${formatEvent(ev)}`;
      }
    }
  }

  /** One step; returns why it must stop, if it must. */
  private stepOne(): string | undefined {
    if (this.ended) return this.ended;
    // A time slice for the stepper: every STEP_SLICE steps the kernel picks
    // the next thread (and wakes sleepers), so sysmon runs beside a spinner.
    if (this.steps % STEP_SLICE === STEP_SLICE - 1) this.m.kernel.requestSwitch();
    const end = this.m.kernel.stepOnce();
    this.steps++;
    if (end) {
      this.ended = end.kind === "exit" ? `the program exited with status ${end.code}` : `the machine stopped: ${end.kind}`;
      return this.ended;
    }
    return undefined;
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
        return `breakpoint ${b.id}, ${this.m.image.symbolize(rip) ?? b.spec} at ${hex(rip)}`;
      }
    }
    for (const w of this.watches) {
      let v: bigint;
      try { v = this.mem.u64(w.addr); } catch { continue; }
      if (v !== w.value) {
        const s = `watchpoint ${w.id}, ${w.spec}: ${hex(w.value)} -> ${hex(v)}`;
        w.value = v;
        return s;
      }
    }
    return undefined;
  }

  /** Runs until a stop or until `done` says so (checked after every step), at most `limit` steps. */
  private runUntil(done: () => boolean, limit = 50_000_000): string {
    for (let i = 0; i < limit; i++) {
      const end = this.stepOne();
      if (end) return end;
      const hit = this.checkStops();
      if (hit) return hit;
      if (done()) return "";
    }
    return `stopped after ${limit} steps`;
  }

  /** Rebuilds the machine and replays to step n (reverse execution). */
  private replayTo(n: number): void {
    const keepBreaks = this.breaks, keepWatches = this.watches;
    this.breaks = [];
    this.watches = [];
    this.boot();
    while (this.steps < n && !this.stepOne());
    this.breaks = keepBreaks;
    for (const w of keepWatches) {
      try { w.value = this.mem.u64(w.addr); } catch { /* unmapped for now */ }
    }
    this.watches = keepWatches;
    this.eventHit = undefined;
  }

  /** Address of a symbol, a number, or every first address of FILE:LINE. */
  resolveLocation(spec: string): number[] {
    const img = this.m.image;
    if (/^(0x[0-9a-f]+|\d+)$/i.test(spec)) return [Number(spec)];
    const fl = /^(.+):(\d+)$/.exec(spec);
    if (fl) {
      const [, file, lineS] = fl;
      const line = Number(lineS);
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
    const name = spec.replace(/·/g, ".").replace(/^\./, "main.");
    const a = img.addrOf(name) ?? img.addrOf(`main.${name}`) ?? img.addrOf(`runtime.${name}`) ?? (this.m.bridge.has(name) ? this.m.bridge.addrOf(name) : undefined);
    if (a === undefined) throw new Error(`no symbol "${spec}"`);
    return [a];
  }

  /** Executes one command line; returns its output. */
  exec(line: string): string {
    const before = this.regs();
    const [cmd = "", ...rest] = line.trim().split(/\s+/);
    const arg = rest.join(" ");
    const n = (d: number): number => {
      const v = rest[0] === undefined ? d : Number(rest[0]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${cmd}: not a positive count: ${rest[0]}`);
      return v;
    };
    let why: string | undefined;
    const moved = (s: string): string => {
      this.stops.push(this.steps);
      const out = (s ? s + "\n" : "") + this.view(before);
      return this.flush() + out;
    };
    switch (cmd) {
      case "": return "";
      case "si": case "stepi": {
        const k = n(1);
        let i = 0;
        why = this.runUntil(() => ++i >= k);
        return moved(why);
      }
      case "ni": case "nexti": {
        const rip = this.reg(REG_RIP);
        const { text, len } = insnAt(this.m, rip);
        if (!text.startsWith("CALL")) return this.exec("si");
        const sp = this.reg(4), t = this.m.kernel.cur;
        why = this.runUntil(() => this.reg(REG_RIP) === rip + len && this.reg(4) === sp && this.m.kernel.cur === t);
        return moved(why);
      }
      case "c": case "continue":
        why = this.runUntil(() => false);
        return moved(why);
      case "finish": {
        // The return address: through BP for a function with a frame, else at SP.
        const rip = this.reg(REG_RIP);
        const sym = this.m.image.symAt(rip);
        const sp = this.reg(4);
        const retAt = sym?.frame && sym.frame > 0 && rip !== sym.addr ? this.reg(5) + 8 : sp;
        const ret = this.mem.ptr(retAt), t = this.m.kernel.cur;
        why = this.runUntil(() => this.reg(REG_RIP) === ret && this.reg(4) > retAt && this.m.kernel.cur === t);
        return moved(why || `returned to ${this.m.image.symbolize(ret) ?? hex(ret)}`);
      }
      case "until": case "u": {
        const addrs = this.resolveLocation(arg);
        why = this.runUntil(() => addrs.includes(this.reg(REG_RIP)));
        return moved(why);
      }
      case "se": case "event": {
        // One scheduler event.
        let seen: SchedEvent | undefined;
        const off = subscribe(this.m, (ev) => { seen ??= ev; });
        try {
          why = this.runUntil(() => seen !== undefined);
        } finally {
          off();
        }
        const ev = seen as SchedEvent | undefined;
        return moved(why || (ev ? `event: ${formatEvent(ev)}` : ""));
      }
      case "sg": {
        // Steps only goroutine N: the others run but do not stop.
        const want = Number(rest[0]);
        const k = rest[1] === undefined ? 1 : Number(rest[1]);
        if (!Number.isInteger(want) || !Number.isInteger(k) || k < 1) throw new Error("sg: usage: sg GOID [N]");
        const live = this.liveGoids();
        if (!live.includes(want)) throw new Error(`sg: no goroutine ${want} (goroutines: ${live.join(" ") || "none yet"})`);
        let i = 0;
        why = this.runUntil(() => this.goid(this.getg()) === want && this.m.image.symAt(this.reg(REG_RIP)) !== undefined && ++i >= k);
        return moved(why);
      }
      case "rsi": {
        const k = n(1);
        this.replayTo(Math.max(0, this.steps - k));
        return moved(`back ${k} step(s), at step ${this.steps}`);
      }
      case "rc": {
        // Back to the previous stop.
        this.stops.pop();
        const to = this.stops.pop() ?? 0;
        this.replayTo(to);
        return moved(`back to step ${this.steps}`);
      }
      case "b": case "break": {
        const m = /^(\S+)(?:\s+if\s+goid\s*==\s*(\d+))?$/.exec(arg);
        if (!m) throw new Error("b: usage: b SYM|ADDR|FILE:LINE|@event [if goid == N]");
        const spec = m[1]!;
        const goid = m[2] !== undefined ? Number(m[2]) : undefined;
        const events = EVENT_BREAKS[spec];
        const b: Breakpoint = { id: this.nextId++, spec, addrs: events ? [] : this.resolveLocation(spec), events: events ?? [], goid };
        this.breaks.push(b);
        return `breakpoint ${b.id} at ${events ? spec : b.addrs.map(hex).join(", ")}${goid !== undefined ? ` if goid == ${goid}` : ""}\n`;
      }
      case "watch": {
        let addr: number;
        if (arg === "g.sched.sp" || arg === "g.sched.pc" || arg === "g.sched.bp") {
          const gp = this.getg();
          if (gp === 0) throw new Error("watch: no current g yet");
          addr = gp + g_sched + { sp: gobuf_sp, pc: gobuf_pc, bp: gobuf_bp }[arg.slice(8) as "sp" | "pc" | "bp"];
        } else addr = this.resolveLocation(arg)[0]!;
        const w: Watch = { id: this.nextId++, spec: arg, addr, value: this.mem.u64(addr) };
        this.watches.push(w);
        return `watchpoint ${w.id}: ${arg} (${hex(addr)}) = ${hex(w.value)}\n`;
      }
      case "delete": case "d": {
        if (rest.length === 0) { this.breaks = []; this.watches = []; return "deleted all breakpoints and watchpoints\n"; }
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
      case "regs": return this.regsView(before);
      case "g": return this.gView(rest[0] === undefined ? this.getg() : this.findGoroutine(Number(rest[0])));
      case "goroutines": return this.goroutines();
      case "m": return this.msView();
      case "p": return this.psView();
      case "sched": return this.schedView();
      case "bt": case "backtrace": return this.bt();
      case "thread": {
        const tid = Number(rest[0]);
        const t = this.m.kernel.threads.find((x) => x.tid === tid);
        if (!t) throw new Error(`thread: no thread ${rest[0]} (threads: ${this.m.kernel.threads.map((x) => x.tid).join(" ")})`);
        return `thread ${tid} (${t.state}): RIP=${hex(t.regs[REG_RIP]!)} (${this.m.image.symbolize(Number(t.regs[REG_RIP]!)) ?? "?"}) RSP=${hex(t.regs[4]!)}\n`;
      }
      case "threads": return this.m.kernel.threads.map((t) => `${t === this.m.kernel.cur ? "*" : " "} thread ${t.tid} ${t.state} RIP=${hex(t.regs[REG_RIP]!)}`).join("\n") + "\n";
      default:
        if (cmd.startsWith("x")) return this.examine(cmd, arg);
        throw new Error(`unknown command "${cmd}" (si ni c finish until b watch delete x regs g goroutines m p sched bt thread threads se sg rsi rc)`);
    }
  }

  private flush(): string {
    const s = this.output.join("");
    this.output.length = 0;
    return s ? s.replace(/^/gm, "| ") + (s.endsWith("\n") ? "" : "\n") : "";
  }

  private mark(s: string, changed: boolean): string {
    if (!changed) return s + " ";
    return this.opts.color ? `\x1b[1;33m${s}\x1b[0m ` : s + "*";
  }

  private where(pc: number): string {
    return where(this.m, pc, (f) => relative(this.opts.root ?? process.cwd(), f));
  }

  /** The stop view: code around RIP, registers, gobuf, M/P/G. */
  view(before: bigint[] = this.lastRegs): string {
    if (this.ended) return `[${this.ended}]\n`;
    const out: string[] = [];
    const rip = this.reg(REG_RIP);
    const img = this.m.image;
    const sym = img.symAt(rip);
    const host = this.m.bridge.nameAt(rip);
    out.push(`step ${this.steps}, thread ${this.m.kernel.cur?.tid ?? "-"}: ${sym ? img.symbolize(rip) : host ? `${host} (host function)` : hex(rip)}`);
    if (sym) {
      // Decode from the symbol's start to show up to 3 instructions before RIP and 3 after.
      const pcs: number[] = [];
      for (let a = sym.addr; a < sym.addr + sym.size && pcs.length < 4096;) {
        pcs.push(a);
        a += Math.max(1, insnAt(this.m, a).len);
      }
      let i = pcs.indexOf(rip);
      if (i < 0) i = 0;
      for (const a of pcs.slice(Math.max(0, i - 3), i + 4)) {
        out.push(`${a === rip ? "=>" : "  "} ${hex(a)}  ${this.where(a).padEnd(26)} ${insnAt(this.m, a).text}`);
      }
    }
    out.push(this.regsView(before).trimEnd());
    const gp = this.getg();
    if (gp !== 0) {
      const mp = mOf(this.m, gp), pp = pOf(this.m, mp);
      const b = gobuf(this.m, gp + g_sched);
      out.push(`G${this.goid(gp)}${isG0(this.m, gp) ? " (g0)" : ""} M${mp !== 0 ? mid(this.m, mp) : "-"} P${pp !== 0 ? pid(this.m, pp) : "-"}  ` +
        `gobuf: sp=${hex(b.sp)} pc=${hex(b.pc)} bp=${hex(b.bp)} ctxt=${hex(b.ctxt)} ret=${hex(b.ret)}`);
    }
    this.lastRegs = this.regs();
    return out.join("\n") + "\n";
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

  /** The goids of the goroutines that are not dead, in creation order. */
  private liveGoids(): number[] {
    return goroutines(this.m).map((g) => g.goid);
  }

  private findGoroutine(id: number): number {
    const gp = findG(this.m, id);
    if (gp === undefined) throw new Error(`no goroutine ${id}`);
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

  /** Assembly frames by the frame-pointer chain, and host frames through the bridge. */
  private bt(): string {
    return backtrace(this.m, 64, (f) => relative(this.opts.root ?? process.cwd(), f)).map((f) =>
      f.kind === "host" ? `#${f.depth} ${f.name} (TypeScript runtime: ${f.where})` : `#${f.depth} ${f.name} ${f.where}`,
    ).join("\n") + "\n";
  }

  private examine(cmd: string, arg: string): string {
    const m = /^x(?:\/(\d*)([xducbhwg]*))?$/.exec(cmd);
    if (!m || /([xduc]).*\1|([bhwg]).*\2/.test(m[2] ?? "")) throw new Error("x: usage: x/Nfu ADDR (f: x d u c; u: b h w g)");
    const count = m[1] ? Number(m[1]) : 1;
    if (count < 1 || count > X_MAX_COUNT) throw new Error(`x: count ${m[1]} out of range (1 to ${X_MAX_COUNT})`);
    const fmt = /[xduc]/.exec(m[2] ?? "")?.[0] ?? "x";
    const size = { b: 1, h: 2, w: 4, g: 8 }[(/[bhwg]/.exec(m[2] ?? "")?.[0] ?? "g") as "b"];
    let addr: number;
    const a = arg.trim();
    if (a.startsWith("$")) {
      const name = a.slice(1).toUpperCase();
      const r = REG_VIEW_NAMES.indexOf(name) >= 0 && REG_VIEW_NAMES.indexOf(name) < 16 ? REG_VIEW_NAMES.indexOf(name) : name === "RIP" ? REG_RIP : -1;
      if (r < 0) throw new Error(`x: unknown register ${a} (registers: ${[...REG_VIEW_NAMES.slice(0, 16), "RIP"].map((n) => "$" + n).join(" ")})`);
      addr = this.reg(r);
    }
    else addr = this.resolveLocation(a)[0]!;
    if (!(addr >= 0)) throw new Error(`x: bad address ${arg}`);
    const bytes = this.m.engine.read(addr, count * size);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const vals: string[] = [];
    for (let i = 0; i < count; i++) {
      const v = size === 8 ? dv.getBigUint64(i * 8, true) : BigInt(size === 4 ? dv.getUint32(i * 4, true) : size === 2 ? dv.getUint16(i * 2, true) : dv.getUint8(i));
      const signed = BigInt.asIntN(size * 8, v);
      vals.push(fmt === "x" ? hex(v) : fmt === "d" ? signed.toString() : fmt === "c" ? JSON.stringify(String.fromCharCode(Number(v & 0xffn))) : v.toString());
    }
    const rows: string[] = [];
    const per = size === 8 ? 2 : size === 4 ? 4 : 8;
    for (let i = 0; i < vals.length; i += per) rows.push(`${hex(addr + i * size)}: ${vals.slice(i, i + per).join("\t")}`);
    return rows.join("\n") + "\n";
  }
}
