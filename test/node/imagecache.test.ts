// The runtime's objects cached on disk (src/node/imagecache.ts): a hit gives
// the very objects an assembly gives, any change to what they depend on is
// a new key, and a broken cache is only a miss.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleFile } from "../../src/asm/assemble.ts";
import { cacheStats, runtimeKey, runtimeObjs } from "../../src/node/imagecache.ts";
import { nodeSource } from "../../src/node/nodefs.ts";
import { runtimeAsmFiles, runProgram } from "../../src/node/boot.ts";

let dir: string;
const saved = { dir: process.env.GMPEMU_CACHE_DIR, off: process.env.GMPEMU_CACHE };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gmpemu-cache-test-"));
  process.env.GMPEMU_CACHE_DIR = dir;
  delete process.env.GMPEMU_CACHE;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (saved.dir === undefined) delete process.env.GMPEMU_CACHE_DIR; else process.env.GMPEMU_CACHE_DIR = saved.dir;
  if (saved.off !== undefined) process.env.GMPEMU_CACHE = saved.off;
});

const entries = (): string[] => readdirSync(dir).filter((f) => f.endsWith(".json"));

describe("the runtime's object cache", () => {
  it("a miss writes an entry; a hit returns objects equal to a fresh assembly", () => {
    const files = runtimeAsmFiles();
    const misses = cacheStats.misses, hits = cacheStats.hits;
    const first = runtimeObjs(files, nodeSource)!;
    expect(cacheStats.misses).toBe(misses + 1);
    expect(entries()).toEqual([`${runtimeKey(files)}.json`]);
    const second = runtimeObjs(files, nodeSource)!;
    expect(cacheStats.hits).toBe(hits + 1);
    const fresh = files.map((f) => assembleFile(f, { pkg: "runtime", source: nodeSource }).obj);
    expect(second).toEqual(fresh);
    expect(first).toEqual(fresh);
    expect(second[0]!.syms[0]!.bytes).toBeInstanceOf(Uint8Array);
  });

  it("a program runs the same from the cache", () => {
    const out = (): string => {
      let s = "";
      const r = runProgram(["programs/hello.s"], { stdout: (b) => { s += Buffer.from(b).toString(); }, stderr: () => {} });
      return `${r.code}\n${s}`;
    };
    const hits = cacheStats.hits;
    const a = out();
    expect(cacheStats.hits).toBe(hits + 1);
    process.env.GMPEMU_CACHE = "0";
    try {
      expect(out()).toBe(a);
    } finally {
      delete process.env.GMPEMU_CACHE;
    }
  });

  it("a changed runtime file is a different key", () => {
    const files = runtimeAsmFiles();
    const tmp = mkdtempSync(join(tmpdir(), "gmpemu-cache-src-"));
    try {
      const copy = join(tmp, basename(files[0]!));
      copyFileSync(files[0]!, copy);
      const moved = [copy, ...files.slice(1)];
      const k1 = runtimeKey(moved);
      writeFileSync(copy, readFileSync(copy, "utf8") + "\n// edited\n");
      expect(runtimeKey(moved)).not.toBe(k1);
      expect(k1).not.toBe(runtimeKey(files)); // the path is part of it too
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("a corrupt or foreign entry is a miss, and is replaced", () => {
    const files = runtimeAsmFiles();
    const entry = join(dir, `${runtimeKey(files)}.json`);
    for (const bad of ["{not json", JSON.stringify({ format: "other", objs: [] }), JSON.stringify({ format: "gmpemu-objs-1", objs: [{ file: "x", syms: [{ bytes: 3 }] }] })]) {
      writeFileSync(entry, bad);
      const misses = cacheStats.misses;
      const objs = runtimeObjs(files, nodeSource)!;
      expect(cacheStats.misses).toBe(misses + 1);
      expect(objs.length).toBe(files.length);
      expect(readFileSync(entry, "utf8")).not.toBe(bad);
    }
  });

  it("GMPEMU_CACHE=0 reads and writes nothing", () => {
    rmSync(dir, { recursive: true, force: true });
    process.env.GMPEMU_CACHE = "0";
    try {
      const misses = cacheStats.misses;
      expect(runtimeObjs(runtimeAsmFiles(), nodeSource)!.length).toBeGreaterThan(0);
      expect(cacheStats.misses).toBe(misses + 1);
      expect(() => readdirSync(dir)).toThrow();
    } finally {
      delete process.env.GMPEMU_CACHE;
    }
  });
});
