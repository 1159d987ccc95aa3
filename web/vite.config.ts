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
// The Unicorn engine is native (libunicorn through koffi): the engine
// registry loads it only on Node, so it stays in a chunk the page never
// fetches, and koffi is left to it as an external import. Until the assembler reads through its SourceProvider (branch
// wt-asm), one substitution (web/shims/) stands in for what cannot run in a
// browser: the file-system reads of its preprocessor, served from the
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
    resolveId(id) {
      if (id in SUBSTITUTES) return SUBSTITUTES[id];
      return undefined;
    },
  };
}

export default defineConfig({
  root: here("."),
  base: "./",
  plugins: [substitutes()],
  // koffi (the Unicorn engine's binding) stays an import of the chunk that is never fetched.
  worker: { format: "es", plugins: () => [substitutes()], rollupOptions: { external: ["koffi"] } },
  server: { fs: { allow: [here("..")] } },
  build: {
    outDir: here("../dist/web"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2048,
  },
});
