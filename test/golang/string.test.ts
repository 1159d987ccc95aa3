// String instructions in compiled Go code (src/cpu/string.ts): a program
// whose large copies and clears the compiler writes as REP; MOVSQ and REP;
// STOSQ, and whose copy() reaches memmove's REP; MOVSQ, prints what Go 1.19
// prints on both engines, and the two engines agree instruction by
// instruction (verify). The test first checks, with our decoder, that the
// compiled code really holds those instructions, so it cannot pass by the
// compiler having chosen other code.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bufSource, decode } from "../../src/cpu/decode.ts";
import { engineAvailable } from "../../src/engine/index.ts";
import { verifyProgram } from "../../src/cli/verify.ts";
import { built, loadGoProgram, runProgram } from "../../src/node/boot.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";

const haveGo = oracleAvailable("go (compiling test/golang/testdata/*.go)", findGo() !== null);
const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));
const BIG = join(import.meta.dirname, "testdata/bigcopy.go");

let want: { code: number; stderr: string } | undefined;
/** The same binary run natively with GOMAXPROCS=1 (it prints with println: stderr). */
function realGo(): { code: number; stderr: string } {
  if (want) return want;
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-string-"));
  try {
    const bin = join(dir, "bigcopy");
    writeFileSync(bin, built([BIG]).binary, { mode: 0o755 });
    const r = spawnSync(bin, [], { env: { GOMAXPROCS: "1" }, encoding: "utf8" });
    want = { code: r.status ?? -1, stderr: r.stderr };
    return want;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ours(engine: string): { code: number; stderr: string } {
  const err: Uint8Array[] = [];
  const r = runProgram([BIG], { procs: 1, seed: 1, engine, stderr: (b) => err.push(b.slice()) });
  return { code: r.code, stderr: Buffer.concat(err).toString() };
}

describe.skipIf(!haveGo)("REP; MOVSQ and REP; STOSQ in compiled Go", () => {
  it("the compiled program holds them (main's code and memmove)", () => {
    const lp = loadGoProgram([BIG]);
    const seen = new Set<string>();
    for (const f of lp.pcln.funcs) {
      if (!f.name.startsWith("main.") && f.name !== "runtime.memmove") continue;
      const sym = lp.image.symAt(f.entry)!;
      for (let pc = f.entry; pc < f.end;) {
        const i = decode(bufSource(sym.bytes, pc - sym.addr, pc), pc);
        if (i.rep !== 0) seen.add(`${f.name.startsWith("main.") ? "main" : f.name}: ${i.op}/${i.size}`);
        pc = i.next;
      }
    }
    expect([...seen].sort()).toEqual(expect.arrayContaining(["main: movs/8", "main: stos/8", "runtime.memmove: movs/8"]));
  });

  it("prints what Go 1.19 prints, on the interpreter", () => {
    expect(ours("interp")).toEqual(realGo());
  });

  it.skipIf(!haveUnicorn)("prints what Go 1.19 prints, on unicorn", () => {
    expect(ours("unicorn")).toEqual(realGo());
  });

  it.skipIf(!haveUnicorn)("verify: the engines agree at every instruction, REP elements included", () => {
    let report = "";
    const status = verifyProgram(BIG, { maxSteps: Number.MAX_SAFE_INTEGER, procs: 1, seed: 1, quiet: true }, (s) => (report += s));
    expect(report).toMatch(/^verified \d+ instructions: 0 divergences/);
    expect(status).toBe(0);
  });
});

it.skipIf(haveGo)("compiled Go's string instructions need Go 1.19 (skipped: not installed)", () => {});
