/// <reference types="vite/client" />
// The files the page knows: the runtime's assembly (asm/*.s), its headers
// (asm/include/*.h) and the bundled programs (programs/*.s), imported as
// raw text when the site is built, so nothing is fetched at run time. Paths
// are the repository's, relative ("asm/asm_amd64.s"): they are what the
// assembler records, so the source lines, the disassembly and the errors
// all name them as the command line does from the repository's root.
//
// The user's edits never overwrite a bundled file: an edited program is a
// file of its own ("edited/NAME.s"), and an edited runtime file replaces
// the bundled one only in the machine being built, by path.

const asm = import.meta.glob("../../asm/*.s", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
const include = import.meta.glob("../../asm/include/*.h", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
const programs = import.meta.glob("../../programs/*.s", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
// The labs: handout, skeleton and lab.json. Not the reference solutions: the site is public, and
// the page has no use for them. What the labs' tests read (golden answers, fixtures) is the grader's
// (grader.ts), in the worker only.
const labFiles = import.meta.glob(["../../labs/*/*.md", "../../labs/*/*.s", "../../labs/*/*.txt", "../../labs/*/lab.json", "!../../labs/*/solution.*"], { query: "?raw", import: "default", eager: true }) as Record<string, string>;

/** "../../asm/x.s" → "asm/x.s" */
export const repoPath = (k: string): string => k.replace(/^(\.\.\/)+/, "");

export function table(m: Record<string, string>): Map<string, string> {
  return new Map(Object.keys(m).sort().map((k) => [repoPath(k), m[k]!]));
}

/** The runtime's assembly files, in link order (sorted by name, as the command line links them). */
export const RUNTIME_FILES: ReadonlyMap<string, string> = table(asm);
export const INCLUDE_FILES: ReadonlyMap<string, string> = table(include);
export const PROGRAM_FILES: ReadonlyMap<string, string> = table(programs);
/** labs/NAME/{README.md, SKELETON, lab.json}. */
export const LAB_FILES: ReadonlyMap<string, string> = table(labFiles);
/** The directory #include finds textflag.h, go_asm.h ... in. */
export const INCLUDE_DIR = "asm/include";

/** The bundled programs by short name ("gosched" for programs/gosched.s). */
export function programNames(): string[] {
  return [...PROGRAM_FILES.keys()].map((p) => p.replace(/^programs\/|\.s$/g, ""));
}

export function programPath(name: string): string {
  return `programs/${name}.s`;
}

/** The path an edited program is assembled under (a bundled name is never reused). */
export function editedPath(name: string): string {
  return `edited/${name.replace(/[^A-Za-z0-9_.-]/g, "_") || "program"}.s`;
}

/** Every bundled file's text by path. */
export function bundled(path: string): string | undefined {
  return RUNTIME_FILES.get(path) ?? INCLUDE_FILES.get(path) ?? PROGRAM_FILES.get(path) ?? LAB_FILES.get(path);
}
