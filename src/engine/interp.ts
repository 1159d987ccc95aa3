// InterpEngine: the Engine interface over gmpemu's own interpreter.
//
// A thin adapter: memory calls go to src/mem, registers to the Cpu's
// register file (converted to bigint at this boundary, which is not the hot
// path), run/step to the Interpreter's block loop, whose numeric stop codes
// become Stop objects here. Snapshots copy the register file, the flags and
// every mapped page; restoring one also drops the decode cache.
//
// setHostRange replaces the previous range (one range, as its name says).
// INT3 and SYSCALL count as retired instructions; a faulting instruction
// does not; a hostcall stop retires nothing.

import { Memory, MemFault, faultAddr, type MemSnapshot } from "../mem/memory.ts";
import { Cpu } from "../cpu/cpu.ts";
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

/** A memory fault at the engine interface, as a user-facing error. */
export class EngineMemoryError extends Error {}

export class InterpEngine implements Engine {
  readonly name = "interp" as const;
  readonly mem = new Memory();
  readonly cpu = new Cpu(this.mem);
  readonly interp = new Interpreter(this.cpu);

  get icount(): number { return this.cpu.icount; }

  map(addr: number, size: number, prot: number): void { this.mem.map(addr, size, prot); }
  unmap(addr: number, size: number): void { this.mem.unmap(addr, size); }
  protect(addr: number, size: number, prot: number): void { this.mem.protect(addr, size, prot); }

  // Host-side access ignores page permissions (as uc_mem_read/write do) but
  // not mapping.
  read(addr: number, len: number): Uint8Array { return this.guard(() => this.mem.peek(addr, len)); }
  write(addr: number, bytes: Uint8Array): void { this.guard(() => this.mem.poke(addr, bytes)); }
  readU64(addr: number): bigint {
    const b = this.read(addr, 8);
    return new DataView(b.buffer).getBigUint64(0, true);
  }
  writeU64(addr: number, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.write(addr, b);
  }

  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof MemFault) throw new EngineMemoryError(`memory at 0x${faultAddr(e.addr).toString(16)} is not mapped`);
      throw e;
    }
  }

  getReg(r: RegId): bigint {
    if (r >= 0 && r < 16) return this.cpu.getReg64(r);
    switch (r) {
      case REG_RIP: return BigInt(this.cpu.rip);
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
      case REG_RIP: this.cpu.rip = Number(u); return;
      case REG_RFLAGS: this.cpu.rflags = Number(u & 0xffffffffn); return;
      case REG_FS_BASE: this.cpu.fsBase = Number(u); return;
      case REG_GS_BASE: this.cpu.gsBase = Number(u); return;
    }
    throw new RangeError(`unknown register id ${r}`);
  }

  getXmm(i: number): Uint8Array { return this.cpu.getXmm(i); }
  setXmm(i: number, v: Uint8Array): void { this.cpu.setXmm(i, v); }

  setHostRange(start: number, end: number): void { this.interp.setHostRange(start, end); }

  run(maxInsns: number): Stop {
    return this.toStop(this.interp.run(maxInsns));
  }

  step(): Stop {
    return this.toStop(this.interp.run(1));
  }

  /** Makes a run in progress (e.g. from a host callback) return {kind:"halt"}. */
  stop(): void { this.interp.requestHalt(); }

  private toStop(code: number): Stop {
    switch (code) {
      case R_COUNT: return { kind: "count" };
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
