// `gmpemu trace PROGRAM.s…`: a non-interactive trace on stdout, for labs to
// read and diff. By default (and with --only) one line per executed
// instruction of the context-switch routines, with the registers each one
// changed; with --events, one line per scheduler event instead. The
// program's own output goes to stderr, so stdout is only the trace. The
// work is in src/trace/insn.ts; this file parses options and reports how
// the run ended (the program's status, 2 for a fatal error, 3 when the
// instruction budget ran out).
import type { Command } from "commander";
import { GoThrow } from "../runtime/panic.ts";
import { RunStopped } from "../runtime/boot.ts";
import { addCheckOptions, CheckSession, type CheckCliOptions } from "./check.ts";
import { runInputs } from "./outpath.ts";
import { runFlags, runOptions, UsageError, type RunFlagValues } from "./flags.ts";
import { DEFAULT_ROUTINES, DEFAULT_TRACE_MAX_INSNS, TraceUsageError, traceEvents, traceInsns, type TraceOptions, type TraceResult } from "../trace/insn.ts";

interface TraceCliOptions extends RunFlagValues, CheckCliOptions {
  only?: string;
  events?: boolean;
}

export function registerTrace(program: Command, setStatus: (s: number) => void): void {
  const cmd = program
    .command("trace")
    .description("print a trace on stdout: each instruction of the switch routines with the registers it changed, or (--events) each scheduler event")
    .argument("<files...>", "the program's files: .s (assembly) or .go (source)")
    .option("--only <syms>", `comma-separated routines to trace (Go names: runtime.gogo, runtime·mcall, gogo<>); default: ${DEFAULT_ROUTINES.join(",")}`)
    .option("--events", "one line per scheduler event (create, run, park, ready, gosched, ...) instead of instructions")
    .option("--force", "overwrite an existing output file even if it is not of the kind written (never an input)");
  runFlags(cmd, { omit: ["engine"], maxInsnsHelp: `stop after this many instructions (default ${DEFAULT_TRACE_MAX_INSNS})` });
  addCheckOptions(cmd)
    .action((files: string[], o: TraceCliOptions) => {
      // Misuse: one line and a hint, exit status 2 (main).
      const usage = (msg: string): never => { throw new UsageError(msg, "trace"); };
      const opts: TraceOptions = runOptions("trace", o);
      if (o.only !== undefined) {
        if (o.events) usage("--only and --events do not go together (--only picks instructions)");
        opts.only = o.only.split(",").map((s) => s.trim()).filter((s) => s !== "");
        if (opts.only.length === 0) usage("--only: give at least one routine, like runtime.gogo");
      }
      const check = new CheckSession(o, runInputs(files));
      check.apply(opts);
      const done = (status: number): void => setStatus(check.finish(status));
      // Buffered: one write per 64 KiB, not per line.
      let buf: string[] = [];
      let size = 0;
      const flush = (): void => {
        if (buf.length) process.stdout.write(buf.join(""));
        buf = [];
        size = 0;
      };
      const write = (line: string): void => {
        buf.push(line + "\n");
        size += line.length + 1;
        if (size >= 1 << 16) flush();
      };
      let r: TraceResult;
      try {
        r = o.events ? traceEvents(files, opts, write) : traceInsns(files, opts, write);
      } catch (e) {
        flush();
        if (e instanceof TraceUsageError) usage(e.message);
        if (e instanceof GoThrow) {
          process.stderr.write(e.text() + "\n");
          done(2);
          return;
        }
        if (e instanceof RunStopped) {
          process.stderr.write(e.message + "\n");
          done(e.status);
          return;
        }
        throw e;
      }
      flush();
      switch (r.exit.kind) {
        case "exit": done(r.exit.code); break;
        case "budget":
          process.stderr.write(`gmpemu: stopped after ${r.insns} instructions (--max-insns)\n`);
          done(3);
          break;
        default:
          process.stderr.write(`gmpemu: the program ended with ${r.exit.kind}\n`);
          done(2);
      }
    });
}
