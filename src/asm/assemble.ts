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
// Errors from every stage are collected, each with its file:line:col, and
// the driver keeps going after one so that a user sees all of them (the CLI
// caps what it prints). An object is only produced when there are none.
//
// Rejected: encoding DATA through the instruction encoder (BYTE/WORD are
// instructions in text; DATA is a memory image with its own overlap rules).

import { collapseJumpChains, assembleFunction } from "../x86/span.ts";
import { encodeProg, type Reloc } from "../x86/encode.ts";
import { cloneProg, preprocess } from "./obj6.ts";
import { parseFile, parseString, type ParseOptions, type ParseResult } from "./parse.ts";
import { AsmError, TEXTFLAG, type Addr, type Pos, type Prog } from "./prog.ts";

export type AsmOptions = ParseOptions;

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
  /** The files read (the source and its #includes). */
  files: string[];
}

export interface AsmResult {
  obj: ObjFile;
  errors: AsmError[];
}

/** Assembles a file on disk. A missing or unreadable file is reported as an error. */
export function assembleFile(path: string, opts: AsmOptions = {}): AsmResult {
  return build(path, parseFile(path, opts));
}

/** Assembles source text that claims to come from `filename`. */
export function assembleString(src: string, filename: string, opts: AsmOptions = {}): AsmResult {
  return build(filename, parseString(src, filename, opts));
}

function build(file: string, parsed: ParseResult): AsmResult {
  const errors = [...parsed.errors];
  const syms: ObjSym[] = [];
  const obj: ObjFile = { file, syms, files: parsed.files };
  // A file that cannot be read has already been reported.
  if (parsed.progs.length === 0 && errors.length === 0) {
    errors.push(new AsmError({ file, line: 1, col: 1 }, "empty file: no TEXT, DATA or GLOBL to assemble"));
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
      errors.push(new AsmError(pos, `symbol ${name} redeclared (first at ${prev.file}:${prev.line})`));
      return false;
    }
    defined.set(name, pos);
    return true;
  };
  for (const f of funcs) {
    const text = f[0]!;
    const name = symName(text.from);
    if (!define(name, text.pos)) continue;
    try {
      const sym = assembleText(f, name);
      errors.push(...sym.errors);
      syms.push(sym.sym);
    } catch (e) {
      if (e instanceof AsmError) errors.push(e);
      else throw e;
    }
  }
  syms.push(...buildData(data, define, errors));
  return { obj, errors: firstPerLine(errors) };
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

/**
 * One diagnostic per source line (a bad line can upset several stages: the
 * first stage to notice wins, as it points most precisely), in line order.
 */
function firstPerLine(errors: AsmError[]): AsmError[] {
  const seen = new Set<string>();
  const fileOrder = new Map<string, number>();
  for (const e of errors) if (!fileOrder.has(e.pos.file)) fileOrder.set(e.pos.file, fileOrder.size);
  const sorted = [...errors].sort((a, b) =>
    fileOrder.get(a.pos.file)! - fileOrder.get(b.pos.file)! || a.pos.line - b.pos.line);
  return sorted.filter((e) => {
    const k = `${e.pos.file}:${e.pos.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Every instruction that is not a branch to a label is encoded on its own
 * first, so that one bad operand does not hide the next (layout stops at the
 * first error it meets).
 */
function checkEach(progs: Prog[]): AsmError[] {
  const errors: AsmError[] = [];
  for (const p of progs.slice(1)) {
    if (p.to.type === "branch" && p.to.sym === undefined) continue; // laid out by span
    if (p.as === "ADJSP") continue; // lowered by span
    try {
      encodeProg(cloneProg(p), 0);
    } catch (e) {
      if (e instanceof AsmError) errors.push(e);
      else throw e;
    }
  }
  return errors;
}

function assembleText(progs: Prog[], name: string): { sym: ObjSym; errors: AsmError[] } {
  const text = progs[0]!;
  // linkpatch's jump-chain collapse runs before obj6 in Go; keep its answer as
  // labels, since obj6 inserts progs and re-resolves branches by label.
  let collapsed = progs;
  try {
    collapsed = collapseJumpChains(progs);
  } catch (e) {
    // An undefined label: obj6 reports it below, beside the other errors.
    if (!(e instanceof AsmError)) throw e;
  }
  const withLabels = collapsed.map((p) => ({ ...p, ...(p.labels ? { labels: [...p.labels] } : {}) }));
  withLabels.forEach((p) => {
    if (p.to.type !== "branch" || p.to.target === undefined) return;
    const t = p.to.target;
    const label = `\u0000cj${t}`;
    if (t < withLabels.length) {
      const q = withLabels[t]!;
      if (!(q.labels ??= []).includes(label)) q.labels.push(label);
      const { target: _drop, ...rest } = p.to;
      p.to = { ...rest, label };
    }
  });
  const pre = preprocess(withLabels);
  const bad = [...pre.errors, ...checkEach(pre.progs)];
  if (bad.length) return { sym: emptyText(text, name), errors: bad };
  const asm = assembleFunction(pre.progs, { name });
  const lines: LineEntry[] = [];
  pre.progs.forEach((p, i) => {
    const pc = asm.pcs[i]!;
    const end = i + 1 < asm.pcs.length ? asm.pcs[i + 1]! : asm.bytes.length;
    if (end <= pc) return;
    const last = lines[lines.length - 1];
    if (last && last.end === pc && last.file === p.pos.file && last.line === p.pos.line) last.end = end;
    else lines.push({ pc, end, file: p.pos.file, line: p.pos.line });
  });
  const sym: ObjSym = {
    name, kind: "text", flags: text.flags ?? 0, size: asm.bytes.length, bytes: asm.bytes,
    relocs: asm.relocs, lines, pos: text.pos, frame: pre.frame, split: pre.split, abi: text.abi ?? "ABI0",
  };
  if (text.to.type === "textsize" && text.to.args >= 0n) sym.args = Number(text.to.args);
  return { sym, errors: [] };
}

function emptyText(text: Prog, name: string): ObjSym {
  return { name, kind: "text", flags: text.flags ?? 0, size: 0, bytes: new Uint8Array(0), relocs: [], lines: [], pos: text.pos };
}

/** GLOBL declares a data symbol's size and flags; DATA fills ranges of it. */
function buildData(progs: Prog[], define: (name: string, pos: Pos) => boolean, errors: AsmError[]): ObjSym[] {
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
    if (!globl.has(name)) errors.push(new AsmError(l[0]!.pos, `DATA for ${name} without a GLOBL declaring its size`));
  }
  const out: ObjSym[] = [];
  for (const [name, g] of globl) {
    const size = g.to.type === "const" ? Number(g.to.value) : 0;
    if (size < 0 || size > 1 << 30) {
      errors.push(new AsmError(g.pos, `GLOBL ${name}: bad size ${size}`));
      continue;
    }
    const l = fills.get(name) ?? [];
    const bytes = new Uint8Array(l.length > 0 ? size : 0);
    const relocs: Reloc[] = [];
    const written = new Uint8Array(size);
    // Like Go's object files, the contents end at the last byte DATA wrote;
    // the linker zero-fills the rest of the declared size.
    let end = 0;
    for (const d of l) {
      const m = d.from.type === "mem" ? d.from : undefined;
      const off = Number(m?.offset ?? 0n);
      const width = d.flags ?? 0;
      if (off < 0 || off + width > size) {
        errors.push(new AsmError(d.pos, `DATA ${name}+${off}/${width} is outside the ${size} bytes GLOBL declares`));
        continue;
      }
      if (written.subarray(off, off + width).some((b) => b !== 0)) {
        errors.push(new AsmError(d.pos, `overlapping DATA entry for ${name} at offset ${off}`));
        continue;
      }
      written.fill(1, off, off + width);
      const v = d.to;
      if (v.type === "const") {
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
