// Issue 10 and 17: the stub's clients. One gdb at a time, a second turned
// away cleanly; after `detach` the program runs on and a new gdb can attach
// (the stub used to exit after one session); after a hang-up the machine
// waits where it was; `kill` ends the stub, as gdbserver exits; --once
// serves one gdb; --port 0 picks a free port and prints it.
import { spawn } from "node:child_process";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildMachine } from "../../src/node/boot.ts";
import { gdbRegNum } from "../../src/gdb/rsp.ts";
import { startGdbServer } from "../../src/gdb/server.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { RspClient } from "./gdb-client.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const HELLO = join(ROOT, "programs/hello.s");
const GDB = "/usr/bin/gdb";
const quiet = { stdout: (): void => {}, stderr: (): void => {} };

const dir = mkdtempSync(join(tmpdir(), "gmpemu-gdb-clients-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A program that never ends: main spins. */
const FOREVER = join(dir, "forever.s");
writeFileSync(FOREVER, "#include \"textflag.h\"\n\nTEXT ·main(SB), $0-0\nloop:\n\tJMP\tloop\n");

const until = async (f: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 3000 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!f()) throw new Error(`timed out waiting for ${what}`);
};
const rip = (c: RspClient): Promise<string> => c.request(`p${gdbRegNum("rip").toString(16)}`);

describe("one gdb at a time", () => {
  it("turns a second connection away with a message, and the first goes on", async () => {
    const m = buildMachine([HELLO], quiet);
    const notices: string[] = [];
    const srv = await startGdbServer(m, { port: 0, notice: (l) => notices.push(l) });
    const a = await RspClient.connect(srv.port);
    try {
      expect(await a.request("?")).toMatch(/^T05/);
      const b = await RspClient.connect(srv.port);
      await b.closed();
      expect(notices.some((n) => /^gmpemu: gdb stub: refused a connection from 127\.0\.0\.1:\d+: a gdb is already attached \(one at a time\)$/.test(n))).toBe(true);
      // The first session is untouched: same answers, and it still steps.
      const before = await rip(a);
      expect(await a.request("s")).toMatch(/^T05/);
      expect(await rip(a)).not.toBe(before);
    } finally {
      a.close();
      srv.close();
      m.engine.close();
    }
  });
});

describe("sessions one after another", () => {
  it("after detach the program runs on, and a new gdb attaches and stops it", async () => {
    const m = buildMachine([FOREVER], quiet);
    const notices: string[] = [];
    const srv = await startGdbServer(m, { port: 0, notice: (l) => notices.push(l) });
    try {
      const a = await RspClient.connect(srv.port);
      const main = m.image.addrOf("main.main")!;
      expect(await a.request(`Z0,${main.toString(16)},1`)).toBe("OK");
      expect(await a.request("c")).toMatch(/^T05thread:[0-9a-f]+;swbreak:;$/);
      expect(await a.request("D")).toBe("OK");
      await a.closed();
      await until(() => notices.includes("gmpemu: gdb detached; the program runs on"), "the detach");
      // It runs: instructions retire with nobody attached.
      const at = m.engine.icount;
      await until(() => m.engine.icount > at + 100_000, "the program to run");
      // A second gdb: the machine stops where it is, and answers.
      const b = await RspClient.connect(srv.port);
      expect(await b.request("?")).toMatch(/^T02thread:[0-9a-f]+;$/);
      const pc = await rip(b);
      expect(await rip(b)).toBe(pc); // stopped
      const icount = m.engine.icount;
      await new Promise((r) => setTimeout(r, 100));
      expect(m.engine.icount).toBe(icount);
      // The breakpoint the first gdb left was removed with it: continue runs until interrupted.
      b.send("c");
      await until(() => m.engine.icount > icount + 100_000, "the continue");
      b.write("\x03");
      expect(await b.packet()).toMatch(/^T02/);
      // kill ends the stub.
      b.write(`$k#${"6b"}`);
      expect(await srv.done).toBe("kill");
      expect(notices).toContain("gmpemu: gdb killed the program");
    } finally {
      srv.close();
      m.engine.close();
    }
  });

  it("a ^C that arrives in the same read as its continue still stops it", async () => {
    const m = buildMachine([FOREVER], quiet);
    const srv = await startGdbServer(m, { port: 0, notice: () => {} });
    const c = await RspClient.connect(srv.port);
    try {
      expect(await c.request("QStartNoAckMode")).toBe("OK");
      c.write("$c#63\x03");
      expect(await c.packet()).toMatch(/^T02thread:[0-9a-f]+;$/);
      // A later continue is not stopped by it again: it runs until its own ^C.
      const at = m.engine.icount;
      c.send("c");
      await until(() => m.engine.icount > at + 200_000, "the second continue");
      c.write("\x03");
      expect(await c.packet()).toMatch(/^T02/);
    } finally {
      c.close();
      srv.close();
      m.engine.close();
    }
  });

  it("after a hang-up the machine waits where it was for the next gdb", async () => {
    const m = buildMachine([HELLO], quiet);
    const notices: string[] = [];
    const srv = await startGdbServer(m, { port: 0, notice: (l) => notices.push(l) });
    try {
      const a = await RspClient.connect(srv.port);
      for (let i = 0; i < 5; i++) await a.request("s");
      const pc = await rip(a);
      const icount = m.engine.icount;
      a.close();
      await until(() => notices.some((n) => n.includes("hung up")), "the hang-up");
      const b = await RspClient.connect(srv.port);
      expect(await rip(b)).toBe(pc);
      expect(m.engine.icount).toBe(icount);
      // It runs to its end for this gdb, and then the stub is done.
      expect(await b.request("c")).toBe("W00");
      b.close();
      expect(await srv.done).toBe("hangup");
    } finally {
      srv.close();
      m.engine.close();
    }
  });

  it("once: the first gdb only; after its detach the program runs to its end", async () => {
    const m = buildMachine([HELLO], quiet);
    const srv = await startGdbServer(m, { port: 0, once: true, notice: () => {} });
    try {
      const a = await RspClient.connect(srv.port);
      expect(await a.request("?")).toMatch(/^T05/);
      // No longer listening: a second connection is refused by the system.
      const refused = await new Promise<string>((res) => {
        const s = connect(srv.port, "127.0.0.1", () => { s.destroy(); res("connected"); });
        s.on("error", (e: NodeJS.ErrnoException) => res(e.code ?? "error"));
      });
      expect(refused).toBe("ECONNREFUSED");
      expect(await a.request("D")).toBe("OK");
      expect(await srv.done).toBe("detach");
      expect(srv.stub.exitCode).toBe(0);
    } finally {
      srv.close();
      m.engine.close();
    }
  });
});

function runGdb(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile(GDB, ["-batch", "-nx", "-ex", "set architecture i386:x86-64", ...args], { timeout: 60_000, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err && !stdout) rej(new Error(`${err.message}\n${stderr}`));
      else res(stdout + stderr);
    });
  });
}

describe.skipIf(!oracleAvailable("gdb", existsSync(GDB)))("the CLI with real gdb", () => {
  it("--port 0 prints the port; two gdb sessions in turn; kill ends it with status 0", async () => {
    const elf = join(dir, "forever.elf");
    const child = spawn(process.execPath, [join(ROOT, "bin/gmpemu.mjs"), "gdb", FOREVER, "--port", "0", "--elf", elf], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (err += d));
    try {
      await until(() => /listening on 127\.0\.0\.1:\d+\n/.test(err), "the port");
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(err)![1]);
      expect(port).toBeGreaterThan(0);
      const first = await runGdb(["-ex", `file ${elf}`, "-ex", `target remote 127.0.0.1:${port}`, "-ex", "break main.main", "-ex", "continue", "-ex", "detach"]);
      expect(first).toMatch(/Breakpoint 1, main\.main \(\) at .*forever\.s:\d+/);
      expect(first).toContain("[Inferior 1 (Remote target) detached]");
      await until(() => err.includes("the program runs on"), "the detach");
      const second = await runGdb(["-ex", `file ${elf}`, "-ex", `target remote 127.0.0.1:${port}`, "-ex", "info threads", "-ex", "kill"]);
      expect(second).toMatch(/Thread \d+ \(M0 running G1\)/);
      expect(second).toContain("[Inferior 1 (Remote target) killed]");
      const code = await new Promise<number | null>((res) => (child.exitCode !== null ? res(child.exitCode) : child.on("exit", (c) => res(c))));
      expect(code).toBe(0);
      expect(err.match(/gdb attached from/g)).toHaveLength(2);
    } finally {
      if (child.exitCode === null) child.kill();
    }
  }, 120_000);
});
