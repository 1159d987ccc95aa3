// The browser page's build (npm run web, npm run build:web).
//
// The page is web/index.html; the emulator runs in a module Web Worker
// (web/src/worker.ts) that imports the core from src/ and the runtime's and
// the programs' assembly as raw text, so the built site (dist/web/) is
// static files only: no server logic, nothing fetched at run time beyond
// them. `base: "./"` keeps every URL relative, so the site works from any
// directory of any static host (GitHub Pages serves a project under
// /NAME/).
//
// Until the core is free of Node everywhere the worker reaches, two
// substitutions (web/shims/) stand in for what cannot run in a browser:
// the native Unicorn engine (the page says it stays native), and the
// file-system reads of the assembler's preprocessor, served from the
// page's in-memory files.

import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Module ids the browser cannot load, and what the page uses instead. */
const SUBSTITUTES: Record<string, string> = {
  "node:fs": here("./shims/node-fs.ts"),
  "node:path": here("./shims/node-path.ts"),
  "node:url": here("./shims/node-url.ts"),
};

function substitutes(): Plugin {
  return {
    name: "gmpemu-substitutes",
    enforce: "pre",
    resolveId(id, importer) {
      if (id in SUBSTITUTES) return SUBSTITUTES[id];
      // The Unicorn engine (libunicorn through koffi) is native: the page runs the interpreter.
      if (importer && /[\\/]src[\\/]engine[\\/]/.test(importer) && /(^|\/)unicorn\.ts$/.test(id)) return here("./shims/unicorn.ts");
      return undefined;
    },
  };
}

export default defineConfig({
  root: here("."),
  base: "./",
  plugins: [substitutes()],
  worker: { format: "es", plugins: () => [substitutes()] },
  server: { fs: { allow: [here("..")] } },
  build: {
    outDir: here("../dist/web"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2048,
  },
});
