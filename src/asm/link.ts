// The linker: object files → one image laid out in the emulated address
// space, with every relocation resolved, a symbol table and a pc→line table.
//
// Layout, as Go's linker does it for linux/amd64 (internal linking, no PIE):
// text from 0x401000, each function aligned to 32 bytes (Go's funcAlign on
// amd64); data on the page after the text, each symbol aligned to its size
// up to 8 bytes, read-only data first, then data, then bss.
//
// Relocations, with S the target's address, A the addend, P the address of
// the field:
//   R_CALL, R_PCREL  S + A - (P + 4)     (rel32 from the end of the field)
//   R_ADDR           S + A               (4 or 8 bytes, absolute)
//   R_TLS_LE         -8                  (Go's g slot just below FS base: the
//                                         local-exec TLS model puts the
//                                         runtime's one TLS word at FS-8)
//   R_CALLIND        nothing             (a marker on indirect calls)
//
// A symbol no object defines is an *undefined* reference. The caller decides
// what it means: the runtime's bridge gives each host function an address on
// its host page (`resolve`), and a link without a resolver puts undefined
// symbols on a page of their own (`undefinedBase`) so that listings can still
// name them and a call to one stops on a page the loader leaves unmapped or
// hooks. Either way the names are listed in `undefined`.
//
// File-local symbols (`foo<>` in file N) become `foo<N>`, the name Go's
// objdump prints, so each file keeps its own.
//
// Invariants: symbol addresses never overlap; every text address maps to at
// most one line entry; a relocation field lies inside its symbol.

import type { Reloc } from "../x86/encode.ts";
import type { ObjFile, ObjSym } from "./assemble.ts";
import { AsmError, TEXTFLAG, type Pos } from "./prog.ts";

export const TEXT_BASE = 0x401000;
const FUNC_ALIGN = 32;
const PAGE = 4096;
/** The g slot's offset from FS base (Go's runtime.tlsg for linux/amd64 internal linking). */
export const TLS_G_OFFSET = -8;
/** Where undefined symbols go by default (see LinkOptions.undefinedBase). */
export const UNDEFINED_BASE = 0x7fff0000;

export interface LinkedSym {
  name: string;
  kind: "text" | "data";
  /** Data without contents (GLOBL only). */
  bss: boolean;
  readonly: boolean;
  flags: number;
  addr: number;
  size: number;
  /** Relocated contents (size bytes for data, zero-filled for bss). */
  bytes: Uint8Array;
  /** The object file's relocations (offsets in the symbol), names resolved. */
  relocs: Reloc[];
  /** Where it was declared. */
  pos: Pos;
  frame?: number;
  args?: number;
  split?: boolean;
  abi?: "ABI0" | "ABIInternal";
  /** Unrelocated contents, as the assembler left them (for listings and oracles). */
  raw: Uint8Array;
}

export interface Image {
  readonly symbols: readonly LinkedSym[];
  readonly textStart: number;
  readonly textEnd: number;
  readonly dataStart: number;
  readonly dataEnd: number;
  /** Undefined symbols and the address each was given. */
  readonly undefined: ReadonlyMap<string, number>;
  lookup(name: string): LinkedSym | undefined;
  addrOf(name: string): number | undefined;
  /** The symbol containing addr. */
  symAt(addr: number): LinkedSym | undefined;
  pcToLine(pc: number): { file: string; line: number } | undefined;
  /** `name`, `name+0x10`, or the undefined symbol's name at its address. */
  symbolize(addr: number): string | undefined;
}

export interface LinkOptions {
  textBase?: number;
  /** Address for an undefined symbol (a host function), or undefined to leave it to undefinedBase. */
  resolve?: (name: string) => number | undefined;
  /** Where undefined symbols without a resolver answer go, 16 bytes apart. Default: 0x7fff0000, in reach of rel32 from the text, on no page the loader maps. */
  undefinedBase?: number;
  /** Report undefined symbols as errors (at their first reference). */
  requireDefined?: boolean;
}

export class LinkError extends Error {
  constructor(public readonly errors: AsmError[]) {
    super(errors.map((e) => e.format()).join("\n"));
  }
}

const align = (v: number, a: number): number => Math.ceil(v / a) * a;

/** Links object files into an image. Throws LinkError on duplicate or (if required) undefined symbols. */
export function link(objs: readonly ObjFile[], opts: LinkOptions = {}): Image {
  const errors: AsmError[] = [];
  const byName = new Map<string, { sym: ObjSym; file: number }>();
  const localName = (name: string, file: number): string => (name.endsWith("<>") ? `${name.slice(0, -2)}<${file + 1}>` : name);
  objs.forEach((o, fi) => {
    for (const s of o.syms) {
      const n = localName(s.name, fi);
      const prev = byName.get(n);
      if (prev) {
        errors.push(new AsmError(s.pos, `duplicate symbol ${n} (first defined at ${prev.sym.pos.file}:${prev.sym.pos.line})`));
        continue;
      }
      byName.set(n, { sym: s, file: fi });
    }
  });

  const out: LinkedSym[] = [];
  const linkedOf = new Map<ObjSym, LinkedSym>();
  const place = (name: string, sym: ObjSym, at: number): void => {
    const l = linked(name, sym, at);
    out.push(l);
    linkedOf.set(sym, l);
  };
  let pc = opts.textBase ?? TEXT_BASE;
  const textStart = pc;
  for (const [name, { sym }] of byName) {
    if (sym.kind !== "text") continue;
    pc = align(pc, FUNC_ALIGN);
    place(name, sym, pc);
    pc += sym.size;
  }
  const textEnd = pc;
  let dp = align(Math.max(pc, textStart + 1), PAGE);
  const dataStart = dp;
  const dataOrder = (s: ObjSym): number => (s.flags & TEXTFLAG.RODATA ? 0 : s.bytes.length > 0 ? 1 : 2);
  const data = [...byName].filter(([, v]) => v.sym.kind === "data").sort((a, b) => dataOrder(a[1].sym) - dataOrder(b[1].sym));
  for (const [name, { sym }] of data) {
    const a = sym.size >= 8 ? 8 : sym.size >= 4 ? 4 : sym.size >= 2 ? 2 : 1;
    dp = align(dp, a);
    place(name, sym, dp);
    dp += sym.size;
  }
  const dataEnd = dp;

  const addr = new Map<string, number>();
  for (const s of out) addr.set(s.name, s.addr);
  const undef = new Map<string, number>();
  const undefBase = opts.undefinedBase ?? UNDEFINED_BASE;
  const target = (name: string, at: () => Pos): number => {
    const a = addr.get(name) ?? undef.get(name);
    if (a !== undefined) return a;
    let u = opts.resolve?.(name);
    if (u === undefined) {
      if (opts.requireDefined) errors.push(new AsmError(at(), `undefined symbol ${name}`));
      u = undefBase + 16 * undef.size;
    }
    undef.set(name, u);
    return u;
  };

  objs.forEach((o, fi) => {
    for (const s of o.syms) {
      const ls = linkedOf.get(s);
      if (!ls) continue;
      const dv = new DataView(ls.bytes.buffer, ls.bytes.byteOffset, ls.bytes.byteLength);
      ls.relocs = s.relocs.map((r) => ({ ...r, sym: r.sym ? localName(r.sym, fi) : r.sym }));
      for (const r of ls.relocs) {
        if (r.size === 0 || r.type === "R_CALLIND") continue;
        if (r.offset < 0 || r.offset + r.size > ls.bytes.length) {
          throw new Error(`link: relocation at ${r.offset}+${r.size} outside ${ls.name}`);
        }
        if (r.type === "R_TLS_LE") {
          dv.setInt32(r.offset, TLS_G_OFFSET, true);
          continue;
        }
        // The reference's line, found only for a message (a search per relocation would be quadratic).
        const at = (): Pos => lineAt(s, r.offset) ?? ls.pos;
        const S = target(r.sym, at);
        if (r.type === "R_ADDR") {
          if (r.size === 8) dv.setBigUint64(r.offset, BigInt(S + r.add), true);
          else dv.setUint32(r.offset, (S + r.add) >>> 0, true);
        } else {
          const v = S + r.add - (ls.addr + r.offset + r.size);
          if (v < -0x80000000 || v > 0x7fffffff) {
            errors.push(new AsmError(at(), `relocation to ${r.sym} out of range of a 32-bit displacement`));
            continue;
          }
          dv.setInt32(r.offset, v, true);
        }
      }
    }
  });
  if (errors.length) throw new LinkError(errors);

  const sorted = [...out].sort((a, b) => a.addr - b.addr);
  const lines: { start: number; end: number; file: string; line: number }[] = [];
  objs.forEach((o, fi) => {
    for (const s of o.syms) {
      if (s.kind !== "text") continue;
      const a = addr.get(localName(s.name, fi))!;
      for (const l of s.lines) lines.push({ start: a + l.pc, end: a + l.end, file: l.file, line: l.line });
    }
  });
  lines.sort((a, b) => a.start - b.start);
  const byAddrUndef = new Map([...undef].map(([n, a]) => [a, n]));
  const index = new Map(out.map((s) => [s.name, s]));

  const symAt = (a: number): LinkedSym | undefined => {
    let lo = 0, hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = sorted[mid]!;
      if (a < s.addr) hi = mid - 1;
      else if (a >= s.addr + Math.max(s.size, 1)) lo = mid + 1;
      else return s;
    }
    return undefined;
  };
  return {
    symbols: out,
    textStart, textEnd, dataStart, dataEnd,
    undefined: undef,
    lookup: (n) => index.get(n),
    addrOf: (n) => index.get(n)?.addr ?? undef.get(n),
    symAt,
    pcToLine(at) {
      let lo = 0, hi = lines.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const l = lines[mid]!;
        if (at < l.start) hi = mid - 1;
        else if (at >= l.end) lo = mid + 1;
        else return { file: l.file, line: l.line };
      }
      return undefined;
    },
    symbolize(at) {
      const s = symAt(at);
      if (s) return at === s.addr ? s.name : `${s.name}+0x${(at - s.addr).toString(16)}`;
      return byAddrUndef.get(at);
    },
  };
}

function linked(name: string, s: ObjSym, addr: number): LinkedSym {
  const bytes = new Uint8Array(s.kind === "data" ? s.size : s.bytes.length);
  bytes.set(s.bytes);
  const l: LinkedSym = {
    name, kind: s.kind, bss: s.kind === "data" && s.bytes.length === 0,
    readonly: s.kind === "data" && (s.flags & TEXTFLAG.RODATA) !== 0,
    flags: s.flags, addr, size: s.size, bytes, relocs: s.relocs, pos: s.pos, raw: s.bytes,
  };
  if (s.frame !== undefined) l.frame = s.frame;
  if (s.args !== undefined) l.args = s.args;
  if (s.split !== undefined) l.split = s.split;
  if (s.abi !== undefined) l.abi = s.abi;
  return l;
}

/** The source position of the instruction at offset `off` of a text symbol. */
function lineAt(s: ObjSym, off: number): Pos | undefined {
  const l = s.lines.find((x) => off >= x.pc && off < x.end);
  return l ? { file: l.file, line: l.line, col: 1 } : undefined;
}
