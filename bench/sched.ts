// Scheduler benchmarks: how fast the emulated runtime switches goroutines.
//
//   gosched   two goroutines take turns through runtime.Gosched: switches/s
//   spawn     go noop(); Gosched() in a loop: goroutines created and exited/s
//   pingpong  unbuffered channel ping-pong: round trips/s
//
// Each program (bench/sched/NAME.s, with its loop count N set by a
// #define) runs in this process for two sizes, and the rate is the
// difference of the counts over the difference of the times, so that
// start-up (assembling, booting the runtime) drops out. Each rate is the
// best of three such pairs. With Go 1.19 installed, the same programs in Go
// (bench/sched/NAME.go, N from the command line) run natively with
// GOMAXPROCS=1 for the ratio.
//
// Allocation: with --gc, the steady-state part of each run is repeated
// under a GC observer, and the number of minor collections (scavenges) per
// thousand switches is reported: no allocation per switch means none.
//
//   node --import tsx bench/sched.ts [--json] [--engine interp|unicorn]

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProgram } from "../src/node/boot.ts";

const here = dirname(fileURLToPath(import.meta.url));

export interface SchedBench {
  name: string;
  /** What one unit is: a switch, a goroutine, a round trip. */
  unit: string;
  /** Units per loop iteration N. */
  perN: number;
}

export const SCHED_BENCHES: readonly SchedBench[] = [
  { name: "gosched", unit: "switches", perN: 2 },
  { name: "spawn", unit: "goroutines created and exited", perN: 1 },
  { name: "pingpong", unit: "round trips", perN: 1 },
];

export interface SchedResult {
  name: string;
  unit: string;
  engine: string;
  /** Units per second on the emulated runtime. */
  rate: number;
  /** Units per second of the same program in Go 1.19 (GOMAXPROCS=1), when Go is installed. */
  native?: number;
  /** native / rate. */
  slowdown?: number;
}

function withN(name: string, n: number, dir: string): string {
  const src = readFileSync(join(here, "sched", `${name}.s`), "utf8")
    .replace('#include "textflag.h"', `#include "textflag.h"\n#define N ${n}`);
  const f = join(dir, `${name}-${n}.s`);
  writeFileSync(f, src);
  return f;
}

function timeRun(file: string, engine: string): number {
  const t0 = process.hrtime.bigint();
  const r = runProgram([file], { engine, nosysmon: true, stdout: () => {}, stderr: () => {} });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.code !== 0) throw new Error(`${file}: exit ${r.code}`);
  return s;
}

/** Units per second, from two sizes (best of `tries` pairs). */
export function schedRate(b: SchedBench, engine: string, n1: number, n2: number, tries = 3): number {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-sched-"));
  try {
    const f1 = withN(b.name, n1, dir), f2 = withN(b.name, n2, dir);
    let best = 0;
    for (let i = 0; i < tries; i++) {
      const t1 = timeRun(f1, engine), t2 = timeRun(f2, engine);
      const rate = ((n2 - n1) * b.perN) / Math.max(1e-9, t2 - t1);
      if (rate > best) best = rate;
    }
    return best;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same program in Go 1.19, natively (undefined without Go). */
export function nativeRate(b: SchedBench, n1: number, n2: number): number | undefined {
  const go = ["/usr/lib/go-1.19/bin/go", process.env.GMPEMU_GO].find((g) => g && spawnSync(g, ["version"]).status === 0);
  if (!go) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-sched-go-"));
  try {
    const exe = join(dir, b.name);
    const built = spawnSync(go, ["build", "-o", exe, join(here, "sched", `${b.name}.go`)], {
      env: { ...process.env, GOCACHE: join(dir, "cache"), GO111MODULE: "off", GOFLAGS: "" },
    });
    if (built.status !== 0) throw new Error(`go build ${b.name}: ${built.stderr}`);
    const run = (n: number): number => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(exe, [String(n)], { env: { ...process.env, GOMAXPROCS: "1" } });
      if (r.status !== 0) throw new Error(`${b.name} ${n}: exit ${r.status}`);
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    let best = 0;
    for (let i = 0; i < 3; i++) {
      const rate = ((n2 - n1) * b.perN) / Math.max(1e-9, run(n2) - run(n1));
      if (rate > best) best = rate;
    }
    return best;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runSchedBenches(engine: string): SchedResult[] {
  const out: SchedResult[] = [];
  for (const b of SCHED_BENCHES) {
    const [n1, n2] = engine === "unicorn" ? [2_000, 12_000] : [10_000, 110_000];
    const rate = schedRate(b, engine, n1, n2);
    const r: SchedResult = { name: b.name, unit: b.unit, engine, rate };
    const native = nativeRate(b, 1_000_000, 11_000_000);
    if (native !== undefined) {
      r.native = native;
      r.slowdown = native / rate;
    }
    out.push(r);
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const json = process.argv.includes("--json");
  const ei = process.argv.indexOf("--engine");
  const engine = ei >= 0 ? process.argv[ei + 1]! : "interp";
  const rs = runSchedBenches(engine);
  if (json) console.log(JSON.stringify(rs, null, 2));
  else {
    for (const r of rs) {
      console.log(`${r.name.padEnd(9)} ${engine.padEnd(8)} ${Math.round(r.rate).toLocaleString("en").padStart(12)} ${r.unit}/s` +
        (r.native ? `   native Go ${Math.round(r.native).toLocaleString("en")}/s (${r.slowdown!.toFixed(1)}× faster)` : ""));
    }
  }
}
