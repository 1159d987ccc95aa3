// Test harness for instruction rows: bytes, their Go disassembly, an input
// state and the expected output state, run on an Engine.
//
// The layout every row runs in: code at CODE (rwx), a data page at DATA
// (rw), a stack page below STACK_TOP (rw) with RSP = STACK, and a TLS page
// with the FS base at FS (rw). Registers not named in a row's input are
// given distinct non-zero values so that a wrongly chosen register shows.

import { expect } from "vitest";
import type { Engine, Stop } from "../../src/engine/engine.ts";
import { PROT_ALL, PROT_READ, PROT_WRITE, REG_FS_BASE, REG_RFLAGS, REG_RIP, REG_IDS, REG_NAMES, NREGS, type RegId } from "../../src/engine/engine.ts";
import { DF, RSP } from "../../src/x86/regs.ts";

export * from "./layout.ts";
import { CODE, FS, STACK, RO, DATA, STACK_TOP, ARITH, hexBytes, flagsOf, flagNames, initial, type Row, type Val } from "./layout.ts";

export function setup(e: Engine, row: Row): void {
  e.map(CODE, 0x1000, PROT_ALL);
  e.map(DATA, 0x2000, PROT_READ | PROT_WRITE);
  e.map(STACK_TOP - 0x2000, 0x2000, PROT_READ | PROT_WRITE);
  e.map(FS - 0x1000, 0x2000, PROT_READ | PROT_WRITE);
  e.map(RO, 0x1000, PROT_READ);
  e.write(CODE, hexBytes(row.b));
  for (const r of REG_IDS.slice(0, 16)) e.setReg(r, initial(r));
  e.setReg(RSP, BigInt(STACK));
  e.setReg(REG_FS_BASE, BigInt(FS));
  e.setReg(REG_RIP, BigInt(CODE));
  e.setReg(REG_RFLAGS, 0x202n);
  for (let x = 0; x < 16; x++) e.setXmm(x, new Uint8Array(16));
  const st = row.in ?? {};
  for (const [k, v] of Object.entries(st)) {
    if (k === "flags") e.setReg(REG_RFLAGS, BigInt(0x202 | flagsOf(v as string)));
    else if (k === "mem") for (const [a, h] of Object.entries(v as Record<number, string>)) e.write(Number(a), hexBytes(h));
    else if (k.startsWith("X") && /^X\d+$/.test(k)) e.setXmm(Number(k.slice(1)), xmmBytes(BigInt(v as Val)));
    else e.setReg(regId(k), BigInt(v as Val));
  }
}

export function xmmBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  const u = BigInt.asUintN(128, v);
  dv.setBigUint64(0, u & 0xffffffffffffffffn, true);
  dv.setBigUint64(8, u >> 64n, true);
  return out;
}

export function xmmValue(b: Uint8Array): bigint {
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  return dv.getBigUint64(0, true) | (dv.getBigUint64(8, true) << 64n);
}

export function regId(name: string): RegId {
  const i = REG_NAMES.indexOf(name);
  if (i < 0 || i >= NREGS) throw new Error(`unknown register ${name}`);
  return REG_IDS[i]!;
}

/** Runs a row and checks its output; returns the stop. */
export function check(e: Engine, row: Row): Stop {
  setup(e, row);
  const n = row.n ?? 1;
  const stop = n === 1 ? e.step() : e.run(n);
  const want = row.stop ?? "count";
  if (typeof want === "function") want(stop);
  else expect(stop.kind, `${row.asm ?? row.b}: stop ${JSON.stringify(stop, big)}`).toBe(want);
  const out = row.out ?? {};
  for (const [k, v] of Object.entries(out)) {
    if (k === "flags") {
      const mask = (ARITH | DF) & ~(row.undef ?? 0);
      const got = Number(e.getReg(REG_RFLAGS)) & mask;
      expect(flagNames(got), `${row.asm ?? row.b}: flags`).toBe(flagNames(flagsOf(v as string) & mask));
    } else if (k === "mem") {
      for (const [a, h] of Object.entries(v as Record<number, string>)) {
        const want = hexBytes(h);
        expect(hex(e.read(Number(a), want.length)), `${row.asm ?? row.b}: mem 0x${Number(a).toString(16)}`).toBe(hex(want));
      }
    } else if (/^X\d+$/.test(k)) {
      expect(xmmValue(e.getXmm(Number(k.slice(1)))).toString(16), `${row.asm ?? row.b}: ${k}`).toBe(BigInt.asUintN(128, BigInt(v as Val)).toString(16));
    } else {
      expect("0x" + e.getReg(regId(k)).toString(16), `${row.asm ?? row.b}: ${k}`).toBe("0x" + BigInt.asUintN(64, BigInt(v as Val)).toString(16));
    }
  }
  return stop;
}

export function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
}

export function big(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? "0x" + v.toString(16) : v instanceof Uint8Array ? hex(v) : v;
}

