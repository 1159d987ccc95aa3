// The labs in the page: the grader (src/lab/core.ts, the same code as
// `gmpemu lab grade`) on the bundled files, in the emulator's worker.
//
// Paths are the repository's, as everywhere in the page: a lab's directory
// is labs/NAME, its tests' programs resolve to programs/*.s, and the
// student's text is graded under the skeleton's own path
// (labs/gogo/gogo.s), so every message names the file as `gmpemu lab grade
// gogo labs/gogo/gogo.s` run from the repository's root does, and a
// results.json from the page equals the command line's for the same text.
// The machines are built on the bundled runtime as shipped, never on the
// runtime files the user edited in the page: a grade is the lab's, not the
// page's. Unicorn is native, so a lockstep test is skipped here, as the
// command line skips it where libunicorn is not installed (it is worth no
// points then: the page's full score is the interpreter's tests'). The
// reference solutions are not bundled: the site is public.
//
// This file is the labs' listing, for the page's main thread (no emulator
// in it); grader.ts is the worker's side.

import { parseLab, type LabConfig } from "../../src/lab/config.ts";
import { LAB_FILES } from "./files.ts";

export interface LabEntry { config: LabConfig; dir: string }

let all: LabEntry[] | undefined;

/** The bundled labs, by name. */
export function bundledLabs(): LabEntry[] {
  if (!all) {
    all = [...LAB_FILES.entries()]
      .filter(([p]) => /^labs\/[^/]+\/lab\.json$/.test(p))
      .map(([p, text]) => ({ dir: p.slice(0, -"/lab.json".length), config: parseLab(text, p.slice(0, -"/lab.json".length)) }))
      .sort((a, b) => a.config.name.localeCompare(b.config.name));
  }
  return all;
}

export function findLab(name: string): LabEntry | undefined {
  return bundledLabs().find((l) => l.config.name === name);
}

/** The path the student's text is graded (and run, as --runtime-asm) under: the skeleton's. */
export function studentPath(l: LabEntry): string {
  return `${l.dir}/${l.config.skeleton}`;
}

/** A lab file's bundled text (handout, skeleton, solution). */
export function labFile(l: LabEntry, name: string): string | undefined {
  return LAB_FILES.get(`${l.dir}/${name}`);
}

