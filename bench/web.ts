// The browser page's size and first-load time (issue 16's aims: under 1 MB
// gzipped, under 2 s to the first stop drawn).
//
//   node --import tsx bench/web.ts [--json]
//
// It builds the site (vite build, to a temporary directory), reports each
// file's size raw and gzipped (level 9, as a static host would serve it),
// the first load (the files the browser fetched before the first stop was
// drawn: the editor comes on first use, the Unicorn chunk never) and the
// whole site; then opens the page in Chromium (GMPEMU_CHROMIUM or
// /usr/bin/chromium) five times, each in a fresh context with no cache, and
// reports the time from navigation to the first stop drawn (the machine
// assembled, linked, booted and its snapshot rendered), best and median.

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { serve } from "../test/web/serve.ts";

const ROOT = resolve(import.meta.dirname, "..");
const CHROMIUM = process.env["GMPEMU_CHROMIUM"] ?? "/usr/bin/chromium";
const LOADS = 5;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-web-bench-"));
  try {
    const { build } = await import("vite");
    await build({ configFile: join(ROOT, "web/vite.config.ts"), logLevel: "warn", build: { outDir: dir, emptyOutDir: true } });
    const sizes = files(dir).sort().map((f) => {
      const b = readFileSync(f);
      return { file: relative(dir, f), raw: b.length, gzip: gzipSync(b, { level: 9 }).length };
    });
    const sum = (xs: typeof sizes): { raw: number; gzip: number } => xs.reduce((a, x) => ({ raw: a.raw + x.raw, gzip: a.gzip + x.gzip }), { raw: 0, gzip: 0 });
    const all = sum(sizes);

    const site = await serve(dir);
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    const times: number[] = [];
    // The first load is what the browser fetched before the first stop was drawn.
    const fetched = new Set<string>();
    try {
      for (let i = 0; i < LOADS; i++) {
        const ctx = await browser.newContext();
        const page = await ctx.newPage();
        page.on("response", (r) => { fetched.add(decodeURIComponent(new URL(r.url()).pathname.slice(1)) || "index.html"); });
        await page.goto(site.url + "#p=gosched&seed=1&procs=1&step=0");
        await page.waitForFunction(() => document.body.dataset["loaded"] === "1", null, { timeout: 60_000 });
        times.push(await page.evaluate(() => performance.now()));
        await ctx.close();
      }
    } finally {
      await browser.close();
      await site.close();
    }
    times.sort((a, b) => a - b);
    const lazy = (f: string): boolean => !fetched.has(f);
    const first = sum(sizes.filter((x) => !lazy(x.file)));
    const result = { files: sizes, firstLoad: first, site: all, loadMs: { best: times[0]!, median: times[Math.floor(times.length / 2)]!, all: times } };
    if (json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
    for (const s of sizes) console.log(`${s.file.padEnd(40)} ${kb(s.raw).padStart(11)} ${kb(s.gzip).padStart(11)} gzip${lazy(s.file) ? "  (not fetched on the first load)" : ""}`);
    console.log(`${"first load".padEnd(40)} ${kb(first.raw).padStart(11)} ${kb(first.gzip).padStart(11)} gzip`);
    console.log(`${"whole site".padEnd(40)} ${kb(all.raw).padStart(11)} ${kb(all.gzip).padStart(11)} gzip`);
    console.log(`first stop drawn: best ${times[0]!.toFixed(0)} ms, median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms (${LOADS} loads, no cache)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
