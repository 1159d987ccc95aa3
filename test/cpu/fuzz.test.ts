// Differential test against unicorn (the oracle): ALU, shift, rotate,
// multiply and data-movement forms at every width, with random and edge
// operand values and random incoming flags. Every GPR and RFLAGS must match,
// except the flags undefinedFlags() declares undefined for that instance.
// Deterministic (seeded), so a failure reproduces.
import { describe, expect, it } from "vitest";
import { InterpEngine } from "../../src/engine/interp.ts";
import { unicornAvailable, UnicornEngine } from "../../src/engine/unicorn.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { PROT_ALL, REG_IDS, REG_RFLAGS, REG_RIP, type Engine } from "../../src/engine/engine.ts";
import { RAX, RCX, RDX } from "../../src/x86/regs.ts";

const GPRS = REG_IDS.slice(0, 16);
import { decode, bufSource } from "../../src/cpu/decode.ts";
import { undefinedFlags } from "../../src/cpu/flags.ts";
import { formatInsn } from "../../src/cpu/disasm.ts";
import { hexBytes, flagNames } from "./layout.ts";

const CODE = 0x10000;
const EDGE = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x1fn, 0x20n, 0x3fn, 0x40n, 0x41n];

let seed = 0x12345678;
function rnd32(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return seed >>> 0;
}
function val(): bigint {
  const r = rnd32() % 4;
  if (r === 0) return EDGE[rnd32() % EDGE.length]!;
  if (r === 1) return BigInt(rnd32() % 70);
  return (BigInt(rnd32()) << 32n) | BigInt(rnd32());
}

// Templates: ModRM c8 = (reg CX, rm AX) style register forms; AX, CX, DX vary.
const TEMPLATES: string[] = [];
for (const [pfx, w] of [["", ""], ["66 ", ""], ["", "48 "]] as const) {
  for (const op of ["01", "09", "11", "19", "21", "29", "31", "39", "85", "0f af", "0f c1", "0f b1", "87", "89"]) TEMPLATES.push(`${pfx}${w}${op} c8`);
  for (const ext of [0, 1, 4, 5, 7]) { // ROL ROR SHL SHR SAR (RCL/RCR are not in the table)
    const modrm = (0xc0 | (ext << 3)).toString(16);
    TEMPLATES.push(`${pfx}${w}d3 ${modrm}`, `${pfx}${w}d1 ${modrm}`, `${pfx}${w}c1 ${modrm} 05`);
  }
  for (const ext of [0, 1, 2, 3, 4, 5]) TEMPLATES.push(`${pfx}${w}${ext <= 1 ? "ff" : "f7"} ${(0xc0 | (ext << 3) | 1).toString(16)}`);
  TEMPLATES.push(`${pfx}${w}83 c0 80`, `${pfx}${w}6b c1 fd`, `${pfx}${w}0f 4c c1`, `${pfx}${w}0f 44 c1`);
}
for (const op of ["00", "08", "10", "18", "20", "28", "30", "38", "84", "0f c0", "0f b0", "86", "88"]) TEMPLATES.push(`${op} c8`, `${op} cc`);
for (const ext of [0, 1, 4, 5, 7]) {
  const modrm = (0xc0 | (ext << 3)).toString(16);
  TEMPLATES.push(`d2 ${modrm}`, `d0 ${modrm}`, `c0 ${modrm} 09`, `d2 ${(0xc4 | (ext << 3)).toString(16)}`);
}
for (const ext of [0, 1, 2, 3, 4, 5]) TEMPLATES.push(`${ext <= 1 ? "fe" : "f6"} ${(0xc0 | (ext << 3) | 1).toString(16)}`);
TEMPLATES.push("0f 94 c0", "0f 9f c4", "48 99", "99", "66 99", "48 0f be c1", "0f b7 c1", "48 63 c1", "48 8d 04 48", "8d 44 88 07");

const ITER = 60;

function load(e: Engine, code: Uint8Array, ax: bigint, cx: bigint, dx: bigint, flags: number): void {
  e.write(CODE, code);
  for (const r of GPRS) e.setReg(r, BigInt(r) * 0x0101010101010101n);
  e.setReg(RAX, ax); e.setReg(RCX, cx); e.setReg(RDX, dx);
  e.setReg(REG_RFLAGS, BigInt(0x202 | flags));
  e.setReg(REG_RIP, BigInt(CODE));
}

describe("interpreter vs unicorn on random operands", () => {
  const have = oracleAvailable("unicorn", unicornAvailable());
  // Without libunicorn there is nothing to compare with: a skipped test says so (oracleAvailable already
  // failed the run if GMPEMU_REQUIRE_ORACLES=1).
  if (!have) { it.skip("unicorn is not installed", () => {}); return; }
  const a = new InterpEngine(), b = new UnicornEngine();
  for (const e of [a, b]) e.map(CODE, 0x1000, PROT_ALL);
  it.each(TEMPLATES.map((t) => [t] as const))("%s", (t) => {
    const code = hexBytes(t);
    const ins = decode(bufSource(code, 0, CODE), CODE);
    expect(ins.op, `${t} decodes`).not.toBe("bad");
    const text = formatInsn(ins);
    for (let k = 0; k < ITER; k++) {
      const ax = val(), cx = val(), dx = val();
      const flags = rnd32() & 0x8d5;
      load(a, code, ax, cx, dx, flags);
      load(b, code, ax, cx, dx, flags);
      const sa = a.step(), sb = b.step();
      const where = `${text} with AX=0x${ax.toString(16)} CX=0x${cx.toString(16)} DX=0x${dx.toString(16)} flags=[${flagNames(flags)}]`;
      expect(sa.kind, where).toBe(sb.kind);
      if (sa.kind === "fault") continue; // #DE on both
      for (const r of GPRS) expect(a.getReg(r).toString(16), `${where}: reg ${r}`).toBe(b.getReg(r).toString(16));
      const size = ins.size;
      const count = ins.sk === 4 /* K_IMM */ ? ins.immLo : Number(cx & 0xffn);
      const masked = count & (size === 8 ? 63 : 31);
      const undef = undefinedFlags(ins.op === "bad" || ins.op === "int3" ? "nop" : ins.op, { count: masked, size });
      const m = 0xcd5 & ~undef;
      expect(flagNames(Number(a.getReg(REG_RFLAGS)) & m), `${where}: flags`).toBe(flagNames(Number(b.getReg(REG_RFLAGS)) & m));
    }
  });
});

describe("conditions after CMP: interpreter vs unicorn", () => {
  const have = oracleAvailable("unicorn", unicornAvailable());
  // Without libunicorn there is nothing to compare with: a skipped test says so (oracleAvailable already
  // failed the run if GMPEMU_REQUIRE_ORACLES=1).
  if (!have) { it.skip("unicorn is not installed", () => {}); return; }
  const a = new InterpEngine(), b = new UnicornEngine();
  for (const e of [a, b]) e.map(CODE, 0x1000, PROT_ALL);
  it.each([...Array(16).keys()].map((cc) => [cc] as const))("cc %i", (cc) => {
    // CMPQ AX, CX; SETcc DL; JCC taken/not to distinct addresses (RIP compared).
    const code = hexBytes(`48 39 c8 0f ${(0x90 + cc).toString(16)} c2 ${(0x70 + cc).toString(16)} 10`);
    for (let k = 0; k < ITER; k++) {
      const ax = val(), cx = rnd32() % 3 === 0 ? ax : val();
      load(a, code, ax, cx, 0n, 0);
      load(b, code, ax, cx, 0n, 0);
      expect(a.run(3).kind).toBe(b.run(3).kind);
      expect(a.getReg(RDX)).toBe(b.getReg(RDX));
      expect(a.getReg(REG_RIP)).toBe(b.getReg(REG_RIP));
    }
  });
});
