// `npm run bench`: every figure the project holds itself to, in one table,
// beside its target and, where Go 1.19 is installed, native Go's figure in
// the same run.
//
// What runs, each in a process of its own (so that one measurement's heap,
// compiled code and peak memory do not leak into the next):
//   mips      bench/run.ts: the engines on three loops, and the interpreter
//             on the ALU loop over five windows of at least a second;
//   sched     bench/sched.ts per engine: Gosched switches, goroutines created
//             and exited, ping-pong round trips per second (and native Go's);
//   alloc     bench/sched.ts --gc: minor collections per switch, in a process
//             whose young generation is fixed at 16 MiB;
//   programs  bench/program.ts: programs/many.s with 4 Ps (time, peak RSS),
//             and bench/sched/blocked.s at two sizes, 100,000 and 1,000,000
//             goroutines parked on a channel: resident memory per goroutine
//             from the difference, and the total at a million;
//   startup   the gmpemu command as a user runs it (bin/gmpemu.mjs, so the
//             bundle): `run programs/hello.s` with a cold and a warm runtime
//             image cache, and `--help`, each the best of five whole processes.
//
// The measured code is the bundle, as users run it: `npm run bench` first
// builds the bench's own entries with esbuild (scripts/build.mjs --bench
// writes bench/*.bundle.mjs beside their sources, so that each finds its
// .s files where it expects), then runs bench/main.bundle.mjs. Run from
// the TypeScript sources (node --import tsx bench/main.ts) it spawns them
// through tsx instead; the figures are then tsx's and not the product's.
//
// Times are wall-clock: run it on a quiet machine. Flags:
//   --json          the whole result as JSON
//   --quick         blocked goroutines at 20,000 and 200,000 instead
//   --only a,b      only those sections (mips, sched, alloc, programs, startup)
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { engineAvailable } from "../src/engine/index.ts";

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, "..");
const bundled = import.meta.url.endsWith(".bundle.mjs");
const SECTIONS = ["mips", "sched", "alloc", "programs", "startup"] as const;
type Section = (typeof SECTIONS)[number];

/** The targets of issue 14, by key. */
const TARGETS = {
  goschedInterp: 500_000, spawnInterp: 250_000, pingpongInterp: 250_000, goschedUnicorn: 100_000,
  manySeconds: 3, blockedMillionGiB: 3, helloSeconds: 0.3, helpSeconds: 0.3, aluMips: 100, bytesPerSwitch: 0,
};

/** Runs one bench entry in a child process and parses its JSON. */
function child<T>(entry: string, args: string[], nodeFlags: string[] = []): T {
  const argv = bundled
    ? [...nodeFlags, join(here, `${entry}.bundle.mjs`), ...args]
    : [...nodeFlags, "--import", "tsx", join(here, `${entry}.ts`), ...args];
  const r = spawnSync(process.execPath, argv, { encoding: "utf8", maxBuffer: 1 << 26, cwd: ROOT });
  if (r.status !== 0) throw new Error(`bench ${entry} ${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface ProgramResult {
  file: string; procs: number; engine: string; code: number; seconds: number; cpuSeconds: number; instructions: number;
  hostCalls: number; threads: number; goroutines: number; maxRSSMiB: number; output: string;
}

function program(file: string, procs: number): ProgramResult {
  const r = child<ProgramResult>("program", [file, String(procs), "1", "interp"]);
  if (r.code !== 0) throw new Error(`${file}: exit ${r.code} (${r.output})`);
  return r;
}

/** Resident memory per blocked goroutine, from blocked.s at two sizes. */
function blocked(n1: number, n2: number): { n1: number; n2: number; rss1MiB: number; rss2MiB: number; kibPerGoroutine: number; seconds2: number } {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-bench-blocked-"));
  try {
    const src = readFileSync(join(here, "sched", "blocked.s"), "utf8");
    const at = (n: number): ProgramResult => {
      const f = join(dir, `blocked-${n}.s`);
      writeFileSync(f, src.replace('#include "textflag.h"', `#include "textflag.h"\n#define N ${n}`));
      const r = program(f, 1);
      // main prints NumGoroutine: the N parked ones and itself.
      if (r.output !== String(n + 1)) throw new Error(`blocked ${n}: printed ${r.output}`);
      return r;
    };
    const a = at(n1), b = at(n2);
    return { n1, n2, rss1MiB: a.maxRSSMiB, rss2MiB: b.maxRSSMiB, kibPerGoroutine: ((b.maxRSSMiB - a.maxRSSMiB) * 1024) / (n2 - n1), seconds2: b.seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The best of `k` whole `gmpemu` processes: wall seconds, and CPU seconds (user + system, from /usr/bin/time where there is one). */
function command(args: string[], env: NodeJS.ProcessEnv, k = 5, fresh?: () => NodeJS.ProcessEnv): { wall: number; cpu?: number } {
  const time = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-bench-time-"));
  let wall = Infinity, cpu: number | undefined;
  try {
    for (let i = 0; i < k; i++) {
      const tf = join(dir, "t");
      const cmd = [process.execPath, join(ROOT, "bin", "gmpemu.mjs"), ...args];
      const t0 = process.hrtime.bigint();
      const r = time
        ? spawnSync(time, ["-f", "%U %S", "-o", tf, ...cmd], { encoding: "utf8", cwd: ROOT, env: { ...process.env, ...env, ...fresh?.() } })
        : spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", cwd: ROOT, env: { ...process.env, ...env, ...fresh?.() } });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.status !== 0) throw new Error(`gmpemu ${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
      wall = Math.min(wall, s);
      if (time) {
        const [u, sy] = readFileSync(tf, "utf8").trim().split(/\s+/).slice(-2).map(Number);
        cpu = Math.min(cpu ?? Infinity, u! + sy!);
      }
    }
    return { wall, cpu };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Timed = { wall: number; cpu?: number };
function startup(): { helloCold: Timed; helloWarm: Timed; help: Timed; bundle: boolean } {
  const dist = join(ROOT, "dist", "gmpemu.mjs");
  const cache = mkdtempSync(join(tmpdir(), "gmpemu-bench-cache-"));
  try {
    let k = 0;
    const helloCold = command(["run", "programs/hello.s"], {}, 3, () => ({ GMPEMU_CACHE_DIR: join(cache, `cold${k++}`) }));
    command(["run", "programs/hello.s"], { GMPEMU_CACHE_DIR: join(cache, "warm") }, 1);
    const helloWarm = command(["run", "programs/hello.s"], { GMPEMU_CACHE_DIR: join(cache, "warm") });
    const help = command(["--help"], {});
    return { helloCold, helloWarm, help, bundle: existsSync(dist) };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

interface SchedResult { name: string; unit: string; engine: string; rate: number; native?: number; slowdown?: number }
interface MipsJson {
  results: { loop: string; engine: string; mode: string; mips: number }[];
  aluWindows?: { min: number; median: number; max: number; cpuMedian: number };
  skipped: string[];
}
interface AllocResult { engine: string; switches: number; scavenges: number; semiSpaceBytes: number; bytesPerSwitch: number }

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const json = argv.includes("--json");
  const quick = argv.includes("--quick");
  const oi = argv.indexOf("--only");
  const only = oi >= 0 ? (argv[oi + 1] ?? "").split(",") : [...SECTIONS];
  for (const s of only) if (!SECTIONS.includes(s as Section)) throw new Error(`--only: no section ${s} (${SECTIONS.join(", ")})`);
  const want = (s: Section): boolean => only.includes(s);
  const log = (s: string): void => { if (!json) process.stderr.write(s + "\n"); };

  const out: Record<string, unknown> = { bundled, node: process.version };
  const rows: [string, string, string, string][] = [];
  const row = (metric: string, value: string, target: string, met?: boolean): void => {
    rows.push([metric, value, target, met === undefined ? "" : met ? "met" : "NOT met"]);
  };
  const fmt = (n: number): string => Math.round(n).toLocaleString("en");

  if (want("mips")) {
    log("mips: the engines on alu, ldst, callret ...");
    const m = child<MipsJson>("run", ["--json", "--no-programs"]);
    out.mips = m;
    for (const r of m.results) row(`${r.loop} ${r.engine} ${r.mode} (MIPS)`, r.mips.toFixed(1), "", undefined);
    if (m.aluWindows) {
      const w = m.aluWindows;
      row("alu interp run, 5 windows ≥1 s (MIPS)", `min ${w.min.toFixed(1)} / median ${w.median.toFixed(1)} / max ${w.max.toFixed(1)}`, `≥ ${TARGETS.aluMips}`, w.median >= TARGETS.aluMips);
    }
  }
  if (want("sched")) {
    const sched: SchedResult[] = [];
    log("sched: interp (and native Go) ...");
    sched.push(...child<SchedResult[]>("sched", ["--json", "--engine", "interp", "--native"]));
    if (engineAvailable("unicorn")) {
      log("sched: unicorn ...");
      sched.push(...child<SchedResult[]>("sched", ["--json", "--engine", "unicorn"]));
    }
    out.sched = sched;
    const natives = new Map(sched.filter((r) => r.native).map((r) => [r.name, r.native!]));
    const target: Record<string, number> = { "gosched interp": TARGETS.goschedInterp, "spawn interp": TARGETS.spawnInterp, "pingpong interp": TARGETS.pingpongInterp, "gosched unicorn": TARGETS.goschedUnicorn };
    for (const r of sched) {
      const nat = natives.get(r.name);
      const t = target[`${r.name} ${r.engine}`];
      row(`${r.name} ${r.engine} (${r.unit}/s)`, fmt(r.rate) + (nat ? ` (native ${fmt(nat)}, ${(nat / r.rate).toFixed(0)}×)` : ""), t ? `≥ ${fmt(t)}` : "", t ? r.rate >= t : undefined);
    }
  }
  if (want("alloc")) {
    log("alloc: minor collections per switch ...");
    const semi = 16;
    const a = child<AllocResult>("sched", ["--json", "--gc", "--semi-space-mib", String(semi)], [`--min-semi-space-size=${semi}`, `--max-semi-space-size=${semi}`]);
    out.alloc = a;
    row("gosched interp: allocation per switch (bytes, ≈)", `${a.bytesPerSwitch.toFixed(0)} (${a.scavenges} scavenges of ${semi} MiB in ${fmt(a.switches)} switches)`, "0", a.scavenges === 0);
  }
  if (want("programs")) {
    log("programs: many.s --procs 4 ...");
    const many = program(join(ROOT, "programs", "many.s"), 4);
    const [n1, n2] = quick ? [20_000, 200_000] : [100_000, 1_000_000];
    log(`programs: blocked.s at ${fmt(n1)} and ${fmt(n2)} goroutines ...`);
    const b = blocked(n1, n2);
    out.programs = { many, blocked: b };
    row("many.s, 4 Ps, interp (s)", `${many.seconds.toFixed(2)} (CPU ${many.cpuSeconds.toFixed(2)}, peak RSS ${many.maxRSSMiB} MiB)`, `< ${TARGETS.manySeconds}`, many.seconds < TARGETS.manySeconds);
    row(`blocked goroutines: RSS per goroutine (KiB)`, `${b.kibPerGoroutine.toFixed(2)} (Go: 2.6)`, "", undefined);
    row(`blocked goroutines: RSS at ${fmt(b.n2)} (GiB)`, (b.rss2MiB / 1024).toFixed(2), n2 === 1_000_000 ? `≤ ${TARGETS.blockedMillionGiB}` : "", n2 === 1_000_000 ? b.rss2MiB / 1024 <= TARGETS.blockedMillionGiB : undefined);
  }
  if (want("startup")) {
    log("startup: gmpemu run hello.s, --help ...");
    const s = startup();
    out.startup = s;
    const t = (x: Timed): string => x.wall.toFixed(3) + (x.cpu !== undefined ? ` (CPU ${x.cpu.toFixed(2)})` : "");
    row("run hello.s, cold image cache (s)", t(s.helloCold), "", undefined);
    row("run hello.s, whole process (s)", t(s.helloWarm), `< ${TARGETS.helloSeconds}`, s.helloWarm.wall < TARGETS.helloSeconds);
    row("--help, whole process (s)", t(s.help), `< ${TARGETS.helpSeconds}`, s.help.wall < TARGETS.helpSeconds);
  }
  out.table = rows.map(([metric, value, target, verdict]) => ({ metric, value, target, verdict }));
  if (json) {
    process.stdout.write(JSON.stringify(out, null, 2) + "\n");
    return;
  }
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 6));
  const lines = [["metric", "value", "target", ""], ...rows].map((r) => r.map((c, i) => (i < 3 ? c.padEnd(w[i]!) : c)).join("  ").trimEnd());
  if (!bundled) lines.unshift("(from the TypeScript sources through tsx: npm run bench measures the bundle)");
  process.stdout.write(lines.join("\n") + "\n");
}

await main();
