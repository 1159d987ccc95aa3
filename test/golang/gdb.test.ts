// Real gdb against a .go program on the stub: a breakpoint on a Go
// function by name, Go source lines from the line table gmpemu writes
// (from the binary's pclntab), a backtrace through compiled frames (the
// pclntab's SP deltas) into our runtime·goexit, which gdb names from its
// own section of the ELF.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeElf } from "../../src/gdb/elf.ts";
import { startGdbServer } from "../../src/gdb/server.ts";
import { buildMachine } from "../../src/node/boot.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { PROGRAMS } from "./goldens.ts";

const GDB = "/usr/bin/gdb";
const haveGo = oracleAvailable("go (compiling programs/*.go)", findGo() !== null);
const haveGdb = oracleAvailable("gdb", existsSync(GDB));

function runGdb(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile(GDB, args, { timeout: 60_000, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err && !stdout) rej(new Error(`${err.message}\n${stderr}`));
      else res(stdout + stderr);
    });
  });
}

describe.skipIf(!haveGo || !haveGdb)("gdb and a .go program", () => {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-gogdb-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("breaks on main.worker, shows its Go line, and walks back to runtime.goexit", { timeout: 120_000 }, async () => {
    const file = join(PROGRAMS, "hello.go");
    const m = buildMachine([file], { stdout: () => {}, stderr: () => {} });
    const elf = join(dir, "hello.elf");
    writeFileSync(elf, writeElf(m.image, { name: file }));
    const srv = await startGdbServer(m, { port: 0 });
    try {
      const out = await runGdb([
        "-batch", "-nx",
        "-ex", "set architecture i386:x86-64",
        "-ex", `file ${elf}`,
        "-ex", `target remote 127.0.0.1:${srv.port}`,
        "-ex", "break main.worker",
        "-ex", "continue",
        "-ex", "bt",
        "-ex", "detach",
      ]);
      expect(out).toMatch(/Breakpoint 1 at 0x[0-9a-f]+: file .*programs\/hello\.go, line 6\./);
      expect(out).toMatch(/hit Breakpoint 1, main\.worker \(\) at .*programs\/hello\.go:6/);
      expect(out).toMatch(/^#0 +main\.worker \(\) at .*hello\.go:6$/m);
      expect(out).toMatch(/^#1 +0x[0-9a-f]+ in main\.main\.func1 \(\) at .*hello\.go:14$/m);
      expect(out).toMatch(/^#2 +0x0*7e[0-9a-f]+ in runtime\[goexit\] \(\)$/m);
      expect(await srv.done).toBe("detach");
    } finally {
      srv.close();
      m.engine.close();
    }
  });
});

it.skipIf(haveGo && haveGdb)("gdb with a .go program needs Go 1.19 and gdb (skipped: one is not installed)", () => {});
