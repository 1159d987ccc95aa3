// Issue 17: gdb's `bt` passes through the runtime's functions written in
// TypeScript. The ELF carries call frame information (src/gdb/cfi.ts): for
// assembly, from its decoded stack moves; for the host region, CFA = RSP+8
// at a host function's entry, and for a suspended host function (its
// continuation token) a CFA the stub serves from the bridge. Real gdb, from
// inside main's channel receive (mcall, on the way to park it), walks
// through chanrecv1's host frame to main.main, and on to runtime.goexit.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildMachine } from "../../src/node/boot.ts";
import { HOST_BASE } from "../../src/runtime/bridge.ts";
import { frameStates, hostFrameTableRead, HOSTFRAME_TABLE, TOKEN_BASE } from "../../src/gdb/cfi.ts";
import { writeElf } from "../../src/gdb/elf.ts";
import { startGdbServer } from "../../src/gdb/server.ts";
import { oracleAvailable } from "../helpers/oracles.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const HELLO = join(ROOT, "programs/hello.s");
const GDB = "/usr/bin/gdb";
const quiet = { stdout: (): void => {}, stderr: (): void => {} };

describe("frame rules for assembly", () => {
  const m = buildMachine([HELLO], quiet);
  afterAll(() => m.engine.close());

  it("main.main: the CFA follows Go's prologue and epilogue, and the morestack tail is at entry depth", () => {
    const sym = m.image.lookup("main.main")!;
    const rows = frameStates(sym);
    const at = (re: RegExp): { k: number | null; rbp: number | null } => rows.find((r) => re.test(r.text))!.state;
    const frame = sym.frame!; // locals + saved BP
    expect(rows[0]!.state).toEqual({ k: 8, rbp: null });
    expect(at(/^MOVQ BP, /)).toEqual({ k: 8 + frame, rbp: null }); // after SUBQ, before the save
    expect(at(/^LEAQ .*\(SP\), BP$/)).toEqual({ k: 8 + frame, rbp: 16 });
    expect(at(/^CALL runtime.*chanrecv1|^CALL 0x7f/)).toEqual({ k: 8 + frame, rbp: 16 });
    expect(at(/^RET$/)).toEqual({ k: 8, rbp: null });
    // CALL runtime.morestack_noctxt; JMP main.main: reached from the prologue's JLS.
    expect(rows.at(-2)!.state).toEqual({ k: 8, rbp: null });
  });

  it("mcall: known until it switches to g0's stack, then the caller is unknown (gdb stops there)", () => {
    const rows = frameStates(m.image.lookup("runtime.mcall")!);
    const i = rows.findIndex((r) => /^MOVQ 0x38\(R14\), SP$/.test(r.text));
    expect(i).toBeGreaterThan(0);
    expect(rows.slice(0, i + 1).every((r) => r.state.k === 8)).toBe(true);
    expect(rows[i + 1]!.state.k).toBeNull();
  });

  it("the stub's table gives the distance from SP to a host frame's CFA, and 2^63 for an address that is no return address", () => {
    const entry = (pc: number): bigint => HOSTFRAME_TABLE + BigInt(pc - HOST_BASE) * 8n;
    const offsets = new Map([[TOKEN_BASE + 3, 0x1018]]);
    const b = hostFrameTableRead(entry(TOKEN_BASE + 3), 16, (t) => offsets.get(t));
    expect(Buffer.from(b).readBigUInt64LE(0)).toBe(0x1018n);
    expect(Buffer.from(b).readBigUInt64LE(8)).toBe(1n << 63n);
    // An unaligned read sees the same bytes.
    expect([...hostFrameTableRead(entry(TOKEN_BASE + 3) + 1n, 2, (t) => offsets.get(t))]).toEqual([0x10, 0x00]);
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

describe.skipIf(!oracleAvailable("gdb", existsSync(GDB)))("real gdb's bt", () => {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-gdb-bt-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function session(cmds: string[]): Promise<string> {
    const m = buildMachine([HELLO], quiet);
    const elf = join(dir, "hello.elf");
    writeFileSync(elf, writeElf(m.image, { name: HELLO }));
    const srv = await startGdbServer(m, { port: 0, notice: () => {} });
    try {
      return await runGdb(["-ex", `file ${elf}`, "-ex", `target remote 127.0.0.1:${srv.port}`, ...cmds.flatMap((c) => ["-ex", c]), "-ex", "kill"]);
    } finally {
      srv.close();
      m.engine.close();
    }
  }

  it("from main's channel receive (mcall parking it) through chanrecv1's host frame to main.main, and past it to goexit", async () => {
    const out = await session([
      "break main.main", "continue", "break runtime.mcall", "continue",
      "echo ---bt\\n", "bt",
      "set backtrace past-main on", "echo ---past-main\\n", "bt",
      "monitor bt",
    ]);
    const bt = out.slice(out.indexOf("---bt"), out.indexOf("---past-main"));
    expect(bt).toMatch(/#0 +runtime\.mcall \(\) at .*asm_amd64\.s:\d+\n/);
    expect(bt).toMatch(/#1 +0x000000007f01[0-9a-f]{4} in runtime\.hostframe \(\)\n/);
    expect(bt).toMatch(/#2 +0x[0-9a-f]+ in main\.main \(\) at .*hello\.s:79\n/);
    expect(bt).not.toMatch(/#3/); // gdb stops at main.main, as for any Go program
    const past = out.slice(out.indexOf("---past-main"));
    expect(past).toMatch(/#3 +0x000000007f0[12][0-9a-f]{4} in runtime\.hostframe \(\)\n#4 +0x[0-9a-f]+ in runtime\.goexit \(\) at .*asm_amd64\.s:\d+\n/);
    expect(past).not.toMatch(/#5|Backtrace stopped/);
    // monitor bt names the host functions gdb can only call runtime.hostframe.
    expect(out).toMatch(/#0 runtime\.mcall {2}asm\/asm_amd64\.s:\d+\n#1 runtime\.chanrecv1 \(TypeScript runtime\)\n#2 main\.main\+0x[0-9a-f]+ {2}programs\/hello\.s:79\n#3 runtime\.main \(TypeScript runtime\)\n#4 runtime\.goexit\+0x1/);
  }, 60_000);

  it("at a host function's entry: its frame, then its caller; stepi runs it as one step", async () => {
    const out = await session(["break runtime.chanrecv1", "continue", "bt", "stepi", "echo ---after\\n", "bt"]);
    expect(out).toMatch(/#0 +0x000000007f00[0-9a-f]{4} in runtime\.chanrecv1 \(\)\n#1 +0x[0-9a-f]+ in main\.main \(\) at .*hello\.s:79\n/);
    const after = out.slice(out.indexOf("---after"));
    // chanrecv1 ran up to its gopark, which calls mcall: one step.
    expect(after).toMatch(/#0 +runtime\.mcall \(\) at .*\n#1 +0x000000007f01[0-9a-f]{4} in runtime\.hostframe \(\)\n#2 +0x[0-9a-f]+ in main\.main \(\)/);
  }, 60_000);
});
