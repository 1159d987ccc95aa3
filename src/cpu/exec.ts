// The run loop and the decode cache.
//
// Code is decoded once into blocks: straight-line runs of Insns that end at
// a control transfer (or SYSCALL, INT3, #UD), at 64 instructions, before an
// address that does not decode for fetch reasons, or before a host-call
// range. Blocks are cached by start address; each block remembers the two
// blocks that most recently followed it, so a loop runs without a single
// map lookup. The inner loop is one indirect call per instruction through
// the handler the decoder resolved; RIP is stored once per block (the
// block's end, or the branch target a branch handler writes), never per
// instruction: handlers take what they need (the next address, targets,
// RIP-relative addresses) from the Insn.
//
// Invariants:
//   - a fault leaves RIP at the faulting instruction, and every earlier
//     instruction of the block retired (handlers write memory before they
//     change registers or flags, so the faulting one left no trace);
//   - every page holding a cached block is flagged `code`; a write to such a
//     page (or a protection change, or unmap) drops every block that touches
//     it, and points the handlers of the dropped blocks' instructions at
//     `resync`, which throws RESYNC: if the loop is inside such a block, the
//     next instruction does not run from the stale decoding but is decoded
//     afresh, so even a block that patches itself runs what memory holds, as
//     on hardware. This costs nothing per instruction (rejected: checking a
//     flag after every instruction, which cost a fifth of the speed);
//   - host-call ranges are checked whenever a block is entered, and blocks
//     never run into a range, so RIP reaching one always stops the run
//     before anything there executes; breakpoints (setBreakpoints) the
//     same way: a block ends before one, so a breakpoint is always a block
//     start, marked in the block when it is built (the set's changes drop
//     every block): the check is one boolean per block entered, and none
//     for a step;
//   - the instruction budget is exact: a block longer than what is left is
//     run partially;
//   - RIP is held as the signed value of the 64-bit register, exact for
//     every canonical address. A branch to a non-canonical address leaves
//     NaN there (the exact value in cpu.ncLo/ncHi) and the fetch raises #GP
//     with RIP at that address, as QEMU (and AMD's description of x86-64)
//     does; checked only where a block is built, so the hot path pays
//     nothing. A data access outside the canonical range is #GP as well;
//   - RDTSC(P) always begins a block, so the icount it reads is exact.
//
// Fused blocks. The per-instruction cost is mostly the indirect call: each
// instruction's handler is a different function, so the loop's call site
// is megamorphic and nothing inlines. A block that has run HOT times whole
// gets a function of its own, generated once, that calls its instructions'
// handlers one after the other: every call site then has one target, and
// the JIT inlines the handlers into it. It runs only when the whole block
// fits in the budget; stepping, a partial block and a block of one
// instruction take the loop, so everything that watches single
// instructions (step, trace, watchpoints, lockstep) sees each of them
// exactly as before. The fused function counts completed instructions for
// a fault (cpu.bk), and after each instruction that may store, it checks
// cpu.smc (set when a write dropped decoded code) and returns early, so a
// block that rewrites itself still runs what memory holds. A block that
// branches back to its own start (a loop of one block) runs again inside
// its fused function, pass after whole pass while the budget holds one
// more, nothing stopped and no code was rewritten: the run loop's work per
// block (host range, chain, try, counts) is then paid once per run, not
// once per iteration. Each pass adds to cpu.icount, so RDTSC stays exact.
// Rejected: translating instruction semantics into JavaScript source (a
// second implementation of every handler to keep in step with the first).

import { MemFault, faultAddr, PAGE_SIZE } from "../mem/memory.ts";
import { Cpu, CpuFault, STOP_BREAKPOINT, STOP_HALT, STOP_NONE, STOP_SYSCALL } from "./cpu.ts";
import { decode, memSource, K_MEM, type ByteSource, type Insn } from "./decode.ts";
import { endsBlock, startsBlock } from "./handlers.ts";
import { isCanonical, unsignedAddr, type Fault } from "./fault.ts";

export const R_COUNT = 0, R_HOSTCALL = 1, R_SYSCALL = 2, R_BREAKPOINT = 3, R_FAULT = 4, R_HALT = 5, R_BREAK = 6;

const MAX_BLOCK = 64;

/** Thrown by the handler of an instruction whose decoding went stale. */
const RESYNC = { resync: true };
function resync(): void { throw RESYNC; }

export class Block {
  valid = true;
  /** The block starts at a breakpoint (setBreakpoints; blocks are rebuilt when the set changes). */
  brk = false;
  l1: Block | null = null;
  l2: Block | null = null;
  /** Whole runs so far, until it is fused. */
  runs = 0;
  /** The fused function (see the essay and fuse()): instructions completed. */
  fn: ((c: Cpu, budget: number) => number) | null = null;
  constructor(readonly start: number, readonly end: number, readonly insns: Insn[], readonly pages: number[]) {}
}

/** Whole runs after which a block is fused. */
const HOT = 8;

/** Whether an instruction may store to memory (after which a fused block checks for rewritten code). */
function mayStore(i: Insn): boolean {
  if (i.dk === K_MEM) return true;
  switch (i.op) {
    case "push": case "call": case "pushf": case "xchg": case "xadd": case "cmpxchg":
      return true;
  }
  return false;
}

/**
 * Generates a block's fused function; null where code cannot be generated
 * (a strict CSP). fn(c, budget) runs the block whole, and again while it
 * branched back to its own start, nothing stopped, no store rewrote code
 * and the next pass fits in the budget; it returns the instructions it
 * completed, with RIP set past the last, and adds them to cpu.icount
 * itself (pass by pass: an RDTSC at the block's start reads it). After a
 * store that dropped decoded code it returns at once with RIP at the next
 * instruction. On a throw, cpu.bkt holds the instructions of the earlier
 * passes (already counted) and cpu.bk the index in the block of the one
 * that threw.
 */
function fuse(blk: Block): ((c: Cpu, budget: number) => number) | null {
  const n = blk.insns.length;
  const names: string[] = [];
  const values: unknown[] = [];
  const lit = (a: number): string => (a < 0 ? `(${a})` : String(a));
  let body = `let t = 0, k = 0;\ntry {\n for (;;) {\n  c.rip = ${lit(blk.end)};\n`;
  for (let j = 0; j < n; j++) {
    const ins = blk.insns[j]!;
    names.push(`h${j}`, `i${j}`);
    values.push(ins.h, ins);
    body += `  h${j}(c, i${j}); k = ${j + 1};\n`;
    if (j < n - 1 && mayStore(ins)) body += `  if (c.smc) { c.rip = ${lit(blk.insns[j + 1]!.addr)}; c.icount += ${j + 1}; return t + ${j + 1}; }\n`;
  }
  body += `  t += ${n}; k = 0; c.icount += ${n};\n`;
  body += `  if (c.rip !== ${lit(blk.start)} || c.stop !== 0 || c.smc || t + ${n} > budget) return t;\n }\n`;
  body += `} catch (e) { c.bkt = t; c.bk = k; throw e; }`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const make = new Function(...names, `return function block_${blk.start.toString(16)}(c, budget) {\n${body}\n};`) as (...a: unknown[]) => (c: Cpu, budget: number) => number;
    return make(...values);
  } catch {
    return null;
  }
}

export class Interpreter {
  readonly cpu: Cpu;
  private blocks = new Map<number, Block>();
  private byPage = new Map<number, Block[]>();
  private src: ByteSource;
  hostStart = 0;
  hostEnd = 0;
  /** Breakpoint addresses (null: none, the common case). */
  private bps: Set<number> | null = null;
  /** The fault of the last run that returned R_FAULT. */
  fault: Fault | null = null;
  /** Address of the last breakpoint (INT3) stop. */
  bpAddr = 0;
  private haltRequested = false;

  constructor(cpu: Cpu) {
    this.cpu = cpu;
    const mem = cpu.mem;
    this.src = memSource(mem);
    mem.onCodeWrite = (pn) => this.invalidatePage(pn);
    mem.onProtChange = (pn) => this.invalidatePage(pn);
  }

  setHostRange(start: number, end: number): void {
    this.hostStart = start;
    this.hostEnd = end;
    this.flush();
  }

  setBreakpoints(addrs: readonly number[]): void {
    this.bps = addrs.length > 0 ? new Set(addrs) : null;
    this.flush();
  }

  /** Asks a running loop to return R_HALT at the next block boundary. */
  requestHalt(): void { this.haltRequested = true; }

  flush(): void {
    for (const b of this.blocks.values()) b.valid = false;
    this.blocks.clear();
    for (const pn of this.byPage.keys()) {
      const p = this.cpu.mem.pageAt(pn * PAGE_SIZE);
      if (p) p.code = false;
    }
    this.byPage.clear();
  }

  invalidatePage(pn: number): void {
    const l = this.byPage.get(pn);
    if (!l) return;
    this.byPage.delete(pn);
    this.cpu.smc = true;
    for (const b of l) {
      if (!b.valid) continue;
      b.valid = false;
      // The run loop may be inside this block: its remaining instructions
      // must not run from the stale decoding.
      for (const ins of b.insns) ins.h = resync;
      if (this.blocks.get(b.start) === b) this.blocks.delete(b.start);
    }
    const p = this.cpu.mem.pageAt(pn * PAGE_SIZE);
    if (p) p.code = false;
  }

  /** Decodes one instruction at addr from memory (exec permission needed). */
  decodeAt(addr: number): Insn {
    return decode(this.src, addr);
  }

  private build(start: number): Block {
    const insns: Insn[] = [];
    let a = start;
    for (;;) {
      let ins: Insn;
      try {
        ins = decode(this.src, a);
      } catch (e) {
        // The first instruction's fetch fault is the block's; later ones end it.
        if (insns.length === 0) throw e;
        break;
      }
      if (startsBlock(ins) && insns.length > 0) break;
      insns.push(ins);
      a = ins.next;
      if (endsBlock(ins) || insns.length >= MAX_BLOCK) break;
      if (a >= this.hostStart && a < this.hostEnd) break;
      if (this.bps !== null && this.bps.has(a)) break;
    }
    const pages: number[] = [];
    for (let pn = Math.floor(start / PAGE_SIZE); pn <= Math.floor((a - 1) / PAGE_SIZE); pn++) pages.push(pn);
    const b = new Block(start, a, insns, pages);
    if (this.bps !== null) b.brk = this.bps.has(start);
    for (const pn of pages) {
      let l = this.byPage.get(pn);
      if (!l) this.byPage.set(pn, (l = []));
      l.push(b);
      const p = this.cpu.mem.pageAt(pn * PAGE_SIZE);
      if (p) p.code = true;
    }
    this.blocks.set(start, b);
    return b;
  }

  /**
   * Runs at most max instructions; returns an R_* code. With onHost, a
   * block that reaches the host range calls onHost(rip) instead of
   * returning R_HOSTCALL: the host function runs there and then, and its
   * answer is how many instructions this run may still execute (0 or less:
   * return R_COUNT). The block chain is kept across the call, so the
   * return site is found through the caller's block. `breaks` false:
   * breakpoints do not stop it (a step).
   */
  run(max: number, onHost: ((rip: number) => number) | null = null, breaks = true): number {
    const c = this.cpu;
    let left = max;
    let prev: Block | null = null;
    this.haltRequested = false;
    c.stop = STOP_NONE;
    const brk = breaks && this.bps !== null;
    while (left > 0) {
      const rip = c.rip;
      if (rip >= this.hostStart && rip < this.hostEnd) {
        if (onHost === null) return R_HOSTCALL;
        left = onHost(rip);
        continue;
      }
      if (this.haltRequested) { this.haltRequested = false; return R_HALT; }
      let blk: Block | null = null;
      if (prev !== null) {
        const l1: Block | null = prev.l1;
        if (l1 !== null && l1.start === rip && l1.valid) blk = l1;
        else {
          const l2: Block | null = prev.l2;
          if (l2 !== null && l2.start === rip && l2.valid) { blk = l2; prev.l2 = l1; prev.l1 = l2; }
        }
      }
      if (blk === null) {
        blk = this.blocks.get(rip) ?? null;
        if (blk === null) {
          if (!isCanonical(rip)) {
            this.fault = { type: "gp", rip: c.ripU(), why: `general protection (#GP): RIP 0x${c.ripExact().toString(16)} is not canonical` };
            return R_FAULT;
          }
          try {
            blk = this.build(rip);
          } catch (e) {
            this.setFault(e, rip);
            return R_FAULT;
          }
        }
        if (prev !== null && prev.valid) { prev.l2 = prev.l1; prev.l1 = blk; }
      }
      if (brk && blk.brk) return R_BREAK;
      const insns = blk.insns;
      let n = insns.length;
      if (n > left) { n = left; c.rip = insns[n]!.addr; }
      else c.rip = blk.end;
      let k = 0;
      const fn = n === insns.length ? blk.fn : null;
      try {
        if (fn !== null) {
          c.smc = false;
          // Whole passes only (see fuse): it leaves RIP past what it ran, and counts it.
          left -= fn(c, left);
          n = 0;
        } else {
          for (; k < n; k++) {
            const ins = insns[k]!;
            ins.h(c, ins);
          }
          if (n === insns.length && n > 1 && ++blk.runs === HOT && blk.valid) blk.fn = fuse(blk);
        }
      } catch (e) {
        let done = k;
        if (fn !== null) { k = c.bk; done = c.bkt + k; }
        c.icount += k;
        const at = insns[k]!.addr;
        c.rip = at;
        if (e === RESYNC) {
          // This block's code was overwritten by an earlier instruction of it:
          // continue from here with a fresh decoding.
          left -= done;
          prev = null;
          continue;
        }
        c.stop = STOP_NONE;
        this.setFault(e, at);
        return R_FAULT;
      }
      c.icount += n;
      left -= n;
      if (c.stop !== STOP_NONE) {
        const s = c.stop;
        c.stop = STOP_NONE;
        if (s === STOP_SYSCALL) return R_SYSCALL;
        if (s === STOP_BREAKPOINT) { this.bpAddr = c.stopAddr; return R_BREAKPOINT; }
        if (s === STOP_HALT) return R_HALT;
      }
      prev = blk.valid ? blk : null;
    }
    return R_COUNT;
  }

  private setFault(e: unknown, at: number): void {
    this.fault = faultOf(e, at);
  }
}

/**
 * The Fault for what an instruction at `at` (signed RIP) threw: a MemFault
 * (#PF, or #GP for a non-canonical address) or a CpuFault. Anything else is
 * a bug and is rethrown.
 */
export function faultOf(e: unknown, at: number): Fault {
  const rip = unsignedAddr(at);
  if (e instanceof MemFault) {
    if (isCanonical(e.addr)) return { type: "page", addr: faultAddr(e.addr), access: e.access, rip };
    return { type: "gp", rip, why: `general protection (#GP) at 0x${rip.toString(16)}: address 0x${faultAddr(e.addr).toString(16)} is not canonical` };
  }
  if (e instanceof CpuFault) {
    if (e.type === "ud") return { type: "ud", rip, bytes: e.bytes ?? new Uint8Array(0) };
    if (e.type === "de") return { type: "de", rip };
    return { type: "gp", rip, why: e.message };
  }
  throw e;
}
