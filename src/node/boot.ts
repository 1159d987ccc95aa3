// Machines built from files, for the Node host: the runtime's assembly from
// the package's asm/ directory, tracebacks with absolute paths (as Go prints
// them). The core's boot (src/runtime/boot.ts) takes its sources from its
// caller; this is the caller every Node tool and test uses. A program of
// .go files is compiled with Go 1.19 first (gobuild.ts) and booted as a
// binary (src/golang/boot.ts); every tool takes either kind.

import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import * as core from "../runtime/boot.ts";
import { buildGoMachine, loadProgram, runGoProgram } from "../golang/boot.ts";
import type { LoadedProgram } from "../golang/load.ts";
import { goBuild, isGoProgram, type Built } from "./gobuild.ts";
import { goroutineDump } from "../runtime/traceback.ts";
import { asmDir } from "./root.ts";

export type { Machine, RunOptions, RunResult } from "../runtime/boot.ts";
export { MIN_PREEMPT_EVERY, OS_STACK_SIZE, OS_STACK_TOP, hostTable } from "../runtime/boot.ts";

/** The runtime's own assembly files (asm/*.s), in link order. */
export function runtimeAsmFiles(): string[] {
  const dir = asmDir();
  return readdirSync(dir).filter((f) => f.endsWith(".s")).sort().map((f) => join(dir, f));
}

function sources(opts: core.RunOptions): core.RunOptions & core.ProgramSources {
  return { showPath: (f) => resolve(f), ...opts, runtimeFiles: runtimeAsmFiles() };
}

export function linkProgram(files: readonly string[], includeDirs: readonly string[] = []): ReturnType<typeof core.linkProgram> {
  return core.linkProgram(files, { runtimeFiles: runtimeAsmFiles() }, includeDirs);
}

export function buildMachine(files: readonly string[], opts: core.RunOptions = {}): core.Machine {
  if (isGoProgram(files)) {
    const b = built(files);
    return buildGoMachine(b.binary, b.path, sources(opts));
  }
  return core.buildMachine(files, sources(opts));
}

export function runProgram(files: readonly string[], opts: core.RunOptions = {}): core.RunResult {
  if (isGoProgram(files)) {
    const b = built(files);
    return runGoProgram(b.binary, b.path, sources(opts));
  }
  return core.runProgram(files, sources(opts));
}

/**
 * The binary of a Go program, built once per process for the same files
 * (the stepper rebuilds its machine to step back; Go's build cache would
 * make a second build quick, but not free).
 */
const builds = new Map<string, Built>();
export function built(files: readonly string[]): Built {
  const key = files.map((f) => resolve(f)).join("\0");
  let b = builds.get(key);
  if (b === undefined) {
    b = goBuild(files);
    builds.set(key, b);
  }
  return b;
}

/** A Go program's binary, loaded (what each runtime function became, its pclntab), without a machine. */
export function loadGoProgram(files: readonly string[]): LoadedProgram {
  const b = built(files);
  return loadProgram(b.binary, b.path, { runtimeFiles: runtimeAsmFiles() });
}

/** The goroutine dump, with Go's absolute file names. */
export function dumpGoroutines(m: core.Machine, all: boolean): string {
  return goroutineDump(m, all, (f) => resolve(f));
}
