// `gmpemu tour [FILE.s]`: one Gosched, instruction by instruction (src/tour/tour.ts).
import type { Command } from "commander";
import { resolve } from "node:path";
import { packageRoot } from "../node/root.ts";
import { runTour } from "../tour/tour.ts";

export function registerTour(program: Command, setStatus: (s: number) => void): void {
  program
    .command("tour")
    .description("a guided walk through one Gosched: mcall, the scheduler, gogo, one instruction at a time")
    .argument("[file]", "a program (.s or .go) whose goroutines call runtime.Gosched", resolve(packageRoot(), "programs/gosched.s"))
    .action((file: string) => {
      setStatus(runTour(file, (s) => process.stdout.write(s), { root: process.cwd() }));
    });
}
