// gmpemu's benchmarks: instructions per second of each engine on three
// loops written in Go assembly (bench/*.s), assembled by our assembler:
//   alu      register ALU work and a counted branch,
//   ldst     stack loads and stores of every width,
//   callret  a CALL and RET per iteration.
// Engines and modes:
//   interp run     the interpreter's run() (the hot path),
//   interp step    step() one instruction at a time,
//   unicorn run    run(): uc_emu_start with unicorn's native instruction count,
//   unicorn free   uc_emu_start with no count and no hooks (QEMU at full speed),
//   unicorn step   step(): one uc_emu_start per instruction.
// alu-hand is bench/interp-alu.ts's hand-encoded loop (interp only).
// Each measurement sizes its iteration count to run about a quarter of a
// second and keeps the best of three. `npm run bench -- --json` prints JSON;
// `node bench/run.bundle.mjs --alu-only` measures the ALU windows alone.
// The interpreter on alu, the project's target (>= 100 MIPS), is measured
// apart: five windows of at least one second each, reported as min, median
// and max (the figure swings with the machine's load; one best run hides
// that). Each window also gives its rate per second of this process's CPU
// time, which other processes on a busy machine disturb far less.
// Then whole programs: programs/many.s (100,000 goroutines, --procs 4) in a
// child process, with its wall time and peak resident memory.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { createEngine, engineAvailable, type EngineName } from "../src/engine/index.ts";
import { loadImage, prepareCall, SENTINEL, type Loaded } from "../src/engine/load.ts";
import type { Engine, Stop } from "../src/engine/engine.ts";
import { UnicornEngine } from "../src/engine/unicorn.ts";
import { assembleFile } from "./asm.ts";
import { benchInterpAlu } from "./interp-alu.ts";

const here = dirname(fileURLToPath(import.meta.url));
const LOOPS = ["alu", "ldst", "callret"] as const;
type Mode = "run" | "step" | "free";
const MODES: [EngineName, Mode][] = [
  ["interp", "run"], ["interp", "step"], ["unicorn", "run"], ["unicorn", "free"], ["unicorn", "step"],
];
export const TARGET_INTERP_ALU_MIPS = 100;
const WINDOWS = 5, WINDOW_SECS = 1;

interface Windows {
  loop: string;
  engine: EngineName;
  mode: Mode;
  /** Per window: instructions, wall seconds, MIPS, and MIPS per CPU second. */
  windows: { instructions: number; seconds: number; mips: number; cpuMips: number }[];
  min: number;
  median: number;
  max: number;
  cpuMedian: number;
}

/** `WINDOWS` runs of at least `WINDOW_SECS` each, after a warm-up that sizes them. */
function measureWindows(loop: string, name: EngineName, mode: Mode): Windows {
  const image = assembleFile(join(here, `${loop}.s`));
  const e = createEngine(name);
  try {
    const loaded = loadImage(e, image);
    const sym = `main.${loop}`;
    let n = 100_000;
    for (;;) {
      const r = once(e, loaded, sym, mode, n);
      if (r.secs >= WINDOW_SECS * 1.1) break;
      n = Math.ceil(n * Math.min(16, Math.max(1.5, (WINDOW_SECS * 1.25) / Math.max(r.secs, 1e-3))));
    }
    const windows: Windows["windows"] = [];
    for (let k = 0; k < WINDOWS; k++) {
      const c0 = process.cpuUsage();
      const r = once(e, loaded, sym, mode, n);
      const cu = process.cpuUsage(c0);
      const cpu = (cu.user + cu.system) / 1e6;
      windows.push({ instructions: r.insns, seconds: r.secs, mips: r.insns / r.secs / 1e6, cpuMips: r.insns / cpu / 1e6 });
    }
    const sorted = windows.map((w) => w.mips).sort((a, b) => a - b);
    const cpuSorted = windows.map((w) => w.cpuMips).sort((a, b) => a - b);
    return {
      loop, engine: name, mode, windows,
      min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]!,
      cpuMedian: cpuSorted[Math.floor(cpuSorted.length / 2)]!,
    };
  } finally {
    e.close();
  }
}

interface Result {
  loop: string;
  engine: EngineName;
  mode: Mode;
  instructions: number;
  seconds: number;
  mips: number;
}

function once(e: Engine, loaded: Loaded, sym: string, mode: Mode, n: number): { insns: number; secs: number } {
  prepareCall(e, loaded.addrOf.get(sym)!, [BigInt(n)]);
  const before = e.icount;
  let stop: Stop;
  const t0 = process.hrtime.bigint();
  if (mode === "run") {
    stop = e.run(Number.MAX_SAFE_INTEGER);
  } else if (mode === "free") {
    stop = (e as UnicornEngine).runUncounted(SENTINEL);
  } else {
    while ((stop = e.step()).kind === "count");
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  // A free run ends at `until` (the sentinel) as a halt.
  const returned = (stop.kind === "hostcall" && stop.addr === SENTINEL) || (mode === "free" && stop.kind === "halt");
  if (!returned) throw new Error(`${sym} on ${e.name} (${mode}) stopped with ${JSON.stringify(stop)}`);
  return { insns: e.icount - before, secs };
}

function measure(loop: string, name: EngineName, mode: Mode): Result {
  const image = assembleFile(join(here, `${loop}.s`));
  const e = createEngine(name);
  try {
    const loaded = loadImage(e, image);
    const sym = `main.${loop}`;
    // Instructions per iteration and fixed cost, from two exact counted runs
    // (the free mode counts nothing itself).
    const counter = createEngine(name === "unicorn" ? "unicorn" : "interp");
    const cl = loadImage(counter, image);
    const i1 = once(counter, cl, sym, "run", 10).insns, i2 = once(counter, cl, sym, "run", 20).insns;
    counter.close();
    const per = (i2 - i1) / 10, fixed = i1 - 10 * per;
    let n = 1000;
    let best = { insns: 0, secs: Infinity };
    for (let tries = 0; tries < 12; tries++) {
      const r = once(e, loaded, sym, mode, n);
      const insns = mode === "free" ? fixed + per * n : r.insns;
      if (r.secs < 0.05) {
        n = Math.min(n * Math.max(2, Math.ceil(0.25 / Math.max(r.secs, 1e-4))), 2 ** 40);
        continue;
      }
      if (insns / r.secs > best.insns / best.secs) best = { insns, secs: r.secs };
      if (tries >= 4) break;
    }
    return { loop, engine: name, mode, instructions: best.insns, seconds: best.secs, mips: best.insns / best.secs / 1e6 };
  } finally {
    e.close();
  }
}

interface ProgramResult {
  file: string; procs: number; engine: string; code: number; seconds: number; instructions: number;
  hostCalls: number; threads: number; goroutines: number; maxRSSMiB: number; output: string;
}

/** Runs a program in a child process (bench/program.ts) so its peak memory is its own. */
function measureProgram(file: string, procs: number): ProgramResult {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(here, "program.ts"), join(here, "..", file), String(procs), "1", "interp"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${file}: ${r.stderr}`);
  const res = JSON.parse(r.stdout) as ProgramResult;
  res.file = file;
  return res;
}

function main(): void {
  const json = process.argv.includes("--json");
  if (process.argv.includes("--alu-only")) {
    // The interpreter's ALU windows alone (a quick before/after figure).
    const w = measureWindows("alu", "interp", "run");
    process.stdout.write(json ? JSON.stringify(w, null, 2) + "\n" :
      `interp run on alu, ${WINDOWS} windows of >= ${WINDOW_SECS} s: min ${w.min.toFixed(1)}, median ${w.median.toFixed(1)}, max ${w.max.toFixed(1)} MIPS ` +
      `(per CPU second: ${w.windows.map((x) => x.cpuMips.toFixed(1)).join(", ")}; median ${w.cpuMedian.toFixed(1)})\n`);
    return;
  }
  const results: Result[] = [];
  const skipped: string[] = [];
  for (const loop of LOOPS) {
    for (const [name, mode] of MODES) {
      if (!engineAvailable(name)) {
        if (!skipped.includes(name)) skipped.push(name);
        continue;
      }
      results.push(measure(loop, name, mode));
    }
  }
  // The interpreter helper's hand-encoded ALU loop (bench/interp-alu.ts), for comparison.
  if (engineAvailable("interp")) {
    benchInterpAlu(200_000);
    let best = benchInterpAlu(5_000_000);
    for (let i = 0; i < 2; i++) {
      const r = benchInterpAlu(5_000_000);
      if (r.mips > best.mips) best = r;
    }
    results.push({ loop: "alu-hand", engine: "interp", mode: "run", instructions: best.insns, seconds: best.seconds, mips: best.mips });
  }
  // Whole programs: 100,000 goroutines created and finished with 4 Ps.
  const programs: ProgramResult[] = [];
  if (!process.argv.includes("--no-programs")) programs.push(measureProgram("programs/many.s", 4));
  const alu = measureWindows("alu", "interp", "run");
  const target = {
    interpAluMips: TARGET_INTERP_ALU_MIPS, windows: WINDOWS, windowSeconds: WINDOW_SECS,
    min: alu.min, median: alu.median, max: alu.max, cpuMedian: alu.cpuMedian, met: alu.median >= TARGET_INTERP_ALU_MIPS,
  };
  if (json) {
    process.stdout.write(JSON.stringify({ results, aluWindows: alu, programs, target, skipped }, null, 2) + "\n");
    return;
  }
  const lines = [`${"loop".padEnd(9)} ${"engine".padEnd(14)} ${"MIPS".padStart(10)} ${"instructions".padStart(14)} ${"seconds".padStart(8)}`];
  for (const r of results) {
    lines.push(`${r.loop.padEnd(9)} ${(r.engine + " " + r.mode).padEnd(14)} ${r.mips.toFixed(r.mips < 10 ? 2 : 1).padStart(10)} ${String(r.instructions).padStart(14)} ${r.seconds.toFixed(3).padStart(8)}`);
  }
  for (const s of skipped) lines.push(`(${s}: not available on this machine, skipped)`);
  for (const p of programs) {
    lines.push(`program ${p.file} --procs ${p.procs}: ${p.seconds.toFixed(2)} s, ${p.instructions} instructions, ${p.hostCalls} host calls, ${p.goroutines} gs allocated, ${p.threads} threads, peak RSS ${p.maxRSSMiB} MiB (${p.output})`);
  }
  lines.push(`interp run on alu, ${WINDOWS} windows of >= ${WINDOW_SECS} s: min ${alu.min.toFixed(1)}, median ${alu.median.toFixed(1)}, max ${alu.max.toFixed(1)} MIPS ` +
    `(per CPU second: median ${alu.cpuMedian.toFixed(1)})`);
  lines.push(`target: interp run on alu >= ${TARGET_INTERP_ALU_MIPS} MIPS (median): ${target.met ? "met" : "NOT met"}`);
  process.stdout.write(lines.join("\n") + "\n");
}

// GMPEMU_BENCH_NO_MAIN=1 lets a script import measure() without running the table.
if (process.env.GMPEMU_BENCH_NO_MAIN !== "1") main();
export { measure, measureWindows };
