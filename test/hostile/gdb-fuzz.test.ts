// Issue 10: the stub's packet parser and handlers under seeded fuzzing.
// Thousands of packets — every command the stub knows, with their fields
// mutated (non-hex digits, wrong lengths, huge numbers, truncation, binary
// bytes) — and random byte streams: every packet gets a reply (never an
// exception), the parser never holds more than PACKET_SIZE bytes, and the
// session still works at the end. Deterministic: the seeds are fixed.
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMachine, type Machine } from "../../src/node/boot.ts";
import { GDB_REGS, PACKET_SIZE, PacketParser, frame } from "../../src/gdb/rsp.ts";
import { GdbStub, startGdbServer } from "../../src/gdb/server.ts";
import { RspClient, hexOf, prng } from "./gdb-client.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const HELLO = join(ROOT, "programs/hello.s");
const quiet = { stdout: (): void => {}, stderr: (): void => {} };
const G_LEN = GDB_REGS.reduce((n, r) => n + r.bits / 4, 0);

/** Packets built from the stub's commands, then mutated. No continue (it would run the program away). */
function packetGen(rand: () => number, textAddr: number, tid: number): () => string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const hex = (n: number): string => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(rand() * 16)]).join("");
  const num = (): string => pick([
    () => Math.floor(rand() * 64).toString(16),
    () => (textAddr + Math.floor(rand() * 0x2000)).toString(16),
    () => hex(1 + Math.floor(rand() * 20)),
    () => "f".repeat(16), () => "0", () => "-1", () => "", () => "zz", () => tid.toString(16),
  ])();
  const junk = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(Math.floor(rand() * 256))).join("");
  const templates: (() => string)[] = [
    () => "g", () => "G" + hex(G_LEN), () => "G" + hex(Math.floor(rand() * 2 * G_LEN)),
    () => `p${num()}`, () => `P${num()}=${hex(pick([2, 8, 16, 32, 20, 0]))}`,
    () => `m${num()},${num()}`, () => `M${num()},${num()}:${hex(pick([0, 2, 8, 16, 7]))}`,
    () => `${pick(["Z", "z"])}${Math.floor(rand() * 10)},${num()},${num()}`,
    () => `H${pick(["g", "c", "x"])}${num()}`, () => `T${num()}`, () => `qThreadExtraInfo,${num()}`,
    () => `qXfer:features:read:${pick(["target.xml", "x.xml", ""])}:${num()},${num()}`,
    () => `qRcmd,${hexOf(pick(["goroutines", "g 1", "g 99", "bt", "help", "g", "g x", junk(8)]))}`,
    () => `qRcmd,${junk(6)}`, () => "qfThreadInfo", () => "qsThreadInfo", () => "?", () => "qC", () => "qAttached",
    () => `qSupported:${junk(10)}`, () => `s${pick(["", num()])}`, () => `S${hex(2)}`, () => `vCont;s:${num()}`,
    () => `vCont;${junk(4)}`, () => `C${num()}`, () => "vCont?", () => junk(1 + Math.floor(rand() * 40)),
  ];
  return () => {
    let p = pick(templates)();
    // Mutations: cut, flip a byte, insert junk, double.
    const r = rand();
    if (r < 0.1) p = p.slice(0, Math.floor(rand() * p.length));
    else if (r < 0.2 && p.length) { const i = Math.floor(rand() * p.length); p = p.slice(0, i) + junk(1) + p.slice(i + 1); }
    else if (r < 0.25) p = p + junk(3);
    else if (r < 0.28) p = p.repeat(2);
    return p;
  };
}

describe("the packet handlers under fuzzing", () => {
  let m: Machine;
  beforeAll(() => { m = buildMachine([HELLO], quiet); });
  afterAll(() => m.engine.close());

  it("answers 5,000 mutated packets, each with a reply, and still works", async () => {
    const notices: string[] = [];
    const stub = new GdbStub(m, () => {}, (l) => notices.push(l));
    const gen = packetGen(prng(10), m.image.textStart, m.kernel.threads[0]!.tid);
    const counts = { ok: 0, error: 0, empty: 0, data: 0, resumes: 0 };
    for (let i = 0; i < 5000; i++) {
      const p = gen();
      // D, k and vKill end a session; the session is the server's business, not the handler's.
      if (/^(D|k|vKill)/.test(p)) continue;
      const r = stub.handle(p);
      // A resume that got through the mutations (C05, vCont;c) runs the machine: to a breakpoint the fuzz set, or to the end.
      const reply = r instanceof Promise ? await r : r;
      expect(typeof reply, p).toBe("string");
      const s = reply ?? "";
      if (r instanceof Promise) counts.resumes++;
      else if (s === "OK") counts.ok++;
      else if (/^E[0-9a-f]{2}$/i.test(s)) counts.error++;
      else if (s === "") counts.empty++;
      else counts.data++;
      stub.takeOutput();
      stub.takeEnding();
    }
    // Every kind of answer happened, and no handler failed inside.
    expect(counts.error).toBeGreaterThan(500);
    expect(counts.ok).toBeGreaterThan(100);
    expect(counts.data).toBeGreaterThan(500);
    expect(notices.filter((n) => n.includes("error on packet"))).toEqual([]);
    console.log(`gdb handler fuzz: 5000 packets: ${counts.error} E replies, ${counts.empty} empty, ${counts.ok} OK, ${counts.data} with data, ${counts.resumes} resumes; 0 exceptions`);
    // Still a stub: the registers read whole, and the program runs (to its end, or to a fault the fuzz wrote into it).
    expect(stub.handle("g")).toHaveLength(G_LEN);
    for (const a of [...stub.breakpoints]) stub.handle(`z0,${a.toString(16)},1`);
    for (const a of [...stub.watchpoints.keys()]) stub.handle(`z2,${a.toString(16)},1`);
  });

  it("the parser: framed packets survive any chunking and junk between them", () => {
    const rand = prng(20);
    const gen = packetGen(rand, 0x401000, 1000);
    for (let round = 0; round < 500; round++) {
      const packets = Array.from({ length: 1 + Math.floor(rand() * 8) }, gen).map((p) => p.slice(0, PACKET_SIZE / 2));
      // Junk between packets: any byte but the ones that mean something outside a packet.
      const junk = (): string => Array.from({ length: Math.floor(rand() * 6) }, () => {
        let c: number;
        do c = Math.floor(rand() * 256); while (c === 0x24 || c === 0x2b || c === 0x2d || c === 0x03);
        return String.fromCharCode(c);
      }).join("");
      const stream = Buffer.from(packets.map((p) => junk() + frame(p)).join("") + junk(), "latin1");
      const parser = new PacketParser();
      const got: string[] = [];
      for (let at = 0; at < stream.length;) {
        const n = 1 + Math.floor(rand() * 64);
        for (const inc of parser.feed(stream.subarray(at, at + n))) {
          expect(inc.kind).toBe("packet");
          if (inc.kind === "packet") got.push(inc.data);
        }
        at += n;
      }
      expect(got).toEqual(packets);
    }
  });

  it("the parser: random bytes never throw, and it holds at most one packet", () => {
    const rand = prng(30);
    const parser = new PacketParser();
    const kinds = new Map<string, number>();
    for (let round = 0; round < 2000; round++) {
      const b = Buffer.alloc(Math.floor(rand() * 3000));
      for (let i = 0; i < b.length; i++) b[i] = rand() < 0.05 ? [0x24, 0x23, 0x7d][Math.floor(rand() * 3)]! : Math.floor(rand() * 256);
      for (const inc of parser.feed(b)) {
        kinds.set(inc.kind, (kinds.get(inc.kind) ?? 0) + 1);
        if (inc.kind === "packet" || inc.kind === "bad") expect(inc.data.length).toBeLessThanOrEqual(PACKET_SIZE);
      }
      expect(parser.buffered).toBeLessThanOrEqual(PACKET_SIZE);
    }
    for (const k of ["packet", "bad", "ack", "nack", "interrupt"]) expect(kinds.get(k), k).toBeGreaterThan(0);
  });
});

describe("the server under fuzzed traffic", () => {
  it("answers `?` after each of 200 random streams, acks on and off", async () => {
    const m = buildMachine([HELLO], quiet);
    const notices: string[] = [];
    const srv = await startGdbServer(m, { port: 0, notice: (l) => notices.push(l) });
    const rand = prng(40);
    const gen = packetGen(rand, m.image.textStart, m.kernel.threads[0]!.tid);
    const c = await RspClient.connect(srv.port);
    try {
      for (let round = 0; round < 200; round++) {
        if (round === 100) expect(await c.request("QStartNoAckMode")).toBe("OK");
        const parts: (string | Buffer)[] = [];
        for (let i = 0; i < 10; i++) {
          const p = gen();
          if (/^(D|k|vKill|s|S|vCont|C)/.test(p)) continue;
          const r = rand();
          parts.push(r < 0.7 ? frame(p) : r < 0.85 ? `$${p}#00` : Buffer.from(Array.from({ length: 20 }, () => Math.floor(rand() * 256)).filter((x) => x !== 0x03)));
        }
        for (const x of parts) c.write(x);
        // A marker packet: everything before it has been answered when its reply comes.
        c.send("qRcmd," + hexOf(`g ${900000 + round}`));
        for (;;) {
          const r = await c.packet();
          if (r.startsWith("O") && Buffer.from(r.slice(1), "hex").toString().includes(`no goroutine ${900000 + round}`)) break;
        }
        expect(await c.packet()).toBe("OK");
        expect(await c.request("?")).toMatch(/^T05thread:[0-9a-f]+;$/);
      }
      expect(notices.filter((n) => n.includes("error on packet"))).toEqual([]);
    } finally {
      c.close();
      srv.close();
      m.engine.close();
    }
  });
});
