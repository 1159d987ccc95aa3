// gmpemu's command line. Each command lives in its own module; this file only
// wires them into commander and turns every error into a message and an exit
// status, never a stack trace: misuse of the command line is one line and a
// hint, `error: ... (see gmpemu CMD --help)`, with exit status 2 (flags.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { AsmErrors } from "../asm/prog.ts";
import { packageRoot } from "../node/root.ts";
import { formatErrors } from "./asm.ts";
import { oneLineErrors, UsageError, usageHint } from "./flags.ts";

/** The package's version, from its package.json. */
export function version(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}
import { GoBuildError } from "../node/gobuild.ts";

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name("gmpemu")
    .description("An x86-64 emulator for the Go runtime's scheduler")
    .version(`gmpemu ${version()}`, "-V, --version", "print gmpemu's version")
    .exitOverride();
  let status = 0;
  (await import("./asm.ts")).registerAsm(program, (s) => (status = s));
  (await import("./verify.ts")).registerVerify(program, (s) => (status = s));
  (await import("./run.ts")).registerRun(program, (s) => (status = s));
  (await import("./gdb.ts")).registerGdb(program, (s) => (status = s));
  (await import("./tour.ts")).registerTour(program, (s) => (status = s));
  (await import("./trace.ts")).registerTrace(program, (s) => (status = s));
  (await import("./step.ts")).registerStep(program, (s) => (status = s));
  (await import("./lab.ts")).registerLab(program, (s) => (status = s));
  oneLineErrors(program);
  // Subcommands throw like their parent instead of exiting the process.
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; misuse exits 2, its one line already printed.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof GoBuildError) {
      // A .go program that does not compile: Go's own messages, as go build printed them.
      process.stderr.write(e.output.endsWith("\n") ? e.output : e.output + "\n");
      return 1;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message} ${usageHint(e.command)}\n`);
      return 2;
    }
    if (e instanceof AsmErrors) {
      // Assembly diagnostics from any command: file:line:col: message, capped.
      process.stderr.write(formatErrors(e));
      return 1;
    }
    process.stderr.write(`gmpemu: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  return status;
}
