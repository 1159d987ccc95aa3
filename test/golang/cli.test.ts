// The command with .go programs: what a user sees when Go is missing, when
// the program does not compile, and when .go and .s files are mixed; and
// `gmpemu verify X.go`, which runs each Go program on both CPUs in
// lockstep, comparing every instruction, with 0 divergences.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { verifyProgram } from "../../src/cli/verify.ts";
import { engineAvailable } from "../../src/engine/index.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { PROGRAMS, ROOT } from "./goldens.ts";
import { readdirSync } from "node:fs";

const haveGo = oracleAvailable("go (compiling programs/*.go)", findGo() !== null);
const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));
const BIN = join(ROOT, "bin/gmpemu.mjs");

let dir: string | undefined;
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });
function tmpFile(name: string, text: string): string {
  dir ??= mkdtempSync(join(tmpdir(), "gmpemu-gocli-"));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function gmpemu(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    c.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const t = setTimeout(() => c.kill("SIGKILL"), 120_000);
    c.on("close", (status) => { clearTimeout(t); resolve({ status, stdout, stderr }); });
  });
}

describe("gmpemu with .go programs", () => {
  it("without Go 1.19: names the package to install, exit 1", { timeout: 120_000 }, async () => {
    const r = await gmpemu(["run", "programs/hello.go"], { GMPEMU_GO: "/nonexistent/go" });
    expect(r.stderr).toBe("gmpemu: compiling a .go program needs Go 1.19: apt-get install golang-1.19-go\n");
    expect(r.status).toBe(1);
  });

  it("a .s and a .go file together: refused, exit 1", { timeout: 120_000 }, async () => {
    const r = await gmpemu(["run", "programs/hello.go", "programs/hello.s"]);
    expect(r.stderr).toBe("gmpemu: a program is either Go source (.go files) or assembly (.s files), not both\n");
    expect(r.status).toBe(1);
  });

  it.skipIf(!haveGo)("a compile error: Go's own messages, exit 1", { timeout: 120_000 }, async () => {
    const f = tmpFile("bad.go", "package main\n\nfunc main() {\n\tx := 1\n\tprintln(y)\n}\n");
    const r = await gmpemu(["run", f]);
    expect(r.status).toBe(1);
    // go build names the file as its ShortPath does: relative to the working directory (ROOT) when that is shorter.
    const rel = relative(ROOT, f), shown = rel.length < f.length ? rel : f;
    expect(r.stderr).toBe(`# command-line-arguments\n${shown}:4:2: x declared but not used\n${shown}:5:10: undefined: y\n`);
    // Nothing was written beside the program.
    expect(readdirSync(dir!)).toEqual(["bad.go"]);
  });

  it.skipIf(!haveGo)("run takes a .go program", { timeout: 120_000 }, async () => {
    const r = await gmpemu(["run", "programs/hello.go", "--procs", "1"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("worker 2 running\nworker 0 running\nworker 1 running\nall 3 workers done\n");
  });
});

/**
 * Programs verified only for their first instructions: their whole run is
 * tens of millions of instructions, hours at the lockstep's ~15,000 a
 * second (they spin until sysmon preempts them).
 */
const VERIFY_PREFIX: Record<string, number> = { many: 300_000, hog: 300_000, spin: 300_000, preempt: 300_000 };

describe.skipIf(!haveGo || !haveUnicorn)("gmpemu verify X.go: the interpreter and unicorn in lockstep", () => {
  const programs = readdirSync(PROGRAMS).filter((f) => f.endsWith(".go")).map((f) => f.replace(/\.go$/, "")).sort();
  for (const name of programs) {
    const prefix = VERIFY_PREFIX[name];
    it(`${name}${prefix ? ` (its first ${prefix} instructions)` : ""}`, { timeout: 300_000 }, () => {
      let report = "";
      const status = verifyProgram(join(PROGRAMS, name + ".go"), { maxSteps: prefix ?? Number.MAX_SAFE_INTEGER, procs: 1, seed: 1, quiet: true }, (s) => (report += s));
      expect(report).toMatch(/^verified \d+ instructions: 0 divergences/);
      expect(status).toBe(0);
    });
  }
});

it.skipIf(haveGo && haveUnicorn)("verify X.go needs Go 1.19 and libunicorn (skipped: one is not installed)", () => {});
