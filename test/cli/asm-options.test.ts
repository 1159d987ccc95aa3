// Issue 17, through the CLI: a lossy immediate is a warning on stderr with
// exit status 0 (Go's bytes on stdout), and an error with --strict (exit 1,
// nothing listed); --only names symbols as the source spells them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "gmpemu-asmopts-"));
const gmpemu = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin/gmpemu.mjs"), ...args], { cwd: dir, encoding: "utf8" });

writeFileSync(join(dir, "lossy.s"), "TEXT ·f(SB), 4, $0\n\tMOVB $0x1ff, AX\n\tRET\nTEXT ·g(SB), 4, $0\n\tRET\nTEXT gogo<>(SB), 4, $0\n\tRET\n");

describe("gmpemu asm: warnings, --strict, --only", () => {
  it("a lossy immediate: a warning, Go's bytes, exit status 0", () => {
    const r = gmpemu("asm", "lossy.s");
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("lossy.s:2:7: warning: $0x1ff truncated to 8 bits\n");
    expect(r.stdout).toMatch(/^ {2}lossy\.s:2\t+0x401000\t+b0ff\t+MOVB \$-0x1, AL$/m);
  });

  it("--strict: the same message as an error, exit status 1, no listing", () => {
    const r = gmpemu("asm", "--strict", "lossy.s");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("lossy.s:2:7: $0x1ff truncated to 8 bits\n");
    expect(r.stdout).toBe("");
  });

  it("--only with the source's spellings", () => {
    const r = gmpemu("asm", "lossy.s", "--only", "main·g,gogo<>", "--json");
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { symbols: { name: string }[] }).symbols.map((s) => s.name)).toEqual(["main.g", "gogo<1>"]);
    const l = gmpemu("asm", "lossy.s", "--only", "·f");
    expect(l.stdout.split("\n").filter((x) => x.startsWith("TEXT"))).toEqual(["TEXT main.f(SB) lossy.s"]);
  });

  it("--only with a symbol that is not there: one line and a hint, exit status 2", () => {
    const r = gmpemu("asm", "lossy.s", "--only", "·h");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("gmpemu asm: --only: no symbol main.h\n(see gmpemu asm --help)\n");
    expect(r.stdout).toBe("");
  });
});
