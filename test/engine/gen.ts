// A seeded generator of random straight-line x86-64 blocks for differential
// testing, drawn from the instruction table and assembled by our own encoder.
//
// Each block is a list of Progs (Go syntax, as the assembler would produce)
// with random operands, laid out by span.ts, followed by INT3. The rules
// keep the block well defined on any correct CPU:
//   - registers an instruction may write exclude SP (the stack must stay in
//     its mapping), R14 (the index register) and R15 (the scratch base);
//   - memory operands address the scratch page: disp(R15) or
//     disp(R15)(R14*scale) with R14 kept below 64 (LEA may use anything);
//   - no control flow except forward branches inside the block (Go's
//     assembler has no CALL to a label); no SYSCALL, INT, UD2, CPUID, RDTSC, RET, indirect jumps;
//   - DIV/IDIV come with a prologue that makes the quotient fit (the
//     dividend small, the divisor a positive register), except in blocks that
//     deliberately end with a divide by zero to compare the fault;
//   - POPFQ only right after PUSHFQ (a random popped TF would single-step);
//   - three forms where unicorn 2.0 (QEMU 5) is the one that is wrong are
//     left out, each explained where it is skipped: CMPXCHGL,
//     LOCK NEG, shifts of memory by CL.
import { FORMS, CC_NAMES, type Form, type Kind } from "../../src/x86/table.ts";
import type { Addr, MemAddr, Prog } from "../../src/asm/prog.ts";
import type { Reg } from "../../src/x86/regs.ts";
import { encodeProg } from "../../src/x86/encode.ts";
import { assembleFunction } from "../../src/x86/span.ts";

/** xoshiro128**: small, fast, and the same sequence everywhere for a seed. */
export class Rng {
  private s = new Uint32Array(4);
  constructor(seed: number) {
    let x = seed >>> 0 || 1;
    for (let i = 0; i < 4; i++) {
      // splitmix32 to spread the seed
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  u32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2] = (s[2]! ^ s[0]!) >>> 0;
    s[3] = (s[3]! ^ s[1]!) >>> 0;
    s[1] = (s[1]! ^ s[2]!) >>> 0;
    s[0] = (s[0]! ^ s[3]!) >>> 0;
    s[2] = (s[2]! ^ t) >>> 0;
    s[3] = rotl(s[3]!, 11);
    return r;
  }
  /** Uniform in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  /** A 64-bit value biased towards the edges that break flag logic. */
  u64(): bigint {
    const hi = BigInt(this.u32()), lo = BigInt(this.u32());
    switch (this.int(10)) {
      case 0: return this.pick([0n, 1n, 2n, 0xffn, 0x80n, 0x7fn, 0xffffn, 0x8000n]);
      case 1: return this.pick([0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0x7fff_ffff_ffff_ffffn,
        0xffff_ffffn, 0x8000_0000n, 0x7fff_ffffn, 0x1_0000_0000n]);
      case 2: return lo & 0xffn;
      case 3: return lo;
      case 4: return BigInt.asUintN(64, -(lo & 0xffffn));
      default: return (hi << 32n) | lo;
    }
  }
}
function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export const SCRATCH_SIZE = 4096;
/** Registers a generated instruction may name (not SP, R14, R15). */
const FREE = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13];
const R14: Reg = { cls: "gpr", num: 14 };
const R15: Reg = { cls: "gpr", num: 15 };

const EXCLUDED_OPS = new Set([
  "syscall", "int", "int3", "ud2", "cpuid", "rdtsc", "rdtscp", "ret", "popf", "div", "idiv", "jcc", "jmp", "call",
  // Faults by design, or the virtual machine's own answers (test/hostile/engine-*.test.ts check those).
  "priv", "io", "sgdt", "sidt", "smsw", "sldt", "str",
  // String instructions address memory through RSI/RDI (and repeat RCX
  // times), which the generator does not confine to the scratch page, and
  // a lone REP would prefix whatever follows. Their rows run on both
  // engines in test/cpu/rows.ts, and in compiled Go under verify
  // (test/golang/string.test.ts).
  "movs", "stos", "rep",
]);

/** Rows the generator draws from (encode-only spellings included: they are Go syntax too). */
const POOL: Form[] = FORMS.filter((f) => !EXCLUDED_OPS.has(f.op) && !f.decodeOnly);
const DIVS: Form[] = FORMS.filter((f) => (f.op === "div" || f.op === "idiv") && f.args.length === 1);

const pos = (line: number) => ({ file: "gen.s", line, col: 1 });
const gpr = (n: number): Reg => ({ cls: "gpr", num: n });
const reg = (r: Reg): Addr => ({ type: "reg", reg: r });
const cnst = (v: bigint): Addr => ({ type: "const", value: v });

function randReg(rng: Rng, size: number): Reg {
  if (size === 1 && rng.chance(0.15)) return { cls: "high", num: 4 + rng.int(4) };
  const n = rng.pick(FREE);
  return size === 1 ? { cls: "byte", num: n } : gpr(n);
}

function scratchMem(rng: Rng): MemAddr {
  const m: MemAddr = { type: "mem", name: "none", offset: BigInt(rng.int(SCRATCH_SIZE - 600)), base: R15, scale: 1 };
  if (rng.chance(0.4)) {
    m.index = R14;
    m.scale = rng.pick([1, 2, 4, 8] as const);
  }
  if (rng.chance(0.1)) m.offset = 0n;
  return m;
}

function leaMem(rng: Rng): MemAddr {
  const m: MemAddr = { type: "mem", name: "none", offset: BigInt.asIntN(32, BigInt(rng.u32())), scale: 1 };
  if (rng.chance(0.5)) m.offset = BigInt(rng.int(256) - 128);
  if (rng.chance(0.9)) m.base = gpr(rng.int(16));
  if (rng.chance(0.5)) {
    let i = rng.int(16);
    if (i === 4) i = 5;
    m.index = gpr(i);
    m.scale = rng.pick([1, 2, 4, 8] as const);
  }
  if (!m.base && !m.index) m.base = gpr(3);
  return m;
}

function imm(rng: Rng, k: Kind): bigint {
  switch (k) {
    case "i8": return BigInt(rng.int(256) - 128);
    case "u8": return rng.chance(0.7) ? BigInt(rng.int(70)) : BigInt(rng.int(256));
    case "i16": return BigInt(rng.int(65536) - 32768);
    case "s32": case "i32": return rng.chance(0.3) ? BigInt(rng.int(256) - 128) : BigInt.asIntN(32, BigInt(rng.u32()));
    case "i64": return BigInt.asIntN(64, rng.u64());
    default: return 0n;
  }
}

function operand(rng: Rng, f: Form, k: Kind): Addr {
  const size = f.size;
  switch (k) {
    case "rm8": case "rm16": case "rm32": case "rm64":
      return rng.chance(0.5) ? reg(randReg(rng, size === 16 ? 8 : k === "rm8" ? 1 : size)) : scratchMem(rng);
    case "r8": case "r16": case "r32": case "r64":
      return reg(randReg(rng, k === "r8" ? 1 : size));
    case "m": return leaMem(rng);
    case "x": case "xr": return reg({ cls: "xmm", num: rng.int(16) });
    case "xm": case "xm64": case "xm32": return rng.chance(0.5) ? reg({ cls: "xmm", num: rng.int(16) }) : scratchMem(rng);
    case "acc": return reg(size === 1 ? { cls: "byte", num: 0 } : gpr(0));
    case "cl": return reg({ cls: "byte", num: 1 });
    case "one": return cnst(1n);
    case "rel8": case "rel32": return { type: "branch", offset: 0n };
    default: return cnst(imm(rng, k));
  }
}

function progOf(f: Form, ops: Addr[], line: number): Prog {
  const p: Prog = { as: f.as, from: { type: "none" }, to: { type: "none" }, pos: pos(line) };
  if (ops.length === 1) p.to = ops[0]!;
  else if (ops.length === 2) { p.from = ops[0]!; p.to = ops[1]!; }
  else if (ops.length === 3) { p.from = ops[0]!; p.from3 = ops[1]!; p.to = ops[2]!; }
  return p;
}

function encodes(p: Prog): boolean {
  try {
    encodeProg(p, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Block {
  bytes: Uint8Array;
  /** Instructions up to the final INT3 along the longest path (an upper bound). */
  length: number;
  /** Whether the block ends in a deliberate divide by zero. */
  faults: boolean;
  progs: Prog[];
}

/** Generates one block of about n instructions. */
export function genBlock(rng: Rng, n: number, withFault = false, exclude: ReadonlySet<string> = new Set()): Block {
  const progs: Prog[] = [];
  const branches: number[] = [];
  /** Indices a branch must not land on: inside a DIV prologue or a PUSHFQ/POPFQ pair. */
  const inner = new Set<number>();
  let line = 1;
  const push = (p: Prog) => { progs.push(p); line++; };
  const group = (emit: () => void) => {
    const start = progs.length;
    emit();
    for (let i = start + 1; i < progs.length; i++) inner.add(i);
  };
  while (progs.length < n) {
    const roll = rng.int(100);
    if (roll < 6) {
      // a forward branch, resolved below
      const cc = rng.int(17);
      const as = cc < 16 ? "J" + CC_NAMES[cc] : "JMP";
      branches.push(progs.length);
      push({ as, from: { type: "none" }, to: { type: "branch", offset: 0n }, pos: pos(line) });
    } else if (roll < 8) {
      group(() => {
        push({ as: "PUSHFQ", from: { type: "none" }, to: { type: "none" }, pos: pos(line) });
        push({ as: "POPFQ", from: { type: "none" }, to: { type: "none" }, pos: pos(line) });
      });
    } else if (roll < 11) {
      group(() => divide(rng, push, line, false));
    } else {
      const f = rng.pick(POOL);
      if (f.args.some((k) => k === "rel8" || k === "rel32") || exclude.has(f.op)) continue;
      const ops = f.args.map((k) => operand(rng, f, k));
      const p = progOf(f, ops, line);
      // CMPXCHGL: real CPUs write EAX only when the compare fails and the
      // destination register only when it succeeds, so the other one keeps
      // its upper half; QEMU 5, under unicorn 2.0, always writes (and so
      // zero-extends) both (fixed in QEMU 7.2). CMPXCHGQ is compared.
      if (f.op === "cmpxchg" && f.size === 4) continue;
      // LOCK NEG: unicorn 2.0 computes the flags of the locked form from
      // the wrong value (SF/CF wrong for NEGL $5 → -5); the plain form is right.
      if (f.op === "neg" && p.to.type === "mem") { p.lock = false; if (!encodes(p)) continue; push(p); continue; }
      // Shifts and rotates of memory by CL: unicorn 2.0 sometimes reports a
      // CF that its own fresh copy of the same state does not produce (the
      // state carries something RFLAGS does not show). Register forms and
      // immediate counts are compared.
      if (f.args[0] === "cl" && p.to.type === "mem") continue;
      // BT* of a bit string in memory with a register offset: the random
      // offset reaches anywhere, not the scratch page (rows in test/cpu/rows.ts).
      if ((f.op === "bt" || f.op === "bts" || f.op === "btr" || f.op === "btc") && p.from.type === "reg" && p.to.type === "mem") continue;
      // LOCK only where the CPU allows it: a lockable op with a memory destination.
      if (f.lockable && p.to.type === "mem" && rng.chance(0.5)) p.lock = true;
      if (!encodes(p)) continue;
      push(p);
    }
  }
  if (withFault) group(() => divide(rng, push, line, true));
  const end = progs.length;
  for (const i of branches) {
    let t = Math.min(i + 1 + rng.int(Math.min(12, end - i)), end);
    while (inner.has(t)) t++;
    (progs[i]!.to as Extract<Addr, { type: "branch" }>).target = t;
  }
  const asm = assembleFunction(progs);
  const bytes = new Uint8Array(asm.bytes.length + 1);
  bytes.set(asm.bytes);
  bytes[asm.bytes.length] = 0xcc;
  return { bytes, length: progs.length + 1, faults: withFault, progs };
}

/** DIV/IDIV with a prologue that keeps the quotient in range (or divides by zero). */
function divide(rng: Rng, push: (p: Prog) => void, line: number, byZero: boolean): void {
  const f = rng.pick(DIVS);
  const divisor = rng.pick(FREE.filter((r) => r !== 0 && r !== 2));
  const size = f.size;
  const lim = size === 1 ? 0x7f : size === 2 ? 0x7fff : 0x7fff_ffff;
  const dividend = BigInt(rng.int(lim + 1));
  const d = byZero ? 0n : BigInt(1 + rng.int(lim));
  const l = (as: string, from: Addr, to: Addr): Prog => ({ as, from, to, pos: pos(line) });
  push(l("MOVL", cnst(dividend), reg(gpr(0))));
  push(l("XORL", reg(gpr(2)), reg(gpr(2))));
  push(l("MOVL", cnst(d), reg(gpr(divisor))));
  push({ as: f.as, from: { type: "none" }, to: reg(size === 1 ? { cls: "byte", num: divisor } : gpr(divisor)), pos: pos(line) });
}
