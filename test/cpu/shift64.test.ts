// The 64-bit shift-by-immediate fast paths (src/cpu/shift.ts
// shift64riHandler: one closure per operation and count range, the flags
// lazy) against the generic eager handler, which the same shift of a memory
// operand takes: for every count 0..63 (and counts that wrap mod 64) and
// operands with the bits around 32 and 63 set, the result and the whole
// materialized RFLAGS agree.
import { describe, it, expect } from "vitest";
import { InterpEngine } from "../../src/engine/interp.ts";
import { PROT_ALL, PROT_READ, PROT_WRITE, REG_RFLAGS, REG_RIP } from "../../src/engine/engine.ts";
import { RAX } from "../../src/x86/regs.ts";

const CODE = 0x10000, DATA = 0x40000;
const KINDS = [["shl", 4], ["shr", 5], ["sar", 7]] as const;
const VALUES = [0x8000000180000001n, 0x7fffffffffffffffn, 0xffffffff00000000n, 0x00000000ffffffffn, 0x123456789abcdef0n, 1n, 0n];

const e = new InterpEngine();
e.map(CODE, 0x1000, PROT_ALL);
e.map(DATA, 0x1000, PROT_READ | PROT_WRITE);

function run(code: number[], rax: bigint, mem: bigint, flags: bigint): { rax: bigint; mem: bigint; rflags: bigint } {
  e.write(CODE, Uint8Array.from([...code, 0xcc])); // drops the decoding of the previous code
  e.writeU64(DATA, mem);
  e.setReg(RAX, rax);
  e.setReg(REG_RFLAGS, flags);
  e.setReg(REG_RIP, BigInt(CODE));
  expect(e.run(10).kind).toBe("breakpoint");
  return { rax: e.getReg(RAX), mem: e.readU64(DATA), rflags: e.getReg(REG_RFLAGS) };
}

describe("64-bit shifts by an immediate: the fast path agrees with the generic handler", () => {
  for (const [name, ext] of KINDS) {
    it(`${name}q $n, AX for n = 0..63 and 64, 65, 127, 255`, () => {
      const counts = [...Array.from({ length: 64 }, (_, n) => n), 64, 65, 127, 255];
      for (const n of counts) {
        for (const v of VALUES) {
          for (const flags of [0x202n, 0x202n | 0x8d5n]) { // all arithmetic flags clear, then set (n = 0 keeps them)
            const reg = run([0x48, 0xc1, 0xc0 | (ext << 3), n], v, 0n, flags); // SHxQ $n, AX
            const mem = run([0x48, 0xc1, 0x04 | (ext << 3), 0x25, ...le32(DATA), n], 0n, v, flags); // SHxQ $n, DATA
            const what = `${name} ${v.toString(16)} by ${n}`;
            expect(reg.rax, what).toBe(mem.mem);
            expect(reg.rflags.toString(16), what).toBe(mem.rflags.toString(16));
          }
        }
      }
    });
  }
});

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
