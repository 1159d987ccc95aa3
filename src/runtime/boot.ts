// Booting a Go program on the emulated machine, and reporting how it ended.
//
// The image is the runtime's assembly (asm/*.s, package runtime) linked with
// the program's (package main); every symbol neither defines is a host
// function of the bridge, and a symbol that is neither is an error at link
// time, as with Go's linker. The loader maps the image, the runtime lays out
// its globals (adopting runtime·m0 and runtime·g0 from the image), and the
// kernel starts one thread at runtime·rt0_go with SP at the top of an OS
// stack, the way Linux starts a process. From there everything is the
// program: rt0_go sets up TLS (arch_prctl), calls schedinit, newproc and
// mstart; runtime.main runs main.main and exits.
//
// Endings, in Go's words and exit statuses: exit_group (the program's
// status), a runtime throw or fatal ("fatal error: ...", status 2), an
// unrecovered panic ("panic: ...", status 2), a fault ("unexpected fault
// address", SIGSEGV, status 2), each followed by the goroutine dump.

import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assembleFile, type ObjFile } from "../asm/assemble.ts";
import { nodeSource } from "../cli/nodefs.ts";
import { link, LinkError, type Image, type LinkedSym } from "../asm/link.ts";
import { AsmErrors, type AsmError } from "../asm/prog.ts";
import { PROT_READ, PROT_WRITE, REG_RIP, type Engine } from "../engine/engine.ts";
import { createEngine } from "../engine/index.ts";
import { mapImage } from "../engine/load.ts";
import { Kernel, type Exit } from "../os/kernel.ts";
import { Bridge } from "./bridge.ts";
import { GoPanic, Runtime2Calls } from "./chan.ts";
import { newRuntime } from "./init.ts";
import { configureNewstack, defaultMaxStack } from "./newstack.ts";
import { GoThrow } from "./panic.ts";
import { readgstatus } from "./proc.ts";
import { g as gT, gobuf, m as mT, off } from "./runtime2.ts";
import { Sched, waitReasonStrings } from "./sched.ts";
import { Preempt, type PreemptOptions } from "./preempt.ts";
import { registerSyscalls, type SyscallStats } from "./syscall.ts";

export const ASM_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../asm");
/** The main thread's OS stack (Linux puts it just below the top of user space). */
export const OS_STACK_TOP = 0x7fff_f000_0000;
export const OS_STACK_SIZE = 256 << 10;

export interface RunOptions {
  procs?: number;
  seed?: number;
  engine?: string;
  /** Stop after this many instructions (a budget, not a timeout). */
  maxInsns?: number;
  stdout?: (b: Uint8Array) => void;
  stderr?: (b: Uint8Array) => void;
  /** GODEBUG=asyncpreemptoff=1: sysmon asks, but sends no signal. */
  asyncpreemptoff?: boolean;
  /** forcePreemptNS in virtual ns (--timeslice); Go's 10 ms by default. */
  timeslice?: number;
  /** Raise a preemption signal every N instructions (--preempt-every). */
  preemptEvery?: number;
  /** GODEBUG=schedtrace=MS: a SCHED line every MS ms of virtual time, from sysmon. */
  schedtrace?: number;
  /** Run without sysmon (tests that count a switch's instructions). */
  nosysmon?: boolean;
  /** Extra include directories for the program's files. */
  includeDirs?: string[];
  /** The goroutine stack limit in bytes (Go's maxstacksize, debug.SetMaxStack); default 1,000,000,000. */
  maxStack?: number;
  /** Called with the machine once it is built, before it runs (scheduler listeners, traces). */
  observe?: (m: Machine) => void;
}

export interface Machine {
  engine: Engine;
  kernel: Kernel;
  bridge: Bridge;
  sched: Sched;
  calls: Runtime2Calls;
  image: Image;
  /** entersyscall/exitsyscall counts. */
  syscalls: SyscallStats;
}

export interface RunResult {
  code: number;
  /** How it ended, for tests: "exit", "throw", "panic", "fault", "budget", "deadlock". */
  how: string;
  insns: number;
  machine: Machine;
}

/** The runtime's own assembly files. */
export function runtimeAsmFiles(): string[] {
  return readdirSync(ASM_DIR).filter((f) => f.endsWith(".s")).sort().map((f) => join(ASM_DIR, f));
}

/** Assembles and links the runtime and the program, resolving the rest to host functions. */
export function buildMachine(files: readonly string[], opts: RunOptions = {}): Machine {
  const engine = createEngine(opts.engine ?? "interp");
  const kopts: ConstructorParameters<typeof Kernel>[1] = { seed: opts.seed ?? 1 };
  if (opts.stdout) kopts.stdout = opts.stdout;
  if (opts.stderr) kopts.stderr = opts.stderr;
  if (opts.preemptEvery) kopts.tickEvery = opts.preemptEvery;
  const kernel = new Kernel(engine, kopts);
  const bridge = new Bridge(engine);
  const sched = new Sched(bridge, kernel, { procs: opts.procs ?? 1 });
  const calls = new Runtime2Calls(sched);
  sched.register();
  calls.register();
  const popts: PreemptOptions = {};
  if (opts.asyncpreemptoff) popts.asyncpreemptoff = true;
  if (opts.timeslice !== undefined) popts.timeslice = opts.timeslice;
  if (opts.nosysmon) popts.nosysmon = true;
  if (opts.schedtrace) popts.schedtrace = opts.schedtrace;
  const preempt = new Preempt(sched, bridge, kernel, popts);
  sched.preempt = preempt;
  preempt.register();
  const syscalls = registerSyscalls(sched);

  const errors: AsmError[] = [];
  const objs: ObjFile[] = [];
  for (const f of runtimeAsmFiles()) {
    const r = assembleFile(f, { pkg: "runtime", source: nodeSource });
    errors.push(...r.errors);
    objs.push(r.obj);
  }
  for (const f of files) {
    const r = assembleFile(f, { pkg: "main", includeDirs: opts.includeDirs ?? [], source: nodeSource });
    errors.push(...r.errors);
    objs.push(r.obj);
  }
  if (errors.length) throw new AsmErrors(errors);
  let image: Image;
  try {
    image = link(objs, { resolve: bridge.resolve, requireDefined: true });
  } catch (e) {
    if (e instanceof LinkError) throw new AsmErrors(e.errors);
    throw e;
  }
  if (image.addrOf("main.main") === undefined) throw new Error("the program has no main·main (TEXT ·main(SB))");

  preempt.image = image;
  mapImage(engine, image);
  const rt = newRuntime(engine, {
    m0: image.addrOf("runtime.m0")!, g0: image.addrOf("runtime.g0")!, seed: opts.seed ?? 1,
  });
  sched.attach(rt);
  configureNewstack(sched, { maxStack: opts.maxStack ?? defaultMaxStack, funcFrame: (pc) => image.symAt(pc)?.frame });
  bridge.symbols = (n) => image.lookup(n)?.addr;
  bridge.install();
  kernel.onHostCall = (t, addr) => bridge.onHostCall(t, addr);

  engine.map(OS_STACK_TOP - OS_STACK_SIZE, OS_STACK_SIZE, PROT_READ | PROT_WRITE);
  const entry = image.addrOf("runtime.rt0_go");
  if (entry === undefined) throw new Error("asm/: no runtime·rt0_go");
  kernel.newThread({ rip: entry, rsp: OS_STACK_TOP - 64 });
  return { engine, kernel, bridge, sched, calls, image, syscalls };
}

/** Runs a program to its end; never throws for what the program does (only for bad input). */
export function runProgram(files: readonly string[], opts: RunOptions = {}): RunResult {
  const m = buildMachine(files, opts);
  opts.observe?.(m);
  // The engine is closed only after the endings below have read it for
  // their tracebacks (unicorn's memory is gone once it is closed).
  try {
    return finishRun(m, opts);
  } finally {
    m.engine.close();
  }
}

function finishRun(m: Machine, opts: RunOptions): RunResult {
  const err = (s: string): void => (opts.stderr ?? ((b) => process.stderr.write(b)))(new TextEncoder().encode(s));
  const dump = (all: boolean): string => {
    const d = goroutineDump(m, all);
    return d ? "\n" + d : "";
  };
  let exit: Exit;
  try {
    exit = m.kernel.run(opts.maxInsns);
  } catch (e) {
    if (e instanceof GoThrow) {
      err(e.text() + dump(e.kind === "throw" && !(e instanceof GoPanic)));
      return { code: 2, how: e instanceof GoPanic ? "panic" : "throw", insns: m.engine.icount, machine: m };
    }
    throw e;
  }
  const insns = m.engine.icount;
  switch (exit.kind) {
    case "exit": return { code: exit.code, how: "exit", insns, machine: m };
    case "budget":
      err(`gmpemu: stopped after ${insns} instructions (--max-insns)\n`);
      return { code: 3, how: "budget", insns, machine: m };
    case "deadlock":
      err("fatal error: all threads are blocked with no timer to wake them\n" + dump(true));
      return { code: 2, how: "deadlock", insns, machine: m };
    case "stop": {
      const stop = exit.stop;
      const rip = Number(exit.thread.regs[REG_RIP]);
      if (stop.kind === "fault" && stop.fault.type === "page") {
        const a = `0x${stop.fault.addr.toString(16)}`;
        err(`unexpected fault address ${a}\nfatal error: fault\n[signal SIGSEGV: segmentation violation code=0x1 addr=${a} pc=0x${rip.toString(16)}]\n` + dump(true));
      } else if (stop.kind === "fault") {
        const sig = stop.fault.type === "de" ? "SIGFPE: integer divide by zero" : stop.fault.type === "ud" ? "SIGILL: illegal instruction" : "SIGSEGV: segmentation violation";
        err(`fatal error: unexpected signal\n[signal ${sig} pc=0x${rip.toString(16)}]\n` + dump(true));
      } else if (stop.kind === "breakpoint") {
        err(`SIGTRAP: trace trap\nPC=0x${(stop.addr).toString(16)} m=0 sigcode=128\n` + dump(true));
      } else {
        err(`gmpemu: the machine stopped: ${stop.kind}\n`);
      }
      return { code: 2, how: "fault", insns, machine: m };
    }
  }
}

const g_sched = off(gT, "sched"), g_goid = off(gT, "goid"), g_waitreason = off(gT, "waitreason"), g_m = off(gT, "m");
const gobuf_pc = off(gobuf, "pc"), gobuf_sp = off(gobuf, "sp"), gobuf_bp = off(gobuf, "bp");
const m_curg = off(mT, "curg");
/** One frame of a stack walk: a suspended host function, or assembly at pc. */
export type Frame =
  | { kind: "host"; depth: number; name: string; frameSp: number }
  | { kind: "asm"; depth: number; sym: LinkedSym; pc: number };

/**
 * Walks a stack from (pc, sp, bp), at most max frames: assembly frames by
 * the frame pointer (by SP for a frameless function, or one still in its
 * prologue), host functions through the bridge's suspensions (their return
 * address is at their frameSp). Ends at a bottom frame (goexit, mstart,
 * rt0_go), at an address that is no code, or at pc 0.
 */
export function* unwind(m: Machine, pc: number, sp: number, bp: number, max: number): Generator<Frame> {
  const { bridge, image } = m;
  const mem = m.sched.rt.mem;
  for (let depth = 0; depth < max && pc !== 0; depth++) {
    const susp = bridge.suspension(pc);
    const named = bridge.nameAt(pc);
    const hostName = susp?.name ?? (named !== undefined && !named.endsWith("(continuation)") ? named : undefined);
    if (hostName !== undefined) {
      const frameSp = susp?.frameSp ?? sp;
      yield { kind: "host", depth, name: hostName, frameSp };
      pc = Number(mem.u64(frameSp));
      sp = frameSp + 8;
      continue;
    }
    const sym = image.symAt(pc);
    if (!sym) return;
    yield { kind: "asm", depth, sym, pc };
    if (sym.name === "runtime.goexit" || sym.name === "runtime.mstart" || sym.name === "runtime.rt0_go") return;
    // The caller: through the saved frame pointer when this function has a
    // frame and is past the prologue that saves it.
    if (sym.frame !== undefined && sym.frame > 0 && bp !== 0 && pc !== sym.addr) {
      pc = Number(mem.u64(bp + 8));
      sp = bp + 16;
      bp = Number(mem.u64(bp));
    } else {
      pc = Number(mem.u64(sp));
      sp += 8;
    }
  }
}

/** Go's printArgs: hex words, at most ten, then "...". */
function argList(words: readonly bigint[]): string {
  const shown = words.slice(0, 10).map((w) => `0x${w.toString(16)}`);
  if (words.length > 10) shown.push("...");
  return shown.join(", ");
}

const statusNames = ["idle", "runnable", "running", "syscall", "waiting", "moribund", "dead", "enqueue", "copystack", "preempted"];

/**
 * Go's goroutine dump: for each live goroutine, its header and its frames
 * (function, file:line, +offset). Frames are found by the frame-pointer
 * chain, and across host frames through the bridge's suspensions. With
 * `all` false (Go's fatal), runtime frames are hidden, as Go hides them.
 */
export function goroutineDump(m: Machine, all: boolean): string {
  const { sched, engine, bridge, image } = m;
  const rt = sched.rt;
  const mem = rt.mem;
  const out: string[] = [];
  let cur = 0;
  try { cur = sched.getg(); } catch { cur = 0; }
  const curIsUser = cur !== 0 && mem.ptr(mem.ptr(cur + g_m) + m_curg) === cur;
  const gs = rt.allgs.slice().sort((a, b) => (a === cur ? -1 : b === cur ? 1 : mem.int(a + g_goid) - mem.int(b + g_goid)));
  for (const gp of gs) {
    const st = readgstatus(rt, gp) & ~0x1000;
    if (st === 6 /* _Gdead */) continue;
    // Go's tracebackothers leaves out the runtime's own goroutines.
    if (gp !== cur && sched.isSystemGoroutine(gp)) continue;
    const running = gp === cur && curIsUser;
    let status = running ? "running" : statusNames[st] ?? `status ${st}`;
    if (st === 4 && !running) status = waitReasonStrings[mem.u8(gp + g_waitreason)] || "waiting";
    const frames: string[] = [];
    let pc: number, sp: number, bp: number;
    if (running) {
      const a = bridge.active;
      pc = a ? bridge.addrOf(a.name) : Number(engine.getReg(REG_RIP));
      sp = a ? a.frameSp : Number(engine.getReg(4));
      bp = Number(engine.getReg(5));
    } else {
      pc = mem.ptr(gp + g_sched + gobuf_pc);
      sp = mem.ptr(gp + g_sched + gobuf_sp);
      bp = mem.ptr(gp + g_sched + gobuf_bp);
    }
    for (const f of unwind(m, pc, sp, bp, 100)) {
      if (f.kind === "host") {
        if (all || !f.name.startsWith("runtime.")) {
          const words = bridge.argWords(f.name, f.frameSp, (a, size) => (size === 8 ? mem.u64(a) : BigInt(mem.u32(a))));
          frames.push(`${f.name}(${argList(words)})\n\t(host function)`);
        }
        continue;
      }
      const line = image.pcToLine(f.depth === 0 ? f.pc : f.pc - 1);
      // Go prints an assembly function's arguments only when a Go
      // prototype gives it an argument map; ours have none, so "()".
      if (all || !f.sym.name.startsWith("runtime.")) {
        frames.push(`${f.sym.name}()\n\t${line ? `${resolve(line.file)}:${line.line}` : "?"} +0x${(f.pc - f.sym.addr).toString(16)}`);
      }
    }
    out.push(`goroutine ${mem.int(gp + g_goid)} [${status}]:\n${frames.join("\n")}${frames.length ? "\n" : ""}`);
    if (!all) break; // Go's default (GOTRACEBACK=single) for a fatal: the current or first goroutine
  }
  return out.join("\n");
}
