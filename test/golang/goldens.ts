// What Go 1.19 prints for a programs/NAME.go, with GOMAXPROCS=1: live when
// Go is installed (built with `go build -o`, so the exit status is real),
// and kept in a golden file (test/golden/programs/NAME.txt for the twins of
// .s programs, whose format programs.test.ts defines; test/golden/golang/
// for the Go-only programs) that is the reference when Go is missing and
// must equal the live answer when it is not (GMPEMU_UPDATE_GOLDEN=1
// rewrites it). Paths in Go's tracebacks are made relative to the
// repository.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { expect } from "vitest";
import { findGo } from "../helpers/oracles.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
export const PROGRAMS = join(ROOT, "programs");

export interface Outcome { code: number; stdout: string; stderr: string }

export function goldenPath(name: string): string {
  return existsSync(join(PROGRAMS, name + ".s")) ? join(ROOT, "test/golden/programs", name + ".txt") : join(ROOT, "test/golden/golang", name + ".txt");
}

export function formatGolden(name: string, o: Outcome): string {
  return `# programs/${name}.go, built by go1.19 and run with GOMAXPROCS=1\nexit ${o.code}\n--- stdout ---\n${o.stdout}--- stderr ---\n${o.stderr}`;
}

export function parseGolden(text: string): Outcome {
  const m = /^#[^\n]*\nexit (\d+)\n--- stdout ---\n([^]*?)--- stderr ---\n([^]*)$/.exec(text);
  if (!m) throw new Error("malformed golden file");
  return { code: Number(m[1]), stdout: m[2]!, stderr: m[3]! };
}

let buildDir: string | undefined;
export function cleanup(): void {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
}

/** Builds and runs programs/NAME.go under GOMAXPROCS=1 with real Go. */
export function goRun(name: string): Outcome {
  const go = findGo();
  if (go === null) throw new Error("no Go 1.19");
  buildDir ??= mkdtempSync(join(tmpdir(), "gmpemu-gotwins-"));
  const bin = join(buildDir, name);
  const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: "off" };
  delete env.GOTRACEBACK;
  delete env.GODEBUG;
  const b = spawnSync(go, ["build", "-o", bin, join(PROGRAMS, name + ".go")], { cwd: buildDir, env, encoding: "utf8" });
  if (b.status !== 0) throw new Error(`go build programs/${name}.go failed:\n${b.stderr}`);
  const r = spawnSync(bin, [], { env: { ...env, GOMAXPROCS: "1" }, encoding: "utf8", timeout: 60_000 });
  if (r.status === null) throw new Error(`programs/${name}.go did not exit (${r.signal ?? r.error?.message})`);
  const rel = (s: string): string => s.split(ROOT + "/").join("");
  return { code: r.status, stdout: rel(r.stdout), stderr: rel(r.stderr) };
}

const cache = new Map<string, Outcome>();

/**
 * Programs whose real Go answer depends on the host's timing, tried up to N
 * times live; one of the tries must give the golden answer (ours is still
 * compared with it exactly: the emulator's clock is virtual). On a loaded
 * machine the OS can hold Go's thread past several deadlines at once:
 *   hog: it measures 100 ms of wall clock;
 *   sleep: timers of 10, 20 and 30 ms that expire together are readied in
 *     deadline order, each into runnext, so the last one readied runs first;
 *   preempt: main may wake, and stop the spinners, before the second spinner
 *     ever ran (it then sends nothing, and main deadlocks).
 */
export const HOST_TIMED: Record<string, number> = { hog: 5, sleep: 5, preempt: 5 };

/** Go's answer: live (and checked against, or written to, the golden file) or the golden file. */
export function expected(name: string, live: boolean, tries = HOST_TIMED[name] ?? 1): Outcome {
  const hit = cache.get(name);
  if (hit) return hit;
  const gp = goldenPath(name);
  let o: Outcome;
  if (live) {
    o = goRun(name);
    if (tries > 1 && existsSync(gp) && process.env.GMPEMU_UPDATE_GOLDEN !== "1") {
      const golden = parseGolden(readFileSync(gp, "utf8"));
      for (let i = 1; i < tries && JSON.stringify(o) !== JSON.stringify(golden); i++) o = goRun(name);
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
  cache.set(name, o);
  return o;
}

/**
 * The part of a fatal program's stderr that is compared: every line up to
 * and including the first goroutine header, then the function name of the
 * first frame outside the runtime.
 */
export function fatalHead(stderr: string): string[] {
  const lines = stderr.split("\n");
  const h = lines.findIndex((l) => /^goroutine \d+ \[[^\]]+\]:$/.test(l));
  if (h < 0) return lines;
  const head = lines.slice(0, h + 1);
  const frame = lines.slice(h + 1).find((l) => l !== "" && !l.startsWith("\t") && !l.startsWith("runtime."));
  if (frame !== undefined) head.push(frame.replace(/\(.*\)$/, ""));
  return head;
}
