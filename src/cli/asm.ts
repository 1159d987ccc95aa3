// `gmpemu asm FILE.s…`: assemble and link, then list the machine code the way
// `go tool objdump` does (file:line, address, bytes, Go-syntax disassembly of
// the bytes as decoded from the image) or, with --json, print each symbol's
// bytes and relocations as the assembler emitted them, the form Go's own
// `go tool asm -S` shows and our oracle tests compare.
//
// The listing's columns are laid out as objdump lays out its own: cells
// separated by tabs and padded with tabs by Go's text/tabwriter rule
// (minimum cell width 18, tab width 8, padding 1), each symbol a block of
// its own, so a long file name widens its column instead of running into
// the address. Unlike objdump we do not pad the last column (no trailing
// tabs) and list data symbols too.
//
// --only names symbols as the source spells them (·f, main·f, main.f,
// gogo<>), through the assembler's one rule for that (src/asm/symname.ts).
//
// Diagnostics: errors as file:line:col: message, at most MAX_ERRORS of them
// (then "too many errors"), exit status 1; warnings (an immediate Go keeps
// only in part) as file:line:col: warning: message, exit status 0, or
// errors with --strict. Nothing is written anywhere but stdout/stderr.
import type { Command } from "commander";
import { buildImage, lookupSymbol, MAX_ERRORS, type Image, type LinkedSym } from "../asm/index.ts";
import { AsmErrors } from "../asm/prog.ts";
import { disassemble } from "../cpu/disasm.ts";
import { basename } from "node:path";
import { nodeSource } from "../node/nodefs.ts";

export { MAX_ERRORS };

interface AsmCliOptions {
  I: string[];
  D: string[];
  p: string;
  json?: boolean;
  strict?: boolean;
  only?: string;
}

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

/**
 * Go's text/tabwriter with a tab as the padding character: each line is
 * cells separated by tabs (the last cell of a line is not part of a
 * column); a column's width, within each run of consecutive lines that have
 * that column, is its widest cell plus `padding`, at least `minwidth`, and
 * cells are padded with tabs to that width rounded up to `tabwidth`.
 * Iterative, so a line with many tabs (a file name can hold them) costs no
 * stack.
 */
export function tabwrite(lines: readonly string[], minwidth = 18, tabwidth = 8, padding = 1): string[] {
  const cells = lines.map((l) => l.split("\t"));
  const len = (s: string): number => { let n = 0; for (const _ of s) n++; return n; };
  const textw = cells.map((cs) => cs.map(len));
  const width: number[][] = cells.map(() => []);
  let columns = 0;
  for (const cs of cells) columns = Math.max(columns, cs.length - 1);
  for (let c = 0; c < columns; c++) {
    for (let i = 0; i < cells.length; ) {
      if (cells[i]!.length - 1 <= c) { i++; continue; }
      let j = i, w = minwidth;
      for (; j < cells.length && cells[j]!.length - 1 > c; j++) w = Math.max(w, textw[j]![c]! + padding);
      for (let k = i; k < j; k++) width[k]![c] = w;
      i = j;
    }
  }
  return cells.map((cs, i) => {
    let s = "";
    for (let c = 0; c < cs.length - 1; c++) {
      const cellw = Math.ceil(width[i]![c]! / tabwidth) * tabwidth;
      s += cs[c]! + "\t".repeat(Math.ceil((cellw - textw[i]![c]!) / tabwidth));
    }
    return s + cs[cs.length - 1]!;
  });
}

/** The objdump-like listing of an image (of the symbols in `only`, when given). */
export function listing(image: Image, only?: ReadonlySet<string>): string {
  const out: string[] = [];
  for (const s of image.symbols) {
    if (only && !only.has(s.name)) continue;
    // A loop, not push(...rows): a function can have more rows than a call has arguments.
    for (const row of s.kind === "text" ? listText(image, s) : listData(s)) out.push(row);
    out.push("");
  }
  return out.join("\n");
}

function listText(image: Image, s: LinkedSym): string[] {
  const rows: string[] = [];
  for (let off = 0; off < s.bytes.length; ) {
    const pc = s.addr + off;
    const d = disassemble(s.bytes, off, pc, (a) => image.symbolize(a));
    const len = Math.max(1, d.len);
    const line = image.pcToLine(pc);
    // A tab in a file name would be a column of its own.
    const where = line ? `${basename(line.file).replace(/[\t\n]/g, " ")}:${line.line}` : "?";
    rows.push(`  ${where}\t0x${pc.toString(16)}\t${hex(s.bytes.subarray(off, off + len))}\t${d.text}`);
    off += len;
  }
  return [`TEXT ${s.name}(SB) ${s.pos.file}`, ...tabwrite(rows)];
}

function listData(s: LinkedSym): string[] {
  const what = s.bss ? "BSS" : s.readonly ? "RODATA" : "DATA";
  const head = `${what} ${s.name}(SB) size=${s.size} ${s.pos.file}`;
  if (s.bss) return [head];
  const rows: string[] = [];
  // The bytes DATA wrote (relocated); the zeros GLOBL adds after them in one row.
  const written = s.raw.length;
  for (let off = 0; off < written; off += 16) {
    const row = s.bytes.subarray(off, Math.min(off + 16, written));
    rows.push(`  0x${(s.addr + off).toString(16)}\t${[...row].map((x) => x.toString(16).padStart(2, "0")).join(" ")}`);
  }
  if (written < s.size) rows.push(`  0x${(s.addr + written).toString(16)}\t00 × ${s.size - written}`);
  for (const r of s.relocs) rows.push(`  rel ${r.offset}+${r.size}\t${r.type} ${r.sym}+${r.add}`);
  return [head, ...tabwrite(rows)];
}

/** The --json document: raw (unrelocated) bytes and relocations per symbol. */
export function toJson(image: Image, only?: ReadonlySet<string>): string {
  const symbols = image.symbols.filter((s) => !only || only.has(s.name)).map((s) => ({
    name: s.name,
    kind: s.kind,
    addr: s.addr,
    size: s.size,
    bytes: hex(s.raw),
    relocs: s.relocs.map((r) => ({ offset: r.offset, size: r.size, type: r.type, target: r.sym, add: r.add })),
  }));
  return JSON.stringify({ symbols }, null, 2) + "\n";
}

export function registerAsm(program: Command, setStatus: (s: number) => void): void {
  const collect = (v: string, prev: string[]): string[] => [...prev, v];
  program
    .command("asm")
    .description("assemble Go assembly files and list the machine code (like go tool objdump)")
    .argument("<files...>", "Go assembly files (.s)")
    .option("-I <dir>", "add a directory to the #include search path (repeatable)", collect, [])
    .option("-D <name[=value]>", "predefine a macro (repeatable)", collect, [])
    .option("-p <pkg>", "package path for ·name symbols", "main")
    .option("--json", "print symbols, bytes and relocations as JSON")
    .option("--only <syms>", "list only these symbols (comma-separated, as the source spells them: ·f, main·f, main.f, gogo<>)")
    .option("--strict", "make a lossy immediate or displacement (MOVB $0x1ff, AX) an error, not a warning")
    .action((files: string[], o: AsmCliOptions) => {
      let built: ReturnType<typeof buildImage>;
      try {
        built = buildImage(files, { includeDirs: o.I, defines: o.D, pkg: o.p, strict: o.strict === true, source: nodeSource });
      } catch (e) {
        if (!(e instanceof AsmErrors)) throw e;
        process.stderr.write(formatErrors(e));
        setStatus(1);
        return;
      }
      let only: Set<string> | undefined;
      if (o.only !== undefined) {
        only = new Set();
        for (const spelled of o.only.split(",").map((x) => x.trim()).filter((x) => x !== "")) {
          const m = lookupSymbol(built.image, spelled, o.p);
          if (!m.ok) {
            process.stderr.write(`gmpemu asm: --only: ${m.message}\n(see gmpemu asm --help)\n`);
            setStatus(2);
            return;
          }
          only.add(m.name);
        }
      }
      for (const w of built.warnings) process.stderr.write(w.format() + "\n");
      process.stdout.write(o.json ? toJson(built.image, only) : listing(built.image, only));
    });
}

/** At most MAX_ERRORS diagnostics, then Go's "too many errors" when there were more. */
export function formatErrors(e: AsmErrors): string {
  const shown = e.errors.slice(0, MAX_ERRORS).map((x) => x.format());
  if (e.tooMany || e.errors.length > MAX_ERRORS) shown.push("too many errors");
  return shown.join("\n") + "\n";
}
