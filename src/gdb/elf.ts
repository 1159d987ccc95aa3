// An ELF64 executable of a linked image, for gdb's `file` command: the text
// and data at their addresses (two PT_LOAD segments), a symbol table with
// every text symbol (STT_FUNC, with its size), every data symbol
// (STT_OBJECT) and every host function (absolute STT_FUNC at its bridge
// address), and a DWARF 4 line table (.debug_line, with the one compile unit
// in .debug_info that points at it) mapping each instruction to its .s file
// and line, so gdb shows source; and call frame information (.debug_frame,
// src/gdb/cfi.ts) for every function and for the host region, so that
// gdb's `bt` walks through the TypeScript runtime's frames. The
// continuation tokens of suspended host functions share one symbol,
// HOSTFRAME_SYMBOL, so gdb names such a frame (`monitor bt` names the
// function). Nothing here is executed: the machine runs in gmpemu; gdb only
// reads symbols, lines and frame rules from this file.

import { resolve } from "node:path";
import type { Image } from "../asm/link.ts";
import { HOST_BASE } from "../runtime/bridge.ts";
import { debugFrame, HOST_END, TOKEN_BASE } from "./cfi.ts";

/** The symbol over the continuation tokens: a frame there is a suspended host function. */
export const HOSTFRAME_SYMBOL = "runtime.hostframe";

const PAGE = 0x1000;
const SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_NOBITS = 8;
const SHF_WRITE = 1, SHF_ALLOC = 2, SHF_EXECINSTR = 4;
const STB_GLOBAL = 1, STT_OBJECT = 1, STT_FUNC = 2;

/** A growable little-endian byte buffer. */
class Buf {
  private b = new Uint8Array(1024);
  len = 0;
  private grow(n: number): void {
    if (this.len + n <= this.b.length) return;
    let size = this.b.length * 2;
    while (size < this.len + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.b.subarray(0, this.len));
    this.b = nb;
  }
  u8(v: number): this { this.grow(1); this.b[this.len++] = v & 0xff; return this; }
  u16(v: number): this { return this.u8(v).u8(v >>> 8); }
  u32(v: number): this { return this.u16(v & 0xffff).u16(v >>> 16); }
  u64(v: number | bigint): this {
    const x = BigInt.asUintN(64, BigInt(v));
    return this.u32(Number(x & 0xffffffffn)).u32(Number(x >> 32n));
  }
  bytes(a: Uint8Array): this { this.grow(a.length); this.b.set(a, this.len); this.len += a.length; return this; }
  str(s: string): this { return this.bytes(new TextEncoder().encode(s)).u8(0); }
  uleb(v: number): this {
    do {
      let byte = v & 0x7f;
      v = Math.floor(v / 128);
      if (v !== 0) byte |= 0x80;
      this.u8(byte);
    } while (v !== 0);
    return this;
  }
  sleb(v: number): this {
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) { this.u8(byte); return this; }
      this.u8(byte | 0x80);
    }
  }
  pad(align: number): this { while (this.len % align) this.u8(0); return this; }
  at(n: number): this { while (this.len < n) this.u8(0); return this; }
  set32(off: number, v: number): void {
    for (let i = 0; i < 4; i++) this.b[off + i] = (v >>> (8 * i)) & 0xff;
  }
  get data(): Uint8Array { return this.b.slice(0, this.len); }
}

class StrTab {
  readonly buf = new Buf().u8(0);
  private readonly index = new Map<string, number>();
  add(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) { i = this.buf.len; this.buf.str(s); this.index.set(s, i); }
    return i;
  }
}

/** The DWARF 4 line program: one sequence per text symbol, a row wherever file:line changes. */
function debugLine(image: Image): Uint8Array {
  const files: string[] = [];
  const fileIndex = new Map<string, number>();
  const fileNo = (f: string): number => {
    const abs = resolve(f);
    let i = fileIndex.get(abs);
    if (i === undefined) { files.push(abs); i = files.length; fileIndex.set(abs, i); }
    return i;
  };
  const prog = new Buf();
  const setAddress = (a: number): void => { prog.u8(0).uleb(9).u8(2).u64(a); };
  let lastPc = 0;
  for (const s of [...image.symbols].filter((x) => x.kind === "text" && x.size > 0).sort((a, b) => a.addr - b.addr)) {
    let file = 1, line = 1, prev = "";
    let started = false;
    for (let pc = s.addr; pc < s.addr + s.size; pc++) {
      const l = image.pcToLine(pc);
      if (!l) continue;
      const key = `${l.file}:${l.line}`;
      if (key === prev) continue;
      prev = key;
      if (!started) { setAddress(pc); started = true; } else { prog.u8(2).uleb(pc - lastPc); }
      lastPc = pc;
      const f = fileNo(l.file);
      if (f !== file) { prog.u8(4).uleb(f); file = f; }
      if (l.line !== line) { prog.u8(3).sleb(l.line - line); line = l.line; }
      prog.u8(1); // DW_LNS_copy
    }
    if (started) {
      prog.u8(2).uleb(s.addr + s.size - lastPc);
      prog.u8(0).uleb(1).u8(1); // DW_LNE_end_sequence
    }
  }
  const hdr = new Buf();
  hdr.u8(1).u8(1).u8(1).u8(-5 & 0xff).u8(14).u8(13); // min insn len, max ops, default_is_stmt, line_base, line_range, opcode_base
  for (const n of [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]) hdr.u8(n);
  hdr.u8(0); // no include directories
  for (const f of files) hdr.str(f).uleb(0).uleb(0).uleb(0);
  hdr.u8(0);
  const h = hdr.data, p = prog.data;
  const out = new Buf();
  out.u32(2 + 4 + h.length + p.length).u16(4).u32(h.length).bytes(h).bytes(p);
  return out.data;
}
/**
 * .debug_abbrev and .debug_info: one DW_TAG_compile_unit pointing at the
 * line table, with a DW_TAG_subprogram per text symbol, so gdb names
 * functions as Go does (runtime.gogo) rather than demangling the ELF name.
 */
function debugInfo(image: Image, name: string): { abbrev: Uint8Array; info: Uint8Array } {
  const abbrev = new Buf()
    .uleb(1).uleb(0x11).u8(1) // DW_TAG_compile_unit, children
    .uleb(0x25).uleb(0x08) // producer: string
    .uleb(0x13).uleb(0x05) // language: data2
    .uleb(0x03).uleb(0x08) // name: string
    .uleb(0x10).uleb(0x17) // stmt_list: sec_offset
    .uleb(0x11).uleb(0x01) // low_pc: addr
    .uleb(0x12).uleb(0x07) // high_pc: data8 (a length)
    .uleb(0).uleb(0)
    .uleb(2).uleb(0x2e).u8(0) // DW_TAG_subprogram, no children
    .uleb(0x03).uleb(0x08) // name: string
    .uleb(0x11).uleb(0x01) // low_pc: addr
    .uleb(0x12).uleb(0x07) // high_pc: data8
    .uleb(0x3f).uleb(0x19) // external: flag_present
    .uleb(0).uleb(0)
    .uleb(3).uleb(0x11).u8(1) // DW_TAG_compile_unit without lines (the host region), children
    .uleb(0x25).uleb(0x08) // producer: string
    .uleb(0x13).uleb(0x05) // language: data2
    .uleb(0x03).uleb(0x08) // name: string
    .uleb(0x11).uleb(0x01) // low_pc: addr
    .uleb(0x12).uleb(0x07) // high_pc: data8
    .uleb(0).uleb(0)
    .uleb(0);
  const die = new Buf().uleb(1).str("gmpemu").u16(0x16 /* DW_LANG_Go */).str(name)
    .u32(0).u64(image.textStart).u64(image.textEnd - image.textStart);
  for (const s of [...image.symbols].filter((x) => x.kind === "text" && x.size > 0).sort((a, b) => a.addr - b.addr)) {
    die.uleb(2).str(s.name).u64(s.addr).u64(s.size);
  }
  die.uleb(0);
  const d = die.data;
  // The host region as a second unit: each host function by its Go name,
  // and the continuation tokens as HOSTFRAME_SYMBOL (from one byte early, as
  // gdb names a caller by its return address - 1; cfi.ts does the same).
  const host = new Buf().uleb(3).str("gmpemu").u16(0x16).str("src/runtime (TypeScript)")
    .u64(HOST_BASE).u64(HOST_END - HOST_BASE);
  for (const [hname, addr] of [...image.undefined].sort((a, b) => a[1] - b[1])) {
    if (addr >= HOST_BASE && addr < TOKEN_BASE - 1) host.uleb(2).str(hname).u64(addr).u64(1);
  }
  host.uleb(2).str(HOSTFRAME_SYMBOL).u64(TOKEN_BASE - 1).u64(HOST_END - (TOKEN_BASE - 1));
  host.uleb(0);
  const h = host.data;
  const info = new Buf().u32(2 + 4 + 1 + d.length).u16(4).u32(0).u8(8).bytes(d)
    .u32(2 + 4 + 1 + h.length).u16(4).u32(0).u8(8).bytes(h);
  return { abbrev: abbrev.data, info: info.data };
}

interface Section {
  name: string;
  type: number;
  flags: number;
  addr: number;
  data: Uint8Array;
  link?: number;
  info?: number;
  align: number;
  entsize?: number;
  offset?: number;
  /** The section's size when it is not data's (SHT_NOBITS). */
  size?: number;
}

/** The ELF file's bytes. */
export function writeElf(image: Image, opts: { name?: string } = {}): Uint8Array {
  const text = new Uint8Array(image.textEnd - image.textStart);
  const data = new Uint8Array(Math.max(0, image.dataEnd - image.dataStart));
  for (const s of image.symbols) {
    // A compiled Go program's image keeps our runtime's assembly apart from
    // the binary's sections (src/golang/load.ts): those symbols are named
    // below, and gdb reads their code from the machine through the stub.
    if (s.kind === "text") {
      if (s.addr >= image.textStart && s.addr < image.textEnd) text.set(s.bytes.subarray(0, Math.min(s.bytes.length, image.textEnd - s.addr)), s.addr - image.textStart);
    } else if (s.size > 0 && s.addr >= image.dataStart && s.addr < image.dataEnd) {
      data.set(s.bytes.subarray(0, Math.min(s.bytes.length, image.dataEnd - s.addr)), s.addr - image.dataStart);
    }
  }
  const { abbrev, info } = debugInfo(image, opts.name ?? "gmpemu");
  const sections: Section[] = [
    { name: "", type: 0, flags: 0, addr: 0, data: new Uint8Array(0), align: 0 },
    { name: ".text", type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, addr: image.textStart, data: text, align: 16 },
    { name: ".data", type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_WRITE, addr: image.dataStart, data, align: 8 },
    { name: ".debug_abbrev", type: SHT_PROGBITS, flags: 0, addr: 0, data: abbrev, align: 1 },
    { name: ".debug_info", type: SHT_PROGBITS, flags: 0, addr: 0, data: info, align: 1 },
    { name: ".debug_line", type: SHT_PROGBITS, flags: 0, addr: 0, data: debugLine(image), align: 1 },
    { name: ".debug_frame", type: SHT_PROGBITS, flags: 0, addr: 0, data: debugFrame(image), align: 8 },
    // The host region, without contents: gdb names a pc by a symbol only
    // when the symbol is in a code section.
    { name: ".host", type: SHT_NOBITS, flags: SHF_ALLOC | SHF_EXECINSTR, addr: HOST_BASE, data: new Uint8Array(0), align: 16, size: HOST_END - HOST_BASE },
  ];
  const TEXT = 1, DATA = 2, HOST = 7;
  // A compiled Go program's image keeps our runtime's assembly (and its m0,
  // g0) apart from the binary's sections: they get a section of their own,
  // so that gdb names their code too.
  const apart = ((image as { asm?: Image }).asm?.symbols ?? []).filter((x) => x.size > 0);
  let APART = -1;
  if (apart.length > 0) {
    const lo = Math.min(...apart.map((x) => x.addr)), hi = Math.max(...apart.map((x) => x.addr + x.size));
    if (hi - lo <= 1 << 24) {
      const bytes = new Uint8Array(hi - lo);
      for (const x of apart) bytes.set(x.bytes.subarray(0, Math.min(x.bytes.length, x.size)), x.addr - lo);
      APART = sections.length;
      sections.push({ name: ".text.runtime", type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR | SHF_WRITE, addr: lo, data: bytes, align: 16 });
    }
  }
  const inApart = (x: { addr: number; size: number; kind: string }): boolean => APART >= 0 && apart.includes(x as (typeof apart)[number]);

  // Symbols: the null symbol, then every symbol as global.
  const strtab = new StrTab();
  const sym = new Buf().at(24);
  const addSym = (name: string, value: number, size: number, type: number, shndx: number): void => {
    sym.u32(strtab.add(name)).u8((STB_GLOBAL << 4) | type).u8(0).u16(shndx).u64(value).u64(size);
  };
  for (const s of [...image.symbols].sort((a, b) => a.addr - b.addr)) {
    if (s.kind === "text") addSym(s.name, s.addr, s.size, STT_FUNC, inApart(s) ? APART : TEXT);
    else addSym(s.name, s.addr, s.size, STT_OBJECT, inApart(s) ? APART : DATA);
  }
  for (const [name, addr] of image.undefined) addSym(name, addr, 1, STT_FUNC, HOST);
  addSym(HOSTFRAME_SYMBOL, TOKEN_BASE - 1, HOST_END - (TOKEN_BASE - 1), STT_FUNC, HOST);
  const symtabIndex = sections.length;
  sections.push({ name: ".symtab", type: SHT_SYMTAB, flags: 0, addr: 0, data: sym.data, link: symtabIndex + 1, info: 1, align: 8, entsize: 24 });
  sections.push({ name: ".strtab", type: SHT_STRTAB, flags: 0, addr: 0, data: strtab.buf.data, align: 1 });
  const shstr = new StrTab();
  const nameOff = sections.map((s) => shstr.add(s.name));
  const shstrndx = sections.length;
  sections.push({ name: ".shstrtab", type: SHT_STRTAB, flags: 0, addr: 0, data: new Uint8Array(0), align: 1 });
  nameOff.push(shstr.add(".shstrtab"));
  sections[shstrndx]!.data = shstr.buf.data;

  // Layout: headers, then each section; loaded ones at offset ≡ addr (mod page).
  const EHDR = 64, PHDR = 56, SHDR = 64, PHNUM = 2;
  const out = new Buf().at(EHDR + PHNUM * PHDR);
  for (const s of sections.slice(1)) {
    if (s.flags & SHF_ALLOC) {
      let off = out.len - (out.len % PAGE) + (s.addr % PAGE);
      if (off < out.len) off += PAGE;
      out.at(off);
    } else {
      out.pad(Math.max(1, s.align));
    }
    s.offset = out.len;
    out.bytes(s.data);
  }
  out.pad(8);
  const shoff = out.len;
  sections.forEach((s, i) => {
    out.u32(nameOff[i]!).u32(s.type).u64(s.flags).u64(s.addr).u64(s.offset ?? 0)
      .u64(s.size ?? s.data.length).u32(s.link ?? 0).u32(s.info ?? 0).u64(s.align).u64(s.entsize ?? 0);
  });
  const bytes = out.data;
  const h = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); // ELFCLASS64, little-endian, version 1, SYSV
  h.setUint16(16, 2, true); // ET_EXEC
  h.setUint16(18, 62, true); // EM_X86_64
  h.setUint32(20, 1, true);
  h.setBigUint64(24, BigInt(image.addrOf("runtime.rt0_go") ?? image.textStart), true);
  h.setBigUint64(32, BigInt(EHDR), true); // phoff
  h.setBigUint64(40, BigInt(shoff), true);
  h.setUint32(48, 0, true);
  h.setUint16(52, EHDR, true);
  h.setUint16(54, PHDR, true);
  h.setUint16(56, PHNUM, true);
  h.setUint16(58, SHDR, true);
  h.setUint16(60, sections.length, true);
  h.setUint16(62, shstrndx, true);
  const phdr = (i: number, s: Section, flags: number): void => {
    const o = EHDR + i * PHDR;
    h.setUint32(o, 1, true); // PT_LOAD
    h.setUint32(o + 4, flags, true);
    h.setBigUint64(o + 8, BigInt(s.offset!), true);
    h.setBigUint64(o + 16, BigInt(s.addr), true);
    h.setBigUint64(o + 24, BigInt(s.addr), true);
    h.setBigUint64(o + 32, BigInt(s.data.length), true);
    h.setBigUint64(o + 40, BigInt(s.data.length), true);
    h.setBigUint64(o + 48, BigInt(PAGE), true);
  };
  phdr(0, sections[TEXT]!, 5); // R+X
  phdr(1, sections[DATA]!, 6); // R+W
  return bytes;
}
