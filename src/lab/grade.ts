// The lab grader on Node: the grader (core.ts, platform-neutral) with the
// package's files. Paths are the file system's (the lab's directory is
// labs/NAME/ of the package; the student's file as the command line gave
// it); machines are built as every Node tool builds them (src/node/boot.ts:
// the package's asm/, its cached runtime objects). `gmpemu lab grade` and
// the lab tests call these; the browser page calls core.ts with its own
// host (web/src/lab.ts).

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { engineAvailable } from "../engine/index.ts";
import { runProgram } from "../node/boot.ts";
import { nodeSource } from "../node/nodefs.ts";
import * as core from "./core.ts";
import type { LabConfig, Results } from "./core.ts";

export { DEFAULT_MAX_STEPS, parseGolden, parsePredictions } from "./core.ts";
export type { LabConfig, LabHost, LabTest, Prediction, Results, TestResult } from "./core.ts";

/** The Node host: node:fs, the package's runtime, Unicorn where it is installed. */
export function nodeLabHost(): core.LabHost {
  return {
    source: nodeSource,
    read: (p) => readFileSync(p, "utf8"),
    resolve: (dir, rel) => resolve(dir, rel),
    run: (program, opts) => runProgram([program], opts),
    lockstep: engineAvailable("lockstep"),
    requireOracles: process.env["GMPEMU_REQUIRE_ORACLES"] === "1",
  };
}

/** Grades a routine lab: `file` is the student's assembly. */
export function gradeRoutineLab(lab: LabConfig, labDir: string, file: string): Results {
  return core.gradeRoutineLab(nodeLabHost(), lab, labDir, file);
}

/** Grades the schedule lab: `file` holds the predictions. */
export function gradeScheduleLab(lab: LabConfig, labDir: string, file: string): Results {
  return core.gradeScheduleLab(nodeLabHost(), lab, labDir, file);
}

/** Grades any lab. */
export function grade(lab: LabConfig, labDir: string, file: string): Results {
  return core.gradeWith(nodeLabHost(), lab, labDir, file);
}

/** A lab's configuration from its directory (labs/NAME/lab.json). */
export function loadLab(labDir: string): LabConfig {
  return core.parseLab(readFileSync(resolve(labDir, "lab.json"), "utf8"), labDir);
}
