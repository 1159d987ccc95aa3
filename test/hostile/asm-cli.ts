// Running `gmpemu asm` as a user does, for the hostile-input tests: a child
// process (so a hang, a crash or an out-of-memory abort is the child's, and
// shows as a timeout, a signal or a status), with a bound on its time and on
// V8's heap. Each test file under test/hostile/asm-*.test.ts proves one
// bound of src/asm/diag.ts through it.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds, for the report of a failure (never asserted tightly). */
  ms: number;
}

/**
 * `gmpemu ARGS` in `cwd`, killed after `timeoutMs` (a hang fails the test
 * instead of stalling the suite), with a 1 GiB heap so that unbounded memory
 * ends in an abort rather than in swapping.
 */
export function gmpemu(args: string[], cwd: string, timeoutMs = 60_000): CliRun {
  const t = performance.now();
  const r = spawnSync(process.execPath, ["--max-old-space-size=1024", join(ROOT, "bin/gmpemu.mjs"), ...args], {
    cwd, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "", ms: performance.now() - t };
}

/** A fresh scratch directory. */
export function scratch(name: string): string {
  return mkdtempSync(join(tmpdir(), `gmpemu-${name}-`));
}

/** The shape every clean failure has: status 1, messages only, no stack trace, not killed. */
export function expectCleanFailure(r: CliRun): void {
  if (r.signal !== null || r.status !== 1 || /\n\s+at /.test(r.stderr) || /Maximum call stack|heap out of memory|RangeError/.test(r.stderr)) {
    throw new Error(`not a clean failure: status ${r.status}, signal ${r.signal}, ${Math.round(r.ms)} ms\n${r.stderr.slice(0, 2000)}`);
  }
}
