// Small hand-encoded programs and a fixed memory layout shared by the engine
// tests, so that every engine runs the very same bytes. Each program's bytes
// are listed with their instructions (Intel order in comments, Go's below).
import type { Engine } from "../../src/engine/engine.ts";
import { PROT_READ, PROT_WRITE, PROT_EXEC, REG_RIP, REG_RFLAGS } from "../../src/engine/engine.ts";
import { RSP } from "../../src/x86/regs.ts";

export const CODE = 0x400000;
export const DATA = 0x500000;
export const RODATA = 0x600000;
export const STACK = 0x7f0000; // 64 KiB, grows down from STACK_TOP
export const STACK_TOP = 0x800000;
export const HOST = 0x900000;
export const UNMAPPED = 0x300000;

/** Maps the layout and loads `code` at CODE; RIP = CODE, RSP = STACK_TOP - 0x100, RFLAGS = 0x202. */
export function setup(e: Engine, code: number[]): void {
  e.map(CODE, 0x10000, PROT_READ | PROT_EXEC);
  e.map(DATA, 0x1000, PROT_READ | PROT_WRITE);
  e.map(RODATA, 0x1000, PROT_READ);
  e.map(STACK, STACK_TOP - STACK, PROT_READ | PROT_WRITE);
  e.map(HOST, 0x1000, PROT_READ | PROT_EXEC);
  e.write(CODE, Uint8Array.from(code));
  e.setReg(REG_RIP, BigInt(CODE));
  e.setReg(RSP, BigInt(STACK_TOP - 0x100));
  e.setReg(REG_RFLAGS, 0x202n); // engines start with different flags
}

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

export const P = {
  /** Sum 1..10 into RAX, then INT3. 2 + 3*10 instructions before the INT3. */
  sumLoop: [
    0x48, 0xc7, 0xc1, ...le32(10), // MOVQ $10, CX
    0x48, 0x31, 0xc0, //              XORQ AX, AX
    0x48, 0x01, 0xc8, //        loop: ADDQ CX, AX
    0x48, 0xff, 0xc9, //              DECQ CX
    0x75, 0xf8, //                    JNE loop
    0xcc, //                          INT3
  ],
  /** 100 NOPs. */
  nops: new Array<number>(100).fill(0x90),
  /** MOVQ $60, AX; SYSCALL; NOP */
  syscall: [0x48, 0xc7, 0xc0, ...le32(60), 0x0f, 0x05, 0x90],
  /** NOP; MOVQ 0x300000, AX (unmapped read) */
  readUnmapped: [0x90, 0x48, 0x8b, 0x04, 0x25, ...le32(UNMAPPED)],
  /** NOP; MOVQ AX, 0x300010 (unmapped write) */
  writeUnmapped: [0x90, 0x48, 0x89, 0x04, 0x25, ...le32(UNMAPPED + 0x10)],
  /** NOP; MOVQ AX, RODATA+8 (write to read-only) */
  writeReadOnly: [0x90, 0x48, 0x89, 0x04, 0x25, ...le32(RODATA + 8)],
  /** MOVQ $DATA, AX; JMP AX (fetch from a non-executable page) */
  execData: [0x48, 0xc7, 0xc0, ...le32(DATA), 0xff, 0xe0],
  /** MOVQ $UNMAPPED, AX; JMP AX (fetch from an unmapped page) */
  execUnmapped: [0x48, 0xc7, 0xc0, ...le32(UNMAPPED), 0xff, 0xe0],
  /** MOVQ (STACK_TOP-4), AX: an 8-byte read straddling into unmapped memory at STACK_TOP */
  straddle: [0x48, 0x8b, 0x04, 0x25, ...le32(STACK_TOP - 4)],
  /** NOP; UD2 */
  ud2: [0x90, 0x0f, 0x0b],
  /** XORL CX, CX; MOVL $7, AX; DIVQ CX (#DE) */
  divZero: [0x31, 0xc9, 0xb8, ...le32(7), 0x48, 0xf7, 0xf1],
  /** MOVQ $HOST+0x40, AX; CALL AX; (after return) NOP */
  callHost: [0x48, 0xc7, 0xc0, ...le32(HOST + 0x40), 0xff, 0xd0, 0x90],
  /** MOVQ $0x1234, AX; MOVQ AX, 8(SP)... a store and load through the stack and FS */
  fsLoad: [
    0x64, 0x48, 0x8b, 0x04, 0x25, ...le32(8), // MOVQ FS:8, AX
    0x64, 0x48, 0x89, 0x04, 0x25, ...le32(16), // MOVQ AX, FS:16
    0xcc,
  ],
  /** PUSHQ $5; POPQ BX; CALL next; next: POPQ CX; INT3 (CX = address of next) */
  stack: [0x6a, 0x05, 0x5b, 0xe8, ...le32(0), 0x59, 0xcc],
  /** MOVUPS (DATA), X1; PXOR X1, X2; MOVUPS X2, 16(DATA); INT3 */
  sse: [
    0x0f, 0x10, 0x0c, 0x25, ...le32(DATA), // MOVUPS DATA, X1
    0x66, 0x0f, 0xef, 0xd1, //               PXOR X1, X2
    0x0f, 0x11, 0x14, 0x25, ...le32(DATA + 16), // MOVUPS X2, DATA+16
    0xcc,
  ],
  /** LOCK XADDQ AX, (DATA); CMPXCHGQ CX, (DATA); INT3 */
  atomics: [
    0xf0, 0x48, 0x0f, 0xc1, 0x04, 0x25, ...le32(DATA),
    0xf0, 0x48, 0x0f, 0xb1, 0x0c, 0x25, ...le32(DATA),
    0xcc,
  ],
};
