// Issue 10: `gmpemu gdb h.s --elf h.s` replaced the program's source with
// the ELF image, and then served gdb as if nothing had happened. Every
// spelling of an input as --elf (the same name, a hard link, a symbolic
// link, a file the program #includes, a runtime file) is refused before
// anything is built: one line, exit status 1, the input untouched, no stub.
import { linkSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnAsync, type Spawned } from "./spawn-async.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/gmpemu.mjs");

describe("gdb --elf never eats an input", () => {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-outpath-elf-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A program that includes a file of its own, beside it.
  const src = readFileSync(join(ROOT, "programs/hello.s"), "utf8").replace('#include "textflag.h"', '#include "textflag.h"\n#include "mine.h"');
  writeFileSync(join(dir, "h.s"), src);
  writeFileSync(join(dir, "mine.h"), "// nothing but a comment\n");
  linkSync(join(dir, "h.s"), join(dir, "hard.elf"));
  symlinkSync(join(dir, "h.s"), join(dir, "soft.elf"));

  const gdb = (elf: string): Promise<Spawned> =>
    spawnAsync(process.execPath, [BIN, "gdb", "h.s", "--port", "0", "--elf", elf], { cwd: dir, timeout: 30_000 });

  for (const [what, elf, also] of [
    ["the source itself", "h.s", ""],
    ["the source by another spelling", `./../${dir.split("/").pop()}/h.s`, ""],
    ["a hard link to the source", "hard.elf", " (the same file as h.s)"],
    ["a symbolic link to the source", "soft.elf", " (the same file as h.s)"],
    ["a file the program includes", "mine.h", ""],
    ["the runtime's include file", join(ROOT, "asm/include/textflag.h"), ""],
    ["the runtime's assembly", join(ROOT, "asm/asm_amd64.s"), ""],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const before = readFileSync(join(dir, "h.s"));
      const r = await gdb(elf);
      expect(r.status).toBe(1);
      const err = r.stderr;
      expect(err).toMatch(new RegExp(`^gmpemu: --elf: .*: is one of the input files.*; give another file name\\n$`));
      if (also) expect(err).toContain(also);
      expect(err).not.toContain("listening");
      expect(err).not.toMatch(/\n\s+at /); // no stack trace
      expect(readFileSync(join(dir, "h.s")).equals(before)).toBe(true);
      expect(readFileSync(join(dir, "mine.h"), "utf8")).toBe("// nothing but a comment\n");
    });
  }

  it("still writes an ELF to a new name (the check refuses only inputs)", async () => {
    const child = await spawnAsync(process.execPath, ["-e", `
      const { spawn } = require("node:child_process");
      const c = spawn(process.execPath, [${JSON.stringify(BIN)}, "gdb", "h.s", "--port", "0", "--elf", "out.elf"], { cwd: ${JSON.stringify(dir)} });
      let err = "";
      c.stderr.on("data", (d) => { err += d; if (/listening/.test(err)) { c.kill(); } });
      c.on("exit", () => { process.stdout.write(err); });
    `], { timeout: 30_000 });
    expect(child.stdout).toMatch(/listening on 127\.0\.0\.1:\d+/);
    const elf = readFileSync(join(dir, "out.elf"));
    expect([...elf.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
  });
});
