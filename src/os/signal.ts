// Signals: what the kernel does between sending a signal with tgkill and
// the handler's first instruction, and what rt_sigreturn undoes.
//
// A signal sent to a thread is pending until that thread is next at an
// instruction boundary with the signal unblocked: the kernel checks before
// each run of the thread (a running thread is interrupted at the end of its
// current engine run, which is how a real kernel's interrupt lands between
// two instructions). Delivery is Linux's x86-64 rt_sigframe:
//
//   - the stack: the thread's sigaltstack when the action has SA_ONSTACK and
//     the thread is not already on it (Go's gsignal stack), otherwise 128
//     bytes (the red zone) below the interrupted RSP;
//   - the FPU state (fxsave format, 512 bytes, 64-byte aligned), with
//     X0-X15 at offset 160 and MXCSR at 24;
//   - the frame: the return address (sa_restorer) at RSP, then the
//     ucontext (uc_flags, uc_link, uc_stack, the sigcontext with every
//     general register, RIP, RFLAGS and a pointer to the FPU state, then
//     the old signal mask), then the siginfo (si_signo, si_code SI_TKILL,
//     the sender's pid and uid);
//   - entry: RDI = signo, RSI = &siginfo, RDX = &ucontext, RIP = the
//     handler, RSP = the frame, so that (RSP+8) is 16-byte aligned as after
//     a CALL; DF and TF cleared; the signal (and sa_mask) blocked.
//
// rt_sigreturn finds the ucontext at RSP (the handler's RET popped the
// restorer) and reloads everything from it, so whatever the handler wrote
// there (Go's sigctxt.pushCall edits RSP and RIP) is what resumes.
//
// Simplifications, stated: a thread blocked in futex or nanosleep keeps its
// signal pending until it runs again (Linux would interrupt and restart the
// call, since Go's actions have SA_RESTART: the same registers result);
// only SA_SIGINFO handlers with a restorer are delivered (Go installs no
// other kind); a signal with no handler installed is ignored, as SIGURG's
// default action is.

import type { Engine } from "../engine/engine.ts";
import { REG_RFLAGS, REG_RIP, type RegId } from "../engine/engine.ts";

export const SIGURG = 23;
export const SA_SIGINFO = 0x4, SA_ONSTACK = 0x08000000, SA_RESTORER = 0x04000000, SA_NODEFER = 0x40000000;
export const SS_ONSTACK = 1, SS_DISABLE = 2;
const SI_TKILL = -6;

/** sigactiont as Go's runtime lays it out (sa_handler, sa_flags, sa_restorer, sa_mask). */
export interface SigAction { handler: bigint; flags: bigint; restorer: bigint; mask: bigint }

/** A thread's sigaltstack. */
export interface AltStack { sp: number; size: number; flags: number }

/** The signal state of one thread. */
export interface ThreadSignals {
  /** Pending signals, bit (sig-1). */
  pending: bigint;
  /** Blocked signals, bit (sig-1). */
  mask: bigint;
  alt: AltStack;
}

export const newThreadSignals = (): ThreadSignals => ({ pending: 0n, mask: 0n, alt: { sp: 0, size: 0, flags: SS_DISABLE } });

export const sigbit = (sig: number): bigint => 1n << BigInt(sig - 1);

// Offsets in the frame, from the frame's base (where RSP points at entry).
const UC = 8; // struct ucontext
const UC_STACK = UC + 16;
const MCTX = UC + 40; // struct sigcontext
const UC_SIGMASK = MCTX + 256;
const INFO = UC_SIGMASK + 8; // struct siginfo
const FRAME_SIZE = INFO + 128;
const FPSTATE_SIZE = 512;

/** sigcontext's order of the general registers, as engine register numbers. */
const MCTX_REGS: readonly RegId[] = [8, 9, 10, 11, 12, 13, 14, 15, 7, 6, 5, 3, 2, 0, 1, 4, REG_RIP, REG_RFLAGS];

export interface Delivered { frame: number; uc: number; info: number; onAltStack: boolean }

/** Builds the rt_sigframe for sig on the loaded thread and enters the handler. */
export function deliverSignal(e: Engine, ts: ThreadSignals, sig: number, act: SigAction, senderPid: number): Delivered {
  const rsp = Number(e.getReg(4));
  const alt = ts.alt;
  const onAlt = alt.flags !== SS_DISABLE && rsp > alt.sp && rsp <= alt.sp + alt.size;
  let sp: number;
  const useAlt = (act.flags & BigInt(SA_ONSTACK)) !== 0n && alt.flags !== SS_DISABLE && !onAlt;
  if (useAlt) sp = alt.sp + alt.size;
  else sp = rsp - 128;
  // The FPU state, then the frame below it.
  const fp = Math.floor((sp - FPSTATE_SIZE) / 64) * 64;
  const fpb = new Uint8Array(FPSTATE_SIZE);
  const fdv = new DataView(fpb.buffer);
  fdv.setUint16(0, 0x37f, true); // FCW
  fdv.setUint32(24, 0x1f80, true); // MXCSR
  fdv.setUint32(28, 0xffff, true); // MXCSR_MASK
  for (let i = 0; i < 16; i++) fpb.set(e.getXmm(i), 160 + 16 * i);
  e.write(fp, fpb);
  const frame = Math.floor((fp - FRAME_SIZE) / 16) * 16 - 8;
  const b = new Uint8Array(FRAME_SIZE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, act.restorer, true);
  dv.setBigUint64(UC + 0, 0n, true); // uc_flags
  dv.setBigUint64(UC + 8, 0n, true); // uc_link
  dv.setBigUint64(UC_STACK + 0, BigInt(alt.sp), true);
  dv.setInt32(UC_STACK + 8, alt.flags === SS_DISABLE ? SS_DISABLE : onAlt ? SS_ONSTACK : 0, true);
  dv.setBigUint64(UC_STACK + 16, BigInt(alt.size), true);
  MCTX_REGS.forEach((r, i) => dv.setBigUint64(MCTX + 8 * i, e.getReg(r), true));
  dv.setUint16(MCTX + 144, 0x33, true); // cs
  dv.setUint16(MCTX + 150, 0x2b, true); // ss
  dv.setBigUint64(MCTX + 184, BigInt(fp), true); // fpstate
  dv.setBigUint64(UC_SIGMASK, ts.mask, true);
  dv.setInt32(INFO + 0, sig, true);
  dv.setInt32(INFO + 8, SI_TKILL, true);
  dv.setInt32(INFO + 16, senderPid, true);
  e.write(frame, b);
  // Block the signal (unless SA_NODEFER) and sa_mask while the handler runs.
  ts.mask |= act.mask;
  if ((act.flags & BigInt(SA_NODEFER)) === 0n) ts.mask |= sigbit(sig);
  if (useAlt) alt.flags = SS_ONSTACK;
  e.setReg(7, BigInt(sig));
  e.setReg(6, BigInt(frame + INFO));
  e.setReg(2, BigInt(frame + UC));
  e.setReg(0, 0n);
  e.setReg(4, BigInt(frame));
  e.setReg(REG_RIP, act.handler);
  e.setReg(REG_RFLAGS, e.getReg(REG_RFLAGS) & ~0x500n); // clear DF (0x400) and TF (0x100)
  return { frame, uc: frame + UC, info: frame + INFO, onAltStack: useAlt };
}

/** rt_sigreturn: reloads the context at RSP (the ucontext). Returns false if it cannot be read. */
export function sigreturn(e: Engine, ts: ThreadSignals): boolean {
  const uc = Number(e.getReg(4));
  let b: Uint8Array;
  try {
    b = e.read(uc, FRAME_SIZE - UC);
  } catch {
    return false;
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const m = MCTX - UC;
  const regs = MCTX_REGS.map((_, i) => dv.getBigUint64(m + 8 * i, true));
  const fp = Number(dv.getBigUint64(m + 184, true));
  if (fp !== 0) {
    let fpb: Uint8Array;
    try { fpb = e.read(fp, FPSTATE_SIZE); } catch { return false; }
    for (let i = 0; i < 16; i++) e.setXmm(i, fpb.slice(160 + 16 * i, 176 + 16 * i));
  }
  // Linux's FIX_EFLAGS: the bits a handler may change (AC OF DF TF SF ZF AF PF CF RF).
  const fix = 0x50dd5n;
  const cur = e.getReg(REG_RFLAGS);
  MCTX_REGS.forEach((r, i) => e.setReg(r, r === REG_RFLAGS ? (cur & ~fix) | (regs[i]! & fix) : regs[i]!));
  ts.mask = dv.getBigUint64(UC_SIGMASK - UC, true);
  const ssFlags = dv.getInt32(UC_STACK - UC + 8, true);
  if (ts.alt.flags !== SS_DISABLE) ts.alt.flags = ssFlags === SS_ONSTACK ? SS_ONSTACK : 0;
  return true;
}

/** Layout facts for tests and the runtime's sigctxt. */
export const sigframe = { UC, MCTX, UC_SIGMASK, INFO, FRAME_SIZE, mcontextRegs: MCTX_REGS } as const;
/** Offsets of rsp and rip in the sigcontext (Go's sigcontext.rsp, .rip). */
export const SIGCTX_RSP = 15 * 8, SIGCTX_RIP = 16 * 8;
