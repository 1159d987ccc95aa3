// Issue 10: a write that failed after the run (here: the file-size limit,
// `ulimit -f`, which makes write() fail with EFBIG) replaced the program's
// exit status with the tool's 1. Now the error is printed and the status
// stays non-zero and says so: the program's own status if it failed, else
// 4 (OUTPUT_FAILED_STATUS). The old file is left whole and no temporary
// file is left behind.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnAsync, type Spawned } from "./spawn-async.ts";
import { OUTPUT_FAILED_STATUS, statusAfterOutputFailure } from "../../src/cli/outpath.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/gmpemu.mjs");

/** `gmpemu run PROGRAM --trace-out t.json` with files limited to 1 KiB (the trace is larger). */
function runLimited(dir: string, program: string): Promise<Spawned> {
  return spawnAsync("/bin/sh", ["-c", `ulimit -f 2; exec "$0" "$@"`, process.execPath, BIN, "run", join(ROOT, "programs", program), "--trace-out", "t.json"], { cwd: dir });
}

describe("a trace that cannot be written after the run", () => {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-outpath-fail-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const old = '{"traceEvents":[],"displayTimeUnit":"ns"}\n';

  it("keeps a failing program's status (deadlock: 2) and says the trace was not written", async () => {
    writeFileSync(join(dir, "t.json"), old);
    const r = await runLimited(dir, "deadlock.s");
    expect(r.stderr).toContain("fatal error: all goroutines are asleep - deadlock!");
    expect(r.stderr).toContain("gmpemu: --trace-out: cannot write t.json: file too large\n");
    expect(r.status).toBe(2);
    expect(readFileSync(join(dir, "t.json"), "utf8")).toBe(old);
    expect(readdirSync(dir)).toEqual(["t.json"]);
  });

  it("turns a successful program's 0 into 4", async () => {
    const r = await runLimited(dir, "hello.s");
    expect(r.stdout + r.stderr).toContain("all 3 workers done");
    expect(r.stderr).toContain("gmpemu: --trace-out: cannot write t.json: file too large\n");
    expect(r.status).toBe(OUTPUT_FAILED_STATUS);
    expect(readFileSync(join(dir, "t.json"), "utf8")).toBe(old);
    expect(readdirSync(dir)).toEqual(["t.json"]);
  });

  it("statusAfterOutputFailure", () => {
    expect(statusAfterOutputFailure(0)).toBe(4);
    expect(statusAfterOutputFailure(2)).toBe(2);
    expect(statusAfterOutputFailure(3)).toBe(3);
  });
});
