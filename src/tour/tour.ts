// `gmpemu tour` on Node: the walk of src/tour/walk.ts (the gosched chapter)
// or of src/tour/chapters.ts (park, preempt, morestack, syscall) on a
// program from a file, printed, with the comments read from the sources on
// disk and paths relative to a root.
//
// Pacing: on a terminal the tour pauses before each section (Enter goes
// on; `--no-pause`, or output to a pipe, never waits) and its prose is
// wrapped to the terminal's width. Instruction lines are never wrapped:
// their columns are the point.

import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { buildMachine, type NodeRunOptions, type RunOptions } from "../node/boot.ts";
import { RunStopped } from "../runtime/boot.ts";
import { walkChapter, type ChapterName } from "./chapters.ts";
import { renderItem, walkTour, type TourItem } from "./walk.ts";

export { renderItem, walkTour, type TourHost, type TourItem } from "./walk.ts";
export { CHAPTERS, CHAPTER_PROGRAM, walkChapter, type ChapterName } from "./chapters.ts";

/** Steps one thread takes before the chapters' walk lets the kernel pick again. */
const TOUR_SLICE = 10_000;

export interface TourOptions {
  /** Root for relative paths in the output. */
  root?: string;
  /** At most this many instructions before the switch is found. */
  maxSteps?: number;
  /** The chapter (default gosched). */
  chapter?: ChapterName;
  /** Wrap prose to this many columns (undefined: no wrapping). */
  width?: number;
  /** Lossy immediates are errors (--strict). */
  strict?: boolean;
  /** --check and --runtime-asm (src/cli/check.ts). */
  run?: Pick<RunOptions, "check" | "runtimeAsm">;
}

/** Wraps each line of prose longer than width at spaces; lines that start with a space (code, columns) are kept. */
export function wrap(text: string, width: number | undefined): string {
  if (!width || width < 20) return text;
  return text.split("\n").map((line) => {
    if (line.length <= width || line.startsWith(" ")) return line;
    const out: string[] = [];
    let cur = "";
    for (const w of line.split(" ")) {
      if (cur && cur.length + 1 + w.length > width) { out.push(cur); cur = w; } else cur = cur ? `${cur} ${w}` : w;
    }
    if (cur) out.push(cur);
    return out.join("\n");
  }).join("\n");
}

/** An item as printed: prose wrapped, instructions as they are. */
export function renderWrapped(it: TourItem, width: number | undefined): string {
  return it.kind === "text" ? wrap(it.text, width) : renderItem(it);
}

/** The walk's items for a file and chapter; the generator's return value is the exit status. */
export function tourItems(file: string, opts: TourOptions = {}): Generator<TourItem, number> {
  const root = opts.root ?? process.cwd();
  const source = (f: string): string | undefined => {
    try { return readFileSync(f, "utf8"); } catch { return undefined; }
  };
  const showPath = (f: string): string => relative(root, f);
  const chapter = opts.chapter ?? "gosched";
  const quiet: Partial<NodeRunOptions> = { ...opts.run, stdout: () => {}, stderr: () => {}, ...(opts.strict ? { strict: true } : {}) };
  if (chapter === "gosched") {
    return (function* () {
      const m = buildMachine([file], { procs: 1, nosysmon: true, ...quiet });
      try {
        return yield* walkTour(m, { step: () => m.kernel.stepOnce()?.kind, source, showPath, maxSteps: opts.maxSteps ?? 2_000_000 });
      } finally {
        m.engine.close();
      }
    })();
  }
  // Preemption needs sysmon; the others run as the gosched walk does, on one P.
  // (sysmon's time slice is 100 µs of virtual time there, not 10 ms, so that
  // the preemption comes after thousands of steps, not millions).
  const ropts: NodeRunOptions = chapter === "preempt" ? { procs: 1, timeslice: 100_000, ...quiet } : { procs: 1, nosysmon: true, ...quiet };
  return walkChapter(chapter, {
    boot: () => {
      const m = buildMachine([file], ropts);
      // The stepper's time slice (src/step/core.ts): stepOnce keeps a thread
      // until it blocks, so sysmon would never run beside a spinner.
      let n = 0;
      return { m, step: () => { if (++n % TOUR_SLICE === 0) m.kernel.requestSwitch(); return m.kernel.stepOnce()?.kind; } };
    },
    source, showPath, maxSteps: opts.maxSteps ?? 2_000_000,
  });
}

/** Runs the tour on file and writes it with out, without pausing. Returns the exit status. */
export function runTour(file: string, out: (s: string) => void, opts: TourOptions = {}): number {
  const walk = tourItems(file, opts);
  try {
    for (let r = walk.next(); ; r = walk.next()) {
      if (r.done) return r.value;
      out(renderWrapped(r.value, opts.width));
    }
  } catch (e) {
    return checkFailed(e, out);
  }
}

/** A failed check (--check) ends the tour where it happened: its message, and its status. */
function checkFailed(e: unknown, out: (s: string) => void): number {
  if (!(e instanceof RunStopped)) throw e;
  out(`\n${e.message}\n`);
  return e.status;
}

/**
 * The tour on a terminal: before each section after the first, `pause`
 * (which resolves when the reader presses Enter) is awaited.
 */
export async function runTourPaced(file: string, out: (s: string) => void, pause: () => Promise<void>, opts: TourOptions = {}): Promise<number> {
  const walk = tourItems(file, opts);
  let sections = 0;
  try {
    for (let r = walk.next(); ; r = walk.next()) {
      if (r.done) return r.value;
      if (r.value.kind === "section" && sections++ > 0) await pause();
      out(renderWrapped(r.value, opts.width));
    }
  } catch (e) {
    return checkFailed(e, out);
  }
}
