// Issue 12: the assembler's layers point strictly downward and its core runs
// anywhere. src/x86 imports nothing but itself (the encoder's contract is
// src/x86/inst.ts, not the assembler's types); src/asm imports only itself
// and src/x86; neither names a Node module, Node's globals, nor loads code
// at run time. The scan reads the import statements of every file, comments
// stripped, so a new import of node:fs (or of the assembler from the
// encoder) fails here first.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

/** A file's code without its comments (strings kept: import specifiers are strings). */
function code(path: string): string {
  return readFileSync(path, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Every module specifier a file imports or re-exports. */
export function importsOf(src: string): string[] {
  return [...src.matchAll(/^\s*(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)].map((m) => (m[1] ?? m[2])!);
}

/** What a platform-neutral file may not use, with why. */
const FORBIDDEN: [RegExp, string][] = [
  [/\brequire\s*\(/, "require()"],
  [/\bimport\s*\(/, "a dynamic import()"],
  [/\bprocess\s*\./, "Node's process"],
  [/\bBuffer\b/, "Node's Buffer"],
  [/\b__dirname\b|\bimport\.meta\b/, "the module's own location"],
];

function layer(dir: string, allowed: RegExp): { file: string; problem: string }[] {
  const out: { file: string; problem: string }[] = [];
  for (const f of readdirSync(join(ROOT, dir)).filter((x) => x.endsWith(".ts"))) {
    const src = code(join(ROOT, dir, f));
    for (const spec of importsOf(src)) if (!allowed.test(spec)) out.push({ file: `${dir}/${f}`, problem: `imports ${spec}` });
    for (const [re, what] of FORBIDDEN) if (re.test(src)) out.push({ file: `${dir}/${f}`, problem: `uses ${what}` });
  }
  return out;
}

describe("the assembler's layers", () => {
  it("src/x86 imports only src/x86", () => {
    expect(layer("src/x86", /^\.\/[\w-]+\.ts$/)).toEqual([]);
  });

  it("src/asm imports only src/asm and src/x86, and nothing of Node", () => {
    expect(layer("src/asm", /^\.\/[\w-]+\.ts$|^\.\.\/x86\/[\w-]+\.ts$/)).toEqual([]);
  });

  it("the scan finds what it looks for", () => {
    expect(importsOf('import { a } from "./a.ts";\nimport type { B } from "../x86/b.ts";\nexport { c } from "node:fs";\nimport "./side.ts";'))
      .toEqual(["./a.ts", "../x86/b.ts", "node:fs", "./side.ts"]);
    expect(code("/dev/null")).toBe("");
    const bad = 'import { readFileSync } from "node:fs";\nconst x = process.env.X;';
    expect(importsOf(bad)).toEqual(["node:fs"]);
    expect(FORBIDDEN.filter(([re]) => re.test(bad)).map(([, w]) => w)).toEqual(["Node's process"]);
  });
});
