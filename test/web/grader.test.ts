// The labs' grader in the page's worker (web/src/grader.ts), in Node: every
// file a lab's tests read is bundled, and the page grades as `gmpemu lab
// grade` does (the same Results, test by test) for the schedule lab, whose
// tests need no Unicorn, a test per turn of the worker's loop; Stop ends a
// grading between two tests. The gogo lab is compared in Chromium (labs.test.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { normalizePath } from "../../src/asm/source.ts";
import { grade, loadLab } from "../../src/lab/grade.ts";
import { bundled } from "../../web/src/files.ts";
import { TEST_FILES } from "../../web/src/grader.ts";
import type { FromWorker } from "../../web/src/protocol.ts";
import { Session } from "../../web/src/session.ts";
import { bundledLabs, labFile } from "../../web/src/labs.ts";

const ROOT = resolve(import.meta.dirname, "../..");

describe("the labs in the page's worker", () => {
  it("bundles every lab, and every file a lab's tests read", () => {
    const names = bundledLabs().map((l) => l.config.name);
    expect(names).toEqual(["asyncpreempt", "gogo", "mcall", "schedule"]);
    for (const l of bundledLabs()) {
      for (const f of [l.config.handout, l.config.skeleton]) expect(labFile(l, f), `${l.dir}/${f}`).toBe(readFileSync(join(ROOT, l.dir, f), "utf8"));
      // The reference solutions stay out of the public site.
      expect(labFile(l, l.config.solution), `${l.dir}/${l.config.solution}`).toBeUndefined();
      for (const t of l.config.tests) {
        for (const rel of [t.program, t.golden]) {
          if (rel === undefined) continue;
          const p = normalizePath(`${l.dir}/${rel}`);
          expect(bundled(p) ?? TEST_FILES.get(p), p).toBe(readFileSync(join(ROOT, p), "utf8"));
        }
      }
    }
  });

  it("grades the schedule lab as gmpemu lab grade does (the solution, and a wrong prediction)", () => {
    const dir = join(ROOT, "labs/schedule");
    const lab = loadLab(dir);
    const solution = readFileSync(join(dir, "solution.txt"), "utf8");
    // hello's first two lines swapped: runnext's goroutine first is the point of that test.
    const wrong = solution.replace("worker 2 running\nworker 0 running\n", "worker 0 running\nworker 2 running\n");
    expect(wrong).not.toBe(solution);
    const tmp = mkdtempSync(join(tmpdir(), "gmpemu-grader-"));
    try {
      const scores: number[] = [];
      for (const [i, text] of [solution, wrong].entries()) {
        // As the worker runs it: one test per pump, a progress message each, then the results.
        const msgs: FromWorker[] = [];
        const session = new Session((m) => msgs.push(m));
        session.handle({ t: "grade", lab: "schedule", text });
        expect(session.busy).toBe(true);
        let pumps = 0;
        while (session.pump()) pumps++;
        expect(pumps).toBe(4);
        expect(msgs.map((m) => m.t)).toEqual(["grade-progress", "grade-progress", "grade-progress", "grade-progress", "graded"]);
        const page = (msgs[4] as Extract<FromWorker, { t: "graded" }>).results;
        expect(msgs.slice(0, 4).map((m) => (m as Extract<FromWorker, { t: "grade-progress" }>).test)).toEqual(page.tests);
        // The command line's grader on the same text from a file.
        const file = join(tmp, `answers-${i}.txt`);
        writeFileSync(file, text);
        const cli = grade(lab, dir, file);
        expect(page.tests).toEqual(cli.tests);
        expect(page.score).toBe(cli.score);
        expect(page.output).toBe(cli.output.replace(file, "labs/schedule/answers.txt"));
        scores.push(page.score);
      }
      expect(scores).toEqual([40, 30]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("stops a grading between two tests", () => {
    const msgs: FromWorker[] = [];
    const session = new Session((m) => msgs.push(m));
    session.handle({ t: "grade", lab: "schedule", text: "" });
    expect(session.pump()).toBe(true);
    session.handle({ t: "stop" });
    expect(session.busy).toBe(false);
    expect(session.pump()).toBe(false);
    expect(msgs.map((m) => m.t)).toEqual(["grade-progress", "grade-stopped"]);
    expect(msgs[1]).toEqual({ t: "grade-stopped", lab: "schedule", done: 1 });
    // And a lab the page does not have is a clear error, not a throw out of the worker.
    session.handle({ t: "grade", lab: "nosuch", text: "" });
    expect(msgs[2]).toEqual({ t: "error", message: 'no lab "nosuch" (labs: asyncpreempt, gogo, mcall, schedule)' });
    expect(session.busy).toBe(false);
  });
});
