// Issue 17: `monitor goroutines` and `monitor g N` (qRcmd) show the
// scheduler's goroutines as the runtime's own structures have them: id,
// status with the wait reason, M, and where each is (its frames through
// assembly and the TypeScript runtime's host functions).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildMachine, type Machine } from "../../src/node/boot.ts";
import { writeElf } from "../../src/gdb/elf.ts";
import { GdbStub, startGdbServer } from "../../src/gdb/server.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { hexOf } from "./gdb-client.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const HELLO = join(ROOT, "programs/hello.s");
const GDB = "/usr/bin/gdb";
const quiet = { stdout: (): void => {}, stderr: (): void => {} };

async function monitorOf(stub: GdbStub, cmd: string): Promise<string> {
  expect(await stub.handle("qRcmd," + hexOf(cmd))).toBe("OK");
  return stub.takeOutput().map((o) => Buffer.from(o.slice(1), "hex").toString("utf8")).join("");
}

/** hello.s stopped in the first worker: main is parked in its channel receive. */
async function inWorker(): Promise<{ m: Machine; stub: GdbStub }> {
  const m = buildMachine([HELLO], quiet);
  const stub = new GdbStub(m, () => {}, () => {});
  const worker = m.image.addrOf("main.worker")!;
  stub.handle(`Z0,${worker.toString(16)},1`);
  expect(await stub.handle("c")).toMatch(/^T05/);
  stub.handle(`z0,${worker.toString(16)},1`);
  return { m, stub };
}

describe("monitor goroutines", () => {
  it("lists every live goroutine: id, status and wait reason, M, where", async () => {
    const { m, stub } = await inWorker();
    try {
      const out = await monitorOf(stub, "goroutines");
      const lines = out.trimEnd().split("\n");
      // main: parked in chanrecv1, called from main.main at hello.s:79.
      expect(lines.find((l) => /^ {2}G1 /.test(l))).toMatch(/^ {2}G1 +waiting \(chan receive\) +main\.main\+0x[0-9a-f]+ {2}programs\/hello\.s:79 {2}\(in runtime\.chanrecv1\)$/);
      // The worker that runs now is marked, on M0, at main.worker's first line.
      expect(lines.find((l) => l.startsWith("*"))).toMatch(/^\* G7 +running +M0 +main\.worker {2}programs\/hello\.s:13$/);
      // The other workers wait their turn; the runtime's own goroutines are parked in TypeScript.
      expect(lines.filter((l) => /G[56] +runnable +main\.worker {2}programs\/hello\.s:13$/.test(l))).toHaveLength(2);
      expect(out).toMatch(/G2 +waiting \(force gc \(idle\)\) +runtime\.forcegchelper \(TypeScript runtime\)/);
    } finally {
      m.engine.close();
    }
  });

  it("monitor g N: the gobuf, the stack and the frames of a parked goroutine", async () => {
    const { m, stub } = await inWorker();
    try {
      const out = await monitorOf(stub, "g 1");
      expect(out).toMatch(/^G1 at 0xc[0-9a-f]+: waiting \(chan receive\)\n/);
      expect(out).toMatch(/\n {2}stack \[0xc[0-9a-f]+, 0xc[0-9a-f]+\) {2}stackguard0 0x[0-9a-f]+\n/);
      // The gobuf's pc is the continuation of the host function that parked it.
      expect(out).toMatch(/\n {2}gobuf: sp=0xc[0-9a-f]+ pc=0x7f01[0-9a-f]+ \(runtime\.chanrecv1·resume\) g=0xc[0-9a-f]+ ctxt=0x0 ret=0x0 bp=0xc[0-9a-f]+\n/);
      expect(out).toContain("  frames (from the gobuf):\n"
        + "  #0 runtime.chanrecv1 (TypeScript runtime)\n");
      expect(out).toMatch(/ {2}#1 main\.main\+0x[0-9a-f]+ {2}programs\/hello\.s:79\n {2}#2 runtime\.main \(TypeScript runtime\)\n {2}#3 runtime\.goexit\+0x1 {2}asm\/asm_amd64\.s:\d+\n$/);
      // The running goroutine's frames come from its thread's registers.
      expect(await monitorOf(stub, "g 7")).toMatch(/running, on M0, running on thread \d+\n[\s\S]*frames \(from thread \d+'s registers\):\n {2}#0 main\.worker {2}programs\/hello\.s:13\n/);
    } finally {
      m.engine.close();
    }
  });

  it("bad uses get a message, not an error", async () => {
    const { m, stub } = await inWorker();
    try {
      expect(await monitorOf(stub, "g 99")).toMatch(/^no goroutine 99 \(goroutines: 1 2 3 4 5 6 7\)\n$/);
      expect(await monitorOf(stub, "g x")).toMatch(/^usage: monitor g N/);
      expect(await monitorOf(stub, "frobnicate")).toMatch(/^unknown monitor command "frobnicate"\nmonitor commands:/);
      expect(await monitorOf(stub, "help")).toContain("goroutines");
      // Before the runtime has made a goroutine.
      const m2 = buildMachine([HELLO], quiet);
      try {
        expect(await monitorOf(new GdbStub(m2), "goroutines")).toBe("no goroutines yet (the runtime has not started one)\n");
      } finally {
        m2.engine.close();
      }
    } finally {
      m.engine.close();
    }
  });

  it("a long listing goes out in packets that fit", async () => {
    const { m, stub } = await inWorker();
    try {
      expect(await stub.handle("qRcmd," + hexOf("help"))).toBe("OK");
      for (const o of stub.takeOutput()) expect(o.length).toBeLessThan(0x4000);
    } finally {
      m.engine.close();
    }
  });
});

describe.skipIf(!oracleAvailable("gdb", existsSync(GDB)))("monitor commands from real gdb", () => {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-gdb-monitor-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the goroutines and one goroutine's frames", async () => {
    const m = buildMachine([HELLO], quiet);
    const elf = join(dir, "hello.elf");
    writeFileSync(elf, writeElf(m.image, { name: HELLO }));
    const srv = await startGdbServer(m, { port: 0, notice: () => {} });
    try {
      const out = await new Promise<string>((res, rej) => execFile(GDB, [
        "-batch", "-nx", "-ex", "set architecture i386:x86-64", "-ex", `file ${elf}`, "-ex", `target remote 127.0.0.1:${srv.port}`,
        "-ex", "break main.worker", "-ex", "continue", "-ex", "monitor goroutines", "-ex", "monitor g 1", "-ex", "kill",
      ], { timeout: 60_000, encoding: "utf8" }, (err, stdout, stderr) => (err && !stdout ? rej(err) : res(stdout + stderr))));
      expect(out).toMatch(/ {2}G1 +waiting \(chan receive\) +main\.main\+0x[0-9a-f]+ {2}programs\/hello\.s:79 {2}\(in runtime\.chanrecv1\)/);
      expect(out).toMatch(/\* G7 +running +M0 +main\.worker/);
      expect(out).toMatch(/#1 main\.main\+0x[0-9a-f]+ {2}programs\/hello\.s:79/);
    } finally {
      srv.close();
      m.engine.close();
    }
  }, 60_000);
});
