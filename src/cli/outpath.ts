// Output paths: every file a command writes (`gdb --elf`, `run --trace-out`,
// and each later output option) goes through this module, so that nothing
// the user gave is lost.
//
// What it guarantees. checkOutputs runs before the machine is built, so a
// bad path costs nothing and writes nothing. It refuses, in one plain line:
//   - an output that is the same file as an input the run reads (compared by
//     device and inode, so a hard link, a symbolic link or `dir/../x.s` is
//     caught as surely as the same spelling);
//   - two outputs that are one file;
//   - a directory, or anything else that is not a regular file (a FIFO, a
//     device: renaming over /dev/null as root would replace the device);
//   - a file in a directory that does not exist or cannot be written;
//   - an existing, non-empty file that is not of the kind being written (an
//     ELF image: magic \x7fELF; a Chrome trace: a JSON object whose first
//     key is "traceEvents", as src/trace/chrome.ts writes it), unless
//     --force is given. --force never overrides the first four.
// writeOutput writes to a temporary file in the target's directory and
// renames it over the target, so a failed or interrupted write leaves the
// old file whole. A symbolic link as the target is written through (its
// target is replaced), as `>` in a shell would.
//
// Inputs. The caller passes every path the run reads. Until the assembler
// reports the files it read (another change), runInputs collects what it
// can: the command's files, the runtime's asm/*.s and asm/include/*, and
// the files the program's `#include "..."` lines name, looked up as the
// preprocessor does (next to the including file, then -I directories, then
// asm/include). When the assembler's list arrives, pass it instead.
//
// Rejected: comparing real paths (realpath misses hard links, which is how
// `run --trace-out` overwrote its input); checking after the run (a long run
// lost to a typo, and the write error replaced the program's exit status).

import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { BUILTIN_INCLUDE_DIR } from "../node/nodefs.ts";
import { runtimeAsmFiles } from "../node/boot.ts";

/** The kinds of file gmpemu writes, and how to recognise one already on disk. */
export type OutputKind = "elf" | "chrome-trace";

const KIND_NAME: Record<OutputKind, string> = { elf: "an ELF file", "chrome-trace": "a Chrome trace (JSON)" };

export interface OutputSpec {
  /** The option that names it, for messages: "--elf". */
  option: string;
  path: string;
  kind: OutputKind;
}

/** A refused output path: the message is one plain line. */
export class OutputPathError extends Error {}

/**
 * The status of a run whose program ended with `code` but whose output
 * could not be written afterwards: the program's own status if it failed,
 * else 4, so that a script never takes a missing output for success.
 */
export const OUTPUT_FAILED_STATUS = 4;
export function statusAfterOutputFailure(code: number): number {
  return code !== 0 ? code : OUTPUT_FAILED_STATUS;
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function errnoText(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case "ENOENT": return "no such file or directory";
    case "EACCES": case "EPERM": return "permission denied";
    case "ENOTDIR": return "a path component is not a directory";
    case "EROFS": return "read-only file system";
    case "ENOSPC": return "no space left on device";
    case "EISDIR": return "is a directory";
    case "EFBIG": return "file too large";
    case "EDQUOT": return "disk quota exceeded";
    default: return e instanceof Error ? e.message : String(e);
  }
}

/** Does the existing file at p look like what `kind` writes? An empty file has nothing to lose. */
function isKind(p: string, st: Stats, kind: OutputKind): boolean {
  if (st.size === 0) return true;
  const head = Buffer.alloc(64);
  let n = 0;
  const fd = openSync(p, "r");
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const b = head.subarray(0, n);
  switch (kind) {
    case "elf": return n >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
    case "chrome-trace": return /^\s*\{\s*"traceEvents"\s*:/.test(b.toString("latin1"));
  }
}

/**
 * Refuses outputs that would lose something the user gave; see the essay.
 * Throws OutputPathError; writes nothing.
 */
export function checkOutputs(outputs: readonly OutputSpec[], inputs: readonly string[], opts: { force?: boolean } = {}): void {
  const inputIds = new Map<string, string>();
  for (const f of inputs) {
    const st = statOrUndefined(f);
    if (st) inputIds.set(`${st.dev}:${st.ino}`, f);
  }
  const seen = new Map<string, OutputSpec>();
  for (const o of outputs) {
    const at = `${o.option}: ${o.path}`;
    if (o.path === "") throw new OutputPathError(`${o.option}: an empty file name`);
    const st = statOrUndefined(o.path);
    if (st) {
      if (st.isDirectory()) throw new OutputPathError(`${at}: is a directory; give a file name`);
      if (!st.isFile()) throw new OutputPathError(`${at}: not a regular file`);
      const id = `${st.dev}:${st.ino}`;
      const input = inputIds.get(id);
      if (input !== undefined) {
        throw new OutputPathError(`${at}: is one of the input files${input === o.path ? "" : ` (the same file as ${input})`}; give another file name`);
      }
      const other = seen.get(id);
      if (other) throw new OutputPathError(`${at}: is also the output of ${other.option}`);
      seen.set(id, o);
      let same: boolean;
      try {
        same = isKind(o.path, st, o.kind);
      } catch (e) {
        if (!opts.force) throw new OutputPathError(`${at}: cannot read it to see what it is (${errnoText(e)}); give --force to overwrite it`);
        same = true;
      }
      if (!opts.force && !same) {
        throw new OutputPathError(`${at}: exists and is not ${KIND_NAME[o.kind]}; remove it or give --force to overwrite it`);
      }
    } else {
      // A missing file is created (a dangling symbolic link is replaced).
      const key = `new:${resolve(o.path)}`;
      const other = seen.get(key);
      if (other) throw new OutputPathError(`${at}: is also the output of ${other.option}`);
      seen.set(key, o);
    }
    const dir = dirname(targetOf(o.path));
    const dst = statOrUndefined(dir);
    if (!dst) throw new OutputPathError(`${at}: the directory ${dir} does not exist`);
    if (!dst.isDirectory()) throw new OutputPathError(`${at}: ${dir} is not a directory`);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      throw new OutputPathError(`${at}: cannot write in ${dir}: permission denied`);
    }
  }
}

/** The file a write to p replaces: the end of its symbolic links, or p itself. */
function targetOf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * Writes data to path through a temporary file in the same directory and a
 * rename, keeping an existing file's permissions. On failure the temporary
 * file is removed and the old file is untouched. Throws OutputPathError.
 */
export function writeOutput(option: string, path: string, data: Uint8Array | string): void {
  const target = targetOf(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`);
  const old = statOrUndefined(target);
  try {
    writeFileSync(tmp, data, { flag: "wx", mode: old ? old.mode & 0o7777 : 0o666 });
    renameSync(tmp, target);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw new OutputPathError(`${option}: cannot write ${path}: ${errnoText(e)}`);
  }
}

const INCLUDE = /^[ \t]*#[ \t]*include[ \t]*"([^"\n]+)"/gm;
/** Files larger than this are not scanned for #include (the assembler bounds its input itself). */
const SCAN_LIMIT = 16 << 20;

/**
 * Every file a run of `files` reads, as far as can be known without
 * assembling: see the essay. Missing files are left out (the assembler
 * reports them).
 */
export function runInputs(files: readonly string[], includeDirs: readonly string[] = []): string[] {
  const out = new Set<string>();
  for (const f of runtimeAsmFiles()) out.add(f);
  try {
    for (const f of readdirSync(BUILTIN_INCLUDE_DIR)) out.add(join(BUILTIN_INCLUDE_DIR, f));
  } catch { /* no include directory: the assembler says so */ }
  const queue = [...files];
  for (const f of files) out.add(f);
  const scanned = new Set<string>();
  while (queue.length > 0 && scanned.size < 10_000) {
    const f = queue.shift()!;
    const abs = resolve(f);
    if (scanned.has(abs)) continue;
    scanned.add(abs);
    const st = statOrUndefined(f);
    if (!st || !st.isFile() || st.size > SCAN_LIMIT) continue;
    let text: string;
    try { text = readFileSync(f, "latin1"); } catch { continue; }
    for (const m of text.matchAll(INCLUDE)) {
      const name = m[1]!;
      for (const d of [dirname(f), ...includeDirs, BUILTIN_INCLUDE_DIR]) {
        const p = resolve(d, name);
        if (statOrUndefined(p)?.isFile()) {
          out.add(p);
          queue.push(p);
          break;
        }
      }
    }
  }
  return [...out];
}
