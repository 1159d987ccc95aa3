// The stepper on Node: a program from a file, paths shown relative to a
// root, comments read from the sources on disk. The stepping itself
// (commands, motions, breakpoints, replay, the views) is src/step/core.ts,
// which the browser page runs too.
//
// A step back rebuilds the machine from the same file, so the file must not
// change meanwhile: each rebuild compares the program's size and mtime with
// those of the first build and refuses to replay a different program.

import { readFileSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { buildMachine, type NodeRunOptions } from "../node/boot.ts";
import { StepperCore, type StepperCoreOptions } from "./core.ts";

export { EVENT_BREAKS, INTERRUPTED, RUN_LIMIT, STEP_SLICE, X_MAX_COUNT, StepperCore, quote, type Motion, type MachineBuilder } from "./core.ts";

export interface StepperOptions extends StepperCoreOptions {
  /** Root for relative paths (default: the working directory). */
  root?: string;
  /** Lossy immediates are errors (--strict). */
  strict?: boolean;
  /** Where the assembler's warnings go (the first build only; default: stderr). */
  warn?: (line: string) => void;
}

function identity(file: string): string {
  try {
    const st = statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return "missing";
  }
}

export class Stepper extends StepperCore {
  constructor(readonly file: string, opts: StepperOptions = {}) {
    const { root, strict, warn, ...core } = opts;
    let builds = 0;
    const id = identity(file);
    super((ropts) => {
      if (builds > 0 && identity(file) !== id) {
        throw new Error(`${file} changed since the stepper started: a replay would not rebuild the same machine (start gmpemu step again)`);
      }
      const nopts: NodeRunOptions = { ...ropts };
      if (strict) nopts.strict = true;
      // Warnings once: a replay assembles the same file again.
      nopts.warn = builds++ === 0 ? (warn ?? ((l) => process.stderr.write(l + "\n"))) : () => {};
      return buildMachine([file], nopts);
    }, {
      showPath: (f) => relative(root ?? process.cwd(), f),
      // `s` and `n` stop on the program's own lines (a .go program's Go lines, or a .s program's).
      programFiles: [file, resolve(file)],
      source: (f) => {
        try { return readFileSync(f, "utf8"); } catch { return undefined; }
      },
      ...core,
    });
  }
}
