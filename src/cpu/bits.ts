// Bit instructions compiled Go code uses: BT, BTS, BTR, BTC, BSF, BSR.
//
// Each copies one bit of the destination into CF; BTS then sets it, BTR
// clears it, BTC complements it. With an immediate or a register
// destination the bit offset is taken modulo the operand width; with a
// register offset and a memory destination the operand is a bit string
// starting at the address, and the signed offset may reach words before
// or after it: the operand-sized word holding the bit, at address +
// (offset div width) * size, is read (and written back for BTS/BTR/BTC),
// as QEMU does, so both engines touch, and fault at, the same bytes
// (reading only the byte holding the bit faulted elsewhere: the engine
// differential found it). CF is the bit; ZF is unchanged; OF, SF, AF and PF are
// undefined by the SDM and, as QEMU does, keep their values (the flags
// are materialized and only CF is replaced).

import { CF } from "../x86/regs.ts";
import { F_LOGIC, type Cpu } from "./cpu.ts";
import { K_IMM, K_MEM, K_REG, type Handler } from "./decode.ts";
import { ea, readD, readS, writeD } from "./operands.ts";

const M_TEST = 0, M_SET = 1, M_RESET = 2, M_COMPLEMENT = 3;

function bitHandler(mode: number): Handler {
  return (c, i) => {
    const w = i.size, bits = w * 8;
    let bit: number;
    if (i.dk === K_MEM && i.sk !== K_IMM) {
      // A bit string in memory: the offset is signed, of the operand's width.
      let off = readS(c, i);
      if (w === 8) off = c.th * 4294967296 + (off >>> 0);
      else if (w === 4) off = off | 0;
      else off = (off << 16) >> 16;
      const q = Math.floor(off / bits), k = off - q * bits;
      const a = ea(c, i) + q * w, m = c.mem;
      if (w === 8) {
        let lo = m.read64(a), hi = m.hi;
        if (k < 32) { bit = (lo >>> k) & 1; lo = update(lo, k, mode); }
        else { bit = (hi >>> (k - 32)) & 1; hi = update(hi, k - 32, mode); }
        if (mode !== M_TEST) m.write64(a, lo | 0, hi | 0);
      } else {
        const v = w === 4 ? m.read32(a) : m.read16(a);
        bit = (v >>> k) & 1;
        if (mode !== M_TEST) {
          if (w === 4) m.write32(a, update(v, k, mode) >>> 0);
          else m.write16(a, update(v, k, mode) & 0xffff);
        }
      }
    } else {
      const n = (i.sk === K_IMM ? i.immLo : readS(c, i)) & (bits - 1);
      let lo = readD(c, i), hi = c.th;
      if (n < 32) {
        bit = (lo >>> n) & 1;
        lo = update(lo, n, mode);
      } else {
        bit = (hi >>> (n - 32)) & 1;
        hi = update(hi, n - 32, mode);
      }
      if (mode !== M_TEST) writeD(c, i, w === 8 ? lo | 0 : lo >>> 0, w === 8 ? hi | 0 : 0);
    }
    setCF(c, bit);
  };
}

function update(v: number, k: number, mode: number): number {
  switch (mode) {
    case M_SET: return v | (1 << k);
    case M_RESET: return v & ~(1 << k);
    case M_COMPLEMENT: return v ^ (1 << k);
  }
  return v;
}

function setCF(c: Cpu, bit: number): void {
  const f = c.rflags;
  c.rflags = bit ? f | CF : f & ~CF;
}

export const bt = bitHandler(M_TEST);
export const bts = bitHandler(M_SET);
export const btr = bitHandler(M_RESET);
export const btc = bitHandler(M_COMPLEMENT);

/**
 * BSF / BSR: the index of the lowest (highest) set bit of the source. A
 * zero source sets ZF and leaves the destination's value unchanged (as AMD
 * documents; the SDM says undefined), but a 32-bit destination register is
 * still written, zero-extending it, as QEMU does. CF, OF, SF, AF and PF are
 * undefined; like QEMU we leave the flags of a logic operation on the
 * source (ZF, SF and PF from it, the others clear), which is also what
 * makes ZF right.
 */
function scanHandler(reverse: boolean): Handler {
  return (c, i) => {
    const w = i.size;
    const lo = readS(c, i), hi = w === 8 ? c.th : 0;
    c.fop = F_LOGIC; c.fsz = w; c.frl = lo; c.frh = hi;
    if (lo === 0 && hi === 0) {
      if (w === 4 && i.dk === K_REG) c.r[2 * i.dn + 1] = 0;
      return;
    }
    let n: number;
    if (reverse) n = hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
    else n = lo !== 0 ? 31 - Math.clz32(lo & -lo) : 63 - Math.clz32(hi & -hi);
    writeD(c, i, n, 0);
  };
}

export const bsf = scanHandler(false);
export const bsr = scanHandler(true);
