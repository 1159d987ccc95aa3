// Programs against their Go twins. Every programs/NAME.s with a
// programs/NAME.go is run on the emulator with one P (--procs 1), on the
// interp engine and on the unicorn engine, and its exit status, stdout and
// stderr must be what the Go twin gives under GOMAXPROCS=1.
//
// The expected outcome is Go's live answer when Go 1.19 is installed (the
// twin is built with `go build -o`, so its exit status is real: `go run`
// turns 2 into 1); it is also kept in test/golden/programs/NAME.txt, the
// reference when Go is missing. With Go installed the golden file must
// equal the live answer (GMPEMU_UPDATE_GOLDEN=1 rewrites it). Paths in Go's
// tracebacks are made relative to the repository.
//
// Fatal programs (exit status 2) are compared up to the first goroutine
// header ("goroutine 1 [running]:") and the function name of the first
// user frame: the rest of a traceback (file paths, pc offsets, argument
// words) is Go's compiled code in Go's, our assembly in ours.
//
// Then each non-fatal program runs with four Ps: the same seed twice must
// give byte-identical output (the machine is deterministic), and the
// output under two seeds must keep what the program guarantees by design
// (test/runtime/invariants.ts: every line present, per-goroutine order,
// totals), written from the program, never from a run of ours.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { engineAvailable } from "../../src/engine/index.ts";
import { runProgramAsync } from "../../src/node/boot.ts";
import { switchCheck } from "../../src/check/check.ts";
import { INVARIANTS } from "./invariants.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const PROGRAMS = join(ROOT, "programs");
const GOLDEN = join(ROOT, "test/golden/programs");
const goBin = findGo();
const haveGo = oracleAvailable("go (Go twins of programs/)", goBin !== null);
const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));

/** Programs that end in a fatal error or an unrecovered panic (exit status 2). */
const FATAL = new Set(["closeclosed", "closedsend", "deadlock", "goexitmain", "nilfunc"]);

/**
 * Known differences from Go, each a runtime bug: the program's comparison
 * is skipped (not deleted) until it is fixed. None at present.
 */
const KNOWN_BUGS: Record<string, string> = {
};

/** Programs too slow for the unicorn engine (a native→JS crossing per host call). */
const UNICORN_TOO_SLOW: Record<string, string> = {
  // 796,750 host calls: ~18 s on interp, ~107 s on unicorn (measured).
  many: "100,000 goroutines take ~107 s on unicorn",
};

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** The programs with a Go twin. */
function twins(): string[] {
  return readdirSync(PROGRAMS)
    .filter((f) => f.endsWith(".s") && existsSync(join(PROGRAMS, f.replace(/\.s$/, ".go"))))
    .map((f) => f.replace(/\.s$/, ""))
    .sort();
}

/** programs/NAME.s with one P on the interp engine. */
async function oursOneP(name: string): Promise<Outcome & { insns: number }> {
  return ours(name, { procs: 1, engine: "interp" });
}

/**
 * Lets the worker's event loop turn between long runs: a run is synchronous
 * (many.s takes ~15 s), and vitest's worker RPC times out after 60 s of a
 * blocked loop.
 */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Runs programs/NAME.s on the emulator, capturing its output. */
async function ours(name: string, opts: { procs: number; seed?: number; engine?: string }): Promise<Outcome & { insns: number }> {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  // In slices with event-loop turns between (the same run, see runProgramAsync).
  const r = await runProgramAsync([join(PROGRAMS, name + ".s")], {
    procs: opts.procs,
    seed: opts.seed ?? 1,
    engine: opts.engine ?? "interp",
    // Every run here is judged by the switch checker (issue 13): a broken
    // switch fails the run with status 4 even when the output is right.
    check: switchCheck(),
    stdout: (b) => out.push(b.slice()),
    stderr: (b) => err.push(b.slice()),
  });
  return { code: r.code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), insns: r.insns };
}

let buildDir: string | undefined;
afterAll(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

/** Builds and runs programs/NAME.go under GOMAXPROCS=1. */
function goTwin(name: string): Outcome {
  buildDir ??= mkdtempSync(join(tmpdir(), "gmpemu-twins-"));
  const bin = join(buildDir, name);
  const env = { ...process.env };
  delete env.GOTRACEBACK;
  delete env.GODEBUG;
  const b = spawnSync(goBin!, ["build", "-o", bin, join(PROGRAMS, name + ".go")], { cwd: buildDir, env, encoding: "utf8" });
  if (b.status !== 0) throw new Error(`go build programs/${name}.go failed:\n${b.stderr}`);
  const r = spawnSync(bin, [], { env: { ...env, GOMAXPROCS: "1" }, encoding: "utf8", timeout: 60_000 });
  if (r.status === null) throw new Error(`programs/${name}.go did not exit (${r.signal ?? r.error?.message})`);
  // Go's tracebacks name the source by its absolute path.
  const rel = (s: string): string => s.split(ROOT + "/").join("");
  return { code: r.status, stdout: rel(r.stdout), stderr: rel(r.stderr) };
}

// The golden file: the twin's exit status, stdout and stderr, readable.
const goldenPath = (name: string): string => join(GOLDEN, name + ".txt");

function formatGolden(name: string, o: Outcome): string {
  if (o.stdout !== "" && !o.stdout.endsWith("\n")) throw new Error(`${name}: stdout does not end in a newline`);
  return `# programs/${name}.go, built by go1.19 and run with GOMAXPROCS=1\nexit ${o.code}\n--- stdout ---\n${o.stdout}--- stderr ---\n${o.stderr}`;
}

function parseGolden(text: string): Outcome {
  const m = /^#[^\n]*\nexit (\d+)\n--- stdout ---\n([^]*?)--- stderr ---\n([^]*)$/.exec(text);
  if (!m) throw new Error("malformed golden file");
  return { code: Number(m[1]), stdout: m[2]!, stderr: m[3]! };
}

const expectedCache = new Map<string, Outcome>();

/**
 * Twins whose answer under real Go depends on the host's timing, not only
 * on the program: hog.go is Go's TestPingPongHog, which measures 100 ms of
 * wall-clock time, and on a loaded machine (CI runs two test workers on two
 * cores) the OS can take the CPU from it long enough to skew the counts.
 * For these, the live run is tried up to five times and must give the
 * golden answer at least once; ours is still compared with that answer
 * exactly (the emulator's clock is virtual and does not skew).
 */
// sleep: on a loaded host, Go's timers of 10, 20 and 30 ms can expire
// together and are then readied into runnext in turn, so the last runs first.
const HOST_TIMED: Record<string, number> = { hog: 5, sleep: 5 };

/** What Go gives for programs/NAME.go: live when Go is installed, else the golden file. */
function expected(name: string): Outcome {
  const cached = expectedCache.get(name);
  if (cached) return cached;
  const gp = goldenPath(name);
  let o: Outcome;
  if (haveGo) {
    o = goTwin(name);
    const tries = HOST_TIMED[name] ?? 1;
    if (tries > 1 && existsSync(gp) && process.env.GMPEMU_UPDATE_GOLDEN !== "1") {
      const golden = parseGolden(readFileSync(gp, "utf8"));
      for (let i = 1; i < tries && JSON.stringify(o) !== JSON.stringify(golden); i++) o = goTwin(name);
    }
    if (process.env.GMPEMU_UPDATE_GOLDEN === "1" || !existsSync(gp)) {
      mkdirSync(dirname(gp), { recursive: true });
      writeFileSync(gp, formatGolden(name, o));
    } else {
      expect(parseGolden(readFileSync(gp, "utf8")), `${gp} is stale: rerun with GMPEMU_UPDATE_GOLDEN=1`).toEqual(o);
    }
  } else {
    expect(existsSync(gp), `no golden file ${gp}`).toBe(true);
    o = parseGolden(readFileSync(gp, "utf8"));
  }
  expectedCache.set(name, o);
  return o;
}

/**
 * The part of a fatal program's stderr that is compared: every line up to
 * and including the first goroutine header, then the function name (no
 * argument list: Go prints the argument words, `main.main()`, we print
 * `main.main(...)`) of the first frame outside the runtime.
 */
function fatalHead(stderr: string): string[] {
  const lines = stderr.split("\n");
  const h = lines.findIndex((l) => /^goroutine \d+ \[[^\]]+\]:$/.test(l));
  if (h < 0) return lines;
  const head = lines.slice(0, h + 1);
  const frame = lines.slice(h + 1).find((l) => l !== "" && !l.startsWith("\t") && !l.startsWith("runtime."));
  if (frame !== undefined) head.push(frame.replace(/\(.*\)$/, ""));
  return head;
}

function compareWithTwin(name: string, got: Outcome, want: Outcome): void {
  expect(got.code, "exit status").toBe(want.code);
  expect(got.stdout, "stdout").toBe(want.stdout);
  if (FATAL.has(name)) {
    expect(fatalHead(got.stderr), "stderr up to the first goroutine and its first user frame").toEqual(fatalHead(want.stderr));
  } else {
    expect(got.stderr, "stderr").toBe(want.stderr);
  }
}

describe("programs vs their Go twins (GOMAXPROCS=1, --procs 1)", () => {
  const list = twins();

  it("finds the programs with twins", () => {
    for (const n of ["hello", "gosched", "deadlock", "many", "pingpong", "buffered", "sleep", "goexit", "numgoroutine",
      "semaphore", "nilfunc", "closedsend", "closeclosed", "goexitmain", "deeprec", "spin", "syscall", "hog"]) {
      expect(list).toContain(n);
    }
  });

  for (const name of list) {
    describe(name, () => {
      it("Go's outcome (live, and the golden file)", { timeout: 120_000 }, () => {
        const want = expected(name);
        // FATAL says which programs die; it must agree with Go.
        expect(want.code !== 0, `exit status ${want.code}`).toBe(FATAL.has(name));
        if (FATAL.has(name)) expect(want.code).toBe(2);
      });

      const bug = KNOWN_BUGS[name];
      it.skipIf(bug !== undefined)(`interp engine${bug ? ` (skipped: ${bug})` : ""}`, { timeout: 120_000 }, async () => {
        compareWithTwin(name, await oursOneP(name), expected(name));
      });

      const slow = UNICORN_TOO_SLOW[name];
      const unicornSkip = bug ?? slow ?? (haveUnicorn ? undefined : "libunicorn is not installed");
      it.skipIf(unicornSkip !== undefined)(`unicorn engine${unicornSkip ? ` (skipped: ${unicornSkip})` : ""}`, { timeout: 120_000 }, async () => {
        compareWithTwin(name, await ours(name, { procs: 1, engine: "unicorn" }), expected(name));
      });
    });
  }
});

// --- four Ps ----------------------------------------------------------------------------

const lines = (s: string): string[] => s.split("\n").slice(0, -1);

describe("programs with four Ps (--procs 4): deterministic per seed, correct for every seed", () => {
  const list = twins().filter((n) => !FATAL.has(n));
  for (const name of list) {
    it(name, { timeout: 300_000 }, async () => {
      const a = await ours(name, { procs: 4, seed: 1 });
      await tick();
      const again = await ours(name, { procs: 4, seed: 1 });
      // Same seed, same machine: byte for byte, instruction for instruction.
      expect(again).toEqual(a);
      // A second seed, except for many (17 s a run on four Ps): its
      // invariant is checked under seed 1 and the small programs cover seeds.
      const runs = [a];
      if (name !== "many") {
        await tick();
        runs.push(await ours(name, { procs: 4, seed: 2 }));
      }
      // What the program guarantees (test/runtime/invariants.ts, written
      // from the program); a new program needs its entry there.
      const check = INVARIANTS[name];
      expect(check, `test/runtime/invariants.ts has no entry for ${name}`).toBeDefined();
      for (const r of runs) {
        expect(r.code).toBe(0);
        expect(r.stdout).toBe("");
        check!(lines(r.stderr));
      }
    });
  }
});
