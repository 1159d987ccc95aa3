// The encoder: one Inst (a Go mnemonic with Go operands) to x86-64 bytes,
// byte for byte what Go 1.19's assembler (cmd/internal/obj/x86, asm6.go)
// writes for it.
//
// How a form is chosen. Every operand gets Go's operand class (oclass: a
// constant's class says how small it is, Yi0 < Yi1 < Yu2 < Yu7 < Yu8/Yi8 <
// Ys32 < Yi32 < Yi64; a register's says which one it is, Yax, Ycx, Yrx, Yrl,
// Yal, Ycl, Yrb; memory is Ym). The table lists a mnemonic's rows in the
// order of Go's ytab, and the first row whose classes cover the operands
// (Go's ycover relation) wins. That order is what makes ADDQ $1, AX the
// three-byte 83 form but ADDQ $1000, AX the accumulator form 05, and it is
// why the classes, not just sizes, must be Go's: Go's byte forms accept any
// 32-bit constant and keep the low byte, PUSHQ's r/m row takes memory only.
//
// How bytes are laid out, in order: LOCK (F0), the FS segment prefix for a
// (TLS) operand, the row's 66/F2/F3 prefix, REX (W from the row, R/X/B from
// register numbers 8-15, and a bare 40 when SPB/BPB/SIB/DIB is used, which is
// illegal together with AH/CH/DH/BH: we report it, Go silently encodes the
// wrong register), the opcode, ModRM/SIB/displacement and the immediate.
// The addressing rules are Go's asmandsz: a zero displacement is omitted
// unless the base is BP or R13, disp8 when it fits, SP/R12 bases need a SIB,
// sym(SB) is RIP-relative with an R_PCREL relocation whose addend is
// corrected for immediates after it, (TLS) is the absolute SIB form 04 25
// with an R_TLS_LE relocation.
//
// Go's special cases live here, not in the table: MOVQ $imm, reg (Go's
// Ziq_rp: a constant that zero-extends from 32 bits becomes MOVL, others the
// 10-byte form), NOP/PCDATA/FUNCDATA emit nothing, BYTE/WORD/LONG/QUAD emit
// data, CALL through a register or memory carries a zero-size R_CALLIND
// marker, and JMP/CALL to a symbol is always rel32 with R_CALL.
//
// Lossy encodings. Go accepts some operands that do not survive their field
// and writes what fits: a byte form keeps a constant's low byte (MOVB $0x1ff,
// AX is MOVB $-1, AL), a word form its low 16 bits, a 64-bit operation's
// 32-bit immediate is sign-extended by the CPU (ANDQ $0xffffffff, AX ands
// with -1), LEAL keeps the low 32 bits of its displacement, BYTE/WORD/LONG
// keep the low bytes of their value, and a JMP to sym+off(SB) drops the
// offset. We write Go's bytes and say so: each is an EncodeWarning beside the
// bytes (the assembler prints it, or makes it an error under --strict).
//
// The input and error types are the contract of src/x86/inst.ts.
//
// Rejected: a hand-written opcode switch per mnemonic (it would drift from
// the table the decoder reads), and porting Go's opcode-offset (z) bookkeeping,
// which the table's one-row-per-encoding shape makes unnecessary.

import { EncodeError, type EncodeWarning, type Inst, type MemOperand, type Operand } from "./inst.ts";
import { regName, type Reg } from "./regs.ts";
import { formClasses, formsOf, canonicalMnemonic, type Form, type GoClass, type Kind } from "./table.ts";

export type RelocType = "R_ADDR" | "R_CALL" | "R_CALLIND" | "R_PCREL" | "R_TLS_LE";

/** A relocation, as Go's obj.Reloc: `size` bytes at `offset` get sym+add. */
export interface Reloc {
  /** Byte offset in the function (encodeProg: pc-relative to the function). */
  offset: number;
  /** 4 for address fields; 0 for the R_CALLIND marker. */
  size: number;
  type: RelocType;
  /** Target symbol; "" for R_TLS_LE and R_CALLIND. */
  sym: string;
  add: number;
}

export interface EncodeCtx {
  /**
   * For a branch to a label of the function: the layout's choice (see
   * span.ts). `disp` is relative to the end of the instruction.
   */
  branch?: { short: boolean; disp: number };
}

export interface Encoded {
  bytes: Uint8Array;
  relocs: Reloc[];
  /** The table row used (absent for pseudo-ops and data). */
  form?: Form;
  /** Operands Go's encoding does not keep whole (absent when none). */
  warnings?: EncodeWarning[];
}

/** Pseudo-ops that produce no bytes in a function body. */
const EMPTY = new Set(["TEXT", "NOP", "PCDATA", "FUNCDATA"]);
const DATA_SIZE: Record<string, number> = { BYTE: 1, WORD: 2, LONG: 4, QUAD: 8 };

// REX bits.
const REX_W = 8, REX_R = 4, REX_X = 2, REX_B = 1, REX = 0x40;

type OpClass = GoClass | "Yxxx";

/** Go's ycover, by the covering class: what else each class accepts. */
const COVERS: Partial<Record<GoClass, readonly OpClass[]>> = {
  Yu2: ["Yi0", "Yi1"],
  Yi8: ["Yi0", "Yi1", "Yu2", "Yu7"],
  Yu7: ["Yi0", "Yi1", "Yu2"],
  Yu8: ["Yi0", "Yi1", "Yu2", "Yu7"],
  Ys32: ["Yi0", "Yi1", "Yu2", "Yu7", "Yu8", "Yi8"],
  Yi32: ["Yi0", "Yi1", "Yu2", "Yu7", "Yu8", "Yi8", "Ys32"],
  Yi64: ["Yi0", "Yi1", "Yu2", "Yu7", "Yu8", "Yi8", "Ys32", "Yi32"],
  Yrb: ["Yal", "Ycl", "Yax", "Ycx", "Yrx", "Yrl"],
  Ycx: ["Ycl"],
  Yrx: ["Yax", "Ycx"],
  Yrl: ["Yax", "Ycx", "Yrx"],
  Ymb: ["Yal", "Ycl", "Yax", "Ycx", "Yrx", "Yrb", "Yrl", "Ym"],
  Yml: ["Yax", "Ycx", "Yrx", "Yrl", "Ym"],
  Yxr: ["Yxr0"],
  Yxm: ["Ym", "Yxr0", "Yxr"],
};

export function covers(op: OpClass, row: GoClass): boolean {
  return op === row || (COVERS[row]?.includes(op) ?? false);
}

/** Go's class of a constant (oclass, TYPE_CONST). */
export function constClass(v: bigint): GoClass {
  if (v === 0n) return "Yi0";
  if (v === 1n) return "Yi1";
  if (v >= 0n && v <= 3n) return "Yu2";
  if (v >= 0n && v <= 127n) return "Yu7";
  if (v >= 0n && v <= 255n) return "Yu8";
  if (v >= -128n && v <= 127n) return "Yi8";
  if (v >= -(1n << 31n) && v < 1n << 31n) return "Ys32";
  if (v >= 0n && v < 1n << 32n) return "Yi32";
  return "Yi64";
}

function regClass(r: Reg): OpClass {
  switch (r.cls) {
    case "gpr":
      return r.num === 0 ? "Yax" : r.num === 1 ? "Ycx" : r.num === 2 || r.num === 3 ? "Yrx" : "Yrl";
    case "byte":
      // Go leaves SPB out of its byte-register class (oclass has it commented
      // out), so SPB is rejected as an operand wherever Go rejects it.
      return r.num === 0 ? "Yal" : r.num === 1 ? "Ycl" : r.num === 4 ? "Yxxx" : "Yrb";
    case "high":
      return "Yrb";
    case "xmm":
      return r.num === 0 ? "Yxr0" : "Yxr";
  }
}

/** Go's operand class of an address (oclass). */
export function oclass(a: Operand): OpClass {
  switch (a.type) {
    case "none": return "Ynone";
    case "branch": return "Ybr";
    case "reg": return regClass(a.reg);
    case "const": return constClass(a.value);
    case "addr": return "Yiauto";
    case "mem": {
      if (a.index && a.index.cls === "gpr" && a.index.num === 4) return "Yxxx"; // SP cannot index
      if (a.index && a.index.cls !== "gpr") return "Yxxx";
      if (a.base && a.base.cls !== "gpr") return "Yxxx";
      if (a.name === "extern" || a.name === "static") {
        if (a.base || a.index) return "Yxxx"; // globals are RIP-relative: no registers
      } else if (a.name === "auto" || a.name === "param") {
        if (a.base && a.base.num !== 4) return "Yxxx";
      }
      return "Ym";
    }
    default:
      return "Yxxx";
  }
}

function isRmKind(k: Kind): boolean {
  return k === "rm8" || k === "rm16" || k === "rm32" || k === "rm64" ||
    k === "m" || k === "xm" || k === "xm64" || k === "xm32" || k === "xr";
}
function isRegKind(k: Kind): boolean {
  return k === "r8" || k === "r16" || k === "r32" || k === "r64" || k === "x";
}
const IMM_SIZE: Partial<Record<Kind, number>> = { i8: 1, u8: 1, i16: 2, i32: 4, s32: 4, i64: 8 };

/** The operands Go matches against a row: from, from3, to, without the empty ones. */
export function operandsOf(p: Inst): Operand[] {
  const l: Operand[] = [];
  if (p.from.type !== "none") l.push(p.from);
  if (p.from3 && p.from3.type !== "none") l.push(p.from3);
  if (p.to.type !== "none") l.push(p.to);
  return l;
}

/** formClasses of each row, computed once (the encoder asks for every instruction). */
const ROW_CLASSES = new WeakMap<Form, readonly GoClass[]>();
function rowClasses(f: Form): readonly GoClass[] {
  let c = ROW_CLASSES.get(f);
  if (c === undefined) ROW_CLASSES.set(f, (c = formClasses(f)));
  return c;
}

/** The first row of the mnemonic that accepts the operands, as Go picks it. */
export function selectForm(p: Inst): Form | undefined {
  const forms = formsOf(p.as);
  if (!forms) return undefined;
  const ops = operandsOf(p);
  const cls = ops.map(oclass);
  next: for (const f of forms) {
    if (f.args.length !== ops.length) continue;
    const fc = rowClasses(f);
    for (let i = 0; i < fc.length; i++) if (!covers(cls[i]!, fc[i]!)) continue next;
    return f;
  }
  return undefined;
}

// --- formatting, for messages ---------------------------------------------

function fmtMem(m: MemOperand): string {
  const off = m.offset;
  let s = "";
  if (m.name === "extern" || m.name === "static") {
    s = (m.sym ?? "") + (m.name === "static" ? "<>" : "") + (off > 0n ? `+${off}` : off < 0n ? `${off}` : "") + "(SB)";
  } else if (m.name === "auto" || m.name === "param") {
    s = (m.argName ?? m.sym ?? "") + (off >= 0n ? `+${off}` : `${off}`) + (m.name === "param" ? "(FP)" : "(SP)");
  } else {
    s = off !== 0n ? `${off}` : "";
    if (m.tls) s += "(TLS)";
    else if (m.base) s += `(${regName(m.base)})`;
    else if (!m.index) s = s || "0";
  }
  if (m.index) s += `(${regName(m.index)}*${m.scale})`;
  return s;
}

/** An operand in Go syntax. */
export function formatAddr(a: Operand): string {
  switch (a.type) {
    case "none": return "";
    case "reg": return regName(a.reg);
    case "const": return `$${a.value}`;
    case "mem": return fmtMem(a);
    case "addr": return "$" + fmtMem(a.mem);
    case "branch": return a.sym ? `${a.sym}(SB)` : a.label ?? "?";
    case "sconst": return "$\"...\"";
    case "textsize": return `$${a.frame}`;
  }
}

export function formatProg(p: Inst): string {
  const ops = operandsOf(p).map(formatAddr);
  return (p.lock ? "LOCK; " : "") + p.as + (ops.length ? " " + ops.join(", ") : "");
}

// --- encoding -----------------------------------------------------------------

/** REX bits a register brings when it sits in ModRM.rm / SIB.base (bit = B) or elsewhere. */
function rexOf(r: Reg, bit: number): number {
  if (r.num >= 8) return bit;
  if (r.cls === "byte" && r.num >= 4) return REX; // SPB..DIB exist only with a REX prefix
  return 0;
}

/** In Go's byte forms a full register names its low byte (AX is AL, SI is SIB). */
function asByte(r: Reg): Reg {
  return r.cls === "gpr" ? { cls: "byte", num: r.num } : r;
}

interface ModRM {
  bytes: number[];
  rex: number;
  /** A 4-byte relocated field inside `bytes`. */
  reloc?: { at: number; type: RelocType; sym: string; add: number };
}

function fitsDisp8(v: number): boolean {
  return v >= -128 && v < 128;
}

/**
 * Go's asmandsz: the ModRM byte (with `r` in its reg field), SIB and
 * displacement. `lossy` hears of a displacement Go keeps only in part (LEAL's).
 */
function modrm(p: Inst, a: Operand, r: number, lossy?: (message: string) => void): ModRM {
  const rf = (r & 7) << 3;
  if (a.type === "reg") {
    return { bytes: [0xc0 | rf | (a.reg.num & 7)], rex: rexOf(a.reg, REX_B) };
  }
  if (a.type !== "mem") throw new EncodeError(p.pos, `${p.as}: operand ${formatAddr(a)} is not a register or memory`);
  if (a.offset !== BigInt.asIntN(32, a.offset)) {
    // Go lets LEAL through (a 32-bit address wraps anyway) and keeps the low 32 bits.
    if (p.as !== "LEAL") throw new EncodeError(p.pos, `offset too large in ${formatProg(p)}`);
    lossy?.(`offset ${hexValue(a.offset)} truncated to 32 bits`);
  }
  let v = Number(BigInt.asIntN(32, a.offset));
  const sib = (scale: number, index: number, base: number) =>
    ({ 1: 0, 2: 1, 4: 2, 8: 3 }[scale]! << 6) | ((index & 7) << 3) | (base & 7);
  const global = a.name === "extern" || a.name === "static";
  let base: Reg | undefined = a.base;
  if (a.name === "auto" || a.name === "param") base = { cls: "gpr", num: 4 };

  if (a.index) {
    if (global) throw new EncodeError(p.pos, `${formatAddr(a)}: a global cannot be indexed on amd64`);
    const rex = rexOf(a.index, REX_X) | (base ? rexOf(base, REX_B) : 0);
    const s = (b: number) => sib(a.scale, a.index!.num, b);
    if (!base) return { bytes: [0x04 | rf, s(5), ...le(v, 4)], rex };
    const b = base.num & 7;
    if (v === 0 && b !== 5) return { bytes: [0x04 | rf, s(base.num)], rex };
    if (fitsDisp8(v)) return { bytes: [0x44 | rf, s(base.num), v & 0xff], rex };
    return { bytes: [0x84 | rf, s(base.num), ...le(v, 4)], rex };
  }

  if (global) {
    if (!a.sym) throw new EncodeError(p.pos, `bad address ${formatAddr(a)}: no symbol`);
    // RIP-relative: mod 00, rm 101.
    return { bytes: [0x05 | rf, 0, 0, 0, 0], rex: 0, reloc: { at: 1, type: "R_PCREL", sym: a.sym, add: v } };
  }
  if (a.tls || !base) {
    // Absolute disp32 through a SIB with no base and no index (04 25).
    const m: ModRM = { bytes: [0x04 | rf, 0x25, ...le(a.tls ? 0 : v, 4)], rex: 0 };
    if (a.tls) m.reloc = { at: 2, type: "R_TLS_LE", sym: "", add: v };
    return m;
  }
  const rex = rexOf(base, REX_B);
  const b = base.num & 7;
  const sibByte = b === 4 ? [sib(1, 4, base.num)] : []; // SP/R12 base: SIB with no index
  if (v === 0 && b !== 5) return { bytes: [rf | b, ...sibByte], rex };
  if (fitsDisp8(v)) return { bytes: [0x40 | rf | b, ...sibByte, v & 0xff], rex };
  return { bytes: [0x80 | rf | b, ...sibByte, ...le(v, 4)], rex };
}

/** A constant as the warnings print it: $0x1ff, $-0x80. */
function hexValue(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/**
 * The warning for constant `v` written into an `n`-byte field of an
 * operation `opsize` bytes wide, or undefined when the CPU sees `v` itself.
 * A field as wide as the operation keeps any value that fits it signed or
 * unsigned; a narrower field (`signExtended`) is sign-extended to the
 * operation's width, so it keeps only values that fit it signed.
 */
export function immLoss(v: bigint, n: number, opsize: number, signExtended: boolean): string | undefined {
  const narrow = signExtended && opsize > n;
  const b = FIELD[n]!;
  if (v >= b.lo && v < (narrow ? b.hiSigned : b.hiUnsigned)) return undefined;
  const bits = 8 * n;
  if (narrow && v >= 0n && v < b.hiUnsigned) {
    return `$${hexValue(v)} truncated to ${bits} bits: the CPU sign-extends it to $${hexValue(BigInt.asIntN(bits, v))}`;
  }
  return `$${hexValue(v)} truncated to ${bits} bits`;
}

/** The range of an n-byte field: [lo, hiSigned) as signed, [lo, hiUnsigned) either way. */
const FIELD: Record<number, { lo: bigint; hiSigned: bigint; hiUnsigned: bigint }> = {};
for (const n of [1, 2, 4, 8]) {
  const bits = BigInt(8 * n);
  FIELD[n] = { lo: -(1n << (bits - 1n)), hiSigned: 1n << (bits - 1n), hiUnsigned: 1n << bits };
}

/** The low n bytes of v, little-endian (up to 4 bytes without BigInt arithmetic). */
function le(v: number | bigint, n: number): number[] {
  if (n <= 4) {
    const x = typeof v === "number" ? v : Number(BigInt.asUintN(32, v));
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((x >>> (8 * i)) & 0xff);
    return out;
  }
  let x = BigInt.asUintN(n * 8, BigInt(v));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(Number(x & 0xffn));
    x >>= 8n;
  }
  return out;
}

/** A mnemonic's branch rows by displacement size, found once. */
const BRANCH_ROWS = new Map<string, { rel8?: Form; rel32?: Form }>();
function branchRow(canon: string, kind: "rel8" | "rel32"): Form | undefined {
  let r = BRANCH_ROWS.get(canon);
  if (r === undefined) {
    r = {};
    for (const g of formsOf(canon) ?? []) {
      const k = g.args[0];
      if ((k === "rel8" || k === "rel32") && r[k] === undefined) r[k] = g;
    }
    BRANCH_ROWS.set(canon, r);
  }
  return r[kind];
}

function describeMismatch(p: Inst): string {
  const ops = operandsOf(p);
  const forms = formsOf(p.as) ?? [];
  const cls = ops.map(oclass);
  // Does some row match but for the size of a constant?
  const immOnly = forms.some((f) => f.args.length === ops.length && formClasses(f).every((c, i) => {
    const o = ops[i]!;
    return o.type === "const" ? c.startsWith("Yi") || c.startsWith("Yu") || c.startsWith("Ys") : covers(cls[i]!, c);
  }));
  if (immOnly) {
    const c = ops.find((o) => o.type === "const");
    if (c) return `constant ${formatAddr(c)} out of range for ${p.as}: ${formatProg(p)}`;
  }
  for (const o of ops) {
    if (o.type === "reg" && o.reg.cls === "byte" && o.reg.num === 4) {
      return `invalid instruction: ${formatProg(p)} (Go's assembler does not accept SPB here)`;
    }
  }
  return `invalid instruction: ${formatProg(p)}`;
}

/** Encodes one instruction at function offset `pc`. */
export function encodeProg(p: Inst, pc: number, ctx: EncodeCtx = {}): Encoded {
  if (EMPTY.has(p.as)) return { bytes: new Uint8Array(0), relocs: [] };
  const dsize = DATA_SIZE[p.as];
  if (dsize !== undefined) {
    if (p.from.type !== "const" || p.to.type !== "none") {
      throw new EncodeError(p.pos, `${p.as} takes one constant operand: ${formatProg(p)}`);
    }
    const loss = immLoss(p.from.value, dsize, dsize, false);
    const out: Encoded = { bytes: new Uint8Array(le(p.from.value, dsize)), relocs: [] };
    if (loss) out.warnings = [{ pos: p.argPos?.[0] ?? p.pos, message: loss }];
    return out;
  }
  const canon = canonicalMnemonic(p.as);
  if (!canon) throw new EncodeError(p.pos, `unknown instruction ${p.as}`);
  // Go's progedit: CALL/JMP of a global's memory operand is a branch to the
  // symbol (an index register, if any, is dropped, as Go drops it).
  if ((canon === "CALL" || canon === "JMP") && p.to.type === "mem" && p.to.sym !== undefined &&
      (p.to.name === "extern" || p.to.name === "static")) {
    p = { ...p, to: { type: "branch", sym: p.to.sym, offset: p.to.offset } };
  }
  const f = selectForm(p);
  if (!f) throw new EncodeError(p.pos, describeMismatch(p));

  const ops = operandsOf(p);
  const relocs: Reloc[] = [];
  const warnings: EncodeWarning[] = [];
  const warn = (o: Operand | undefined, message: string): void => {
    // Operands are in source order, as argPos is.
    const i = o === undefined ? -1 : ops.indexOf(o);
    warnings.push({ pos: (i >= 0 ? p.argPos?.[i] : undefined) ?? p.pos, message });
  };
  const out: number[] = [];
  if (p.lock) out.push(0xf0);
  if (ops.some((o) => o.type === "mem" && o.tls && o.name === "none")) out.push(0x64); // FS
  if (f.pfx !== undefined) out.push(f.pfx);
  const rexAt = out.length;
  let rex = f.w ? REX_W : 0;
  const body: number[] = [...f.code];
  let reloc: ModRM["reloc"];
  let relocAt = 0; // index in `body` of the ModRM bytes
  const imm: number[] = [];

  // Operands by role.
  let rmOp: Operand | undefined, regOp: Reg | undefined, immOp: bigint | undefined, immKind: Kind | undefined;
  let branchOp: Extract<Operand, { type: "branch" }> | undefined;
  const byteRow = f.size === 1;
  for (let i = 0; i < f.args.length; i++) {
    const k = f.args[i]!;
    const o = ops[i]!;
    if (isRmKind(k)) {
      // rm8 rows are Go's Pb/Zmb_r forms, which rename a full register to its byte.
      rmOp = o.type === "reg" && k === "rm8" ? { type: "reg", reg: asByte(o.reg) } : o;
    } else if (isRegKind(k)) {
      if (o.type !== "reg") throw new EncodeError(p.pos, `invalid instruction: ${formatProg(p)}`);
      regOp = k === "r8" ? asByte(o.reg) : o.reg;
    } else if (IMM_SIZE[k] !== undefined) {
      if (o.type !== "const") throw new EncodeError(p.pos, `invalid instruction: ${formatProg(p)}`);
      immOp = o.value;
      immKind = k;
    } else if (k === "rel8" || k === "rel32") {
      if (o.type === "branch") branchOp = o;
    }
  }
  if (f.regrm && regOp) rmOp = { type: "reg", reg: regOp };

  // Go's Ziq_rp: MOVQ $imm64, reg, shortened when the value allows.
  if (canon === "MOVQ" && immKind === "i64" && regOp) {
    const v = immOp!;
    const hi = BigInt.asIntN(64, v) >> 32n;
    const r = regOp;
    if (hi === 0n) {
      rex = rexOf(r, REX_B) & REX_B;
      body.length = 0;
      body.push(0xb8 + (r.num & 7));
      imm.push(...le(v, 4));
    } else if (hi === -1n && (v & 0x80000000n) !== 0n) {
      const m = modrm(p, { type: "reg", reg: r }, 0);
      body.length = 0;
      body.push(0xc7, ...m.bytes);
      rex |= m.rex;
      imm.push(...le(v, 4));
    } else {
      rex |= rexOf(r, REX_B) & REX_B;
      body[body.length - 1]! += r.num & 7;
      imm.push(...le(v, 8));
    }
    return finish();
  }

  if (branchOp) {
    if (branchOp.sym !== undefined && branchOp.label === undefined && branchOp.target === undefined) {
      if (canon !== "JMP" && canon !== "CALL") {
        throw new EncodeError(p.pos, `${p.as} to a symbol: only JMP and CALL can leave the function`);
      }
      // JMP/CALL sym(SB): always rel32, R_CALL (it may reach a trampoline).
      const long = canon === "CALL" ? f : branchRow(canon, "rel32")!;
      body.length = 0;
      body.push(...long.code);
      // Go keeps the offset of CALL sym+off(SB) but drops JMP's (Zjmp sets no addend).
      const add = canon === "CALL" ? Number(branchOp.offset) : 0;
      if (canon === "JMP" && branchOp.offset !== 0n) {
        warn(branchOp, `offset ${branchOp.offset > 0n ? "+" : ""}${branchOp.offset} dropped: Go's JMP to a symbol goes to ${branchOp.sym}, not into it`);
      }
      relocs.push({ offset: pc + out.length + body.length, size: 4, type: "R_CALL", sym: branchOp.sym, add });
      body.push(0, 0, 0, 0);
      return finish(long);
    }
    if (canon === "CALL") throw new EncodeError(p.pos, `CALL to a label is not supported: ${formatProg(p)} (call a symbol)`);
    const b = ctx.branch;
    if (!b) throw new EncodeError(p.pos, `branch ${formatProg(p)} must be laid out by assembleFunction`);
    const g = branchRow(canon, b.short ? "rel8" : "rel32")!;
    body.length = 0;
    body.push(...g.code, ...le(b.disp, b.short ? 1 : 4));
    return finish(g);
  }

  // Register in the opcode (50+r, B8+r, 90+r).
  if (f.plusr) {
    const r = regOp ?? (rmOp?.type === "reg" ? rmOp.reg : undefined);
    if (!r) throw new EncodeError(p.pos, `invalid instruction: ${formatProg(p)}`);
    body[body.length - 1]! += r.num & 7;
    rex |= rexOf(r, REX_B);
  } else if (rmOp) {
    const field = f.ext ?? regOp?.num ?? 0;
    if (f.ext === undefined && regOp) rex |= rexOf(regOp, REX_R);
    const m = modrm(p, rmOp, field, (message) => warn(rmOp, message));
    relocAt = body.length;
    body.push(...m.bytes);
    rex |= m.rex;
    reloc = m.reloc;
  }

  if (immKind !== undefined) {
    const n = byteRow && (immKind === "i8" || immKind === "u8") ? 1 : IMM_SIZE[immKind]!;
    // i8, i32 and s32 fields are sign-extended to the operation's width; u8
    // (a shift count, an interrupt number) and i16 are the value itself.
    const loss = immLoss(immOp!, n, f.size, immKind === "i8" || immKind === "i32" || immKind === "s32");
    if (loss) warn(ops.find((o) => o.type === "const" && o.value === immOp), loss);
    imm.push(...le(immOp!, n));
  }

  // CALL through a register or memory: Go marks the site for the linker.
  if (canon === "CALL" && !branchOp) {
    relocs.push({ offset: pc, size: 0, type: "R_CALLIND", sym: "", add: 0 });
  }

  return finish();

  function finish(form: Form = f!): Encoded {
    if (rex !== 0) {
      for (const o of ops) {
        if (o.type === "reg" && o.reg.cls === "high") {
          throw new EncodeError(p.pos, `${formatProg(p)}: AH, BH, CH and DH cannot be used in an instruction that needs a REX prefix`);
        }
      }
      out.splice(rexAt, 0, REX | rex);
    }
    const head = out.length;
    const bytes = new Uint8Array(head + body.length + imm.length);
    bytes.set(out, 0);
    bytes.set(body, head);
    bytes.set(imm, head + body.length);
    for (const r of relocs) {
      if (r.type === "R_CALLIND" && rex !== 0) r.offset += 1; // Go counts the REX it inserts (asmins)
    }
    if (reloc) {
      const at = head + relocAt + reloc.at;
      // A PC-relative field is relative to the end of the instruction, the
      // linker's to the end of the field: move the difference into the addend.
      const add = reloc.type === "R_PCREL" ? reloc.add - (bytes.length - (at + 4)) : reloc.add;
      relocs.push({ offset: pc + at, size: 4, type: reloc.type, sym: reloc.sym, add });
    }
    const enc: Encoded = { bytes, relocs, form };
    if (warnings.length) enc.warnings = warnings;
    return enc;
  }
}
