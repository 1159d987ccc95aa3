// The options every command that runs a program shares for judging
// switches and plugging in a student's routines:
//
//   --check               the switch checker (src/check/check.ts): a broken
//                         rule stops the run with status 4 and one line
//   --check-json FILE     the failures as JSON (implies --check); written
//                         through outpath.ts, so an input is never
//                         overwritten and a file of another kind needs --force
//   --runtime-asm FILE.s  (repeatable) FILE's routines replace the runtime's
//                         of the same name (src/runtime/runtimeasm.ts)
//
// Each command adds them with addCheckOptions and turns them into RunOptions
// with CheckSession, which also writes --check-json when the run is over.
import type { Command } from "commander";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { CHECK_STATUS, switchCheck, type CheckFailure } from "../check/check.ts";
import type { RunOptions } from "../node/boot.ts";
import { packageRoot } from "../node/root.ts";
import { checkOutputs, OutputPathError, statusAfterOutputFailure, writeOutput } from "./outpath.ts";

export interface CheckCliOptions {
  check?: boolean;
  checkJson?: string;
  runtimeAsm?: string[];
  force?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Adds --check, --check-json and --runtime-asm to a command. */
export function addCheckOptions(cmd: Command, opts: { json?: boolean } = {}): Command {
  cmd.option("--check", "judge every goroutine switch (gogo, mcall, systemstack, asyncPreempt, morestack, goexit): a broken rule stops the run with status 4");
  if (opts.json !== false) cmd.option("--check-json <file.json>", "write the failed check (if any) as JSON for machines to read (implies --check)");
  cmd.option("--runtime-asm <file.s>", "use the routines FILE.s defines (TEXT runtime·gogo ...) in place of the runtime's own; repeatable", collect);
  return cmd;
}

/** A source path as a person reads it: relative to the current directory, or to the package for the runtime's own files. */
export function showPath(f: string): string {
  const abs = resolve(f);
  const cwd = process.cwd();
  if (abs.startsWith(cwd + sep)) return relative(cwd, abs);
  const root = packageRoot();
  if (abs.startsWith(root + sep)) return relative(root, abs);
  return isAbsolute(f) ? f : abs;
}

/** The checker's side of one command: RunOptions in, --check-json out. */
export class CheckSession {
  readonly failures: CheckFailure[] = [];
  readonly enabled: boolean;

  /** Checks --check-json's path before anything runs (inputs: every file the run reads). */
  constructor(readonly o: CheckCliOptions, inputs: readonly string[]) {
    this.enabled = o.check === true || o.checkJson !== undefined;
    if (o.checkJson !== undefined) {
      checkOutputs([{ option: "--check-json", path: o.checkJson, kind: "check-json" }], [...inputs, ...(o.runtimeAsm ?? [])], { force: o.force === true });
    }
  }

  /** The run options: the checker and the replaced routines. */
  apply<T extends RunOptions>(opts: T): T {
    if (this.enabled) opts.check = switchCheck({ showPath, onFailure: (f) => this.failures.push(f) });
    if (this.o.runtimeAsm && this.o.runtimeAsm.length > 0) opts.runtimeAsm = [...this.o.runtimeAsm];
    return opts;
  }

  /** Writes --check-json (however the run ended); returns the status to exit with. */
  finish(status: number): number {
    if (this.o.checkJson === undefined) return status;
    const report = { checkFailures: this.failures, passed: this.failures.length === 0, status };
    try {
      writeOutput("--check-json", this.o.checkJson, JSON.stringify(report, null, 2) + "\n");
    } catch (e) {
      if (!(e instanceof OutputPathError)) throw e;
      process.stderr.write(`gmpemu: ${e.message}\n`);
      return statusAfterOutputFailure(status);
    }
    return status;
  }
}

export { CHECK_STATUS };
