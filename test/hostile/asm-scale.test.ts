// Issue 10, bounded input: many of one thing. Each input below was
// quadratic, or overflowed the call stack (a spread of a huge array into a
// call), or allocated without bound, somewhere between the preprocessor and
// the listing; each now costs linear work, or meets a stated bound with a
// located error. The time asserted is a guard against quadratic growth (each
// input takes well under a second), not a measure of speed.
import { describe, expect, it } from "vitest";
import { assembleString } from "../../src/asm/assemble.ts";
import { buildImage, MemorySource } from "../../src/asm/index.ts";
import { listing } from "../../src/cli/asm.ts";

const N = 50_000;
const lines = (n: number, f: (i: number) => string): string => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(f(i));
  return out.join("\n");
};

/** Assembles, links and lists `src`; returns the errors and the milliseconds it took. */
function run(src: string): { errors: string[]; ms: number; listed: number } {
  const t = performance.now();
  const source = new MemorySource({ "/x.s": src });
  try {
    const b = buildImage(["/x.s"], { source });
    const listed = listing(b.image).length;
    return { errors: [], ms: performance.now() - t, listed };
  } catch (e) {
    const errors = (e as { errors?: { format(): string }[] }).errors?.map((x) => x.format());
    if (!errors) throw e;
    return { errors, ms: performance.now() - t, listed: 0 };
  }
}

const BOUND_MS = 20_000;

describe("many of one thing", () => {
  it(`${N} nested #ifdefs around ${N} instructions`, () => {
    const r = run(`TEXT ·f(SB), 4, $0\n${lines(N, () => "#ifdef GOOS_linux")}\n${lines(N, () => "\tNOP")}\n${lines(N, () => "#endif")}\n\tRET\n`);
    expect(r.errors).toEqual([]);
    expect(r.ms).toBeLessThan(BOUND_MS);
    // And a false one skips them all.
    const s = assembleString(`TEXT ·f(SB), 4, $0\n#ifdef NOPE\n${lines(N, () => "#ifdef GOOS_linux")}\n${lines(N, () => "\tFROB")}\n${lines(N, () => "#endif")}\n#endif\n\tRET\n`, "skip.s");
    expect(s.errors).toEqual([]);
    expect(s.obj.syms[0]!.size).toBe(1);
  });

  it("a #define with 20,000 parameters and a body of 20,000 of them", () => {
    const K = 20_000; // a directive line holds at most 100,000 tokens
    const params = lines(K, (i) => `p${i}`).replaceAll("\n", ",");
    const body = lines(K, (i) => `p${(i * 7) % K}`).replaceAll("\n", "+");
    const r = run(`#define F(${params}) ${body}\nTEXT ·f(SB), 4, $0\n\tMOVQ $F(${lines(K, () => "1").replaceAll("\n", ",")}), AX\n\tRET\n`);
    expect(r.errors).toEqual([]);
    expect(r.ms).toBeLessThan(BOUND_MS);
  });

  it(`${N} n(PC) branches to one instruction`, () => {
    const r = run(`TEXT ·f(SB), 4, $0\n${lines(N, (i) => `\tJMP ${N - i}(PC)`)}\n\tRET\n`);
    expect(r.errors).toEqual([]);
    expect(r.ms).toBeLessThan(BOUND_MS);
  });

  it(`${N} CALLs to symbols no file defines (the linker's line lookup)`, () => {
    const r = run(`TEXT ·f(SB), $0\n${lines(N, (i) => `\tCALL ·g${i % 100}(SB)`)}\n\tRET\n`);
    expect(r.errors).toEqual([]);
    expect(r.ms).toBeLessThan(BOUND_MS);
  });

  // A call takes about 125,000 spread arguments on V8's default stack: these are over it.
  const M = 150_000;

  // Three tests, not one: each is seconds of synchronous work, and vitest's
  // worker answers its RPC between tests (test/setup.ts).
  it(`${M} labels on one PCDATA: no spread into a call`, () => {
    const labels = run(`TEXT ·f(SB), 4, $0\n${lines(M, (i) => `l${i}:`)}\n\tPCDATA $0, $1\n\tRET\n`);
    expect(labels.errors).toEqual([]);
    expect(labels.ms).toBeLessThan(BOUND_MS);
  });

  it(`${M} data symbols: no spread into a call`, () => {
    const data = run(lines(M, (i) => `GLOBL ·d${i}(SB), 8, $8`) + "\n");
    expect(data.errors).toEqual([]);
    expect(data.ms).toBeLessThan(BOUND_MS);
  });

  it(`a listing of ${M} rows: no spread into a call`, () => {
    const rows = run(`TEXT ·f(SB), 4, $0\n${lines(M, () => "\tBYTE $0x90")}\n\tRET\n`);
    expect(rows.errors).toEqual([]);
    expect(rows.listed).toBeGreaterThan(M * 30);
    expect(rows.ms).toBeLessThan(BOUND_MS);
  });

  it("a 200 MB data symbol with 27 bytes of DATA lists in three rows (found by the fuzzer, seed 8)", () => {
    const r = run('DATA ·s+0(SB)/8, $"sending "\nDATA ·s+8(SB)/8, $"on a clo"\nDATA ·s+16(SB)/8, $"sed chan"\nDATA ·s+24(SB)/3, $"nel"\nGLOBL ·s(SB), 8, $200000000\n');
    expect(r.errors).toEqual([]);
    expect(r.listed).toBeLessThan(400);
    expect(r.ms).toBeLessThan(BOUND_MS);
  });

  it("data symbols are bounded in all (the linker gives each byte)", () => {
    const r = run(lines(10, (i) => `GLOBL ·big${i}(SB), 8, $0x3fffffff`) + "\n");
    expect(r.errors).toEqual(["/x.s:1:1: GLOBL main.big0: the data of this assembly exceeds 256 MiB (1073741823 bytes here)",
      ...lines(9, (i) => `/x.s:${i + 2}:1: GLOBL main.big${i + 1}: the data of this assembly exceeds 256 MiB (1073741823 bytes here)`).split("\n")]);
    expect(r.ms).toBeLessThan(BOUND_MS);
  });
});
