// Issue 11 (and 17's listing): every `gmpemu asm` example of README.md,
// through the CLI as a user types it, against Go 1.19's own tools.
//
//   npx gmpemu asm programs/sample.s            the listing, line by line
//                                               against `go tool objdump` of
//                                               Go's object for the same file
//   npx gmpemu asm programs/sample.s --json     bytes and relocations against
//                                               `go tool asm -S`
//   npx gmpemu asm asm/asm_amd64.s -p runtime   the listing again, and -p
//   npx gmpemu asm x.s -I include/ -D DEBUG=1   include directories, defines
//   npx gmpemu asm programs/sample.s --only ·sum  one symbol
//   (npx gmpemu asm x.s --strict: test/cli/asm-options.test.ts)
//
// The listing is compared field by field: each TEXT symbol has the same
// instructions, each instruction the same source line, the same offset in
// its symbol and the same bytes (but the relocated fields, which objdump
// shows unlinked and we show linked), and the columns start where objdump's
// start (its text/tabwriter layout: file:line, address and bytes padded with
// tabs). The disassembly text is not compared: objdump prints Go's
// x86asm syntax (CMPQ 0x10(R14), SP), we print the assembler's own
// (CMPQ SP, 0x10(R14)), which test/cpu's round trip checks.
//
// Go's answers are kept in test/golden/asm-listing/ (objdump) and
// test/golden/asm/ (go tool asm -S, written by test/asm/oracle.test.ts);
// with Go installed they are recomputed and must equal the golden files
// (GMPEMU_UPDATE_GOLDEN=1 rewrites them), without it the golden files are the
// reference, and under GMPEMU_REQUIRE_ORACLES=1 a missing Go fails.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { BUILTIN_INCLUDE_DIR } from "../../src/node/nodefs.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const GOLDEN = join(ROOT, "test/golden/asm-listing");
const goBin = findGo();
const haveGo = oracleAvailable("go (go tool asm, go tool objdump)", goBin !== null);

function gmpemu(args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/gmpemu.mjs"), ...args], { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One instruction line of a listing. */
interface Row {
  where: string;
  addr: number;
  hex: string;
  /** Byte ranges [start, end) of relocated fields (objdump's [5:9]R_TLS_LE). */
  relocs: [number, number][];
  /** Where the address, bytes and text columns start, tabs expanded to 8. */
  cols: number[];
}

/** Start columns of each tab-separated field, tabs expanded at 8. */
function fieldStarts(line: string): number[] {
  const starts: number[] = [];
  let col = 0;
  let prevTab = true;
  for (const ch of line) {
    if (ch === "\t") { col = (Math.floor(col / 8) + 1) * 8; prevTab = true; continue; }
    if (prevTab && col > 0) starts.push(col);
    prevTab = false;
    col++;
  }
  return starts;
}

/** TEXT symbols of a listing (objdump's or ours): name → instruction rows. */
function parseListing(text: string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  let cur: Row[] | undefined;
  for (const line of text.split("\n")) {
    const head = /^TEXT (\S+)\(SB\) /.exec(line);
    if (head) { out.set(head[1]!, (cur = [])); continue; }
    // Our data symbols (DATA, RODATA, BSS) are not TEXT: their rows are skipped.
    if (/^\S/.test(line)) { cur = undefined; continue; }
    if (!cur || !/^ {2}\S/.test(line)) continue;
    const f = line.trim().split(/\t+/);
    const relocs = f.slice(4).map((r) => /^\[(\d+):(\d+)\]/.exec(r)).filter((m) => m !== null).map((m) => [Number(m[1]), Number(m[2])] as [number, number]);
    cur.push({ where: f[0]!, addr: parseInt(f[1]!, 16), hex: f[2]!, relocs, cols: fieldStarts(line).slice(0, 3) });
  }
  return out;
}

/** Go's objdump of Go's object for `file`: live with Go installed (checked against the golden file), else the golden file. */
function objdump(file: string, goldenName: string, asmArgs: string[]): string {
  const gp = join(GOLDEN, goldenName);
  if (!haveGo) {
    expect(existsSync(gp), `no golden file ${gp}`).toBe(true);
    return readFileSync(gp, "utf8");
  }
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-objdump-"));
  // -trimpath: the object records file names, so their length moves objdump's
  // addresses; without it the golden file would hold the checkout's place.
  execFileSync(goBin!, ["tool", "asm", ...asmArgs, "-trimpath", ROOT, "-I", BUILTIN_INCLUDE_DIR, "-D", "GOOS_linux", "-D", "GOARCH_amd64", "-o", join(dir, "x.o"), file], { cwd: ROOT });
  const live = execFileSync(goBin!, ["tool", "objdump", join(dir, "x.o")], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (process.env.GMPEMU_UPDATE_GOLDEN === "1" || !existsSync(gp)) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(gp, live);
  } else {
    expect(readFileSync(gp, "utf8"), `${gp} is stale: rerun with GMPEMU_UPDATE_GOLDEN=1`).toBe(live);
  }
  return live;
}

/** Our listing against objdump's, symbol by symbol, row by row. */
function compareListings(ours: string, theirs: string): void {
  const a = parseListing(ours), b = parseListing(theirs);
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [name, want] of b) {
    const got = a.get(name)!;
    expect(got.map((r) => r.where), name).toEqual(want.map((r) => r.where));
    const mask = (hex: string, relocs: [number, number][]): string =>
      [...hex.matchAll(/../g)].map((m, i) => (relocs.some(([s, e]) => i >= s && i < e) ? "__" : m[0])).join("");
    for (let i = 0; i < want.length; i++) {
      const g = got[i]!, w = want[i]!;
      const at = `${name} row ${i} (${w.where})`;
      expect(g.addr - got[0]!.addr, at).toBe(w.addr - want[0]!.addr);
      expect(mask(g.hex, w.relocs), at).toBe(mask(w.hex, w.relocs));
      expect(g.cols, `${at}: columns`).toEqual(w.cols);
    }
    expect(want.length, name).toBeGreaterThan(0);
  }
}

describe("README: gmpemu asm", () => {
  it("npx gmpemu asm programs/sample.s: the listing is objdump's, row by row and column by column", () => {
    const r = gmpemu(["asm", "programs/sample.s"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    compareListings(r.stdout, objdump("programs/sample.s", "sample.objdump.txt", ["-p", "main"]));
    // And the data symbol, which objdump does not list.
    expect(r.stdout).toMatch(/^RODATA main\.words\(SB\) size=24 programs\/sample\.s$/m);
  });

  it("npx gmpemu asm asm/asm_amd64.s -p runtime: the listing, with the runtime's names", () => {
    const r = gmpemu(["asm", "asm/asm_amd64.s", "-p", "runtime"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    compareListings(r.stdout, objdump("asm/asm_amd64.s", "asm_amd64.objdump.txt", ["-p", "runtime", "-compiling-runtime"]));
    expect(r.stdout).toMatch(/^TEXT runtime\.gogo\(SB\) asm\/asm_amd64\.s$/m);
    // -p is what makes ·gogo runtime.gogo.
    const main = gmpemu(["asm", "asm/asm_amd64.s"]);
    expect(main.status).toBe(1);
    expect(main.stderr).toMatch(/ABI selector only permitted when compiling runtime \(-p runtime\)/);
  });

  it("npx gmpemu asm programs/sample.s --json: every symbol's bytes and relocations are go tool asm's", () => {
    const r = gmpemu(["asm", "programs/sample.s", "--json"]);
    expect(r.status).toBe(0);
    const ours = (JSON.parse(r.stdout) as { symbols: { name: string; kind: string; size: number; bytes: string; relocs: { offset: number; size: number; type: string; target: string; add: number }[] }[] }).symbols;
    // Go's answer: test/golden/asm/, which test/asm/oracle.test.ts keeps equal to go tool asm -S.
    const golden = (JSON.parse(readFileSync(join(ROOT, "test/golden/asm/programs__sample.s.json"), "utf8")) as { symbols: { name: string; kind: string; size: number; bytes: string; relocs: string[] }[] }).symbols;
    const local = (n: string): string => n.replace(/<\d+>$/, "<>");
    expect(ours.map((s) => local(s.name)).sort()).toEqual(golden.map((s) => s.name).sort());
    for (const g of golden) {
      const o = ours.find((s) => local(s.name) === g.name)!;
      expect({ kind: o.kind, size: o.size, bytes: o.bytes, relocs: o.relocs.map((x) => `${x.offset}+${x.size} ${x.type} ${local(x.target)}+${x.add}`) }, g.name)
        .toEqual({ kind: g.kind, size: g.size, bytes: g.bytes, relocs: g.relocs });
    }
  });

  it("npx gmpemu asm x.s -I include/ -D DEBUG=1: the include directory and the define both count", () => {
    const dir = mkdtempSync(join(tmpdir(), "gmpemu-readme-"));
    mkdirSync(join(dir, "include"));
    writeFileSync(join(dir, "include", "defs.h"), "#define FRAME 24\n");
    writeFileSync(join(dir, "x.s"), [
      '#include "defs.h"',
      "TEXT ·f(SB), $FRAME-0",
      "#ifdef DEBUG",
      "\tMOVQ\t$DEBUG, AX",
      "#else",
      "\tMOVQ\t$7, AX",
      "#endif",
      "\tRET",
      "",
    ].join("\n"));
    const bytesOf = (args: string[]): string => {
      const r = gmpemu(["asm", "x.s", "--json", ...args], dir);
      expect(r.stderr).toBe("");
      return (JSON.parse(r.stdout) as { symbols: { bytes: string }[] }).symbols[0]!.bytes;
    };
    const debug = bytesOf(["-I", "include/", "-D", "DEBUG=1"]);
    const plain = bytesOf(["-I", "include/"]);
    // MOVQ $1, AX with DEBUG=1, MOVQ $7, AX without; the 24-byte frame from include/defs.h either way.
    expect(debug).toContain("48c7c001000000");
    expect(plain).toContain("48c7c007000000");
    expect(debug).toContain("4883ec20"); // SUBQ $32, SP: FRAME 24 + the saved BP
    const missing = gmpemu(["asm", "x.s", "-D", "DEBUG=1"], dir);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^x\.s:1:10: #include file not found: "defs\.h"\n/);
    if (haveGo) {
      for (const [args, ours] of [[["-D", "DEBUG=1"], debug], [[], plain]] as const) {
        const out = execFileSync(goBin!, ["tool", "asm", "-S", "-p", "main", "-I", "include/", ...args, "-o", join(dir, "x.o"), "x.s"], { cwd: dir, encoding: "utf8" });
        const go = [...out.matchAll(/^\t0x[0-9a-f]{4} ((?:[0-9a-f]{2} )+)/gm)].map((m) => m[1]!.replace(/ /g, "")).join("");
        expect(ours).toBe(go);
      }
    }
  });

  it("npx gmpemu asm programs/sample.s --only ·sum: that symbol alone (x.s --strict is in asm-options.test.ts)", () => {
    const r = gmpemu(["asm", "programs/sample.s", "--only", "·sum"]);
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n").filter((l) => /^\S/.test(l))).toEqual(["TEXT main.sum(SB) programs/sample.s"]);
    const all = parseListing(gmpemu(["asm", "programs/sample.s"]).stdout);
    expect(parseListing(r.stdout).get("main.sum")).toEqual(all.get("main.sum"));
  });

  it("a long file name widens the first column instead of running into the address (objdump's layout)", () => {
    const dir = mkdtempSync(join(tmpdir(), "gmpemu-longname-"));
    const name = "imm_out_of_range_and_then_some.s";
    const body = Array.from({ length: 45 }, () => "\tNOP").join("\n");
    writeFileSync(join(dir, name), `TEXT ·f(SB), 4, $0\n${body}\n\tMOVQ\t$1, AX\n\tRET\n`);
    const r = gmpemu(["asm", name], dir);
    expect(r.status).toBe(0);
    const rows = r.stdout.split("\n").filter((l) => l.startsWith("  "));
    expect(rows[0]).toMatch(new RegExp(`^  ${name.replace(/\./g, "\\.")}:47\\t+0x401000\\t+48c7c001000000\\t+MOVQ \\$0x1, AX$`));
    // Every row's columns start at the same places, and past the widest file:line.
    const cols = rows.map(fieldStarts);
    for (const c of cols) expect(c.slice(0, 3)).toEqual(cols[0]!.slice(0, 3));
    expect(cols[0]![0]).toBeGreaterThan(`  ${name}:47`.length);
    if (haveGo) {
      execFileSync(goBin!, ["tool", "asm", "-p", "main", "-o", join(dir, "x.o"), name], { cwd: dir });
      compareListings(r.stdout, execFileSync(goBin!, ["tool", "objdump", join(dir, "x.o")], { encoding: "utf8" }));
    }
    void basename;
  });
});
