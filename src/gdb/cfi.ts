// Call frame information for gdb: how to find each frame's caller, written
// as a DWARF .debug_frame section into the ELF of `gmpemu gdb --elf`, so
// that gdb's `bt` walks from assembly through the TypeScript runtime's host
// frames and back into assembly (main.main, runtime.goexit).
//
// Assembly. For every text symbol the machine code is decoded (the
// disassembler reads the same table the CPU runs) and the stack pointer is
// followed along the control flow from the entry, where the return address
// is at 0(SP): SUBQ/ADDQ $n, SP, PUSHQ/POPQ and PUSHFQ/POPFQ move it; a
// branch carries its state to its target, as Go's pcsp table would. The
// CFA (the caller's SP) is always SP plus that depth; where the caller's BP
// is saved (MOVQ BP, n(SP) in Go's prologue, or PUSHQ BP) the row says so.
// Where SP is loaded from anywhere else (mcall, gogo, systemstack and
// morestack switch stacks), the return address becomes undefined: gdb ends
// the backtrace there, as Go's traceback ends at a stack switch. TOPFRAME
// functions (rt0_go, mstart, goexit) have no caller at all.
//
// Code compiled by Go (a .go program's image, src/golang/load.ts) needs no
// decoding: its pclntab gives the SP delta at every pc (spRuns), which is
// Go's own unwinding table; the CFA is SP plus that delta plus 8.
//
// Host functions. The runtime's functions written in TypeScript live at
// addresses 0x7f000000 + 16·i (src/runtime/bridge.ts), and a host function
// that called back into machine code is represented there by its return
// address: a resume point or a continuation token in the same region. At a
// host function's address the frame is that of a call just made: CFA = RSP
// + 8, return address at CFA - 8. At a return address the host function's
// frame lies above its callee's arguments (and its own locals), at a
// distance that depends on that call; the bridge alone knows it
// (Bridge.cfaOffsetOfReturn). So the rest of the region's CFA is a DWARF
// expression that asks the stub: it reads the return address back from
// 0(RSP - 8) (where the callee's return address was), loads the distance
// from a table the stub serves at HOSTFRAME_TABLE + 8·(pc - HOST_BASE), an
// address no guest can map (non-canonical), and adds RSP. The stub answers
// those reads from the bridge (hostFrameTableRead); an address that is no
// return address reads as 2^63, a CFA no memory has, which ends the walk.
//
// Rejected: a fixed CFA = RSP + 8 for tokens (it finds the callee's first
// argument, not the return address); a Python unwinder (every user would
// have to load it); one FDE per token (they are allocated at run time).
// Left out: signal frames. runtime·sigreturn__sigaction gets no FDE, so
// gdb's own Linux sigtramp unwinder (which matches its bytes, MOVQ $15, AX;
// SYSCALL) may take over there; sigtramp itself is TOPFRAME, as in Go.

import { disassemble } from "../cpu/disasm.ts";
import type { Image, LinkedSym } from "../asm/link.ts";
import { HOST_BASE, HOST_FUNCS, HOST_SIZE } from "../runtime/bridge.ts";

/** The first continuation token (bridge.ts: tokens follow the function slots). */
export const TOKEN_BASE = HOST_BASE + HOST_FUNCS;
export const HOST_END = HOST_BASE + HOST_SIZE;
/** Where the stub serves each host address's CFA, 8 bytes each: non-canonical, so never guest memory. */
export const HOSTFRAME_TABLE = 0xffff_f000_0000_0000n;
export const HOSTFRAME_TABLE_END = HOSTFRAME_TABLE + BigInt(HOST_SIZE) * 8n;

const TOPFRAME = 2048;

// DWARF register numbers (System V AMD64 ABI).
const DW_RBP = 6, DW_RSP = 7, DW_RA = 16;
// Call frame instructions.
const CFA_advance_loc = 0x40, CFA_offset = 0x80, CFA_restore = 0xc0;
const CFA_advance_loc1 = 0x02, CFA_advance_loc2 = 0x03, CFA_advance_loc4 = 0x04;
const CFA_undefined = 0x07, CFA_def_cfa = 0x0c, CFA_def_cfa_offset = 0x0e, CFA_def_cfa_expression = 0x0f;
// DWARF expression operators.
const OP_deref = 0x06, OP_const8u = 0x0e, OP_constu = 0x10, OP_minus = 0x1c, OP_plus = 0x22, OP_shl = 0x24, OP_lit3 = 0x33, OP_breg7 = 0x77;

/** A little-endian byte buffer with LEB128. */
class Bytes {
  readonly a: number[] = [];
  u8(v: number): this { this.a.push(v & 0xff); return this; }
  u16(v: number): this { return this.u8(v).u8(v >>> 8); }
  u32(v: number): this { return this.u16(v & 0xffff).u16(v >>> 16); }
  u64(v: number | bigint): this {
    const x = BigInt.asUintN(64, BigInt(v));
    return this.u32(Number(x & 0xffffffffn)).u32(Number(x >> 32n));
  }
  uleb(v: number): this {
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.u8(b);
    } while (v !== 0);
    return this;
  }
  sleb(v: number): this {
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return this.u8(b);
      this.u8(b | 0x80);
    }
  }
  bytes(b: readonly number[]): this { for (const x of b) this.u8(x); return this; }
  pad(n: number): this { while (this.a.length % n) this.u8(0); return this; }
}

/** The stack at an instruction: CFA = RSP + k (k null: unknown), the caller's BP at CFA - rbp (null: in BP). */
interface State { k: number | null; rbp: number | null }
const same = (a: State, b: State): boolean => a.k === b.k && a.rbp === b.rbp;

interface Insn { pc: number; len: number; text: string }

const IMM = "(-?0x[0-9a-f]+)";
const RE_SUB = new RegExp(`^SUBQ \\$${IMM}, SP$`);
const RE_ADD = new RegExp(`^ADDQ \\$${IMM}, SP$`);
const RE_LEA_SP = new RegExp(`^LEAQ ${IMM}?\\(SP\\), SP$`);
const RE_SAVE_BP = new RegExp(`^MOVQ BP, ${IMM}?\\(SP\\)$`);
const RE_LOAD_BP = new RegExp(`^MOVQ ${IMM}?\\(SP\\), BP$`);
const RE_BRANCH = /^(J[A-Z]+) (0x[0-9a-f]+)$/;
/** Instructions whose last operand is read, not written. */
const RE_READS_LAST = /^(CMP|TEST|BTQ|BTL|BTW|PUSH|UCOMIS|COMIS)/;

const num = (s: string | undefined): number => (s === undefined ? 0 : s.startsWith("-") ? -parseInt(s.slice(3), 16) : parseInt(s.slice(2), 16));

/** The state after one instruction. */
function transfer(s: State, text: string): State {
  let m: RegExpExecArray | null;
  if (s.k === null) return s;
  const k = s.k;
  if ((m = RE_SUB.exec(text))) return { ...s, k: k + num(m[1]) };
  if ((m = RE_ADD.exec(text))) return { ...s, k: k - num(m[1]) };
  if ((m = RE_LEA_SP.exec(text))) return { ...s, k: k - num(m[1]) };
  if ((m = RE_SAVE_BP.exec(text))) return s.rbp === null ? { k, rbp: k - num(m[1]) } : s;
  if ((m = RE_LOAD_BP.exec(text))) return s.rbp === k - num(m[1]) ? { k, rbp: null } : s;
  if (text === "PUSHQ BP") return { k: k + 8, rbp: s.rbp ?? k + 8 };
  if (text === "POPQ BP") return { k: k - 8, rbp: s.rbp === k ? null : s.rbp };
  if (/^PUSH(Q|FQ)\b/.test(text)) return { ...s, k: k + 8 };
  if (/^POP(Q|FQ)\b/.test(text)) return { ...s, k: k - 8 };
  if (/^PUSHW\b|^PUSHFW\b/.test(text)) return { ...s, k: k + 2 };
  if (/^POPW\b|^POPFW\b/.test(text)) return { ...s, k: k - 2 };
  // Anything else that writes SP: a stack switch. The caller is no longer findable.
  if (/(?:^|, )SP$/.test(text) && !RE_READS_LAST.test(text)) return { k: null, rbp: null };
  return s;
}

function decodeSym(sym: LinkedSym): Insn[] {
  const out: Insn[] = [];
  for (let off = 0; off < sym.size;) {
    const d = disassemble(sym.bytes, off, sym.addr + off);
    out.push({ pc: sym.addr + off, len: d.len, text: d.text });
    off += Math.max(1, d.len);
  }
  return out;
}

/** Each instruction's state, along the control flow from the entry; unreached ones are undefined (null k). */
export function frameStates(sym: LinkedSym): { pc: number; state: State; text: string }[] {
  const insns = decodeSym(sym);
  const index = new Map<number, number>();
  insns.forEach((x, i) => index.set(x.pc, i));
  const states: (State | undefined)[] = new Array(insns.length);
  if ((sym.flags & TOPFRAME) === 0 && insns.length > 0) {
    const work: number[] = [0];
    states[0] = { k: 8, rbp: null };
    while (work.length) {
      const i = work.pop()!;
      const x = insns[i]!;
      const after = transfer(states[i]!, x.text);
      const succ: number[] = [];
      const br = RE_BRANCH.exec(x.text);
      const stops = x.text === "RET" || x.text.startsWith("RET ") || x.text.startsWith("JMP ") || x.text === "BYTE $0xcc" || x.text === "INT $0x3" || x.text === "UD2";
      if (!stops && i + 1 < insns.length) succ.push(i + 1);
      if (br) {
        const t = index.get(parseInt(br[2]!, 16));
        if (t !== undefined) succ.push(t);
      }
      for (const j of succ) {
        if (states[j] === undefined) { states[j] = after; work.push(j); }
      }
    }
  }
  return insns.map((x, i) => ({ pc: x.pc, text: x.text, state: states[i] ?? { k: null, rbp: null } }));
}

function advance(b: Bytes, delta: number): void {
  if (delta === 0) return;
  if (delta < 0x40) b.u8(CFA_advance_loc | delta);
  else if (delta < 0x100) b.u8(CFA_advance_loc1).u8(delta);
  else if (delta < 0x10000) b.u8(CFA_advance_loc2).u16(delta);
  else b.u8(CFA_advance_loc4).u32(delta);
}

/** The FDE instructions of one assembly function. */
function symProgram(sym: LinkedSym): Bytes {
  const b = new Bytes();
  let prev: State = { k: 8, rbp: null };
  let lastPc = sym.addr;
  for (const { pc, state } of frameStates(sym)) {
    if (same(state, prev)) continue;
    advance(b, pc - lastPc);
    lastPc = pc;
    if (state.k === null) {
      if (prev.k !== null) b.u8(CFA_undefined).uleb(DW_RA);
    } else {
      if (prev.k === null) b.u8(CFA_restore | DW_RA);
      if (prev.k !== state.k) b.u8(CFA_def_cfa_offset).uleb(state.k);
    }
    if (state.rbp !== prev.rbp) {
      if (state.rbp === null) b.u8(CFA_restore | DW_RBP);
      else if (state.rbp % 8 === 0 && state.rbp > 0) b.u8(CFA_offset | DW_RBP).uleb(state.rbp / 8);
    }
    prev = state;
  }
  return b;
}

/** The FDE instructions of a compiled Go function, from its pclntab SP deltas. */
function runsProgram(sym: LinkedSym, runs: readonly { pc: number; delta: number }[]): Bytes {
  const b = new Bytes();
  let k = 8, lastPc = sym.addr;
  for (const r of runs) {
    if (r.delta < 0 || r.delta + 8 === k) continue;
    advance(b, r.pc - lastPc);
    lastPc = r.pc;
    k = r.delta + 8;
    b.u8(CFA_def_cfa_offset).uleb(k);
  }
  return b;
}

/** The expression for a return address's CFA: RSP + table[(0(RSP-8) - HOST_BASE) · 8]. */
function tokenCfaExpr(): number[] {
  const e = new Bytes()
    .u8(OP_breg7).sleb(-8).u8(OP_deref)
    .u8(OP_constu).uleb(HOST_BASE).u8(OP_minus)
    .u8(OP_lit3).u8(OP_shl)
    .u8(OP_const8u).u64(HOSTFRAME_TABLE).u8(OP_plus)
    .u8(OP_deref)
    .u8(OP_breg7).sleb(0).u8(OP_plus);
  return e.a;
}

/** The .debug_frame section: one CIE, an FDE per text symbol, and two for the host region. */
export function debugFrame(image: Image): Uint8Array {
  const out = new Bytes();
  // CIE, version 1: code alignment 1, data alignment -8, return address in column 16;
  // initially CFA = RSP + 8 and the return address at CFA - 8 (just after a CALL).
  const cie = new Bytes().u32(0xffffffff).u8(1).u8(0).uleb(1).sleb(-8).u8(DW_RA)
    .u8(CFA_def_cfa).uleb(DW_RSP).uleb(8)
    .u8(CFA_offset | DW_RA).uleb(1);
  while ((cie.a.length + 4) % 8) cie.u8(0); // DW_CFA_nop
  out.u32(cie.a.length).bytes(cie.a);
  const fde = (start: number, len: number, prog: readonly number[]): void => {
    const f = new Bytes().u32(0).u64(start).u64(len).bytes(prog);
    while ((f.a.length + 4) % 8) f.u8(0);
    out.u32(f.a.length).bytes(f.a);
  };
  const syms = image.symbols.filter((s) => s.kind === "text" && s.size > 0 && s.name !== "runtime.sigreturn__sigaction");
  const spRuns = (image as { spRuns?: (s: LinkedSym) => { pc: number; delta: number }[] | undefined }).spRuns?.bind(image);
  for (const s of [...syms].sort((a, b) => a.addr - b.addr)) {
    const runs = spRuns?.(s);
    const prog = (s.flags & TOPFRAME) !== 0 ? new Bytes().u8(CFA_undefined).uleb(DW_RA) : runs ? runsProgram(s, runs) : symProgram(s);
    fde(s.addr, s.size, prog.a);
  }
  // Host functions: the CIE's rule. Tokens: the stub's table. The token
  // range starts one byte early because gdb looks up a caller's row at its
  // return address - 1, which for the first token falls before it.
  fde(HOST_BASE, TOKEN_BASE - 1 - HOST_BASE, []);
  const expr = tokenCfaExpr();
  fde(TOKEN_BASE - 1, HOST_END - (TOKEN_BASE - 1), new Bytes().u8(CFA_def_cfa_expression).uleb(expr.length).bytes(expr).a);
  return Uint8Array.from(out.a);
}

/**
 * The stub's side of the return-address rows: `len` bytes of the table at
 * `addr` (in [HOSTFRAME_TABLE, HOSTFRAME_TABLE_END)), each 8-byte entry the
 * distance from SP to the CFA of the host frame that entry's host address
 * returns into (Bridge.cfaOffsetOfReturn), or 2^63 for none.
 */
export function hostFrameTableRead(addr: bigint, len: number, cfaOffsetOf: (pc: number) => number | undefined): Uint8Array {
  const out = new Uint8Array(len);
  let entry = -1, value = 0n;
  for (let i = 0; i < len; i++) {
    const rel = addr + BigInt(i) - HOSTFRAME_TABLE;
    const e = Number(rel >> 3n);
    if (e !== entry) {
      entry = e;
      const off = cfaOffsetOf(HOST_BASE + e);
      value = off === undefined ? 1n << 63n : BigInt(off);
    }
    out[i] = Number((value >> (8n * (rel & 7n))) & 0xffn);
  }
  return out;
}
