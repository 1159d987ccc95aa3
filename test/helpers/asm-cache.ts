// A setup file (vitest.mutate.config.ts) that keeps the runtime's own
// assembly (asm/*.s) assembled once per test file instead of once per
// program run. Booting a program assembles asm/*.s with it, and that is
// more than half of a small program's run: the mutation tests boot
// hundreds of programs for every mutant.
//
// It is a memo, not a change of behaviour: assembleFile is a function of
// the files it reads (the source and its #includes, listed in the object
// it returns) and its options; an entry is used again only while every one
// of those files has the same contents, and the ObjFile it returns is never
// modified by the linker (link() copies bytes and relocations). Only files
// under asm/ are kept (programs are cheap, and tests write temporary ones),
// and only for options that are plain data (the source provider: only
// Node's own, nodeSource).
//
// The runtime image cache on disk (src/node/imagecache.ts) is turned off
// for mutation runs (vitest.mutate.config.ts sets GMPEMU_CACHE=0): Stryker
// compiles every mutant into the same instrumented files, so its key, a
// hash of the assembler's sources, would be the same for every mutant of
// link.ts or obj6.ts and their objects would come from the first run.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { vi } from "vitest";

const ASM_DIR = resolve(import.meta.dirname, "../../asm") + "/";

vi.mock("../../src/asm/assemble.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/asm/assemble.ts")>();
  const { nodeSource } = await import("../../src/node/nodefs.ts");
  type Result = ReturnType<typeof real.assembleFile>;
  const cache = new Map<string, { files: [string, string][]; result: Result }>();
  const digest = (f: string): string => {
    try {
      return createHash("sha1").update(readFileSync(f)).digest("hex");
    } catch {
      return "";
    }
  };
  return {
    ...real,
    assembleFile(path: string, opts: Parameters<typeof real.assembleFile>[1]): Result {
      const plain = Object.entries(opts).every(([k, v]) => (k === "source" ? v === nodeSource :
        v === undefined || ["string", "number", "boolean"].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === "string"))));
      if (!plain || !resolve(path).startsWith(ASM_DIR)) return real.assembleFile(path, opts);
      const key = resolve(path) + "\0" + JSON.stringify({ ...opts, source: undefined });
      const hit = cache.get(key);
      if (hit && hit.files.every(([f, h]) => digest(f) === h)) return hit.result;
      const result = real.assembleFile(path, opts);
      cache.set(key, { files: result.obj.files.map((f) => [f, digest(f)]), result });
      return result;
    },
  };
});
