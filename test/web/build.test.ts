// The static site (npm run build:web) as a static host would serve it, with
// no browser needed: every URL in it is relative (so it works from any
// directory of any host), it names no path of the machine that built it,
// nothing the page fetches asks for a Node module, the native Unicorn
// engine's chunk (and koffi) is reached only by a dynamic import the
// browser never runs, and the runtime's assembly and every program are in
// it as text. Each rule is checked on the real build and, to show it can
// fail, on invented files that break it.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

type Site = Map<string, string>;

function readSite(dir: string): Site {
  const out: Site = new Map();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), rel + e.name + "/");
      else if (/\.(html|js|css)$/.test(e.name)) out.set(rel + e.name, readFileSync(join(d, e.name), "utf8"));
    }
  };
  walk(dir, "");
  return out;
}

/** URLs in the HTML that are not relative to the page. */
function absoluteUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!).filter((u) => !u.startsWith("./") && !u.startsWith("data:") && !u.startsWith("#"));
}

/** Files that contain `needle` (a path of the building machine). */
function leaking(site: Site, needle: string): string[] {
  return [...site].filter(([, text]) => text.includes(needle)).map(([f]) => f);
}

/** Chunks importing a Node module the browser cannot load (Vite's stand-in for it). */
function nodeImports(site: Site): string[] {
  return [...site].filter(([f, text]) => f.endsWith(".js") && text.includes("__vite-browser-external")).map(([f]) => f);
}

/** Chunks that reach the koffi chunk other than through import(): they would fetch it. */
function staticKoffi(site: Site): string[] {
  const koffi = [...site].filter(([f, t]) => f.endsWith(".js") && /from\s*["']koffi["']|import\s*["']koffi["']/.test(t)).map(([f]) => f.split("/").pop()!);
  const bad: string[] = [];
  for (const k of koffi) {
    for (const [f, text] of site) {
      if (f.endsWith(k)) continue;
      const uses = text.split(k).length - 1;
      const dynamic = [...text.matchAll(new RegExp(`import\\(\\s*["'\`][^"'\`]*${k.replace(/[.]/g, "\\.")}["'\`]\\s*\\)`, "g"))].length;
      if (uses > dynamic) bad.push(`${f} -> ${k}`);
    }
  }
  return bad;
}

describe("the built site", () => {
  let dir = "";
  let site: Site;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gmpemu-site-"));
    const { build } = await import("vite");
    await build({ configFile: join(ROOT, "web/vite.config.ts"), logLevel: "warn", build: { outDir: dir, emptyOutDir: true } });
    site = readSite(dir);
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("uses relative URLs only, so it works from any directory of a static host", () => {
    const html = site.get("index.html")!;
    expect(html).toBeDefined();
    expect(absoluteUrls(html)).toEqual([]);
    expect(absoluteUrls('<script src="/assets/x.js"></script><link href="./a.css">')).toEqual(["/assets/x.js"]);
    // The worker is found next to the page's script, not at the server's root.
    const main = [...site].find(([f, t]) => f.startsWith("assets/index-") && f.endsWith(".js") && t.includes("new Worker"));
    expect(main, "the page's script starts a Worker").toBeDefined();
    expect(main![1]).toMatch(/new Worker\(\s*new URL\(\s*(?:new URL\(\s*)?["'`][^"'`]*worker-[^"'`]+\.js["'`]\s*,\s*import\.meta\.url/);
  });

  it("names no path of the machine that built it", () => {
    expect(leaking(site, ROOT)).toEqual([]);
    expect(leaking(new Map([["a.js", `const f = "${ROOT}/asm/asm_amd64.s";`]]), ROOT)).toEqual(["a.js"]);
  });

  it("asks the browser for no Node module, and reaches the Unicorn engine (koffi) only by a dynamic import", () => {
    expect(nodeImports(site)).toEqual([]);
    expect(staticKoffi(site)).toEqual([]);
    expect([...site.values()].some((t) => /["']koffi["']/.test(t)), "the Unicorn chunk is there, unreachable").toBe(true);
    // The checks catch what they guard against.
    expect(nodeImports(new Map([["assets/w.js", 'import fs from "__vite-browser-external:node:fs";']]))).toEqual(["assets/w.js"]);
    const fake: Site = new Map([["assets/unicorn-x.js", 'import k from "koffi";'], ["assets/worker-y.js", 'const u = () => import("./unicorn-x.js");']]);
    expect(staticKoffi(fake)).toEqual([]);
    fake.set("assets/worker-z.js", 'import { U } from "./unicorn-x.js";');
    expect(staticKoffi(fake)).toEqual(["assets/worker-z.js -> unicorn-x.js"]);
  });

  it("carries the runtime's assembly and every program as text", () => {
    const worker = [...site].find(([f]) => /assets\/worker-[^/]+\.js$/.test(f))![1];
    expect(worker).toContain("TEXT runtime·gogo(SB), NOSPLIT, $0-8");
    const programs = readdirSync(join(ROOT, "programs")).filter((f) => f.endsWith(".s"));
    expect(programs.length).toBeGreaterThan(10);
    for (const p of programs) {
      // In the table of files by path, with its text (the first line, as a JavaScript string may escape it).
      expect(worker, p).toContain(`"../../programs/${p}"`);
      const first = readFileSync(join(ROOT, "programs", p), "utf8").split("\n")[0]!;
      const forms = [first, JSON.stringify(first).slice(1, -1), first.replace(/[`$\\]/g, (c) => "\\" + c)];
      expect(forms.some((f) => worker.includes(f)), p).toBe(true);
    }
  });
});
