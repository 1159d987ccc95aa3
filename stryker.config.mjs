// Mutation testing (StrykerJS): `npm run mutate`. Not part of `npm test`:
// a whole run takes hours on a two-core machine (the figures are in
// docs/MUTATION.md).
//
// What is mutated: the scheduler and the kernel (src/runtime, the bridge
// included, and src/os) and the two parts of the assembler whose bugs make
// wrong machine code that still assembles (src/asm/link.ts: relocations;
// src/asm/obj6.ts: prologues). src/runtime/offsets.ts is left out: it is
// generated from runtime2.ts (`npm run gen`), and test/runtime/offsets.test.ts
// fails when it is stale, so a mutant of it only says the generator ran.
//
// One area at a time (a full run is long):
//   MUTATE=runtime|bridge|os|asm npm run mutate      an area by name
//   npm run mutate -- --mutate src/runtime/runq.ts    one file (Stryker's own flag)
//   MUTATE_SAMPLE=8 MUTATE=runtime npm run mutate     about one line in 8
//   MUTATE=os+bridge MUTATE_SAMPLE=48+24 npm run mutate   two areas, one run
// MUTATE_SAMPLE=k mutates only the lines whose hash of "file:line" is 0
// modulo k: the same lines every time (for before/after comparisons), a
// fair sample of the area (the runtime's 6,740 mutants take most of a day
// on two shared cores; an eighth of them, about three hours).
// MUTATE_CONCURRENCY (default 1) sets the worker count: the machine has two
// cores, shared. MUTATE_INCREMENTAL=1 keeps results in
// reports/mutation/<area>.incremental.json and reuses them: a mutant
// killed before, by tests that have not changed, is not run again.
//
// The tests run are the fast ones that exercise these files
// (vitest.mutate.config.ts), each mutant only against the tests that reach
// it (coverageAnalysis "perTest"); a mutant that makes a test fail, time out
// or crash is killed. The TypeScript checker drops mutants that do not type
// check before any test runs (they count as "CompileError", outside the score).
//
// Reports: the per-file table on the console (clear-text), and
// reports/mutation/<area>.html and .json (reports/ is gitignored).

import { readdirSync, readFileSync } from "node:fs";

const areas = {
  runtime: ["src/runtime/**/*.ts", "!src/runtime/bridge.ts", "!src/runtime/offsets.ts"],
  bridge: ["src/runtime/bridge.ts"],
  os: ["src/os/**/*.ts"],
  asm: ["src/asm/link.ts", "src/asm/obj6.ts"],
};
areas.all = [...areas.runtime.filter((p) => !p.startsWith("!src/runtime/bridge")), ...areas.os, ...areas.asm];

// MUTATE may name several areas joined by "+" (one run, one dry run:
// cheaper than several runs), and MUTATE_SAMPLE then one k, or one k per
// area joined the same way ("os+bridge" with "48+24").
const area = process.env.MUTATE ?? "all";
const areaList = area.split("+");
for (const a of areaList) {
  if (!(a in areas)) throw new Error(`MUTATE=${area}: ${a} is not an area (areas: ${Object.keys(areas).join(", ")})`);
}
const sampleSpec = process.env.MUTATE_SAMPLE ?? "1";
const samples = sampleSpec.split("+").map(Number);
if (samples.some((k) => !Number.isInteger(k) || k < 1) || (samples.length !== 1 && samples.length !== areaList.length)) {
  throw new Error(`MUTATE_SAMPLE=${sampleSpec}: not a positive integer, or one per area of MUTATE joined by "+"`);
}
const sampleOf = (i) => samples[samples.length === 1 ? 0 : i];
const sampled1 = samples.every((k) => k === 1);
const reportName = `${area}${sampled1 ? "" : `-sample${sampleSpec}`}`;

/** The files of an area's patterns (a "dir/**\/*.ts" glob, a file, or "!file"). */
function filesOf(patterns) {
  const out = [];
  for (const p of patterns.filter((x) => !x.startsWith("!"))) {
    if (p.endsWith("/**/*.ts")) {
      const dir = p.slice(0, -"/**/*.ts".length);
      for (const f of readdirSync(dir, { recursive: true })) if (String(f).endsWith(".ts")) out.push(`${dir}/${f}`);
    } else {
      out.push(p);
    }
  }
  const not = new Set(patterns.filter((x) => x.startsWith("!")).map((x) => x.slice(1)));
  return out.filter((f) => !not.has(f)).sort();
}

/** FNV-1a of a string, 32 bits. */
function fnv(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Every sampled line of every file of the area, as Stryker's "file:line-line" ranges. */
function sampled(patterns, k) {
  const out = [];
  for (const f of filesOf(patterns)) {
    const n = readFileSync(f, "utf8").split("\n").length;
    for (let line = 1; line <= n; line++) if (fnv(`${f}:${line}`) % k === 0) out.push(`${f}:${line}-${line}`);
  }
  return out;
}
const concurrency = Number(process.env.MUTATE_CONCURRENCY ?? "1");
if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`MUTATE_CONCURRENCY=${process.env.MUTATE_CONCURRENCY}: not a positive integer`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: areaList.flatMap((a, i) => (sampleOf(i) === 1 ? areas[a] : sampled(areas[a], sampleOf(i)))),
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts", related: false },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: "perTest",
  // vitest strips types without checking them: no "// @ts-nocheck" is
  // needed, and one would break offsets.test.ts, which compares
  // offsets.ts with what the generator writes.
  disableTypeChecks: false,
  concurrency,
  // Static mutants (code run once, when a module loads: tables such as
  // runtime2.ts's layouts and gstatus.ts's transitions) can only be tested
  // by reloading every test file, a full run each (minutes); they are left
  // out of the score ("Ignored"). The layouts are checked against Go's own
  // by test/runtime/layout.test.ts and dwarf.test.ts.
  ignoreStatic: true,
  // A mutant that loops forever in the runtime is stopped by the tests'
  // own instruction budgets first; this is the backstop.
  timeoutMS: 10_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 30,
  reporters: ["clear-text", "progress", "html", "json"],
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0, reportScoreTable: true, reportMutants: false },
  htmlReporter: { fileName: `reports/mutation/${reportName}.html` },
  jsonReporter: { fileName: `reports/mutation/${reportName}.json` },
  // The sandbox needs the sources, the assembly and the tests' inputs; not
  // the reports, the web page or earlier sandboxes.
  ignorePatterns: ["reports", "dist", "out", ".prof", "web", "node_modules", ".stryker-tmp"],
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
  incremental: process.env.MUTATE_INCREMENTAL === "1",
  incrementalFile: `reports/mutation/${reportName}.incremental.json`,
  thresholds: { high: 90, low: 80, break: null },
};
