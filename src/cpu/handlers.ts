// Handler resolution: from a decoded instruction to the function that runs it.
//
// Every handler has one signature, (cpu, insn) => void. The decoder calls
// resolveHandler once per decoded instruction and stores the result in the
// Insn, so the run loop makes one indirect call per instruction and never
// inspects mnemonics or strings. The hot forms (64-bit ALU and MOV between
// registers, register/immediate, loads and stores, PUSH/POP of registers,
// JNE/JEQ) get specialised handlers; everything else goes to the family's
// generic handler, which handles every width and operand kind.
//
// The switch over ops is exhaustive: an Op added to the table without a case
// here does not compile (the `never` in the default).

import { setResolver, K_IMM, K_MEM, K_REG, type Handler, type Insn } from "./decode.ts";
import { A_ADC, A_ADD, A_AND, A_CMP, A_OR, A_SBB, A_SUB, A_TEST, A_XOR, alu64Handler, aluHandler, dec64r, inc64r, incdecHandler, neg, not } from "./alu.ts";
import { cdq, cwd, cmovcc, cmpxchg, cqo, lea, mov, mov64load, mov64rr, mov64store, movImmReg, movsx, movzx, setcc, xadd, xchg } from "./mov.ts";
import { pop, popf, popReg, push, pushf, pushReg } from "./stack.ts";
import { call, callInd, jcc, jeq, jmp, jmpInd, jne, ret } from "./control.ts";
import { shift64riHandler, shiftHandler } from "./shift.ts";
import { divHandler, imul, mulHandler } from "./mul.ts";
import { mov128, movq, xor128 } from "./sse.ts";
import {
  FA_ADD, FA_DIV, FA_MAX, FA_MIN, FA_MUL, FA_SQRT, FA_SUB, B_AND, B_ANDN, B_OR,
  arith, bitwise, cmps, comis, cvtsd2ss, cvtsi2f, cvtss2sd, cvttf2si, movsd,
} from "./float.ts";
import {
  bad, cld, cpuid, int3, intn, io, nop, priv, rdtsc, rdtscp, sgdt, sidt, sldt, smsw, std, str, syscall, ud2,
} from "./system.ts";
import { bsf, bsr, bt, btc, btr, bts } from "./bits.ts";
import { movs, stos } from "./string.ts";

const ALU_KIND: Record<string, number> = {
  add: A_ADD, or: A_OR, adc: A_ADC, sbb: A_SBB, and: A_AND, sub: A_SUB, xor: A_XOR, cmp: A_CMP, test: A_TEST,
};
const aluGeneric = new Map<number, Handler>();
const alu64 = new Map<string, Handler>();
const shifts = new Map<string, Handler>();
const shifts64 = new Map<string, Handler>();
const inc = incdecHandler(false), dec = incdecHandler(true);
const div = divHandler(false), idiv = divHandler(true);
const mul = mulHandler(false), imul1 = mulHandler(true);
const fadd = arith(FA_ADD), fsub = arith(FA_SUB), fmul = arith(FA_MUL), fdiv = arith(FA_DIV);
const fmin = arith(FA_MIN), fmax = arith(FA_MAX), fsqrt = arith(FA_SQRT);
const cvtsi2sd = cvtsi2f(8), cvtsi2ss = cvtsi2f(4), cvttsd2si = cvttf2si(8), cvttss2si = cvttf2si(4);
const andps = bitwise(B_AND), andnps = bitwise(B_ANDN), orps = bitwise(B_OR);

export function resolveHandler(i: Insn): Handler {
  const op = i.op;
  switch (op) {
    case "add": case "or": case "adc": case "sbb": case "and": case "sub": case "xor": case "cmp": case "test": {
      const k = ALU_KIND[op]!;
      if (i.size === 8 && i.dk === K_REG && (i.sk === K_REG || i.sk === K_IMM) && k !== A_ADC && k !== A_SBB) {
        const key = `${k}:${i.sk === K_IMM}`;
        let h = alu64.get(key);
        if (!h) alu64.set(key, (h = alu64Handler(k, i.sk === K_IMM)));
        return h;
      }
      let h = aluGeneric.get(k);
      if (!h) aluGeneric.set(k, (h = aluHandler(k)));
      return h;
    }
    case "inc": return i.size === 8 && i.dk === K_REG ? inc64r : inc;
    case "dec": return i.size === 8 && i.dk === K_REG ? dec64r : dec;
    case "neg": return neg;
    case "not": return not;
    case "mov":
      if (i.size === 8 && i.dk === K_REG && i.sk === K_REG) return mov64rr;
      if (i.size === 8 && i.dk === K_REG && i.sk === K_MEM) return mov64load;
      if (i.size === 8 && i.dk === K_MEM && i.sk === K_REG) return mov64store;
      if ((i.size === 8 || i.size === 4) && i.dk === K_REG && i.sk === K_IMM) return movImmReg;
      return mov;
    case "movzx": return movzx;
    case "movsx": return movsx;
    case "lea": return lea;
    case "xchg": return xchg;
    case "xadd": return xadd;
    case "cmpxchg": return cmpxchg;
    case "cmovcc": return cmovcc;
    case "setcc": return setcc;
    case "cqo": return cqo;
    case "cdq": return cdq;
    case "cwd": return cwd;
    case "push": return i.dk === K_REG ? pushReg : push;
    case "pop": return i.dk === K_REG ? popReg : pop;
    case "pushf": return pushf;
    case "popf": return popf;
    case "jcc": return i.cc === 5 ? jne : i.cc === 4 ? jeq : jcc;
    case "jmp": return i.dk === 0 ? jmp : jmpInd;
    case "call": return i.dk === 0 ? call : callInd;
    case "ret": return ret;
    case "shl": case "shr": case "sar": case "rol": case "ror": {
      if (op !== "rol" && op !== "ror" && i.size === 8 && i.dk === K_REG && i.sk === K_IMM) {
        // The count is known here: 0 (no change, no flags), below 32 or not.
        const n = i.immLo & 63;
        if (n === 0) return nop;
        const key = n < 32 ? op : op + "32";
        let h = shifts64.get(key);
        if (!h) shifts64.set(key, (h = shift64riHandler(op, n < 32)));
        return h;
      }
      let h = shifts.get(op);
      if (!h) shifts.set(op, (h = shiftHandler(op)));
      return h;
    }
    case "imul2": case "imul3": return imul;
    case "mul": return mul;
    case "imul1": return imul1;
    case "div": return div;
    case "idiv": return idiv;
    case "movups": case "movdqu": return mov128;
    case "xorps": case "pxor": return xor128;
    case "movq_x": case "movd_x": return movq;
    case "movsd": return movsd;
    case "addsd": return fadd;
    case "subsd": return fsub;
    case "mulsd": return fmul;
    case "divsd": return fdiv;
    case "minsd": return fmin;
    case "maxsd": return fmax;
    case "sqrtsd": return fsqrt;
    case "ucomisd": case "comisd": return comis;
    case "cmpsd": return cmps;
    case "cvtsi2sd": return cvtsi2sd;
    case "cvtsi2ss": return cvtsi2ss;
    case "cvttsd2si": return cvttsd2si;
    case "cvttss2si": return cvttss2si;
    case "cvtsd2ss": return cvtsd2ss;
    case "cvtss2sd": return cvtss2sd;
    case "andps": return andps;
    case "andnps": return andnps;
    case "orps": return orps;
    case "nop": case "pause": case "mfence": case "lfence": case "sfence": return nop;
    case "fninit": case "fwait": return nop;
    case "ud2": return ud2;
    case "int3": return int3;
    case "int": return intn;
    case "syscall": return syscall;
    case "cpuid": return cpuid;
    case "rdtsc": return rdtsc;
    case "rdtscp": return rdtscp;
    case "cld": return cld;
    case "std": return std;
    case "priv": return priv;
    case "io": return io;
    case "sgdt": return sgdt;
    case "sidt": return sidt;
    case "smsw": return smsw;
    case "sldt": return sldt;
    case "str": return str;
    case "bt": return bt;
    case "bts": return bts;
    case "btr": return btr;
    case "btc": return btc;
    case "bsf": return bsf;
    case "bsr": return bsr;
    case "movs": return movs;
    case "stos": return stos;
    // REP is read as a prefix of the string instruction that follows; its own row is the assembler's.
    case "rep": return bad;
    case "bad": return bad;
    default: {
      const missing: never = op;
      throw new Error(`internal: no handler for op ${String(missing)}`);
    }
  }
}

/** Ops after which the block ends: they change RIP or stop the run (or always fault). */
export function endsBlock(i: Insn): boolean {
  switch (i.op) {
    case "jcc": case "jmp": case "call": case "ret":
    case "syscall": case "int3": case "int": case "ud2": case "bad": case "priv": case "io":
    case "movs": case "stos": // they set RIP: past themselves, or back to themselves to repeat
      return true;
  }
  return false;
}

/**
 * Ops whose meaning is this virtual machine's rather than a CPU's (the
 * virtualised CPUID and TSC, Linux's answer to privileged and UMIP
 * instructions and to INT n, POPF's TF rule): an engine that runs another
 * CPU core (unicorn) must run these handlers for them instead.
 */
export const NEEDS_INTERP: ReadonlySet<string> = new Set<string>([
  "cpuid", "rdtsc", "rdtscp", "priv", "io", "sgdt", "sidt", "smsw", "sldt", "str", "popf", "int",
]);

/** Ops that must begin a block: RDTSC(P) reads cpu.icount, which is exact only at a block's start. */
export function startsBlock(i: Insn): boolean {
  return i.op === "rdtsc" || i.op === "rdtscp";
}

setResolver(resolveHandler);
