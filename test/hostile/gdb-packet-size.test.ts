// Issue 10: PacketSize was advertised but not enforced, and the parser
// searched its whole buffer for "#" on every chunk: a 64 MB packet kept the
// stub busy for 200 s. The parser now holds at most PACKET_SIZE bytes and
// skips the rest of a longer packet as it arrives; the stub answers E01 and
// goes on.
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMachine, type Machine } from "../../src/node/boot.ts";
import { PACKET_SIZE, PacketParser, checksum } from "../../src/gdb/rsp.ts";
import { GdbStub, startGdbServer, type GdbServer } from "../../src/gdb/server.ts";
import { RspClient } from "./gdb-client.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const HELLO = join(ROOT, "programs/hello.s");
const quiet = { stdout: (): void => {}, stderr: (): void => {} };
const MB64 = 64 << 20;

describe("packet size", () => {
  it("is what qSupported advertises (PacketSize is hex)", () => {
    const m = buildMachine([HELLO], quiet);
    try {
      const r = String(new GdbStub(m).handle("qSupported:swbreak+"));
      expect(parseInt(/PacketSize=([0-9a-f]+)/.exec(r)![1]!, 16)).toBe(PACKET_SIZE);
    } finally {
      m.engine.close();
    }
  });

  it("the parser keeps at most PACKET_SIZE bytes of a 64 MB packet and reports it as too long", () => {
    const p = new PacketParser();
    const chunk = Buffer.alloc(1 << 16, 0x61);
    const out = p.feed("$");
    let most = 0;
    for (let n = 0; n < MB64; n += chunk.length) {
      out.push(...p.feed(chunk));
      most = Math.max(most, p.buffered);
    }
    out.push(...p.feed("#00$?#3f"));
    expect(most).toBeLessThanOrEqual(PACKET_SIZE);
    expect(out).toEqual([{ kind: "toolong" }, { kind: "packet", data: "?" }]);
  });

  it("a packet of exactly PACKET_SIZE bytes is accepted, one more is not", () => {
    const p = new PacketParser();
    const full = "X" + "a".repeat(PACKET_SIZE - 1);
    expect(p.feed(`$${full}#${checksum(full)}`)).toEqual([{ kind: "packet", data: full }]);
    expect(p.feed(`$${full}b#00`)).toEqual([{ kind: "toolong" }]);
    // A long packet cut by a new "$" is dropped, and the new one read.
    expect(p.feed(`$${full}bc$g#67`)).toEqual([{ kind: "toolong" }, { kind: "packet", data: "g" }]);
  });

  describe("on the wire", () => {
    let m: Machine;
    let srv: GdbServer;
    beforeAll(async () => {
      m = buildMachine([HELLO], quiet);
      srv = await startGdbServer(m, { port: 0, notice: () => {} });
    });
    afterAll(() => { srv.close(); m.engine.close(); });

    it("64 MB of one packet gets E01, and the next packet its answer", async () => {
      const c = await RspClient.connect(srv.port);
      try {
        c.write("$M401000,2000000:");
        const chunk = Buffer.alloc(1 << 20, 0x30);
        for (let n = 0; n < MB64; n += chunk.length) {
          if (!c.sock.write(chunk)) await new Promise((r) => c.sock.once("drain", r));
        }
        c.write("#00");
        expect(await c.ack()).toBe("+");
        expect(await c.packet()).toBe("E01");
        expect(await c.request("?")).toMatch(/^T05thread:[0-9a-f]+;$/);
        // Nothing was written: the code at the entry is intact.
        const entry = m.image.addrOf("runtime.rt0_go")!;
        expect(await c.request(`m${entry.toString(16)},2`)).not.toBe("3030");
      } finally {
        c.close();
      }
    });
  });

  it("a client that never reads its replies is waited for, then dropped, not buffered without end", async () => {
    const m = buildMachine([HELLO], quiet);
    const notices: string[] = [];
    const srv = await startGdbServer(m, { port: 0, notice: (l) => notices.push(l) });
    const s = connect(srv.port, "127.0.0.1");
    try {
      await new Promise((r) => s.once("connect", r));
      s.pause(); // never read
      const entry = m.image.addrOf("runtime.rt0_go")!;
      const req = `m${entry.toString(16)},4000`;
      const one = `$${req}#${checksum(req)}`;
      s.write(`$QStartNoAckMode#${checksum("QStartNoAckMode")}`);
      // Reads of 16 KB of reply each, 50 at a time (fewer than the queue's
      // bound in any one chunk): 80 MB by the 5,000th, if the stub buffered them all.
      for (let i = 0; i < 100 && !notices.some((n) => n.includes("disconnected")); i++) {
        s.write(one.repeat(50));
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise<void>((r) => { const t = setInterval(() => { if (s.destroyed || notices.some((n) => n.includes("disconnected"))) { clearInterval(t); r(); } }, 20); });
      expect(notices).toContain("gmpemu: gdb stub: the client sent more than 1024 packets without waiting for replies; disconnected");
      expect(process.memoryUsage().rss).toBeLessThan(2 ** 31);
    } finally {
      s.destroy();
      srv.close();
      m.engine.close();
    }
  });
});
