// Floating point in compiled Go (src/cpu/float.ts): programs/floats.go, whose
// output twins.test.ts compares with Go 1.19's on both engines, really is
// made of the SSE scalar instructions (checked with our decoder, so the
// test cannot pass by the compiler having chosen other code), and the two
// engines agree on it instruction by instruction, XMM registers included
// (verify). A sabotaged ADDSD in the interpreter must show as a divergence
// in an XMM register: the proof that verify compares them after a scalar
// float instruction.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bufSource, decode, setResolver, type Handler, type Insn } from "../../src/cpu/decode.ts";
import { engineAvailable } from "../../src/engine/index.ts";
import { verifyProgram } from "../../src/cli/verify.ts";
import { loadGoProgram } from "../../src/node/boot.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";

const haveGo = oracleAvailable("go (compiling programs/floats.go)", findGo() !== null);
const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));
const FLOATS = join(import.meta.dirname, "../../programs/floats.go");

/** The first instructions verified: println's and fmt's first lines, the conversions and the compares. */
const STEPS = 100_000;

describe.skipIf(!haveGo)("SSE scalar floating point in compiled Go", () => {
  it("the compiled program holds the scalar float instructions (main, math, strconv)", () => {
    const lp = loadGoProgram([FLOATS]);
    const seen = new Set<string>();
    for (const f of lp.pcln.funcs) {
      if (!/^(main|math|strconv)\./.test(f.name)) continue;
      const sym = lp.image.symAt(f.entry)!;
      for (let pc = f.entry; pc < f.end;) {
        const i = decode(bufSource(sym.bytes, pc - sym.addr, pc), pc);
        seen.add(`${i.op}/${i.size}`);
        pc = i.next;
      }
    }
    expect([...seen]).toEqual(expect.arrayContaining([
      "movsd/8", "movsd/4", "addsd/8", "subsd/8", "mulsd/8", "divsd/8", "addsd/4", "mulsd/4", "divsd/4",
      "sqrtsd/8", "ucomisd/8", "ucomisd/4", "cmpsd/8", "cvtsi2sd/8", "cvtsi2ss/8", "cvttsd2si/8",
      "cvtsd2ss/8", "cvtss2sd/4", "andps/16", "andnps/16", "orps/16", "xorps/16", "bsf/8", "bsr/8",
    ]));
  });

  it.skipIf(!haveUnicorn)(`verify: the engines agree at each of the first ${STEPS} instructions, XMM registers included`, () => {
    let report = "";
    const status = verifyProgram(FLOATS, { maxSteps: STEPS, procs: 1, seed: 1, quiet: true }, (s) => (report += s));
    expect(report).toMatch(/^verified \d+ instructions: 0 divergences/);
    expect(status).toBe(0);
  });

  it.skipIf(!haveUnicorn)("verify finds an interpreter whose ADDSD is wrong, in the XMM register it wrote", () => {
    // ADDSD that also flips the lowest bit of the result: off by one ulp.
    let right: ((i: Insn) => Handler) | null = null;
    const sabotage = (i: Insn): Handler => {
      const h = right!(i);
      if (i.op !== "addsd" || i.size !== 8) return h;
      return (c, ins) => { h(c, ins); c.x[4 * ins.dn] = c.x[4 * ins.dn]! ^ 1; };
    };
    right = setResolver(sabotage);
    let report = "";
    let status: number;
    try {
      status = verifyProgram(FLOATS, { maxSteps: STEPS, procs: 1, seed: 1, quiet: true }, (s) => (report += s));
    } finally {
      setResolver(right);
    }
    expect(status).not.toBe(0);
    // Found at the ADDSD itself, by the XMM register it wrote.
    expect(report).toMatch(/^divergence after \d+ instructions, at 0x[0-9a-f]+\n\s+f2 0f 58 [0-9a-f]{2}\s+ADDSD X\d+, X\d+\n/);
    expect(report).toMatch(/\n\s+X\d+: interp [0-9a-f ]+, unicorn /);
  });
});

it.skipIf(haveGo)("compiled Go's floating point needs Go 1.19 (skipped: not installed)", () => {});
