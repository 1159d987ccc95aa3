// `gmpemu tour` on Node: the walk of src/tour/walk.ts on a program from a
// file, printed, with the comments read from the sources on disk and paths
// relative to a root.

import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { buildMachine } from "../node/boot.ts";
import { renderItem, walkTour } from "./walk.ts";

export { renderItem, walkTour, type TourHost, type TourItem } from "./walk.ts";

export interface TourOptions {
  /** Root for relative paths in the output. */
  root?: string;
  /** At most this many instructions before the switch is found. */
  maxSteps?: number;
}

/** Runs the tour on file and writes it with out. Returns the exit status. */
export function runTour(file: string, out: (s: string) => void, opts: TourOptions = {}): number {
  const root = opts.root ?? process.cwd();
  const m = buildMachine([file], { procs: 1, nosysmon: true, stdout: () => {}, stderr: () => {} });
  try {
    const walk = walkTour(m, {
      step: () => m.kernel.stepOnce()?.kind,
      source: (f) => {
        try { return readFileSync(f, "utf8"); } catch { return undefined; }
      },
      showPath: (f) => relative(root, f),
      maxSteps: opts.maxSteps ?? 2_000_000,
    });
    for (let r = walk.next(); ; r = walk.next()) {
      if (r.done) return r.value;
      out(renderItem(r.value));
    }
  } finally {
    m.engine.close();
  }
}
