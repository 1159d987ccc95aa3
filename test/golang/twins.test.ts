// Every programs/*.go, compiled by Go 1.19 and run on the emulated machine
// with one P (--procs 1), on both engines: the exit status, stdout and
// stderr must be what the same program prints under real Go with
// GOMAXPROCS=1 (for a fatal ending, stderr up to the first goroutine
// header and its first user frame). This covers the twins of the .s
// programs (the same golden files as programs.test.ts) and the Go-only
// programs (select, sync, workers, preemption), whose golden files are in
// test/golden/golang/.
//
// Compiling needs Go 1.19: without it these tests are skipped with the
// reason, and under GMPEMU_REQUIRE_ORACLES=1 they fail. No prebuilt binary
// is checked in: a binary would be a second source of truth beside the .go
// file, and could not be rebuilt by a reader without Go anyway.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineAvailable } from "../../src/engine/index.ts";
import { runProgram } from "../../src/node/boot.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { cleanup, expected, fatalHead, PROGRAMS, type Outcome } from "./goldens.ts";

const haveGo = oracleAvailable("go (compiling programs/*.go)", findGo() !== null);
const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));
afterAll(cleanup);

/** Programs that end in a fatal error or an unrecovered panic (exit status 2). */
export const FATAL = new Set(["closeclosed", "closedsend", "deadlock", "goexitmain", "nilfunc", "indexpanic", "nilmap"]);

/** Programs too slow for the unicorn engine (a native→JS crossing per host call), with the reason. */
const UNICORN_TOO_SLOW: Record<string, string> = {
  many: "100,000 goroutines: about two minutes on unicorn",
  // hog (104M instructions) runs whole on unicorn in about 13 s of CPU, since the loader declares the
  // binary's code (src/golang/load.ts): undeclared, its text had ~8,400 exits and it took over 2 minutes.
};

function goPrograms(): string[] {
  return readdirSync(PROGRAMS).filter((f) => f.endsWith(".go")).map((f) => f.replace(/\.go$/, "")).sort();
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function ours(name: string, engine: string): Outcome {
  const out: Uint8Array[] = [], err: Uint8Array[] = [];
  const r = runProgram([join(PROGRAMS, name + ".go")], {
    procs: 1, seed: 1, engine, stdout: (b) => out.push(b.slice()), stderr: (b) => err.push(b.slice()),
    showPath: (f) => f,
  });
  return { code: r.code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

function compare(name: string, got: Outcome, want: Outcome): void {
  expect(got.code, "exit status").toBe(want.code);
  expect(got.stdout, "stdout").toBe(want.stdout);
  if (FATAL.has(name)) expect(fatalHead(got.stderr)).toEqual(fatalHead(want.stderr));
  else expect(got.stderr, "stderr").toBe(want.stderr);
}

describe.skipIf(!haveGo)("programs/*.go on the emulated runtime vs Go 1.19 (GOMAXPROCS=1, --procs 1)", () => {
  for (const name of goPrograms()) {
    describe(name, () => {
      it("Go's outcome agrees with FATAL", { timeout: 120_000 }, () => {
        const want = expected(name, haveGo);
        expect(want.code !== 0, `exit status ${want.code}`).toBe(FATAL.has(name));
      });
      it("interp engine", { timeout: 300_000 }, async () => {
        await tick();
        compare(name, ours(name, "interp"), expected(name, haveGo));
      });
      const skip = UNICORN_TOO_SLOW[name] ?? (haveUnicorn ? undefined : "libunicorn is not installed");
      it.skipIf(skip !== undefined)(`unicorn engine${skip ? ` (skipped: ${skip})` : ""}`, { timeout: 300_000 }, async () => {
        await tick();
        compare(name, ours(name, "unicorn"), expected(name, haveGo));
      });
    });
  }
});

it.skipIf(haveGo)("programs/*.go need Go 1.19 to compile (skipped: Go 1.19 is not installed)", () => {});
