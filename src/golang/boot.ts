// Booting a program compiled by Go: our runtime's assembly linked at
// ASM_TEXT_BASE, the binary loaded beside it (load.ts), and the same
// machine as for an assembly program (runtime/boot.ts's bootImage): the
// same host table, kernel and bridge; the first thread starts at our
// runtime·rt0_go, and runtime.main runs the binary's package inits and its
// main.main.
//
// Platform-neutral: the binary's bytes come from the caller (src/node/
// builds it with `go build` and reads the file).

import { assembleFile, type ObjFile } from "../asm/assemble.ts";
import { link, LinkError, type Image } from "../asm/link.ts";
import { AsmErrors, type AsmError } from "../asm/prog.ts";
import { bootImage, hostTable, runMachine, type Machine, type ProgramSources, type RunOptions, type RunResult } from "../runtime/boot.ts";
import { ASM_TEXT_BASE, loadGoBinary, type LoadedProgram } from "./load.ts";

export interface GoRunOptions extends RunOptions {
  /** os.Args (default: the binary's path). */
  args?: readonly string[];
}

/** Our runtime's assembly, linked where a compiled program's machine keeps it. */
export function linkRuntimeAsm(src: ProgramSources): Image {
  const t = hostTable();
  const errors: AsmError[] = [];
  const objs: ObjFile[] = [];
  // The host's cache of the assembled runtime (not yet linked) serves here too.
  if (src.runtimeObjs !== undefined) objs.push(...src.runtimeObjs);
  else {
    for (const f of src.runtimeFiles) {
      const r = assembleFile(f, { pkg: "runtime", source: src.source });
      errors.push(...r.errors);
      objs.push(r.obj);
    }
  }
  if (errors.length) throw new AsmErrors(errors);
  try {
    return link(objs, { textBase: ASM_TEXT_BASE, resolve: t.resolve, requireDefined: true });
  } catch (e) {
    if (e instanceof LinkError) throw new AsmErrors(e.errors);
    throw e;
  }
}

/** Loads a `go build` binary without building a machine (listings, tests). */
export function loadProgram(binary: Uint8Array, path: string, src: ProgramSources, args?: readonly string[]): LoadedProgram {
  return loadGoBinary(binary, path, linkRuntimeAsm(src), hostTable(), args ?? [path]);
}

/** The machine for a compiled program, ready to run. */
export function buildGoMachine(binary: Uint8Array, path: string, opts: GoRunOptions & ProgramSources): Machine {
  const loaded = loadProgram(binary, path, opts, opts.args);
  return bootImage(loaded.image, opts, { go: loaded.go, map: loaded.map });
}

/** Runs a compiled program to its end (runtime/boot.ts's runProgram, for a binary). */
export function runGoProgram(binary: Uint8Array, path: string, opts: GoRunOptions & ProgramSources): RunResult {
  return runMachine(buildGoMachine(binary, path, opts), opts);
}
