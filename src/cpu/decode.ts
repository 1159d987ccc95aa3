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
//     rows where W means nothing (bytes, default-64-bit, SSE) ignore it,
//     the scalar float rows of size 4 too (ADDSS: no general register, so
//     nothing for W to widen; CVTSL2SS has one, and its W twin CVTSQ2SS
//     comes first in the table);
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
// destination `d` and source `s` (CMPSD's is its middle operand: Go writes
// the predicate last), the memory operand's base/index/scale/disp
// and segment, RIP-relative displacements already made absolute, branch
// targets absolute, immediates sign-extended into 32-bit halves, and the
// handler resolved (so the hot loop never looks at strings). 67 (32-bit
// addressing) and bytes outside the table decode to an Insn whose handler
// raises #UD with the bytes; an instruction longer than 15 bytes raises #GP,
// as on hardware.
//
// Two phases. match() reads prefixes, opcode and ModRM, selects the row and
// measures the instruction in a window of at most 15 bytes, allocating
// nothing; decode() fetches the window, matches, then builds the Insn.
// match() alone also serves classifyAt(), which the unicorn engine runs over
// whole code pages to find where QEMU must not execute by itself (see
// src/engine/unicorn.ts): one selection logic for both, so they cannot
// disagree about what an instruction is.
//
// Invariants: all rows of one opcode agree on whether a ModRM byte follows
// (checked when the index is built). Handlers come from a resolver that
// handlers.ts installs (a setter, because handlers.ts imports this file);
// an instruction decoded without one cannot run: its handler throws, so a
// missing resolver can never make code silently do nothing. The
// disassembler decodes without running and needs no resolver.

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
  h: Handler = unresolved;
  /** Operation width in bytes (the Intel destination's). */
  size = 0;
  /** Width of the source operand (MOVZX/MOVSX: 1, 2, 4). */
  ssz = 0;
  lock = false;
  /** The REP/REPNE prefix (0xf3, 0xf2) of a string instruction (MOVS, STOS), else 0. */
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
  /** op "bad" because the instruction is longer than 15 bytes: #GP, not #UD. */
  tooLong = false;
}

/** An operand in Go order, as the disassembler prints it. */
export interface Operand {
  kind: Kind;
  /** K_REG, K_HREG, K_MEM, K_IMM, K_XMM, or K_NONE for rel (uses Insn.target). */
  k: number;
  n: number;
}

const EMPTY = new Uint8Array(0);
function unresolved(): void {
  throw new Error("internal: an instruction ran with no handler (src/cpu/handlers.ts, which installs the resolver, was not loaded)");
}

interface Cand {
  form: Form;
  modrm: boolean;
  /** Fixed ModRM byte (the fences' third code byte), or -1. */
  fixed: number;
  /** The row needs a memory ModRM (`m`) or a register one (`xr`). */
  mustMem: boolean;
  mustReg: boolean;
  /** Bytes of immediates and branch displacements. */
  immBytes: number;
  /** XCHG r, acc by 90+r: register 0 (with REX.B clear) is NOP instead. */
  xchg90: boolean;
  /** NOP and PAUSE (90, F3 90): with REX.B, 90 is XCHG R8, AX instead. */
  nop90: boolean;
  /** An SSE row without a general register (ADDSS, UCOMISS): REX.W means nothing to it. */
  wFree: boolean;
}

// ---- the index ------------------------------------------------------------------

const index: (Cand[] | undefined)[] = new Array(512);

function kindUsesModrm(k: Kind): boolean {
  switch (k) {
    case "rm8": case "rm16": case "rm32": case "rm64": case "m":
    case "x": case "xm": case "xm64": case "xm32": case "xr":
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
  const modrm = fixed >= 0 || form.ext !== undefined || form.modrm === true ||
    form.args.some((a) => kindUsesModrm(a) || (!form.plusr && (a === "r8" || a === "r16" || a === "r32" || a === "r64")));
  let immBytes = 0;
  for (const a of form.args) immBytes += immLen(a);
  const cand: Cand = {
    form, modrm, fixed, immBytes,
    mustMem: form.args.includes("m"), mustReg: form.args.includes("xr"),
    xchg90: form.plusr === true && form.code[form.code.length - 1] === 0x90 && form.op === "xchg",
    nop90: form.plusr !== true && form.code.length === 1 && form.code[0] === 0x90,
    wFree: form.args.some((a) => a === "x" || a === "xm" || a === "xm64" || a === "xm32" || a === "xr") &&
      !form.args.some((a) => a.startsWith("r")),
  };
  for (let j = 0; j < (form.plusr ? 8 : 1); j++) {
    const key = map * 256 + opb + j;
    const l = (index[key] ??= []);
    if (l.length > 0 && l[0]!.modrm !== modrm) {
      throw new Error(`internal: the rows of opcode ${map ? "0F " : ""}${(opb + j).toString(16)} disagree about ModRM (${form.as})`);
    }
    l.push(cand);
  }
}
// Rows with a mandatory prefix first (stable otherwise).
for (const l of index) if (l) l.sort((a, b) => (b.form.pfx !== undefined && b.form.pfx !== 0x66 ? 1 : 0) - (a.form.pfx !== undefined && a.form.pfx !== 0x66 ? 1 : 0));

/** The handler resolver, installed by handlers.ts (avoids an import cycle). */
let resolve: ((i: Insn) => Handler) | null = null;
/** Installs the resolver; returns the previous one (null: none). */
export function setResolver(f: ((i: Insn) => Handler) | null): ((i: Insn) => Handler) | null {
  const old = resolve;
  resolve = f;
  return old;
}

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

/** The architectural limit on an instruction's length. */
export const MAX_LEN = 15;

function widthOf(k: Kind, size: number): number {
  switch (k) {
    case "rm8": case "r8": case "cl": return 1;
    case "rm16": case "r16": return 2;
    case "rm32": case "r32": case "xm32": return 4;
    case "rm64": case "r64": case "xm64": return 8;
    case "x": case "xm": case "xr": return 16;
    default: return size;
  }
}

function immLen(k: Kind): number {
  switch (k) {
    case "i8": case "u8": case "rel8": return 1;
    case "i16": return 2;
    case "i32": case "s32": case "rel32": return 4;
    case "i64": return 8;
    default: return 0;
  }
}

function isPrefix(b: number): boolean {
  return b === 0x66 || b === 0x67 || b === 0xf0 || b === 0xf2 || b === 0xf3 || b === 0x64 || b === 0x65 ||
    b === 0x2e || b === 0x36 || b === 0x3e || b === 0x26 || (b & 0xf0) === 0x40;
}

function isMemKind(k: Kind): boolean {
  return k === "rm8" || k === "rm16" || k === "rm32" || k === "rm64" || k === "m" || k === "xm" || k === "xm64" || k === "xm32";
}

// ---- the matcher ------------------------------------------------------------------

/** match() results. */
const M_OK = 0, M_INT3 = 1, M_BAD = 2, M_SHORT = 3;

/**
 * Facts classifyAt() passes on besides the row: an operand-size prefix; a
 * REX dropped because a legacy prefix followed it; LOCK; a memory operand;
 * REX.R on an instruction whose ModRM.reg is an opcode extension (where it
 * means nothing).
 */
export const P_OPSIZE = 1, P_STALE_REX = 2, P_LOCK = 4, P_MEM = 8, P_REXR_EXT = 16;

/** What match() found; one module-level instance, overwritten by each call. */
class Match {
  status = M_OK;
  /** M_BAD: why; M_SHORT: index of the byte that was needed. */
  why = "";
  need = 0;
  tooLong = false;
  form: Form | null = null;
  /** Bytes consumed (the instruction's length when M_OK/M_INT3; up to where it stopped when M_BAD). */
  len = 0;
  map = 0;
  opb = 0;
  rex = 0;
  lock = false;
  /** F3/F2 before a string instruction (Insn.rep), else 0. */
  rep = 0;
  /** P_* bits: what prefixes did beyond choosing the row (for classifyAt). */
  pflags = 0;
  seg = SEG_NONE;
  modrm = -1;
  /** Window index of the SIB byte, the displacement and the first immediate (-1: none). */
  sibAt = -1;
  dispAt = -1;
  dispLen = 0;
  ripRel = false;
  immAt = -1;
}

const M = new Match();

/** Ends a match that needed the byte at window index p: missing (M_SHORT), or beyond 15 bytes (#GP). */
function ran(m: Match, p: number): void {
  if (p >= MAX_LEN) { m.status = M_BAD; m.tooLong = true; m.why = "instruction longer than 15 bytes"; m.len = MAX_LEN; }
  else { m.status = M_SHORT; m.need = p; m.len = p; }
}

function refuse(m: Match, p: number, why: string): void {
  m.status = M_BAD; m.why = why; m.len = p;
}

/**
 * Matches the instruction whose first byte is buf[base]; `avail` bytes are
 * present (at most MAX_LEN are ever read). Allocates nothing.
 */
function match(buf: Uint8Array, base: number, avail: number): void {
  const m = M;
  m.status = M_OK; m.why = ""; m.tooLong = false; m.form = null; m.modrm = -1;
  m.sibAt = -1; m.dispAt = -1; m.dispLen = 0; m.ripRel = false; m.immAt = -1;
  // Bytes may be read at window indexes below `lim`; reading at lim ends the match.
  const lim = avail < MAX_LEN ? avail : MAX_LEN;
  let p = 0;
  let opsize = false, rep = 0, lock = false, seg = SEG_NONE, rex = 0, addr32 = false, stale = false;
  if (p >= lim) return ran(m, p);
  let b = buf[base + p++]!;
  for (;;) {
    if (b === 0x66) opsize = true;
    else if (b === 0xf2 || b === 0xf3) rep = b;
    else if (b === 0xf0) lock = true;
    else if (b === 0x64) seg = SEG_FS;
    else if (b === 0x65) seg = SEG_GS;
    // CS DS ES SS have no base in 64-bit mode; as the last segment
    // override, they cancel an earlier FS or GS (the last one counts).
    else if (b === 0x2e || b === 0x36 || b === 0x3e || b === 0x26) seg = SEG_NONE;
    else if (b === 0x67) addr32 = true;
    else if ((b & 0xf0) === 0x40) {
      rex = b;
      if (p >= lim) return ran(m, p);
      b = buf[base + p++]!;
      // A REX not immediately before the opcode is ignored.
      if (isPrefix(b)) { rex = 0; stale = true; continue; }
      break;
    } else break;
    if (p >= lim) return ran(m, p);
    b = buf[base + p++]!;
  }
  let map = 0;
  if (b === 0x0f) {
    map = 1;
    if (p >= lim) return ran(m, p);
    b = buf[base + p++]!;
  }
  m.map = map; m.opb = b; m.rex = rex; m.lock = lock; m.seg = seg;
  m.rep = map === 0 && (b === 0xa4 || b === 0xa5 || b === 0xaa || b === 0xab) ? rep : 0;
  m.pflags = (opsize ? P_OPSIZE : 0) | (stale && rex === 0 ? P_STALE_REX : 0) | (lock ? P_LOCK : 0);
  if (addr32) return refuse(m, p, "32-bit addressing (67 prefix) is not supported");
  if (map === 0 && b === 0xcc) { m.status = M_INT3; m.len = p; return; }
  const cands = index[map * 256 + b];
  if (cands === undefined) return refuse(m, p, "opcode not in the table");
  const rexW = (rex & 8) !== 0;
  let modrm = -1;
  if (cands[0]!.modrm) {
    if (p >= lim) return ran(m, p);
    modrm = buf[base + p++]!;
  }
  m.modrm = modrm;
  const mod = modrm >> 6, regf = (modrm >> 3) & 7;
  let chosen: Cand | null = null;
  for (let k = 0; k < cands.length; k++) {
    const c = cands[k]!;
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
    else if (rexW && (f.size === 2 || f.size === 4) && !c.wFree) continue;
    if (c.modrm) {
      if (c.fixed >= 0 && modrm !== c.fixed) continue;
      if (f.ext !== undefined && regf !== f.ext) continue;
      if (c.mustMem && mod === 3) continue;
      if (c.mustReg && mod !== 3) continue;
    }
    if (c.xchg90 && ((b & 7) | ((rex & 1) << 3)) === 0) continue;
    if (c.nop90 && (rex & 1) !== 0) continue;
    chosen = c;
    break;
  }
  if (chosen === null) return refuse(m, p, "no table row matches these prefixes and ModRM");
  const form = chosen.form;
  m.form = form;
  if (form.ext !== undefined && (rex & 4) !== 0) m.pflags |= P_REXR_EXT;
  // The ModRM's memory operand: SIB and displacement (a fixed ModRM, or a
  // row whose ModRM holds no operand, e.g. MOV CRn, has none).
  if (chosen.modrm && chosen.fixed < 0 && form.modrm !== true && mod !== 3) {
    m.pflags |= P_MEM;
    const rm = modrm & 7;
    let base5 = false;
    if (rm === 4) {
      if (p >= lim) return ran(m, p);
      m.sibAt = p;
      base5 = (buf[base + p++]! & 7) === 5;
    }
    let dl = 0;
    if (mod === 0 && rm === 5) { dl = 4; m.ripRel = true; }
    else if (mod === 0 && rm === 4 && base5) dl = 4;
    else if (mod === 1) dl = 1;
    else if (mod === 2) dl = 4;
    if (dl > 0) { m.dispAt = p; m.dispLen = dl; p += dl; }
  }
  if (chosen.immBytes > 0) { m.immAt = p; p += chosen.immBytes; }
  // Every byte before p must be present (the first missing one is the
  // fault, as a sequential fetch would find it), and p within the limit.
  if (p > avail && avail < MAX_LEN) return ran(m, avail);
  if (p > MAX_LEN) return ran(m, MAX_LEN);
  m.len = p;
  if (lock) {
    const last = form.args[form.args.length - 1];
    const destMem = last !== undefined && isMemKind(last) && mod !== 3 && form.op !== "cmp";
    if (!(form.lockable || form.op === "xchg") || !destMem) {
      return refuse(m, p, `LOCK prefix on ${form.as} ${destMem ? "" : "with a register destination "}is invalid`);
    }
  }
}

// ---- decoding -----------------------------------------------------------------------

/** The fetch window of decode(). */
const W = new Uint8Array(MAX_LEN);

/**
 * Decodes the instruction at addr. Fetch faults (MemFault) and truncation
 * (RangeError, buffer sources) propagate when a byte the instruction needs
 * cannot be read; anything not in the table yields an Insn with op "bad"
 * whose handler raises #UD (#GP when it is longer than 15 bytes).
 */
export function decode(src: ByteSource, addr: number): Insn {
  let avail = 0;
  let fault: unknown = null;
  for (; avail < MAX_LEN; avail++) {
    try {
      W[avail] = src.byte(addr + avail);
    } catch (e) {
      fault = e;
      break;
    }
  }
  match(W, 0, avail);
  const m = M;
  if (m.status === M_SHORT) throw fault;
  const i = new Insn();
  i.addr = addr;
  i.rex = m.rex;
  i.lock = m.lock;
  i.rep = m.rep;
  if (m.status === M_BAD) {
    i.op = "bad";
    i.why = m.why;
    i.tooLong = m.tooLong;
    return finish(i, Math.min(m.len, avail));
  }
  if (m.status === M_INT3) {
    i.op = "int3";
    return finish(i, m.len);
  }
  const form = m.form!;
  i.form = form;
  i.op = form.op;
  i.size = form.size;
  i.seg = m.seg;
  if (form.cc !== undefined) i.cc = form.cc;
  const rex = m.rex, modrm = m.modrm;
  const mod = modrm >> 6, regf = (modrm >> 3) & 7;
  // ModRM operands.
  let rmIsReg = false, rmNum = 0;
  const regNum = regf | ((rex & 4) << 1);
  let disp = 0;
  if (modrm >= 0) {
    const rm = modrm & 7;
    if (mod === 3) { rmIsReg = true; rmNum = rm | ((rex & 1) << 3); }
    else if (m.sibAt >= 0) {
      const sib = W[m.sibAt]!;
      const ss = sib >> 6, idx = ((sib >> 3) & 7) | ((rex & 2) << 2), bs = sib & 7;
      i.scale = 1 << ss;
      i.index = idx === 4 ? -1 : idx;
      i.base = bs === 5 && mod === 0 ? -1 : bs | ((rex & 1) << 3);
    } else if (m.ripRel) {
      i.ripRel = true;
    } else {
      i.base = rm | ((rex & 1) << 3);
    }
    if (m.dispLen === 1) disp = (W[m.dispAt]! << 24) >> 24;
    else if (m.dispLen === 4) disp = le32(m.dispAt);
  }
  // Immediates and branch displacements, in argument order.
  let q = m.immAt;
  let rel = 0;
  for (const a of form.args) {
    switch (a) {
      case "i8": { const v = (W[q]! << 24) >> 24; q += 1; setImm(i, v, v >> 31, form.size); break; }
      case "u8": { const v = W[q]!; q += 1; setImm(i, v, 0, 8); break; }
      case "i16": { const v = ((W[q]! | (W[q + 1]! << 8)) << 16) >> 16; q += 2; setImm(i, v, v >> 31, form.size); break; }
      case "i32": case "s32": { const v = le32(q); q += 4; setImm(i, v, v >> 31, form.size); break; }
      case "i64": { const lo = le32(q), hi = le32(q + 4); q += 8; setImm(i, lo, hi, 8); break; }
      case "one": setImm(i, 1, 0, 8); break;
      case "rel8": rel = (W[q]! << 24) >> 24; q += 1; break;
      case "rel32": rel = le32(q); q += 4; break;
      default: break;
    }
  }
  i.len = m.len;
  i.next = addr + i.len;
  if (i.ripRel) disp += i.next;
  i.disp = disp;
  if (form.args.includes("rel8") || form.args.includes("rel32")) i.target = i.next + rel;

  // Operands in Go order.
  const plusReg = (m.opb & 7) | ((rex & 1) << 3);
  const args: Operand[] = form.args.map((a): Operand => {
    const w = widthOf(a, form.size);
    switch (a) {
      case "rm8": case "rm16": case "rm32": case "rm64":
        return rmIsReg ? gpr(a, rmNum, w, rex) : { kind: a, k: K_MEM, n: 0 };
      case "m": return { kind: a, k: K_MEM, n: 0 };
      case "r8": case "r16": case "r32": case "r64":
        return gpr(a, form.plusr ? plusReg : regNum, w, rex);
      case "x": return { kind: a, k: K_XMM, n: regNum };
      case "xm": case "xm64": case "xm32": return rmIsReg ? { kind: a, k: K_XMM, n: rmNum } : { kind: a, k: K_MEM, n: 0 };
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
    // CMPSD X1, X0, $pred: the immediate is Go's last operand, X0 the destination.
    if (args.length === 3 && d.k === K_IMM) { d = args[1]!; s = args[0]; }
    i.dk = d.k; i.dn = d.n;
    if (s) { i.sk = s.k; i.sn = s.n; i.ssz = widthOf(s.kind, form.size); }
  }
  return finish(i, m.len);
}

function le32(q: number): number {
  return W[q]! | (W[q + 1]! << 8) | (W[q + 2]! << 16) | (W[q + 3]! << 24);
}

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

function finish(i: Insn, len: number): Insn {
  i.len = len;
  i.next = i.addr + len;
  i.bytes = W.slice(0, len);
  i.h = resolve === null ? unresolved : resolve(i);
  return i;
}

// ---- classification without decoding ---------------------------------------------------

/** What classifyAt() says about the bytes at a position. */
export const C_PLAIN = 0, C_SPECIAL = 1, C_INCOMPLETE = 2;

/** The length of the instruction the last classifyAt() looked at (its bytes up to where it stopped, when it did not decode). */
export function classifiedLength(): number {
  return M.len;
}

/**
 * Classifies the instruction that would start at buf[base] (with `avail`
 * bytes present) without building it: C_SPECIAL when it does not decode
 * (#UD or #GP) or `special` says so of its row (given the P_* facts),
 * C_INCOMPLETE when it needs bytes beyond `avail`, C_PLAIN otherwise.
 * Allocates nothing.
 */
export function classifyAt(buf: Uint8Array, base: number, avail: number, special: (form: Form, pflags: number) => boolean): number {
  match(buf, base, avail);
  const m = M;
  if (m.status === M_SHORT) return C_INCOMPLETE;
  if (m.status === M_BAD) return C_SPECIAL;
  if (m.status === M_INT3) return C_PLAIN;
  return special(m.form!, m.pflags) ? C_SPECIAL : C_PLAIN;
}
