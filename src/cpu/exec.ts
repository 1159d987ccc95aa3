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
//     before anything there executes;
//   - the instruction budget is exact: a block longer than what is left is
//     run partially;
//   - RIP is held as the signed value of the 64-bit register, exact for
//     every canonical address. A branch to a non-canonical address leaves
//     NaN there (the exact value in cpu.ncLo/ncHi) and the fetch raises #GP
//     with RIP at that address, as QEMU (and AMD's description of x86-64)
//     does; checked only where a block is built, so the hot path pays
//     nothing. A data access outside the canonical range is #GP as well;
//   - RDTSC(P) always begins a block, so the icount it reads is exact.

import { MemFault, faultAddr, PAGE_SIZE } from "../mem/memory.ts";
import { Cpu, CpuFault, STOP_BREAKPOINT, STOP_HALT, STOP_NONE, STOP_SYSCALL } from "./cpu.ts";
import { decode, memSource, type ByteSource, type Insn } from "./decode.ts";
import { endsBlock, startsBlock } from "./handlers.ts";
import { isCanonical, unsignedAddr, type Fault } from "./fault.ts";

export const R_COUNT = 0, R_HOSTCALL = 1, R_SYSCALL = 2, R_BREAKPOINT = 3, R_FAULT = 4, R_HALT = 5;

const MAX_BLOCK = 64;

/** Thrown by the handler of an instruction whose decoding went stale. */
const RESYNC = { resync: true };
function resync(): void { throw RESYNC; }

export class Block {
  valid = true;
  l1: Block | null = null;
  l2: Block | null = null;
  constructor(readonly start: number, readonly end: number, readonly insns: Insn[], readonly pages: number[]) {}
}

export class Interpreter {
  readonly cpu: Cpu;
  private blocks = new Map<number, Block>();
  private byPage = new Map<number, Block[]>();
  private src: ByteSource;
  hostStart = 0;
  hostEnd = 0;
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
    }
    const pages: number[] = [];
    for (let pn = Math.floor(start / PAGE_SIZE); pn <= Math.floor((a - 1) / PAGE_SIZE); pn++) pages.push(pn);
    const b = new Block(start, a, insns, pages);
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
   * return site is found through the caller's block.
   */
  run(max: number, onHost: ((rip: number) => number) | null = null): number {
    const c = this.cpu;
    let left = max;
    let prev: Block | null = null;
    this.haltRequested = false;
    c.stop = STOP_NONE;
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
      const insns = blk.insns;
      let n = insns.length;
      if (n > left) { n = left; c.rip = insns[n]!.addr; }
      else c.rip = blk.end;
      let k = 0;
      try {
        for (; k < n; k++) {
          const ins = insns[k]!;
          ins.h(c, ins);
        }
      } catch (e) {
        c.icount += k;
        const at = insns[k]!.addr;
        c.rip = at;
        if (e === RESYNC) {
          // This block's code was overwritten by an earlier instruction of it:
          // continue from here with a fresh decoding.
          left -= k;
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
