// The virtual machine's identity: what CPUID, RDTSC, RDTSCP and the UMIP
// group report, in one place, for both engines.
//
// A run must be reproducible: the same program and seed give the same
// machine at every step, on the interpreter and on unicorn. So nothing the
// guest can read comes from the host. The interpreter's handlers
// (src/cpu/system.ts) read these tables; the unicorn engine never lets QEMU
// execute these instructions itself but runs the same handlers (see
// src/engine/unicorn.ts), so the two engines cannot disagree.
//
// CPUID. One vendor and feature set, chosen to describe what the
// interpreter implements and nothing more:
//   leaf 0:  EAX = 1 (the highest basic leaf), "GenuineIntel" in EBX EDX ECX;
//   leaf 1:  EAX = 0x000306a9 (family 6, model 0x3a, stepping 9),
//            EBX = 0, ECX = 0 (no SSE3, no POPCNT, no XSAVE...),
//            EDX = TSC | CMOV | SSE | SSE2 — the x86-64 baseline gmpemu
//            runs, without FPU, MMX or CX8, which it does not implement;
//   every other leaf, basic or extended (0x80000000...), and any ECX:
//            all four registers 0.
// (A real CPU answers a leaf above its maximum with its highest basic leaf;
// zeros say "nothing here" more plainly and no Go code depends on either.)
//
// TSC. One tick per instruction: RDTSC returns the number of instructions
// the engine retired before it (the virtual clock runs at 1 GHz, one
// nanosecond per instruction, as the kernel's does). RDTSCP returns the same
// and IA32_TSC_AUX = 0 (CPU 0) in ECX. All upper halves are zero.
//
// UMIP. A user-mode SGDT, SIDT, SMSW, SLDT or STR faults (#GP) on a CPU with
// UMIP, and Linux (arch/x86/kernel/umip.c) emulates it with fixed values
// rather than deliver SIGSEGV: base and limit of the GDT and IDT as below
// (limit 0, bases near the top of kernel memory), CR0 as at boot, no LDT,
// the TSS selector. A register destination receives only the operand's
// bytes (Linux copies opnd_bytes into the saved register, so a 32-bit
// destination keeps its upper half, unlike a hardware 32-bit write); a
// memory destination gets 10 bytes (limit, then the 64-bit base) for
// SGDT/SIDT and 2 bytes for the others. If that store fails, Linux sends
// SIGSEGV for the operand's address: a page fault there.

/** CPUID leaf → [EAX, EBX, ECX, EDX]; absent leaves are all zero. */
const CPUID: ReadonlyMap<number, readonly [number, number, number, number]> = new Map([
  [0, [1, 0x756e6547, 0x6c65746e, 0x49656e69]], // "Genu" "ntel" "ineI": EBX, ECX, EDX
  [1, [0x000306a9, 0, 0, (1 << 4) | (1 << 15) | (1 << 25) | (1 << 26)]],
]);

const ZERO = [0, 0, 0, 0] as const;

/** The four registers CPUID returns for a leaf (EAX's value; ECX is ignored). */
export function cpuidLeaf(leaf: number): readonly [number, number, number, number] {
  return CPUID.get(leaf >>> 0) ?? ZERO;
}

/** The time-stamp counter when `retired` instructions have retired. */
export function tscAt(retired: number): number {
  return retired;
}

/** IA32_TSC_AUX, which RDTSCP returns in ECX: the CPU number. */
export const TSC_AUX = 0;

/** Linux's UMIP emulation values (arch/x86/kernel/umip.c, x86-64). */
export const UMIP_GDT_BASE = 0xfffffffffffe0000n;
export const UMIP_IDT_BASE = 0xffffffffffff0000n;
/** CR0 at boot: PE MP ET NE WP AM PG. */
export const UMIP_CR0 = 0x80050033;
/** SLDT: no LDT was ever installed (Go does not call modify_ldt). */
export const UMIP_LDT = 0;
/** STR: GDT_ENTRY_TSS * 8 on x86-64. */
export const UMIP_TR = 0x40;
