// The lower floors import strictly downward, x86 < asm < mem < cpu <
// engine, without cycles, and without Node: nothing in x86's table and
// register files, mem, cpu or engine imports a Node module or a package,
// except src/engine/unicorn.ts (koffi). And the engine registry bundles for
// a browser, with unicorn (and koffi) left in a chunk of its own.
//
// Each check is a function run on the real tree and, to show it can fail,
// on a small invented tree that breaks its rule.
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const LAYERS = ["x86", "asm", "mem", "cpu", "engine"] as const;

/** The files this check covers: src/x86's table and registers, and all of mem, cpu, engine. */
function coreFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const f of ["src/x86/table.ts", "src/x86/regs.ts"]) files.set(f, readFileSync(join(ROOT, f), "utf8"));
  for (const d of ["src/mem", "src/cpu", "src/engine"]) {
    for (const f of readdirSync(join(ROOT, d))) if (f.endsWith(".ts")) files.set(`${d}/${f}`, readFileSync(join(ROOT, d, f), "utf8"));
  }
  return files;
}

interface Import { spec: string; typeOnly: boolean }

function importsOf(src: string): Import[] {
  const out: Import[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (let m; (m = re.exec(src));) {
    if (m[4]) out.push({ spec: m[4], typeOnly: false });
    else out.push({ spec: m[3]!, typeOnly: !!m[2] });
  }
  return out;
}

function layerOf(file: string): number {
  const m = /^src\/([^/]+)\//.exec(file);
  return m ? LAYERS.indexOf(m[1] as (typeof LAYERS)[number]) : -1;
}

/** Packages a file may import (only the unicorn binding may load a native library). */
const ALLOWED_PACKAGES: Record<string, string[]> = { "src/engine/unicorn.ts": ["koffi"] };

/** Every rule the files break: upward or unknown imports, Node modules, packages, cycles. */
function violations(files: Map<string, string>): string[] {
  const bad: string[] = [];
  const edges = new Map<string, string[]>();
  for (const [file, src] of files) {
    const from = layerOf(file);
    const deps: string[] = [];
    for (const { spec, typeOnly } of importsOf(src)) {
      if (!spec.startsWith(".")) {
        if (spec.startsWith("node:") || !(ALLOWED_PACKAGES[file] ?? []).includes(spec)) bad.push(`${file}: imports ${spec}`);
        continue;
      }
      const target = normalize(join(dirname(file), spec)).replace(/\\/g, "/");
      const to = layerOf(target);
      if (to < 0 || to > from) bad.push(`${file}: imports ${target} (${to < 0 ? "outside the layers" : `layer ${LAYERS[to]} above ${LAYERS[from]}`})`);
      if (!typeOnly) deps.push(target);
    }
    edges.set(file, deps);
  }
  // Cycles among the files, through value imports (type imports vanish at run time).
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 1);
    stack.push(f);
    for (const d of edges.get(f) ?? []) {
      if (!edges.has(d)) continue;
      if (state.get(d) === 1) bad.push(`cycle: ${[...stack.slice(stack.indexOf(d)), d].join(" -> ")}`);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of edges.keys()) if (!state.has(f)) visit(f);
  return bad;
}

describe("layers", () => {
  it("x86 < asm < mem < cpu < engine: every import goes down, no cycle, no Node module, koffi only in unicorn.ts", () => {
    const files = coreFiles();
    expect(files.size).toBeGreaterThan(20);
    expect(violations(files)).toEqual([]);
  });

  it("the check sees an upward import, a Node module, a stray package and a cycle", () => {
    const files = new Map([
      ["src/mem/a.ts", `import { Engine } from "../engine/engine.ts";\nimport type { Op } from "../x86/table.ts";`],
      ["src/cpu/b.ts", `import { readFileSync } from "node:fs";\nexport { x } from "./c.ts";`],
      ["src/cpu/c.ts", `import { y } from "./b.ts";`],
      ["src/engine/engine.ts", `import koffi from "koffi";\nconst m = await import("../cpu/b.ts");`],
    ]);
    expect(violations(files)).toEqual([
      "src/mem/a.ts: imports src/engine/engine.ts (layer engine above mem)",
      "src/cpu/b.ts: imports node:fs",
      "src/engine/engine.ts: imports koffi",
      "cycle: src/cpu/b.ts -> src/cpu/c.ts -> src/cpu/b.ts",
    ]);
  });
});

describe("the engine registry in a browser bundle", () => {
  const bundle = async (entry: { path: string } | { contents: string }) => {
    const common = {
      bundle: true, platform: "browser" as const, format: "esm" as const, target: "es2022", splitting: true,
      write: false, outdir: "/out", external: ["koffi"], logLevel: "silent" as const, absWorkingDir: ROOT,
    };
    return "path" in entry
      ? build({ ...common, entryPoints: [entry.path] })
      : build({ ...common, stdin: { contents: entry.contents, resolveDir: ROOT, loader: "ts" } });
  };

  it("bundles src/engine/index.ts for the browser; unicorn and koffi stay in a chunk the entry only imports dynamically", async () => {
    const r = await bundle({ path: join(ROOT, "src/engine/index.ts") });
    const outs = (r.outputFiles ?? []).map((o) => ({ name: relative("/out", o.path), text: o.text }));
    const entry = outs.find((o) => o.name === "index.js")!;
    expect(entry).toBeDefined();
    expect(entry.text).not.toMatch(/from\s*"koffi"/);
    expect(entry.text).toMatch(/import\(\s*"\.\/unicorn-[\w-]+\.js"\s*\)/);
    const chunk = outs.find((o) => /^unicorn-/.test(o.name))!;
    expect(chunk.text).toMatch(/from\s*"koffi"/);
    for (const o of outs) expect(o.text, o.name).not.toMatch(/from\s*"node:/);
    // The interpreter and its tables are in the entry's reach.
    expect(outs.map((o) => o.text).join("\n")).toMatch(/InterpEngine = class|class InterpEngine/);
  });

  it("the bundle check fails on a Node import", async () => {
    await expect(bundle({ contents: `import { readFileSync } from "node:fs";\nexport const x = readFileSync;` })).rejects.toThrow(/node:fs/);
  });
});
