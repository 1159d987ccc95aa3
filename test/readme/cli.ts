// The gmpemu command for the README tests, run as a user runs it: a child
// process, spawned asynchronously (as test/hostile/spawn-async.ts does, with
// an environment and standard input added) so the test worker's event loop
// keeps turning while it runs.
//
// Each test file builds the command once with esbuild (scripts/build.mjs's
// options) and spawns the bundle: it starts in a tenth of the time tsx
// takes to compile the sources, and dozens of commands run here. The bundle
// goes in a directory of its own two levels below the repository
// (tmp/cli-XXXXXX/, gitignored), where the paths the code computes from its
// own location come out as they do from src/ (the package root, the
// assembler's built-in include directory) and the package's files are the
// repository's; the layout scripts/build.mjs writes (dist/) is tested on
// its own (readme.test.ts, "the bundle"). `viaBin` runs bin/gmpemu.mjs
// itself, the launcher a user's `npx gmpemu` reaches.
import { build } from "esbuild";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawn } from "node:child_process";

export const ROOT = resolve(import.meta.dirname, "../..");

/** scripts/build.mjs's bundle of the command, written to `outfile`. */
async function bundle(outfile: string): Promise<void> {
  await build({
    entryPoints: [join(ROOT, "src/cli/main.ts")],
    outfile,
    bundle: true, platform: "node", format: "esm", target: "node20", external: ["koffi"], logLevel: "warning",
    banner: { js: "import { createRequire as __gmpemuRequire } from 'node:module'; const require = __gmpemuRequire(import.meta.url);" },
  });
}

/**
 * A package of its own in the system's temporary directory: package.json,
 * and asm/, programs/ and node_modules linked from the repository, with the
 * command bundled at `rel`. Returns the directory.
 */
export async function bundlePackage(rel: string): Promise<string> {
  const d = mkdtempSync(join(tmpdir(), "gmpemu-cli-"));
  writeFileSync(join(d, "package.json"), JSON.stringify({ name: "gmpemu", type: "module" }));
  for (const x of ["asm", "programs", "node_modules"]) symlinkSync(join(ROOT, x), join(d, x));
  await bundle(join(d, rel));
  return d;
}

let bundleDir: Promise<string> | undefined;
let dir: string | undefined;

function built(): Promise<string> {
  bundleDir ??= (async () => {
    mkdirSync(join(ROOT, "tmp"), { recursive: true });
    dir = mkdtempSync(join(ROOT, "tmp", "cli-"));
    await bundle(join(dir, "main.mjs"));
    const out = join(dir, "gmpemu.mjs");
    writeFileSync(out, "import { main } from './main.mjs';\nprocess.exitCode = await main(process.argv.slice(2));\n");
    return out;
  })();
  return bundleDir;
}

/** Removes the bundle's directory (afterAll). */
export function cleanup(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export interface Spawned { status: number | null; stdout: string; stderr: string }

interface SpawnOpts { cwd?: string; timeout?: number; env?: Record<string, string>; input?: string }

function spawnAsync(cmd: string, args: readonly string[], opts: SpawnOpts = {}): Promise<Spawned> {
  return new Promise((done) => {
    const c = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    c.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    c.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    if (opts.input !== undefined) c.stdin!.end(opts.input);
    const t = setTimeout(() => c.kill("SIGKILL"), opts.timeout ?? 120_000);
    c.on("close", (code) => { clearTimeout(t); done({ status: code, stdout, stderr }); });
  });
}

export interface Run extends Spawned {
  /** stderr split in lines, without the last empty one. */
  lines: string[];
}

const withLines = (r: Spawned): Run => ({ ...r, lines: r.stderr.split("\n").slice(0, -1) });

/** `gmpemu ARGS...` from the repository root. */
export async function gmpemu(args: readonly string[], opts: SpawnOpts = {}): Promise<Run> {
  const cmd = await built();
  return withLines(await spawnAsync(process.execPath, [cmd, ...args], { ...opts, cwd: opts.cwd ?? ROOT }));
}

/** `node bin/gmpemu.mjs ARGS...`: through the launcher. */
export async function viaBin(args: readonly string[], opts: SpawnOpts = {}): Promise<Run> {
  return withLines(await spawnAsync(process.execPath, [join(ROOT, "bin/gmpemu.mjs"), ...args], { ...opts, cwd: ROOT }));
}

/** Any command, from the repository root. */
export async function sh(cmd: string, args: readonly string[], opts: SpawnOpts = {}): Promise<Run> {
  return withLines(await spawnAsync(cmd, args, { ...opts, cwd: opts.cwd ?? ROOT }));
}
