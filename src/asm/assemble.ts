// The assembler driver: one source file → an object file (symbols with their
// bytes, relocations and pc→line entries), the way `go tool asm` makes a .o.
//
// The stages, in Go's order:
//   parse (preprocess, tokens, Progs)  →  split into TEXT symbols and data
//   →  per function: linkpatch's jump-chain collapse, obj6's preprocess
//      (prologue, frame, epilogue, pseudo-register rewriting), span6's
//      layout and encoding  →  DATA/GLOBL into data symbols.
//
// File-local symbols (`name<>`) are kept as `name<>` here; the linker gives
// them a per-file identity (`name<N>`, N the file's number in the link, which
// is how Go's objdump prints them too), so two files may each have a gogo<>.
//
// Errors from every stage are collected in one Diag (src/asm/diag.ts), each
// with its file:line:col, one per line, and the driver keeps going after one
// so that a user sees all of them, until more than ten lines have errors:
// then it stops, as Go's assembler does ("too many errors"). An object is
// only produced when there are none. Warnings (an immediate Go keeps only in
// part, src/x86/encode.ts) are returned beside it; `strict` makes them errors.
//
// Files come through a SourceProvider (src/asm/source.ts); every file read
// is listed in the object (`inputs`, with its identity), so that a command
// can refuse to write over any of them.
//
// Rejected: encoding DATA through the instruction encoder (BYTE/WORD are
// instructions in text; DATA is a memory image with its own overlap rules).

import { assembleFunction } from "../x86/span.ts";
import { encodeProg, immLoss, type Reloc } from "../x86/encode.ts";
import { EncodeError } from "../x86/inst.ts";
import { bytesText, DEFAULT_LIMITS, Diag, type Limits } from "./diag.ts";
import { collapseJumpChains } from "./linkpatch.ts";
import { cloneProg, preprocess } from "./obj6.ts";
import { parseFile, parseString, type ParseOptions, type ParseResult } from "./parse.ts";
import { AsmError, AsmWarning, TEXTFLAG, type Addr, type Pos, type Prog } from "./prog.ts";
import type { SourceInput, SourceProvider } from "./source.ts";

export interface AsmOptions extends ParseOptions {
  /** Lossy immediates and displacements are errors, not warnings (gmpemu asm --strict). */
  strict?: boolean;
}

/** Options for assembling files: the provider they come through is required. */
export type AsmFileOptions = AsmOptions & { source: SourceProvider };

/** One pc range of a text symbol and the source line it came from. */
export interface LineEntry {
  /** Offset in the symbol. */
  pc: number;
  end: number;
  file: string;
  line: number;
}

export interface ObjSym {
  /** Go's name: `runtime.gogo`, `main.f`, or `gogo<>` for a file-local symbol. */
  name: string;
  kind: "text" | "data";
  /** textflag.h flags of TEXT or GLOBL. */
  flags: number;
  size: number;
  /** Contents; for data without any DATA statement (bss) this is empty. */
  bytes: Uint8Array;
  relocs: Reloc[];
  /** Text only: pc ranges and source lines. */
  lines: LineEntry[];
  /** Where the symbol was declared (TEXT or GLOBL). */
  pos: Pos;
  /** Text only: the frame size obj6 settled on and whether it checks the stack. */
  frame?: number;
  /** Text only: TEXT's declared argument size ($frame-args), when given. */
  args?: number;
  split?: boolean;
  abi?: "ABI0" | "ABIInternal";
}

export interface ObjFile {
  /** The file as named on the command line. */
  file: string;
  syms: ObjSym[];
  /** The files read (the source and its #includes), in order. */
  files: string[];
  /** Each distinct file read, with the provider's identity of it (device:inode on Node). */
  inputs: SourceInput[];
}

export interface AsmResult {
  obj: ObjFile;
  /** In line order, one per line; at most MAX_ERRORS when `tooMany`. */
  errors: AsmError[];
  warnings: AsmWarning[];
  /** The assembly stopped at MAX_ERRORS lines with errors. */
  tooMany: boolean;
}

/** Assembles a file read through `opts.source`. A missing or unreadable file is reported as an error. */
export function assembleFile(path: string, opts: AsmFileOptions): AsmResult {
  return build(path, parseFile(path, opts), opts);
}

/** Assembles source text that claims to come from `filename` (#includes through `opts.source`, if given). */
export function assembleString(src: string, filename: string, opts: AsmOptions = {}): AsmResult {
  return build(filename, parseString(src, filename, opts), opts);
}

function build(file: string, parsed: ParseResult, opts: AsmOptions): AsmResult {
  const diag = parsed.diag;
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const syms: ObjSym[] = [];
  const obj: ObjFile = { file, syms, files: parsed.files, inputs: parsed.inputs };
  const result = (): AsmResult => {
    if (opts.strict) for (const w of diag.warnings) diag.error(new AsmError(w.pos, w.message));
    return { obj, errors: diag.sorted(), warnings: opts.strict ? [] : sortWarnings(diag.warnings), tooMany: diag.full };
  };
  // Too many errors already: Go stops here too.
  if (diag.full) return result();
  // A file that cannot be read has already been reported.
  if (parsed.progs.length === 0 && diag.errors.length === 0) {
    diag.error(new AsmError({ file, line: 1, col: 1 }, "empty file: no TEXT, DATA or GLOBL to assemble"));
  }
  const funcs: Prog[][] = [];
  const data: Prog[] = [];
  for (const p of parsed.progs) {
    normalizeStatic(p);
    if (p.as === "TEXT") funcs.push([p]);
    else if (p.as === "DATA" || p.as === "GLOBL") data.push(p);
    else funcs[funcs.length - 1]?.push(p); // the parser reported progs outside TEXT
  }
  const defined = new Map<string, Pos>();
  const define = (name: string, pos: Pos): boolean => {
    const prev = defined.get(name);
    if (prev) {
      diag.error(new AsmError(pos, `symbol ${name} redeclared (first at ${prev.file}:${prev.line})`));
      return false;
    }
    defined.set(name, pos);
    return true;
  };
  for (const f of funcs) {
    if (diag.full) return result();
    const text = f[0]!;
    const name = symName(text.from);
    if (!define(name, text.pos)) continue;
    syms.push(assembleText(f, name, diag, limits));
  }
  if (diag.full) return result();
  for (const d of buildData(data, define, diag, limits)) syms.push(d);
  return result();
}

function sortWarnings(w: readonly AsmWarning[]): AsmWarning[] {
  return [...w].sort((a, b) => (a.pos.file === b.pos.file ? a.pos.line - b.pos.line || a.pos.col - b.pos.col : 0));
}

/** `foo<>(SB)` is kept as the symbol name `foo<>` from here on (see the essay). */
function normalizeStatic(p: Prog): void {
  for (const a of [p.from, p.from3, p.to] as (Addr | undefined)[]) {
    const m = a?.type === "mem" ? a : a?.type === "addr" ? a.mem : undefined;
    if (m?.name === "static") {
      m.name = "extern";
      m.sym = `${m.sym}<>`;
    }
  }
}

function symName(a: Addr): string {
  return a.type === "mem" && a.sym !== undefined ? a.sym : "?";
}

/** Runs a stage that reports through EncodeError/AsmError exceptions; true when it did not throw. */
function guarded(diag: Diag, f: () => void): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof EncodeError) {
      diag.error(AsmError.from(e));
      return false;
    }
    throw e;
  }
}

/**
 * Every instruction that is not a branch to a label is encoded on its own
 * first, so that one bad operand does not hide the next (layout stops at the
 * first error it meets). Returns whether all encoded.
 */
function checkEach(progs: Prog[], diag: Diag): boolean {
  let ok = true;
  for (const p of progs.slice(1)) {
    if (diag.full) return false;
    if (p.to.type === "branch" && p.to.sym === undefined) continue; // laid out by span
    if (p.as === "ADJSP") continue; // lowered by span
    if (!guarded(diag, () => encodeProg(cloneProg(p), 0))) ok = false;
  }
  return ok;
}

function assembleText(progs: Prog[], name: string, diag: Diag, limits: Limits): ObjSym {
  const text = progs[0]!;
  // linkpatch's jump-chain collapse runs before obj6 in Go; keep its answer as
  // labels, since obj6 inserts progs and re-resolves branches by label.
  let collapsed = progs;
  // An undefined label: obj6 reports it below, beside the other errors.
  try {
    collapsed = collapseJumpChains(progs);
  } catch (e) {
    if (!(e instanceof AsmError)) throw e;
  }
  const withLabels = collapsed.map((p) => ({ ...p, ...(p.labels ? { labels: [...p.labels] } : {}) }));
  // Labels for the collapsed targets, each added once (a Set per target:
  // thousands of branches to one place must not cost a scan each).
  const added = new Map<number, Set<string>>();
  withLabels.forEach((p) => {
    if (p.to.type !== "branch" || p.to.target === undefined) return;
    const t = p.to.target;
    const label = `\u0000cj${t}`;
    if (t < withLabels.length) {
      const q = withLabels[t]!;
      let have = added.get(t);
      if (!have) added.set(t, (have = new Set(q.labels)));
      if (!have.has(label)) {
        have.add(label);
        (q.labels ??= []).push(label);
      }
      const { target: _drop, ...rest } = p.to;
      p.to = { ...rest, label };
    }
  });
  const pre = preprocess(withLabels);
  for (const e of pre.errors) diag.error(e);
  if (pre.errors.length) {
    checkEach(pre.progs, diag);
    return emptyText(text, name);
  }
  // The layout encodes every instruction; only when it fails is each one
  // encoded on its own, to report every bad line and not just the first.
  let a: ReturnType<typeof assembleFunction>;
  try {
    a = assembleFunction(pre.progs, { name, maxWork: limits.maxLayoutWork });
  } catch (e) {
    if (!(e instanceof EncodeError)) throw e;
    if (checkEach(pre.progs, diag)) diag.error(AsmError.from(e));
    return emptyText(text, name);
  }
  for (const w of a.warnings) diag.warn(new AsmWarning(w.pos, w.message));
  const lines: LineEntry[] = [];
  pre.progs.forEach((p, i) => {
    const pc = a.pcs[i]!;
    const end = i + 1 < a.pcs.length ? a.pcs[i + 1]! : a.bytes.length;
    if (end <= pc) return;
    const last = lines[lines.length - 1];
    if (last && last.end === pc && last.file === p.pos.file && last.line === p.pos.line) last.end = end;
    else lines.push({ pc, end, file: p.pos.file, line: p.pos.line });
  });
  const sym: ObjSym = {
    name, kind: "text", flags: text.flags ?? 0, size: a.bytes.length, bytes: a.bytes,
    relocs: a.relocs, lines, pos: text.pos, frame: pre.frame, split: pre.split, abi: text.abi ?? "ABI0",
  };
  if (text.to.type === "textsize" && text.to.args >= 0n) sym.args = Number(text.to.args);
  return sym;
}

function emptyText(text: Prog, name: string): ObjSym {
  return { name, kind: "text", flags: text.flags ?? 0, size: 0, bytes: new Uint8Array(0), relocs: [], lines: [], pos: text.pos };
}

/** GLOBL declares a data symbol's size and flags; DATA fills ranges of it. */
function buildData(progs: Prog[], define: (name: string, pos: Pos) => boolean, diag: Diag, limits: Limits): ObjSym[] {
  const globl = new Map<string, Prog>();
  const fills = new Map<string, Prog[]>();
  for (const p of progs) {
    const name = symName(p.from);
    if (p.as === "GLOBL") {
      if (!define(name, p.pos)) continue;
      globl.set(name, p);
    } else {
      let l = fills.get(name);
      if (!l) fills.set(name, (l = []));
      l.push(p);
    }
  }
  for (const [name, l] of fills) {
    if (!globl.has(name)) diag.error(new AsmError(l[0]!.pos, `DATA for ${name} without a GLOBL declaring its size`));
  }
  const out: ObjSym[] = [];
  // The linker gives every data symbol its bytes: bound them, in all.
  let total = 0;
  for (const [name, g] of globl) {
    const size = g.to.type === "const" ? Number(g.to.value) : 0;
    if (size < 0) {
      diag.error(new AsmError(g.pos, `GLOBL ${name}: bad size ${size}`));
      continue;
    }
    total += size;
    if (total > limits.maxDataBytes) {
      diag.error(new AsmError(g.pos, `GLOBL ${name}: the data of this assembly exceeds ${bytesText(limits.maxDataBytes)} (${size} bytes here)`));
      continue;
    }
    const l = fills.get(name) ?? [];
    const bytes = new Uint8Array(l.length > 0 ? size : 0);
    const relocs: Reloc[] = [];
    // Bytes DATA has written, for the overlap check; only when there is DATA.
    const written = new Uint8Array(l.length > 0 ? size : 0);
    // Like Go's object files, the contents end at the last byte DATA wrote;
    // the linker zero-fills the rest of the declared size.
    let end = 0;
    for (const d of l) {
      const m = d.from.type === "mem" ? d.from : undefined;
      const off = Number(m?.offset ?? 0n);
      const width = d.flags ?? 0;
      if (off < 0 || off + width > size) {
        diag.error(new AsmError(d.pos, `DATA ${name}+${off}/${width} is outside the ${size} bytes GLOBL declares`));
        continue;
      }
      if (written.subarray(off, off + width).some((b) => b !== 0)) {
        diag.error(new AsmError(d.pos, `overlapping DATA entry for ${name} at offset ${off}`));
        continue;
      }
      written.fill(1, off, off + width);
      const v = d.to;
      if (v.type === "const") {
        // As Go, the low `width` bytes; say so when that loses bits.
        const loss = immLoss(v.value, width, width, false);
        if (loss) diag.warn(new AsmWarning(d.argPos?.[1] ?? d.pos, loss));
        let x = BigInt.asUintN(64, v.value);
        for (let k = 0; k < width; k++, x >>= 8n) bytes[off + k] = Number(x & 0xffn);
      } else if (v.type === "sconst") {
        bytes.set(v.bytes.subarray(0, width), off);
      } else if (v.type === "addr") {
        relocs.push({ offset: off, size: width, type: "R_ADDR", sym: v.mem.sym ?? "", add: Number(v.mem.offset) });
      }
      end = Math.max(end, off + width);
    }
    const flags = g.flags ?? 0;
    out.push({ name, kind: "data", flags, size, bytes: bytes.slice(0, end), relocs, lines: [], pos: g.pos });
  }
  return out;
}

/** Whether a data symbol is read-only (RODATA), for the loader's page protection. */
export function isReadOnly(s: ObjSym): boolean {
  return s.kind === "data" && (s.flags & TEXTFLAG.RODATA) !== 0;
}
