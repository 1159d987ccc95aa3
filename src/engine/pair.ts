// The lockstep engine: two engines behind one Engine interface, compared
// after every instruction they execute.
//
// Everything the layers above do to the machine (map memory, write it, set
// registers, declare the host range) is done to both; what they read comes
// from the first. run() and step() go through runLockstep, so every
// instruction of a whole program — the runtime's assembly, the program,
// every thread the kernel interleaves — is executed by both CPUs and
// compared: registers, defined flags, FS base, X registers, memory written.
// The first difference throws a LockstepDivergence carrying the report; the
// kernel, the bridge and the scheduler above never know there are two CPUs,
// which is the point: `gmpemu verify` checks exactly the run `gmpemu run`
// makes.
//
// Invariant: between instructions the two engines hold the same state, so
// reading from the first is reading from both.
//
// Host memory access (hmem) follows the same rule: reads come from the first
// engine (`a`, the interpreter when built by createEngine), writes go to
// both, so the two CPUs always see the same bytes. A write that fails on
// either (an unmapped byte) throws before either engine changed: both hold
// the same mappings, so the first engine's check speaks for the second.

import { type Engine, type EngineSnapshot, type HostMem, type RegId, type Stop } from "./engine.ts";
import { runLockstep, type Describe } from "./lockstep.ts";

export class LockstepDivergence extends Error {
  constructor(readonly report: string, readonly steps: number) {
    super(report);
  }
}

interface PairSnapshot extends EngineSnapshot {
  readonly engine: "lockstep";
  readonly a: EngineSnapshot;
  readonly b: EngineSnapshot;
}

/** HostMem over two engines: reads from `a`, writes to both. */
class PairHost implements HostMem {
  constructor(private readonly a: HostMem, private readonly b: HostMem) {}
  u8(x: number): number { return this.a.u8(x); }
  u16(x: number): number { return this.a.u16(x); }
  u32(x: number): number { return this.a.u32(x); }
  setU8(x: number, v: number): void { this.a.setU8(x, v); this.b.setU8(x, v); }
  setU16(x: number, v: number): void { this.a.setU16(x, v); this.b.setU16(x, v); }
  setU32(x: number, v: number): void { this.a.setU32(x, v); this.b.setU32(x, v); }
  word(x: number): number { return this.a.word(x); }
  setWord(x: number, v: number): void { this.a.setWord(x, v); this.b.setWord(x, v); }
  read(x: number, n: number, into?: Uint8Array): Uint8Array { return this.a.read(x, n, into); }
  write(x: number, src: Uint8Array): void { this.a.write(x, src); this.b.write(x, src); }
  fill(x: number, n: number, byte: number): void { this.a.fill(x, n, byte); this.b.fill(x, n, byte); }
  copy(dst: number, src: number, n: number): void { this.a.copy(dst, src, n); this.b.copy(dst, src, n); }
}

export class LockstepEngine implements Engine {
  readonly name = "lockstep" as const;
  /** Instructions compared so far. */
  compared = 0;
  describe: Describe | undefined;
  readonly hmem: HostMem;

  constructor(readonly a: Engine, readonly b: Engine) {
    this.hmem = new PairHost(a.hmem, b.hmem);
  }

  map(addr: number, size: number, prot: number): void { this.a.map(addr, size, prot); this.b.map(addr, size, prot); }
  unmap(addr: number, size: number): void { this.a.unmap(addr, size); this.b.unmap(addr, size); }
  protect(addr: number, size: number, prot: number): void { this.a.protect(addr, size, prot); this.b.protect(addr, size, prot); }
  read(addr: number, len: number): Uint8Array { return this.a.read(addr, len); }
  write(addr: number, bytes: Uint8Array): void { this.a.write(addr, bytes); this.b.write(addr, bytes); }
  readU64(addr: number): bigint { return this.a.readU64(addr); }
  writeU64(addr: number, v: bigint): void { this.a.writeU64(addr, v); this.b.writeU64(addr, v); }
  getReg(r: RegId): bigint { return this.a.getReg(r); }
  setReg(r: RegId, v: bigint): void { this.a.setReg(r, v); this.b.setReg(r, v); }
  getRegN(r: RegId): number { return this.a.getRegN(r); }
  setRegN(r: RegId, v: number): void { this.a.setRegN(r, v); this.b.setRegN(r, v); }
  getXmm(i: number): Uint8Array { return this.a.getXmm(i); }
  setXmm(i: number, v: Uint8Array): void { this.a.setXmm(i, v); this.b.setXmm(i, v); }
  setHostRange(start: number, end: number): void { this.a.setHostRange(start, end); this.b.setHostRange(start, end); }
  get icount(): number { return this.a.icount; }

  run(maxInsns: number): Stop {
    const opts: Parameters<typeof runLockstep>[2] = { maxSteps: maxInsns, onStop: () => false };
    if (this.describe) opts.describe = this.describe;
    const r = runLockstep(this.a, this.b, opts);
    this.compared += r.steps;
    if (r.divergence) throw new LockstepDivergence(r.divergence.report, this.compared);
    return r.stop;
  }

  step(): Stop { return this.run(1); }

  snapshot(): EngineSnapshot {
    const s: PairSnapshot = { engine: "lockstep", a: this.a.snapshot(), b: this.b.snapshot() };
    return s;
  }
  restore(s: EngineSnapshot): void {
    const p = s as PairSnapshot;
    this.a.restore(p.a);
    this.b.restore(p.b);
  }
  close(): void { this.a.close(); this.b.close(); }
}
