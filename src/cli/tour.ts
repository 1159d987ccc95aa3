// `gmpemu tour [FILE.s]`: one Gosched, instruction by instruction (src/tour/tour.ts).
import type { Command } from "commander";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runTour } from "../tour/tour.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");

export function registerTour(program: Command, setStatus: (s: number) => void): void {
  program
    .command("tour")
    .description("a guided walk through one Gosched: mcall, the scheduler, gogo, one instruction at a time")
    .argument("[file]", "a program whose goroutines call runtime.Gosched", resolve(ROOT, "programs/gosched.s"))
    .action((file: string) => {
      setStatus(runTour(file, (s) => process.stdout.write(s), { root: process.cwd() }));
    });
}
