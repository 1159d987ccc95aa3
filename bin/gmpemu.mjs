#!/usr/bin/env node
// The gmpemu command. The sources are TypeScript, loaded through tsx's ESM
// loader so that a fresh clone runs after `npm ci` with no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
