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
import { disassemble } from "../cpu/disasm.ts";
import { REG_FS_BASE, REG_RFLAGS, REG_RIP, regId } from "../engine/engine.ts";
import { insnBytes } from "../engine/lockstep.ts";
import { buildMachine, unwind, type Machine, type RunOptions } from "../runtime/boot.ts";
import { readgstatus } from "../runtime/proc.ts";
import { g as gT, gobuf, m as mT, off, p as pT, schedt } from "../runtime/runtime2.ts";
import { waitReasonStrings, type SchedEvent } from "../runtime/sched.ts";

const GPR = ["AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"];
const STATUS = ["idle", "runnable", "running", "syscall", "waiting", "moribund", "dead", "enqueue", "copystack", "preempted"];
const PSTATUS = ["idle", "running", "syscall", "gcstop", "dead"];
const o = {
  g_goid: off(gT, "goid"), g_m: off(gT, "m"), g_sched: off(gT, "sched"), g_waitreason: off(gT, "waitreason"),
  g_stack: off(gT, "stack"),
  m_id: off(mT, "id"), m_curg: off(mT, "curg"), m_p: off(mT, "p"), m_g0: off(mT, "g0"), m_procid: off(mT, "procid"),
  m_spinning: off(mT, "spinning"),
  p_id: off(pT, "id"), p_status: off(pT, "status"), p_m: off(pT, "m"), p_runqhead: off(pT, "runqhead"),
  p_runqtail: off(pT, "runqtail"), p_runq: off(pT, "runq"), p_runnext: off(pT, "runnext"), p_schedtick: off(pT, "schedtick"),
  s_runqsize: off(schedt, "runqsize"), s_runqhead: off(schedt, "runq"), s_npidle: off(schedt, "npidle"), s_nmidle: off(schedt, "nmidle"),
  s_nmspinning: off(schedt, "nmspinning"),
  gb: { sp: off(gobuf, "sp"), pc: off(gobuf, "pc"), g: off(gobuf, "g"), ctxt: off(gobuf, "ctxt"), ret: off(gobuf, "ret"), bp: off(gobuf, "bp") },
};

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
    this.m.sched.listeners.push((ev) => this.onEvent(ev));
    this.lastRegs = this.regs();
  }

  private get mem() { return this.m.sched.rt.mem; }
  private reg(r: number): number { return Number(this.m.engine.getReg(regId(r))); }
  private regs(): bigint[] { return Array.from({ length: 18 }, (_, r) => this.m.engine.getReg(regId(r))); }
  /** The g in the current thread's TLS slot (0 before TLS is set up). */
  getg(): number {
    const fs = this.reg(REG_FS_BASE);
    return fs === 0 ? 0 : this.mem.ptr(fs - 8);
  }
  goid(gp: number): number { return gp === 0 ? -1 : this.mem.int(gp + o.g_goid); }
  /**
   * The goroutine a condition means: the M's current user goroutine
   * (m.curg). On g0 inside gogo that is already the one being switched to
   * (execute set it), which is what `b runtime.gogo if goid == 2` wants.
   */
  curgoid(): number {
    const gp = this.getg();
    if (gp === 0) return -1;
    const mp = this.mem.ptr(gp + o.g_m);
    const curg = mp !== 0 ? this.mem.ptr(mp + o.m_curg) : 0;
    return curg !== 0 ? this.goid(curg) : this.goid(gp);
  }

  private onEvent(ev: SchedEvent): void {
    for (const b of this.breaks) {
      if (b.events.includes(ev.kind) && (b.goid === undefined || b.goid === ev.goid)) {
        this.eventHit = `breakpoint ${b.id}, ${b.spec}: ${ev.kind} G${ev.goid}${ev.detail ? ` (${ev.detail})` : ""} on P${ev.p} M${ev.m}`;
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
    const a = img.addrOf(name) ?? img.addrOf(`main.${name}`) ?? img.addrOf(`runtime.${name}`) ?? this.m.bridge.resolve(name);
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
        const text = disassemble(insnBytes(this.m.engine, rip), 0, rip).text;
        if (!text.startsWith("CALL")) return this.exec("si");
        const len = disassemble(insnBytes(this.m.engine, rip), 0, rip).len;
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
        const l = (ev: SchedEvent): void => { seen ??= ev; };
        this.m.sched.listeners.push(l);
        try {
          why = this.runUntil(() => seen !== undefined);
        } finally {
          this.m.sched.listeners.splice(this.m.sched.listeners.indexOf(l), 1);
        }
        const ev = seen as SchedEvent | undefined;
        return moved(why || (ev ? `event: ${ev.kind} G${ev.goid}${ev.detail ? ` (${ev.detail})` : ""} on P${ev.p} M${ev.m}` : ""));
      }
      case "sg": {
        // Steps only goroutine N: the others run but do not stop.
        const want = Number(rest[0]);
        const k = rest[1] === undefined ? 1 : Number(rest[1]);
        if (!Number.isInteger(want)) throw new Error("sg: usage: sg GOID [N]");
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
          addr = gp + o.g_sched + o.gb[arg.slice(8) as "sp" | "pc" | "bp"];
        } else addr = this.resolveLocation(arg)[0]!;
        const w: Watch = { id: this.nextId++, spec: arg, addr, value: this.mem.u64(addr) };
        this.watches.push(w);
        return `watchpoint ${w.id}: ${arg} (${hex(addr)}) = ${hex(w.value)}\n`;
      }
      case "delete": case "d":
        if (rest.length === 0) { this.breaks = []; this.watches = []; return "deleted all breakpoints and watchpoints\n"; }
        for (const id of rest.map(Number)) {
          this.breaks = this.breaks.filter((b) => b.id !== id);
          this.watches = this.watches.filter((w) => w.id !== id);
        }
        return `deleted ${rest.join(" ")}\n`;
      case "regs": return this.regsView(before);
      case "g": return this.gView(rest[0] === undefined ? this.getg() : this.findG(Number(rest[0])));
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
    const l = this.m.image.pcToLine(pc);
    return l ? `${relative(this.opts.root ?? process.cwd(), l.file)}:${l.line}` : "";
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
        const d = disassemble(insnBytes(this.m.engine, a), 0, a);
        a += Math.max(1, d.len);
      }
      let i = pcs.indexOf(rip);
      if (i < 0) i = 0;
      for (const a of pcs.slice(Math.max(0, i - 3), i + 4)) {
        const d = disassemble(insnBytes(this.m.engine, a), 0, a, (x) => img.symbolize(x));
        out.push(`${a === rip ? "=>" : "  "} ${hex(a)}  ${this.where(a).padEnd(26)} ${d.text}`);
      }
    }
    out.push(this.regsView(before).trimEnd());
    const gp = this.getg();
    if (gp !== 0) {
      const mem = this.mem;
      const mp = mem.ptr(gp + o.g_m);
      const pp = mp !== 0 ? mem.ptr(mp + o.m_p) : 0;
      const isG0 = mp !== 0 && mem.ptr(mp + o.m_g0) === gp;
      const b = gp + o.g_sched;
      out.push(`G${this.goid(gp)}${isG0 ? " (g0)" : ""} M${mp !== 0 ? mem.int(mp + o.m_id) : "-"} P${pp !== 0 ? mem.i32(pp + o.p_id) : "-"}  ` +
        `gobuf: sp=${hex(mem.ptr(b + o.gb.sp))} pc=${hex(mem.ptr(b + o.gb.pc))} bp=${hex(mem.ptr(b + o.gb.bp))} ctxt=${hex(mem.ptr(b + o.gb.ctxt))} ret=${hex(mem.ptr(b + o.gb.ret))}`);
    }
    this.lastRegs = this.regs();
    return out.join("\n") + "\n";
  }

  private regsView(before: bigint[]): string {
    const now = this.regs();
    const cells = GPR.map((n, r) => this.mark(`${n.padEnd(3)} ${hex(now[r]!).padStart(18)}`, now[r] !== before[r]));
    cells.push(this.mark(`RIP ${hex(now[REG_RIP]!).padStart(18)}`, now[REG_RIP] !== before[REG_RIP]));
    cells.push(this.mark(`FLG ${hex(now[REG_RFLAGS]!).padStart(18)}`, now[REG_RFLAGS] !== before[REG_RFLAGS]));
    const rows: string[] = [];
    for (let i = 0; i < cells.length; i += 4) rows.push(cells.slice(i, i + 4).join("  "));
    return rows.join("\n") + "\n";
  }

  private findG(goid: number): number {
    const gp = this.m.sched.rt.allgs.find((g) => this.goid(g) === goid);
    if (gp === undefined) throw new Error(`no goroutine ${goid}`);
    return gp;
  }

  private gView(gp: number): string {
    if (gp === 0) return "no current g\n";
    const mem = this.mem, rt = this.m.sched.rt;
    const st = readgstatus(rt, gp) & ~0x1000;
    const b = gp + o.g_sched;
    const pc = mem.ptr(b + o.gb.pc);
    return `G${this.goid(gp)} at ${hex(gp)}: ${STATUS[st] ?? st}${st === 4 ? ` (${waitReasonStrings[mem.u8(gp + o.g_waitreason)]})` : ""}\n` +
      `  stack [${hex(mem.ptr(gp + o.g_stack))}, ${hex(mem.ptr(gp + o.g_stack + 8))})\n` +
      `  gobuf: sp=${hex(mem.ptr(b + o.gb.sp))} pc=${hex(pc)} (${this.m.image.symbolize(pc) ?? this.m.bridge.nameAt(pc) ?? "?"}) ` +
      `g=${hex(mem.ptr(b + o.gb.g))} ctxt=${hex(mem.ptr(b + o.gb.ctxt))} ret=${hex(mem.ptr(b + o.gb.ret))} bp=${hex(mem.ptr(b + o.gb.bp))}\n`;
  }

  private goroutines(): string {
    const mem = this.mem, rt = this.m.sched.rt;
    const cur = this.getg();
    return rt.allgs.map((gp) => {
      const st = readgstatus(rt, gp) & ~0x1000;
      if (st === 6) return undefined;
      const pc = mem.ptr(gp + o.g_sched + o.gb.pc);
      const reason = st === 4 ? ` (${waitReasonStrings[mem.u8(gp + o.g_waitreason)]})` : "";
      const where = gp === cur ? "running here" : this.m.image.symbolize(pc) ?? this.m.bridge.suspension(pc)?.name ?? this.m.bridge.nameAt(pc) ?? hex(pc);
      return `${gp === cur ? "*" : " "} G${this.goid(gp)}  ${STATUS[st] ?? st}${reason}  ${where}`;
    }).filter((x) => x !== undefined).join("\n") + "\n";
  }

  private msView(): string {
    const mem = this.mem;
    return this.m.sched.rt.allm.slice().reverse().map((mp) => {
      const curg = mem.ptr(mp + o.m_curg), pp = mem.ptr(mp + o.m_p);
      return `M${mem.int(mp + o.m_id)} thread ${mem.ptr(mp + o.m_procid)}: curg ${curg ? `G${this.goid(curg)}` : "-"}, P ${pp ? mem.i32(pp + o.p_id) : "-"}${mem.u8(mp + o.m_spinning) ? ", spinning" : ""}`;
    }).join("\n") + "\n";
  }

  private runq(pp: number): number[] {
    const mem = this.mem;
    const head = mem.u32(pp + o.p_runqhead), tail = mem.u32(pp + o.p_runqtail);
    const out: number[] = [];
    for (let i = head; i !== tail && out.length < 256; i = (i + 1) >>> 0) out.push(this.goid(mem.ptr(pp + o.p_runq + 8 * (i % 256))));
    return out;
  }

  private psView(): string {
    const mem = this.mem;
    return this.m.sched.rt.allp.map((pp) => {
      const mp = mem.ptr(pp + o.p_m), next = mem.ptr(pp + o.p_runnext);
      return `P${mem.i32(pp + o.p_id)} ${PSTATUS[mem.u32(pp + o.p_status)] ?? "?"} M${mp ? mem.int(mp + o.m_id) : "-"} schedtick=${mem.u32(pp + o.p_schedtick)} ` +
        `runnext=${next ? `G${this.goid(next)}` : "-"} runq=[${this.runq(pp).map((g) => `G${g}`).join(" ")}]`;
    }).join("\n") + "\n";
  }

  private schedView(): string {
    const mem = this.mem, s = this.m.sched.rt.sched;
    const gq: number[] = [];
    for (let gp = mem.ptr(s + o.s_runqhead); gp !== 0 && gq.length < 10_000; gp = mem.ptr(gp + off(gT, "schedlink"))) gq.push(this.goid(gp));
    return `global runq (${mem.i32(s + o.s_runqsize)}): [${gq.map((g) => `G${g}`).join(" ")}]\n` +
      `idle Ps: ${mem.i32(s + o.s_npidle)}, idle Ms: ${mem.i32(s + o.s_nmidle)}, spinning Ms: ${mem.i32(s + o.s_nmspinning)}\n`;
  }

  /** Assembly frames by the frame-pointer chain, and host frames through the bridge. */
  private bt(): string {
    const mem = this.mem, img = this.m.image;
    const out: string[] = [];
    for (const f of unwind(this.m, this.reg(REG_RIP), this.reg(4), this.reg(5), 64)) {
      if (f.kind === "host") {
        out.push(`#${f.depth} ${f.name} (TypeScript runtime: src/runtime/)`);
        continue;
      }
      out.push(`#${f.depth} ${img.symbolize(f.pc)} ${this.where(f.depth === 0 ? f.pc : f.pc - 1)}`);
      if (f.sym.name === "runtime.gogo" || f.sym.name.startsWith("gogo<")) {
        // execute jumped here (no return address): the TypeScript frames behind it.
        const gp = this.getg();
        const mp = gp !== 0 ? mem.ptr(gp + o.g_m) : 0;
        const from = this.m.sched.execFrom.get(mp);
        let depth = f.depth;
        if (from !== undefined) {
          for (const name of ["runtime.execute", "runtime.schedule", from]) out.push(`#${++depth} ${name} (TypeScript runtime: src/runtime/sched.ts)`);
        }
        break;
      }
    }
    return out.join("\n") + "\n";
  }

  private examine(cmd: string, arg: string): string {
    const m = /^x(?:\/(\d*)([xducbhwg]*))?$/.exec(cmd);
    if (!m || /([xduc]).*\1|([bhwg]).*\2/.test(m[2] ?? "")) throw new Error("x: usage: x/Nfu ADDR (f: x d u c; u: b h w g)");
    const count = m[1] ? Number(m[1]) : 1;
    const fmt = /[xduc]/.exec(m[2] ?? "")?.[0] ?? "x";
    const size = { b: 1, h: 2, w: 4, g: 8 }[(/[bhwg]/.exec(m[2] ?? "")?.[0] ?? "g") as "b"];
    let addr: number;
    const a = arg.trim();
    if (a.startsWith("$")) addr = this.reg(GPR.indexOf(a.slice(1).toUpperCase()) >= 0 ? GPR.indexOf(a.slice(1).toUpperCase()) : a.slice(1).toUpperCase() === "RIP" ? REG_RIP : -1);
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
