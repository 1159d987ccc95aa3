// Booting a Go program on the emulated machine, and reporting how it ended.
//
// The image is the runtime's assembly (asm/*.s, package runtime) linked with
// the program's (package main); every symbol neither defines is a host
// function of the bridge, and a symbol that is neither is an error at link
// time, as with Go's linker. The machine is built in one pass: the host
// table (every runtime file's register(), in a fixed order, so host
// addresses never change), the link, the Runtime (which lays out the
// globals and builds the kernel and the bridge), then the image is mapped
// and the kernel starts one thread at runtime·rt0_go with SP at the top of
// an OS stack, the way Linux starts a process. From there everything is
// the program: rt0_go sets up TLS (arch_prctl), calls schedinit, newproc and
// mstart; runtime.main runs main.main and exits.
//
// Endings, in Go's words and exit statuses: exit_group (the program's
// status), a runtime throw or fatal ("fatal error: ...", status 2), an
// unrecovered panic ("panic: ...", status 2), a fault ("unexpected fault
// address", SIGSEGV, status 2), each followed by the goroutine dump.

import { assembleFile, type AsmResult, type ObjFile } from "../asm/assemble.ts";
import type { SourceProvider } from "../asm/source.ts";
import { link, LinkError, type Image } from "../asm/link.ts";
import { AsmErrors, type AsmError } from "../asm/prog.ts";
import { PROT_READ, PROT_WRITE, REG_RIP } from "../engine/engine.ts";
import { createEngine } from "../engine/index.ts";
import { mapImage } from "../engine/load.ts";
import type { Exit, KernelOptions } from "../os/kernel.ts";
import { HostTable } from "./bridge.ts";
import { newRuntime } from "./init.ts";
import { GoPanic, GoThrow } from "./panic.ts";
import type { Runtime, RuntimeOptions } from "./rt.ts";
import { register as registerStack } from "./stack.ts";
import { register as registerProc } from "./proc.ts";
import { register as registerChan } from "./chan.ts";
import { register as registerSema } from "./sema.ts";
import { register as registerSleep } from "./sleep.ts";
import { register as registerPrint } from "./print.ts";
import { register as registerMalloc } from "./malloc.ts";
import { register as registerSysmon } from "./sysmon.ts";
import { register as registerSignal, forcePreempt } from "./signal_unix.ts";
import { register as registerMain } from "./main.ts";
import { register as registerSyscall } from "./syscall.ts";
import { goroutineDump } from "./traceback.ts";

/** The main thread's OS stack (Linux puts it just below the top of user space). */
export const OS_STACK_TOP = 0x7fff_f000_0000;
export const OS_STACK_SIZE = 256 << 10;

/**
 * The shortest --preempt-every interval. A forced preemption's round trip
 * (the signal frame, sigtramp and sigreturn, asyncPreempt saving and then
 * restoring every register) takes about 40 of a goroutine's instructions,
 * so a shorter interval could preempt it again before it ran one of its
 * own: the program would never progress (measured on hello.s: 30 never
 * ends, 40 ends slowly, 50 at once).
 */
export const MIN_PREEMPT_EVERY = 64;

export interface RunOptions extends RuntimeOptions {
  engine?: string;
  /** Stop after this many instructions (a budget, not a timeout). */
  maxInsns?: number;
  stdout?: (b: Uint8Array) => void;
  stderr?: (b: Uint8Array) => void;
  /** Raise a preemption signal every N instructions (--preempt-every, at least MIN_PREEMPT_EVERY). */
  preemptEvery?: number;
  /** Extra include directories for the program's files. */
  includeDirs?: string[];
  /** Called with the machine once it is built, before it runs (scheduler listeners, traces). */
  observe?: (m: Machine) => void;
  /** How tracebacks show a source file's path (Go prints absolute paths). Default: as given. */
  showPath?: (file: string) => string;
}

/** Where a program's sources come from: the host's (src/node/boot.ts for Node). */
export interface ProgramSources {
  /** The runtime's assembly files (asm/*.s), in link order. */
  runtimeFiles: readonly string[];
  /** Where the assembler reads files and #includes (node:fs on Node, memory in a browser). */
  source: SourceProvider;
  /** runtimeFiles already assembled (a host's cache, src/node/imagecache.ts): not assembled again. */
  runtimeObjs?: readonly ObjFile[];
  /** Lossy immediates are errors, not warnings (--strict). */
  strict?: boolean;
  /** Where the assembler's warnings go ("file:line:col: warning: ..."), before the program runs. */
  warn?: (line: string) => void;
}

/** A machine: the runtime, with its engine, kernel, bridge and image. */
export type Machine = Runtime;

export interface RunResult {
  code: number;
  /** How it ended, for tests: "exit", "throw", "panic", "fault", "budget", "deadlock". */
  how: string;
  insns: number;
  machine: Machine;
}

let table: HostTable<Runtime> | undefined;

/**
 * The host functions of the runtime, declared once per process in a fixed
 * order (host addresses are part of a run's determinism).
 */
export function hostTable(): HostTable<Runtime> {
  if (table === undefined) {
    const t = new HostTable<Runtime>();
    t.section("src/runtime/proc.ts", registerProc);
    t.section("src/runtime/main.ts", registerMain);
    t.section("src/runtime/chan.ts", registerChan);
    t.section("src/runtime/sema.ts", registerSema);
    t.section("src/runtime/sleep.ts", registerSleep);
    t.section("src/runtime/print.ts", registerPrint);
    t.section("src/runtime/malloc.ts", registerMalloc);
    t.section("src/runtime/sysmon.ts", registerSysmon);
    t.section("src/runtime/signal_unix.ts", registerSignal);
    t.section("src/runtime/syscall.ts", registerSyscall);
    t.section("src/runtime/stack.ts", registerStack);
    table = t;
  }
  return table;
}

/** Assembles and links the runtime and the program, resolving the rest to host functions. */
export function linkProgram(files: readonly string[], src: ProgramSources, includeDirs: readonly string[] = []): Image {
  const t = hostTable();
  const errors: AsmError[] = [];
  const objs: ObjFile[] = [];
  let tooMany = false;
  const add = (r: AsmResult): void => {
    errors.push(...r.errors);
    tooMany ||= r.tooMany;
    for (const w of r.warnings) src.warn?.(w.format());
    objs.push(r.obj);
  };
  if (src.runtimeObjs !== undefined) objs.push(...src.runtimeObjs);
  else for (const f of src.runtimeFiles) add(assembleFile(f, { pkg: "runtime", source: src.source }));
  for (const f of files) add(assembleFile(f, { pkg: "main", includeDirs: [...includeDirs], source: src.source, strict: src.strict === true }));
  if (errors.length) throw new AsmErrors(errors, tooMany);
  let image: Image;
  try {
    image = link(objs, { resolve: t.resolve, requireDefined: true });
  } catch (e) {
    if (e instanceof LinkError) throw new AsmErrors(e.errors);
    throw e;
  }
  if (image.addrOf("main.main") === undefined) throw new Error("the program has no main·main (TEXT ·main(SB))");
  return image;
}

/** Builds the machine for a program, ready to run. */
export function buildMachine(files: readonly string[], opts: RunOptions & ProgramSources): Machine {
  const image = linkProgram(files, opts, opts.includeDirs ?? []);
  const engine = createEngine(opts.engine ?? "interp");
  const kopts: KernelOptions = { seed: opts.seed ?? 1 };
  if (opts.stdout) kopts.stdout = opts.stdout;
  if (opts.stderr) kopts.stderr = opts.stderr;
  if (opts.preemptEvery !== undefined) {
    if (!Number.isInteger(opts.preemptEvery) || opts.preemptEvery < MIN_PREEMPT_EVERY) {
      throw new Error(`--preempt-every: ${opts.preemptEvery} is too short: a goroutine could be preempted before it runs an instruction of its own (at least ${MIN_PREEMPT_EVERY})`);
    }
    kopts.tickEvery = opts.preemptEvery;
  }
  mapImage(engine, image);
  const rt = newRuntime(engine, {
    ...opts, m0: image.addrOf("runtime.m0")!, g0: image.addrOf("runtime.g0")!, seed: opts.seed ?? 1,
  }, { table: hostTable(), image, kernel: kopts, onTick: forcePreempt });
  rt.bridge.install();
  engine.map(OS_STACK_TOP - OS_STACK_SIZE, OS_STACK_SIZE, PROT_READ | PROT_WRITE);
  const entry = image.addrOf("runtime.rt0_go");
  if (entry === undefined) throw new Error("asm/: no runtime·rt0_go");
  rt.kernel.newThread({ rip: entry, rsp: OS_STACK_TOP - 64 });
  return rt;
}

/** Runs a program to its end; never throws for what the program does (only for bad input). */
export function runProgram(files: readonly string[], opts: RunOptions & ProgramSources): RunResult {
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


/**
 * runProgram for callers that must keep an event loop turning (a test
 * worker, a web page's worker): the machine runs `every` instructions (and
 * host calls) at a time, and `turn()` is awaited between. The kernel keeps
 * a slice that a budget cut short for the next run, so the result is the
 * same, byte for byte, as runProgram's.
 */
export async function runProgramAsync(files: readonly string[], opts: RunOptions & ProgramSources, turn: () => Promise<void>, every = 1_000_000): Promise<RunResult> {
  const m = buildMachine(files, opts);
  opts.observe?.(m);
  try {
    const limit = opts.maxInsns ?? Number.MAX_SAFE_INTEGER;
    const spent = (): number => m.engine.icount + m.kernel.hostCalls;
    const start = spent();
    let out: Exit | GoThrow;
    try {
      for (;;) {
        const left = limit - (spent() - start);
        const exit = m.kernel.run(Math.min(every, left));
        if (exit.kind !== "budget" || spent() - start >= limit) { out = exit; break; }
        await turn();
      }
    } catch (e) {
      if (!(e instanceof GoThrow)) throw e;
      out = e;
    }
    return report(m, opts, out);
  } finally {
    m.engine.close();
  }
}

function finishRun(m: Machine, opts: RunOptions): RunResult {
  let out: Exit | GoThrow;
  try {
    out = m.kernel.run(opts.maxInsns);
  } catch (e) {
    if (!(e instanceof GoThrow)) throw e;
    out = e;
  }
  return report(m, opts, out);
}

/** How a run ended, in Go's words on stderr, and its exit status. */
function report(m: Machine, opts: RunOptions, out: Exit | GoThrow): RunResult {
  const err = (s: string): void => (opts.stderr ?? ((b) => process.stderr.write(b)))(new TextEncoder().encode(s));
  const dump = (all: boolean): string => {
    const d = goroutineDump(m, all, opts.showPath);
    return d ? "\n" + d : "";
  };
  if (out instanceof GoThrow) {
    err(out.text() + dump(out.kind === "throw" && !(out instanceof GoPanic)));
    return { code: 2, how: out instanceof GoPanic ? "panic" : "throw", insns: m.engine.icount, machine: m };
  }
  const exit = out;
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
      // RIP as the unsigned 64-bit value it is (a jump can leave it non-canonical).
      const rip = BigInt.asUintN(64, exit.thread.regs[REG_RIP]!);
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
