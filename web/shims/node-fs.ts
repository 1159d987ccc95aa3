// TEMPORARY (until the assembler's SourceProvider, branch wt-asm, lands on
// main): the few node:fs calls of src/asm/preprocess.ts and parse.ts,
// answered from the page's in-memory files (web/src/files.ts fills them).
// Paths are POSIX paths without a working directory ("asm/asm_amd64.s").

import { normalize } from "./node-path.ts";

const files = new Map<string, Uint8Array>();
const dirs = new Set<string>();

/** Puts a file into the in-memory tree (and its directories). */
export function setFile(path: string, text: string): void {
  const p = normalize(path);
  files.set(p, new TextEncoder().encode(text));
  for (let d = p.slice(0, Math.max(0, p.lastIndexOf("/"))); d !== "" && !dirs.has(d); d = d.slice(0, Math.max(0, d.lastIndexOf("/")))) dirs.add(d);
}

export function existsSync(path: string): boolean {
  const p = normalize(path);
  return files.has(p) || dirs.has(p);
}

export function statSync(path: string): { isFile(): boolean; isDirectory(): boolean; size: number } {
  const p = normalize(path);
  const f = files.get(p);
  if (f === undefined && !dirs.has(p)) throw Object.assign(new Error(`ENOENT: no such file or directory, stat '${path}'`), { code: "ENOENT" });
  return { isFile: () => f !== undefined, isDirectory: () => f === undefined, size: f?.length ?? 0 };
}

export function readFileSync(path: string, enc?: string): Uint8Array | string {
  const f = files.get(normalize(path));
  if (f === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
  return enc === undefined ? f : new TextDecoder().decode(f);
}
