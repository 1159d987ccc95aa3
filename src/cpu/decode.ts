// The decoder: machine code to Insn, driven by the shared instruction table.
//
// At load time we index FORMS by opcode (one-byte map and 0F map): each
// opcode byte gets the list of rows that could have produced it (a plusr row
// is filed under all eight opcodes it covers). Decoding an instruction reads
// the legacy prefixes (66, F0, F2, F3, the FS/GS overrides 64/65, and the
// ignored CS/DS/ES/SS overrides), an optional REX, the opcode, and then picks
// the first candidate row that agrees with what was read:
//
//   - mandatory prefix: a row with pfx needs that prefix; a row without one
//     refuses 66 when 66 would change its operand size, and in the 0F map
//     refuses F2/F3 (they select other instructions there: MOVSS, POPCNT...);
//   - REX.W: a row with w needs it; a 16/32-bit row refuses it (W promotes);
//     rows where W means nothing (bytes, default-64-bit, SSE) ignore it;
//   - ModRM.reg must equal the row's /digit; `m` rows need a memory ModRM,
//     `xr` rows a register one; three-byte codes (the fences) fix ModRM.
//
// Candidates with a mandatory prefix are tried first, so F3 90 is PAUSE and
// not NOP. 90 without REX.B is NOP, not XCHG EAX,EAX (which would zero the
// high half of RAX). 0xCC (INT3) has no Go mnemonic and no table row; the
// decoder knows it itself and the disassembler prints it as BYTE $0xcc.
// Rows marked encodeOnly (a second Go spelling of bytes another row owns)
// are not indexed.
//
// The result, an Insn, is self-contained: operands resolved into kinds
// (register, high-byte register, memory, immediate, XMM) for the Intel
// destination `d` and source `s`, the memory operand's base/index/scale/disp
// and segment, RIP-relative displacements already made absolute, branch
// targets absolute, immediates sign-extended into 32-bit halves, and the
// handler resolved (so the hot loop never looks at strings). 67 (32-bit
// addressing) and bytes outside the table decode to an Insn whose handler
// raises #UD with the bytes.

import { FORMS, type Form, type Kind, type Op } from "../x86/table.ts";
import type { Memory } from "../mem/memory.ts";
import type { Cpu } from "./cpu.ts";

export type Handler = (c: Cpu, i: Insn) => void;

/** Operand kinds after decoding. */
export const K_NONE = 0, K_REG = 1, K_HREG = 2, K_MEM = 3, K_IMM = 4, K_XMM = 5;

/** Segment of the memory operand. */
export const SEG_NONE = 0, SEG_FS = 1, SEG_GS = 2;

export class Insn {
  addr = 0;
  len = 0;
  /** Address of the next instruction. */
  next = 0;
  /** The table row; null for INT3 (0xCC) and undecodable bytes. */
  form: Form | null = null;
  op: Op | "int3" | "bad" = "bad";
  h: Handler = nopHandler;
  /** Operation width in bytes (the Intel destination's). */
  size = 0;
  /** Width of the source operand (MOVZX/MOVSX: 1, 2, 4). */
  ssz = 0;
  lock = false;
  /** The REP/REPNE prefix (0xf3, 0xf2) of a string instruction, else 0. */
  rep = 0;
  rex = 0;
  /** Destination (Intel order) kind and register number. */
  dk = K_NONE;
  dn = 0;
  /** Source kind and register number. */
  sk = K_NONE;
  sn = 0;
  // The memory operand (at most one per instruction).
  base = -1;
  index = -1;
  scale = 1;
  /** Displacement; for RIP-relative operands, the absolute address. */
  disp = 0;
  ripRel = false;
  seg = SEG_NONE;
  /** Immediate as halves (sign-extended to the operation width; width<4 masked). */
  immLo = 0;
  immHi = 0;
  /** Branch target (rel8/rel32). */
  target = 0;
  cc = 0;
  /** The instruction's bytes (kept for #UD reports and the disassembler). */
  bytes: Uint8Array = EMPTY;
  /** Per-argument decoded operands in Go order, for the disassembler. */
  args: Operand[] = [];
  /** Why the bytes did not decode (op "bad"). */
  why = "";
}

/** An operand in Go order, as the disassembler prints it. */
export interface Operand {
  kind: Kind;
  /** K_REG, K_HREG, K_MEM, K_IMM, K_XMM, or K_NONE for rel (uses Insn.target). */
  k: number;
  n: number;
}

const EMPTY = new Uint8Array(0);
function nopHandler(): void { /* replaced at decode time */ }

interface Cand {
  form: Form;
  modrm: boolean;
  /** Fixed ModRM byte (the fences' third code byte), or -1. */
  fixed: number;
}

// ---- the index ------------------------------------------------------------------

const index: (Cand[] | undefined)[] = new Array(512);

function kindUsesModrm(k: Kind): boolean {
  switch (k) {
    case "rm8": case "rm16": case "rm32": case "rm64": case "m":
    case "x": case "xm": case "xm64": case "xr":
      return true;
    default:
      return false;
  }
}

for (const form of FORMS) {
  // Second spellings of bytes another row owns are the encoder's business.
  if (form.encodeOnly) continue;
  const code = form.code;
  let map = 0, k = 0;
  if (code[0] === 0x0f) { map = 1; k = 1; }
  const opb = code[k]!;
  const fixed = code.length > k + 1 ? code[k + 1]! : -1;
  const modrm = fixed >= 0 || form.ext !== undefined ||
    form.args.some((a) => kindUsesModrm(a) || (!form.plusr && (a === "r8" || a === "r16" || a === "r32" || a === "r64")));
  const cand: Cand = { form, modrm, fixed };
  for (let j = 0; j < (form.plusr ? 8 : 1); j++) {
    const key = map * 256 + opb + j;
    (index[key] ??= []).push(cand);
  }
}
// Rows with a mandatory prefix first (stable otherwise).
for (const l of index) if (l) l.sort((a, b) => (b.form.pfx !== undefined && b.form.pfx !== 0x66 ? 1 : 0) - (a.form.pfx !== undefined && a.form.pfx !== 0x66 ? 1 : 0));

/** The handler resolver, installed by handlers.ts (avoids an import cycle). */
let resolve: (i: Insn) => Handler = () => nopHandler;
export function setResolver(f: (i: Insn) => Handler): void { resolve = f; }

// ---- byte sources ---------------------------------------------------------------

/** Where decode() reads bytes from. Fetch faults propagate as MemFault. */
export interface ByteSource {
  byte(addr: number): number;
}

export function memSource(mem: Memory): ByteSource {
  return { byte: (a) => mem.execPage(a).u8[a & 4095]! };
}

export function bufSource(bytes: Uint8Array, offset: number, pc: number): ByteSource {
  return {
    byte: (a) => {
      const k = offset + (a - pc);
      if (k < 0 || k >= bytes.length) throw new RangeError("truncated");
      return bytes[k]!;
    },
  };
}

const MAX_LEN = 15;

function widthOf(k: Kind, size: number): number {
  switch (k) {
    case "rm8": case "r8": case "cl": return 1;
    case "rm16": case "r16": return 2;
    case "rm32": case "r32": return 4;
    case "rm64": case "r64": case "xm64": return 8;
    case "x": case "xm": case "xr": return 16;
    default: return size;
  }
}

/**
 * Decodes the instruction at addr. Fetch faults (MemFault) and truncation
 * (RangeError, buffer sources) propagate; anything not in the table yields
 * an Insn with op "bad" whose handler raises #UD.
 */
export function decode(src: ByteSource, addr: number): Insn {
  const i = new Insn();
  i.addr = addr;
  let p = addr;
  const fetch = (): number => {
    if (p - addr >= MAX_LEN) throw new DecodeStop("instruction longer than 15 bytes");
    return src.byte(p++);
  };
  try {
    let opsize = false, rep = 0, lock = false, seg = SEG_NONE, rex = 0, addr32 = false;
    let b = fetch();
    for (;;) {
      if (b === 0x66) opsize = true;
      else if (b === 0xf2 || b === 0xf3) rep = b;
      else if (b === 0xf0) lock = true;
      else if (b === 0x64) seg = SEG_FS;
      else if (b === 0x65) seg = SEG_GS;
      else if (b === 0x2e || b === 0x36 || b === 0x3e || b === 0x26) { /* ignored in 64-bit mode */ }
      else if (b === 0x67) addr32 = true;
      else if ((b & 0xf0) === 0x40) {
        rex = b;
        b = fetch();
        // A REX not immediately before the opcode is ignored.
        if (isPrefix(b)) { rex = 0; continue; }
        break;
      } else break;
      b = fetch();
    }
    let map = 0;
    if (b === 0x0f) { map = 1; b = fetch(); }
    i.rex = rex;
    i.lock = lock;
    if (map === 0 && (b === 0xa4 || b === 0xa5 || b === 0xaa || b === 0xab)) i.rep = rep;
    if (addr32) return bad(i, src, p, "32-bit addressing (67 prefix) is not supported");
    if (map === 0 && b === 0xcc) {
      i.op = "int3";
      finish(i, src, p);
      return i;
    }
    const cands = index[map * 256 + b];
    if (!cands) return bad(i, src, p, "opcode not in the table");
    const rexW = (rex & 8) !== 0;
    // Peek the ModRM byte if this opcode has one (all candidates agree).
    const needModrm = cands[0]!.modrm;
    const modrm = needModrm ? fetch() : -1;
    const mod = modrm >> 6, regf = (modrm >> 3) & 7;
    let form: Form | null = null;
    for (const c of cands) {
      const f = c.form;
      if (f.pfx === 0x66) {
        if (!opsize) continue;
        if (f.size === 2 && rexW) continue;
        if (map === 1 && rep !== 0) continue;
      } else if (f.pfx !== undefined) {
        if (rep !== f.pfx) continue;
      } else {
        if (map === 1 && rep !== 0) continue;
        if (opsize && f.size !== 1 && f.size !== 0 && !(f.w && rexW)) continue;
      }
      if (f.w) { if (!rexW) continue; }
      else if (rexW && (f.size === 2 || f.size === 4)) continue;
      if (c.modrm) {
        if (c.fixed >= 0 && modrm !== c.fixed) continue;
        if (f.ext !== undefined && regf !== f.ext) continue;
        if (f.args.includes("m") && mod === 3) continue;
        if (f.args.includes("xr") && mod !== 3) continue;
      }
      if (f.plusr && f.code[f.code.length - 1] === 0x90 && f.op === "xchg" && ((b & 7) | ((rex & 1) << 3)) === 0) continue;
      form = f;
      break;
    }
    if (!form) return bad(i, src, p, "no table row matches these prefixes and ModRM");
    i.form = form;
    i.op = form.op;
    i.size = form.size;
    i.seg = seg;
    if (form.cc !== undefined) i.cc = form.cc;

    // ModRM operands.
    let rmIsReg = false, rmNum = 0;
    const regNum = regf | ((rex & 4) << 1);
    let disp = 0;
    if (needModrm && cands[0]!.fixed < 0) {
      const rm = modrm & 7;
      if (mod === 3) { rmIsReg = true; rmNum = rm | ((rex & 1) << 3); }
      else {
        if (rm === 4) {
          const sib = fetch();
          const ss = sib >> 6, idx = ((sib >> 3) & 7) | ((rex & 2) << 2), bs = sib & 7;
          i.scale = 1 << ss;
          i.index = idx === 4 ? -1 : idx;
          if (bs === 5 && mod === 0) { i.base = -1; disp = s32(fetch4()); }
          else i.base = bs | ((rex & 1) << 3);
        } else if (rm === 5 && mod === 0) {
          i.ripRel = true;
          disp = s32(fetch4());
        } else {
          i.base = rm | ((rex & 1) << 3);
        }
        if (mod === 1) disp = (fetch() << 24) >> 24;
        else if (mod === 2) disp = s32(fetch4());
      }
    }
    function fetch4(): number {
      return fetch() | (fetch() << 8) | (fetch() << 16) | (fetch() << 24);
    }

    // Immediates and branch displacements, in argument order.
    let rel = 0;
    for (const a of form.args) {
      switch (a) {
        case "i8": { const v = (fetch() << 24) >> 24; setImm(i, v, v >> 31, form.size); break; }
        case "u8": { const v = fetch(); setImm(i, v, 0, 8); break; }
        case "i16": { const v = ((fetch() | (fetch() << 8)) << 16) >> 16; setImm(i, v, v >> 31, form.size); break; }
        case "i32": case "s32": { const v = s32(fetch4()); setImm(i, v, v >> 31, form.size); break; }
        case "i64": { const lo = fetch4() | 0, hi = fetch4() | 0; setImm(i, lo, hi, 8); break; }
        case "one": setImm(i, 1, 0, 8); break;
        case "rel8": rel = (fetch() << 24) >> 24; break;
        case "rel32": rel = s32(fetch4()); break;
        default: break;
      }
    }
    i.len = p - addr;
    i.next = addr + i.len;
    if (i.ripRel) disp += i.next;
    i.disp = disp;
    if (form.args.includes("rel8") || form.args.includes("rel32")) i.target = i.next + rel;

    // Operands in Go order.
    const plusReg = (b & 7) | ((rex & 1) << 3);
    const args: Operand[] = form.args.map((a): Operand => {
      const w = widthOf(a, form.size);
      switch (a) {
        case "rm8": case "rm16": case "rm32": case "rm64":
          return rmIsReg ? gpr(a, rmNum, w, rex) : { kind: a, k: K_MEM, n: 0 };
        case "m": return { kind: a, k: K_MEM, n: 0 };
        case "r8": case "r16": case "r32": case "r64":
          return gpr(a, form.plusr ? plusReg : regNum, w, rex);
        case "x": return { kind: a, k: K_XMM, n: regNum };
        case "xm": case "xm64": return rmIsReg ? { kind: a, k: K_XMM, n: rmNum } : { kind: a, k: K_MEM, n: 0 };
        case "xr": return { kind: a, k: K_XMM, n: rmNum };
        case "acc": return { kind: a, k: K_REG, n: 0 };
        case "cl": return { kind: a, k: K_REG, n: 1 };
        case "rel8": case "rel32": return { kind: a, k: K_NONE, n: 0 };
        default: return { kind: a, k: K_IMM, n: 0 };
      }
    });
    i.args = args;
    // Intel destination and source: Go puts the destination last, except
    // CMP, whose Go operands are (left, right) and which computes left-right.
    if (args.length > 0) {
      let d = args[args.length - 1]!, s: Operand | undefined = args.length > 1 ? args[args.length - 2] : undefined;
      if (form.op === "cmp" && s) { const t = d; d = s; s = t; }
      i.dk = d.k; i.dn = d.n;
      if (s) { i.sk = s.k; i.sn = s.n; i.ssz = widthOf(s.kind, form.size); }
    }
    if (lock) {
      const lockable = form.lockable || form.op === "xchg";
      if (!lockable || i.dk !== K_MEM) return bad(i, src, p, `LOCK prefix on ${form.as} ${i.dk === K_MEM ? "" : "with a register destination "}is invalid`);
    }
    finish(i, src, p);
    return i;
  } catch (e) {
    if (e instanceof DecodeStop) return bad(i, src, Math.min(p, addr + MAX_LEN), e.message);
    throw e;
  }
}

class DecodeStop extends Error {}

function isPrefix(b: number): boolean {
  return b === 0x66 || b === 0x67 || b === 0xf0 || b === 0xf2 || b === 0xf3 || b === 0x64 || b === 0x65 ||
    b === 0x2e || b === 0x36 || b === 0x3e || b === 0x26 || (b & 0xf0) === 0x40;
}

function s32(v: number): number { return v | 0; }

function gpr(kind: Kind, n: number, w: number, rex: number): Operand {
  // Without REX, byte registers 4-7 are AH, CH, DH, BH.
  if (w === 1 && rex === 0 && n >= 4 && n < 8) return { kind, k: K_HREG, n: n - 4 };
  return { kind, k: K_REG, n };
}

function setImm(i: Insn, lo: number, hi: number, size: number): void {
  if (size === 1) { i.immLo = lo & 0xff; i.immHi = 0; }
  else if (size === 2) { i.immLo = lo & 0xffff; i.immHi = 0; }
  else if (size === 4) { i.immLo = lo | 0; i.immHi = 0; }
  else { i.immLo = lo | 0; i.immHi = hi | 0; }
}

function grab(src: ByteSource, from: number, to: number): Uint8Array {
  const out: number[] = [];
  for (let a = from; a < to; a++) {
    try { out.push(src.byte(a)); } catch { break; }
  }
  return Uint8Array.from(out);
}

function finish(i: Insn, src: ByteSource, end: number): void {
  i.len = end - i.addr;
  i.next = end;
  i.bytes = grab(src, i.addr, end);
  i.h = resolve(i);
}

function bad(i: Insn, src: ByteSource, end: number, why: string): Insn {
  i.form = null;
  i.op = "bad";
  i.why = why;
  finish(i, src, end);
  return i;
}
