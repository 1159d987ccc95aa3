// The layer check: every import in src/ goes down the layers or stays in
// its layer, no file imports itself back through others (no cycles), and
// the platform-neutral core imports no Node module.
//
//   x86 < asm < mem < cpu < engine < os < runtime < golang < debug < node < tools < cli
//
// node is the Node host of the core: the file-system source provider, where
// the package's files are, machines built from files. tools are step, tour,
// trace, gdb and lab; cli is the command. The core (everything up to debug)
// imports no Node module. Type-only
// imports count too: a type is a dependency of the design even when the
// compiler erases it.
//
//   node --import tsx scripts/layers.ts        # prints violations, exit 1 if any
//
// test/layers.test.ts runs the same check in npm test.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** Layer of each top-level folder of src/, low to high. */
export const LAYERS: readonly (readonly string[])[] = [
  ["x86"], ["asm"], ["mem"], ["cpu"], ["engine"], ["os"], ["runtime"], ["golang"], ["debug"], ["node"],
  ["step", "tour", "trace", "gdb", "lab", "check"], ["cli"],
];

/** Files of the core that may import Node modules, and which. */
export const NODE_ALLOWED: Readonly<Record<string, readonly string[]>> = {
  // libunicorn through koffi: the second engine is native by nature.
  "src/engine/unicorn.ts": ["koffi"],
};

/** Folders whose files may import Node modules freely (they run in Node only). */
const NODE_LAYERS = new Set(["node", "step", "tour", "trace", "gdb", "lab", "cli"]);

/**
 * Files of those folders that the browser page runs too (the lab grader's
 * pure part, core.ts, and its configuration, config.ts): held to the
 * core's rule, no Node module.
 */
export const PLATFORM_NEUTRAL: ReadonlySet<string> = new Set(["src/lab/core.ts", "src/lab/config.ts"]);

export interface Graph { files: string[]; imports: Map<string, string[]>; external: Map<string, string[]> }

export interface Violation { kind: "upward" | "cycle" | "node"; text: string }

/** The import graph of a tree of .ts files (relative paths from root). */
export function importGraph(root: string, dir = "src"): Graph {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(join(root, d))) {
      const p = join(d, e);
      if (statSync(join(root, p)).isDirectory()) walk(p);
      else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) files.push(p);
    }
  };
  walk(dir);
  files.sort();
  const imports = new Map<string, string[]>(), external = new Map<string, string[]>();
  for (const f of files) {
    const info = ts.preProcessFile(readFileSync(join(root, f), "utf8"), true, true);
    const int: string[] = [], ext: string[] = [];
    for (const r of info.importedFiles) {
      const spec = r.fileName;
      if (spec.startsWith(".")) int.push(relative(root, resolve(root, dirname(f), spec)));
      else ext.push(spec);
    }
    imports.set(f, int);
    external.set(f, ext);
  }
  return { files, imports, external };
}

function layerOf(file: string): { rank: number; name: string } | undefined {
  const m = /^src\/([^/]+)\//.exec(file);
  if (!m) return undefined;
  const rank = LAYERS.findIndex((l) => l.includes(m[1]!));
  return rank < 0 ? undefined : { rank, name: m[1]! };
}

/** Every upward import, every cycle (once, as a path) and every Node import in the core. */
export function checkLayers(g: Graph): Violation[] {
  const out: Violation[] = [];
  for (const f of g.files) {
    const lf = layerOf(f);
    if (!lf) {
      out.push({ kind: "upward", text: `${f}: in no layer (add its folder to LAYERS)` });
      continue;
    }
    for (const t of g.imports.get(f) ?? []) {
      const lt = layerOf(t);
      if (lt && lt.rank > lf.rank) out.push({ kind: "upward", text: `${f} (${lf.name}) imports ${t} (${lt.name})` });
      // A platform-neutral file would reach Node through a Node-side file of its folder.
      if (PLATFORM_NEUTRAL.has(f) && lt && NODE_LAYERS.has(lt.name) && !PLATFORM_NEUTRAL.has(t)) {
        out.push({ kind: "node", text: `${f} imports ${t}, which may use Node, but ${f} must run outside Node` });
      }
    }
    if (!NODE_LAYERS.has(lf.name) || PLATFORM_NEUTRAL.has(f)) {
      for (const e of g.external.get(f) ?? []) {
        const allowed = NODE_ALLOWED[f] ?? [];
        const isNode = e.startsWith("node:") || ["fs", "path", "url", "os", "child_process", "net", "readline", "crypto", "worker_threads", "util"].includes(e);
        if ((isNode || e === "koffi") && !allowed.includes(e)) out.push({ kind: "node", text: `${f} imports ${e}, but the core must run outside Node` });
      }
    }
  }
  // Cycles: Tarjan's strongly connected components; each one of more than a file is a cycle.
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.imports.get(v) ?? []) {
      if (!g.imports.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push({ kind: "cycle", text: `import cycle among ${comp.sort().join(", ")}` });
    }
  };
  for (const f of g.files) if (!idx.has(f)) strong(f);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const v = checkLayers(importGraph(root));
  for (const x of v) console.log(`${x.kind}: ${x.text}`);
  console.log(v.length === 0 ? "layers: no upward imports, no cycles, no Node modules in the core" : `layers: ${v.length} violations`);
  process.exitCode = v.length === 0 ? 0 : 1;
}
