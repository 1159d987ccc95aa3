// The code a Go binary declares to the engine (src/golang/load.ts,
// "declared code"): what Go's linker puts in .text, which the declaration
// relies on, checked on a real binary against `go tool objdump`; every
// declared piece starting on an instruction; and on unicorn, exits only at
// real instructions the interpreter must run — shown failing when the
// loader declares nothing (thousands of exits, some inside instructions).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineAvailable } from "../../src/engine/index.ts";
import { UnicornEngine } from "../../src/engine/unicorn.ts";
import { loadProgram } from "../../src/golang/boot.ts";
import type { LoadedProgram } from "../../src/golang/load.ts";
import { built, runtimeAsmFiles } from "../../src/node/boot.ts";
import { nodeSource } from "../../src/node/nodefs.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { PROGRAMS } from "./goldens.ts";

const go = findGo();
const haveGo = oracleAvailable("go (compiling programs/*.go)", go !== null);
const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));
const src = { runtimeFiles: runtimeAsmFiles(), source: nodeSource };
const HOG = join(PROGRAMS, "hog.go");

let dir: string | undefined;
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

interface Loaded {
  lp: LoadedProgram;
  /** Instruction starts as objdump lists them. */
  starts: Set<number>;
  /**
   * Entries of the functions where objdump's listing is trustworthy: Go's
   * disassembler lacks most of AVX2 and loses the instruction boundaries
   * after one (indexbytebody), so functions with a VEX prefix or bytes it
   * shows as "?" are left out.
   */
  trusted: Set<number>;
  text: { addr: number; end: number };
}
let cached: Loaded | undefined;

/** hog.go loaded, and the start of every instruction in its .text as `go tool objdump` lists them. */
function load(): Loaded {
  if (cached) return cached;
  const b = built([HOG]);
  const lp = loadProgram(b.binary, b.path, src);
  dir ??= mkdtempSync(join(tmpdir(), "gmpemu-declared-"));
  const bin = join(dir, "hog");
  writeFileSync(bin, b.binary);
  const starts = new Set<number>();
  const untrusted = new Set<number>();
  for (const line of execFileSync(go!, ["tool", "objdump", bin], { encoding: "utf8", maxBuffer: 1 << 28 }).split("\n")) {
    const m = /^\s+\S+:\d+\s+0x([0-9a-f]+)\s+([0-9a-f]+)\s+(\S+)/.exec(line);
    if (!m) continue;
    const pc = parseInt(m[1]!, 16);
    starts.add(pc);
    if (m[3] === "?" || /^c[45]/.test(m[2]!)) untrusted.add(lp.pcln.findFunc(pc)?.entry ?? -1);
  }
  const trusted = new Set(lp.pcln.funcs.map((f) => f.entry).filter((a) => !untrusted.has(a)));
  const t = lp.elf.section(".text")!;
  cached = { lp, starts, trusted, text: { addr: t.addr, end: t.addr + t.size } };
  return cached;
}

describe.skipIf(!haveGo)("the code a Go binary declares", () => {
  it("Go's .text is the pclntab's functions end to end, with only INT3 padding after each one's last instruction", () => {
    const { lp, starts, text } = load();
    const fs = lp.pcln.funcs;
    expect(fs[0]!.entry).toBe(text.addr);
    expect(fs[fs.length - 1]!.end).toBe(text.end);
    const seg = lp.elf.segments.find((s) => s.type === 1 && (s.flags & 1) !== 0)!;
    const bytes = lp.elf.segmentBytes(seg);
    let padding = 0;
    for (let i = 0; i < fs.length; i++) {
      const f = fs[i]!;
      if (i > 0) expect(f.entry, f.name).toBe(fs[i - 1]!.end);
      // The last instruction objdump lists in f, and what follows it.
      let last = f.entry;
      for (let pc = f.entry; pc < f.end; pc++) if (starts.has(pc)) last = pc;
      let codeEnd = f.entry;
      for (const off of [f.pcsp, f.pcfile, f.pcln]) for (const r of lp.pcln.runs(f, off)) codeEnd = Math.max(codeEnd, r.end);
      expect(codeEnd, f.name).toBeGreaterThan(last);
      for (let pc = codeEnd; pc < f.end; pc++) {
        expect(bytes[pc - seg.vaddr], `${f.name}+0x${(pc - f.entry).toString(16)}`).toBe(0xcc);
        padding++;
      }
    }
    expect(padding).toBeGreaterThan(1000);
  });

  it("declares each piece from an instruction start, and a patched function as its 5-byte jump", () => {
    const { lp, starts, trusted } = load();
    const patched = new Map(lp.patches.filter((p) => p.kind !== "compiled").map((p) => [p.entry, p]));
    expect(lp.code.length).toBeGreaterThan(lp.pcln.funcs.length * 2);
    const byStart = new Map(lp.code.map(([s, e]) => [s, e]));
    let checked = 0;
    for (const [s] of lp.code) {
      if (!trusted.has(lp.pcln.findFunc(s)!.entry)) continue;
      expect(starts.has(s), `0x${s.toString(16)}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(0.8 * lp.code.length);
    for (const f of lp.pcln.funcs) {
      if (patched.has(f.entry)) expect(byStart.get(f.entry), f.name).toBe(f.entry + 5);
      else expect(byStart.has(f.entry), f.name).toBe(true);
    }
    // The pieces of a function run compiled cover it exactly, in order.
    const main = lp.pcln.funcs.find((f) => f.name === "main.run")!;
    const mine = lp.code.filter(([s]) => s >= main.entry && s < main.end);
    expect(mine.length).toBeGreaterThan(1);
    for (let i = 1; i < mine.length; i++) expect(mine[i]![0]).toBe(mine[i - 1]![1]);
    expect(mine[mine.length - 1]![1]).toBe(main.end);
  });

  it.skipIf(!haveUnicorn)("on unicorn, stops only at real instructions the interpreter must run (and at thousands of false ones undeclared)", () => {
    const { lp, starts, trusted, text } = load();
    const sure = (a: number): boolean => trusted.has(lp.pcln.findFunc(a)!.entry);
    /** Every exit in .text once all of its pages have been fetched. */
    const exitsInText = (declare: boolean): number[] => {
      const e = new UnicornEngine();
      try {
        if (!declare) e.declareCode = () => {};
        lp.map(e);
        const x = e as unknown as { grant(pn: number): void; exitSet: Set<number> };
        for (let a = text.addr; a < text.end; a += 4096) x.grant(a / 4096);
        return [...x.exitSet].filter((a) => a >= text.addr && a < text.end);
      } finally {
        e.close();
      }
    };
    const declared = exitsInText(true);
    // SSE, AVX and AES instructions in memmove, memclr, bytealg, aeshash and the float printers.
    expect(declared.length).toBeGreaterThan(0);
    expect(declared.length).toBeLessThan(500);
    for (const a of declared) if (sure(a)) expect(starts.has(a), `0x${a.toString(16)}`).toBe(true);
    const undeclared = exitsInText(false);
    expect(undeclared.length).toBeGreaterThan(5000);
    expect(undeclared.filter((a) => sure(a) && !starts.has(a)).length).toBeGreaterThan(1000);
  });
});

it.skipIf(haveGo)("the code a Go binary declares needs Go 1.19 (skipped: not installed)", () => {});
