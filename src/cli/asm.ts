// `gmpemu asm FILE.s…`: assemble and link, then list the machine code the way
// `go tool objdump` does (file:line, address, bytes, Go-syntax disassembly of
// the bytes as decoded from the image) or, with --json, print each symbol's
// bytes and relocations as the assembler emitted them, the form Go's own
// `go tool asm -S` shows and our oracle tests compare.
//
// Errors: every diagnostic as file:line:col: message, at most MAX_ERRORS of
// them, then exit status 1. Nothing is written anywhere but stdout/stderr.
import type { Command } from "commander";
import { buildImage, type Image, type LinkedSym } from "../asm/index.ts";
import { AsmErrors } from "../asm/prog.ts";
import { disassemble } from "../cpu/disasm.ts";
import { basename } from "node:path";

export const MAX_ERRORS = 10;

interface AsmCliOptions {
  I: string[];
  D: string[];
  p: string;
  json?: boolean;
}

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

/** The objdump-like listing of an image. */
export function listing(image: Image): string {
  const out: string[] = [];
  for (const s of image.symbols) {
    if (s.kind === "text") out.push(...listText(image, s), "");
    else out.push(...listData(s), "");
  }
  return out.join("\n");
}

function listText(image: Image, s: LinkedSym): string[] {
  const out = [`TEXT ${s.name}(SB) ${s.pos.file}`];
  for (let off = 0; off < s.bytes.length; ) {
    const pc = s.addr + off;
    const d = disassemble(s.bytes, off, pc, (a) => image.symbolize(a));
    const len = Math.max(1, d.len);
    const line = image.pcToLine(pc);
    const where = line ? `${basename(line.file)}:${line.line}` : "?";
    out.push(`  ${where.padEnd(18)}0x${pc.toString(16)}\t${hex(s.bytes.subarray(off, off + len)).padEnd(22)}\t${d.text}`);
    off += len;
  }
  return out;
}

function listData(s: LinkedSym): string[] {
  const what = s.bss ? "BSS" : s.readonly ? "RODATA" : "DATA";
  const out = [`${what} ${s.name}(SB) size=${s.size} ${s.pos.file}`];
  if (s.bss) return out;
  for (let off = 0; off < s.bytes.length; off += 16) {
    const row = s.bytes.subarray(off, off + 16);
    out.push(`  0x${(s.addr + off).toString(16)}\t${[...row].map((x) => x.toString(16).padStart(2, "0")).join(" ")}`);
  }
  for (const r of s.relocs) out.push(`  rel ${r.offset}+${r.size} ${r.type} ${r.sym}+${r.add}`);
  return out;
}

/** The --json document: raw (unrelocated) bytes and relocations per symbol. */
export function toJson(image: Image): string {
  const symbols = image.symbols.map((s) => ({
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
    .action((files: string[], o: AsmCliOptions) => {
      let image: Image;
      try {
        image = buildImage(files, { includeDirs: o.I, defines: o.D, pkg: o.p }).image;
      } catch (e) {
        if (!(e instanceof AsmErrors)) throw e;
        process.stderr.write(formatErrors(e));
        setStatus(1);
        return;
      }
      process.stdout.write(o.json ? toJson(image) : listing(image));
    });
}

/** At most MAX_ERRORS diagnostics, then a count of the rest. */
export function formatErrors(e: AsmErrors): string {
  const shown = e.errors.slice(0, MAX_ERRORS).map((x) => x.format());
  if (e.errors.length > MAX_ERRORS) shown.push(`too many errors (${e.errors.length - MAX_ERRORS} more not shown)`);
  return shown.join("\n") + "\n";
}
