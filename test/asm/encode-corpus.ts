// The encoder's oracle corpus: for every row of the instruction table, source
// lines that exercise its operand kinds with varied registers (SP, BP, R12,
// R13, high and byte registers), memory shapes (no/8/32-bit displacement,
// negative, SIB with every scale, R12/R13 as index and base, sym(SB), TLS)
// and immediates at Go's class boundaries. Plus branches at the rel8/rel32
// boundaries, and lines Go rejects.
//
// `npx tsx test/asm/encode-corpus.ts` rewrites test/corpus/insns.s and, with
// Go 1.19 installed, test/golden/encode/insns.json (Go's bytes and
// relocations per line, and Go's verdict on each rejected line), so that
// encode-oracle.test.ts can run without Go.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FORMS, CC_NAMES, JCC_ALIASES, formClasses, type Form, type Kind } from "../../src/x86/table.ts";
import { constClass, covers } from "../../src/x86/encode.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CORPUS = join(ROOT, "test/corpus/insns.s");
export const REJECTS = join(ROOT, "test/corpus/insns-rejects.s");
export const GOLDEN = join(ROOT, "test/golden/encode/insns.json");

const REGS = ["AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI", "R8", "R12", "R13", "R15"];
// Byte operands: byte registers and, as Go allows in byte forms, full ones.
const BYTES = ["AL", "CL", "DL", "BL", "BPB", "SIB", "DIB", "R8B", "R12B", "R13B", "R15B", "AX", "SI", "R9"];
const HIGH = ["AH", "CH", "DH", "BH"];
const XMM = ["X0", "X1", "X7", "X8", "X15"];
const MEMS = [
  "(AX)", "(SP)", "(BP)", "(R12)", "(R13)", "(R15)", "8(AX)", "-8(SP)", "127(BP)", "-128(R13)",
  "128(R12)", "-129(BX)", "0x7fffffff(SI)", "-0x80000000(DI)", "256(R8)",
  "(AX)(BX*1)", "8(SP)(CX*2)", "(BP)(DX*4)", "-16(R13)(R12*8)", "(R12)(R13*1)", "0x1000(R9)(R15*8)",
  "(SP)(BP*1)", "(R13)(AX*2)",
  "·x(SB)", "·x+8(SB)", "·x-4(SB)", "runtime·y(SB)",
];
// Memory operands that need no REX (for pairing with AH..BH).
const LEGACY_MEMS = ["(AX)", "8(BX)", "(SP)", "-4(BP)(SI*4)"];
const IMMS = [0n, 1n, 2n, 3n, 4n, 7n, 127n, 128n, 255n, 256n, -1n, -2n, -128n, -129n, 0x7fffn, 0x8000n, 0xffffn,
  0x10000n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, -0x80000000n, -0x80000001n,
  0x123456789an, -(1n << 63n), (1n << 63n) - 1n];

function fmtImm(v: bigint): string {
  return v < 0n ? `$${v}` : v > 255n ? `$0x${v.toString(16)}` : `$${v}`;
}

/** Candidate operand texts for a kind in a row. */
function candidates(f: Form, k: Kind, cls: string): string[] {
  const wideRegs = REGS;
  switch (k) {
    case "r8": return BYTES;
    case "r16": case "r32": case "r64": return wideRegs;
    case "rm8": return [...BYTES, ...MEMS];
    case "rm16": case "rm32": case "rm64":
      return cls === "Ym" ? MEMS : [...wideRegs, ...MEMS];
    case "m": return MEMS;
    case "x": case "xr": return XMM;
    case "xm": case "xm64": case "xm32": return [...XMM, ...MEMS];
    case "acc": return [f.size === 1 ? "AL" : "AX"];
    case "cl": return f.size === 1 ? ["CL", "CX"] : ["CL", "CX"];
    case "one": return ["$1"];
    case "i8": case "u8": case "i16": case "i32": case "s32": case "i64":
      return IMMS.filter((v) => covers(constClass(v), cls as never)).map(fmtImm);
    case "rel8": case "rel32": return [];
  }
}

const SKIP = new Set(["JMP", "CALL", "RET", "NOP"]);

/** Source lines for one row: every candidate of every operand appears at least once. */
function rowLines(f: Form): string[] {
  const classes = formClasses(f);
  const lists = f.args.map((k, i) => candidates(f, k, classes[i]!));
  if (f.args.some((k) => k === "rel8" || k === "rel32")) return [];
  if (lists.length === 0) return [f.as];
  const n = Math.max(...lists.map((l) => l.length));
  const out = new Set<string>();
  for (let i = 0; i < n; i++) {
    const ops = lists.map((l, j) => l[(i * (2 * j + 1) + j) % l.length]!);
    // Two memory operands or a memory operand with no place: not a form.
    if (ops.filter((o) => o.includes("(")).length > 1) continue;
    out.add(`${f.as} ${ops.join(", ")}`);
  }
  // AH..BH where the row takes byte registers: only with operands needing no REX.
  if (f.args.some((k) => k === "r8" || k === "rm8") && !f.w) {
    for (const h of HIGH) {
      const ops = f.args.map((k, j) => {
        if (k === "r8" || k === "rm8") return j === f.args.findIndex((x) => x === "r8" || x === "rm8") ? h : "BL";
        if (k === "acc") return "AL";
        return lists[j]![0]!;
      });
      out.add(`${f.as} ${ops.join(", ")}`);
      const m = f.args.findIndex((x) => x === "rm8");
      const r = f.args.findIndex((x) => x === "r8");
      if (m >= 0 && r >= 0) {
        const o2 = [...ops];
        o2[m] = LEGACY_MEMS[HIGH.indexOf(h)]!;
        o2[r] = h;
        out.add(`${f.as} ${o2.join(", ")}`);
      }
    }
  }
  return [...out];
}

/** TLS and other special memory forms. */
const SPECIAL = [
  "MOVQ (TLS), CX", "MOVQ 8(TLS), R14", "MOVQ AX, (TLS)", "MOVQ R9, -8(TLS)", "MOVL (TLS), AX",
  "MOVQ $7, (TLS)", "CMPQ (TLS), SP", "MOVQ $0, ·x(SB)", "MOVL $0x12345678, ·x+16(SB)", "MOVB $1, runtime·y(SB)",
  "ADDQ $1, ·x(SB)", "CMPB ·x(SB), $0", "SHLQ $3, ·x(SB)", "IMUL3Q $1000, ·x(SB), AX", "MOVW $0x1234, ·x(SB)",
  "LEAQ ·x(SB), AX", "LEAQ ·x+24(SB), R13", "CALL ·f(SB)", "CALL runtime·morestack(SB)", "JMP ·f(SB)",
  "JMP runtime·g+8(SB)", "CALL AX", "CALL R8", "CALL (AX)", "CALL 16(R12)", "CALL ·x(SB)(AX*1)",
  "JMP AX", "JMP R15", "JMP (SP)", "JMP 8(R13)", "RET", "BYTE $0x90", "BYTE $-1", "WORD $0x1234", "LONG $0xdeadbeef",
  "QUAD $0x123456789abcdef0", "QUAD $-1", "LOCK; XADDQ AX, (BX)", "LOCK; XADDL CX, 8(R12)", "LOCK; CMPXCHGQ CX, (R13)",
  "LOCK; CMPXCHGL R9, ·x(SB)", "LOCK; ORL $0, (SP)", "LOCK; INCQ 8(AX)", "LOCK; XCHGQ AX, (BX)",
  "REP; MOVSQ", "REP; STOSQ", "REPN; MOVSB",
  "MOVQ 0x10, AX", "MOVL -8, CX",
];

/** Branches: every Jcc name and alias, at the rel8/rel32 boundaries. */
function branchGroups(): string[][] {
  const groups: string[][] = [];
  const names = [...CC_NAMES.map((c) => "J" + c), ...Object.keys(JCC_ALIASES), "JMP"];
  // Backward and forward, short and long, for every name.
  const g: string[] = ["top:"];
  for (const j of names) g.push(`\t${j} top`, `\t${j} ${"fwd"}`);
  g.push("fwd:", "\tRET");
  groups.push(g);
  // Exact boundaries: forward 127/128 bytes, backward -128/-129 bytes, for JMP and JEQ.
  for (const j of ["JMP", "JEQ", "JLS", "JNE"]) {
    for (const pad of [125, 126, 127, 128, 129]) {
      groups.push([`\t${j} end`, ...padding(pad), "end:", "\tRET"]);
      groups.push(["start:", ...padding(pad), `\t${j} start`, "\tRET"]);
    }
  }
  // A chain: growing one jump pushes another over the edge (Go's re-layout).
  const chain: string[] = ["\tJEQ l3", "\tJNE l2", ...padding(60), "\tJMP l1", ...padding(60), "l1:", "\tNOP", ...padding(3), "l2:", "\tBYTE $0x90", ...padding(1), "l3:", "\tRET"];
  groups.push(chain);
  const chain2: string[] = ["b0:", ...padding(100), "\tJMP b0", "\tJEQ f0", ...padding(124), "\tJNE b0", "f0:", "\tJMP f0", "\tRET"];
  groups.push(chain2);
  return groups;
}

function padding(n: number): string[] {
  const out: string[] = [];
  while (n >= 10) { out.push("\tMOVQ $0x1122334455667788, R10"); n -= 10; }
  while (n > 0) { out.push("\tBYTE $0xcc"); n--; }
  return out;
}

/** Lines Go 1.19 rejects; we must reject them too. */
export const REJECT_LINES = [
  "ADDQ $0x100000000, AX", "MOVL $0x100000000, AX", "CMPQ AX, $0x80000000000", "MOVB SPB, AL", "MOVB AL, SPB",
  "MOVQ AL, BX", "ADDL AX, CL", "LEAQ AX, BX", "PUSHQ $0x100000000", "SHLQ $256, AX", "SHLQ DX, AX",
  "MOVQ (AX)(SP*1), BX", "MOVQ ·x(SB)(AX*8), BX", "MOVQ X0, X1, X2", "XADDQ (AX), BX", "MOVBQZX (AX), X1",
  "INCQ $1", "RET AX", "IMUL3Q AX, BX, CX", "TESTQ $0x100000000, AX", "MOVQ 0x100000000(AX), BX",
];

/** Lines Go accepts but gmpemu rejects on purpose (Go silently encodes another register). */
export const DIVERGENT_LINES = ["MOVB AH, R8B", "MOVB AH, SIB", "ADDB BH, (R9)", "MOVBQZX AH, AX", "NEGQ AH", "XCHGB CH, 8(R12)"];

export interface Corpus { text: string; lines: Map<number, string>; rows: Map<number, Form> }

export function generateCorpus(): Corpus {
  const out: string[] = [
    "// Generated by test/asm/encode-corpus.ts: do not edit.",
    "// One line per instruction form; Go's bytes for each are in test/golden/encode/insns.json.",
    "#define NOSPLIT 4",
    "",
  ];
  let fn = 0;
  const group = (body: string[]) => {
    out.push(`TEXT ·g${fn++}(SB),NOSPLIT,$0`);
    out.push(...body.map((l) => (l.endsWith(":") || l.startsWith("\t") ? l : "\t" + l)));
    out.push("");
  };
  let cur = "";
  let body: string[] = [];
  for (const f of FORMS) {
    if (SKIP.has(f.as) || f.decodeOnly) continue;
    const fam = f.as.replace(/(B|W|L|Q)?$/, "");
    if (fam !== cur && body.length > 200) { group(body); body = []; }
    cur = fam;
    body.push(...rowLines(f));
  }
  if (body.length) group(body);
  group(SPECIAL);
  for (const g of branchGroups()) group(g);
  const text = out.join("\n") + "\n";
  const lines = new Map<number, string>();
  text.split("\n").forEach((l, i) => {
    const t = l.trim();
    if (t && !t.startsWith("//") && !t.startsWith("#") && !t.startsWith("TEXT") && !t.endsWith(":")) lines.set(i + 1, t);
  });
  return { text, lines, rows: new Map() };
}

// --- Go's listing -----------------------------------------------------------

export interface GoLine { hex: string; relocs: string[] }

/**
 * Runs `go tool asm -S` on a file and returns, per source line, the bytes
 * and relocations (offsets relative to the instruction) Go produced.
 */
export function goAssemble(goBin: string, file: string): { lines: Map<number, GoLine>; error?: string } {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-enc-"));
  try {
    let out: string;
    try {
      out = execFileSync(goBin, ["tool", "asm", "-S", "-p", "main", "-o", join(dir, "x.o"), file], {
        encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 << 20,
      });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string };
      return { lines: new Map(), error: (err.stderr || err.stdout || String(e)).trim() };
    }
    return { lines: parseListing(out) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseListing(out: string): Map<number, GoLine> {
  const res = new Map<number, GoLine>();
  const syms = out.split(/^(?=\S)/m);
  for (const s of syms) {
    const insns: { pc: number; line: number; lock: boolean }[] = [];
    const bytes: number[] = [];
    const relocs: { off: number; text: string }[] = [];
    for (const l of s.split("\n")) {
      let m = /^\t0x[0-9a-f]{4} (\d{5}) \([^:]+:(\d+)\)\t(\S+)/.exec(l);
      if (m) {
        if (m[3] === "TEXT" || m[3] === "FUNCDATA" || m[3] === "PCDATA") continue;
        insns.push({ pc: Number(m[1]), line: Number(m[2]), lock: m[3] === "LOCK" });
        continue;
      }
      m = /^\t0x([0-9a-f]{4}) ((?:[0-9a-f]{2} ?)+)/.exec(l);
      if (m) { for (const b of m[2]!.trim().split(" ")) bytes.push(parseInt(b, 16)); continue; }
      m = /^\trel (\d+)\+(\d+) t=(\d+) (.*)$/.exec(l);
      if (m) relocs.push({ off: Number(m[1]), text: `${m[2]} t=${m[3]} ${m[4]!.replace(/^""\./, "main.")}` });
    }
    insns.forEach((ins, i) => {
      const end = i + 1 < insns.length ? insns[i + 1]!.pc : bytes.length;
      const prev = res.get(ins.line);
      const b = bytes.slice(ins.pc, end);
      const rel = relocs.filter((r) => r.off >= ins.pc && r.off < end).map((r) => `${r.off - ins.pc}+${r.text}`);
      if (prev) {
        // `LOCK; XADDQ ...`: Go lists LOCK as an instruction of its own on the same line.
        prev.relocs.push(...rel.map((r) => shiftReloc(r, prev.hex.length / 2)));
        prev.hex += hex(b);
      } else {
        res.set(ins.line, { hex: hex(b), relocs: rel });
      }
    });
  }
  return res;
}

function shiftReloc(r: string, by: number): string {
  const [off, rest] = r.split(/\+(.*)/s) as [string, string];
  return `${Number(off) + by}+${rest}`;
}

export function hex(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

const RELOC_NUM: Record<string, number> = { R_ADDR: 1, R_CALL: 7, R_CALLIND: 10, R_PCREL: 14, R_TLS_LE: 15 };
export function relocText(off: number, size: number, type: string, sym: string, add: number): string {
  const name = type === "R_TLS_LE" ? "TLS" : sym;
  return `${off}+${size} t=${RELOC_NUM[type]} ${name}+${add}`;
}

// --- the golden file -----------------------------------------------------------

/** Go's verdicts: per corpus line "hex" or "hex|reloc|reloc"; per rejected line Go's error ("" = accepted). */
export interface Golden { go: string; rejects: Record<string, string>; lines: Record<string, string> }

export function packLine(g: GoLine): string {
  return [g.hex, ...g.relocs].join("|");
}

export function loadGolden(): Golden {
  return JSON.parse(readFileSync(GOLDEN, "utf8")) as Golden;
}

// --- regeneration -------------------------------------------------------------

function main(): void {
  const c = generateCorpus();
  writeFileSync(CORPUS, c.text);
  const rejText = REJECT_LINES.map((l) => `// ${l}`).join("\n") + "\n";
  writeFileSync(REJECTS, "// Lines Go 1.19 rejects (each is assembled alone). Generated by test/asm/encode-corpus.ts.\n" + rejText);
  const go = process.env.GMPEMU_GO ?? "/usr/lib/go-1.19/bin/go";
  const r = goAssemble(go, CORPUS);
  if (r.error) throw new Error(`go tool asm failed on the corpus:\n${r.error}`);
  const lines: Record<string, string> = {};
  for (const [n, src] of c.lines) {
    const g = r.lines.get(n);
    if (!g) throw new Error(`no Go output for line ${n}: ${src}`);
    lines[n] = packLine(g);
  }
  const rejects: Record<string, string> = {};
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-rej-"));
  for (const l of [...REJECT_LINES, ...DIVERGENT_LINES]) {
    const f = join(dir, "r.s");
    writeFileSync(f, `#define NOSPLIT 4\nTEXT ·r(SB),NOSPLIT,$0\n\t${l}\n`);
    const rr = goAssemble(go, f);
    rejects[l] = rr.error ? rr.error.split("\n")[0]!.replace(/\(\/[^)]*\/r\.s:/, "(r.s:") : "";
  }
  rmSync(dir, { recursive: true, force: true });
  const golden: Golden = { go: "go1.19", rejects, lines };
  writeFileSync(GOLDEN, JSON.stringify(golden, null, 0).replace(/,"(\d+)":/g, ',\n"$1":') + "\n");
  console.log(`${c.lines.size} lines, ${Object.keys(rejects).length} reject checks`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
