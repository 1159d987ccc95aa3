// The assembler's source files from the file system: the SourceProvider
// (src/asm/source.ts) that the Node host (src/node/boot.ts, the CLI, the
// tools' tests and benchmarks) hands to the assembler. It is the one place
// the assembler's input touches node:fs.
//
// A file is opened non-blocking (so a FIFO without a writer cannot hang the
// open), checked with fstat on the open descriptor (so the file checked is
// the file read), refused unless it is a regular file, and read up to its
// bound and one byte more: a file that grows past the bound while it is read
// is refused as too large, not read without end. Its identity is the
// device and inode of that descriptor, so two paths to one file (a hard or a
// symbolic link) have the same identity.
//
// The project's own include directory (asm/include: textflag.h, go_tls.h,
// funcdata.h and the generated go_asm.h) is searched after -I, as Go's
// toolchain searches $GOROOT/pkg/include.

import { closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync, type BigIntStats } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { ReadResult, SourceProvider, SourceStat } from "../asm/source.ts";
import { packageRoot } from "./root.ts";

/** The project's include directory (asm/include), found from the package root (src/ or dist/). */
export const BUILTIN_INCLUDE_DIR = join(packageRoot(), "asm", "include");

function kindOf(st: BigIntStats): string {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "directory";
  if (st.isFIFO()) return "FIFO";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  if (st.isSocket()) return "socket";
  return "special file";
}

const idOf = (st: BigIntStats): string => `${st.dev}:${st.ino}`;

/** A SourceProvider over the file system; `includeDir` is searched after -I. */
export function nodeSourceProvider(includeDir: string | undefined = BUILTIN_INCLUDE_DIR): SourceProvider {
  return {
    stat(path: string): SourceStat {
      let st: BigIntStats;
      try {
        st = statSync(path, { bigint: true });
      } catch {
        return { kind: "missing" };
      }
      const what = kindOf(st);
      return what === "file" ? { kind: "file", size: Number(st.size), id: idOf(st) } : { kind: "other", what };
    },

    read(path: string, limit: number): ReadResult {
      let fd: number;
      try {
        fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return code === "ENOENT" || code === "ENOTDIR" ? { ok: false, why: "missing" } : { ok: false, why: "unreadable", detail: code ?? String(e) };
      }
      try {
        const st = fstatSync(fd, { bigint: true });
        const what = kindOf(st);
        if (what !== "file") return { ok: false, why: "not-regular", detail: what };
        if (st.size > BigInt(limit)) return { ok: false, why: "too-large", detail: `${st.size} bytes` };
        // Read to the end, but never past the bound and one byte more: that
        // byte tells a file that grew (or a /proc file that says size 0)
        // beyond the bound from one that did not.
        let buf = new Uint8Array(Math.min(Number(st.size), limit) + 1);
        let n = 0;
        for (;;) {
          if (n === buf.length) {
            if (n > limit) return { ok: false, why: "too-large", detail: `more than ${limit} bytes` };
            const bigger = new Uint8Array(Math.min(buf.length * 2, limit + 1));
            bigger.set(buf);
            buf = bigger;
          }
          const got = readSync(fd, buf, n, buf.length - n, null);
          if (got === 0) break;
          n += got;
        }
        return { ok: true, bytes: buf.subarray(0, n), id: idOf(st) };
      } catch (e) {
        return { ok: false, why: "unreadable", detail: (e as NodeJS.ErrnoException).code ?? String(e) };
      } finally {
        closeSync(fd);
      }
    },

    resolveInclude(name: string, from: string, dirs: readonly string[]): string | undefined {
      if (isAbsolute(name)) return existsSync(name) ? name : undefined;
      const search = [dirname(from), ...dirs, ...(includeDir !== undefined ? [includeDir] : [])];
      for (const d of search) {
        const p = join(d, name);
        if (existsSync(p)) return p;
      }
      return undefined;
    },
  };
}

/** The provider the commands use: the file system, with the project's include directory. */
export const nodeSource: SourceProvider = nodeSourceProvider();
