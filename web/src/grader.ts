/// <reference types="vite/client" />
// The lab grader in the page's worker: src/lab/core.ts (the same code as
// `gmpemu lab grade`) with a host of bundled files in memory. See labs.ts
// for the paths and why the page's own runtime edits are not used.

import type { ObjFile } from "../../src/asm/assemble.ts";
import { assembleFile } from "../../src/asm/assemble.ts";
import { MemorySource, normalizePath } from "../../src/asm/source.ts";
import { grading, type Grading, type LabHost } from "../../src/lab/core.ts";
import { runProgram } from "../../src/runtime/boot.ts";
import { INCLUDE_DIR, INCLUDE_FILES, LAB_FILES, PROGRAM_FILES, RUNTIME_FILES, table } from "./files.ts";
import { bundledLabs, findLab, studentPath } from "./labs.ts";

/** What the labs' tests read besides programs/*.s: the Go twins' golden answers, the checker's fixtures. */
export const TEST_FILES: ReadonlyMap<string, string> = table(import.meta.glob(["../../test/golden/programs/*.txt", "../../test/check/fixtures/*.s"], { query: "?raw", import: "default", eager: true }) as Record<string, string>);

let runtimeObjs: ObjFile[] | undefined;

/** Grades `text` for lab `name`, a test at a time (the worker runs one per turn). */
export function gradeInPage(name: string, text: string): Grading {
  const l = findLab(name);
  if (!l) throw new Error(`no lab "${name}" (labs: ${bundledLabs().map((x) => x.config.name).join(", ")})`);
  const files: Record<string, string> = {};
  for (const m of [INCLUDE_FILES, RUNTIME_FILES, PROGRAM_FILES, LAB_FILES, TEST_FILES]) for (const [p, t] of m) files[p] = t;
  const file = studentPath(l);
  files[file] = text;
  const source = new MemorySource(files, INCLUDE_DIR);
  const runtimeFiles = [...RUNTIME_FILES.keys()];
  if (!runtimeObjs) {
    // The bundled runtime assembles cleanly (the build's tests say so); once per worker.
    runtimeObjs = runtimeFiles.map((f) => {
      const r = assembleFile(f, { pkg: "runtime", source });
      if (r.errors.length) throw new Error(`the bundled runtime does not assemble: ${r.errors[0]!.format()}`);
      return r.obj;
    });
  }
  const objs = runtimeObjs;
  const host: LabHost = {
    source,
    read: (p) => {
      const t = files[p];
      if (t === undefined) throw new Error(`no such file in the page: ${p}`);
      return t;
    },
    resolve: (dir, rel) => normalizePath(`${dir}/${rel}`),
    run: (program, opts) => runProgram([program], { ...opts, runtimeFiles, source, runtimeObjs: objs }),
    lockstep: false,
    requireOracles: false,
  };
  return grading(host, l.config, l.dir, file);
}
