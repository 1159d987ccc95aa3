// `gmpemu step FILE.s|FILE.go`: the interactive stepper (src/step/stepper.ts), with
// line editing, history and Tab completion from node:readline (Ctrl-L
// clears the screen), or `--script FILE` to run commands non-interactively
// (one per line, # comments), echoing each.
//
// On a terminal a command that moves the machine runs in slices with the
// event loop turning between them, so Ctrl-C stops it where it is and
// returns to the prompt (gdb's way); at the prompt Ctrl-C only clears the
// line. The run flags are run's (src/cli/flags.ts).
import type { Command } from "commander";
import { readFileSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { complete } from "../step/complete.ts";
import { Stepper } from "../step/stepper.ts";
import { addCheckOptions, CHECK_STATUS, CheckSession, type CheckCliOptions } from "./check.ts";
import { runFlags, runOptions, type RunFlagValues } from "./flags.ts";
import { runInputs } from "./outpath.ts";

interface StepCliOptions extends RunFlagValues, CheckCliOptions { script?: string }

/** The largest script read (a script is typed by a person; /dev/zero is not one). */
const SCRIPT_MAX = 1 << 20;

/** A --script file's text, or a one-line error naming the file. */
function readScript(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(`--script: ${path}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message}`);
  }
  if (st.isDirectory()) throw new Error(`--script: ${path}: is a directory`);
  if (!st.isFile()) throw new Error(`--script: ${path}: not a regular file`);
  if (st.size > SCRIPT_MAX) throw new Error(`--script: ${path}: larger than ${SCRIPT_MAX} bytes`);
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(`--script: ${path}: cannot read it${code === "EACCES" ? ": permission denied" : ""}`);
  }
}

export function registerStep(program: Command, setStatus: (s: number) => void): void {
  const cmd = program
    .command("step")
    .description("step through a program instruction by instruction, with the scheduler's state beside the registers")
    .argument("<file>", "a program: Go assembly (package main, TEXT ·main) or Go source (.go, built with Go 1.19)")
    .option("--script <file>", "run the commands in this file instead of reading a terminal")
    .option("--force", "overwrite an existing output file even if it is not of the kind written (never an input)");
  runFlags(cmd, { omit: ["maxInsns"] });
  addCheckOptions(cmd)
    .action(async (file: string, o: StepCliOptions) => {
      const ropts = runOptions("step", o);
      // The script is read before the machine is built: a typo costs nothing.
      let script: string | undefined;
      if (o.script !== undefined) script = readScript(o.script);
      const tty = !o.script && process.stdin.isTTY === true && process.stdout.isTTY === true;
      const check = new CheckSession(o, runInputs([file]));
      const { strict, warn: _w, ...machine } = check.apply(ropts);
      const s = new Stepper(file, { ...machine, color: tty, root: process.cwd(), strict: strict === true });
      // A failed check ends the program in the session; the session's status says so.
      const finish = (): void => {
        const st = check.finish(check.failures.length > 0 ? CHECK_STATUS : 0);
        if (st !== 0) setStatus(st);
      };
      try {
        if (script !== undefined) {
          for (const line of script.split("\n")) {
            const t = line.trim();
            if (t === "" || t.startsWith("#")) continue;
            process.stdout.write(`(gmpemu) ${t}\n`);
            if (t === "quit" || t === "q") break;
            try {
              process.stdout.write(s.exec(t));
            } catch (e) {
              process.stdout.write(`error: ${(e as Error).message}\n`);
              setStatus(1);
            }
          }
          return;
        }
        await interactive(s, file, tty);
      } finally {
        s.m.engine.close();
        finish();
      }
    });
}

/** The session on a terminal (or a pipe): prompt, history, completion, Ctrl-C. */
async function interactive(s: Stepper, file: string, tty: boolean): Promise<void> {
  const out = process.stdout;
  out.write(s.intro(file) + s.view());
  const rl = createInterface({
    input: process.stdin, output: out, prompt: "(gmpemu) ", historySize: 1000, terminal: tty,
    completer: (line: string) => {
      try { return complete(s, line); } catch { return [[], line]; }
    },
  });
  let running = false, interrupted = false;
  const onInterrupt = (): void => {
    if (running) { interrupted = true; return; }
    // At the prompt, as gdb does: drop the line, prompt again.
    out.write("^C\n");
    rl.write(null, { ctrl: true, name: "u" });
    rl.prompt();
  };
  rl.on("SIGINT", onInterrupt);
  // Without a terminal (stdin a pipe) Ctrl-C is a signal: it stops a motion, or ends the session.
  const onSignal = (): void => { if (running) interrupted = true; else rl.close(); };
  process.on("SIGINT", onSignal);
  const pause = (): Promise<boolean> => new Promise((res) => setImmediate(() => res(interrupted)));
  try {
    rl.prompt();
    let last = "";
    for await (const line of rl) {
      const l = line.trim() === "" ? last : line.trim();
      last = l;
      if (l === "quit" || l === "q") break;
      running = true;
      interrupted = false;
      try {
        out.write(await s.execSliced(l, pause));
      } catch (e) {
        out.write(`error: ${(e as Error).message}\n`);
      } finally {
        running = false;
      }
      rl.prompt();
    }
  } finally {
    process.off("SIGINT", onSignal);
    rl.close();
  }
}
