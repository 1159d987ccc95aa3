// Machines built from files, for the Node host: the runtime's assembly from
// the package's asm/ directory, tracebacks with absolute paths (as Go prints
// them). The core's boot (src/runtime/boot.ts) takes its sources from its
// caller; this is the caller every Node tool and test uses.

import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import * as core from "../runtime/boot.ts";
import { goroutineDump } from "../runtime/traceback.ts";
import { runtimeObjs } from "./imagecache.ts";
import { nodeSource } from "./nodefs.ts";
import { asmDir } from "./root.ts";

export type { Machine, RunOptions, RunResult } from "../runtime/boot.ts";
export { MIN_PREEMPT_EVERY, OS_STACK_SIZE, OS_STACK_TOP, hostTable } from "../runtime/boot.ts";

/** The runtime's own assembly files (asm/*.s), in link order. */
export function runtimeAsmFiles(): string[] {
  const dir = asmDir();
  return readdirSync(dir).filter((f) => f.endsWith(".s")).sort().map((f) => join(dir, f));
}

/** Options of a run from files: the core's, and the assembler's --strict and warnings. */
export interface NodeRunOptions extends core.RunOptions {
  /** Lossy immediates are errors (--strict). */
  strict?: boolean;
  /** Where assembler warnings go; default: stderr. */
  warn?: (line: string) => void;
}

const toStderr = (line: string): void => { process.stderr.write(line + "\n"); };

function sources(opts: NodeRunOptions): core.RunOptions & core.ProgramSources {
  const runtimeFiles = runtimeAsmFiles();
  const src: core.RunOptions & core.ProgramSources = { showPath: (f) => resolve(f), warn: toStderr, ...opts, runtimeFiles, source: nodeSource };
  const objs = runtimeObjs(runtimeFiles, nodeSource);
  if (objs !== undefined) src.runtimeObjs = objs;
  return src;
}

export function linkProgram(files: readonly string[], includeDirs: readonly string[] = [], opts: NodeRunOptions = {}): ReturnType<typeof core.linkProgram> {
  return core.linkProgram(files, sources(opts), includeDirs);
}

export function buildMachine(files: readonly string[], opts: NodeRunOptions = {}): core.Machine {
  return core.buildMachine(files, sources(opts));
}

export function runProgram(files: readonly string[], opts: NodeRunOptions = {}): core.RunResult {
  return core.runProgram(files, sources(opts));
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** runProgram with an event-loop turn every `every` instructions (test workers): the same result. */
export function runProgramAsync(files: readonly string[], opts: NodeRunOptions = {}, every?: number): Promise<core.RunResult> {
  return core.runProgramAsync(files, sources(opts), turn, every);
}

/** The goroutine dump, with Go's absolute file names. */
export function dumpGoroutines(m: core.Machine, all: boolean): string {
  return goroutineDump(m, all, (f) => resolve(f));
}
