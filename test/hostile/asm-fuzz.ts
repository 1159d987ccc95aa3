// The assembler fuzzer's engine (the test is asm-fuzz.test.ts): seeded
// mutations of the project's own assembly, each run through what `gmpemu
// asm` does (assemble, link, list), each outcome classified. Kept apart from
// the test so that a long run or a profile can drive it from a script.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildImage, MemorySource, type Limits } from "../../src/asm/index.ts";
import { AsmError, AsmErrors } from "../../src/asm/prog.ts";
import { listing } from "../../src/cli/asm.ts";
import { ROOT } from "./asm-cli.ts";

/**
 * A mutant that takes more CPU time than this is a hang (typical: a few
 * milliseconds). CPU time, not wall time: the machine may be busy elsewhere.
 */
export const BOUND_MS = 2000;
/**
 * The assembler's bounds, scaled down so that a mutant that meets one meets
 * it fast: the mechanism is the same, and test/hostile/asm-{size,nesting,
 * macros}.test.ts check the default values through the CLI.
 */
export const LIMITS = { maxFileBytes: 1 << 20, maxTotalBytes: 4 << 20, maxStatementTokens: 2_000, maxExpandedTokens: 2_000 };

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seed { path: string; pkg: string; text: string }

/** The corpus: every .s of the project; big files by windows of whole functions. */
function corpus(): { seeds: Seed[]; includes: Record<string, string> } {
  const seeds: Seed[] = [];
  const walk = (dir: string, pkg: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = join(dir, e.name);
      if (e.isDirectory()) walk(rel, e.name === "runtime" ? "runtime" : pkg);
      else if (e.name.endsWith(".s")) seeds.push({ path: rel, pkg, text: readFileSync(join(ROOT, rel), "utf8") });
    }
  };
  walk("asm", "runtime");
  walk("programs", "main");
  walk("test/corpus", "main");
  const includes: Record<string, string> = {};
  for (const f of readdirSync(join(ROOT, "asm/include"))) includes[`/include/${f}`] = readFileSync(join(ROOT, "asm/include", f), "utf8");
  return { seeds, includes };
}

const VOCAB = ["$", "(", ")", ",", ";", ":", "+", "-", "*", "/", "<<", ">>", "<>", "<ABIInternal>", "·", "∕", "SB", "FP", "SP", "PC", "TLS",
  "TEXT", "DATA", "GLOBL", "NOSPLIT", "NOFRAME", "NEEDCTXT", "WRAPPER", "RODATA", "LOCK", "PCDATA", "FUNCDATA", "BYTE", "QUAD",
  "AX", "AL", "AH", "SPB", "R15", "X15", "g", "MOVQ", "MOVB", "LEAQ", "JMP", "JEQ", "CALL", "RET", "PUSHQ", "POPQ", "ADJSP", "SHLQ",
  "'", "\"", "`", "\\", "/*", "*/", "//", "#", "\n", "$\"abc\"", "'\\x41'", "0x7fffffffffffffff", "-0x8000000000000000", "0b101", "0o17", "017",
  "1.5e3", "x+8(FP)", "y-8(SP)", "sym<>(SB)", "(AX)(BX*8)", "(TLS)", "label", "label:", "\u0000", "\ufeff", "·main(SB)"];

const DIRECTIVES = ['#include "textflag.h"', '#include "missing.h"', '#include "/dev/zero"', "#include", '#include "SELF"', "#define", "#define X",
  "#define X X X", "#define F(a,a) a", "#define F(a) F(a)", "#undef NOSPLIT", "#undef NOPE", "#ifdef GOOS_linux", "#ifndef X", "#else", "#endif",
  "#line 7 \"x.s\"", "#frob", "# 12", "#define NOSPLIT 4", "#define M(x) x x\n#define N M(M(M(M(M(M(M(M(1))))))))", "#define e(x) e(x)"];

type Mutator = (s: string, r: () => number, seeds: Seed[]) => string;

const pick = <T>(r: () => number, l: readonly T[]): T => l[Math.floor(r() * l.length)]!;
const int = (r: () => number, n: number): number => Math.floor(r() * n);
const TOKEN = /[\p{L}_·∕][\p{L}\p{Nd}_·∕]*|0[xXbBoO][0-9a-fA-F_]+|\d+|<<|>>|\S/gu;

function tokens(s: string): { at: number; text: string }[] {
  return [...s.matchAll(TOKEN)].map((m) => ({ at: m.index, text: m[0] }));
}

const MUTATORS: [string, Mutator][] = [
  ["flip bytes", (s, r) => {
    const b = [...s];
    for (let k = 1 + int(r, 4); k > 0; k--) {
      const i = int(r, b.length || 1);
      b[i] = String.fromCharCode((b[i]?.charCodeAt(0) ?? 32) ^ (1 << int(r, 7)));
    }
    return b.join("");
  }],
  ["delete token", (s, r) => {
    const t = tokens(s);
    if (!t.length) return s;
    const x = pick(r, t);
    return s.slice(0, x.at) + s.slice(x.at + x.text.length);
  }],
  ["duplicate token", (s, r) => {
    const t = tokens(s);
    if (!t.length) return s;
    const x = pick(r, t);
    return s.slice(0, x.at) + x.text.repeat(1 + int(r, 3)) + s.slice(x.at);
  }],
  ["insert token", (s, r) => {
    const i = int(r, s.length + 1);
    return s.slice(0, i) + pick(r, VOCAB) + s.slice(i);
  }],
  ["replace token", (s, r) => {
    const t = tokens(s);
    if (!t.length) return s;
    const x = pick(r, t);
    return s.slice(0, x.at) + pick(r, VOCAB) + s.slice(x.at + x.text.length);
  }],
  ["deep nesting", (s, r) => {
    const t = tokens(s).filter((x) => /^\d|^0x/.test(x.text));
    const x = t.length ? pick(r, t) : { at: int(r, s.length + 1), text: "" };
    const k = pick(r, [10, 300, 999, 2100]);
    const kind = int(r, 4);
    const wrap = kind === 0 ? "(".repeat(k) + (x.text || "1") + ")".repeat(k)
      : kind === 1 ? "-".repeat(k) + (x.text || "1")
      : kind === 2 ? "(".repeat(k) + (x.text || "1") // unbalanced
      : "~(".repeat(k) + (x.text || "1") + ")".repeat(k - 1);
    return s.slice(0, x.at) + wrap + s.slice(x.at + x.text.length);
  }],
  ["huge number", (s, r) => {
    const t = tokens(s).filter((x) => /^\d/.test(x.text));
    if (!t.length) return s;
    const x = pick(r, t);
    const n = pick(r, ["18446744073709551615", "18446744073709551616", "0x" + "f".repeat(16), "0x1" + "0".repeat(16), "9".repeat(1 + int(r, 300)),
      "0" + "7".repeat(30), "0b" + "1".repeat(70), "-9223372036854775808", "0x80000000", "0xffffffff", "256", "65536", "1<<63", "1<<64", "1/0", "7%0"]);
    return s.slice(0, x.at) + n + s.slice(x.at + x.text.length);
  }],
  ["bad directive", (s, r) => {
    const lines = s.split("\n");
    lines.splice(int(r, lines.length + 1), 0, pick(r, DIRECTIVES));
    return lines.join("\n");
  }],
  ["macro bomb", (s, r) => {
    const n = 4 + int(r, 30);
    const sep = pick(r, [" ", "; ", " \\\n\t", "+"]);
    let defs = "#define B0 NOP\n";
    for (let i = 0; i < n; i++) defs += `#define B${i + 1} B${i}${sep}B${i}\n`;
    const lines = s.split("\n");
    const at = int(r, lines.length + 1);
    lines.splice(at, 0, `\tB${n}`);
    return defs + lines.join("\n");
  }],
  ["long token", (s, r) => {
    const i = int(r, s.length + 1);
    const unit = pick(r, ["a", "9", "(", "\"", "'", "$", "·", "/*", "\\", ":", "x:"]);
    return s.slice(0, i) + unit.repeat(pick(r, [100, 2_500, 20_000])) + s.slice(i);
  }],
  ["lines", (s, r) => {
    const lines = s.split("\n");
    const i = int(r, lines.length), j = int(r, lines.length);
    switch (int(r, 3)) {
      case 0: lines.splice(i, 1); break;
      case 1: lines.splice(i, 0, ...Array<string>(1 + int(r, 50)).fill(lines[j] ?? "")); break;
      default: [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
    }
    return lines.join("\n");
  }],
  ["splice", (s, r, seeds) => {
    const other = pick(r, seeds).text.split("\n");
    const k = int(r, other.length);
    const lines = s.split("\n");
    lines.splice(int(r, lines.length + 1), 0, ...other.slice(k, k + 1 + int(r, 20)));
    return lines.join("\n");
  }],
  ["lossy immediate", (s, r) => {
    // An immediate Go keeps only in part: a warning, or an error under --strict.
    const t = [...s.matchAll(/\$(-?\d+|0x[0-9a-fA-F]+)\b/g)];
    if (!t.length) return s;
    const m = pick(r, t);
    return s.slice(0, m.index) + "$" + pick(r, ["0x1ff", "0x12345", "0xffffffff", "0x80000000", "-129", "65536", "0x100000000"]) + s.slice(m.index + m[0].length);
  }],
  ["truncate", (s, r) => s.slice(0, int(r, s.length + 1))],
];

/** Up to `max` lines from a function start: big files are fuzzed a window at a time. */
function window(text: string, r: () => number, max = 40): string {
  const lines = text.split("\n");
  if (lines.length <= max) return text;
  const starts = lines.map((l, i) => (/^TEXT\b/.test(l) ? i : -1)).filter((i) => i >= 0);
  const from = starts.length ? pick(r, starts) : int(r, lines.length - max);
  // The file's #includes and one-line #defines, which the window may use.
  const head = lines.slice(0, from).filter((l) => /^#include|^#define[^\\]*$/.test(l));
  return [...head, ...lines.slice(from, from + max)].join("\n");
}

/** Whether every diagnostic is `file:line:col: message` (or `file: message`) with sane numbers. */
function clean(e: AsmErrors): string | undefined {
  if (e.errors.length === 0) return "AsmErrors without errors";
  for (const x of e.errors) {
    if (!(x instanceof AsmError)) return `not an AsmError: ${String(x)}`;
    const f = x.format();
    if (f.includes("\n")) return `a diagnostic spans lines: ${f.slice(0, 200)}`;
    if (x.pos.line === 0 ? !/^[^:]+: \S/.test(f) : !/^.+:\d+:\d+: \S/.test(f)) return `malformed: ${f.slice(0, 200)}`;
    if (x.pos.line < 0 || (x.pos.line > 0 && x.pos.col < 1) || !Number.isInteger(x.pos.line)) return `bad position: ${f.slice(0, 200)}`;
    // A value that was never set, printed: "undefined" other than in Go's own words.
    if (/\bundefined\b(?! (label|symbol|macro))|\bNaN\b|\[object /.test(x.message)) return `a message with undefined/NaN/[object]: ${f.slice(0, 200)}`;
    if (f.length > 600) return `an over-long message (${f.length} characters)`;
  }
  return undefined;
}


export interface FuzzOptions {
  seed: number;
  mutants: number;
  /** Write each crashing or slow mutant here, to reproduce it with gmpemu asm. */
  dump?: string;
  /** Called every 100 mutants (the test yields to vitest's worker there). */
  tick?: () => Promise<void>;
  /** The assembler's bounds (default LIMITS, scaled down). */
  limits?: Partial<Limits>;
}

export interface FuzzReport {
  mutants: number;
  accepted: number;
  cleanErrors: number;
  crashes: number;
  hangs: number;
  warnings: number;
  /** The most CPU time one mutant took. */
  slowestMs: number;
  /** How often each mutator was applied. */
  byMutator: Map<string, number>;
  /** Each crash and hang, with what reproduces it. */
  problems: string[];
}

/** Runs `mutants` seeded mutants through assemble, link and list. */
export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const r = rng(o.seed);
  const { seeds, includes } = corpus();
  const rep: FuzzReport = { mutants: 0, accepted: 0, cleanErrors: 0, crashes: 0, hangs: 0, warnings: 0, slowestMs: 0, byMutator: new Map(), problems: [] };
  const includeBytes: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(includes)) includeBytes[k] = new TextEncoder().encode(v);
  for (let n = 0; n < o.mutants; n++) {
    if (n % 100 === 0 && o.tick) await o.tick();
    const seed = pick(r, seeds);
    let text = window(seed.text, r);
    const names: string[] = [];
    for (let k = 1 + int(r, 3); k > 0; k--) {
      const [name, m] = pick(r, MUTATORS);
      names.push(name);
      text = m(text, r, seeds);
    }
    for (const nm of names) rep.byMutator.set(nm, (rep.byMutator.get(nm) ?? 0) + 1);
    const path = `/fuzz/${seed.path}`;
    const bytes = new TextEncoder().encode(text.replaceAll('"SELF"', JSON.stringify(path)));
    // Invalid UTF-8 now and then: a lone continuation byte.
    if (r() < 0.03 && bytes.length) bytes[int(r, bytes.length)] = 0x80 | int(r, 64);
    const source = new MemorySource({ ...includeBytes, [path]: bytes }, "/include");
    const strict = r() < 0.2;
    const what = `#${n} (${names.join(", ")} on ${seed.path}${strict ? ", --strict" : ""})`;
    const t = process.cpuUsage();
    let outcome: string;
    try {
      const b = buildImage([path], { source, pkg: seed.pkg, strict, limits: o.limits ?? LIMITS });
      // The listing (the disassembler over every byte) for a third of them.
      if (n % 3 === 0) listing(b.image);
      rep.warnings += b.warnings.length;
      rep.accepted++;
      outcome = "accepted";
    } catch (e) {
      if (e instanceof AsmErrors && clean(e) === undefined) {
        rep.cleanErrors++;
        outcome = "clean errors";
      } else {
        rep.crashes++;
        outcome = "crash";
        const msg = e instanceof AsmErrors ? clean(e)!
          : e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split("\n").slice(1, 6).join("\n")}` : String(e);
        rep.problems.push(`${what}: ${msg.slice(0, 800)}\n  input starts: ${JSON.stringify(text.slice(0, 200))}`);
        if (o.dump) writeFileSync(join(o.dump, `crash-${o.seed}-${n}.s`), bytes);
      }
    }
    const used = process.cpuUsage(t);
    const ms = (used.user + used.system) / 1000;
    rep.slowestMs = Math.max(rep.slowestMs, ms);
    if (ms > BOUND_MS) {
      rep.hangs++;
      rep.problems.push(`${what}: ${Math.round(ms)} ms (${outcome})`);
      if (o.dump) writeFileSync(join(o.dump, `slow-${o.seed}-${n}.s`), bytes);
    }
    rep.mutants++;
  }
  return rep;
}
