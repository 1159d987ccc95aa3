// Issue 10: `run --trace-out` compared real paths, so a hard link to the
// program (another name, the same inode) was overwritten with the trace.
// The check is by device and inode now, before the run.
import { linkSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnAsync } from "./spawn-async.ts";
import { checkOutputs } from "../../src/cli/outpath.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/gmpemu.mjs");

describe("run --trace-out and a hard link to the input", () => {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-outpath-link-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const src = readFileSync(join(ROOT, "programs/hello.s"));
  writeFileSync(join(dir, "h.s"), src);
  linkSync(join(dir, "h.s"), join(dir, "link.json"));
  symlinkSync("h.s", join(dir, "sym.json"));

  for (const out of ["link.json", "sym.json"]) {
    it(`refuses ${out} before running, and the program survives`, async () => {
      const r = await spawnAsync(process.execPath, [BIN, "run", "h.s", "--trace-out", out], { cwd: dir });
      expect(r.stderr).toBe(`gmpemu: --trace-out: ${out}: is one of the input files (the same file as h.s); give another file name\n`);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe(""); // nothing ran
      expect(readFileSync(join(dir, "h.s")).equals(src)).toBe(true);
      // --force does not make an input writable.
      const f = await spawnAsync(process.execPath, [BIN, "run", "h.s", "--trace-out", out, "--force"], { cwd: dir });
      expect(f.status).toBe(1);
      expect(readFileSync(join(dir, "h.s")).equals(src)).toBe(true);
    });
  }

  it("compares device and inode, whatever the spelling", () => {
    const inputs = [join(dir, "h.s")];
    expect(() => checkOutputs([{ option: "--trace-out", path: join(dir, "link.json"), kind: "chrome-trace" }], inputs)).toThrow(/input files/);
    expect(() => checkOutputs([{ option: "--trace-out", path: `${dir}/./sym.json`, kind: "chrome-trace" }], inputs)).toThrow(/input files/);
    expect(() => checkOutputs([{ option: "--trace-out", path: join(dir, "new.json"), kind: "chrome-trace" }], inputs)).not.toThrow();
    // Two outputs naming one file (a later option beside --trace-out).
    expect(() => checkOutputs([
      { option: "--trace-out", path: join(dir, "new.json"), kind: "chrome-trace" },
      { option: "--elf", path: `${dir}/../${dir.split("/").pop()}/new.json`, kind: "elf" },
    ], inputs)).toThrow(/--elf: .*new\.json: is also the output of --trace-out/);
  });
});
