// The whole tree's layers (scripts/layers.ts, docs/ARCHITECTURE.md): every
// import in src/ goes down or stays in its layer, no import cycle, no Node
// module in the platform-neutral core; and that core (the runtime's boot and
// the debug layer, everything a web page needs) bundles for a browser.
import { join, relative, resolve } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { checkLayers, importGraph, type Graph } from "../scripts/layers.ts";

const ROOT = resolve(import.meta.dirname, "..");

function graph(files: Record<string, string[]>, external: Record<string, string[]> = {}): Graph {
  const names = Object.keys(files);
  return { files: names, imports: new Map(names.map((f) => [f, files[f]!])), external: new Map(names.map((f) => [f, external[f] ?? []])) };
}

describe("the layers of src/", () => {
  it("have no upward import, no cycle and no Node module in the core", () => {
    expect(checkLayers(importGraph(ROOT)).map((v) => `${v.kind}: ${v.text}`)).toEqual([]);
  });

  it("the check sees an upward import, a cycle, a Node module in the core and a folder in no layer", () => {
    const v = checkLayers(graph({
      "src/runtime/a.ts": ["src/debug/view.ts", "src/runtime/b.ts"],
      "src/runtime/b.ts": ["src/runtime/a.ts"],
      "src/debug/view.ts": [],
      "src/os/k.ts": [],
      "src/stray/x.ts": [],
    }, { "src/os/k.ts": ["node:fs"], "src/debug/view.ts": ["koffi"] }));
    const texts = v.map((x) => `${x.kind}: ${x.text}`);
    expect(texts).toContain("upward: src/runtime/a.ts (runtime) imports src/debug/view.ts (debug)");
    expect(texts).toContain("cycle: import cycle among src/runtime/a.ts, src/runtime/b.ts");
    expect(texts).toContain("node: src/os/k.ts imports node:fs, but the core must run outside Node");
    expect(texts).toContain("node: src/debug/view.ts imports koffi, but the core must run outside Node");
    expect(texts.some((t) => t.startsWith("upward: src/stray/x.ts: in no layer"))).toBe(true);
  });

  it("the lab grader's pure part (src/lab/core.ts) is held to the core's rule, directly and through its folder's Node side", () => {
    const texts = checkLayers(graph({
      "src/lab/core.ts": ["src/lab/grade.ts"],
      "src/lab/grade.ts": [],
    }, { "src/lab/core.ts": ["node:fs"], "src/lab/grade.ts": ["node:fs"] })).map((x) => `${x.kind}: ${x.text}`);
    expect(texts).toEqual([
      "node: src/lab/core.ts imports src/lab/grade.ts, which may use Node, but src/lab/core.ts must run outside Node",
      "node: src/lab/core.ts imports node:fs, but the core must run outside Node",
    ]);
  });
});

describe("the core in a browser bundle", () => {
  const bundle = (entryPoints: string[]) => build({
    entryPoints, bundle: true, platform: "browser", format: "esm", target: "es2022", splitting: true,
    write: false, outdir: "/out", external: ["koffi"], logLevel: "silent", absWorkingDir: ROOT,
  });

  it("bundles the runtime's boot and the debug layer; only the unicorn chunk names koffi, nothing names node:", async () => {
    const r = await bundle([join(ROOT, "src/runtime/boot.ts"), join(ROOT, "src/debug/view.ts")]);
    const outs = (r.outputFiles ?? []).map((o) => ({ name: relative("/out", o.path), text: o.text }));
    expect(outs.map((o) => o.name)).toEqual(expect.arrayContaining(["runtime/boot.js", "debug/view.js"]));
    for (const o of outs) {
      expect(o.text, o.name).not.toMatch(/from\s*"node:|require\(\s*"node:/);
      if (!/(^|\/)unicorn-/.test(o.name)) expect(o.text, o.name).not.toMatch(/from\s*"koffi"/);
    }
    // The scheduler and the interpreter are in it.
    const all = outs.map((o) => o.text).join("\n");
    expect(all).toMatch(/function\*? ?findRunnable\(/);
    expect(all).toMatch(/class InterpEngine|InterpEngine = class/);
  });

  it("fails on a Node module reached from the core", async () => {
    await expect(bundle([join(ROOT, "src/node/boot.ts")])).rejects.toThrow(/node:|Could not resolve/);
  });
});
