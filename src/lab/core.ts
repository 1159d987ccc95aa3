// The lab grader: a student's routines judged by the switch checker, or a
// student's predicted schedule compared with the run.
//
// A routine lab (gogo, mcall, asyncPreempt) links the student's file into
// the runtime with --runtime-asm and runs a battery of programs, each a
// test worth points, each with --check and bounded by steps:
//   - without forced preemption, the output and exit status must be the Go
//     twin's (the golden answer in test/golden/programs/), byte for byte;
//   - with --preempt-every (several intervals and seeds), preemption points
//     move with the student's instruction counts, so only the set of output
//     lines and the status are compared, and every switch is judged;
//   - in lockstep with Unicorn, where it is installed (every instruction on
//     both CPUs; under GMPEMU_REQUIRE_ORACLES=1 a missing Unicorn fails the
//     test, as the test suite's oracles do).
// Whatever the student's file does becomes a failing test with a message,
// and the grader goes on: a file that does not assemble (file:line:col), a
// failed check (the checker's line: routine, register or field, expected
// and got, source line, step), an endless loop (the step bound, and where
// it was), a fault (address, instruction, source line, from the runtime's
// report), or anything else thrown.
//
// The schedule lab reads a text file of predictions, one section per
// program (`== NAME`, the predicted output lines, `why:` lines explaining
// them), runs each program under one P, and gives each program's points
// when every line is predicted in order. The explanations are collected for
// a person to read (they are worth no automatic points).
//
// Results are Gradescope's results.json: score, and tests[] with name,
// score, max_score, status and output.

// This file is the grader itself, platform-neutral: it reads nothing and
// runs nothing on its own. A LabHost gives it the files (the lab's
// programs, golden answers and the student's file, by path) and builds the
// machines, so the same code grades on the command line (grade.ts: node:fs,
// the package's asm/) and in the browser page's worker (web/src/lab.ts:
// bundled files in memory). Rejected: a copy of the grader for the page
// (two graders drift apart, and a score in the page would no longer be the
// score Gradescope gives), and making the page fetch files through a fake
// node:fs (the file system is the host's business, not the grader's).

import { assembleFile } from "../asm/assemble.ts";
import { AsmErrors } from "../asm/prog.ts";
import type { SourceProvider } from "../asm/source.ts";
import { REG_RIP } from "../engine/engine.ts";
import { switchCheck, type CheckFailure } from "../check/check.ts";
import type { Machine, RunOptions, RunResult } from "../runtime/boot.ts";
import { insnAt, symbolize, where } from "../debug/view.ts";
import type { LabConfig, LabTest } from "./config.ts";

export type { LabConfig, LabTest } from "./config.ts";
export { parseLab } from "./config.ts";

/** One Gradescope test. */
export interface TestResult {
  name: string;
  score: number;
  max_score: number;
  status: "passed" | "failed";
  output: string;
}

/** Gradescope's results.json. */
export interface Results {
  score: number;
  execution_time?: number;
  output: string;
  tests: TestResult[];
}

/**
 * What the grader needs from where it runs. Paths are the host's: the
 * lab's directory as the host names it, joined by `resolve`.
 */
export interface LabHost {
  /** Where the assembler reads the student's file and the programs (and their #includes). */
  source: SourceProvider;
  /** A text file (a golden answer, the predictions); throws when it cannot be read. */
  read(path: string): string;
  /** A path relative to a directory. */
  resolve(dir: string, rel: string): string;
  /** Runs an assembly program on a machine built as the host builds them (its runtime, its sources). */
  run(program: string, opts: RunOptions): RunResult;
  /** libunicorn is here (lockstep tests run; otherwise they are skipped). */
  lockstep: boolean;
  /** A missing oracle fails its test instead of skipping it (GMPEMU_REQUIRE_ORACLES=1). */
  requireOracles: boolean;
}

export const DEFAULT_MAX_STEPS = 5_000_000;

/** A golden file: the twin's status, stdout and stderr. */
export function parseGolden(text: string): { code: number; stdout: string; stderr: string } {
  const m = /^#[^\n]*\nexit (\d+)\n--- stdout ---\n([^]*?)--- stderr ---\n([^]*)$/.exec(text);
  if (!m) throw new Error("malformed golden file");
  return { code: Number(m[1]), stdout: m[2]!, stderr: m[3]! };
}

interface Outcome {
  code: number;
  how: string;
  stdout: string;
  stderr: string;
  failure?: CheckFailure;
  /** Where the machine stood at the end (for a step bound). */
  at?: string;
}

/** Runs one program with the student's routines; never throws. */
function runOne(host: LabHost, program: string, asm: string | undefined, t: LabTest): Outcome | { error: string } {
  let out = "", err = "";
  let failure: CheckFailure | undefined;
  let machine: Machine | undefined;
  const dec = new TextDecoder();
  const opts: RunOptions = {
    procs: t.procs ?? 1, seed: t.seed ?? 1, engine: t.engine ?? "interp", maxInsns: t.maxSteps ?? DEFAULT_MAX_STEPS,
    stdout: (b) => { if (out.length < 1 << 20) out += dec.decode(b); },
    stderr: (b) => { if (err.length < 1 << 20) err += dec.decode(b); },
    check: switchCheck({ onFailure: (f) => { failure = f; }, showPath: (f) => f.split("/").slice(-2).join("/") }),
    observe: (m) => { machine = m; },
  };
  if (t.preemptEvery !== undefined) opts.preemptEvery = t.preemptEvery;
  if (asm !== undefined) opts.runtimeAsm = [asm];
  try {
    const r = host.run(program, opts);
    const o: Outcome = { code: r.code, how: r.how, stdout: out, stderr: err };
    if (failure) o.failure = failure;
    if (r.how === "budget" && machine) {
      try {
        const rip = machine.engine.getRegN(REG_RIP);
        o.at = `${symbolize(machine, rip) ?? `0x${rip.toString(16)}`} (${where(machine, rip) || "no source line"}: ${insnAt(machine, rip).text})`;
      } catch { /* the engine is gone */ }
    }
    return o;
  } catch (e) {
    if (e instanceof AsmErrors) return { error: `does not assemble:\n${e.errors.slice(0, 20).map((x) => x.format()).join("\n")}` };
    return { error: `the run stopped: ${e instanceof Error ? e.message : String(e)}` };
  }
}

const lines = (s: string): string[] => s.split("\n").filter((l) => l !== "");

/** Judges one test's outcome against its golden answer. */
function judge(t: LabTest, o: Outcome, golden: ReturnType<typeof parseGolden> | undefined): string | undefined {
  if (o.failure) return `check: ${o.failure.message}`;
  if (t.compare === "check" && (o.how === "budget" || (o.how === "exit" && o.code === 0))) return undefined;
  if (o.how === "budget") return `did not finish within ${t.maxSteps ?? DEFAULT_MAX_STEPS} steps: an endless loop?${o.at ? ` It was at ${o.at}.` : ""}`;
  if (o.how === "fault" || o.how === "throw" || o.how === "panic" || o.how === "deadlock") {
    if (!golden || golden.code !== o.code || o.how === "fault") {
      return `the program died (${o.how}, status ${o.code}):\n${lines(o.stderr).slice(0, 24).join("\n")}`;
    }
  }
  if (!golden) return o.code === 0 ? undefined : `exit status ${o.code}, want 0`;
  if (o.code !== golden.code) return `exit status ${o.code}, want ${golden.code} (the Go twin's)\n${lines(o.stderr).slice(-12).join("\n")}`;
  const compare = t.compare ?? "exact";
  if (compare === "status") return undefined;
  const got = o.stdout + o.stderr, want = golden.stdout + golden.stderr;
  if (compare === "exact") {
    if (o.stdout === golden.stdout && o.stderr === golden.stderr) return undefined;
    return `the output differs from the Go twin's:\n${diff(lines(want), lines(got))}`;
  }
  const a = lines(got).sort(), b = lines(want).sort();
  if (a.join("\n") === b.join("\n")) return undefined;
  return `the output's lines differ from the Go twin's (in any order):\n${diff(b, a)}`;
}

/** The first differing line, with a little context. */
function diff(want: string[], got: string[]): string {
  let i = 0;
  while (i < want.length && i < got.length && want[i] === got[i]) i++;
  return `  line ${i + 1}: want ${JSON.stringify(want[i] ?? "(end of output)")}, got ${JSON.stringify(got[i] ?? "(end of output)")}`;
}

/** The routines a file defines (Go names), or its assembly errors. */
function definedRoutines(host: LabHost, file: string): { names: string[]; errors?: string } {
  const r = assembleFile(file, { pkg: "runtime", source: host.source });
  if (r.errors.length) return { names: [], errors: r.errors.slice(0, 20).map((x) => x.format()).join("\n") };
  return { names: r.obj.syms.filter((s) => s.kind === "text").map((s) => s.name) };
}

const goName = (n: string): string => n.replace("·", ".").replace(/<ABIInternal>$/, "");

/**
 * A grading, a test at a time: each test's result as it is judged, then the
 * Results. The command line runs it to the end (gradeWith); the page's
 * worker runs one test per turn of its message loop, so a Stop is seen
 * between two tests.
 */
export type Grading = Generator<TestResult, Results, void>;

/** Runs a grading to its end. */
export function finish(g: Grading): Results {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/** Grades a routine lab: `file` is the student's assembly, `labDir` the lab's directory (host paths). */
export function gradeRoutineLab(host: LabHost, lab: LabConfig, labDir: string, file: string): Results {
  return finish(routineGrading(host, lab, labDir, file));
}

export function* routineGrading(host: LabHost, lab: LabConfig, labDir: string, file: string): Grading {
  const t0 = Date.now();
  const tests: TestResult[] = [];
  const push = (r: TestResult): TestResult => {
    tests.push(r);
    return r;
  };
  const def = definedRoutines(host, file);
  const missing = (lab.routines ?? []).filter((r) => !def.names.includes(goName(r)));
  let blocked: string | undefined;
  if (def.errors !== undefined) blocked = `${file} does not assemble:\n${def.errors}`;
  else if (missing.length) blocked = `${file} does not define ${missing.join(", ")} (TEXT ${missing[0]}(SB), ...)`;
  for (const t of lab.tests) {
    const base = { name: t.name, max_score: t.points };
    if (t.engine === "lockstep" && !host.lockstep) {
      if (host.requireOracles) yield push({ ...base, score: 0, status: "failed", output: "libunicorn is required (GMPEMU_REQUIRE_ORACLES=1) but is not installed" });
      else yield push({ ...base, max_score: 0, score: 0, status: "passed", output: "skipped: libunicorn is not installed, so nothing ran in lockstep" });
      continue;
    }
    if (blocked !== undefined) {
      yield push({ ...base, score: 0, status: "failed", output: blocked });
      continue;
    }
    const o = runOne(host, host.resolve(labDir, t.program), file, t);
    let why: string | undefined;
    if ("error" in o) why = o.error;
    else {
      const golden = t.golden ? parseGolden(host.read(host.resolve(labDir, t.golden))) : undefined;
      why = judge(t, o, golden);
    }
    yield push(why === undefined
      ? { ...base, score: t.points, status: "passed", output: describe(t) }
      : { ...base, score: 0, status: "failed", output: `${describe(t)}\n${why}` });
  }
  return results(tests, t0, `${lab.name}: ${file}`);
}

function describe(t: LabTest): string {
  const bits = [`${t.program.replace(/^(\.\.\/)+/, "")}`, `--procs ${t.procs ?? 1}`, `--seed ${t.seed ?? 1}`];
  if (t.preemptEvery !== undefined) bits.push(`--preempt-every ${t.preemptEvery}`);
  if (t.engine === "lockstep") bits.push("--engine lockstep");
  bits.push(`--check, at most ${t.maxSteps ?? DEFAULT_MAX_STEPS} steps`);
  return bits.join(" ");
}

function results(tests: TestResult[], t0: number, what: string): Results {
  const score = tests.reduce((a, t) => a + t.score, 0);
  const max = tests.reduce((a, t) => a + t.max_score, 0);
  return { score, execution_time: Math.round((Date.now() - t0) / 1000), output: `${what}: ${score}/${max}`, tests };
}

// --- the schedule lab -------------------------------------------------------------------

export interface Prediction { lines: string[]; why: string[] }

/** Parses a predictions file: `== NAME` sections of output lines and `why:` lines; `#` comments. */
export function parsePredictions(text: string): Map<string, Prediction> {
  const out = new Map<string, Prediction>();
  let cur: Prediction | undefined;
  for (const raw of text.split("\n")) {
    const l = raw.replace(/\s+$/, "");
    const sec = /^==\s*(\S+)\s*$/.exec(l);
    if (sec) {
      cur = { lines: [], why: [] };
      out.set(sec[1]!, cur);
      continue;
    }
    if (!cur || l === "" || l.startsWith("#")) continue;
    const w = /^why:\s*(.*)$/.exec(l);
    if (w) cur.why.push(w[1]!);
    else cur.lines.push(l);
  }
  return out;
}

/** Grades the schedule lab: `file` holds the predictions. */
export function gradeScheduleLab(host: LabHost, lab: LabConfig, labDir: string, file: string): Results {
  return finish(scheduleGrading(host, lab, labDir, file));
}

export function* scheduleGrading(host: LabHost, lab: LabConfig, labDir: string, file: string): Grading {
  const t0 = Date.now();
  const tests: TestResult[] = [];
  const push = (r: TestResult): TestResult => {
    tests.push(r);
    return r;
  };
  let preds: Map<string, Prediction>;
  try {
    preds = parsePredictions(host.read(file));
  } catch (e) {
    preds = new Map();
    tests.push({ name: "read the predictions", score: 0, max_score: 0, status: "failed", output: `cannot read ${file}: ${(e as Error).message}` });
  }
  for (const t of lab.tests) {
    const base = { name: t.name, max_score: t.points };
    const key = t.program.replace(/^.*\//, "").replace(/\.s$/, "");
    const p = preds.get(key);
    const o = runOne(host, host.resolve(labDir, t.program), undefined, t);
    if ("error" in o) {
      yield push({ ...base, score: 0, status: "failed", output: o.error });
      continue;
    }
    const actual = lines(o.stdout + o.stderr);
    const explain = p && p.why.length ? `your explanation: ${p.why.join(" ")}` : "no explanation (why: lines) given";
    if (!p || p.lines.length === 0) {
      yield push({ ...base, score: 0, status: "failed", output: `no prediction for ${key}: add a section "== ${key}" with the output lines in order` });
      continue;
    }
    const same = p.lines.length === actual.length && p.lines.every((l, i) => l === actual[i]);
    yield push(same
      ? { ...base, score: t.points, status: "passed", output: `${key}: every line in order under one P\n${explain}` }
      : { ...base, score: 0, status: "failed", output: `${key}: the run under one P differs from your prediction:\n${diff(actual, p.lines)}\n${explain}` });
  }
  return results(tests, t0, `${lab.name}: ${file}`);
}

/** Grades any lab, a test at a time. */
export function grading(host: LabHost, lab: LabConfig, labDir: string, file: string): Grading {
  return lab.kind === "schedule" ? scheduleGrading(host, lab, labDir, file) : routineGrading(host, lab, labDir, file);
}

/** Grades any lab. */
export function gradeWith(host: LabHost, lab: LabConfig, labDir: string, file: string): Results {
  return finish(grading(host, lab, labDir, file));
}
