// Issue 10: a G packet with non-hex data made the stub print a TypeScript
// stack trace and drop the session. Every malformed packet now gets an E
// reply (an unknown one the empty reply, as gdbserver does), a damaged one
// a "-" (acks on) or E01 (no-ack mode), and the session goes on.
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMachine, type Machine } from "../../src/node/boot.ts";
import { GDB_REGS, PACKET_SIZE, checksum, gdbRegNum, leHex } from "../../src/gdb/rsp.ts";
import { GdbStub, startGdbServer, type GdbServer } from "../../src/gdb/server.ts";
import { RspClient, hexOf } from "./gdb-client.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const HELLO = join(ROOT, "programs/hello.s");
const quiet = { stdout: (): void => {}, stderr: (): void => {} };
const G_LEN = GDB_REGS.reduce((n, r) => n + r.bits / 4, 0);

describe("malformed packets, one by one", () => {
  let m: Machine;
  let stub: GdbStub;
  const notices: string[] = [];
  beforeAll(() => {
    m = buildMachine([HELLO], quiet);
    stub = new GdbStub(m, () => {}, (l) => notices.push(l));
  });
  afterAll(() => m.engine.close());
  const sync = (p: string): string | null => {
    const r = stub.handle(p);
    if (r instanceof Promise) throw new Error(`${p}: resumed`);
    return r;
  };

  it("G with non-hex data (the reported crash), and every other wrong G", () => {
    const rsp0 = m.kernel.threads[0]!.regs[4];
    expect(sync("G" + "zz".repeat(G_LEN / 2))).toBe("E01");
    expect(sync("G" + "0".repeat(G_LEN - 1) + "x")).toBe("E01");
    expect(sync("G" + "00".repeat(10))).toBe("E01"); // too short
    expect(sync("G" + "00".repeat(G_LEN))).toBe("E01"); // too long
    expect(sync("G")).toBe("E01");
    expect(m.kernel.threads[0]!.regs[4]).toBe(rsp0); // nothing written
    // A well-formed G still works: what g read, written back.
    const g = sync("g")!;
    expect(g).toHaveLength(G_LEN);
    expect(sync("G" + g)).toBe("OK");
  });

  it.each([
    // registers
    ["p", "E01"], ["pzz", "E01"], ["p1zz", "E01"], [`p${(GDB_REGS.length).toString(16)}`, "E01"], ["p-1", "E01"], ["p" + "f".repeat(40), "E01"],
    ["P", "E01"], ["P0", "E01"], ["P0=", "E01"], ["P0=zz00000000000000", "E01"], ["P0=00", "E01"], [`P0=${"00".repeat(9)}`, "E01"], ["Pzz=0000000000000000", "E01"],
    // memory
    ["m", "E01"], ["m0", "E01"], ["mzz,4", "E01"], ["m4,zz", "E01"], ["m,4", "E01"], ["m4,", "E01"], ["m4;4", "E01"], ["m10,8", "E14"],
    ["m" + "f".repeat(17) + ",4", "E01"], ["mffffffffffffffff,8", "E14"], ["m7fffffffffffffff,ffffffffffffffff", "E14"],
    ["M10,1:zz", "E01"], ["M10,2:00", "E01"], ["M10,1:000", "E01"], ["M10,1", "E01"], ["Mffffffffffffffff,1:00", "E14"], ["M10,1:00", "E14"],
    // breakpoints and watchpoints
    ["Z0", "E01"], ["Z0,", "E01"], ["Z0,zz,1", "E01"], ["Z9,1000,1", "E01"], ["Z0,1000", "E01"], ["Z2,1000,0", "E01"], ["Z2,1000,100000", "E01"],
    ["Z3,1000,8", ""], ["Z4,1000,8", ""], ["z0,zz,1", "E01"], ["Z,1,1", "E01"],
    // threads
    ["Hg", "E01"], ["Hgzz", "E01"], ["Hx1", "E01"], ["Hg99999", "E01"], ["Hc-2", "E01"], ["T", "E01"], ["Tzz", "E01"], ["T1", "E01"],
    ["qThreadExtraInfo,", "E01"], ["qThreadExtraInfo,zz", "E01"], ["qThreadExtraInfo,-1", "E01"],
    // documents and monitor
    ["qXfer:features:read:target.xml", "E01"], ["qXfer:features:read:target.xml:zz,10", "E01"], ["qXfer:features:read:other.xml:0,10", "E00"],
    ["qRcmd,", "OK"], ["qRcmd,zz", "E01"], ["qRcmd,123", "E01"],
    // resumes with junk (none of them runs the machine)
    ["cjunk", "E01"], ["czz", "E01"], ["C", "E01"], ["Czz", "E01"], ["C05;zz", "E01"], ["sjunk", "E01"], ["S", "E01"],
    ["vCont;", "E01"], ["vCont;x", "E01"], ["vCont;c:zz", "E01"], ["vCont;s:", "E01"], ["vCont;C", "E01"], ["vCont;;c", "E01"],
    ["D;zz", "E01"], ["Djunk", "E01"], ["vKill", ""], ["vKill;zz", ""],
    // unknown commands and binary junk: the empty reply
    ["", ""], ["!", ""], ["Qfoo", ""], ["qfoo", ""], ["vFoo", ""], ["X10,1:\x00", ""], ["\x00\xff\x80", ""], ["b", ""], ["R00", ""],
  ])("%j -> %j", (p, want) => {
    expect(sync(p)).toBe(want);
    // The session is fine: the stop reason and a register read still answer.
    expect(sync("?")).toMatch(/^T05thread:[0-9a-f]+;$/);
    expect(sync(`p${gdbRegNum("rip").toString(16)}`)).toMatch(/^[0-9a-f]{16}$/);
  });

  it("an error inside the stub is E01 and one line on stderr, not a stack trace", () => {
    const k = m.kernel;
    const threads = k.threads;
    Object.defineProperty(k, "threads", { configurable: true, get: () => { throw new Error("injected fault"); } });
    try {
      expect(sync("qfThreadInfo")).toBe("E01");
    } finally {
      Object.defineProperty(k, "threads", { configurable: true, writable: true, value: threads });
    }
    expect(notices.at(-1)).toBe('gmpemu: gdb stub: error on packet "qfThreadInfo": injected fault');
    expect(sync("qfThreadInfo")).toMatch(/^m[0-9a-f]+/);
  });

  it("reads are bounded: m of a huge length returns what fits in a packet", () => {
    const entry = m.image.addrOf("runtime.rt0_go")!;
    const r = sync(`m${entry.toString(16)},ffffffff`)!;
    expect(r.length).toBeLessThanOrEqual(PACKET_SIZE - 4);
    expect(r.length).toBeGreaterThan(1000);
    // A read running off the end of a mapping returns the part that is mapped.
    const top = 0x7fff_f000_0000;
    expect(sync(`m${(top - 4).toString(16)},10`)).toMatch(/^[0-9a-f]{8}$/);
    expect(sync(`m${(top).toString(16)},10`)).toBe("E14");
  });
});

describe("malformed packets on the wire", () => {
  let m: Machine;
  let srv: GdbServer;
  const notices: string[] = [];
  beforeAll(async () => {
    m = buildMachine([HELLO], quiet);
    srv = await startGdbServer(m, { port: 0, notice: (l) => notices.push(l) });
  });
  afterAll(() => { srv.close(); m.engine.close(); });

  it("acks on: E01 for a bad G, '-' for a bad checksum or a cut packet, and the session goes on", async () => {
    const c = await RspClient.connect(srv.port);
    try {
      // The reported defect, as gdb's `set $rax = ...` path would carry it.
      c.send("G" + "zz".repeat(G_LEN / 2));
      expect(await c.ack()).toBe("+");
      expect(await c.packet()).toBe("E01");
      // A bad checksum: "-", and gdb would resend.
      c.write("$g#00");
      expect(await c.ack()).toBe("-");
      // Cut short by the next "$": "-" for the cut one, then the next is answered.
      c.write("$m4010");
      c.send("?");
      expect(await c.ack()).toBe("-");
      expect(await c.ack()).toBe("+");
      expect(await c.packet()).toMatch(/^T05/);
      // A dangling escape, non-hex checksum digits.
      c.write(`$a}#${checksum("a}")}`);
      expect(await c.ack()).toBe("-");
      c.write("$g#zz");
      expect(await c.ack()).toBe("-");
      // Binary junk between packets is ignored.
      c.write(Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x7f, 0x23, 0x23]));
      expect(await c.request("qC")).toMatch(/^QC[0-9a-f]+$/);
      expect(notices.join("\n")).not.toMatch(/\n\s+at /);
    } finally {
      c.close();
    }
  });

  it("no-ack mode: a damaged packet is answered E01, in order", async () => {
    // The last client has hung up; the stub has said so before this one connects.
    while (!notices.some((n) => n.includes("hung up"))) await new Promise((r) => setTimeout(r, 20));
    const c = await RspClient.connect(srv.port);
    try {
      expect(await c.request("QStartNoAckMode")).toBe("OK");
      c.write("$g#00");
      c.send("G" + "qq".repeat(G_LEN / 2));
      c.send(`P${gdbRegNum("rbx").toString(16)}=${leHex(0x1234n, 8)}`);
      expect(await c.packet()).toBe("E01");
      expect(await c.packet()).toBe("E01");
      expect(await c.packet()).toBe("OK");
      expect(await c.request(`p${gdbRegNum("rbx").toString(16)}`)).toBe(leHex(0x1234n, 8));
      expect(await c.request("qRcmd," + hexOf("nosuch"))).toMatch(/^O/);
    } finally {
      c.close();
    }
  });
});
