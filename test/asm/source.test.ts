// Issue 12: the assembler reads files only through a SourceProvider. A
// memory-backed provider assembles the project's files to the same object
// the file system's does; every file read is listed with its identity (so a
// command can refuse to overwrite any of them, whatever path names it); the
// Node provider refuses what is not a regular file, reads within the bound,
// and resolves #include next to the including file, then -I, then its own
// include directory. The bounds are options, so they can be tested small.
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { assembleFile, assembleString } from "../../src/asm/assemble.ts";
import { buildImage, MemorySource } from "../../src/asm/index.ts";
import { dirOf, joinPath, normalizePath } from "../../src/asm/source.ts";
import { BUILTIN_INCLUDE_DIR, nodeSource, nodeSourceProvider } from "../../src/node/nodefs.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "gmpemu-source-"));

/** The project's include files, in memory under /include. */
function memIncludes(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(BUILTIN_INCLUDE_DIR)) out[`/include/${f}`] = readFileSync(join(BUILTIN_INCLUDE_DIR, f), "utf8");
  return out;
}

const strip = (o: ReturnType<typeof assembleFile>["obj"]) => o.syms.map((s) => ({ ...s, pos: { ...s.pos, file: "" }, lines: s.lines.map((l) => ({ ...l, file: l.file.replace(/^.*\//, "") })) }));

describe("SourceProvider", () => {
  it("a memory provider assembles the runtime's and the programs' files to the file system's objects", () => {
    for (const [path, pkg] of [["asm/asm_amd64.s", "runtime"], ["programs/hello.s", "main"], ["programs/sample.s", "main"]] as const) {
      const mem = new MemorySource({ ...memIncludes(), [`/src/${path}`]: readFileSync(join(ROOT, path)) }, "/include");
      const m = assembleFile(`/src/${path}`, { pkg, source: mem });
      const n = assembleFile(join(ROOT, path), { pkg, source: nodeSource });
      expect(m.errors).toEqual([]);
      expect(strip(m.obj)).toEqual(strip(n.obj));
    }
  });

  it("every file read is listed once with its identity, in the order read", () => {
    const mem = new MemorySource({
      "/p/main.s": '#include "a.h"\n#include "a.h"\n#include "textflag.h"\nTEXT ·f(SB), NOSPLIT, $0\n\tMOVQ $A, AX\n\tRET\n',
      "/p/a.h": "#ifndef A\n#define A 1\n#endif\n",
    }, "/include");
    mem.set("/include/textflag.h", "#define NOSPLIT 4\n");
    const r = assembleFile("/p/main.s", { source: mem });
    expect(r.errors).toEqual([]);
    expect(r.obj.files).toEqual(["/p/main.s", "/p/a.h", "/p/a.h", "/include/textflag.h"]);
    expect(r.obj.inputs).toEqual([
      { path: "/p/main.s", id: "mem:/p/main.s" },
      { path: "/p/a.h", id: "mem:/p/a.h" },
      { path: "/include/textflag.h", id: "mem:/include/textflag.h" },
    ]);
    // buildImage gathers them over all files, each file once.
    const b = buildImage(["/p/main.s"], { source: mem });
    expect(b.inputs.map((i) => i.path)).toEqual(["/p/main.s", "/p/a.h", "/include/textflag.h"]);
  });

  it("on Node, a hard link and a symbolic link to a file have the file's identity; a copy does not", () => {
    const src = "TEXT ·f(SB), 4, $0\n\tRET\n";
    writeFileSync(join(dir, "orig.s"), src);
    linkSync(join(dir, "orig.s"), join(dir, "hard.s"));
    symlinkSync(join(dir, "orig.s"), join(dir, "soft.s"));
    writeFileSync(join(dir, "copy.s"), src);
    const id = (f: string): string => assembleFile(join(dir, f), { source: nodeSource }).obj.inputs[0]!.id;
    expect(id("hard.s")).toBe(id("orig.s"));
    expect(id("soft.s")).toBe(id("orig.s"));
    expect(id("copy.s")).not.toBe(id("orig.s"));
    expect(id("orig.s")).toMatch(/^\d+:\d+$/);
  });

  it("the Node provider: regular files only, within the bound, /proc files (size 0) read to the end", () => {
    const p = nodeSourceProvider(undefined);
    expect(p.read("/dev/null", 100)).toEqual({ ok: false, why: "not-regular", detail: "character device" });
    expect(p.read(dir, 100)).toEqual({ ok: false, why: "not-regular", detail: "directory" });
    expect(p.read(join(dir, "nope.s"), 100)).toEqual({ ok: false, why: "missing" });
    writeFileSync(join(dir, "ten.s"), "0123456789");
    expect(p.read(join(dir, "ten.s"), 9)).toMatchObject({ ok: false, why: "too-large" });
    const ok = p.read(join(dir, "ten.s"), 10);
    expect(ok.ok && new TextDecoder().decode(ok.bytes)).toBe("0123456789");
    const proc = p.read("/proc/self/status", 1 << 20);
    expect(proc.ok && new TextDecoder().decode(proc.bytes)).toMatch(/^Name:/);
    expect(p.stat("/dev/null")).toEqual({ kind: "other", what: "character device" });
    expect(p.stat(join(dir, "ten.s"))).toMatchObject({ kind: "file", size: 10 });
  });

  it("#include: next to the including file, then -I in order, then the provider's include directory", () => {
    const mem = new MemorySource({
      "/p/sub/main.s": '#include "v.h"\nTEXT ·f(SB), 4, $0\n\tMOVQ $V, AX\n\tRET\n',
      "/i1/v.h": "#define V 1\n", "/i2/v.h": "#define V 2\n", "/inc/v.h": "#define V 3\n",
    }, "/inc");
    const v = (dirs: string[]): string => Buffer.from(assembleFile("/p/sub/main.s", { source: mem, includeDirs: dirs }).obj.syms[0]!.bytes.subarray(3, 4)).toString("hex");
    expect(v([])).toBe("03");
    expect(v(["/i2", "/i1"])).toBe("02");
    expect(v(["/i1", "/i2"])).toBe("01");
    mem.set("/p/sub/v.h", "#define V 4\n");
    expect(v(["/i1"])).toBe("04");
  });

  it("without a provider, a file cannot be read or included (and nothing is read from disk)", () => {
    expect(assembleString('#include "textflag.h"\nTEXT ·f(SB), 4, $0\n\tRET\n', "x.s").errors.map((e) => e.format()))
      .toEqual(['x.s:1:10: #include file not found: "textflag.h"']);
  });

  it("the bounds are options: per file, in all, include depth", () => {
    const mem = new MemorySource({
      "/a.s": '#include "b.h"\n#include "b.h"\nTEXT ·f(SB), 4, $0\n\tRET\n',
      "/b.h": "// " + "x".repeat(97) + "\n",
      "/self.s": '#include "self.s"\n',
    });
    const limits = { maxFileBytes: 200, maxTotalBytes: 250 };
    expect(assembleFile("/a.s", { source: mem, limits }).errors.map((e) => e.format()))
      .toEqual(['/a.s:2:10: #include "/b.h": the files of this assembly exceed 250 bytes in all']);
    expect(assembleFile("/a.s", { source: mem, limits: { maxFileBytes: 99 } }).errors.map((e) => e.format()))
      .toEqual(['/a.s:1:10: #include "/b.h": file too large: 101 bytes (the limit is 99 bytes)', '/a.s:2:10: #include "/b.h": file too large: 101 bytes (the limit is 99 bytes)']);
    expect(assembleFile("/self.s", { source: mem, limits: { maxIncludeDepth: 5 } }).errors.map((e) => e.format()))
      .toEqual(["/self.s:1:10: #include nesting deeper than 5 files (recursive include?)"]);
  });

  it("POSIX paths for providers without a path module", () => {
    expect(normalizePath("/a/b/../c/./d")).toBe("/a/c/d");
    expect(normalizePath("../x/../../y")).toBe("../../y");
    expect(normalizePath("/..")).toBe("/");
    expect(dirOf("/a/b.s")).toBe("/a");
    expect(dirOf("b.s")).toBe(".");
    expect(dirOf("/b.s")).toBe("/");
    expect(joinPath("/a/b", "../c.h")).toBe("/a/c.h");
    expect(joinPath(".", "c.h")).toBe("c.h");
    expect(joinPath("/a", "/abs.h")).toBe("/abs.h");
    mkdirSync(join(dir, "sub"), { recursive: true });
  });
});
