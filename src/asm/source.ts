// Where the assembler's source files come from.
//
// The assembler runs in Node and in a browser, so it never touches a file
// system itself: every file it reads (the file given, its #includes) comes
// through a SourceProvider. The CLI backs it with the file system
// (src/cli/nodefs.ts, the only layer that may); a browser or a test backs it
// with memory (MemorySource, below).
//
// A provider answers four questions: what a path names (a regular file, and
// then its size and a stable identity, or something else), the bytes of a
// regular file (never more than a given bound, so /dev/zero or a file that
// grows while it is read cannot exhaust memory), where an #include resolves
// (next to the including file, then in each -I directory, then in the
// provider's own include directory: the project's asm/include), and how
// paths join. The identity (device and inode on Node) lets callers refuse to
// overwrite any file an assembly read, whatever path names it: the assembler
// records each file it reads with it (ObjFile.inputs).
//
// Invariants: read() of a path that is not a regular file fails and never
// blocks (a FIFO with no writer); read() never returns more than `limit`
// bytes, and says when there were more.
//
// Rejected: a provider that only returns text (the assembler must see
// invalid UTF-8 to report it with its position), and letting the assembler
// fall back to a Node default (it would import node:fs again).

/** What a path names. */
export type SourceStat =
  | { kind: "file"; size: number; id: string }
  | { kind: "missing" }
  /** A directory, device, FIFO or socket. */
  | { kind: "other"; what: string };

export type ReadResult =
  | { ok: true; bytes: Uint8Array; id: string }
  | { ok: false; why: "missing" | "not-regular" | "too-large" | "unreadable"; detail?: string };

export interface SourceProvider {
  stat(path: string): SourceStat;
  /** The bytes of a regular file of at most `limit` bytes. */
  read(path: string, limit: number): ReadResult;
  /**
   * The path an `#include "name"` in `from` means: an absolute name as is,
   * else the first of from's directory, `dirs` and the provider's include
   * directory under which it exists; undefined when none has it.
   */
  resolveInclude(name: string, from: string, dirs: readonly string[]): string | undefined;
}

/** One file an assembly read, for callers that must never overwrite it. */
export interface SourceInput {
  /** The path it was read by. */
  path: string;
  /** The provider's identity of the file (device:inode on Node). */
  id: string;
}

// --- POSIX paths, for providers without a platform path module ------------

/** "a/b/../c" → "a/c"; keeps a leading "/" and leading ".." of a relative path. */
export function normalizePath(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (part !== ".." || !abs) out.push(part);
  }
  const s = out.join("/");
  return abs ? "/" + s : s || ".";
}

export function dirOf(p: string): string {
  const i = p.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : p.slice(0, i);
}

export function joinPath(dir: string, name: string): string {
  if (name.startsWith("/")) return normalizePath(name);
  return normalizePath(dir === "" ? name : `${dir}/${name}`);
}

/**
 * Source files held in memory: a map of path → text or bytes. Paths are
 * POSIX paths, compared after normalization; a prefix of a file's path is a
 * directory. `includeDir` plays the part of the project's asm/include.
 */
export class MemorySource implements SourceProvider {
  private readonly files = new Map<string, Uint8Array>();
  private readonly dirs = new Set<string>();

  constructor(files: Record<string, string | Uint8Array> = {}, readonly includeDir?: string) {
    for (const [p, v] of Object.entries(files)) this.set(p, v);
  }

  set(path: string, content: string | Uint8Array): this {
    const p = normalizePath(path);
    this.files.set(p, typeof content === "string" ? new TextEncoder().encode(content) : content);
    for (let d = dirOf(p); d !== "." && d !== "/" && !this.dirs.has(d); d = dirOf(d)) this.dirs.add(d);
    return this;
  }

  stat(path: string): SourceStat {
    const p = normalizePath(path);
    const f = this.files.get(p);
    if (f) return { kind: "file", size: f.length, id: `mem:${p}` };
    if (this.dirs.has(p) || p === "/" || p === ".") return { kind: "other", what: "directory" };
    return { kind: "missing" };
  }

  read(path: string, limit: number): ReadResult {
    const s = this.stat(path);
    if (s.kind === "missing") return { ok: false, why: "missing" };
    if (s.kind === "other") return { ok: false, why: "not-regular", detail: s.what };
    if (s.size > limit) return { ok: false, why: "too-large", detail: `${s.size} bytes` };
    return { ok: true, bytes: this.files.get(normalizePath(path))!, id: s.id };
  }

  resolveInclude(name: string, from: string, dirs: readonly string[]): string | undefined {
    if (name.startsWith("/")) return this.stat(name).kind === "missing" ? undefined : name;
    const search = [dirOf(from), ...dirs, ...(this.includeDir !== undefined ? [this.includeDir] : [])];
    for (const d of search) {
      const p = joinPath(d, name);
      if (this.stat(p).kind !== "missing") return p;
    }
    return undefined;
  }
}
