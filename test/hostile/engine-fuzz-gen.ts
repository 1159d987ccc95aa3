// The engine fuzzer's inputs and machine (test/hostile/engine-fuzz.test.ts),
// importable by scripts that replay one case:
//   node --import tsx -e 'import("./test/hostile/engine-fuzz-gen.ts").then(m => m.replay(SEED, CASE))'
import { createEngine } from "../../src/engine/index.ts";
import {
  PROT_READ, PROT_EXEC, PROT_WRITE, REG_FS_BASE, REG_RFLAGS, REG_RIP, regId, type Engine, type Stop,
} from "../../src/engine/engine.ts";
import { runLockstep } from "../../src/engine/lockstep.ts";
import { bufSource, decode, MAX_LEN } from "../../src/cpu/decode.ts";
import { Rng } from "../engine/gen.ts";

export const CODE = 0x400000, DATA = 0x500000, STACK = 0x7f0000;
export const CODE_LEN = 128;
export const BUDGET = 40;


/**
 * The fixed machine every case starts from: most registers point into the
 * mapped data or stack (so memory operands land), a few hold small numbers
 * (CL shift counts, divisors), and three hold values near the edges of the
 * address space (2^63, -16, a non-canonical one).
 */
export const REGS: bigint[] = [
  BigInt(DATA), BigInt(DATA + 0x480), 3n, BigInt(DATA + 0x800), BigInt(STACK + 0x800), BigInt(STACK + 0x400), BigInt(DATA + 0x100), BigInt(DATA + 0x200),
  BigInt(DATA + 0x300), 0x7n, BigInt(DATA + 0x380), BigInt(DATA + 0x700), 0x8000_0000_0000_0000n, 0xffff_ffff_ffff_fff0n, BigInt(DATA + 0x600), 0x1234_5678_9abc_def0n,
];
export const DATA_BYTES = Uint8Array.from({ length: 0x1000 }, (_, i) => (i * 37 + 11) & 0xff);

export function prepare(e: Engine): void {
  e.map(CODE, 0x2000, PROT_READ | PROT_EXEC);
  e.map(DATA, 0x1000, PROT_READ | PROT_WRITE);
  e.map(STACK, 0x1000, PROT_READ | PROT_WRITE);
}

export function reset(e: Engine, code: Uint8Array): void {
  e.write(CODE, code);
  e.write(DATA, DATA_BYTES);
  e.hmem.fill(STACK, 0x1000, 0);
  REGS.forEach((v, r) => e.setReg(regId(r), v));
  e.setReg(REG_FS_BASE, BigInt(DATA + 0x400));
  e.setReg(REG_RFLAGS, 0x202n);
  e.setReg(REG_RIP, BigInt(CODE));
  for (let x = 0; x < 16; x++) e.setXmm(x, new Uint8Array(16).fill(x));
}

export function outcome(s: Stop): string {
  switch (s.kind) {
    case "fault": {
      const f = s.fault;
      return f.type === "page" ? `#PF ${f.access} 0x${f.addr.toString(16)} at 0x${f.rip.toString(16)}` : `#${f.type.toUpperCase()} at 0x${f.rip.toString(16)}`;
    }
    case "breakpoint": return `breakpoint 0x${s.addr.toString(16)}`;
    case "hostcall": return `hostcall 0x${s.addr.toString(16)}`;
    default: return s.kind;
  }
}

export function kindOf(s: Stop): string {
  if (s.kind !== "fault") return s.kind;
  return s.fault.type === "page" ? `#PF ${s.fault.access}` : `#${s.fault.type.toUpperCase()}`;
}

/**
 * Random code: the code page holds it, then INT3s (so falling off the end
 * stops). Pure random bytes end at their first instruction more often than
 * not (#UD), and random displacements at their first memory access, so most
 * of the input is random bytes that happen to decode — 15 random bytes,
 * kept up to the end of their first instruction when it is one the
 * interpreter knows, preferring one that stays near the registers' data
 * and does not fault by design (I/O, privileged) — with raw random bytes
 * between them (a fifth of the pieces, sometimes a whole window).
 */
export function caseCode(rng: Rng): Uint8Array {
  const code = new Uint8Array(0x2000).fill(0xcc);
  const window = new Uint8Array(MAX_LEN);
  let n = 0;
  while (n < CODE_LEN) {
    let take = 0;
    if (rng.int(5) === 0) {
      for (let i = 0; i < MAX_LEN; i++) window[i] = rng.int(256);
      take = 1 + rng.int(rng.int(8) === 0 ? MAX_LEN : 3);
    } else {
      for (let tries = 0; tries < 12 && take === 0; tries++) {
        for (let i = 0; i < MAX_LEN; i++) window[i] = rng.int(256);
        const ins = decode(bufSource(window, 0, CODE + n), CODE + n);
        if (ins.op === "bad") continue;
        const wild = ins.ripRel || Math.abs(ins.disp) > 0x400 || ins.target !== 0;
        if (wild && rng.int(8) !== 0) continue;
        // One-byte I/O and privileged opcodes would end most inputs at once.
        const ends = ins.op === "priv" || ins.op === "io" || ins.op === "int";
        if (ends && rng.int(4) !== 0) continue;
        take = ins.len;
      }
    }
    take = Math.min(take, CODE_LEN - n);
    code.set(window.subarray(0, take), n);
    n += take;
  }
  return code;
}

export const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");


/** The inputs of a seed, in order. */
export function* cases(seed: number, n: number): Generator<Uint8Array> {
  const rng = new Rng(seed);
  for (let k = 0; k < n; k++) yield caseCode(rng);
}

/** Runs case k of a seed on both engines and prints what each did, and lockstep's report. */
export function replay(seed: number, k: number): void {
  let code: Uint8Array | undefined;
  let i = 0;
  for (const c of cases(seed, k + 1)) if (i++ === k) code = c;
  console.log(hex(code!.subarray(0, CODE_LEN)));
  for (const name of ["interp", "unicorn"]) {
    const e = createEngine(name);
    prepare(e);
    reset(e, code!);
    const s = e.run(BUDGET);
    console.log(name, outcome(s), "icount", e.icount, "rip", e.getReg(REG_RIP).toString(16));
    e.close();
  }
  const a = createEngine("interp"), b = createEngine("unicorn");
  prepare(a); prepare(b); reset(a, code!); reset(b, code!);
  const r = runLockstep(a, b, { maxSteps: BUDGET, compareRegions: [[DATA, DATA + 0x1000], [STACK, STACK + 0x1000]] });
  console.log(r.divergence?.report ?? `lockstep: ${outcome(r.stop)} after ${r.steps}`);
  a.close(); b.close();
}
