// `gmpemu tour [FILE.s]`: one Gosched, instruction by instruction (src/tour/tour.ts).
import type { Command } from "commander";
import { resolve } from "node:path";
import { packageRoot } from "../node/root.ts";
import { runTour } from "../tour/tour.ts";
import { addCheckOptions, CheckSession, type CheckCliOptions } from "./check.ts";
import { runInputs } from "./outpath.ts";

export function registerTour(program: Command, setStatus: (s: number) => void): void {
  const cmd = program
    .command("tour")
    .description("a guided walk through one Gosched: mcall, the scheduler, gogo, one instruction at a time")
    .argument("[file]", "a program whose goroutines call runtime.Gosched", resolve(packageRoot(), "programs/gosched.s"))
    .option("--force", "overwrite an existing output file even if it is not of the kind written (never an input)");
  addCheckOptions(cmd).action((file: string, o: CheckCliOptions) => {
    const check = new CheckSession(o, runInputs([file]));
    const status = runTour(file, (s) => process.stdout.write(s), { root: process.cwd(), run: check.apply({}) });
    setStatus(check.finish(status));
  });
}
