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

import { type Engine, type EngineSnapshot, type RegId, type Stop } from "./engine.ts";
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

export class LockstepEngine implements Engine {
  readonly name = "lockstep" as const;
  /** Instructions compared so far. */
  compared = 0;
  describe: Describe | undefined;

  constructor(readonly a: Engine, readonly b: Engine) {}

  map(addr: number, size: number, prot: number): void { this.a.map(addr, size, prot); this.b.map(addr, size, prot); }
  unmap(addr: number, size: number): void { this.a.unmap(addr, size); this.b.unmap(addr, size); }
  protect(addr: number, size: number, prot: number): void { this.a.protect(addr, size, prot); this.b.protect(addr, size, prot); }
  read(addr: number, len: number): Uint8Array { return this.a.read(addr, len); }
  write(addr: number, bytes: Uint8Array): void { this.a.write(addr, bytes); this.b.write(addr, bytes); }
  readU64(addr: number): bigint { return this.a.readU64(addr); }
  writeU64(addr: number, v: bigint): void { this.a.writeU64(addr, v); this.b.writeU64(addr, v); }
  getReg(r: RegId): bigint { return this.a.getReg(r); }
  setReg(r: RegId, v: bigint): void { this.a.setReg(r, v); this.b.setReg(r, v); }
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
