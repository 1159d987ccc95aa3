// Interpreter throughput on a simple ALU loop (ADDQ/SUBQ/XORQ/CMPQ/JNE over
// registers), in millions of instructions per second. Run:
//   node --import tsx bench/interp-alu.ts [iterations]
import { InterpEngine } from "../src/engine/interp.ts";
import { PROT_ALL, REG_RCX, REG_RIP } from "../src/engine/engine.ts";

export function benchInterpAlu(iters = 5_000_000): { insns: number; seconds: number; mips: number } {
  const e = new InterpEngine();
  const base = 0x400000;
  e.map(base, 0x1000, PROT_ALL);
  const loop = [
    0x48, 0x01, 0xc3,       // ADDQ AX, BX
    0x48, 0x29, 0xd6,       // SUBQ DX, SI
    0x48, 0x31, 0xda,       // XORQ BX, DX
    0x48, 0x83, 0xc0, 0x01, // ADDQ $1, AX
    0x48, 0x83, 0xe9, 0x01, // SUBQ $1, CX
    0x48, 0x83, 0xf9, 0x00, // CMPQ CX, $0
  ];
  const code = [...loop, 0x75, (-(loop.length + 2)) & 0xff /* JNE loop */, 0xcc /* INT3 */];
  e.write(base, Uint8Array.from(code));
  e.setReg(REG_RCX, BigInt(iters));
  e.setReg(REG_RIP, BigInt(base));
  const t0 = performance.now();
  const stop = e.run(Number.MAX_SAFE_INTEGER);
  const seconds = (performance.now() - t0) / 1000;
  if (stop.kind !== "breakpoint") throw new Error(`bench loop stopped with ${JSON.stringify(stop)}`);
  const insns = e.icount;
  return { insns, seconds, mips: insns / seconds / 1e6 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 5_000_000);
  benchInterpAlu(Math.min(n, 200_000)); // warm up
  const r = benchInterpAlu(n);
  console.log(`interp ALU loop: ${r.insns} instructions in ${r.seconds.toFixed(3)} s = ${r.mips.toFixed(1)} MIPS`);
}
