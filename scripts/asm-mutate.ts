// The assembly mutation harness: does the switch checker (--check) notice
// when one instruction of a runtime routine is wrong?
//
// For each instruction of the chosen routines (asm/*.s) that saves or
// restores a register, a gobuf field or the TLS g slot, it builds mutants:
// the instruction deleted, and (for a two-operand move whose swap still
// assembles) its operands swapped. Each mutant is the routine's source with
// that one line changed, plugged into the runtime with --runtime-asm
// (together with the file-local helpers it jumps to), and run with --check
// on a battery of small programs, each bounded by steps. A mutant is
// *caught* when the checker stops a run and names a register or field; it
// *survives* when every program ends without a failed check (whether or not
// the output changed: the point is the checker, not the program). The
// unmutated routines must pass the same battery, or nothing is measured.
//
// Which instructions: the mutation test of issue 13 (and issue 11's harness
// for assembly routines). An instruction saves or restores when it writes a
// gobuf field, the TLS g slot, a slot of asyncPreempt's save area or one of
// the registers a switch's contract fixes (SP, BP, R14, AX, DX, and every
// register in asyncPreempt), or reads a gobuf field or the TLS slot, or is
// a PUSH/POP of one; scratch loads (the gobuf's address, g.m) and
// frame-pointer setup are not.
//
//   node --import tsx scripts/asm-mutate.ts                  # gogo, mcall, systemstack, asyncPreempt
//   node --import tsx scripts/asm-mutate.ts --routines runtime·morestack --programs deeprec --json out.json
//   npm run mutate:asm
//
// Exit status: 0 when every mutant is caught, 1 otherwise.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CheckError, switchCheck, type CheckFailure } from "../src/check/check.ts";
import { runProgram, type RunOptions } from "../src/node/boot.ts";
import { asmDir, packageRoot } from "../src/node/root.ts";

/** A routine to mutate, and the file-local helpers that go into its --runtime-asm file with it. */
export interface Target {
  /** TEXT names as written in the source: "runtime·gogo", "gogo<>". */
  texts: string[];
  file: string;
}

/** The switch routines of issue 13's mutation test. */
export const SWITCH_TARGETS: Target[] = [
  { texts: ["runtime·gogo", "gogo<>"], file: "asm_amd64.s" },
  { texts: ["runtime·mcall<ABIInternal>"], file: "asm_amd64.s" },
  { texts: ["runtime·systemstack", "gosave_systemstack_switch<>"], file: "asm_amd64.s" },
  { texts: ["runtime·asyncPreempt"], file: "preempt_amd64.s" },
];

export interface BatteryRun {
  program: string;
  opts: RunOptions;
}

/** Small programs that between them run every switch routine, asyncPreempt under forced preemption. */
export function defaultBattery(): BatteryRun[] {
  const p = (n: string): string => join(packageRoot(), "programs", `${n}.s`);
  return [
    // Stale g.sched.ret before each switch: the only way ret's zeroing shows (see the fixture).
    { program: join(packageRoot(), "test/check/fixtures/staleret.s"), opts: { maxInsns: 100_000 } },
    { program: p("hello"), opts: { maxInsns: 200_000 } },
    { program: p("pingpong"), opts: { maxInsns: 200_000 } },
    { program: p("regs"), opts: { preemptEvery: 97, maxInsns: 60_000 } },
  ];
}

export interface Mutant {
  id: number;
  routine: string;
  file: string;
  /** 1-based line in the original file. */
  line: number;
  original: string;
  kind: "delete" | "swap";
  mutated: string;
}

export interface MutantResult extends Mutant {
  caught: boolean;
  /** What the checker named, or how the mutant survived. */
  verdict: string;
  failure?: CheckFailure;
  program?: string;
}

interface Block {
  name: string;
  start: number;
  /** Lines [start, end) of the file. */
  end: number;
}

/** The TEXT blocks of a source file: from each TEXT line to the next TEXT, GLOBL or DATA. */
function blocks(lines: string[]): Block[] {
  const out: Block[] = [];
  let cur: Block | undefined;
  lines.forEach((l, i) => {
    const m = /^TEXT\s+([^(\s]+)\(SB\)/.exec(l);
    if (m || /^(GLOBL|DATA)\b/.test(l)) {
      if (cur) { cur.end = i; out.push(cur); cur = undefined; }
      if (m) cur = { name: m[1]!, start: i, end: lines.length };
    }
  });
  if (cur) out.push(cur);
  return out;
}

/** The instruction of a line (without its comment), split into mnemonic and operands. */
function parseInsn(line: string): { op: string; args: string[] } | undefined {
  const code = line.replace(/\/\/.*$/, "").trim();
  if (code === "" || code.endsWith(":") || code.startsWith("#") || code.startsWith("TEXT")) return undefined;
  const m = /^([A-Z][A-Z0-9]*)\s*(.*)$/.exec(code);
  if (!m) return undefined;
  const args: string[] = [];
  let depth = 0, cur = "";
  for (const ch of m[2]!) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) { args.push(cur.trim()); cur = ""; continue; }
    cur += ch;
  }
  if (cur.trim() !== "") args.push(cur.trim());
  return { op: m[1]!, args };
}

const STATE = /gobuf_|\bg\(CX\)|\bg\(BX\)/;
const CONTRACT_REGS = /^(SP|BP|R14|AX|DX)$/;

/**
 * Does this instruction save or restore switch state (see the essay)?
 * `next` is the following line: a load that a TEST or CMP of its register
 * follows is a sanity check (gosave_systemstack_switch<>'s ctxt), not a
 * restore.
 */
export function savesOrRestores(routine: string, line: string, next = ""): boolean {
  const i = parseInsn(line);
  if (!i) return false;
  const { op, args } = i;
  // A POP outside asyncPreempt follows a call that never returns (mcall's fn).
  if (/^PUSH/.test(op) || (/^POP/.test(op) && /asyncPreempt/.test(routine))) return true;
  const n = parseInsn(next);
  if (n && /^(TEST|CMP)/.test(n.op) && args.length === 2 && n.args.includes(args[1]!)) return false;
  if (!/^MOV/.test(op) || args.length !== 2) return false;
  const [src, dst] = args as [string, string];
  if (/asyncPreempt/.test(routine)) return /\(SP\)/.test(src) || /\(SP\)/.test(dst);
  if (STATE.test(dst) || STATE.test(src)) return true;
  if (/^0\(SP\)$/.test(src)) return true; // the caller's return address (mcall)
  return CONTRACT_REGS.test(dst) && !/^\$/.test(src) && !/\(FP\)|\+0\(FP\)/.test(src) && !/^0\((DX|DI)\)$/.test(src) && src !== "SP";
}

/** Every mutant of the targets' save/restore instructions. */
export function mutants(targets: readonly Target[] = SWITCH_TARGETS): { mutants: Mutant[]; sources: Map<string, string[]> } {
  const sources = new Map<string, string[]>();
  const out: Mutant[] = [];
  for (const t of targets) {
    const path = join(asmDir(), t.file);
    let lines = sources.get(path);
    if (!lines) sources.set(path, (lines = readFileSync(path, "utf8").split("\n")));
    const bs = blocks(lines).filter((b) => t.texts.includes(b.name));
    for (const b of bs) {
      for (let i = b.start + 1; i < b.end; i++) {
        const l = lines[i]!;
        if (!savesOrRestores(b.name, l, lines[i + 1] ?? "")) continue;
        const base = { routine: b.name, file: path, line: i + 1, original: l.trim() };
        out.push({ ...base, id: out.length, kind: "delete", mutated: "" });
        const ins = parseInsn(l)!;
        if (ins.args.length === 2 && !ins.args[0]!.startsWith("$")) {
          out.push({ ...base, id: out.length, kind: "swap", mutated: `\t${ins.op}\t${ins.args[1]}, ${ins.args[0]}` });
        }
      }
    }
  }
  return { mutants: out, sources };
}

/** The --runtime-asm source for a target, with one line replaced (or none). */
export function targetSource(t: Target, lines: string[], mutant?: Mutant): string {
  const bs = blocks(lines).filter((b) => t.texts.includes(b.name));
  const head = ["#include \"go_asm.h\"", "#include \"go_tls.h\"", "#include \"funcdata.h\"", "#include \"textflag.h\"", ""];
  const body: string[] = [];
  for (const b of bs) {
    for (let i = b.start; i < b.end; i++) {
      // Keep line numbers meaningful: the mutated line is marked.
      body.push(mutant && i + 1 === mutant.line ? `${mutant.mutated}\t// MUTANT (${mutant.kind}): ${mutant.original}` : lines[i]!);
    }
  }
  return [...head, ...body].join("\n") + "\n";
}

function targetOf(m: Mutant, targets: readonly Target[]): Target {
  const t = targets.find((x) => x.texts.includes(m.routine) && m.file.endsWith(x.file));
  if (!t) throw new Error(`internal: no target for ${m.routine}`);
  return t;
}

/** Runs the battery with a --runtime-asm file; the first failed check, or how the runs ended. */
export function runBattery(asm: string | undefined, battery: readonly BatteryRun[]): { failure?: CheckFailure; program?: string; endings: string[]; error?: string } {
  const endings: string[] = [];
  for (const b of battery) {
    let failure: CheckFailure | undefined;
    const opts: RunOptions = {
      ...b.opts, stdout: () => {}, stderr: () => {},
      check: switchCheck({ onFailure: (f) => { failure = f; }, showPath: (f) => f.startsWith(packageRoot()) ? f.slice(packageRoot().length + 1) : basename(f) }),
    };
    if (asm !== undefined) opts.runtimeAsm = [asm];
    let how: string;
    try {
      const r = runProgram([b.program], opts);
      how = `${r.how} ${r.code}`;
    } catch (e) {
      if (e instanceof CheckError) failure = e.failure;
      else return { endings, error: e instanceof Error ? e.message.split("\n")[0]! : String(e) };
      how = "check";
    }
    endings.push(`${basename(b.program)}: ${how}`);
    if (failure) return { failure, program: basename(b.program), endings };
  }
  return { endings };
}

/** Runs every mutant; `onResult` hears of each as it is judged. */
export function runMutants(opts: { targets?: readonly Target[]; battery?: readonly BatteryRun[]; only?: (m: Mutant) => boolean; onResult?: (r: MutantResult) => void } = {}): { baseline: string[]; results: MutantResult[] } {
  const targets = opts.targets ?? SWITCH_TARGETS;
  const battery = opts.battery ?? defaultBattery();
  const { mutants: all, sources } = mutants(targets);
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-mutate-"));
  try {
    // The unmutated routines, through the same path, must pass.
    const baseline: string[] = [];
    for (const t of targets) {
      const f = join(dir, `base-${t.texts[0]!.replace(/[^A-Za-z0-9]/g, "_")}.s`);
      writeFileSync(f, targetSource(t, sources.get(join(asmDir(), t.file))!));
      const r = runBattery(f, battery);
      if (r.failure || r.error) throw new Error(`the unmutated ${t.texts.join(", ")} fails the battery: ${r.failure?.message ?? r.error}`);
      baseline.push(...r.endings.map((e) => `${t.texts[0]}: ${e}`));
    }
    const results: MutantResult[] = [];
    for (const m of all) {
      if (opts.only && !opts.only(m)) continue;
      const t = targetOf(m, targets);
      const f = join(dir, `mutant-${m.id}.s`);
      writeFileSync(f, targetSource(t, sources.get(m.file)!, m));
      const r = runBattery(f, battery);
      let res: MutantResult;
      if (r.failure) {
        res = { ...m, caught: true, verdict: `${r.failure.routine}: ${r.failure.what}`, failure: r.failure, program: r.program! };
      } else if (r.error) {
        // A mutant that does not assemble (a swap into an impossible form) is no mutant.
        res = { ...m, caught: false, verdict: `not run: ${r.error}` };
      } else {
        res = { ...m, caught: false, verdict: `survived (${r.endings.join(", ")})` };
      }
      results.push(res);
      opts.onResult?.(res);
    }
    return { baseline, results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mutants that ran (a swap that does not assemble is not a mutant). */
export function scored(results: readonly MutantResult[]): MutantResult[] {
  return results.filter((r) => !r.verdict.startsWith("not run"));
}

function main(argv: string[]): number {
  let targets = SWITCH_TARGETS;
  let json: string | undefined;
  let kinds: Set<string> | undefined;
  let battery: BatteryRun[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") json = argv[++i];
    else if (a === "--delete-only") kinds = new Set(["delete"]);
    else if (a === "--programs") {
      battery = (argv[++i] ?? "").split(",").filter(Boolean).map((n) => ({
        program: /[/.]/.test(n) ? resolve(n) : join(packageRoot(), "programs", `${n}.s`), opts: { maxInsns: 2_000_000 },
      }));
    }
    else if (a === "--routines") {
      const want = (argv[++i] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
      targets = want.map((w) => {
        const file = ["asm_amd64.s", "preempt_amd64.s", "sys_linux_amd64.s"].find((f) => readFileSync(join(asmDir(), f), "utf8").includes(`TEXT ${w}(SB)`) || readFileSync(join(asmDir(), f), "utf8").includes(`TEXT ${w}<`));
        if (!file) throw new Error(`--routines: no TEXT ${w} in asm/`);
        return { texts: [w], file };
      });
    } else if (a === "--help" || a === "-h") {
      process.stdout.write("usage: asm-mutate [--routines runtime·gogo,gogo<>] [--programs hello,deeprec] [--delete-only] [--json out.json]\n");
      return 0;
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  const t0 = Date.now();
  const { baseline, results } = runMutants({
    targets, ...(kinds ? { only: (m: Mutant) => kinds!.has(m.kind) } : {}), ...(battery ? { battery } : {}),
    onResult: (r) => process.stdout.write(`${r.caught ? "caught  " : r.verdict.startsWith("not run") ? "not run " : "SURVIVED"} ${basename(r.file)}:${r.line} ${r.kind.padEnd(6)} ${r.original.padEnd(40)} ${r.caught ? r.failure!.message : r.verdict}\n`),
  });
  const s = scored(results);
  const caught = s.filter((r) => r.caught).length;
  process.stdout.write(`\nbaseline (unmutated): ${baseline.join("; ")}\n`);
  process.stdout.write(`mutation score: ${caught}/${s.length} caught (${s.length ? ((100 * caught) / s.length).toFixed(1) : "100"}%), ${results.length - s.length} did not assemble (the assembler refused them), ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  if (json) writeFileSync(json, JSON.stringify({ caught, total: s.length, results }, null, 2) + "\n");
  return caught === s.length ? 0 : 1;
}

if (resolve(process.argv[1] ?? "") === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
