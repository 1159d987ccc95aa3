// Issue 10, "RIP": a jump to 0xffffffffdeadbeef was reported as
// pc=0x-21524111 and made `verify` report a divergence between two equal
// values. RIP is unsigned on every engine, through every path (getReg,
// getRegN, the fault, setReg and back), and a jump out of user space ends
// the same way on both CPUs: #PF at a canonical kernel address, #GP at a
// non-canonical one (never "the machine stopped: halt").
import { describe, it, expect, afterEach } from "vitest";
import { createEngine, engineAvailable, type EngineName } from "../../src/engine/index.ts";
import { PROT_READ, PROT_EXEC, PROT_WRITE, REG_RFLAGS, REG_RIP, type Engine, type Stop } from "../../src/engine/engine.ts";
import { runLockstep } from "../../src/engine/lockstep.ts";
import { RAX, RSP } from "../../src/x86/regs.ts";
import { oracleAvailable } from "../helpers/oracles.ts";

const CODE = 0x400000, STACK = 0x7f0000;
const HAVE_UNICORN = oracleAvailable("libunicorn", engineAvailable("unicorn"));
const NAMES: EngineName[] = HAVE_UNICORN ? ["interp", "unicorn", "lockstep"] : ["interp"];

function machine(name: EngineName, code: number[], rax: bigint): Engine {
  const e = createEngine(name);
  e.map(CODE, 0x1000, PROT_READ | PROT_EXEC);
  e.map(STACK, 0x10000, PROT_READ | PROT_WRITE);
  e.write(CODE, Uint8Array.from(code));
  e.setReg(RAX, rax);
  e.setReg(RSP, BigInt(STACK + 0x8000));
  e.setReg(REG_RFLAGS, 0x202n);
  e.setReg(REG_RIP, BigInt(CODE));
  return e;
}

const JMP_RAX = [0xff, 0xe0];
const CALL_RAX = [0xff, 0xd0];
const RET_AFTER_PUSH = [0x50, 0xc3]; // PUSHQ AX; RET

describe("RIP is unsigned on every engine", () => {
  let e: Engine | undefined;
  afterEach(() => e?.close());

  for (const name of NAMES) {
    it(`${name}: a jump to 0xffffffffdeadbeef faults there (#PF, exec) and RIP reads back unsigned`, () => {
      e = machine(name, JMP_RAX, 0xffffffffdeadbeefn);
      const s = e.run(10);
      expect(s.kind).toBe("fault");
      const f = (s as Extract<Stop, { kind: "fault" }>).fault;
      expect(f.type).toBe("page");
      expect(f.type === "page" && f.addr).toBe(0xffffffffdeadbeefn);
      expect(f.type === "page" && f.access).toBe("exec");
      expect(f.rip).toBeGreaterThan(2 ** 63); // unsigned, never negative
      expect(e.getReg(REG_RIP)).toBe(0xffffffffdeadbeefn);
      expect(`0x${e.getReg(REG_RIP).toString(16)}`).toBe("0xffffffffdeadbeef");
      expect(e.getRegN(REG_RIP)).toBeGreaterThan(0);
      expect(e.icount).toBe(1);
    });

    for (const [what, code] of [["JMP", JMP_RAX], ["CALL", CALL_RAX], ["RET", RET_AFTER_PUSH]] as const) {
      it(`${name}: ${what} to a non-canonical address is #GP with RIP there, not a halt`, () => {
        e = machine(name, code, 0x8000_0000_dead_0000n);
        const s = e.run(10);
        expect(s.kind).toBe("fault");
        const f = (s as Extract<Stop, { kind: "fault" }>).fault;
        expect(f.type).toBe("gp");
        expect(f.rip).toBe(Number(0x8000_0000_dead_0000n));
        expect(e.getReg(REG_RIP)).toBe(0x8000_0000_dead_0000n);
      });
    }

    it(`${name}: setReg and getReg keep a kernel-half RIP exact`, () => {
      e = machine(name, JMP_RAX, 0n);
      for (const v of [0xffffffffdeadbeefn, 0xffff800000000000n, 0x7fffffffffffn]) {
        e.setReg(REG_RIP, v);
        expect(e.getReg(REG_RIP)).toBe(v);
      }
    });
  }

  describe.skipIf(!HAVE_UNICORN)("lockstep", () => {
    for (const target of [0xffffffffdeadbeefn, 0x8000_0000_dead_0000n, 0xffff_ffff_ffff_fff0n]) {
      it(`interp and unicorn agree, with no false divergence, on a jump to 0x${target.toString(16)}`, () => {
        const a = machine("interp", JMP_RAX, target), b = machine("unicorn", JMP_RAX, target);
        try {
          const r = runLockstep(a, b, { maxSteps: 10 });
          expect(r.divergence?.report).toBeUndefined();
          expect(r.stop.kind).toBe("fault");
          expect(a.getReg(REG_RIP)).toBe(b.getReg(REG_RIP));
        } finally {
          a.close();
          b.close();
        }
      });
    }
  });
});
