// Issue 10, "privileged instructions": CLI, STI, IN/OUT, HLT, LGDT/SGDT,
// MOV to CR3, WRMSR and INVD ran silently on unicorn (which ran at CPL 0)
// where the interpreter raised SIGILL, and unicorn reported HLT as "the
// machine stopped: halt". Both engines now do what Linux does for a user
// process: #GP (SIGSEGV) for what CPL 3 may not do, Linux's UMIP emulation
// for SGDT and friends, #GP for an instruction longer than 15 bytes, FNINIT
// accepted; and the four fault types come out the same on both.
import { describe, it, expect } from "vitest";
import { createEngine, engineAvailable, type EngineName } from "../../src/engine/index.ts";
import { PROT_READ, PROT_EXEC, PROT_WRITE, REG_RFLAGS, REG_RIP, type Engine, type Stop } from "../../src/engine/engine.ts";
import { RAX, RBX, RCX, RDX, RSP } from "../../src/x86/regs.ts";
import { oracleAvailable } from "../helpers/oracles.ts";

const CODE = 0x400000, DATA = 0x500000, RO = 0x600000, STACK = 0x7f0000;
const HAVE_UNICORN = oracleAvailable("libunicorn", engineAvailable("unicorn"));
const NAMES: EngineName[] = HAVE_UNICORN ? ["interp", "unicorn", "lockstep"] : ["interp"];

function machine(name: EngineName, code: number[]): Engine {
  const e = createEngine(name);
  e.map(CODE, 0x1000, PROT_READ | PROT_EXEC);
  e.map(DATA, 0x1000, PROT_READ | PROT_WRITE);
  e.map(RO, 0x1000, PROT_READ);
  e.map(STACK, 0x1000, PROT_READ | PROT_WRITE);
  e.write(CODE, Uint8Array.from(code));
  e.setReg(RSP, BigInt(STACK + 0x800));
  e.setReg(REG_RFLAGS, 0x202n);
  e.setReg(REG_RIP, BigInt(CODE));
  e.setReg(RAX, BigInt(DATA));
  e.setReg(RBX, BigInt(DATA));
  e.setReg(RCX, 0xc0000080n);
  e.setReg(RDX, 0x60n);
  return e;
}

/** What a run ended with, in a form two engines can be compared by. */
function outcome(s: Stop): string {
  if (s.kind !== "fault") return s.kind;
  const f = s.fault;
  return f.type === "page" ? `#PF ${f.access} 0x${f.addr.toString(16)} at 0x${f.rip.toString(16)}` : `#${f.type.toUpperCase()} at 0x${f.rip.toString(16)}`;
}

function runOn(name: EngineName, code: number[], n = 10): { stop: string; rip: bigint; icount: number; rax: bigint } {
  const e = machine(name, code);
  try {
    const s = e.run(n);
    return { stop: outcome(s), rip: e.getReg(REG_RIP), icount: e.icount, rax: e.getReg(RAX) };
  } finally {
    e.close();
  }
}

const GP = `#GP at 0x${CODE.toString(16)}`;

// The brief's list, and the rest of the family (Linux: each is #GP, SIGSEGV, at CPL 3).
const PRIVILEGED: [string, number[]][] = [
  ["CLI", [0xfa]], ["STI", [0xfb]], ["HLT", [0xf4]],
  ["IN AL, DX", [0xec]], ["IN AL, 0x60", [0xe4, 0x60]], ["OUT DX, AL", [0xee]], ["OUT 0x80, EAX", [0xe7, 0x80]],
  ["INSB", [0x6c]], ["REP OUTSB", [0xf3, 0x6e]],
  ["LGDT (AX)", [0x0f, 0x01, 0x10]], ["LIDT (AX)", [0x0f, 0x01, 0x18]], ["LLDT AX", [0x0f, 0x00, 0xd0]], ["LTR AX", [0x0f, 0x00, 0xd8]],
  ["MOV CR3, RAX", [0x0f, 0x22, 0xd8]], ["MOV RAX, CR0", [0x0f, 0x20, 0xc0]], ["MOV DR7, RAX", [0x0f, 0x23, 0xf8]],
  ["WRMSR", [0x0f, 0x30]], ["RDMSR", [0x0f, 0x32]], ["RDPMC", [0x0f, 0x33]], ["INVD", [0x0f, 0x08]], ["WBINVD", [0x0f, 0x09]],
  ["CLTS", [0x0f, 0x06]], ["SWAPGS", [0x0f, 0x01, 0xf8]], ["SYSRET", [0x48, 0x0f, 0x07]], ["IRETQ", [0x48, 0xcf]],
  ["LMSW AX", [0x0f, 0x01, 0xf0]], ["INT 0x80", [0xcd, 0x80]],
];

describe("user mode as Linux has it, on both engines", () => {
  for (const name of NAMES) {
    describe(name, () => {
      it.each(PRIVILEGED)("%s is #GP at the instruction, which did not run", (_what, code) => {
        const r = runOn(name, [0x90, ...code, 0xcc]);
        expect(r.stop).toBe(`#GP at 0x${(CODE + 1).toString(16)}`);
        expect(r.rip).toBe(BigInt(CODE + 1));
        expect(r.icount).toBe(1);
        expect(r.rax).toBe(BigInt(DATA));
      });

      it("HLT is #GP, never a halt", () => {
        expect(runOn(name, [0xf4]).stop).toBe(GP);
      });

      it("SGDT and SIDT store Linux's UMIP values and go on; SMSW, SLDT, STR too", () => {
        const e = machine(name, [
          0x0f, 0x01, 0x03, // SGDT (BX)
          0x0f, 0x01, 0x4b, 0x10, // SIDT 0x10(BX)
          0x0f, 0x01, 0xe1, // SMSWL CX
          0x48, 0x0f, 0x00, 0xc2, // SLDTQ DX
          0x0f, 0x00, 0x4b, 0x20, // STRL 0x20(BX)
          0xcc,
        ]);
        try {
          e.setReg(RCX, -1n);
          e.setReg(RDX, -1n);
          expect(outcome(e.run(10))).toBe("breakpoint");
          expect([...e.read(DATA, 10)]).toEqual([0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff]);
          expect([...e.read(DATA + 0x10, 10)]).toEqual([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
          expect(e.getReg(RCX)).toBe(0xffffffff80050033n); // Linux copies 4 bytes: the upper half stays
          expect(e.getReg(RDX)).toBe(0n);
          expect([...e.read(DATA + 0x20, 2)]).toEqual([0x40, 0]);
          expect(e.icount).toBe(6);
        } finally {
          e.close();
        }
      });

      it("SGDT into a read-only page is a write fault at its operand", () => {
        const e = machine(name, [0x0f, 0x01, 0x03, 0xcc]);
        try {
          e.setReg(RBX, BigInt(RO));
          expect(outcome(e.run(10))).toBe(`#PF write 0x${RO.toString(16)} at 0x${CODE.toString(16)}`);
        } finally {
          e.close();
        }
      });

      it("an instruction longer than 15 bytes is #GP; 15 bytes are fine", () => {
        expect(runOn(name, [...new Array(15).fill(0x66), 0x90]).stop).toBe(GP);
        expect(runOn(name, [...new Array(14).fill(0x66), 0x90, 0xcc]).stop).toBe("breakpoint");
        expect(runOn(name, [...new Array(11).fill(0xf0), 0x48, 0x81, 0x00, 0, 0, 0, 1]).stop).toBe(GP);
      });

      it("FNINIT and WAIT run; other x87 instructions are #UD", () => {
        const r = runOn(name, [0xdb, 0xe3, 0x9b, 0x9b, 0xdb, 0xe3, 0xcc]);
        expect(r.stop).toBe("breakpoint");
        expect(r.icount).toBe(5);
        expect(runOn(name, [0xd9, 0xee]).stop).toBe(`#UD at 0x${CODE.toString(16)}`); // FLDZ
      });

      it("POPF cannot set TF (single-stepping is not emulated) and leaves IF and IOPL alone", () => {
        // PUSHQ $0x3100 (TF, IOPL 3, IF clear); POPFQ; PUSHFQ; POPQ CX; INT3
        const e = machine(name, [0x68, 0x00, 0x31, 0x00, 0x00, 0x9d, 0x9c, 0x59, 0xcc]);
        try {
          expect(outcome(e.run(10))).toBe("breakpoint");
          expect(e.getReg(RCX) & 0x3300n).toBe(0x200n); // IF still set, TF and IOPL clear
          expect(e.icount).toBe(5);
        } finally {
          e.close();
        }
      });
    });
  }

  it.skipIf(!HAVE_UNICORN)("each fault type comes out of both engines the same: #GP, #UD, #PF (read, write, exec), #DE", () => {
    const cases: [string, number[], string][] = [
      ["#GP", [0xfa], GP],
      ["#UD", [0x0f, 0x0b], `#UD at 0x${CODE.toString(16)}`],
      ["#UD (not in the table)", [0x0f, 0x28, 0xc1], `#UD at 0x${CODE.toString(16)}`],
      ["#PF read", [0x48, 0x8b, 0x04, 0x25, 0, 0, 0x30, 0], `#PF read 0x300000 at 0x${CODE.toString(16)}`],
      ["#PF write", [0x48, 0x89, 0x04, 0x25, 0, 0, 0x60, 0], `#PF write 0x600000 at 0x${CODE.toString(16)}`],
      ["#PF exec", [0xff, 0xe0], `#PF exec 0x${DATA.toString(16)} at 0x${DATA.toString(16)}`],
      ["#DE", [0x31, 0xc9, 0x48, 0xf7, 0xf1], `#DE at 0x${(CODE + 2).toString(16)}`],
    ];
    for (const [what, code, want] of cases) {
      const i = runOn("interp", code), u = runOn("unicorn", code);
      expect(i.stop, what).toBe(want);
      expect(u.stop, what).toBe(want);
      expect(u.icount, what).toBe(i.icount);
    }
  });
});
