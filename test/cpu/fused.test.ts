// Fused blocks (src/cpu/exec.ts): a block that ran whole HOT times runs as
// one generated function. Whatever it does must be exactly what the
// instruction-at-a-time loop does: the same registers, memory, instruction
// count, RIP and stop — through a fault in the middle of the block, a
// store that rewrites the block's own next instruction, and budgets that
// end inside it. The reference is the same engine stepped (step() never
// runs a fused block).
import { describe, it, expect } from "vitest";
import { InterpEngine } from "../../src/engine/interp.ts";
import { PROT_ALL, PROT_READ, PROT_WRITE, REG_IDS, REG_RFLAGS, REG_RIP, type Engine, type Stop } from "../../src/engine/engine.ts";
import { RAX, RBX, RCX, RDX, RSI } from "../../src/x86/regs.ts";

const CODE = 0x10000, DATA = 0x40000;

function machine(code: number[], regs: [number, bigint][]): InterpEngine {
  const e = new InterpEngine();
  e.map(CODE, 0x15000, PROT_ALL); // writable: the tests rewrite their own code
  e.map(DATA, 0x1000, PROT_READ | PROT_WRITE);
  e.write(CODE, Uint8Array.from(code));
  for (const [r, v] of regs) e.setReg(REG_IDS[r]!, v);
  e.setReg(REG_RFLAGS, 0x202n);
  e.setReg(REG_RIP, BigInt(CODE));
  return e;
}

function state(e: Engine, s: Stop): string {
  const regs = REG_IDS.map((r) => e.getReg(r).toString(16)).join(" ");
  return `${JSON.stringify(s, (_k, v) => (typeof v === "bigint" ? v.toString(16) : v instanceof Uint8Array ? [...v] : v))} icount=${e.icount} ${regs} data=${Buffer.from(e.read(DATA, 64)).toString("hex")} code=${Buffer.from(e.read(CODE, 64)).toString("hex")}`;
}

/** Runs with a budget (fusing hot blocks) and, on a second machine, one step at a time; both end alike. */
function agree(code: number[], regs: [number, bigint][], budget: number): string {
  const a = machine(code, regs), b = machine(code, regs);
  let sa: Stop;
  for (;;) {
    sa = a.run(budget);
    if (sa.kind !== "count" || a.icount >= 10_000) break;
  }
  let sb: Stop = { kind: "count" };
  // Step to a's count; when a stopped, one step more must stop the same way.
  while (b.icount < a.icount && (sb = b.step()).kind === "count");
  if (sa.kind !== "count" && sb.kind === "count") sb = b.step();
  if (sa.kind !== "count") expect(sb).toEqual(sa);
  const got = state(a, sa);
  expect(got).toBe(state(b, sa.kind === "count" ? sa : sb));
  return got;
}

// loop: ADDQ $1, AX; MOVQ (BX)(AX*8), SI; ADDQ SI, DX; ... ; DECQ CX; JNE loop
const LOOP_THEN_FAULT = [
  0x48, 0x83, 0xc0, 0x01, //       ADDQ $1, AX
  0x48, 0x8b, 0x34, 0xc3, //       MOVQ (BX)(AX*8), SI — leaves DATA's page after 511 iterations
  0x48, 0x01, 0xf2, //             ADDQ SI, DX
  0x48, 0x31, 0xd7, //             XORQ DX, DI
  0x48, 0xff, 0xc9, //             DECQ CX
  0x75, 0xed, //                   JNE loop
  0xcc,
];

// loop: MOVB CL, 3(IP) (the immediate of the next instruction); ADDQ $0, AX; DECQ CX; JNE loop
const SELF_MODIFYING = [
  0x88, 0x0d, 0x03, 0x00, 0x00, 0x00, // MOVB CL, 0x3(IP) → CODE+9, the ADDQ's immediate
  0x48, 0x83, 0xc0, 0x00, //            ADDQ $0, AX (the immediate rewritten every iteration)
  0x48, 0xff, 0xc9, //                  DECQ CX
  0x75, 0xf1, //                        JNE loop
  0xcc,
];

// loop: MOVQ CX, SI; SHLQ $12, SI; MOVB CL, (R8)(SI*1); ADDQ $0, AX; DECQ CX; JNE loop
// With R8 = CODE+14-0x1000, the store lands a page further each iteration
// (data pages) until the last, CX = 1, where it rewrites ADDQ's immediate
// (CODE+14) to 1: long after the block was fused.
const LATE_REWRITE = [
  0x48, 0x89, 0xce, //             MOVQ CX, SI
  0x48, 0xc1, 0xe6, 0x0c, //       SHLQ $12, SI
  0x41, 0x88, 0x0c, 0x30, //       MOVB CL, (R8)(SI*1)
  0x48, 0x83, 0xc0, 0x00, //       ADDQ $0, AX
  0x48, 0xff, 0xc9, //             DECQ CX
  0x75, 0xec, //                   JNE loop
  0xcc,
];

// loop: RDTSC; ADDQ AX, SI; DECQ CX; JNE loop — a block that loops on
// itself runs pass after pass inside its fused function; the TSC each pass
// reads is the instruction count, which must be exact at every pass.
const TSC_LOOP = [
  0x0f, 0x31, //       RDTSC
  0x48, 0x01, 0xc6, // ADDQ AX, SI
  0x48, 0xff, 0xc9, // DECQ CX
  0x75, 0xf6, //       JNE loop
  0xcc,
];

describe("fused blocks do what the loop does", () => {
  it("a block looping on itself reads an exact TSC in every pass, with any budget", () => {
    for (const budget of [1_000_000, 3, 4, 37, 100]) {
      const out = agree(TSC_LOOP, [[RCX, 200n], [RSI, 0n]], budget);
      expect(out).toContain("breakpoint");
    }
    // SI = the sum of the counts before each RDTSC: 4p for pass p = 0..199.
    const e = machine(TSC_LOOP, [[RCX, 200n], [RSI, 0n]]);
    expect(e.run(1_000_000).kind).toBe("breakpoint");
    expect(e.getReg(RSI)).toBe(BigInt(4 * ((199 * 200) / 2)));
  });


  it("a fused block whose store rewrites its next instruction stops there and runs the new bytes", () => {
    const regs: [number, bigint][] = [[RAX, 0n], [RCX, 20n], [8, BigInt(CODE + 14 - 0x1000)]];
    const e = machine(LATE_REWRITE, regs);
    expect(e.run(1_000_000).kind).toBe("breakpoint");
    expect(e.getReg(RAX)).toBe(1n); // the last iteration added the rewritten immediate
    expect(e.icount).toBe(20 * 6 + 1);
    agree(LATE_REWRITE, regs, 1_000_000);
  });

  it("a fault in the middle of a hot block: the same RIP, count and state as stepping", () => {
    const out = agree(LOOP_THEN_FAULT, [[RAX, 0n], [RBX, BigInt(DATA)], [RCX, 1000n], [RDX, 0n]], 1_000_000);
    expect(out).toContain(`"type":"page"`);
    expect(out).toContain(`"addr":"${(DATA + 0x1000).toString(16)}"`);
  });

  it("a hot block that rewrites its own next instruction runs the new bytes every time", () => {
    const out = agree(SELF_MODIFYING, [[RAX, 0n], [RCX, 100n]], 1_000_000);
    // AX = the sum of the immediates written: CL's low byte, 100 down to 1.
    const e = machine(SELF_MODIFYING, [[RAX, 0n], [RCX, 100n]]);
    expect(e.run(1_000_000).kind).toBe("breakpoint");
    expect(e.getReg(RAX)).toBe(BigInt((100 * 101) / 2));
    expect(out).toContain("breakpoint");
  });

  it("budgets that end inside a hot block, and the run that fuses it, change nothing", () => {
    for (const budget of [1, 2, 3, 5, 6, 7, 13, 50]) {
      agree(LOOP_THEN_FAULT, [[RAX, 0n], [RBX, BigInt(DATA)], [RCX, 40n], [RDX, 0n]], budget);
      agree(SELF_MODIFYING, [[RAX, 0n], [RCX, 60n]], budget);
    }
  });

  it("a hot block is fused (so the tests above ran fused code)", () => {
    const e = machine(LOOP_THEN_FAULT, [[RAX, 0n], [RBX, BigInt(DATA)], [RCX, 50n], [RDX, 0n]]);
    expect(e.run(1_000_000).kind).toBe("breakpoint");
    const blocks = (e.interp as unknown as { blocks: Map<number, { fn: unknown }> }).blocks;
    expect(blocks.get(CODE)?.fn).toBeTypeOf("function");
  });
});
