// InterpEngine: the Engine interface over gmpemu's own interpreter.
//
// A thin adapter: memory calls go to src/mem (hmem is the Memory's
// HostView), registers to the Cpu's register file (as bigint for
// getReg/setReg, as numbers for getRegN/setRegN), run/step to the
// Interpreter's block loop, whose numeric stop codes become Stop objects
// here. Snapshots copy the register file, the flags and every mapped page;
// restoring one also drops the decode cache.
//
// RIP is held by the Cpu as the signed value of the 64-bit register (every
// canonical address is then exact in a double: [-2^47, 2^47)); this layer
// turns it into the unsigned value callers see.
//
// setHostRange replaces the previous range (one range, as its name says).
// INT3 and SYSCALL count as retired instructions; a faulting instruction
// does not; a hostcall stop retires nothing.

import { Memory, type MemSnapshot } from "../mem/memory.ts";
import { EngineMemoryError, type HostMem } from "../mem/hostmem.ts";
import { Cpu, RFLAGS_SETTABLE } from "../cpu/cpu.ts";
import { Interpreter, R_BREAKPOINT, R_COUNT, R_FAULT, R_HALT, R_HOSTCALL, R_SYSCALL } from "../cpu/exec.ts";
import {
  REG_FS_BASE, REG_GS_BASE, REG_RFLAGS, REG_RIP,
  type Engine, type EngineSnapshot, type RegId, type Stop,
} from "./engine.ts";

interface InterpSnapshot extends EngineSnapshot {
  readonly engine: "interp";
  readonly r: Int32Array;
  readonly x: Int32Array;
  readonly rip: number;
  readonly rflags: number;
  readonly fs: number;
  readonly gs: number;
  readonly mem: MemSnapshot;
  readonly icount: number;
}

export { EngineMemoryError };

const TWO32 = 4294967296;
const MAX_N = Number.MAX_SAFE_INTEGER;

/**
 * The setRegN contract is a non-negative integer below 2^53; callers test
 * it inline (`v >= 0 && v <= MAX_REGN && Math.floor(v) === v`) and call this
 * only when it fails. (Passing v to a checking function instead boxes it as
 * a heap number on every call once the optimizer has seen a double there.)
 */
export function badRegN(r: RegId, v: number): never {
  throw new RangeError(`setRegN: register ${r}: ${v} is not an integer in [0, 2^53)`);
}
export const MAX_REGN = MAX_N;

/** Stops without a payload are shared (callers only read them). */
const STOP_COUNT: Stop = { kind: "count" };

export class InterpEngine implements Engine {
  readonly name = "interp" as const;
  readonly mem = new Memory();
  readonly cpu = new Cpu(this.mem);
  readonly interp = new Interpreter(this.cpu);
  readonly hmem: HostMem = this.mem.host;

  get icount(): number { return this.cpu.icount; }

  map(addr: number, size: number, prot: number): void { this.mem.map(addr, size, prot); }
  unmap(addr: number, size: number): void { this.mem.unmap(addr, size); }
  protect(addr: number, size: number, prot: number): void { this.mem.protect(addr, size, prot); }

  // Host-side access ignores page permissions (as uc_mem_read/write do) but
  // not mapping: hmem throws EngineMemoryError for an unmapped byte.
  read(addr: number, len: number): Uint8Array { return this.hmem.read(addr, len); }
  write(addr: number, bytes: Uint8Array): void { this.hmem.write(addr, bytes); }
  readU64(addr: number): bigint {
    const lo = this.hmem.u32(addr), hi = this.hmem.u32(addr + 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  writeU64(addr: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.hmem.u32(addr + 4); // both words mapped before either is written
    this.hmem.setU32(addr, Number(u & 0xffffffffn));
    this.hmem.setU32(addr + 4, Number(u >> 32n));
  }

  getReg(r: RegId): bigint {
    if (r >= 0 && r < 16) return this.cpu.getReg64(r);
    switch (r) {
      case REG_RIP: return this.cpu.ripExact();
      case REG_RFLAGS: return BigInt(this.cpu.rflags);
      case REG_FS_BASE: return BigInt(this.cpu.fsBase);
      case REG_GS_BASE: return BigInt(this.cpu.gsBase);
    }
    throw new RangeError(`unknown register id ${r}`);
  }

  setReg(r: RegId, v: bigint): void {
    if (r >= 0 && r < 16) { this.cpu.setReg64(r, v); return; }
    const u = BigInt.asUintN(64, v);
    switch (r) {
      // Signed: exact for every canonical address (see the essay).
      case REG_RIP: this.cpu.setRip64(Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0); return;
      case REG_RFLAGS: this.cpu.rflags = Number(u & 0xffffffffn) & RFLAGS_SETTABLE; return;
      case REG_FS_BASE: this.cpu.fsBase = Number(u); return;
      case REG_GS_BASE: this.cpu.gsBase = Number(u); return;
    }
    throw new RangeError(`unknown register id ${r}`);
  }

  getRegN(r: RegId): number {
    const c = this.cpu;
    if (r >= 0 && r < 16) return (c.r[2 * r + 1]! >>> 0) * TWO32 + (c.r[2 * r]! >>> 0);
    switch (r) {
      case REG_RIP: return c.ripU();
      case REG_RFLAGS: return c.rflags;
      case REG_FS_BASE: return c.fsBase;
      case REG_GS_BASE: return c.gsBase;
    }
    throw new RangeError(`unknown register id ${r}`);
  }

  setRegN(r: RegId, v: number): void {
    if (!(v >= 0 && v <= MAX_N && Math.floor(v) === v)) badRegN(r, v);
    const c = this.cpu;
    if (r >= 0 && r < 16) {
      // Integer steps only (see UnicornEngine.setRegN).
      const lo = v >>> 0; // exact mod 2^32 below 2^53, without a call for a double %
      c.r[2 * r] = lo | 0;
      c.r[2 * r + 1] = ((v - lo) / TWO32) | 0;
      return;
    }
    switch (r) {
      case REG_RIP: c.rip = v; return;
      case REG_RFLAGS: c.rflags = (v % TWO32) & RFLAGS_SETTABLE; return;
      case REG_FS_BASE: c.fsBase = v; return;
      case REG_GS_BASE: c.gsBase = v; return;
    }
    throw new RangeError(`unknown register id ${r}`);
  }

  getXmm(i: number): Uint8Array { return this.cpu.getXmm(i); }
  setXmm(i: number, v: Uint8Array): void { this.cpu.setXmm(i, v); }

  setHostRange(start: number, end: number): void { this.interp.setHostRange(start, end); }

  run(maxInsns: number): Stop {
    return this.toStop(this.interp.run(maxInsns));
  }

  runHosted(maxInsns: number, onHost: (rip: number) => number): Stop {
    return this.toStop(this.interp.run(maxInsns, onHost));
  }

  step(): Stop {
    return this.toStop(this.interp.run(1));
  }

  /** Makes a run in progress (e.g. from a host callback) return {kind:"halt"}. */
  stop(): void { this.interp.requestHalt(); }

  private toStop(code: number): Stop {
    switch (code) {
      case R_COUNT: return STOP_COUNT;
      case R_HOSTCALL: return { kind: "hostcall", addr: this.cpu.rip };
      case R_SYSCALL: return { kind: "syscall" };
      case R_BREAKPOINT: return { kind: "breakpoint", addr: this.interp.bpAddr };
      case R_FAULT: return { kind: "fault", fault: this.interp.fault! };
      case R_HALT: return { kind: "halt" };
    }
    throw new Error(`internal: unknown stop code ${code}`);
  }

  snapshot(): EngineSnapshot {
    const c = this.cpu;
    const s: InterpSnapshot = {
      engine: "interp", r: c.r.slice(), x: c.x.slice(), rip: c.rip, rflags: c.rflags,
      fs: c.fsBase, gs: c.gsBase, mem: this.mem.snapshot(), icount: c.icount,
    };
    return s;
  }

  restore(snap: EngineSnapshot): void {
    if (snap.engine !== "interp") throw new Error(`cannot restore a ${snap.engine} snapshot into the interp engine`);
    const s = snap as InterpSnapshot;
    const c = this.cpu;
    this.interp.flush();
    this.mem.restore(s.mem);
    c.r.set(s.r); c.x.set(s.x);
    c.rip = s.rip; c.rflags = s.rflags; c.fsBase = s.fs; c.gsBase = s.gs; c.icount = s.icount;
  }

  close(): void { /* nothing native to free */ }
}
