// Compiling a .go program with the installed Go 1.19, for the Node host.
//
// `go build -gcflags=-l -o TMP/prog FILE.go` with GO111MODULE=off (a
// single file needs no module), GOOS=linux GOARCH=amd64 GOAMD64=v1 (the
// baseline instruction set: no AVX, no BMI, which the emulated CPU need
// not know) and CGO_ENABLED=0 (a static binary, no C). -gcflags=-l turns
// inlining off in the program's own package, so that its calls of the
// runtime stay calls (runtime.NumGoroutine inlined would read Go's
// runtime variables, which the emulated runtime does not keep; the loader
// refuses such code, src/golang/load.ts); the standard library is built
// as always. The binary goes to a fresh
// temporary directory, is read, and the directory removed: nothing the
// user has is written or overwritten. The build cache is the user's (Go's
// default), or a directory under the system's temp dir when there is no
// home to put one in.
//
// Go is GMPEMU_GO when that is set (and only it), else
// /usr/lib/go-1.19/bin/go (Debian's golang-1.19-go), else `go` on PATH;
// it must say go1.19. Without it, a
// sentence saying what to install; with a compile error, Go's own
// messages (GoBuildError, which the command prints as they are).

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

/** What to tell a user who has no Go 1.19. */
export const NEED_GO = "compiling a .go program needs Go 1.19: apt-get install golang-1.19-go";

/** A compile error: `output` is Go's own, as it printed it. */
export class GoBuildError extends Error {
  constructor(readonly output: string) {
    super(output.trimEnd());
    this.name = "GoBuildError";
  }
}

/** The flags gmpemu builds with (see above). */
export const GO_BUILD_FLAGS: readonly string[] = ["-gcflags=-l"];

let found: string | null | undefined;

/** The go command of a Go 1.19 installation, or null. */
export function findGo(): string | null {
  if (found !== undefined) return found;
  const candidates = process.env.GMPEMU_GO ? [process.env.GMPEMU_GO] : ["/usr/lib/go-1.19/bin/go", "go"];
  for (const c of candidates) {
    if (c.includes("/") && !existsSync(c)) continue;
    try {
      const v = execFileSync(c, ["version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      if (/go1\.19(\.|\s)/.test(v)) return (found = c);
    } catch {
      // not this one
    }
  }
  return (found = null);
}

/** The environment of the build: the user's, with the settings above. */
function buildEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env, GO111MODULE: "off", GOOS: "linux", GOARCH: "amd64", GOAMD64: "v1", CGO_ENABLED: "0", GOFLAGS: "",
  };
  if (!env.GOCACHE && !env.HOME && !env.XDG_CACHE_HOME) env.GOCACHE = join(tmpdir(), "gmpemu-gocache");
  return env;
}

export interface Built {
  /** The binary's bytes. */
  binary: Uint8Array;
  /** A name for it (the program's), for messages and os.Args[0]. */
  path: string;
  /** Wall time of `go build`, in ms. */
  buildMs: number;
}

/** Builds the .go files (one package main) into a binary in memory. */
export function goBuild(files: readonly string[]): Built {
  const go = findGo();
  if (go === null) throw new Error(NEED_GO);
  for (const f of files) if (!existsSync(f)) throw new Error(`${f}: no such file`);
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-go-"));
  try {
    const out = join(dir, basename(files[0]!, ".go"));
    const t0 = performance.now();
    const r = spawnSync(go, ["build", ...GO_BUILD_FLAGS, "-o", out, ...files], { env: buildEnv(), encoding: "utf8" });
    const buildMs = performance.now() - t0;
    if (r.error) throw new Error(`go build: ${r.error.message}`);
    if (r.status !== 0) throw new GoBuildError(r.stderr + r.stdout);
    return { binary: new Uint8Array(readFileSync(out)), path: "./" + basename(out), buildMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether the command's files are a Go program (.go), an assembly one (.s), or a mix (an error). */
export function isGoProgram(files: readonly string[]): boolean {
  const go = files.filter((f) => f.endsWith(".go"));
  if (go.length === 0) return false;
  if (go.length !== files.length) throw new Error("a program is either Go source (.go files) or assembly (.s files), not both");
  return true;
}
