// The four single-line bugs issue 11 found the suite blind to, applied one
// at a time to a scratch copy of the tree, each run against the tests that
// must now catch it. Not part of `npm test` (it runs vitest four times);
// run it after touching those tests:
//
//   node --import tsx scripts/issue11-mutants.ts
//
// Exit status 0 when the unmutated copy passes and every mutant makes at
// least one test fail; the failing tests are listed for each.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

interface Mutant {
  name: string;
  file: string;
  from: string;
  to: string;
  tests: string[];
}

const MUTANTS: Mutant[] = [
  {
    name: "findRunnable's every-61st-tick check of the global queue disabled",
    file: "src/runtime/proc.ts",
    from: "if (mem.u32(pp + p_schedtick) % 61 === 0 && mem.i32(s + schedt_runqsize) > 0) {",
    to: "if (false && mem.u32(pp + p_schedtick) % 61 === 0 && mem.i32(s + schedt_runqsize) > 0) {",
    tests: ["test/runtime/sched.test.ts"],
  },
  {
    name: "casgstatus: _Gsyscall → _Grunnable swapped for _Grunnable → _Gwaiting",
    file: "src/runtime/gstatus.ts",
    from: "[_Gsyscall, _Grunning], [_Gsyscall, _Grunnable],",
    to: "[_Gsyscall, _Grunning], [_Grunnable, _Gwaiting],",
    tests: ["test/runtime/sched.test.ts"],
  },
  {
    name: "the linker drops a PC-relative relocation's addend",
    file: "src/asm/link.ts",
    from: "const v = S + r.add - (ls.addr + r.offset + r.size);",
    to: "const v = S - (ls.addr + r.offset + r.size);",
    tests: ["test/asm/link.test.ts"],
  },
  {
    name: "the bridge reads a continuation's results at the wrong offset",
    file: "src/runtime/bridge.ts",
    from: "s.h.returned(sp, s.callSig);",
    to: "s.h.returned(sp + 8, s.callSig);",
    tests: ["test/runtime/sched.test.ts", "test/runtime/bridge.test.ts"],
  },
];

interface JsonReport { testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[] }

function vitest(dir: string, files: string[]): { status: number; failed: string[] } {
  const report = join(dir, "report.json");
  rmSync(report, { force: true });
  const r = spawnSync(process.execPath, [join(dir, "node_modules/vitest/vitest.mjs"), "run", ...files, "--reporter=json", `--outputFile=${report}`], {
    cwd: dir, encoding: "utf8", maxBuffer: 64 << 20,
  });
  let failed: string[] = [];
  try {
    const j = JSON.parse(readFileSync(report, "utf8")) as JsonReport;
    failed = j.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === "failed").map((a) => `${f.name.slice(dir.length + 1)} > ${a.fullName}`));
  } catch {
    failed = [`(no report: vitest exited ${r.status}) ${r.stderr.slice(-500)}`];
  }
  return { status: r.status ?? 1, failed };
}

const dir = mkdtempSync(join(tmpdir(), "gmpemu-mutants-"));
let bad = 0;
try {
  for (const d of ["src", "test", "asm", "programs", "scripts"]) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  for (const f of ["package.json", "tsconfig.json", "vitest.config.ts"]) cpSync(join(ROOT, f), join(dir, f));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const all = [...new Set(MUTANTS.flatMap((m) => m.tests))];
  const base = vitest(dir, all);
  console.log(`unmutated: ${base.status === 0 ? "pass" : `FAIL (${base.failed.join("; ")})`}`);
  if (base.status !== 0) bad++;
  for (const m of MUTANTS) {
    const path = join(dir, m.file);
    const src = readFileSync(path, "utf8");
    if (src.split(m.from).length !== 2) {
      console.log(`${m.name}: the line to mutate is not in ${m.file} exactly once; update this script`);
      bad++;
      continue;
    }
    writeFileSync(path, src.replace(m.from, m.to));
    const r = vitest(dir, m.tests);
    writeFileSync(path, src);
    if (r.status === 0 || r.failed.length === 0) {
      console.log(`${m.name}: SURVIVED ${m.tests.join(" ")}`);
      bad++;
    } else {
      console.log(`${m.name}: killed by ${r.failed.length} test(s):\n    ${r.failed.join("\n    ")}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(bad === 0 ? 0 : 1);
