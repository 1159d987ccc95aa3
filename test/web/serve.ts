// A static file server for the built site, as a static host serves it
// (GitHub Pages): files only, by path, with their content type; no server
// logic, no special headers (no COOP/COEP, so no SharedArrayBuffer).
import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json", ".wasm": "application/wasm",
};

export interface Served { url: string; close(): Promise<void> }

export async function serve(dir: string): Promise<Served> {
  const root = normalize(dir + sep);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = normalize(join(root, path.endsWith("/") ? path + "index.html" : path));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try {
      if (statSync(file).isDirectory()) file = join(file, "index.html");
      statSync(file);
    } catch {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

type Browser = import("playwright-core").Browser;
type Page = import("playwright-core").Page;

/** The built site served from a scratch directory, and a headless Chromium to open it. */
export interface SiteInBrowser {
  /** The scratch directory: the site is in its `site/`; tests may put their own files beside it. */
  dir: string;
  /** Opens the page at `hash` in a new tab, collecting its uncaught errors. */
  open(hash: string): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** Builds the page with Vite (web/vite.config.ts), serves it as a static host would, and launches Chromium. */
export async function siteInBrowser(root: string, chromium: string, prefix: string): Promise<SiteInBrowser> {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const { build } = await import("vite");
  await build({ configFile: join(root, "web/vite.config.ts"), logLevel: "warn", build: { outDir: join(dir, "site"), emptyOutDir: true } });
  const site = await serve(join(dir, "site"));
  const pw = await import("playwright-core");
  const browser: Browser = await pw.chromium.launch({ executablePath: chromium, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  return {
    dir,
    async open(hash) {
      const page = await browser.newPage({ viewport: { width: 1500, height: 1150 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(site.url + hash);
      return { page, errors };
    },
    async close() {
      await browser.close();
      await site.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
