// The GDB remote stub: packet framing and the target description on their
// own, the stub's answers to packets on a machine, and real gdb (batch mode)
// against the stub: threads, a breakpoint at runtime.gogo, registers, stepi
// and memory, compared with the same machine stepped directly.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildMachine, type Machine } from "../../src/node/boot.ts";
import { REG_RIP } from "../../src/engine/engine.ts";
import {
  GDB_REGS, PacketParser, checksum, frame, gdbRegNum, leHex, targetXml, xferSlice,
} from "../../src/gdb/rsp.ts";
import { GdbStub, startGdbServer } from "../../src/gdb/server.ts";
import { writeElf } from "../../src/gdb/elf.ts";
import { oracleAvailable } from "../helpers/oracles.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const HELLO = join(ROOT, "programs/hello.s");
const GDB = "/usr/bin/gdb";
const quiet = { stdout: (): void => {}, stderr: (): void => {} };

describe("RSP framing", () => {
  it("checksums and frames packets", () => {
    expect(checksum("")).toBe("00");
    expect(checksum("OK")).toBe("9a");
    expect(frame("OK")).toBe("$OK#9a");
    expect(frame("qSupported")).toBe(`$qSupported#${checksum("qSupported")}`);
    // Reserved characters are escaped, and the checksum covers the escaped bytes.
    expect(frame("a#b")).toBe(`$a}\x03b#${checksum("a}\x03b")}`);
  });

  it("splits a stream into packets, acks and interrupts", () => {
    const p = new PacketParser();
    expect(p.feed("+$g#67")).toEqual([{ kind: "ack" }, { kind: "packet", data: "g" }]);
    // A packet split across chunks.
    expect(p.feed("$m4010e0")).toEqual([]);
    expect(p.feed(",8#")).toEqual([]);
    const cs = checksum("m4010e0,8");
    expect(p.feed(cs + "\x03-")).toEqual([{ kind: "packet", data: "m4010e0,8" }, { kind: "interrupt" }, { kind: "nack" }]);
    expect(p.feed("$g#00")).toEqual([{ kind: "bad", data: "g" }]);
    // Escapes are undone.
    expect(p.feed(`$X1,1:}\x03#${checksum("X1,1:}\x03")}`)).toEqual([{ kind: "packet", data: "X1,1:#" }]);
  });

  it("encodes registers little-endian and slices documents for qXfer", () => {
    expect(leHex(0x401000n, 8)).toBe("0010400000000000");
    expect(leHex(-1n, 4)).toBe("ffffffff");
    expect(xferSlice("abcdef", 0, 4)).toBe("mabcd");
    expect(xferSlice("abcdef", 4, 4)).toBe("lef");
  });
});

describe("target description", () => {
  const xml = targetXml();
  it("has the features gdb expects for amd64 linux", () => {
    expect(xml).toContain("<architecture>i386:x86-64</architecture>");
    for (const f of ["org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse", "org.gnu.gdb.i386.linux", "org.gnu.gdb.i386.segments"]) {
      expect(xml).toContain(`<feature name="${f}">`);
    }
  });
  it("lists registers in gdb's amd64 order", () => {
    const names = [...xml.matchAll(/<reg name="([^"]+)"/g)].map((m) => m[1]);
    expect(names.slice(0, 24)).toEqual([
      "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
      "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
      "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
    ]);
    expect(names).toContain("st7");
    expect(names).toContain("xmm15");
    expect(names).toContain("mxcsr");
    expect(names).toContain("orig_rax");
    expect(names.slice(-2)).toEqual(["fs_base", "gs_base"]);
    expect(names).toEqual(GDB_REGS.map((r) => r.name));
  });
});

describe("GdbStub packets", () => {
  it("answers register, memory, thread and breakpoint packets", () => {
    const m = buildMachine([HELLO], quiet);
    try {
      const stub = new GdbStub(m);
      const sync = (p: string): string => {
        const r = stub.handle(p);
        if (typeof r !== "string") throw new Error(`${p}: not a synchronous reply`);
        return r;
      };
      expect(sync("qSupported:swbreak+")).toContain("qXfer:features:read+");
      const t0 = m.kernel.threads[0]!;
      expect(sync("qfThreadInfo")).toBe(`m${t0.tid.toString(16)}`);
      expect(sync("qC")).toBe(`QC${t0.tid.toString(16)}`);
      expect(sync("?")).toBe(`T05thread:${t0.tid.toString(16)};`);
      const entry = m.image.addrOf("runtime.rt0_go")!;
      expect(sync(`p${gdbRegNum("rip").toString(16)}`)).toBe(leHex(BigInt(entry), 8));
      // g: every register, rsp at gdb's slot 7.
      const g = sync("g");
      expect(g.length).toBe(GDB_REGS.reduce((n, r) => n + r.bits / 4, 0));
      expect(g.slice(7 * 16, 8 * 16)).toBe(leHex(t0.regs[4]!, 8));
      // Writing rbx (gdb 1) lands in the engine's BX (3) of the saved thread.
      expect(sync(`P1=${leHex(0x1234n, 8)}`)).toBe("OK");
      expect(t0.regs[3]).toBe(0x1234n);
      // Memory: the code at the entry, and E14 where nothing is mapped.
      const bytes = m.engine.read(entry, 4);
      expect(sync(`m${entry.toString(16)},4`)).toBe([...bytes].map((b) => b.toString(16).padStart(2, "0")).join(""));
      expect(sync("m10,8")).toBe("E14");
      expect(sync("M10,1:00")).toBe("E14");
      expect(sync(`Z0,${entry.toString(16)},1`)).toBe("OK");
      expect(stub.breakpoints.has(entry)).toBe(true);
      expect(sync(`z0,${entry.toString(16)},1`)).toBe("OK");
      expect(stub.breakpoints.size).toBe(0);
      // A step runs rt0_go's first instruction.
      expect(sync("s")).toBe(`T05thread:${t0.tid.toString(16)};`);
      expect(Number(m.engine.getReg(REG_RIP))).toBeGreaterThan(entry);
      expect(sync(`T${t0.tid.toString(16)}`)).toBe("OK");
      expect(sync("T1")).toBe("E01");
      expect(sync("vMustReplyEmpty")).toBe("");
    } finally {
      m.engine.close();
    }
  });

  it("continues to a breakpoint and names the M and goroutine", async () => {
    const m = buildMachine([HELLO], quiet);
    try {
      const stub = new GdbStub(m);
      const gogo = m.image.addrOf("runtime.gogo")!;
      stub.handle(`Z0,${gogo.toString(16)},1`);
      const r = await stub.handle("vCont;c");
      expect(r).toMatch(/^T05thread:[0-9a-f]+;swbreak:;$/);
      expect(Number(m.engine.getReg(REG_RIP))).toBe(gogo);
      const t = m.kernel.cur!;
      const info = Buffer.from(String(stub.handle(`qThreadExtraInfo,${t.tid.toString(16)}`)), "hex").toString();
      expect(info).toMatch(/^M0 running G1$/);
      // Without breakpoints the program runs to its end.
      stub.handle(`z0,${gogo.toString(16)},1`);
      expect(await stub.handle("c")).toBe("W00");
    } finally {
      m.engine.close();
    }
  });
});

describe("GdbStub watchpoints", () => {
  it("stops when m0.curg is written (Z2)", async () => {
    const m = buildMachine([HELLO], quiet);
    try {
      const stub = new GdbStub(m);
      const curg = m.image.addrOf("runtime.m0")! + 192; // m_curg
      expect(stub.handle(`Z2,${curg.toString(16)},8`)).toBe("OK");
      expect(await stub.handle("c")).toMatch(new RegExp(`^T05thread:[0-9a-f]+;watch:${curg.toString(16)};$`));
      expect(m.engine.readU64(curg)).not.toBe(0n);
      expect(stub.handle(`z2,${curg.toString(16)},8`)).toBe("OK");
    } finally {
      m.engine.close();
    }
  });
});

/** The machine stepped as the stub does: to the first gogo, then one more instruction. */
function expectedAtGogo(): { gogo: number; rsp0: number; rip1: number; words: [bigint, bigint]; tids: number[] } {
  const m: Machine = buildMachine([HELLO], quiet);
  try {
    const gogo = m.image.addrOf("runtime.gogo")!;
    let found = false;
    for (let i = 0; i < 200_000 && !found; i++) {
      m.kernel.stepOnce();
      found = Number(m.engine.getReg(REG_RIP)) === gogo;
    }
    expect(found).toBe(true);
    const rsp0 = Number(m.engine.getReg(4));
    const tids = m.kernel.threads.map((t) => t.tid);
    m.kernel.stepOnce();
    const rip1 = Number(m.engine.getReg(REG_RIP));
    const sp = Number(m.engine.getReg(4));
    return { gogo, rsp0, rip1, words: [m.engine.readU64(sp), m.engine.readU64(sp + 8)], tids };
  } finally {
    m.engine.close();
  }
}

function runGdb(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile(GDB, args, { timeout: 20_000, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err && !stdout) rej(new Error(`${err.message}\n${stderr}`));
      else res(stdout + stderr);
    });
  });
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const hex16 = (n: bigint): string => `0x${n.toString(16).padStart(16, "0")}`;

// Needs /usr/bin/gdb: skipped without it, a failure under GMPEMU_REQUIRE_ORACLES=1 (oracleAvailable).
describe.skipIf(!oracleAvailable("gdb", existsSync(GDB)))("real gdb against the stub", () => {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-gdb-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists threads, stops at runtime.gogo, steps and reads memory", async () => {
    const want = expectedAtGogo();
    const m = buildMachine([HELLO], quiet);
    const elf = join(dir, "hello.elf");
    writeFileSync(elf, writeElf(m.image, { name: HELLO }));
    const srv = await startGdbServer(m, { port: 0 });
    try {
      const out = await runGdb([
        "-batch", "-nx",
        "-ex", "set architecture i386:x86-64",
        "-ex", `file ${elf}`,
        "-ex", `target remote 127.0.0.1:${srv.port}`,
        "-ex", "info threads",
        "-ex", "break runtime.gogo",
        "-ex", "continue",
        "-ex", "info registers rip rsp",
        "-ex", "stepi",
        "-ex", "info registers rip",
        "-ex", "x/2gx $rsp",
        "-ex", "detach",
      ]);
      expect(await srv.done).toBe("detach");
      // info threads: the kernel's first thread (an M), by its tid.
      expect(out).toMatch(new RegExp(`\\* 1 +Thread ${want.tids[0]} `));
      expect(out).toContain(`Breakpoint 1 at ${hex(want.gogo)}`);
      expect(out).toMatch(/Breakpoint 1, runtime\.gogo \(\) at .*asm_amd64\.s:\d+/);
      expect(out).toMatch(new RegExp(`rip +${hex(want.gogo)} +${hex(want.gogo)} <runtime\\.gogo>`));
      expect(out).toMatch(new RegExp(`rsp +${hex(want.rsp0)} `));
      expect(want.rip1).toBeGreaterThan(want.gogo);
      expect(out).toMatch(new RegExp(`rip +${hex(want.rip1)} +${hex(want.rip1)} <runtime\\.gogo\\+${want.rip1 - want.gogo}>`));
      expect(out).toMatch(new RegExp(`:\\s+${hex16(want.words[0])}\\s+${hex16(want.words[1])}`));
      expect(out).toContain("[Inferior 1 (Remote target) detached]");
    } finally {
      srv.close();
      m.engine.close();
    }
  }, 30_000);

  it("runs the CLI stub to the program's end", async () => {
    const elf = join(dir, "cli.elf");
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [join(ROOT, "bin/gmpemu.mjs"), "gdb", HELLO, "--port", "0", "--elf", elf], { stdio: ["ignore", "pipe", "pipe"] });
    // The program's output (println: fd 2) and the stub's messages.
    let output = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8");
    try {
      const port = await new Promise<number>((res, rej) => {
        child.stderr.on("data", (d: string) => {
          output += d;
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
          if (m) res(Number(m[1]));
        });
        child.on("exit", () => rej(new Error(`stub exited: ${output}`)));
        setTimeout(() => rej(new Error(`no stub: ${output}`)), 15_000);
      });
      const out = await runGdb([
        "-batch", "-nx", "-ex", "set architecture i386:x86-64", "-ex", `file ${elf}`,
        "-ex", `target remote 127.0.0.1:${port}`, "-ex", "break main.main", "-ex", "continue",
        "-ex", "info threads", "-ex", "delete", "-ex", "continue",
      ]);
      expect(out).toMatch(/Breakpoint 1, main\.main \(\) at .*hello\.s:\d+/);
      expect(out).toMatch(/Thread \d+ \(M0 running G1\)/);
      expect(out).toContain("exited normally");
      const code = await new Promise<number | null>((res) => {
        if (child.exitCode !== null) res(child.exitCode);
        else child.on("exit", (c) => res(c));
      });
      expect(code).toBe(0);
      expect(output).toContain("all 3 workers done");
      expect(output).toContain("gdb session ended");
    } finally {
      if (child.exitCode === null) child.kill();
    }
  }, 30_000);
});
