// `gmpemu tour [FILE] [--chapter NAME]`: one path through the scheduler,
// instruction by instruction (src/tour/tour.ts). Without FILE a chapter
// runs the program it was written for (programs/gosched.s, hello.s,
// spin.s, deeprec.s, syscall.s). On a terminal it pauses at each section
// (Enter goes on) and wraps its prose to the terminal's width;
// `--no-pause`, or a pipe, prints it all at once.
import type { Command } from "commander";
import { createInterface } from "node:readline";
import { resolve } from "node:path";
import { packageRoot } from "../node/root.ts";
import { CHAPTER_PROGRAM, CHAPTERS, runTour, runTourPaced, type ChapterName } from "../tour/tour.ts";
import { addCheckOptions, CheckSession, type CheckCliOptions } from "./check.ts";
import { UsageError } from "./flags.ts";
import { runInputs } from "./outpath.ts";

interface TourCliOptions extends CheckCliOptions { chapter: string; pause: boolean; strict?: boolean }

export function registerTour(program: Command, setStatus: (s: number) => void): void {
  const cmd = program
    .command("tour")
    .description("a guided walk through the scheduler, one instruction at a time: a Gosched (mcall, the scheduler, gogo), " +
      "a channel park, a preemption by signal, a stack growth, a system call")
    .argument("[file]", "the program, .s or .go (default: the chapter's own, e.g. programs/gosched.s)")
    .option("--chapter <name>", `what to follow: ${CHAPTERS.join(", ")}`, "gosched")
    .option("--no-pause", "do not wait for Enter between sections (a pipe never waits)")
    .option("--strict", "lossy immediates in the program are errors")
    .option("--force", "overwrite an existing output file even if it is not of the kind written (never an input)");
  addCheckOptions(cmd)
    .action(async (fileArg: string | undefined, o: TourCliOptions) => {
      if (!(CHAPTERS as readonly string[]).includes(o.chapter)) {
        throw new UsageError(`--chapter: no chapter ${o.chapter} (chapters: ${CHAPTERS.join(", ")})`, "tour");
      }
      const chapter = o.chapter as ChapterName;
      const file = fileArg ?? resolve(packageRoot(), "programs", CHAPTER_PROGRAM[chapter]);
      const check = new CheckSession(o, runInputs([file]));
      const tty = process.stdout.isTTY === true && process.stdin.isTTY === true;
      const opts = { root: process.cwd(), chapter, width: tty ? process.stdout.columns : undefined, strict: o.strict === true, run: check.apply({}) };
      const out = (s: string): void => { process.stdout.write(s); };
      if (!tty || !o.pause) {
        setStatus(check.finish(runTour(file, out, opts)));
        return;
      }
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      try {
        const pause = (): Promise<void> => new Promise((res) => {
          rl.question("[Enter: next section] ", () => res());
        });
        setStatus(check.finish(await runTourPaced(file, out, pause, opts)));
      } finally {
        rl.close();
      }
    });
}
