// Issue 10: a directory as --trace-out failed only after the whole run
// (EISDIR), and that error's status replaced the program's. Paths that can
// never be written — a directory, a device, a missing directory — are now
// refused before the run: one line, status 1, the program never started.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnAsync, type Spawned } from "./spawn-async.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/gmpemu.mjs");
const HELLO = join(ROOT, "programs/hello.s");

describe("an output path that cannot be written", () => {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-outpath-dir-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "d"));
  const cli = (...args: string[]): Promise<Spawned> => spawnAsync(process.execPath, [BIN, ...args], { cwd: dir });

  for (const [what, path, msg] of [
    ["a directory", "d", "d: is a directory; give a file name"],
    ["a device", "/dev/null", "/dev/null: not a regular file"],
    ["a file in a missing directory", "nodir/t.json", "nodir/t.json: the directory nodir does not exist"],
    ["a file under a file", `${HELLO}/t.json`, `${HELLO} is not a directory`],
  ] as const) {
    it(`run --trace-out refuses ${what} before the run`, async () => {
      const r = await cli("run", HELLO, "--trace-out", path);
      expect(r.stdout).toBe(""); // the program never ran
      expect(r.stderr).toMatch(/^gmpemu: --trace-out: [^\n]*\n$/);
      expect(r.stderr).toContain(msg);
      expect(r.status).toBe(1);
    });
  }

  it("gdb --elf refuses a directory before the stub starts", async () => {
    const r = await cli("gdb", HELLO, "--port", "0", "--elf", "d");
    expect(r.stderr).toBe("gmpemu: --elf: d: is a directory; give a file name\n");
    expect(r.status).toBe(1);
  });
});
