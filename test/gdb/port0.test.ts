// `gmpemu gdb --port 0` (issue 17): the stub listens on a free port and
// prints it; a client connects to that port and gets answers.
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checksum } from "../../src/gdb/rsp.ts";

const ROOT = resolve(import.meta.dirname, "../..");

describe("gmpemu gdb --port 0", () => {
  it("prints the port it chose, and serves a client there", { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [join(ROOT, "bin/gmpemu.mjs"), "gdb", "programs/hello.s", "--port", "0", "--once"], { cwd: ROOT });
    let stderr = "";
    try {
      const port = await new Promise<number>((res, rej) => {
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
          const m = /gdb stub listening on 127\.0\.0\.1:(\d+)\n/.exec(stderr);
          if (m) res(Number(m[1]));
        });
        child.on("exit", () => rej(new Error(`gmpemu gdb exited: ${stderr}`)));
      });
      expect(port).toBeGreaterThan(0);
      const reply = await new Promise<string>((res, rej) => {
        const s = connect(port, "127.0.0.1", () => s.write(`$qSupported#${checksum("qSupported")}`));
        let got = "";
        s.on("data", (d) => {
          got += d.toString();
          if (/\$[^#]*#[0-9a-f]{2}/.test(got)) { s.write(`+$k#${checksum("k")}`); s.end(); res(got); }
        });
        s.on("error", rej);
      });
      expect(reply).toMatch(/^\+\$PacketSize=/);
      const status = await new Promise<number | null>((res) => child.on("exit", (c) => res(c)));
      expect(stderr).toMatch(/gdb session ended/);
      expect(status).not.toBeNull();
    } finally {
      child.kill();
    }
  });
});
