// gmpemu lab: the reference solutions score full marks, broken and
// unfinished files score less with messages naming what broke, the grader
// always finishes, and results.json is Gradescope's format.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { grade, loadLab, parsePredictions, type Results } from "../../src/lab/grade.ts";
import { spawnAsync } from "../hostile/spawn-async.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const LABS = join(ROOT, "labs");
const tmp = mkdtempSync(join(tmpdir(), "gmpemu-lab-"));
const gradeLab = (name: string, file?: string): Results => {
  const dir = join(LABS, name);
  const lab = loadLab(dir);
  return grade(lab, dir, file ?? join(dir, lab.solution));
};
const total = (r: Results): number => r.tests.reduce((a, t) => a + t.max_score, 0);

/**
 * Gradescope's results.json, as its autograder specification documents it:
 * a score (required unless every test has one), optional execution_time,
 * output, visibility, stdout_visibility, extra_data, and tests[] whose
 * entries may carry score, max_score, status (passed/failed), name, number,
 * output, tags, visibility and extra_data. Anything else is an error here.
 */
function gradescopeErrors(j: unknown): string[] {
  const errs: string[] = [];
  const VIS = ["hidden", "after_due_date", "after_published", "visible"];
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
  if (!isObj(j)) return ["not an object"];
  const top = new Set(["score", "execution_time", "output", "output_format", "test_output_format", "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"]);
  for (const k of Object.keys(j)) if (!top.has(k)) errs.push(`unknown key ${k}`);
  if (j.score !== undefined && typeof j.score !== "number") errs.push("score is not a number");
  if (j.execution_time !== undefined && typeof j.execution_time !== "number") errs.push("execution_time is not a number");
  if (j.output !== undefined && typeof j.output !== "string") errs.push("output is not a string");
  for (const k of ["visibility", "stdout_visibility"]) if (j[k] !== undefined && !VIS.includes(j[k] as string)) errs.push(`${k} is not one of ${VIS.join(", ")}`);
  if (j.tests !== undefined && !Array.isArray(j.tests)) errs.push("tests is not an array");
  const tests = Array.isArray(j.tests) ? j.tests : [];
  if (j.score === undefined && !tests.every((t) => isObj(t) && typeof t.score === "number")) errs.push("no score, and not every test has one");
  const tk = new Set(["score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags", "visibility", "extra_data"]);
  tests.forEach((t, i) => {
    if (!isObj(t)) { errs.push(`tests[${i}] is not an object`); return; }
    for (const k of Object.keys(t)) if (!tk.has(k)) errs.push(`tests[${i}]: unknown key ${k}`);
    for (const k of ["score", "max_score"]) if (t[k] !== undefined && typeof t[k] !== "number") errs.push(`tests[${i}].${k} is not a number`);
    for (const k of ["name", "output", "number"]) if (t[k] !== undefined && typeof t[k] !== "string") errs.push(`tests[${i}].${k} is not a string`);
    if (t.status !== undefined && t.status !== "passed" && t.status !== "failed") errs.push(`tests[${i}].status is not passed or failed`);
    if (t.visibility !== undefined && !VIS.includes(t.visibility as string)) errs.push(`tests[${i}].visibility is invalid`);
    if (t.tags !== undefined && !(Array.isArray(t.tags) && t.tags.every((x) => typeof x === "string"))) errs.push(`tests[${i}].tags is not a list of strings`);
  });
  return errs;
}

describe("the reference solutions score full marks", () => {
  for (const name of ["gogo", "mcall", "asyncpreempt", "schedule"]) {
    it(name, () => {
      const r = gradeLab(name);
      const failed = r.tests.filter((t) => t.status !== "passed").map((t) => `${t.name}: ${t.output}`);
      expect(failed).toEqual([]);
      expect(r.score).toBe(total(r));
      expect(total(r)).toBeGreaterThan(0);
      expect(gradescopeErrors(JSON.parse(JSON.stringify(r)))).toEqual([]);
    }, 300_000);
  }
});

describe("broken and unfinished work scores less, with the reason", () => {
  it("gogo without its BP restore: every test names BP", () => {
    const r = gradeLab("gogo", join(ROOT, "test/check/fixtures/gogo-nobp.s"));
    expect(r.score).toBeLessThan(total(r));
    const failed = r.tests.filter((t) => t.status === "failed");
    expect(failed.length).toBeGreaterThan(0);
    for (const t of failed) expect(t.output).toMatch(/check: gogo restored BP=0x[0-9a-f]+ for goroutine \d+; gobuf\.bp was 0x[0-9a-f]+ \(.*gogo-nobp\.s:\d+, step \d+\)/);
  }, 300_000);
  it("the skeletons score 0 and say why (no stack trace)", () => {
    for (const name of ["gogo", "mcall"]) {
      const dir = join(LABS, name);
      const r = gradeLab(name, join(dir, loadLab(dir).skeleton));
      expect(r.score, name).toBe(0);
      for (const t of r.tests.filter((x) => x.max_score > 0)) expect(t.output, `${name}: ${t.name}`).toMatch(/check: |the program died|does not/);
    }
  }, 300_000);
  it("a file that loops forever, one that does not assemble, one missing the routine: failing tests, and the grader finishes", () => {
    const loop = join(tmp, "loop.s");
    writeFileSync(loop, "#include \"textflag.h\"\nTEXT runtime·gogo(SB), NOSPLIT, $0-8\nagain:\n\tJMP\tagain\n");
    const r = gradeLab("gogo", loop);
    expect(r.score).toBe(0);
    expect(r.tests[0]!.output).toMatch(/check: gogo jumped 100000 times without leaving for goroutine 1: an endless loop at 0x[0-9a-f]+ \(runtime\.gogo\)\? \(.*loop\.s:4, step \d+\)/);
    const bad = join(tmp, "bad.s");
    writeFileSync(bad, "TEXT runtime·gogo(SB), $0\n\tMOVQ $1, (\n");
    const b = gradeLab("gogo", bad);
    expect(b.score).toBe(0);
    expect(b.tests[0]!.output).toMatch(/bad\.s does not assemble:\n.*bad\.s:2:\d+: /);
    const other = join(tmp, "other.s");
    writeFileSync(other, "#include \"textflag.h\"\nTEXT runtime·procyield(SB), NOSPLIT, $0-4\n\tRET\n");
    expect(gradeLab("gogo", other).tests[0]!.output).toMatch(/does not define runtime·gogo/);
  }, 300_000);
  it("asyncPreempt that forgets X7: the X register is named", () => {
    const src = readFileSync(join(LABS, "asyncpreempt/solution.s"), "utf8").replace("MOVUPS\t224(SP), X7", "NOP");
    const f = join(tmp, "ap.s");
    writeFileSync(f, src);
    const r = gradeLab("asyncpreempt", f);
    expect(r.score).toBeLessThan(total(r));
    expect(r.tests[0]!.output).toMatch(/check: asyncPreempt restored X7=0x[0-9a-f]+ for goroutine \d+; the interrupted value was 0x/);
  }, 300_000);
  it("the schedule lab: a wrong order, a missing section", () => {
    const answers = readFileSync(join(LABS, "schedule/solution.txt"), "utf8").replace("worker 2 running\nworker 0 running", "worker 0 running\nworker 2 running").replace(/== semaphore[^]*$/, "");
    const f = join(tmp, "answers.txt");
    writeFileSync(f, answers);
    const r = gradeLab("schedule", f);
    expect(r.score).toBe(total(r) - 20);
    expect(r.tests[0]!.output).toContain(`line 1: want "worker 2 running", got "worker 0 running"`);
    expect(r.tests[3]!.output).toContain(`no prediction for semaphore`);
    expect(parsePredictions("== a\nx\nwhy: y\n# c\n").get("a")).toEqual({ lines: ["x"], why: ["y"] });
  }, 300_000);
});

describe("the command", () => {
  const bin = join(ROOT, "bin/gmpemu.mjs");
  it("list, init (never over a file), grade --json", async () => {
    const l = await spawnAsync(process.execPath, [bin, "lab", "list"], { timeout: 60_000 });
    expect(l.stdout.split("\n").filter(Boolean).map((x) => x.split(/\s+/)[0])).toEqual(["asyncpreempt", "gogo", "mcall", "schedule"]);
    const dir = join(tmp, "s");
    const i = await spawnAsync(process.execPath, [bin, "lab", "init", "schedule", dir], { timeout: 60_000 });
    expect(i.status).toBe(0);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain("61-tick rule");
    const again = await spawnAsync(process.execPath, [bin, "lab", "init", "schedule", dir], { timeout: 60_000 });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("already exist");
    writeFileSync(join(dir, "answers.txt"), readFileSync(join(LABS, "schedule/solution.txt")));
    const out = join(dir, "results.json");
    const g = await spawnAsync(process.execPath, [bin, "lab", "grade", "schedule", join(dir, "answers.txt"), "--json", out], { timeout: 120_000 });
    expect(g.status).toBe(0);
    expect(g.stdout).toContain("score: 40/40");
    const j = JSON.parse(readFileSync(out, "utf8"));
    expect(gradescopeErrors(j)).toEqual([]);
    expect(j.score).toBe(40);
    const over = await spawnAsync(process.execPath, [bin, "lab", "grade", "schedule", join(dir, "answers.txt"), "--json", join(dir, "README.md")], { timeout: 60_000 });
    expect(over.status).toBe(1);
    expect(over.stderr).toContain("is not a Gradescope results.json");
    const none = await spawnAsync(process.execPath, [bin, "lab", "grade", "nope", "x"], { timeout: 60_000 });
    expect(none.stderr).toMatch(/no lab "nope" \(labs: asyncpreempt, gogo, mcall, schedule/);
  }, 300_000);
  it("the schema check itself rejects what Gradescope would", () => {
    expect(gradescopeErrors({ score: "1", tests: [{ name: 1, status: "ok", score: 1 }], bogus: 1 })).toEqual([
      "unknown key bogus", "score is not a number", "tests[0].name is not a string", "tests[0].status is not passed or failed",
    ]);
  });
});
