// System and miscellaneous instructions: NOP, PAUSE, the fences, UD2, INT3,
// INT n, SYSCALL, CPUID, RDTSC(P), CLD/STD, what user mode may not do, and
// the #UD handler for undecodable bytes.
//
// gmpemu's CPU runs at CPL 3 under Linux, and does what a Linux process
// sees (each checked against Linux's traps.c and umip.c, and against QEMU at
// CPL 3):
//   - SYSCALL does what the hardware does to user-visible state — RCX gets
//     the address of the next instruction, R11 gets RFLAGS — and stops the
//     run so the emulated kernel can handle it; RIP is already past it.
//   - INT3 (0xCC) and INT $3 (CD 03, the #BP vector too) stop as
//     breakpoints (SIGTRAP). Other INT n raise #GP (their gates are kernel
//     only: SIGSEGV). Linux's INT $0x80 gate is open to user mode and runs a
//     32-bit system call; gmpemu has no 32-bit ABI and raises #GP there too.
//   - Privileged instructions (CLI, STI, HLT, LGDT, LIDT, LLDT, LTR, LMSW,
//     MOV to or from CRn/DRn, WRMSR, RDMSR, RDPMC, INVD, WBINVD, CLTS,
//     SWAPGS, SYSRET, IRET) raise #GP: CPL 3 may not, IOPL is 0, CR4.PCE is
//     clear. IRET is legal at CPL 3 on hardware, but it loads segment
//     selectors gmpemu does not model; it raises #GP too.
//   - Port I/O (IN, OUT, INS, OUTS) raises #GP: IOPL is 0 and no ioperm.
//   - SGDT, SIDT, SMSW, SLDT, STR are emulated as Linux's UMIP fixup does
//     (src/cpu/virt.ts has the values and the details).
//   - CPUID and RDTSC/RDTSCP report the virtual machine (src/cpu/virt.ts),
//     never the host.
//   - FNINIT and WAIT run, as no-ops: the emulated CPU has no x87 unit, so
//     there is no state to reset, and every other x87 opcode is #UD.
//   - An instruction longer than 15 bytes raises #GP, as on hardware.
// #GP becomes SIGSEGV, #UD SIGILL, #DE SIGFPE; that mapping is the kernel's.

import { CpuFault, STOP_BREAKPOINT, STOP_SYSCALL, type Cpu } from "./cpu.ts";
import { K_MEM, K_REG, type Handler, type Insn } from "./decode.ts";
import { MemFault } from "../mem/memory.ts";
import { ea } from "./operands.ts";
import { cpuidLeaf, tscAt, TSC_AUX, UMIP_CR0, UMIP_GDT_BASE, UMIP_IDT_BASE, UMIP_LDT, UMIP_TR } from "./virt.ts";

const TWO32 = 4294967296;

function at(i: Insn): string {
  return `0x${i.addr.toString(16)}`;
}

export const nop: Handler = () => { /* nothing */ };

export const ud2: Handler = (_c, i) => {
  throw new CpuFault("ud", `invalid opcode (#UD) at ${at(i)}: UD2`, i.bytes);
};

export const bad: Handler = (_c, i) => {
  const hex = [...i.bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  if (i.tooLong) throw new CpuFault("gp", `general protection (#GP) at ${at(i)}: ${hex}: ${i.why}`, i.bytes);
  throw new CpuFault("ud", `invalid opcode (#UD) at ${at(i)}: ${hex}: ${i.why}`, i.bytes);
};

/**
 * INT3 and INT $3 stop as a breakpoint at the opcode byte (CC, or CD of
 * CD 03): RIP - 1 or RIP - 2, what a debugger patched, whatever prefixes
 * came before it.
 */
export const int3: Handler = (c, i) => {
  c.stop = STOP_BREAKPOINT;
  c.stopAddr = i.next - (i.op === "int3" ? 1 : 2);
  c.rip = i.next;
};

export const intn: Handler = (c, i) => {
  if (i.immLo === 3) { int3(c, i); return; }
  throw new CpuFault("gp", `general protection (#GP) at ${at(i)}: INT $0x${i.immLo.toString(16)} from user mode`);
};

export const syscall: Handler = (c, i) => {
  const next = i.next;
  const hi = Math.floor(next / TWO32);
  c.r[2] = (next - hi * TWO32) | 0; c.r[3] = hi;
  c.r[22] = c.rflags | 0; c.r[23] = 0;
  c.stop = STOP_SYSCALL;
  c.rip = next;
};

/**
 * RDTSC: the virtual TSC (virt.ts). Exact because the decode cache starts a
 * block at every RDTSC(P) (src/cpu/exec.ts), so cpu.icount is the number of
 * instructions retired before it.
 */
export const rdtsc: Handler = (c) => {
  const t = tscAt(c.icount);
  const hi = Math.floor(t / TWO32);
  c.r[0] = (t - hi * TWO32) | 0; c.r[1] = 0;
  c.r[4] = hi | 0; c.r[5] = 0;
};

/** RDTSCP: RDTSC plus IA32_TSC_AUX in ECX. */
export const rdtscp: Handler = (c, i) => {
  rdtsc(c, i);
  c.r[2] = TSC_AUX; c.r[3] = 0;
};

export const cld: Handler = (c) => { c.fl = (c.fl & ~0x400) >>> 0; };
export const std: Handler = (c) => { c.fl = (c.fl | 0x400) >>> 0; };

export const cpuid: Handler = (c) => {
  const [a, b, cx, d] = cpuidLeaf(c.r[0]!);
  const r = c.r;
  r[0] = a | 0; r[1] = 0; r[6] = b | 0; r[7] = 0; r[2] = cx | 0; r[3] = 0; r[4] = d | 0; r[5] = 0;
};

/** CLI, STI, HLT, LGDT, MOV to CR3, WRMSR, INVD...: #GP at CPL 3. */
export const priv: Handler = (_c, i) => {
  throw new CpuFault("gp", `general protection (#GP) at ${at(i)}: ${i.form?.decodeOnly ? "MOV to or from a control or debug register" : i.form?.as} is privileged`);
};

/** IN, OUT, INS, OUTS: #GP without I/O permission. */
export const io: Handler = (_c, i) => {
  throw new CpuFault("gp", `general protection (#GP) at ${at(i)}: ${i.form?.as} without I/O permission`);
};

/** Writes `n` bytes of value (lo, hi, then `tail` for bytes 8-9) at the operand, as Linux's copy_to_user would. */
function storeUmip(c: Cpu, i: Insn, bytes: number[]): void {
  const a = ea(c, i);
  const m = c.mem;
  try {
    m.probeWrite(a, bytes.length);
  } catch (e) {
    // Linux reports the operand's address, whatever byte failed.
    if (e instanceof MemFault) throw new MemFault(a, "write");
    throw e;
  }
  for (let k = 0; k < bytes.length; k++) m.write8(a + k, bytes[k]!);
}

function tableBytes(limit: number, base: bigint): number[] {
  const out = [limit & 0xff, (limit >> 8) & 0xff];
  for (let k = 0n; k < 8n; k++) out.push(Number((base >> (8n * k)) & 0xffn));
  return out;
}

const GDT_BYTES = tableBytes(0, UMIP_GDT_BASE);
const IDT_BYTES = tableBytes(0, UMIP_IDT_BASE);

export const sgdt: Handler = (c, i) => storeUmip(c, i, GDT_BYTES);
export const sidt: Handler = (c, i) => storeUmip(c, i, IDT_BYTES);

/** SMSW, SLDT, STR: two bytes to memory, or the operand's bytes of the register (the rest kept). */
function umipValue(v: number): Handler {
  return (c, i) => {
    if (i.dk === K_MEM) { storeUmip(c, i, [v & 0xff, (v >> 8) & 0xff]); return; }
    if (i.dk !== K_REG) throw new Error(`internal: ${i.form?.as} with operand kind ${i.dk}`);
    const r = c.r, n = 2 * i.dn;
    if (i.size === 2) r[n] = (r[n]! & ~0xffff) | (v & 0xffff);
    else if (i.size === 4) r[n] = v | 0;
    else { r[n] = v | 0; r[n + 1] = 0; }
  };
}

export const smsw = umipValue(UMIP_CR0);
export const sldt = umipValue(UMIP_LDT);
export const str = umipValue(UMIP_TR);
