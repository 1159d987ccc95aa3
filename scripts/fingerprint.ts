// Behaviour fingerprint: runs every program through the CLI (`gmpemu run`)
// for seeds 1-5 with --procs 1 and 4, with --stats and --trace-out, and
// records the exit status, stdout, stderr (which holds --stats) and the
// trace, so that a refactoring can show it changed nothing, byte for byte.
//
//   node --import tsx scripts/fingerprint.ts OUTDIR [--only a,b] [--skip many] [--engine unicorn]
//
// OUTDIR gets one file per run (NAME.pP.sS.{out,err,json,code}); diff two
// OUTDIRs with `diff -r`. In-process, so the tsx start-up is paid once.
import { mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { main } from "../src/cli/main.ts";

const args = process.argv.slice(2);
const outDir = args[0];
if (!outDir) {
  process.stderr.write("usage: fingerprint.ts OUTDIR [--only a,b] [--skip a,b] [--seeds 1,2] [--procs 1,4] [--engine interp|unicorn]\n");
  process.exit(2);
}
const opt = (name: string): string[] | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]!.split(",") : undefined;
};
const only = opt("--only");
const skip = opt("--skip") ?? [];
const seeds = (opt("--seeds") ?? ["1", "2", "3", "4", "5"]).map(Number);
const procs = (opt("--procs") ?? ["1", "4"]).map(Number);
const engine = opt("--engine")?.[0];
mkdirSync(outDir, { recursive: true });

const programs = readdirSync("programs")
  .filter((f) => f.endsWith(".s") && f !== "sample.s")
  .map((f) => f.slice(0, -2))
  .filter((n) => (only ? only.includes(n) : !skip.includes(n)))
  .sort();

// Programs that need an option to end (or to end quickly).
const extra: Record<string, string[]> = { overflow: ["--max-stack", "1048576"] };

const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
for (const name of programs) {
  for (const p of procs) {
    for (const s of seeds) {
      const base = join(outDir, `${name}.p${p}.s${s}`);
      const tracePath = `${base}.json`;
      rmSync(tracePath, { force: true });
      const out: Buffer[] = [], err: Buffer[] = [];
      const cap = (sink: Buffer[]) => ((chunk: string | Uint8Array): boolean => {
        sink.push(Buffer.from(chunk));
        return true;
      }) as typeof process.stdout.write;
      process.stdout.write = cap(out);
      process.stderr.write = cap(err);
      const t0 = Date.now();
      let code: number;
      try {
        code = await main(["run", `programs/${name}.s`, "--procs", String(p), "--seed", String(s), "--stats",
          "--max-insns", "200000000", "--trace-out", tracePath, ...(engine ? ["--engine", engine] : []), ...(extra[name] ?? [])]);
      } finally {
        process.stdout.write = realOut;
        process.stderr.write = realErr;
      }
      writeFileSync(`${base}.out`, Buffer.concat(out));
      writeFileSync(`${base}.err`, Buffer.concat(err));
      writeFileSync(`${base}.code`, `${code}\n`);
      realErr(`${name} procs=${p} seed=${s}: exit ${code}, ${Date.now() - t0} ms\n`);
      void readFileSync;
    }
  }
}
