// Integer ALU handlers: ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC NEG NOT.
//
// Each handler reads the Intel destination and source, computes the result
// on 32-bit halves (width 8) or masked unsigned numbers (widths 1, 2, 4),
// writes the destination (memory before any register or flag state changes,
// so a faulting store leaves the CPU as it was) and records the operation
// for the lazy flags (cpu.ts). The 64-bit register-register and
// register-immediate forms of the common operations have their own
// specialised handlers, chosen at decode time: they are the interpreter's
// hot path.

import { F_ADC, F_ADD, F_DEC, F_INC, F_LOGIC, F_NONE, F_SBB, F_SUB, type Cpu } from "./cpu.ts";
import { CF } from "../x86/regs.ts";
import type { Handler, Insn } from "./decode.ts";
import { mask, readD, readS, writeD } from "./operands.ts";

export const A_ADD = 0, A_OR = 1, A_ADC = 2, A_SBB = 3, A_AND = 4, A_SUB = 5, A_XOR = 6, A_CMP = 7, A_TEST = 8;

function record(c: Cpu, op: number, w: number, dl: number, dh: number, sl: number, sh: number, rl: number, rh: number): void {
  c.fop = op; c.fsz = w;
  c.fdl = dl; c.fdh = dh; c.fsl = sl; c.fsh = sh; c.frl = rl; c.frh = rh;
}

/** The generic two-operand handler for ALU operation `k`, any width and operand kinds. */
export function aluHandler(k: number): Handler {
  return (c: Cpu, i: Insn): void => {
    const w = i.size;
    const a = readD(c, i), ah = c.th;
    const b = readS(c, i), bh = c.th;
    let cin = 0;
    if (k === A_ADC || k === A_SBB) cin = c.cf ? 1 : 0;
    let rl: number, rh = 0;
    let fop: number;
    switch (k) {
      case A_ADD: case A_ADC:
        if (w === 8) { const lo = (a >>> 0) + (b >>> 0) + cin; rl = lo | 0; rh = (ah + bh + (lo > 0xffffffff ? 1 : 0)) | 0; }
        else rl = w === 4 ? (a + b + cin) >>> 0 : (a + b + cin) & mask(w);
        fop = k === A_ADD ? F_ADD : F_ADC;
        break;
      case A_SUB: case A_SBB: case A_CMP:
        if (w === 8) { const lo = (a >>> 0) - (b >>> 0) - cin; rl = lo | 0; rh = (ah - bh - (lo < 0 ? 1 : 0)) | 0; }
        else rl = w === 4 ? (a - b - cin) >>> 0 : (a - b - cin) & mask(w);
        fop = k === A_SBB ? F_SBB : F_SUB;
        break;
      case A_OR: rl = w === 8 ? a | b : (a | b) >>> 0; rh = ah | bh; fop = F_LOGIC; break;
      case A_AND: case A_TEST: rl = w === 8 ? a & b : (a & b) >>> 0; rh = ah & bh; fop = F_LOGIC; break;
      default: rl = w === 8 ? a ^ b : (a ^ b) >>> 0; rh = ah ^ bh; fop = F_LOGIC; break;
    }
    if (k !== A_CMP && k !== A_TEST) writeD(c, i, rl, rh);
    if (fop === F_LOGIC) record(c, F_LOGIC, w, 0, 0, 0, 0, rl, rh);
    else record(c, fop, w, a, ah, b, bh, rl, rh);
    c.fcin = cin;
  };
}

/**
 * 64-bit register op register/immediate: the hot path. One closure per
 * (operation, source kind), so none of them branches on what it is; ADD and
 * SUB record the source and result only (the destination is implied, see
 * cpu.ts), the logic ops the result only.
 */
export function alu64Handler(k: number, imm: boolean): Handler {
  switch (k) {
    case A_ADD:
      return imm
        ? (c, i) => {
          const r = c.r, d = 2 * i.dn;
          const b = i.immLo, bh = i.immHi;
          const lo = (r[d]! >>> 0) + (b >>> 0);
          const rl = lo | 0, rh = (r[d + 1]! + bh + (lo > 0xffffffff ? 1 : 0)) | 0;
          r[d] = rl; r[d + 1] = rh;
          c.fop = F_ADD; c.fsz = 8; c.fsl = b; c.fsh = bh; c.frl = rl; c.frh = rh;
        }
        : (c, i) => {
          const r = c.r, d = 2 * i.dn, s = 2 * i.sn;
          const b = r[s]!, bh = r[s + 1]!;
          const lo = (r[d]! >>> 0) + (b >>> 0);
          const rl = lo | 0, rh = (r[d + 1]! + bh + (lo > 0xffffffff ? 1 : 0)) | 0;
          r[d] = rl; r[d + 1] = rh;
          c.fop = F_ADD; c.fsz = 8; c.fsl = b; c.fsh = bh; c.frl = rl; c.frh = rh;
        };
    case A_SUB: case A_CMP: {
      const store = k === A_SUB;
      if (imm) {
        return store
          ? (c, i) => {
            const r = c.r, d = 2 * i.dn;
            const b = i.immLo, bh = i.immHi;
            const lo = (r[d]! >>> 0) - (b >>> 0);
            const rl = lo | 0, rh = (r[d + 1]! - bh - (lo < 0 ? 1 : 0)) | 0;
            r[d] = rl; r[d + 1] = rh;
            c.fop = F_SUB; c.fsz = 8; c.fsl = b; c.fsh = bh; c.frl = rl; c.frh = rh;
          }
          : (c, i) => {
            const r = c.r, d = 2 * i.dn;
            const b = i.immLo, bh = i.immHi;
            const lo = (r[d]! >>> 0) - (b >>> 0);
            c.fop = F_SUB; c.fsz = 8; c.fsl = b; c.fsh = bh; c.frl = lo | 0; c.frh = (r[d + 1]! - bh - (lo < 0 ? 1 : 0)) | 0;
          };
      }
      return store
        ? (c, i) => {
          const r = c.r, d = 2 * i.dn, s = 2 * i.sn;
          const b = r[s]!, bh = r[s + 1]!;
          const lo = (r[d]! >>> 0) - (b >>> 0);
          const rl = lo | 0, rh = (r[d + 1]! - bh - (lo < 0 ? 1 : 0)) | 0;
          r[d] = rl; r[d + 1] = rh;
          c.fop = F_SUB; c.fsz = 8; c.fsl = b; c.fsh = bh; c.frl = rl; c.frh = rh;
        }
        : (c, i) => {
          const r = c.r, d = 2 * i.dn, s = 2 * i.sn;
          const b = r[s]!, bh = r[s + 1]!;
          const lo = (r[d]! >>> 0) - (b >>> 0);
          c.fop = F_SUB; c.fsz = 8; c.fsl = b; c.fsh = bh; c.frl = lo | 0; c.frh = (r[d + 1]! - bh - (lo < 0 ? 1 : 0)) | 0;
        };
    }
    case A_XOR: case A_AND: case A_OR: case A_TEST:
      return logic64(k, imm);
  }
  return aluHandler(k);
}

/** XOR AND OR TEST on a 64-bit register, one closure each. */
function logic64(k: number, imm: boolean): Handler {
  const src = (c: Cpu, i: Insn): void => {
    if (imm) { lb = i.immLo; lbh = i.immHi; } else { const s = 2 * i.sn; lb = c.r[s]!; lbh = c.r[s + 1]!; }
  };
  switch (k) {
    case A_XOR:
      return imm
        ? (c, i) => { const r = c.r, d = 2 * i.dn; const rl = r[d]! ^ i.immLo, rh = r[d + 1]! ^ i.immHi; r[d] = rl; r[d + 1] = rh; c.fop = F_LOGIC; c.fsz = 8; c.frl = rl; c.frh = rh; }
        : (c, i) => { const r = c.r, d = 2 * i.dn, s = 2 * i.sn; const rl = r[d]! ^ r[s]!, rh = r[d + 1]! ^ r[s + 1]!; r[d] = rl; r[d + 1] = rh; c.fop = F_LOGIC; c.fsz = 8; c.frl = rl; c.frh = rh; };
    case A_OR:
      return imm
        ? (c, i) => { const r = c.r, d = 2 * i.dn; const rl = r[d]! | i.immLo, rh = r[d + 1]! | i.immHi; r[d] = rl; r[d + 1] = rh; c.fop = F_LOGIC; c.fsz = 8; c.frl = rl; c.frh = rh; }
        : (c, i) => { const r = c.r, d = 2 * i.dn, s = 2 * i.sn; const rl = r[d]! | r[s]!, rh = r[d + 1]! | r[s + 1]!; r[d] = rl; r[d + 1] = rh; c.fop = F_LOGIC; c.fsz = 8; c.frl = rl; c.frh = rh; };
    case A_AND:
      return imm
        ? (c, i) => { const r = c.r, d = 2 * i.dn; const rl = r[d]! & i.immLo, rh = r[d + 1]! & i.immHi; r[d] = rl; r[d + 1] = rh; c.fop = F_LOGIC; c.fsz = 8; c.frl = rl; c.frh = rh; }
        : (c, i) => { const r = c.r, d = 2 * i.dn, s = 2 * i.sn; const rl = r[d]! & r[s]!, rh = r[d + 1]! & r[s + 1]!; r[d] = rl; r[d + 1] = rh; c.fop = F_LOGIC; c.fsz = 8; c.frl = rl; c.frh = rh; };
    default:
      return (c, i) => {
        src(c, i);
        const d = 2 * i.dn;
        c.fop = F_LOGIC; c.fsz = 8; c.frl = c.r[d]! & lb; c.frh = c.r[d + 1]! & lbh;
      };
  }
}
// Scratch for TEST's source (module state: no allocation).
let lb = 0, lbh = 0;

/** INC/DEC: like ADD/SUB of 1 but CF is preserved. */
export function incdecHandler(dec: boolean): Handler {
  return (c, i) => {
    const w = i.size;
    const a = readD(c, i), ah = c.th;
    let rl: number, rh = 0;
    if (w === 8) {
      if (dec) { const lo = (a >>> 0) - 1; rl = lo | 0; rh = (ah - (lo < 0 ? 1 : 0)) | 0; }
      else { const lo = (a >>> 0) + 1; rl = lo | 0; rh = (ah + (lo > 0xffffffff ? 1 : 0)) | 0; }
    } else rl = w === 4 ? (dec ? a - 1 : a + 1) >>> 0 : (dec ? a - 1 : a + 1) & mask(w);
    writeD(c, i, rl, rh);
    keepCarry(c);
    record(c, dec ? F_DEC : F_INC, w, a, ah, 1, 0, rl, rh);
  };
}

/** Before INC/DEC replace the lazy record: CF of the pending operation into fl (all they keep). */
function keepCarry(c: Cpu): void {
  const op = c.fop;
  if (op !== F_NONE && op !== F_INC && op !== F_DEC) c.fl = ((c.fl & ~CF) | c.carry()) >>> 0;
}

/** INCQ reg: the fast path (no operand decoding, CF kept without materializing; the result alone recorded, see cpu.ts). */
export const inc64r: Handler = (c, i) => {
  const r = c.r, d = 2 * i.dn;
  const a = r[d]!, ah = r[d + 1]!;
  const rl = (a + 1) | 0, rh = rl === 0 ? (ah + 1) | 0 : ah;
  r[d] = rl; r[d + 1] = rh;
  keepCarry(c);
  c.fop = F_INC; c.fsz = 8; c.frl = rl; c.frh = rh;
};

/** DECQ reg: the fast path. */
export const dec64r: Handler = (c, i) => {
  const r = c.r, d = 2 * i.dn;
  const a = r[d]!, ah = r[d + 1]!;
  const rl = (a - 1) | 0, rh = a === 0 ? (ah - 1) | 0 : ah;
  r[d] = rl; r[d + 1] = rh;
  keepCarry(c);
  c.fop = F_DEC; c.fsz = 8; c.frl = rl; c.frh = rh;
};

/** NEG: 0 - x, flags as SUB (so CF = x != 0). */
export const neg: Handler = (c, i) => {
  const w = i.size;
  const a = readD(c, i), ah = c.th;
  let rl: number, rh = 0;
  if (w === 8) { const lo = -(a >>> 0); rl = lo | 0; rh = (-ah - (lo < 0 ? 1 : 0)) | 0; }
  else rl = w === 4 ? (-a) >>> 0 : (-a) & mask(w);
  writeD(c, i, rl, rh);
  record(c, F_SUB, w, 0, 0, a, ah, rl, rh);
};

/** NOT: no flags. */
export const not: Handler = (c, i) => {
  const w = i.size;
  const a = readD(c, i), ah = c.th;
  if (w === 8) writeD(c, i, ~a, ~ah);
  else writeD(c, i, w === 4 ? ~a >>> 0 : ~a & mask(w), 0);
};
