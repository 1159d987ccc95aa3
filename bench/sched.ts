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
// On unicorn each result also gives the native calls per unit (FFI calls
// through koffi, and uc_emu_start among them), counted at two sizes as the
// rates are (src/engine/unicorn.ts, countUnicornCalls).
//
// --cpu measures the process's CPU time instead of the wall clock: on a
// shared machine the wall clock counts other processes' time too.
//
// Allocation (--gc): gosched runs again at the two sizes under a GC
// observer, in a process started with a fixed young generation
// (--min/--max-semi-space-size, see bench/main.ts), so every minor
// collection (scavenge) stands for one young generation's worth of
// allocation; the difference of the two counts over the difference of the
// switches gives scavenges, and so bytes, per switch. No allocation per
// switch means no scavenges between the two sizes.
//
//   node --import tsx bench/sched.ts [--json] [--engine interp|unicorn] [--native] [--cpu] [--gc]
//
// bench/main.ts (npm run bench) runs this file bundled, in processes of
// its own, and puts its JSON in the whole table.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PerformanceObserver, constants as perfConstants } from "node:perf_hooks";
import { runProgram } from "../src/node/boot.ts";
import { countUnicornCalls, unicornCalls } from "../src/engine/unicorn.ts";

const here = dirname(fileURLToPath(import.meta.url));
const SCHED_DIR = join(here, "sched");

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
  /** unicorn: native calls (koffi) per unit. */
  ffiCalls?: number;
  /** unicorn: uc_emu_start calls per unit. */
  emuStarts?: number;
}

/** Times a run by the process's CPU time instead of the wall clock (--cpu). */
let cpuClock = false;
export function useCpuClock(on: boolean): void {
  cpuClock = on;
}

export function withN(name: string, n: number, dir: string): string {
  const src = readFileSync(join(SCHED_DIR, `${name}.s`), "utf8")
    .replace('#include "textflag.h"', `#include "textflag.h"\n#define N ${n}`);
  const f = join(dir, `${name}-${n}.s`);
  writeFileSync(f, src);
  return f;
}

function timeRun(file: string, engine: string): number {
  const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
  const r = runProgram([file], { engine, nosysmon: true, stdout: () => {}, stderr: () => {} });
  const c = process.cpuUsage(c0);
  const s = cpuClock ? (c.user + c.system) / 1e6 : Number(process.hrtime.bigint() - t0) / 1e9;
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
    const built = spawnSync(go, ["build", "-o", exe, join(SCHED_DIR, `${b.name}.go`)], {
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

/** unicorn: native calls and uc_emu_starts per unit, from two sizes. */
export function unicornCallsPer(b: SchedBench, n1: number, n2: number): { ffiCalls: number; emuStarts: number } {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-sched-calls-"));
  countUnicornCalls(true);
  try {
    const count = (n: number): { ffi: number; emu: number } => {
      const f = withN(b.name, n, dir);
      const ffi = unicornCalls.ffi, emu = unicornCalls.emuStart;
      timeRun(f, "unicorn");
      return { ffi: unicornCalls.ffi - ffi, emu: unicornCalls.emuStart - emu };
    };
    const a = count(n1), c = count(n2);
    const units = (n2 - n1) * b.perN;
    return { ffiCalls: (c.ffi - a.ffi) / units, emuStarts: (c.emu - a.emu) / units };
  } finally {
    countUnicornCalls(false);
    rmSync(dir, { recursive: true, force: true });
  }
}

export const SIZES: Record<string, [number, number]> = { interp: [10_000, 110_000], unicorn: [2_000, 12_000] };
export const NATIVE_SIZES: [number, number] = [1_000_000, 11_000_000];

export function runSchedBenches(engine: string, native: boolean): SchedResult[] {
  const out: SchedResult[] = [];
  for (const b of SCHED_BENCHES) {
    const [n1, n2] = SIZES[engine] ?? SIZES.interp!;
    const rate = schedRate(b, engine, n1, n2);
    const r: SchedResult = { name: b.name, unit: b.unit, engine, rate };
    if (engine === "unicorn") Object.assign(r, unicornCallsPer(b, 1000, 2000));
    const nat = native ? nativeRate(b, ...NATIVE_SIZES) : undefined;
    if (nat !== undefined) {
      r.native = nat;
      r.slowdown = nat / rate;
    }
    out.push(r);
  }
  return out;
}

export interface AllocResult {
  engine: string;
  /** Switches between the two sizes. */
  switches: number;
  /** Minor collections between the two sizes. */
  scavenges: number;
  /** The young generation's size this process was started with (bytes), 0 if unknown. */
  semiSpaceBytes: number;
  /** Estimated bytes allocated per switch (scavenges × semi-space / switches). */
  bytesPerSwitch: number;
}

/** Minor collections while gosched runs at two sizes (see the essay). */
export async function allocPerSwitch(engine: string, semiSpaceBytes: number): Promise<AllocResult> {
  const b = SCHED_BENCHES[0]!;
  const [n1, n2] = SIZES[engine] ?? SIZES.interp!;
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-sched-gc-"));
  let minor = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  obs.observe({ entryTypes: ["gc"] });
  // The observer's entries arrive on later turns of the event loop.
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
  try {
    const f1 = withN(b.name, n1, dir), f2 = withN(b.name, n2, dir);
    timeRun(f2, engine); // warm-up: the optimizing compiler settles before counting
    await settle();
    const count = async (f: string): Promise<number> => {
      const m0 = minor;
      timeRun(f, engine);
      await settle();
      return minor - m0;
    };
    const c1 = await count(f1), c2 = await count(f2);
    const switches = (n2 - n1) * b.perN, scavenges = Math.max(0, c2 - c1);
    return { engine, switches, scavenges, semiSpaceBytes, bytesPerSwitch: (scavenges * semiSpaceBytes) / switches };
  } finally {
    obs.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && /[\\/]sched(\.bundle)?\.(ts|mjs)$/.test(process.argv[1])) {
  const argv = process.argv.slice(2);
  const json = argv.includes("--json");
  const ei = argv.indexOf("--engine");
  const engine = ei >= 0 ? argv[ei + 1]! : "interp";
  const si = argv.indexOf("--semi-space-mib");
  const semi = si >= 0 ? Number(argv[si + 1]) * 1024 * 1024 : 0;
  useCpuClock(argv.includes("--cpu"));
  if (argv.includes("--gc")) {
    const r = await allocPerSwitch(engine, semi);
    if (json) console.log(JSON.stringify(r));
    else console.log(`gosched ${engine}: ${r.scavenges} scavenges in ${r.switches} switches` + (semi ? ` (~${r.bytesPerSwitch.toFixed(0)} bytes/switch)` : ""));
  } else {
    const rs = runSchedBenches(engine, argv.includes("--native"));
    if (json) console.log(JSON.stringify(rs, null, 2));
    else {
      for (const r of rs) {
        console.log(`${r.name.padEnd(9)} ${engine.padEnd(8)} ${Math.round(r.rate).toLocaleString("en").padStart(12)} ${r.unit}/s` +
          (r.ffiCalls !== undefined ? `   ${r.ffiCalls.toFixed(1)} FFI calls, ${r.emuStarts!.toFixed(1)} uc_emu_start per unit` : "") +
          (r.native ? `   native Go ${Math.round(r.native).toLocaleString("en")}/s (${r.slowdown!.toFixed(1)}× faster)` : ""));
      }
    }
  }
}
