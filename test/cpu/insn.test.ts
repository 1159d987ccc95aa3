// Instruction rows on the interpreter (and on unicorn, the oracle, when it is
// installed): each row's bytes must disassemble to its Go text and execute
// to its output state. Conditions are checked for all 16 codes against the
// SDM's definitions, and every op of the table must have a row.
import { describe, expect, it } from "vitest";
import { InterpEngine } from "../../src/engine/interp.ts";
import { FORMS, CC_NAMES } from "../../src/x86/table.ts";
import { decode, bufSource } from "../../src/cpu/decode.ts";
import { disassemble } from "../../src/cpu/disasm.ts";
import { unicornAvailable, UnicornEngine } from "../../src/engine/unicorn.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { REG_RFLAGS, REG_RIP } from "../../src/engine/engine.ts";
import { RAX, RCX, RDX, RSP } from "../../src/x86/regs.ts";
import { ROWS, condRef, FLAG_SETS } from "./rows.ts";
import { ARITH, CODE, check, flagNames, hexBytes, type Row } from "./harness.ts";
import { AF, CF, OF, PF, SF, ZF } from "../../src/x86/regs.ts";

function label(r: Row, k: number): string {
  return `${k}: ${r.asm ?? "(invalid)"} [${r.b}]`;
}

/** Rows for SETcc, CMOVcc and Jcc over all 16 conditions and several flag sets. */
function condRows(): Row[] {
  const rows: Row[] = [];
  for (let cc = 0; cc < 16; cc++) {
    const n = CC_NAMES[cc]!;
    for (const f of FLAG_SETS) {
      const t = condRef(cc, f);
      const flags = flagNames(f);
      rows.push({ b: `0f ${(0x90 + cc).toString(16)} c0`, asm: `SET${n} AL`, in: { AX: 0x1234ff, flags }, out: { AX: t ? 0x123401 : 0x123400, flags } });
      rows.push({ b: `48 0f ${(0x40 + cc).toString(16)} d8`, asm: `CMOVQ${n} AX, BX`, in: { AX: 1, BX: 2, flags }, out: { BX: t ? 1 : 2, flags } });
      rows.push({ b: `0f ${(0x40 + cc).toString(16)} d8`, asm: `CMOVL${n} AX, BX`, in: { AX: 0x500000001n, BX: 0x600000002n, flags }, out: { BX: t ? 1 : 2, flags } });
      rows.push({ b: `66 0f ${(0x40 + cc).toString(16)} d8`, asm: `CMOVW${n} AX, BX`, in: { AX: 0x10001, BX: 0x20002, flags }, out: { BX: t ? 0x20001 : 0x20002, flags } });
      rows.push({ b: `${(0x70 + cc).toString(16)} 10`, asm: `J${n} 0x${(CODE + 0x12).toString(16)}`, in: { flags }, out: { RIP: t ? CODE + 0x12 : CODE + 2 } });
      rows.push({ b: `0f ${(0x80 + cc).toString(16)} 00 01 00 00`, asm: `J${n} 0x${(CODE + 0x106).toString(16)}`, in: { flags }, out: { RIP: t ? CODE + 0x106 : CODE + 6 } });
    }
  }
  return rows;
}

const ALL = [...ROWS, ...condRows()];

describe("disassembly of the rows", () => {
  it.each(ALL.map((r, k) => [label(r, k), r] as const))("%s", (_l, row) => {
    const b = hexBytes(row.b);
    const d = disassemble(b, 0, CODE);
    if (row.asm === undefined) expect(d).toEqual({ text: "?", len: 1 });
    else expect(d.text).toBe(row.asm);
  });
});

function runRows(make: () => Engine, skip: (r: Row) => boolean): void {
  it.each(ALL.map((r, k) => [label(r, k), r] as const))("%s", (_l, row) => {
    if (skip(row)) return;
    const e = make();
    try {
      check(e, row);
    } finally {
      e.close();
    }
  });
}

describe("rows on the interpreter", () => {
  runRows(() => new InterpEngine(), () => false);
});

describe("rows on unicorn (oracle)", () => {
  const have = oracleAvailable("unicorn", unicornAvailable());
  // Without libunicorn there is nothing to compare with: a skipped test says so (oracleAvailable already
  // failed the run if GMPEMU_REQUIRE_ORACLES=1).
  if (!have) { it.skip("unicorn is not installed", () => {}); return; }
  runRows(() => new UnicornEngine(), () => false);
});

describe("coverage", () => {
  it("every op of the table has an executed row", () => {
    const seen = new Set<string>();
    for (const r of ALL) {
      const i = decode(bufSource(hexBytes(r.b), 0, CODE), CODE);
      seen.add(i.op);
    }
    const missing = [...new Set(FORMS.filter((f) => !f.prefix).map((f) => f.op))].filter((op) => !seen.has(op));
    expect(missing).toEqual([]);
  });

  it("every prefix the assembler spells as an instruction (REP, REPN) prefixes an executed row", () => {
    const seen = new Set<number>();
    for (const r of ALL) seen.add(decode(bufSource(hexBytes(r.b), 0, CODE), CODE).rep);
    const missing = FORMS.filter((f) => f.prefix).filter((f) => !seen.has(f.code[0]!)).map((f) => f.as);
    expect(missing).toEqual([]);
  });

  it("every width of every mnemonic family has a row", () => {
    const seen = new Set<string>();
    for (const r of ALL) {
      const i = decode(bufSource(hexBytes(r.b), 0, CODE), CODE);
      if (i.form) seen.add(`${i.form.op}/${i.form.size}`);
    }
    const missing = [...new Set(FORMS.filter((f) => !f.encodeOnly).map((f) => `${f.op}/${f.size}`))].filter((k) => !seen.has(k));
    expect(missing).toEqual([]);
  });
});

describe("run loop", () => {
  it("counts instructions exactly and stops on the budget mid-block", () => {
    const e = new InterpEngine();
    e.map(CODE, 0x1000, 7);
    // ADDQ $1, AX ×3; JMP back to the start.
    e.write(CODE, hexBytes("48 83 c0 01 48 83 c0 01 48 83 c0 01 eb f2"));
    e.setReg(RAX, 0n);
    e.setReg(REG_RIP, BigInt(CODE));
    expect(e.run(10).kind).toBe("count");
    expect(e.icount).toBe(10);
    expect(e.getReg(RAX)).toBe(8n); // 2 full loops of 3 ADDs + JMP, then 2 ADDs
    expect(e.getReg(REG_RIP)).toBe(BigInt(CODE + 8));
    expect(e.step().kind).toBe("count");
    expect(e.getReg(RAX)).toBe(9n);
  });

  it("stops before a host-call range without executing it", () => {
    const e = new InterpEngine();
    e.map(CODE, 0x2000, 7);
    e.write(CODE, hexBytes("48 83 c0 01 e8 f7 0f 00 00")); // ADDQ $1, AX; CALL CODE+0x1000
    e.write(CODE + 0x1000, hexBytes("0f 0b"));
    e.setHostRange(CODE + 0x1000, CODE + 0x2000);
    e.setReg(RAX, 0n);
    e.setReg(RSP, BigInt(CODE + 0x1800));
    e.setReg(REG_RIP, BigInt(CODE));
    const s = e.run(100);
    expect(s).toEqual({ kind: "hostcall", addr: CODE + 0x1000 });
    expect(e.icount).toBe(2);
    expect(e.getReg(RAX)).toBe(1n);
    // Running again stops again, still before anything there runs.
    expect(e.run(100).kind).toBe("hostcall");
    expect(e.icount).toBe(2);
  });

  it("re-decodes code that was overwritten", () => {
    const e = new InterpEngine();
    e.map(CODE, 0x1000, 7);
    e.write(CODE, hexBytes("48 83 c0 01 cc")); // ADDQ $1, AX; INT3
    e.setReg(RAX, 0n);
    e.setReg(REG_RIP, BigInt(CODE));
    expect(e.run(10).kind).toBe("breakpoint");
    expect(e.getReg(RAX)).toBe(1n);
    e.write(CODE, hexBytes("48 83 c0 05")); // ADDQ $5, AX
    e.setReg(REG_RIP, BigInt(CODE));
    expect(e.run(10).kind).toBe("breakpoint");
    expect(e.getReg(RAX)).toBe(6n);
  });

  it("re-decodes code the program itself overwrote (store into a code page)", () => {
    const e = new InterpEngine();
    e.map(CODE, 0x1000, 7);
    // L: MOVB $5, 0xe(IP) patches the ADDQ's immediate (at CODE+0xa); JMP over...
    // Layout: 0: c6 05 03 00 00 00 05   MOVB $5, 3(IP) -> writes CODE+0xa
    //         7: 48 83 c0 01            ADDQ $1, AX (imm at CODE+0xa)
    //         b: cc
    e.write(CODE + 7, hexBytes("48 83 c0 01 cc"));
    e.setReg(RAX, 0n);
    e.setReg(REG_RIP, BigInt(CODE + 7));
    expect(e.run(10).kind).toBe("breakpoint"); // decodes and caches the ADDQ block
    expect(e.getReg(RAX)).toBe(1n);
    e.write(CODE, hexBytes("c6 05 03 00 00 00 05"));
    e.setReg(REG_RIP, BigInt(CODE));
    expect(e.run(10).kind).toBe("breakpoint");
    expect(e.getReg(RAX)).toBe(6n);
  });

  it("snapshots and restores registers, flags and memory", () => {
    const e = new InterpEngine();
    e.map(CODE, 0x1000, 7);
    e.write(CODE, hexBytes("48 83 c0 01 48 89 05 f5 0f 00 00 cc"));
    e.map(CODE + 0x1000, 0x1000, 3);
    e.setReg(RAX, 41n);
    e.setReg(REG_RIP, BigInt(CODE));
    const snap = e.snapshot();
    expect(e.run(10).kind).toBe("breakpoint");
    expect(e.readU64(CODE + 0x1000)).toBe(42n);
    e.restore(snap);
    expect(e.getReg(RAX)).toBe(41n);
    expect(e.readU64(CODE + 0x1000)).toBe(0n);
    expect(e.getReg(REG_RIP)).toBe(BigInt(CODE));
    expect(e.run(10).kind).toBe("breakpoint");
    expect(e.getReg(RAX)).toBe(42n);
  });
});

/**
 * The arithmetic flags of CMP a, b (a - b) at width w bytes, from the SDM's
 * definitions on unbounded integers: an independent reference for the
 * interpreter's lazy flags (cpu.ts materialize() and cond()).
 */
function cmpFlagsRef(a: bigint, b: bigint, w: number): number {
  const bits = BigInt(8 * w), mod = 1n << bits, half = mod >> 1n;
  const ua = BigInt.asUintN(Number(bits), a), ub = BigInt.asUintN(Number(bits), b);
  const sa = ua >= half ? ua - mod : ua, sb = ub >= half ? ub - mod : ub;
  const r = (ua - ub + mod) % mod;
  let f = 0;
  if (ua < ub) f |= CF;
  if (r === 0n) f |= ZF;
  if (r >= half) f |= SF;
  const sr = sa - sb;
  if (sr < -half || sr >= half) f |= OF;
  let ones = 0;
  for (let k = 0n; k < 8n; k++) if ((r >> k) & 1n) ones++;
  if (ones % 2 === 0) f |= PF;
  if (((ua ^ ub ^ r) & 0x10n) !== 0n) f |= AF;
  return f;
}

describe("conditions after a real CMP (lazy flags), against the SDM", () => {
  const VALS = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffffffn, 0x80000000n, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xfffffffffffffffen, 0xffffffffffffffffn];
  const engines: [string, () => Engine][] = [["interp", () => new InterpEngine()]];
  if (oracleAvailable("unicorn", unicornAvailable())) engines.push(["unicorn", () => new UnicornEngine()]);
  for (const [w, cmp] of [[8, "48 39 c8"], [4, "39 c8"], [2, "66 39 c8"], [1, "38 c8"]] as const) {
    for (const [name, make] of engines) {
      it(`${name}: RFLAGS and all 16 SETcc after CMP of width ${w} are the SDM's`, () => {
        const e = make();
        try {
          e.map(CODE, 0x1000, 7);
          for (let cc = 0; cc < 16; cc++) {
            // CMP CX, AX (AX - CX); SETcc DL; INT3
            e.write(CODE, hexBytes(`${cmp} 0f ${(0x90 + cc).toString(16)} c2 cc`));
            for (const a of VALS) for (const b of VALS) {
              e.setReg(RAX, a); e.setReg(RCX, b); e.setReg(RDX, 0n);
              e.setReg(REG_RFLAGS, 0x202n);
              e.setReg(REG_RIP, BigInt(CODE));
              expect(e.run(10).kind).toBe("breakpoint");
              const ref = cmpFlagsRef(a, b, w);
              const what = `CMP 0x${a.toString(16)}, 0x${b.toString(16)} (width ${w})`;
              if (cc === 0) expect(flagNames(Number(e.getReg(REG_RFLAGS)) & ARITH), what).toBe(flagNames(ref));
              expect(e.getReg(RDX), `${CC_NAMES[cc]} after ${what} [${flagNames(ref)}]`).toBe(condRef(cc, ref) ? 1n : 0n);
            }
          }
        } finally {
          e.close();
        }
      });
    }
  }

  it("the reference itself: a few cases worked by hand", () => {
    expect(flagNames(cmpFlagsRef(0n, 1n, 8))).toBe(flagNames(CF | SF | AF | PF)); // 0 - 1 = -1
    expect(flagNames(cmpFlagsRef(0x80n, 1n, 1))).toBe(flagNames(OF | AF)); // -128 - 1 overflows to 0x7f
    expect(flagNames(cmpFlagsRef(5n, 5n, 4))).toBe(flagNames(ZF | PF));
    expect(flagNames(cmpFlagsRef(0x7fffffffn, 0xffffffffn, 4))).toBe(flagNames(CF | OF | SF | PF)); // MAX - (-1)
  });
});
