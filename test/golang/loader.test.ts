// The loader of `go build` binaries (src/golang/): the ELF and pclntab
// readers against Go's own tools, what becomes of each runtime function,
// and every check the loader makes, each shown failing on a binary made to
// break it: a file that is no ELF, a truncated one, a binary of another Go,
// write barriers on, code that reads Go's runtime variables (a package
// built with inlining), and a call of a runtime function nobody serves.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bufSource, decode } from "../../src/cpu/decode.ts";
import { createEngine } from "../../src/engine/index.ts";
import { loadProgram } from "../../src/golang/boot.ts";
import { ElfError, ElfFile } from "../../src/golang/elf.ts";
import { ASM_TEXT_BASE, LoadError } from "../../src/golang/load.ts";
import { PCDATA_UnsafePoint, UnsafePointUnsafe } from "../../src/golang/pclntab.ts";
import { SERVED, SWITCH_ROUTINES } from "../../src/golang/served.ts";
import { hostTable, runtimeAsmFiles, runProgram } from "../../src/node/boot.ts";
import { built } from "../../src/node/boot.ts";
import { nodeSource } from "../../src/node/nodefs.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { PROGRAMS, ROOT } from "./goldens.ts";

const go = findGo();
const haveGo = oracleAvailable("go (compiling programs/*.go)", go !== null);
const src = { runtimeFiles: runtimeAsmFiles(), source: nodeSource };
const HELLO = join(PROGRAMS, "hello.go");

let dir: string | undefined;
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** A binary built by Go directly, with the given flags (not gmpemu's). */
function goBuild(file: string, flags: string[] = []): Uint8Array {
  dir ??= mkdtempSync(join(tmpdir(), "gmpemu-loader-"));
  const out = join(dir, "prog" + Math.random().toString(36).slice(2));
  const r = spawnSync(go!, ["build", ...flags, "-o", out, file], { env: { ...process.env, GO111MODULE: "off", GOAMD64: "v1" }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return new Uint8Array(readFileSync(out));
}

describe.skipIf(!haveGo)("loading a go build binary", () => {
  it("reads the ELF: its segments, sections and symbols", () => {
    const b = built([HELLO]);
    const e = new ElfFile(b.binary);
    expect(e.section(".text")?.addr).toBe(0x401000);
    expect(e.section(".gopclntab")).toBeDefined();
    expect(e.segments.filter((s) => s.type === 1).length).toBeGreaterThanOrEqual(2);
    expect(e.symbols.some((s) => s.name === "main.main" && s.type === 2)).toBe(true);
    expect(e.symbols.some((s) => s.name === "runtime.morestack_noctxt.abi0")).toBe(true);
  });

  it("reads the pclntab: every instruction of main's functions on the line go tool objdump gives", () => {
    const b = built([HELLO]);
    const lp = loadProgram(b.binary, b.path, src);
    dir ??= mkdtempSync(join(tmpdir(), "gmpemu-loader-"));
    const bin = join(dir, "hello");
    writeFileSync(bin, b.binary);
    const dump = execFileSync(go!, ["tool", "objdump", "-s", "^main\\.", bin], { encoding: "utf8" });
    let n = 0;
    for (const line of dump.split("\n")) {
      const m = /^\s+(\S+):(\d+)\s+0x([0-9a-f]+)\s/.exec(line);
      if (!m) continue;
      const pc = parseInt(m[3]!, 16);
      const l = lp.image.pcToLine(pc);
      expect(l, `0x${m[3]}`).toBeDefined();
      expect(`${l!.file.replace(/^.*\//, "")}:${l!.line}`, `0x${m[3]}`).toBe(`${m[1]}:${m[2]}`);
      n++;
    }
    expect(n).toBeGreaterThan(50);
    // Function bounds: main.main as the symbol table has it.
    const sym = new ElfFile(b.binary).symbols.find((s) => s.name === "main.main")!;
    expect(lp.image.symAt(sym.value + 1)?.name).toBe("main.main");
    expect(lp.image.lookup("main.main")?.addr).toBe(sym.value);
  });

  it("makes every function of Go's runtime a switch routine, served, compiled or not provided — and patches them so", () => {
    const b = built([HELLO]);
    const lp = loadProgram(b.binary, b.path, src);
    const t = hostTable();
    const text = lp.elf.segments.find((s) => s.type === 1 && (s.flags & 1) !== 0)!;
    const orig = lp.elf.segmentBytes(text);
    const kinds = new Map<string, number>();
    for (const p of lp.patches) {
      kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);
      const sym = lp.image.symAt(p.entry)!;
      const i = decode(bufSource(sym.bytes, 0, p.entry), p.entry);
      if (p.kind === "compiled") {
        // Untouched: the bytes are the file's.
        expect([...sym.bytes.subarray(0, 8)], p.name).toEqual([...orig.subarray(p.entry - text.vaddr, p.entry - text.vaddr + 8)]);
      } else if (p.kind === "routine") {
        expect(i.op, p.name).toBe("jmp");
        expect(i.target).toBe(lp.image.asm.addrOf(SWITCH_ROUTINES.get(p.name)!));
        expect(i.target).toBeGreaterThanOrEqual(ASM_TEXT_BASE);
      } else if (p.kind === "served") {
        expect(i.op, p.name).toBe("jmp");
        const host = SERVED.get(p.name.replace(/\.abi0$/, ""))!;
        // The ABI of the binary's function picks the host entry.
        expect(i.target, p.name).toBe(p.name.endsWith(".abi0") ? t.resolve(host) : t.resolveInternal(host));
      } else {
        expect(i.op, p.name).toBe("call");
        expect(i.target).toBe(t.resolve("runtime.notProvided"));
      }
    }
    for (const k of ["routine", "served", "compiled", "not provided"]) expect(kinds.get(k), k).toBeGreaterThan(0);
    // Each name once; and what makes hello.go work is there.
    expect(new Set(lp.patches.map((p) => p.entry)).size).toBe(lp.patches.length);
    const kind = (n: string): string | undefined => lp.patches.find((p) => p.name === n)?.kind;
    expect(kind("runtime.gogo.abi0")).toBe("routine");
    expect(kind("runtime.mcall")).toBe("routine");
    expect(kind("runtime.newproc")).toBe("served");
    expect(kind("runtime.chansend1")).toBe("served");
    expect(kind("runtime.memmove")).toBe("compiled");
    expect(kind("runtime.schedule")).toBe("not provided");
    expect(kind("runtime.mallocgc")).toBe("served");
  });

  it("reads the unsafe points: a write-barrier check is unsafe, the rest of main.main safe, the runtime refused", () => {
    const b = built([HELLO]);
    const lp = loadProgram(b.binary, b.path, src);
    const f = lp.pcln.funcs.find((x) => x.name === "main.main")!;
    let unsafe = 0, safe = 0;
    for (let pc = f.entry; pc < f.end; pc++) {
      const up = lp.pcln.pcdata(f, PCDATA_UnsafePoint, pc).val;
      const sp = lp.go.asyncSafePoint(pc);
      if (up === UnsafePointUnsafe) {
        expect(sp.reason, `0x${pc.toString(16)}`).toBe("unsafe point (PCDATA)");
        unsafe++;
      } else if (sp.reason === "") safe++;
    }
    // hello.go's main.main stores a pointer into a closure: a write-barrier sequence.
    expect(unsafe).toBeGreaterThan(0);
    expect(safe).toBeGreaterThan(unsafe);
    const memmove = lp.image.addrOf("runtime.memmove")!;
    expect(lp.go.asyncSafePoint(memmove + 16).reason).toMatch(/runtime code|assembly/);
    expect(lp.go.isGoCode(ASM_TEXT_BASE)).toBe(false);
  });

  it("refuses what is not a Go executable, in a sentence", () => {
    expect(() => new ElfFile(new Uint8Array(100), "x")).toThrow(new ElfError("x: not an ELF file"));
    const b = built([HELLO]).binary;
    expect(() => loadProgram(b.subarray(0, 1000), "cut", src)).toThrow(LoadError);
    expect(() => loadProgram(b.subarray(0, 1000), "cut", src)).toThrow(/cut: truncated/);
    const rel = b.slice();
    rel[16] = 1; // ET_REL
    expect(() => loadProgram(rel, "obj", src)).toThrow(/obj: not an executable/);
  });

  it("refuses a binary built by another Go than 1.19 (runtime.buildVersion)", () => {
    const b = built([HELLO]).binary.slice();
    const e = new ElfFile(b);
    const bv = e.symbols.find((s) => s.name === "runtime.buildVersion")!;
    const seg = e.segments.find((s) => s.type === 1 && bv.value >= s.vaddr && bv.value < s.vaddr + s.filesz)!;
    const dv = new DataView(b.buffer);
    const p = dv.getUint32(seg.offset + bv.value - seg.vaddr, true);
    const sseg = e.segments.find((s) => s.type === 1 && p >= s.vaddr && p < s.vaddr + s.filesz)!;
    const at = sseg.offset + p - sseg.vaddr;
    expect(new TextDecoder().decode(b.subarray(at, at + 6))).toBe("go1.19");
    b[at + 4] = "2".charCodeAt(0); // go1.29
    expect(() => loadProgram(b, "new", src)).toThrow(/new: built by go1\.29.*emulates Go 1\.19/);
  });

  it("refuses a binary whose write barriers are on", () => {
    const b = built([HELLO]).binary;
    const e = new ElfFile(b);
    const wb = e.symbols.find((s) => s.name === "runtime.writeBarrier")!;
    const dataSeg = e.segments.find((s) => s.type === 1 && wb.value >= s.vaddr && wb.value < s.vaddr + s.memsz)!;
    // In .bss: no bytes in the file, zero when mapped. Set it as Go's GC would, the moment its page is mapped.
    expect(wb.value).toBeGreaterThanOrEqual(dataSeg.vaddr + dataSeg.filesz);
    const lp = loadProgram(b, "wb", src);
    const en = createEngine("interp");
    try {
      const map = en.map.bind(en);
      en.map = (a: number, n: number, prot: number) => {
        map(a, n, prot);
        if (wb.value >= a && wb.value < a + n) en.write(wb.value, new Uint8Array([1]));
      };
      expect(() => lp.map(en)).toThrow(/wb: runtime\.writeBarrier is set/);
    } finally {
      en.close();
    }
  });

  it("refuses compiled code that reads Go's runtime variables: NumGoroutine inlined into main (built with inlining)", () => {
    const b = goBuild(join(PROGRAMS, "numgoroutine.go"));
    expect(() => loadProgram(b, "./numgoroutine", src)).toThrow(/main\.main reads runtime\.allglen.*a variable of Go's runtime that the emulated runtime does not keep/);
    // gmpemu's own build (-gcflags=-l) keeps the call, which is served.
    const ok = built([join(PROGRAMS, "numgoroutine.go")]);
    expect(() => loadProgram(ok.binary, ok.path, src)).not.toThrow();
  });

  it("stops a program that calls a runtime function nobody serves, naming it and its caller", () => {
    const err: string[] = [];
    const r = runProgram([join(ROOT, "test/golang/testdata/gc.go")], { stderr: (b) => err.push(Buffer.from(b).toString()), stdout: () => {} });
    expect(r.code).toBe(2);
    expect(err.join("")).toMatch(/^collecting\ngmpemu: runtime\.GC is not provided by the emulated runtime \(called from gc\.go:8\)\n/);
  });
});

it.skipIf(haveGo)("loading go build binaries needs Go 1.19 (skipped: not installed)", () => {});
