#!/usr/bin/env node
// The gmpemu command. It runs the bundle npm's prepare step builds
// (dist/gmpemu.mjs, scripts/build.mjs) when that is newer than every source
// file, and otherwise the TypeScript sources themselves through tsx's
// loader, so an edit is never run stale.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist", "gmpemu.mjs");

function newestSource(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return t;
}

let main;
if (process.env.GMPEMU_NO_DIST !== "1" && existsSync(dist) && statSync(dist).mtimeMs >= newestSource(join(root, "src"))) {
  ({ main } = await import(dist));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/cli/main.ts"));
}
process.exitCode = await main(process.argv.slice(2));
