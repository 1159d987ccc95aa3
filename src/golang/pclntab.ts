// Go 1.19's pclntab (.gopclntab): the table Go's runtime itself reads for
// tracebacks, stack growth and async preemption, read here for the same
// things.
//
// Layout (runtime/symtab.go, cmd/link/internal/ld/pcln.go), every offset
// from the start of the section, which opens with a pcHeader:
//
//   pcHeader   magic 0xfffffff0, minLC, ptrSize, nfunc, nfiles, textStart,
//              and the offsets of the tables below
//   funcnametab NUL-terminated function names
//   cutab      per compile unit, the filetab offset of each of its files
//   filetab    NUL-terminated file names
//   pctab      the pc-value tables, each a run of (value delta, pc delta)
//              varint pairs (zig-zag values), ended by a zero value delta
//   pclntable  functab: nfunc+1 pairs (entry offset, _func offset), then
//              the _func structs: entry, name, args, deferreturn, the
//              offsets of pcsp/pcfile/pcln in pctab, npcdata, the CU,
//              funcID, flag, nfuncdata, and then npcdata uint32 offsets of
//              the pcdata tables and nfuncdata uint32 offsets (from
//              go.func.*) of the funcdata
//
// Each function's tables are decoded once, on first use, into sorted
// arrays (pc, value), so a lookup is a binary search: the stepper asks for
// the line of every instruction it steps by Go line.
//
// Invariant: a pc-value table covers [entry, end) of its function; a pc
// outside it has no value (-1, as Go's pcvalue answers).

const MAGIC_119 = 0xfffffff0;

/** pcdata tables and funcdata slots used here (symtab.go). */
export const PCDATA_UnsafePoint = 0;
export const PCDATA_InlTreeIndex = 2;
export const FUNCDATA_LocalsPointerMaps = 1;
export const FUNCDATA_InlTree = 3;
/** _PCDATA_UnsafePoint values. */
export const UnsafePointSafe = -1, UnsafePointUnsafe = -2, Restart1 = -3, Restart2 = -4, RestartAtEntry = -5;
/** funcFlag bits. */
export const funcFlag_TOPFRAME = 1, funcFlag_SPWRITE = 2, funcFlag_ASM = 4;
/** funcID values that matter to the loader. */
export const funcID_wrapper = 21;

/** One function of the table. */
export interface GoFunc {
  readonly index: number;
  readonly entry: number;
  /** The next function's entry (the end of this one's code). */
  readonly end: number;
  readonly name: string;
  readonly args: number;
  readonly funcID: number;
  readonly flag: number;
  /** Offset of the _func in pclntable (for its pcdata and funcdata offsets). */
  readonly off: number;
  readonly pcsp: number;
  readonly pcfile: number;
  readonly pcln: number;
  readonly npcdata: number;
  readonly nfuncdata: number;
  readonly cuOffset: number;
}

/** A decoded pc-value table: value[i] holds on [pc[i], pc[i+1]). */
interface Table { pcs: number[]; vals: number[] }

export class PclnTab {
  readonly funcs: GoFunc[] = [];
  readonly textStart: number;
  private readonly dv: DataView;
  private readonly funcnametab: number;
  private readonly cutab: number;
  private readonly filetab: number;
  private readonly pctab: number;
  private readonly pclntable: number;
  private readonly tables = new Map<number, Table>();
  private readonly fileNames = new Map<number, string>();

  /**
   * `tab` is the section's bytes; `gofunc` the address of go.func.* (the
   * funcdata base) and `read` the image's bytes at an address, for the
   * inline trees.
   */
  constructor(readonly tab: Uint8Array, readonly gofunc = 0, private readonly read?: (addr: number, n: number) => Uint8Array | undefined) {
    this.dv = new DataView(tab.buffer, tab.byteOffset, tab.byteLength);
    if (tab.length < 72) throw new Error(".gopclntab: too short");
    const magic = this.dv.getUint32(0, true);
    if (magic !== MAGIC_119) {
      throw new Error(`.gopclntab: magic 0x${magic.toString(16)} is not Go 1.18/1.19's 0xfffffff0 (was the program built with another Go?)`);
    }
    if (tab[7] !== 8) throw new Error(".gopclntab: not a 64-bit table");
    const nfunc = this.word(8);
    this.textStart = this.word(24);
    this.funcnametab = this.word(32);
    this.cutab = this.word(40);
    this.filetab = this.word(48);
    this.pctab = this.word(56);
    this.pclntable = this.word(64);
    const ft = this.pclntable;
    for (let i = 0; i < nfunc; i++) {
      const entry = this.textStart + this.u32(ft + 8 * i);
      const end = this.textStart + this.u32(ft + 8 * (i + 1));
      const off = this.u32(ft + 8 * i + 4);
      const f = this.pclntable + off;
      this.funcs.push({
        index: i, entry, end, off,
        name: this.cstr(this.funcnametab + this.i32(f + 4)),
        args: this.i32(f + 8),
        pcsp: this.u32(f + 16), pcfile: this.u32(f + 20), pcln: this.u32(f + 24), npcdata: this.u32(f + 28),
        cuOffset: this.u32(f + 32), funcID: tab[f + 36]!, flag: tab[f + 37]!, nfuncdata: tab[f + 39]!,
      });
    }
  }

  /** The function containing pc, or undefined. */
  findFunc(pc: number): GoFunc | undefined {
    const fs = this.funcs;
    let lo = 0, hi = fs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = fs[mid]!;
      if (pc < f.entry) hi = mid - 1;
      else if (pc >= f.end) lo = mid + 1;
      else return f;
    }
    return undefined;
  }

  /** The value of the table at `off` (in pctab) at pc, and the pc where that value starts; -1 without one. */
  pcvalue(f: GoFunc, off: number, pc: number): { val: number; start: number } {
    if (off === 0 || pc < f.entry || pc >= f.end) return { val: -1, start: 0 };
    const t = this.table(f, off);
    let lo = 0, hi = t.pcs.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (t.pcs[mid]! <= pc) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (at < 0 || at === t.pcs.length - 1) return { val: -1, start: 0 };
    return { val: t.vals[at]!, start: t.pcs[at]! };
  }

  /** Every (pc, value) run of a table, for listings and line searches. */
  runs(f: GoFunc, off: number): { pc: number; end: number; val: number }[] {
    if (off === 0) return [];
    const t = this.table(f, off);
    const out: { pc: number; end: number; val: number }[] = [];
    for (let i = 0; i + 1 < t.pcs.length; i++) out.push({ pc: t.pcs[i]!, end: t.pcs[i + 1]!, val: t.vals[i]! });
    return out;
  }

  /** pcdata table `table` at pc (-1 if the function has none). */
  pcdata(f: GoFunc, table: number, pc: number): { val: number; start: number } {
    if (table >= f.npcdata) return { val: -1, start: 0 };
    return this.pcvalue(f, this.u32(this.pclntable + f.off + 40 + 4 * table), pc);
  }

  /** funcdata slot i's offset from go.func.*, or undefined when absent. */
  funcdataOff(f: GoFunc, i: number): number | undefined {
    if (i >= f.nfuncdata) return undefined;
    const off = this.u32(this.pclntable + f.off + 40 + 4 * f.npcdata + 4 * i);
    return off === 0xffffffff ? undefined : off;
  }

  /** SP's distance below the entry SP at pc (funcspdelta): the frame so far. */
  spdelta(f: GoFunc, pc: number): number {
    return this.pcvalue(f, f.pcsp, pc).val;
  }

  /** funcMaxSPDelta: the deepest SP of the function. */
  maxSPDelta(f: GoFunc): number {
    let max = 0;
    for (const r of this.runs(f, f.pcsp)) max = Math.max(max, r.val);
    return max;
  }

  /** The source position of pc (inlined code has the inlined function's file and line). */
  line(f: GoFunc, pc: number): { file: string; line: number } | undefined {
    const fileno = this.pcvalue(f, f.pcfile, pc).val;
    const line = this.pcvalue(f, f.pcln, pc).val;
    if (fileno < 0 || line < 0) return undefined;
    return { file: this.file(f, fileno), line };
  }

  /** File number n of f's compile unit. */
  file(f: GoFunc, n: number): string {
    const key = f.cuOffset + n;
    let s = this.fileNames.get(key);
    if (s === undefined) {
      const off = this.u32(this.cutab + 4 * key);
      s = off === 0xffffffff ? "?" : this.cstr(this.filetab + off);
      this.fileNames.set(key, s);
    }
    return s;
  }

  /**
   * The name of the function whose code is at pc: f's own, or, inside code
   * inlined into f, the inlined function's (funcname through the inline
   * tree, as isAsyncSafePoint and tracebacks use it).
   */
  nameAt(f: GoFunc, pc: number): string {
    const inl = this.funcdataOff(f, FUNCDATA_InlTree);
    if (inl === undefined || this.read === undefined) return f.name;
    const ix = this.pcdata(f, PCDATA_InlTreeIndex, pc).val;
    if (ix < 0) return f.name;
    const b = this.read(this.gofunc + inl + 20 * ix + 12, 4);
    if (b === undefined || b.length < 4) return f.name;
    const nameoff = new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
    return this.cstr(this.funcnametab + nameoff);
  }

  /** The functions inlined into f (the names in its inline tree that its code uses). */
  inlined(f: GoFunc): Set<string> {
    const out = new Set<string>();
    const inl = this.funcdataOff(f, FUNCDATA_InlTree);
    if (inl === undefined || this.read === undefined || PCDATA_InlTreeIndex >= f.npcdata) return out;
    const off = this.u32(this.pclntable + f.off + 40 + 4 * PCDATA_InlTreeIndex);
    const seen = new Set<number>();
    for (const r of this.runs(f, off)) {
      // An index's parents are inlined too: follow them (parent is the entry's first int16).
      for (let ix = r.val; ix >= 0 && !seen.has(ix);) {
        seen.add(ix);
        const b = this.read(this.gofunc + inl + 20 * ix, 16);
        if (b === undefined || b.length < 16) break;
        const dv = new DataView(b.buffer, b.byteOffset, 16);
        out.add(this.cstr(this.funcnametab + dv.getInt32(12, true)));
        ix = dv.getInt16(0, true);
      }
    }
    return out;
  }

  private table(f: GoFunc, off: number): Table {
    // Identical tables are shared between functions, and a table's pcs
    // start at its function's entry: the key is both.
    const key = off * 0x10_0000 + f.index;
    let t = this.tables.get(key);
    if (t !== undefined) return t;
    const pcs: number[] = [], vals: number[] = [];
    let p = this.pctab + off;
    let pc = f.entry, val = -1, first = true;
    for (;;) {
      const [uvdelta, n1] = this.varint(p);
      if (uvdelta === 0 && !first) break;
      p += n1;
      val += (uvdelta & 1) ? -((uvdelta + 1) / 2) : uvdelta / 2;
      const [pcdelta, n2] = this.varint(p);
      p += n2;
      pcs.push(pc);
      vals.push(val);
      pc += pcdelta;
      first = false;
      if (pc >= f.end) break;
    }
    pcs.push(pc);
    vals.push(-1);
    t = { pcs, vals };
    this.tables.set(key, t);
    return t;
  }

  private varint(p: number): [number, number] {
    let v = 0, shift = 0, n = 0;
    for (;;) {
      if (p + n >= this.tab.length) throw new Error(".gopclntab: a pc-value table runs past the end");
      const b = this.tab[p + n]!;
      n++;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    return [v, n];
  }

  private word(o: number): number {
    return this.dv.getUint32(o + 4, true) * 0x1_0000_0000 + this.dv.getUint32(o, true);
  }
  private u32(o: number): number { return this.dv.getUint32(o, true); }
  private i32(o: number): number { return this.dv.getInt32(o, true); }
  private cstr(o: number): string {
    let e = o;
    while (e < this.tab.length && this.tab[e] !== 0) e++;
    return new TextDecoder().decode(this.tab.subarray(o, e));
  }
}
