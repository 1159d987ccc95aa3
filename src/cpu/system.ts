// System and miscellaneous instructions: NOP, PAUSE, the fences, UD2, INT3,
// INT n, SYSCALL, CPUID, RDTSC, and the #UD handler for undecodable bytes.
//
// SYSCALL does what the hardware does to user-visible state — RCX gets the
// address of the next instruction, R11 gets RFLAGS — and stops the run so
// the emulated kernel can handle it; RIP is already past the instruction.
// INT3 (0xCC) and INT $3 (CD 03, the #BP vector too) stop as breakpoints.
// Other INT n raise #GP, as Linux user space sees them. CPUID reports a
// fixed, minimal x86-64 CPU with SSE2 so runs are reproducible; RDTSC reads
// a virtual time-stamp counter (by default the instruction count), never the
// host clock.

import { CpuFault, STOP_BREAKPOINT, STOP_SYSCALL, type Cpu } from "./cpu.ts";
import type { Handler } from "./decode.ts";

export const nop: Handler = () => { /* nothing */ };

export const ud2: Handler = (_c, i) => {
  throw new CpuFault("ud", `invalid opcode (#UD) at 0x${i.addr.toString(16)}: UD2`, i.bytes);
};

export const bad: Handler = (_c, i) => {
  const hex = [...i.bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  throw new CpuFault("ud", `invalid opcode (#UD) at 0x${i.addr.toString(16)}: ${hex}: ${i.why}`, i.bytes);
};

export const int3: Handler = (c, i) => {
  c.stop = STOP_BREAKPOINT;
  c.stopAddr = i.addr;
  c.rip = i.next;
};

export const intn: Handler = (c, i) => {
  if (i.immLo === 3) { int3(c, i); return; }
  throw new CpuFault("gp", `general protection (#GP) at 0x${i.addr.toString(16)}: INT $0x${i.immLo.toString(16)} from user mode`);
};

export const syscall: Handler = (c, i) => {
  const next = i.next;
  const hi = Math.floor(next / 4294967296);
  c.r[2] = (next - hi * 4294967296) | 0; c.r[3] = hi;
  c.r[22] = c.rflags | 0; c.r[23] = 0;
  c.stop = STOP_SYSCALL;
  c.rip = next;
};

/** Virtual time-stamp counter; replaceable by the kernel's clock. */
export let tscSource: (c: Cpu) => number = (c) => c.icount;
export function setTscSource(f: (c: Cpu) => number): void { tscSource = f; }

export const rdtsc: Handler = (c) => {
  const t = tscSource(c);
  const hi = Math.floor(t / 4294967296);
  c.r[0] = (t - hi * 4294967296) | 0; c.r[1] = 0;
  c.r[4] = hi | 0; c.r[5] = 0;
};

/** RDTSCP: RDTSC plus IA32_TSC_AUX (0: the emulated CPU number) in ECX. */
export const rdtscp: Handler = (c, i) => {
  rdtsc(c, i);
  c.r[2] = 0; c.r[3] = 0;
};

export const cld: Handler = (c) => { c.fl = (c.fl & ~0x400) >>> 0; };
export const std: Handler = (c) => { c.fl = (c.fl | 0x400) >>> 0; };

// "GenuineIntel", family 6, SSE/SSE2, no AVX; every other leaf is zero.
export const cpuid: Handler = (c) => {
  const leaf = c.r[0]! >>> 0;
  let a = 0, b = 0, cx = 0, d = 0;
  if (leaf === 0) { a = 1; b = 0x756e6547; d = 0x49656e69; cx = 0x6c65746e; }
  else if (leaf === 1) { a = 0x000306a9; b = 0; cx = 0; d = (1 << 25) | (1 << 26) | (1 << 23) | (1 << 15) | (1 << 0) | (1 << 4) | (1 << 8); }
  const r = c.r;
  r[0] = a; r[1] = 0; r[6] = b; r[7] = 0; r[2] = cx; r[3] = 0; r[4] = d; r[5] = 0;
};

