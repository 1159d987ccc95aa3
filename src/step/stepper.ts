// The stepper on Node: a program from a file, paths shown relative to a
// root. The stepping itself (commands, motions, breakpoints, replay, the
// views) is src/step/core.ts, which the browser page runs too.

import { relative } from "node:path";
import { buildMachine } from "../node/boot.ts";
import { StepperCore, type StepperCoreOptions } from "./core.ts";

export { EVENT_BREAKS, RUN_LIMIT, STEP_SLICE, X_MAX_COUNT, StepperCore, type Motion, type MachineBuilder } from "./core.ts";

export interface StepperOptions extends StepperCoreOptions {
  /** Root for relative paths (default: the working directory). */
  root?: string;
}

export class Stepper extends StepperCore {
  constructor(readonly file: string, opts: StepperOptions = {}) {
    super((ropts) => buildMachine([file], ropts), { showPath: (f) => relative(opts.root ?? process.cwd(), f), ...opts });
  }
}
