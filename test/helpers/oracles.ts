// Oracles are external programs the tests compare against: Go 1.19's
// toolchain (go tool asm / objdump, and running Go twins) and libunicorn.
// A test that needs one runs when it is installed; when it is missing the
// test is skipped, unless GMPEMU_REQUIRE_ORACLES=1 (set by .ci/run), in which
// case it fails, so CI can never go green by silently skipping the oracle.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const REQUIRE_ORACLES = process.env.GMPEMU_REQUIRE_ORACLES === "1";

let goCache: string | null | undefined;

/** Path of a Go 1.19 `go` binary, or null. */
export function findGo(): string | null {
  if (goCache !== undefined) return goCache;
  const candidates = [
    process.env.GMPEMU_GO,
    "/usr/lib/go-1.19/bin/go",
    "go",
  ].filter((c): c is string => !!c);
  for (const c of candidates) {
    if (c.includes("/") && !existsSync(c)) continue;
    try {
      const v = execFileSync(c, ["version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      if (/go1\.19(\.|\s)/.test(v)) return (goCache = c);
    } catch {
      // not this one
    }
  }
  return (goCache = null);
}

/**
 * Whether an oracle is available. When it is not and oracles are required,
 * throws so that the calling test (or describe block) fails loudly.
 */
export function oracleAvailable(name: string, available: boolean): boolean {
  if (available) return true;
  if (REQUIRE_ORACLES) {
    throw new Error(`oracle ${name} is required (GMPEMU_REQUIRE_ORACLES=1) but is not installed`);
  }
  return false;
}

/**
 * The engines a test runs on: interp always, unicorn when libunicorn is
 * installed (and required under GMPEMU_REQUIRE_ORACLES=1).
 */
export function engines(): ("interp" | "unicorn")[] {
  // Imported lazily: the engine registry loads koffi only when asked.
  return oracleAvailable("libunicorn", unicornInstalled()) ? ["interp", "unicorn"] : ["interp"];
}

function unicornInstalled(): boolean {
  return ["/usr/lib/x86_64-linux-gnu/libunicorn.so.2", "/usr/lib/libunicorn.so.2", "/usr/local/lib/libunicorn.so.2"].some((p) => existsSync(p));
}
