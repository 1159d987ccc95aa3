// The command line's shared pieces: the flags every command that runs a
// program takes, how their values are parsed, and what a usage error is.
//
// One place for the run flags (runFlags), so `step`, `verify`, `trace`,
// `tour` and `gdb` accept exactly what `run` accepts, spelled and parsed
// the same way (durations with units: 10ms, 250us, 1s, or nanoseconds).
// A command adds the set with `runFlags(cmd, { ... })`, leaving out what
// it cannot honour, and turns the parsed values into the machine's options
// with `runOptions(o)`.
//
// Misuse of the command line (an unknown option, a value that is not a
// number, a missing argument) is a UsageError: main prints one line,
// `error: MESSAGE (see gmpemu CMD --help)`, and exits with status 2. The
// help itself is printed only when asked for.

import type { Command } from "commander";
import { ENGINE_NAMES } from "../engine/index.ts";
import { MIN_PREEMPT_EVERY, type NodeRunOptions } from "../node/boot.ts";

/** Misuse of the command line: one line and a hint, exit status 2. `command` is the subcommand's name ("" for gmpemu itself). */
export class UsageError extends Error {
  constructor(message: string, readonly command = "") {
    super(message);
  }
}

/** The hint after a usage error. */
export function usageHint(command: string): string {
  return `(see gmpemu${command ? " " + command : ""} --help)`;
}

/** An integer of at least min, or a usage error naming the flag. */
export function posInt(cmd: string, name: string, v: string, min = 1): number {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${name}: not an integer >= ${min}: ${v}`, cmd);
  return n;
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9 };

/** A duration in nanoseconds: "10ms", "250us", "1.5s", or plain nanoseconds. */
export function duration(cmd: string, name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s)?$/.exec(v.trim());
  if (!m) throw new UsageError(`${name}: not a duration (like 10ms, 250us or 5000000): ${v}`, cmd);
  const ns = Math.round(Number(m[1]) * UNITS[m[2] ?? "ns"]!);
  if (!Number.isSafeInteger(ns) || ns < 1) throw new UsageError(`${name}: must be at least 1ns: ${v}`, cmd);
  return ns;
}

/** The run flags' values as commander gives them. */
export interface RunFlagValues {
  procs?: string;
  seed?: string;
  engine?: string;
  maxInsns?: string;
  asyncpreemptoff?: boolean;
  timeslice?: string;
  preemptEvery?: string;
  maxStack?: string;
  sysmon?: boolean;
  schedtrace?: string;
  strict?: boolean;
}

type Flag = keyof RunFlagValues;

/** Which run flags a command leaves out (it cannot honour them, or has its own). */
export interface RunFlagsConfig {
  omit?: readonly Flag[];
  /** The engines this command accepts (default: all). */
  engines?: readonly string[];
  /** The budget flag's help (commands differ in what the budget stops). */
  maxInsnsHelp?: string;
}

/**
 * Adds the flags of a program's run to cmd: GOMAXPROCS, the seed, the
 * engine, the instruction budget, preemption (--asyncpreemptoff,
 * --timeslice, --preempt-every, --no-sysmon), --max-stack, --schedtrace,
 * and the assembler's --strict.
 */
export function runFlags(cmd: Command, cfg: RunFlagsConfig = {}): Command {
  const has = (f: Flag): boolean => !cfg.omit?.includes(f);
  const engines = cfg.engines ?? ENGINE_NAMES;
  if (has("procs")) cmd.option("--procs <n>", "GOMAXPROCS: the number of Ps", "1");
  if (has("seed")) cmd.option("--seed <n>", "seed of the kernel's thread interleaving", "1");
  if (has("engine")) cmd.option("--engine <name>", `CPU engine (${engines.join(", ")})`, "interp");
  if (has("maxInsns")) cmd.option("--max-insns <n>", cfg.maxInsnsHelp ?? "stop after this many instructions");
  if (has("asyncpreemptoff")) cmd.option("--asyncpreemptoff", "no preemption signals, as GODEBUG=asyncpreemptoff=1 (sysmon still sets the cooperative flag)");
  if (has("timeslice")) cmd.option("--timeslice <duration>", "forcePreemptNS: how long a goroutine may keep its P before sysmon preempts it (virtual time: 10ms, 250us, 1s, or ns)", "10ms");
  if (has("preemptEvery")) cmd.option("--preempt-every <n>", `raise a preemption signal on the running thread every n instructions (at least ${MIN_PREEMPT_EVERY}; labs)`);
  if (has("maxStack")) cmd.option("--max-stack <bytes>", "the largest goroutine stack before 'fatal error: stack overflow' (Go's 1000000000)");
  if (has("sysmon")) cmd.option("--no-sysmon", "do not start sysmon (no preemption by time slice)");
  if (has("schedtrace")) cmd.option("--schedtrace <ms>", "print Go's GODEBUG=schedtrace line every <ms> ms of virtual time (from sysmon), the first at 0");
  if (has("strict")) cmd.option("--strict", "make a lossy immediate (MOVB $0x1ff, AX) an error, not a warning");
  return cmd;
}

/** The machine's options from the run flags' values; a bad value is a UsageError of command `name`. */
export function runOptions(name: string, o: RunFlagValues, cfg: RunFlagsConfig = {}): NodeRunOptions {
  const r: NodeRunOptions = {};
  if (o.procs !== undefined) r.procs = posInt(name, "--procs", o.procs);
  if (o.seed !== undefined) r.seed = posInt(name, "--seed", o.seed, 0);
  if (o.engine !== undefined) {
    const engines = cfg.engines ?? ENGINE_NAMES;
    if (!engines.includes(o.engine)) throw new UsageError(`--engine: unknown engine "${o.engine}" (engines: ${engines.join(", ")})`, name);
    r.engine = o.engine;
  }
  if (o.maxInsns !== undefined) r.maxInsns = posInt(name, "--max-insns", o.maxInsns);
  if (o.asyncpreemptoff) r.asyncpreemptoff = true;
  if (o.timeslice !== undefined) r.timeslice = duration(name, "--timeslice", o.timeslice);
  if (o.preemptEvery !== undefined) r.preemptEvery = posInt(name, "--preempt-every", o.preemptEvery, MIN_PREEMPT_EVERY);
  if (o.maxStack !== undefined) r.maxStack = posInt(name, "--max-stack", o.maxStack, 4096);
  if (o.sysmon === false) r.nosysmon = true;
  if (o.schedtrace !== undefined) r.schedtrace = posInt(name, "--schedtrace", o.schedtrace.replace(/ms$/, ""));
  if (o.strict) r.strict = true;
  return r;
}

/**
 * Makes every misuse commander finds in cmd and its subcommands (unknown
 * option, missing argument, too many arguments) one line with the hint,
 * instead of the help.
 */
export function oneLineErrors(cmd: Command, path = ""): void {
  cmd.configureOutput({
    outputError: (str, write) => {
      const line = str.trim().split("\n")[0] ?? "";
      write(`${line.startsWith("error:") ? line : `error: ${line}`} ${usageHint(path)}\n`);
    },
  });
  for (const sub of cmd.commands) oneLineErrors(sub, path ? `${path} ${sub.name()}` : sub.name());
}
