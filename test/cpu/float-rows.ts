// Rows for the scalar floating-point instructions (src/cpu/float.ts) and
// BSF/BSR, run by insn.test.ts with the others: on the interpreter and on
// unicorn, register-exact. Expected values follow the SDM: IEEE-754 with
// round-to-nearest-even (MXCSR's default), the default NaN 0xFFF8000000000000
// (0xFFC00000) for invalid operations, NaN operands returned quieted (the
// destination's first), MIN/MAX returning the source for NaNs and zero
// pairs, the integer indefinite for conversions that do not fit,
// unordered compares setting ZF PF CF. Numbers are written as the doubles
// (floats) they are; NaNs as bits, since a JavaScript NaN has no payload
// one can rely on.

import { AF, CF, OF, PF, SF } from "../../src/x86/regs.ts";
import { DATA, STACK, type Row } from "./layout.ts";

const dv = new DataView(new ArrayBuffer(8));
/** The bits of a double. */
export function d(x: number): bigint { dv.setFloat64(0, x, true); return dv.getBigUint64(0, true); }
/** The bits of a float (x rounded to binary32). */
export function s(x: number): bigint { dv.setFloat32(0, x, true); return BigInt(dv.getUint32(0, true)); }
/** Little-endian hex bytes of a value of n bytes. */
function bytes(v: bigint, n: number): string {
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(((v >> BigInt(8 * k)) & 0xffn).toString(16).padStart(2, "0"));
  return out.join(" ");
}

/** Upper bits the scalar operations must leave alone. */
const HI = 0x0123456789abcdefn << 64n;
const HI96 = 0x0123456789abcdef_76543210n << 32n;
const QNAN = 0x7ff8000000000000n;
const SNAN = 0x7ff0000000000001n; // signalling, payload 1
const NQNAN2 = 0xfff8000000000002n; // negative quiet, payload 2
const INDEF = 0xfff8000000000000n;
const SNAN_S = 0x7f800001n;
const INDEF_S = 0xffc00000n;
const MIN64 = 0x8000000000000000n;
const INF = Infinity;
const DENORM = 5e-324;
/** Flags the rows start from, to see the compares clear OF SF AF. */
const OSA = "OF SF AF";
const UNDEF_SCAN = CF | OF | SF | AF | PF;

function sd(name: string, code: string, a: bigint, b: bigint, r: bigint): Row {
  return { b: `f2 0f ${code} c1`, asm: `${name} X1, X0`, in: { X0: HI | a, X1: (7n << 64n) | b }, out: { X0: HI | r, X1: (7n << 64n) | b } };
}
function ss(name: string, code: string, a: bigint, b: bigint, r: bigint): Row {
  return { b: `f3 0f ${code} c1`, asm: `${name} X1, X0`, in: { X0: HI96 | a, X1: (7n << 32n) | b }, out: { X0: HI96 | r } };
}
function cmp(bytes: string, asm: string, a: bigint, b: bigint, flags: string): Row {
  return { b: bytes, asm, in: { X0: a, X1: b, flags: OSA }, out: { flags } };
}

export const FLOAT_ROWS: Row[] = [
  // ---- moves ---------------------------------------------------------------------------------------
  { b: "f2 0f 10 c1", asm: "MOVSD X1, X0", in: { X0: HI | d(1), X1: (9n << 64n) | d(2.5) }, out: { X0: HI | d(2.5) } },
  { b: "f2 0f 10 08", asm: "MOVSD (AX), X1", in: { AX: DATA, X1: -1n, mem: { [DATA]: bytes(d(-0.5), 8) + " ff" } }, out: { X1: d(-0.5) } },
  { b: "f2 0f 11 08", asm: "MOVSD X1, (AX)", in: { AX: DATA, X1: HI | SNAN, mem: { [DATA]: "ee ee ee ee ee ee ee ee ee" } }, out: { mem: { [DATA]: bytes(SNAN, 8) + " ee" } } },
  { b: "f2 44 0f 11 7c 24 08", asm: "MOVSD X15, 0x8(SP)", in: { X15: d(3) }, out: { mem: { [STACK + 8]: bytes(d(3), 8) } } },
  { b: "f3 0f 10 c1", asm: "MOVSS X1, X0", in: { X0: HI96 | 0x11111111n, X1: -1n }, out: { X0: HI96 | 0xffffffffn } },
  { b: "f3 0f 10 08", asm: "MOVSS (AX), X1", in: { AX: DATA, X1: -1n, mem: { [DATA]: bytes(s(1.5), 4) + " ff" } }, out: { X1: s(1.5) } },
  { b: "f3 0f 11 08", asm: "MOVSS X1, (AX)", in: { AX: DATA, X1: HI96 | SNAN_S, mem: { [DATA]: "ee ee ee ee ee" } }, out: { mem: { [DATA]: bytes(SNAN_S, 4) + " ee" } } },
  { b: "f3 44 0f 10 38", asm: "MOVSS (AX), X15", in: { AX: DATA, mem: { [DATA]: "00 00 80 3f" } }, out: { X15: s(1) } },

  // ---- double arithmetic ---------------------------------------------------------------------------
  sd("ADDSD", "58", d(1.5), d(2.25), d(3.75)),
  sd("ADDSD", "58", d(0.1), d(0.2), d(0.30000000000000004)),
  sd("ADDSD", "58", d(-0), d(-0), d(-0)),
  sd("ADDSD", "58", d(-0), d(0), d(0)),
  sd("ADDSD", "58", d(DENORM), d(DENORM), d(2 * DENORM)),
  sd("ADDSD", "58", d(INF), d(-INF), INDEF),
  sd("ADDSD", "58", SNAN, d(1), SNAN | QNAN),
  sd("ADDSD", "58", d(1), SNAN, SNAN | QNAN),
  sd("ADDSD", "58", NQNAN2, SNAN, NQNAN2),
  sd("ADDSD", "58", d(1), NQNAN2, NQNAN2),
  sd("ADDSD", "58", d(1.7976931348623157e308), d(1e292), d(INF)),
  sd("SUBSD", "5c", d(1), d(1), d(0)),
  sd("SUBSD", "5c", d(1), d(2 ** -60), d(1 - 2 ** -60)),
  sd("SUBSD", "5c", d(INF), d(INF), INDEF),
  sd("MULSD", "59", d(-2), d(3.5), d(-7)),
  sd("MULSD", "59", d(1e308), d(10), d(INF)),
  sd("MULSD", "59", d(0), d(-INF), INDEF),
  sd("MULSD", "59", d(2 ** -1022), d(0.75), d(2 ** -1022 * 0.75)),
  sd("MULSD", "59", d(-1e-200), d(1e-200), d(-0)),
  sd("DIVSD", "5e", d(22), d(7), d(22 / 7)),
  sd("DIVSD", "5e", d(1), d(-0), d(-INF)),
  sd("DIVSD", "5e", d(0), d(0), INDEF),
  sd("DIVSD", "5e", d(-1), d(INF), d(-0)),
  sd("SQRTSD", "51", d(9), d(2), d(Math.SQRT2)),
  sd("SQRTSD", "51", d(9), d(-1), INDEF),
  sd("SQRTSD", "51", d(9), d(-0), d(-0)),
  sd("SQRTSD", "51", d(9), SNAN, SNAN | QNAN),
  sd("SQRTSD", "51", d(9), d(INF), d(INF)),
  sd("MINSD", "5d", d(1), d(2), d(1)),
  sd("MINSD", "5d", d(3), d(2), d(2)),
  sd("MINSD", "5d", QNAN, d(2), d(2)),
  sd("MINSD", "5d", d(1), SNAN, SNAN),
  sd("MINSD", "5d", d(-0), d(0), d(0)),
  sd("MINSD", "5d", d(0), d(-0), d(-0)),
  sd("MAXSD", "5f", d(1), d(2), d(2)),
  sd("MAXSD", "5f", d(3), d(2), d(3)),
  sd("MAXSD", "5f", d(1), NQNAN2, NQNAN2),
  sd("MAXSD", "5f", d(0), d(-0), d(-0)),
  { b: "f2 0f 58 00", asm: "ADDSD (AX), X0", in: { AX: DATA, X0: HI | d(1), mem: { [DATA]: bytes(d(0.5), 8) } }, out: { X0: HI | d(1.5) } },
  { b: "f2 45 0f 59 f8", asm: "MULSD X8, X15", in: { X8: d(3), X15: d(0.5) }, out: { X15: d(1.5) } },
  // REX.W means nothing to a scalar float instruction: it still decodes.
  { b: "f2 48 0f 58 c1", asm: "ADDSD X1, X0", go: false, in: { X0: d(1), X1: d(2) }, out: { X0: d(3) } },

  // ---- single arithmetic: one rounding to binary32 -----------------------------------------------
  ss("ADDSS", "58", s(1.5), s(2.25), s(3.75)),
  ss("ADDSS", "58", s(0.1), s(0.2), s(Math.fround(0.1) + Math.fround(0.2))),
  ss("ADDSS", "58", s(1), s(2 ** -24), s(1)), // a tie: to even
  ss("ADDSS", "58", s(1), s(2 ** -24 + 2 ** -40), s(1 + 2 ** -23)),
  ss("ADDSS", "58", s(INF), s(-INF), INDEF_S),
  ss("ADDSS", "58", SNAN_S, s(1), 0x7fc00001n),
  ss("ADDSS", "58", s(1), SNAN_S, 0x7fc00001n),
  ss("SUBSS", "5c", s(3), s(0.25), s(2.75)),
  ss("MULSS", "59", s(3e38), s(10), s(INF)),
  ss("MULSS", "59", s(2 ** -126), s(0.5), s(2 ** -127)),
  ss("MULSS", "59", s(2 ** -149), s(0.5), s(0)), // a tie below the smallest denormal: to even, zero
  ss("DIVSS", "5e", s(1), s(3), s(1 / 3)),
  ss("DIVSS", "5e", s(0), s(0), INDEF_S),
  ss("SQRTSS", "51", s(9), s(2), s(Math.SQRT2)),
  ss("SQRTSS", "51", s(9), s(-4), INDEF_S),
  ss("MINSS", "5d", s(1), s(2), s(1)),
  ss("MINSS", "5d", s(1), SNAN_S, SNAN_S),
  ss("MAXSS", "5f", s(-0), s(0), s(0)),
  ss("MAXSS", "5f", s(5), s(2), s(5)),
  { b: "f3 0f 59 00", asm: "MULSS (AX), X0", in: { AX: DATA, X0: s(3), mem: { [DATA]: bytes(s(0.5), 4) } }, out: { X0: s(1.5) } },

  // ---- compares ----------------------------------------------------------------------------------
  cmp("66 0f 2e c1", "UCOMISD X1, X0", d(1), d(2), "CF"),
  cmp("66 0f 2e c1", "UCOMISD X1, X0", d(2), d(1), ""),
  cmp("66 0f 2e c1", "UCOMISD X1, X0", d(2), d(2), "ZF"),
  cmp("66 0f 2e c1", "UCOMISD X1, X0", d(-0), d(0), "ZF"),
  cmp("66 0f 2e c1", "UCOMISD X1, X0", QNAN, d(0), "ZF PF CF"),
  cmp("66 0f 2e c1", "UCOMISD X1, X0", d(0), SNAN, "ZF PF CF"),
  cmp("66 0f 2e c1", "UCOMISD X1, X0", d(-INF), d(-1e308), "CF"),
  cmp("66 0f 2f c1", "COMISD X1, X0", d(1), d(2), "CF"),
  cmp("66 0f 2f c1", "COMISD X1, X0", QNAN, d(2), "ZF PF CF"),
  cmp("0f 2e c1", "UCOMISS X1, X0", s(1), s(1), "ZF"),
  cmp("0f 2e c1", "UCOMISS X1, X0", s(1), SNAN_S, "ZF PF CF"),
  cmp("0f 2e c1", "UCOMISS X1, X0", s(3), s(1), ""),
  cmp("0f 2f c1", "COMISS X1, X0", s(-1), s(1), "CF"),
  { b: "66 0f 2e 00", asm: "UCOMISD (AX), X0", in: { AX: DATA, X0: d(1), mem: { [DATA]: bytes(d(1), 8) } }, out: { flags: "ZF" } },
  { b: "f2 0f c2 c1 01", asm: "CMPSD X1, X0, $0x1", in: { X0: HI | d(1), X1: d(2) }, out: { X0: HI | 0xffffffffffffffffn } },
  { b: "f2 0f c2 c1 01", asm: "CMPSD X1, X0, $0x1", in: { X0: HI | QNAN, X1: d(2) }, out: { X0: HI } },
  { b: "f2 0f c2 c1 00", asm: "CMPSD X1, X0, $0x0", in: { X0: d(-0), X1: d(0) }, out: { X0: 0xffffffffffffffffn } },
  { b: "f2 0f c2 c1 02", asm: "CMPSD X1, X0, $0x2", in: { X0: d(2), X1: d(2) }, out: { X0: 0xffffffffffffffffn } },
  { b: "f2 0f c2 c1 03", asm: "CMPSD X1, X0, $0x3", in: { X0: d(2), X1: SNAN }, out: { X0: 0xffffffffffffffffn } },
  { b: "f2 0f c2 c1 04", asm: "CMPSD X1, X0, $0x4", in: { X0: QNAN, X1: QNAN }, out: { X0: 0xffffffffffffffffn } },
  { b: "f2 0f c2 c1 05", asm: "CMPSD X1, X0, $0x5", in: { X0: d(1), X1: QNAN }, out: { X0: 0xffffffffffffffffn } },
  { b: "f2 0f c2 c1 06", asm: "CMPSD X1, X0, $0x6", in: { X0: d(1), X1: d(2) }, out: { X0: 0n } },
  { b: "f2 0f c2 c1 07", asm: "CMPSD X1, X0, $0x7", in: { X0: d(1), X1: d(INF) }, out: { X0: 0xffffffffffffffffn } },
  { b: "f2 0f c2 00 01", asm: "CMPSD (AX), X0, $0x1", in: { AX: DATA, X0: d(3), mem: { [DATA]: bytes(d(2), 8) } }, out: { X0: 0n } },
  // Bits 7:3 of the predicate are ignored (QEMU raises #UD: unicorn sends CMPSD to the interpreter, on its XMM registers).
  { b: "f2 0f c2 c1 48", asm: "CMPSD X1, X0, $0x48", in: { X0: HI | d(2), X1: d(2) }, out: { X0: HI | 0xffffffffffffffffn } },
  { b: "f3 0f c2 c1 01", asm: "CMPSS X1, X0, $0x1", in: { X0: HI96 | s(1), X1: s(2) }, out: { X0: HI96 | 0xffffffffn } },

  // ---- conversions -------------------------------------------------------------------------------
  { b: "f2 48 0f 2a c8", asm: "CVTSQ2SD AX, X1", in: { AX: -1n, X1: HI }, out: { X1: HI | d(-1) } },
  { b: "f2 48 0f 2a c8", asm: "CVTSQ2SD AX, X1", in: { AX: 2n ** 53n + 1n }, out: { X1: d(2 ** 53) } },
  { b: "f2 48 0f 2a c8", asm: "CVTSQ2SD AX, X1", in: { AX: 2n ** 53n + 3n }, out: { X1: d(2 ** 53 + 4) } },
  { b: "f2 48 0f 2a c8", asm: "CVTSQ2SD AX, X1", in: { AX: 0x7fffffffffffffffn }, out: { X1: d(2 ** 63) } },
  { b: "f2 48 0f 2a c8", asm: "CVTSQ2SD AX, X1", in: { AX: MIN64 }, out: { X1: d(-(2 ** 63)) } },
  { b: "f2 0f 2a c8", asm: "CVTSL2SD AX, X1", in: { AX: 0x1ffffffffn }, out: { X1: d(-1) } },
  { b: "f2 0f 2a 08", asm: "CVTSL2SD (AX), X1", in: { AX: DATA, mem: { [DATA]: "00 00 00 80" } }, out: { X1: d(-(2 ** 31)) } },
  // 2^60 + 2^36 + 1 is just above a binary32 tie: a double rounding (to 2^60 + 2^36, then to even) would give 2^60.
  { b: "f3 49 0f 2a c8", asm: "CVTSQ2SS R8, X1", in: { R8: 2n ** 60n + 2n ** 36n + 1n, X1: HI96 }, out: { X1: HI96 | s(2 ** 60 + 2 ** 37) } },
  { b: "f3 49 0f 2a c8", asm: "CVTSQ2SS R8, X1", in: { R8: -(2n ** 60n + 2n ** 36n + 1n) }, out: { X1: s(-(2 ** 60 + 2 ** 37)) } },
  { b: "f3 49 0f 2a c8", asm: "CVTSQ2SS R8, X1", in: { R8: 2n ** 60n + 2n ** 36n }, out: { X1: s(2 ** 60) } },
  { b: "f3 49 0f 2a c8", asm: "CVTSQ2SS R8, X1", in: { R8: 0x7fffffffffffffffn }, out: { X1: s(2 ** 63) } },
  { b: "f3 49 0f 2a c8", asm: "CVTSQ2SS R8, X1", in: { R8: MIN64 }, out: { X1: s(-(2 ** 63)) } },
  { b: "f3 49 0f 2a c8", asm: "CVTSQ2SS R8, X1", in: { R8: 16777217n }, out: { X1: s(16777216) } },
  { b: "f3 0f 2a c8", asm: "CVTSL2SS AX, X1", in: { AX: 16777219n }, out: { X1: s(16777220) } },
  { b: "f2 48 0f 2c c0", asm: "CVTTSD2SQ X0, AX", in: { X0: d(2.9) }, out: { AX: 2n } },
  { b: "f2 48 0f 2c c0", asm: "CVTTSD2SQ X0, AX", in: { X0: d(-2.9) }, out: { AX: -2n } },
  { b: "f2 48 0f 2c c0", asm: "CVTTSD2SQ X0, AX", in: { X0: d(-(2 ** 63)) }, out: { AX: MIN64 } },
  { b: "f2 48 0f 2c c0", asm: "CVTTSD2SQ X0, AX", in: { X0: d(2 ** 63) }, out: { AX: MIN64 } },
  { b: "f2 48 0f 2c c0", asm: "CVTTSD2SQ X0, AX", in: { X0: d(2 ** 62 + 1024) }, out: { AX: 2n ** 62n + 1024n } },
  { b: "f2 48 0f 2c c0", asm: "CVTTSD2SQ X0, AX", in: { X0: d(-1e300) }, out: { AX: MIN64 } },
  { b: "f2 48 0f 2c c0", asm: "CVTTSD2SQ X0, AX", in: { X0: QNAN }, out: { AX: MIN64 } },
  { b: "f2 48 0f 2c c0", asm: "CVTTSD2SQ X0, AX", in: { X0: d(-0.5) }, out: { AX: 0n } },
  { b: "f2 0f 2c c0", asm: "CVTTSD2SL X0, AX", in: { X0: d(3e9), AX: -1n }, out: { AX: 0x80000000n } },
  { b: "f2 0f 2c c0", asm: "CVTTSD2SL X0, AX", in: { X0: d(-1.5), AX: -1n }, out: { AX: 0xffffffffn } },
  { b: "f2 0f 2c c0", asm: "CVTTSD2SL X0, AX", in: { X0: d(-2147483648.9) }, out: { AX: 0x80000000n } },
  { b: "f2 0f 2c c0", asm: "CVTTSD2SL X0, AX", in: { X0: d(2147483647.9) }, out: { AX: 0x7fffffffn } },
  { b: "f2 4c 0f 2c 38", asm: "CVTTSD2SQ (AX), R15", in: { AX: DATA, mem: { [DATA]: bytes(d(-7.75), 8) } }, out: { R15: -7n } },
  { b: "f3 48 0f 2c c0", asm: "CVTTSS2SQ X0, AX", in: { X0: s(-1e10) }, out: { AX: -10000000000n } },
  { b: "f3 48 0f 2c c0", asm: "CVTTSS2SQ X0, AX", in: { X0: s(1e19) }, out: { AX: MIN64 } },
  { b: "f3 0f 2c c0", asm: "CVTTSS2SL X0, AX", in: { X0: SNAN_S }, out: { AX: 0x80000000n } },
  { b: "f3 0f 2c c0", asm: "CVTTSS2SL X0, AX", in: { X0: s(-3.99) }, out: { AX: 0xfffffffdn } },
  { b: "f2 0f 5a c1", asm: "CVTSD2SS X1, X0", in: { X0: HI96, X1: d(0.1) }, out: { X0: HI96 | s(0.1) } },
  { b: "f2 0f 5a c1", asm: "CVTSD2SS X1, X0", in: { X1: d(1e300) }, out: { X0: s(INF) } },
  { b: "f2 0f 5a c1", asm: "CVTSD2SS X1, X0", in: { X1: d(-1e-50) }, out: { X0: s(-0) } },
  { b: "f2 0f 5a c1", asm: "CVTSD2SS X1, X0", in: { X1: d(2 ** -140 * 1.25) }, out: { X0: s(2 ** -140 * 1.25) } },
  { b: "f2 0f 5a c1", asm: "CVTSD2SS X1, X0", in: { X1: 0x7ff0000020000000n }, out: { X0: 0x7fc00001n } },
  { b: "f2 0f 5a c1", asm: "CVTSD2SS X1, X0", in: { X1: 0xfff8123400000000n }, out: { X0: 0xffc091a0n } },
  { b: "f3 0f 5a c1", asm: "CVTSS2SD X1, X0", in: { X0: HI, X1: s(0.1) }, out: { X0: HI | d(Math.fround(0.1)) } },
  { b: "f3 0f 5a c1", asm: "CVTSS2SD X1, X0", in: { X1: s(2 ** -149) }, out: { X0: d(2 ** -149) } },
  { b: "f3 0f 5a c1", asm: "CVTSS2SD X1, X0", in: { X1: SNAN_S }, out: { X0: 0x7ff8000020000000n } },
  { b: "f3 0f 5a c1", asm: "CVTSS2SD X1, X0", in: { X1: 0xffc00005n }, out: { X0: 0xfff80000a0000000n } },

  // ---- 128-bit bitwise ---------------------------------------------------------------------------
  { b: "66 0f 54 c1", asm: "ANDPD X1, X0", in: { X0: (0xf0n << 64n) | 0x7fffffffffffffffn, X1: (0x3cn << 64n) | d(-2.5) }, out: { X0: (0x30n << 64n) | d(2.5) } },
  { b: "66 0f 55 c1", asm: "ANDNPD X1, X0", in: { X0: (0xf0n << 64n) | MIN64, X1: (0x3cn << 64n) | d(-2.5) }, out: { X0: (0x0cn << 64n) | d(2.5) } },
  { b: "66 0f 56 c1", asm: "ORPD X1, X0", in: { X0: (0xf0n << 64n) | MIN64, X1: (0x0fn << 64n) | d(2.5) }, out: { X0: (0xffn << 64n) | d(-2.5) } },
  { b: "66 0f 57 c1", asm: "XORPD X1, X0", in: { X0: (0xf0n << 64n) | MIN64, X1: (0xffn << 64n) | d(2.5) }, out: { X0: (0x0fn << 64n) | d(-2.5) } },
  { b: "0f 54 c1", asm: "ANDPS X1, X0", in: { X0: -1n, X1: 0x12345n << 70n }, out: { X0: 0x12345n << 70n } },
  { b: "0f 55 c1", asm: "ANDNPS X1, X0", in: { X0: 0xffn, X1: 0x1ffn }, out: { X0: 0x100n } },
  { b: "0f 56 c1", asm: "ORPS X1, X0", in: { X0: 1n << 127n, X1: 1n }, out: { X0: (1n << 127n) | 1n } },
  { b: "66 0f 54 00", asm: "ANDPD (AX), X0", in: { AX: DATA, X0: -1n, mem: { [DATA]: "01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10" } }, out: { X0: 0x100f0e0d0c0b0a090807060504030201n } },

  // ---- bit scan ------------------------------------------------------------------------------------
  { b: "48 0f bc c3", asm: "BSFQ BX, AX", in: { BX: 0x100n, AX: -1n }, out: { AX: 8n, flags: "" }, undef: UNDEF_SCAN },
  { b: "48 0f bc c3", asm: "BSFQ BX, AX", in: { BX: MIN64 }, out: { AX: 63n, flags: "" }, undef: UNDEF_SCAN },
  { b: "48 0f bc c3", asm: "BSFQ BX, AX", in: { BX: 0n, AX: 0x1234n }, out: { AX: 0x1234n, flags: "ZF" }, undef: UNDEF_SCAN },
  { b: "48 0f bd c3", asm: "BSRQ BX, AX", in: { BX: 0x100n }, out: { AX: 8n, flags: "" }, undef: UNDEF_SCAN },
  { b: "48 0f bd c3", asm: "BSRQ BX, AX", in: { BX: MIN64 | 1n }, out: { AX: 63n, flags: "" }, undef: UNDEF_SCAN },
  { b: "48 0f bd c3", asm: "BSRQ BX, AX", in: { BX: 1n }, out: { AX: 0n, flags: "" }, undef: UNDEF_SCAN },
  { b: "48 0f bd c3", asm: "BSRQ BX, AX", in: { BX: 0x100000000n }, out: { AX: 32n, flags: "" }, undef: UNDEF_SCAN },
  { b: "48 0f bd 03", asm: "BSRQ (BX), AX", in: { BX: DATA, AX: 5n, mem: { [DATA]: "00 00 00 00 00 00 00 00" } }, out: { AX: 5n, flags: "ZF" }, undef: UNDEF_SCAN },
  { b: "0f bc c3", asm: "BSFL BX, AX", in: { BX: 0x80000n, AX: -1n }, out: { AX: 19n, flags: "" }, undef: UNDEF_SCAN },
  { b: "66 0f bc c3", asm: "BSFW BX, AX", in: { BX: 0x18000n, AX: -1n }, out: { AX: (-1n & ~0xffffn) | 15n, flags: "" }, undef: UNDEF_SCAN },
  { b: "0f bd c3", asm: "BSRL BX, AX", in: { BX: 0x1_00000001n, AX: -1n }, out: { AX: 0n, flags: "" }, undef: UNDEF_SCAN },
  // The SDM leaves the destination undefined for a zero source: the value stays, and the 32-bit write zero-extends (QEMU).
  { b: "0f bd c3", asm: "BSRL BX, AX", in: { BX: 0x1_00000000n, AX: -1n }, out: { AX: 0xffffffffn, flags: "ZF" }, undef: UNDEF_SCAN },
  { b: "66 0f bd c3", asm: "BSRW BX, AX", in: { BX: 0x8001n, AX: -1n }, out: { AX: (-1n & ~0xffffn) | 15n, flags: "" }, undef: UNDEF_SCAN },
];
