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
// The core imports nothing of Node; the Unicorn engine, which is native
// (libunicorn through koffi), is loaded by the engine registry only on
// Node, so it stays in a chunk the page never fetches, and koffi is left
// to that chunk as an external import.

import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "./",
  worker: { format: "es", rollupOptions: { external: ["koffi"] } },
  server: { fs: { allow: [here("..")] } },
  build: {
    outDir: here("../dist/web"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2048,
  },
});
