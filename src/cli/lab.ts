// `gmpemu lab`: the teaching labs (labs/NAME/) and their autograder.
//
//   gmpemu lab list                         the labs, one a line
//   gmpemu lab init NAME [DIR]              the handout, the skeleton and the
//                                           grading configuration, into DIR
//                                           (default ./NAME); never over a file
//   gmpemu lab grade NAME FILE [--json results.json]
//                                           a summary on stdout, Gradescope's
//                                           results.json with --json
//
// The grading configuration the grader uses is always the package's own
// (labs/NAME/lab.json), never the copy `init` gave the student. grade exits
// 0 when it graded (whatever the score: a Gradescope run must upload its
// results), 1 for misuse or an unwritable --json.
import type { Command } from "commander";
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { grade, loadLab, type LabConfig, type Results } from "../lab/grade.ts";
import { packageRoot } from "../node/root.ts";
import { checkOutputs, OutputPathError, writeOutput } from "./outpath.ts";

export function labsDir(): string {
  return join(packageRoot(), "labs");
}

/** Every lab: a directory of labs/ with a lab.json. */
export function labs(): { dir: string; lab: LabConfig }[] {
  return readdirSync(labsDir())
    .filter((n) => existsSync(join(labsDir(), n, "lab.json")))
    .sort()
    .map((n) => ({ dir: join(labsDir(), n), lab: loadLab(join(labsDir(), n)) }));
}

function findLab(name: string): { dir: string; lab: LabConfig } {
  const all = labs();
  const l = all.find((x) => x.lab.name === name);
  if (!l) throw new Error(`lab: no lab "${name}" (labs: ${all.map((x) => x.lab.name).join(", ")}; see gmpemu lab list)`);
  return l;
}

/** The human summary of a grading. */
export function summary(r: Results): string {
  const out: string[] = [];
  for (const t of r.tests) {
    out.push(`${t.status === "passed" ? "PASS" : "FAIL"} ${String(t.score).padStart(3)}/${String(t.max_score).padEnd(3)} ${t.name}`);
    if (t.status !== "passed" || t.max_score === 0) for (const l of t.output.split("\n")) out.push(`           ${l}`);
  }
  const max = r.tests.reduce((a, t) => a + t.max_score, 0);
  out.push(`score: ${r.score}/${max}`);
  return out.join("\n") + "\n";
}

export function registerLab(program: Command, setStatus: (s: number) => void): void {
  const lab = program.command("lab").description("teaching labs: list them, start one, grade a solution (Gradescope results.json)");
  lab.command("list")
    .description("the labs")
    .action(() => {
      for (const { lab: l } of labs()) process.stdout.write(`${l.name.padEnd(14)} ${l.title}\n`);
    });
  lab.command("init")
    .description("write a lab's handout (README.md), skeleton with TODOs and grading configuration into DIR")
    .argument("<name>", "the lab (gmpemu lab list)")
    .argument("[dir]", "where to write them (default: ./NAME); existing files are left alone")
    .action((name: string, dirArg: string | undefined) => {
      const { dir, lab: l } = findLab(name);
      const dest = resolve(dirArg ?? name);
      if (existsSync(dest) && !statSync(dest).isDirectory()) throw new Error(`lab init: ${dest} exists and is not a directory`);
      const files = [l.handout, l.skeleton, "lab.json"];
      const clash = files.filter((f) => existsSync(join(dest, f)));
      if (clash.length) throw new Error(`lab init: ${clash.map((f) => join(dest, f)).join(", ")} already exist${clash.length === 1 ? "s" : ""}: nothing written (remove them, or give another DIR)`);
      mkdirSync(dest, { recursive: true });
      for (const f of files) copyFileSync(join(dir, f), join(dest, f));
      process.stdout.write(`${l.name}: wrote ${files.map((f) => join(dest, f)).join(", ")}\nedit ${l.skeleton}, then: gmpemu lab grade ${l.name} ${join(dest, l.skeleton)}\n`);
    });
  lab.command("grade")
    .description("grade FILE for a lab: a summary, and Gradescope's results.json with --json")
    .argument("<name>", "the lab (gmpemu lab list)")
    .argument("<file>", "the student's file (assembly, or the schedule lab's predictions)")
    .option("--json <results.json>", "write Gradescope's results.json")
    .option("--force", "overwrite an existing --json file even if it is not a Gradescope results.json (never an input)")
    .action((name: string, file: string, o: { json?: string; force?: boolean }) => {
      const { dir, lab: l } = findLab(name);
      if (!existsSync(file)) throw new Error(`lab grade: ${file}: no such file`);
      if (o.json !== undefined) checkOutputs([{ option: "--json", path: o.json, kind: "gradescope" }], [file], { force: o.force === true });
      const r = grade(l, dir, file);
      process.stdout.write(summary(r));
      if (o.json !== undefined) {
        try {
          writeOutput("--json", o.json, JSON.stringify(r, null, 2) + "\n");
        } catch (e) {
          if (!(e instanceof OutputPathError)) throw e;
          process.stderr.write(`gmpemu: ${e.message}\n`);
          setStatus(1);
        }
      }
    });
}
