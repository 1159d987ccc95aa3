// Issue 10, "RDTSC, RDTSCP and CPUID": unicorn returned the host's
// time-stamp counter (two runs with the same seed differed) and its own
// CPUID. Both engines now report the one virtual machine of
// src/cpu/virt.ts: TSC = instructions retired before the RDTSC, CPUID from
// one table.
import { describe, it, expect } from "vitest";
import { createEngine, engineAvailable, type EngineName } from "../../src/engine/index.ts";
import { PROT_READ, PROT_EXEC, PROT_WRITE, REG_RFLAGS, REG_RIP, type Engine } from "../../src/engine/engine.ts";
import { runLockstep } from "../../src/engine/lockstep.ts";
import { cpuidLeaf } from "../../src/cpu/virt.ts";
import { RAX, RBX, RCX, RDX, RSP } from "../../src/x86/regs.ts";
import { oracleAvailable } from "../helpers/oracles.ts";

const CODE = 0x400000, STACK = 0x7f0000;
const HAVE_UNICORN = oracleAvailable("libunicorn", engineAvailable("unicorn"));
const NAMES: EngineName[] = HAVE_UNICORN ? ["interp", "unicorn", "lockstep"] : ["interp"];

const RDTSC = [0x0f, 0x31], RDTSCP = [0x0f, 0x01, 0xf9], CPUID = [0x0f, 0xa2], INT3 = [0xcc];
const ADD1 = [0x48, 0x83, 0xc3, 0x01]; // ADDQ $1, BX

function machine(name: EngineName, code: number[]): Engine {
  const e = createEngine(name);
  e.map(CODE, 0x1000, PROT_READ | PROT_EXEC);
  e.map(STACK, 0x1000, PROT_READ | PROT_WRITE);
  e.write(CODE, Uint8Array.from(code));
  e.setReg(RSP, BigInt(STACK + 0x800));
  e.setReg(REG_RFLAGS, 0x202n);
  e.setReg(REG_RIP, BigInt(CODE));
  e.setReg(RAX, -1n); e.setReg(RCX, -1n); e.setReg(RDX, -1n);
  return e;
}

function tsc(e: Engine): bigint {
  return (e.getReg(RDX) << 32n) | e.getReg(RAX);
}

describe("the time-stamp counter is the instruction count, on every engine", () => {
  for (const name of NAMES) {
    it(`${name}: RDTSC after k instructions reads k, upper halves zero, the same in every run`, () => {
      for (const k of [0, 1, 3, 70]) {
        const seen: bigint[] = [];
        for (let run = 0; run < 2; run++) {
          const e = machine(name, [...Array.from({ length: k }, () => ADD1).flat(), ...RDTSC, ...INT3]);
          try {
            expect(e.run(1000).kind).toBe("breakpoint");
            expect(e.getReg(RAX)).toBe(BigInt(k)); // upper half of RAX zero
            expect(e.getReg(RDX)).toBe(0n);
            seen.push(tsc(e));
          } finally {
            e.close();
          }
        }
        expect(seen[0]).toBe(seen[1]);
      }
    });

    it(`${name}: the counter runs on across runs and budgets, and RDTSCP adds TSC_AUX = 0 in ECX`, () => {
      const e = machine(name, [...ADD1, ...ADD1, ...RDTSC, ...ADD1, ...RDTSCP, 0x48, 0x89, 0xc6, ...INT3]); // ..., MOVQ AX, SI
      try {
        expect(e.run(2).kind).toBe("count");
        expect(e.run(1).kind).toBe("count");
        expect(tsc(e)).toBe(2n);
        expect(e.run(100).kind).toBe("breakpoint");
        expect(tsc(e)).toBe(4n);
        expect(e.getReg(RCX)).toBe(0n);
        expect(e.icount).toBe(7);
      } finally {
        e.close();
      }
    });

    it(`${name}: CPUID answers from the one table for every leaf`, () => {
      for (const leaf of [0, 1, 2, 4, 7, 0xd, 0x16, 0x80000000, 0x80000001, 0x80000008, 0x40000000, 0xdeadbeef]) {
        const e = machine(name, [...CPUID, ...INT3]);
        try {
          e.setReg(RAX, BigInt(leaf) | 0xffff_ffff_0000_0000n); // the upper half is ignored
          e.setReg(RCX, 5n);
          e.setReg(RBX, -1n);
          expect(e.run(10).kind).toBe("breakpoint");
          const got = [e.getReg(RAX), e.getReg(RBX), e.getReg(RCX), e.getReg(RDX)];
          expect(got, `leaf 0x${leaf.toString(16)}`).toEqual(cpuidLeaf(leaf).map((v) => BigInt(v >>> 0)));
        } finally {
          e.close();
        }
      }
    });
  }

  it("the table: GenuineIntel, highest leaf 1, TSC CMOV SSE SSE2 and nothing the interpreter lacks", () => {
    const [max, b, c, d] = cpuidLeaf(0);
    expect(max).toBe(1);
    const s = (v: number): string => String.fromCharCode(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
    expect(s(b) + s(d) + s(c)).toBe("GenuineIntel");
    const edx = cpuidLeaf(1)[3];
    expect(edx).toBe((1 << 4) | (1 << 15) | (1 << 25) | (1 << 26));
    expect(edx & 1).toBe(0); // no x87 unit
    expect(cpuidLeaf(1)[2]).toBe(0);
  });

  it.skipIf(!HAVE_UNICORN)("lockstep compares a program that reads the TSC and CPUID without a divergence", () => {
    const code = [...ADD1, ...RDTSC, ...CPUID, 0x48, 0x31, 0xc0, 0xff, 0xc0, ...CPUID, ...ADD1, ...RDTSCP, ...INT3];
    const a = machine("interp", code), b = machine("unicorn", code);
    try {
      const r = runLockstep(a, b, { maxSteps: 100 });
      expect(r.divergence?.report).toBeUndefined();
      expect(r.stop.kind).toBe("breakpoint");
      expect(tsc(b)).toBe(7n);
    } finally {
      a.close();
      b.close();
    }
  });
});
