// Issue 10: a missing --script file gave Node's raw "ENOENT: no such file or
// directory, open ...". It is now one line naming the option and the file,
// exit status 1, before the machine is built.
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { spawnAsync } from "./spawn-async.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/gmpemu.mjs");

describe("step --script with a file that cannot be read", () => {
  for (const [what, path, msg] of [
    ["missing", "/nonexistent/s.txt", "no such file"],
    ["a directory", tmpdir(), "is a directory"],
    ["a device", "/dev/zero", "not a regular file"],
  ] as const) {
    it(`${what}: one plain line, status 1`, async () => {
      const r = await spawnAsync(process.execPath, [BIN, "step", "programs/gosched.s", "--script", path], { cwd: ROOT });
      expect(r.stderr).toBe(`gmpemu: --script: ${path}: ${msg}\n`);
      expect(r.stdout).toBe("");
      expect(r.status).toBe(1);
    });
  }
});
