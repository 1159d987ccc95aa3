// `gmpemu run PROGRAM.s…`: boot the runtime and run a Go assembly program on
// the emulated machine. The program's output (fds 1 and 2) goes to ours; the
// exit status is the program's (2 for a fatal error, as in Go).
import type { Command } from "commander";
import { runProgram } from "../runtime/boot.ts";
import { ENGINE_NAMES } from "../engine/index.ts";

interface RunCliOptions {
  procs: string;
  seed: string;
  engine: string;
  maxInsns?: string;
  stats?: boolean;
}

function posInt(name: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: not an integer >= ${min}: ${v}`);
  return n;
}

export function registerRun(program: Command, setStatus: (s: number) => void): void {
  program
    .command("run")
    .description("run a Go assembly program (package main, TEXT ·main) on the emulated runtime")
    .argument("<files...>", "the program's assembly files")
    .option("--procs <n>", "GOMAXPROCS: the number of Ps", "1")
    .option("--seed <n>", "seed of the kernel's thread interleaving", "1")
    .option("--engine <name>", `CPU engine (${ENGINE_NAMES.join(", ")})`, "interp")
    .option("--max-insns <n>", "stop after this many instructions")
    .option("--stats", "print instruction and host-call counts to stderr at the end")
    .action((files: string[], o: RunCliOptions) => {
      const opts: Parameters<typeof runProgram>[1] = {
        procs: posInt("--procs", o.procs),
        seed: posInt("--seed", o.seed, 0),
        engine: o.engine,
      };
      if (!ENGINE_NAMES.includes(o.engine as never)) throw new Error(`--engine: unknown engine "${o.engine}" (engines: ${ENGINE_NAMES.join(", ")})`);
      if (o.maxInsns !== undefined) opts.maxInsns = posInt("--max-insns", o.maxInsns);
      const r = runProgram(files, opts);
      if (o.stats) {
        const m = r.machine;
        process.stderr.write(`gmpemu: ${r.insns} instructions, ${m.bridge.calls} host calls, ${m.kernel.threads.length} threads, virtual time ${m.kernel.now} ns\n`);
      }
      setStatus(r.code);
    });
}
