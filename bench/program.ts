// One whole program on the emulated runtime, measured in a process of its
// own so that its peak memory is its own: wall time, instructions, host
// calls, threads, and the process's maximum resident set size.
// Usage: node --import tsx bench/program.ts FILE.s PROCS SEED ENGINE
import { runProgram } from "../src/node/boot.ts";

const [file, procs = "4", seed = "1", engine = "interp"] = process.argv.slice(2);
if (!file) throw new Error("usage: program.ts FILE.s [PROCS] [SEED] [ENGINE]");
let out = "";
const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
const r = runProgram([file], {
  procs: Number(procs), seed: Number(seed), engine,
  stderr: (b) => { out += new TextDecoder().decode(b); },
  stdout: (b) => { out += new TextDecoder().decode(b); },
});
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cu = process.cpuUsage(c0);
const m = r.machine;
process.stdout.write(JSON.stringify({
  file, procs: Number(procs), engine, code: r.code, seconds, cpuSeconds: (cu.user + cu.system) / 1e6, instructions: r.insns,
  hostCalls: m.bridge.calls, threads: m.kernel.threads.length, goroutines: m.allgs.length,
  maxRSSMiB: Math.round(process.resourceUsage().maxRSS / 1024), output: out.trim().split("\n").slice(-1)[0],
}) + "\n");
