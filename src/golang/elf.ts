// Reading an ELF64 executable: the program headers (what the loader maps),
// the section headers (where .gopclntab is), and the symbol table (every
// function and data symbol with its address and size).
//
// Only what a statically linked `go build` binary for linux/amd64 has is
// read: little-endian ELF64, EXEC, x86-64. Anything else is refused with a
// sentence naming what is wrong, never an exception from a DataView out of
// range: a truncated or foreign file is the user's input, not our bug.
//
// Compressed debug sections (.zdebug, SHF_COMPRESSED) are listed but never
// read: the line tables come from .gopclntab (pclntab.ts), which is what
// Go's own runtime reads for its tracebacks and is always there.

export interface ElfSegment {
  /** PT_LOAD and friends (1: PT_LOAD). */
  type: number;
  /** PF_X 1, PF_W 2, PF_R 4. */
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
}

export interface ElfSymbol {
  name: string;
  /** STT_FUNC 2, STT_OBJECT 1 ... */
  type: number;
  /** STB_LOCAL 0, STB_GLOBAL 1. */
  bind: number;
  /** Section index (0: undefined, 0xfff1: absolute). */
  shndx: number;
  value: number;
  size: number;
}

export const PT_LOAD = 1;
export const PF_X = 1, PF_W = 2, PF_R = 4;
export const SHT_NOBITS = 8;
export const STT_OBJECT = 1, STT_FUNC = 2;

/** A file that is not an executable this loader can read. */
export class ElfError extends Error {}

export class ElfFile {
  readonly segments: ElfSegment[] = [];
  readonly sections: ElfSection[] = [];
  readonly symbols: ElfSymbol[] = [];
  readonly entry: number;
  private readonly dv: DataView;

  constructor(readonly bytes: Uint8Array, readonly path = "the program") {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
      throw new ElfError(`${path}: not an ELF file`);
    }
    if (bytes[4] !== 2 || bytes[5] !== 1) throw new ElfError(`${path}: not a little-endian 64-bit ELF file`);
    if (this.u16(16) !== 2) throw new ElfError(`${path}: not an executable (ELF type ${this.u16(16)}; a go build binary is EXEC)`);
    if (this.u16(18) !== 62) throw new ElfError(`${path}: not an x86-64 executable (machine ${this.u16(18)})`);
    this.entry = this.u64(24);
    const phoff = this.u64(32), shoff = this.u64(40);
    const phentsize = this.u16(54), phnum = this.u16(56), shentsize = this.u16(58), shnum = this.u16(60), shstrndx = this.u16(62);
    for (let i = 0; i < phnum; i++) {
      const p = phoff + i * phentsize;
      this.need(p, 56, "program header");
      this.segments.push({
        type: this.u32(p), flags: this.u32(p + 4), offset: this.u64(p + 8), vaddr: this.u64(p + 16),
        filesz: this.u64(p + 32), memsz: this.u64(p + 40),
      });
    }
    const raw: { name: number; s: ElfSection; link: number }[] = [];
    for (let i = 0; i < shnum; i++) {
      const p = shoff + i * shentsize;
      this.need(p, 64, "section header");
      raw.push({
        name: this.u32(p), link: this.u32(p + 40),
        s: { name: "", type: this.u32(p + 4), flags: this.u64(p + 8), addr: this.u64(p + 16), offset: this.u64(p + 24), size: this.u64(p + 32) },
      });
    }
    const strtab = raw[shstrndx]?.s;
    for (const r of raw) {
      r.s.name = strtab ? this.cstr(strtab.offset + r.name, strtab.offset + strtab.size) : "";
      this.sections.push(r.s);
    }
    const symtab = raw.find((r) => r.s.type === 2); // SHT_SYMTAB
    if (symtab) {
      const str = raw[symtab.link]?.s;
      if (!str) throw new ElfError(`${path}: the symbol table has no string table`);
      this.need(symtab.s.offset, symtab.s.size, "symbol table");
      for (let p = symtab.s.offset + 24; p + 24 <= symtab.s.offset + symtab.s.size; p += 24) {
        const info = this.bytes[p + 4]!;
        this.symbols.push({
          name: this.cstr(str.offset + this.u32(p), str.offset + str.size), type: info & 0xf, bind: info >> 4,
          shndx: this.u16(p + 6), value: this.u64(p + 8), size: this.u64(p + 16),
        });
      }
    }
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The contents of a section (a view; NOBITS sections have none). */
  sectionBytes(s: ElfSection): Uint8Array {
    if (s.type === SHT_NOBITS) return new Uint8Array(0);
    this.need(s.offset, s.size, `section ${s.name}`);
    return this.bytes.subarray(s.offset, s.offset + s.size);
  }

  /** The file bytes of a segment. */
  segmentBytes(s: ElfSegment): Uint8Array {
    this.need(s.offset, s.filesz, "segment");
    return this.bytes.subarray(s.offset, s.offset + s.filesz);
  }

  private need(off: number, n: number, what: string): void {
    if (off < 0 || off + n > this.bytes.length) throw new ElfError(`${this.path}: truncated (${what} at ${off} past the end of the file)`);
  }

  private u16(o: number): number { this.need(o, 2, "header"); return this.dv.getUint16(o, true); }
  private u32(o: number): number { this.need(o, 4, "header"); return this.dv.getUint32(o, true); }
  private u64(o: number): number {
    this.need(o, 8, "header");
    const v = this.dv.getUint32(o + 4, true) * 0x1_0000_0000 + this.dv.getUint32(o, true);
    if (!Number.isSafeInteger(v)) throw new ElfError(`${this.path}: a 64-bit field at ${o} is out of range`);
    return v;
  }

  private cstr(at: number, end: number): string {
    let e = at;
    while (e < end && e < this.bytes.length && this.bytes[e] !== 0) e++;
    return new TextDecoder().decode(this.bytes.subarray(at, e));
  }
}
