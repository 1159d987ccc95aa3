// The runtime's assembled objects, cached on disk between runs.
//
// Every run assembles the same 27 files of asm/ before the program's own:
// about a third of a short run's start-up. The objects depend only on those
// files, the headers they include, and the assembler that read them, so
// they are cached under a key that hashes all three:
//
//   - the path and the bytes of every runtime file and every header in
//     asm/include (paths too: objects record where their lines came from);
//   - the assembler: the bytes of the bundle when gmpemu runs from dist/,
//     else of every file in src/asm and src/x86 (a changed encoder must
//     never be served old bytes);
//   - FORMAT, bumped when ObjFile's shape changes.
//
// A hit reads one JSON file (byte arrays as base64). Anything wrong with
// the cache (missing, unreadable, corrupt, of another shape) is a miss; a
// miss assembles as before and writes the entry atomically (a temporary
// file renamed into place), so concurrent runs never read half an entry.
// An assembly with errors or warnings is never cached: its diagnostics must
// be printed every time. The directory keeps the KEEP newest entries (each
// edit of asm/ or of the assembler makes a new one).
//
// Where: $GMPEMU_CACHE_DIR, else node_modules/.cache/gmpemu under the
// package root (npm's convention for tools' caches), else the system's
// temporary directory. GMPEMU_CACHE=0 turns the cache off.
//
// Rejected: caching the linked image. The program's files are linked with
// the runtime's and the link is fast; the image holds functions (pcToLine,
// symbolize) that do not serialise.

import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assembleFile, type ObjFile } from "../asm/assemble.ts";
import type { SourceProvider } from "../asm/source.ts";
import { BUILTIN_INCLUDE_DIR } from "./nodefs.ts";
import { packageRoot } from "./root.ts";

const FORMAT = "gmpemu-objs-1";
const KEEP = 16;

/** Where entries go, or undefined when the cache is off. */
export function cacheDir(): string | undefined {
  if (process.env.GMPEMU_CACHE === "0") return undefined;
  if (process.env.GMPEMU_CACHE_DIR) return process.env.GMPEMU_CACHE_DIR;
  const nm = join(packageRoot(), "node_modules");
  try {
    if (statSync(nm).isDirectory()) return join(nm, ".cache", "gmpemu");
  } catch { /* no node_modules: fall back */ }
  return join(tmpdir(), `gmpemu-cache-${process.getuid?.() ?? "user"}`);
}

/** The files whose bytes are the assembler that runs now. */
function assemblerFiles(): string[] {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith(".ts")) return [self];
  const root = packageRoot();
  const out: string[] = [];
  for (const d of ["src/asm", "src/x86"]) {
    const dir = join(root, d);
    for (const f of readdirSync(dir).sort()) if (f.endsWith(".ts")) out.push(join(dir, f));
  }
  return out;
}

/** The cache key of the runtime's objects. */
export function runtimeKey(files: readonly string[]): string {
  const h = createHash("sha256");
  h.update(FORMAT + "\0");
  let headers: string[] = [];
  try {
    headers = readdirSync(BUILTIN_INCLUDE_DIR).sort().map((f) => join(BUILTIN_INCLUDE_DIR, f));
  } catch { /* the assembler reports a missing include directory */ }
  for (const f of [...files, ...headers, ...assemblerFiles()]) {
    h.update(f + "\0");
    h.update(readFileSync(f));
    h.update("\0");
  }
  return h.digest("hex");
}

function encode(objs: readonly ObjFile[]): string {
  return JSON.stringify({ format: FORMAT, objs }, (_k, v: unknown) =>
    v instanceof Uint8Array ? { b64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") } : v);
}

function decode(text: string): ObjFile[] | undefined {
  const v = JSON.parse(text, (_k, x: unknown) => {
    if (x !== null && typeof x === "object" && "b64" in x && typeof (x as { b64: unknown }).b64 === "string") {
      return new Uint8Array(Buffer.from((x as { b64: string }).b64, "base64"));
    }
    return x;
  }) as { format?: unknown; objs?: unknown };
  if (v.format !== FORMAT || !Array.isArray(v.objs)) return undefined;
  for (const o of v.objs as ObjFile[]) {
    if (typeof o.file !== "string" || !Array.isArray(o.syms)) return undefined;
    for (const s of o.syms) if (!(s.bytes instanceof Uint8Array) || !Array.isArray(s.relocs) || !Array.isArray(s.lines)) return undefined;
  }
  return v.objs as ObjFile[];
}

/** Deletes all but the KEEP newest entries. */
function prune(dir: string): void {
  const entries = readdirSync(dir).filter((f) => f.endsWith(".json"))
    .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t);
  for (const e of entries.slice(KEEP)) {
    try { unlinkSync(join(dir, e.f)); } catch { /* another run pruned it */ }
  }
}

export interface CacheStats { hits: number; misses: number }
/** Hits and misses in this process (tests and --stats). */
export const cacheStats: CacheStats = { hits: 0, misses: 0 };

/**
 * The runtime's objects: from the cache, or assembled (and cached when
 * clean). undefined when the runtime does not assemble cleanly: the caller
 * assembles it again to report the diagnostics as for any file.
 */
export function runtimeObjs(files: readonly string[], source: SourceProvider): ObjFile[] | undefined {
  const dir = cacheDir();
  let key: string | undefined;
  if (dir !== undefined) {
    try {
      key = runtimeKey(files);
      const objs = decode(readFileSync(join(dir, `${key}.json`), "utf8"));
      if (objs !== undefined) {
        cacheStats.hits++;
        return objs;
      }
    } catch { /* a miss */ }
  }
  cacheStats.misses++;
  const objs: ObjFile[] = [];
  for (const f of files) {
    const r = assembleFile(f, { pkg: "runtime", source });
    if (r.errors.length > 0 || r.warnings.length > 0) return undefined;
    objs.push(r.obj);
  }
  if (dir !== undefined && key !== undefined) {
    try {
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `.${key}.${process.pid}.tmp`);
      writeFileSync(tmp, encode(objs));
      renameSync(tmp, join(dir, `${key}.json`));
      prune(dir);
    } catch { /* a read-only or full disk: run without the cache */ }
  }
  return objs;
}
