// A continue with a breakpoint set single-steps the machine; the stub used
// to rotate only among runnable threads, so sysmon, asleep until its next
// tick, never woke while main spun: `break runtime.asyncPreempt` +
// `continue` on spin.s never came back. The stub now lets the kernel pick
// every few thousand steps (waking sleepers), as the stepper does, and the
// preemption arrives. Real gdb's bt then goes from asyncPreempt (called by
// the signal's pushCall) to the interrupted main.spinner and goexit.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildMachine } from "../../src/node/boot.ts";
import { REG_RIP } from "../../src/engine/engine.ts";
import { writeElf } from "../../src/gdb/elf.ts";
import { GdbStub, startGdbServer } from "../../src/gdb/server.ts";
import { oracleAvailable } from "../helpers/oracles.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const SPIN = join(ROOT, "programs/spin.s");
const GDB = "/usr/bin/gdb";
const quiet = { stdout: (): void => {}, stderr: (): void => {} };

describe("continue to a breakpoint on a spinning program", () => {
  it("reaches runtime.asyncPreempt: sysmon gets its turn", async () => {
    const m = buildMachine([SPIN], quiet);
    try {
      const stub = new GdbStub(m, () => {}, () => {});
      const ap = m.image.addrOf("runtime.asyncPreempt")!;
      expect(stub.handle(`Z0,${ap.toString(16)},1`)).toBe("OK");
      expect(await stub.handle("c")).toMatch(/^T05thread:[0-9a-f]+;swbreak:;$/);
      expect(Number(m.engine.getReg(REG_RIP))).toBe(ap);
    } finally {
      m.engine.close();
    }
  }, 120_000);
});

describe.skipIf(!oracleAvailable("gdb", existsSync(GDB)))("real gdb in asyncPreempt", () => {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-gdb-spin-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("bt: asyncPreempt, the spinner it interrupted, goexit", async () => {
    const m = buildMachine([SPIN], quiet);
    const elf = join(dir, "spin.elf");
    writeFileSync(elf, writeElf(m.image, { name: SPIN }));
    const srv = await startGdbServer(m, { port: 0, notice: () => {} });
    try {
      const out = await new Promise<string>((res, rej) => execFile(GDB, [
        "-batch", "-nx", "-ex", "set architecture i386:x86-64", "-ex", `file ${elf}`, "-ex", `target remote 127.0.0.1:${srv.port}`,
        "-ex", "break runtime.asyncPreempt", "-ex", "continue", "-ex", "stepi 3", "-ex", "bt", "-ex", "kill",
      ], { timeout: 120_000, encoding: "utf8" }, (err, stdout, stderr) => (err && !stdout ? rej(err) : res(stdout + stderr))));
      // Three instructions in (PUSHQ BP, MOVQ SP, BP, PUSHFQ): the CFA still found.
      expect(out).toMatch(/#0 +runtime\.asyncPreempt \(\) at .*preempt_amd64\.s:\d+\n#1 +0x[0-9a-f]+ in main\.spinner \(\) at .*spin\.s:\d+\n#2 +0x[0-9a-f]+ in runtime\.goexit \(\)/);
      expect(out).not.toMatch(/Backtrace stopped/);
    } finally {
      srv.close();
      m.engine.close();
    }
  }, 120_000);
});
