// NOTE TO ASM (from the encoder): what assembleFunction expects.
//   - `progs` is one TEXT symbol's final list, after obj6: prologue inserted,
//     FP/pseudo-SP operands rewritten (name "auto"/"param" with base SP or
//     no base is accepted too and addressed off hardware SP, as Go does),
//     MOVQ $x(SP) already turned into LEAQ, `MOVQ TLS, R` already NOPped and
//     `off(R)(TLS*1)` turned into `off(TLS)` (mem with tls: true, no base).
//     A leading TEXT prog is allowed and emits nothing; so do NOP, PCDATA and
//     FUNCDATA. ADJSP $n is accepted and becomes SUBQ/ADDQ $n, SP as span6 does.
//   - A branch to a label of the function is `{type: "branch", label}`; the
//     target is `to.target` (index into `progs`) when set, otherwise the prog
//     whose `labels` contains the label. A target index equal to
//     progs.length means "the end of the function". A branch with `sym` (and
//     no label/target) leaves the function: JMP/CALL only, rel32 + R_CALL.
//   - Go collapses chains of jumps (a branch to a JMP goes straight to that
//     JMP's final target; a branch into a JMP loop targets itself) in
//     linkpatch, BEFORE obj6's preprocess. That is not done here: call
//     collapseJumpChains(progs) on the parsed list before obj6, so that
//     branches obj6 inserts are left alone as in Go.
//   - A LOCK prefix is `lock: true` on the locked instruction (Go assembles
//     LOCK as its own one-byte instruction; the bytes are the same).
//   - Errors are thrown as AsmError with the prog's pos.
//
// Laying out a function: Go's span6, iterated. Every branch to a label
// starts short. In each pass a backward branch knows its target's pc and
// takes rel8 when the displacement reaches (>= -128), else rel32; a forward
// branch is emitted with the size it had last pass and patched when its
// target is reached, and if its rel8 cannot reach it becomes rel32 for good
// and the whole function is laid out again. Branches never shrink back, so
// the passes end. The result is Go's fixed point, which is not always the
// smallest layout (a forward branch made long in an early pass stays long
// even if later passes would let it reach), and that is the point: we want
// Go's bytes.
//
// Rejected: a one-shot "relax to minimum" layout (a different fixed point
// than Go's in rare cases) and NOP-padding of jumps (Go disables it for
// hand-written assembly, and loop alignment is off: maxLoopPad is 0).

import { AsmError, type Prog } from "../asm/prog.ts";
import { encodeProg, type Reloc } from "./encode.ts";

export interface AssembleOptions {
  /** The symbol name, for messages. */
  name?: string;
}

export interface Assembled {
  bytes: Uint8Array;
  relocs: Reloc[];
  /** pc of each prog (a prog that emits nothing has the pc of what follows). */
  pcs: number[];
}

/** span6's ADJSP rewrite: ADDQ/SUBQ $x, SP with x positive (but -0x80 is shorter than 0x80). */
function rewriteAdjsp(p: Prog): Prog {
  if (p.from.type !== "const") throw new AsmError(p.pos, "ADJSP needs a constant");
  const v = p.from.value;
  const sp = { type: "reg" as const, reg: { cls: "gpr" as const, num: 4 } };
  if (v === 0n) return { ...p, as: "NOP", from: { type: "none" }, to: { type: "none" } };
  if (v === 0x80n || (v < 0n && v !== -0x80n)) return { ...p, as: "ADDQ", from: { type: "const", value: -v }, to: sp };
  return { ...p, as: "SUBQ", from: p.from, to: sp };
}

/** Index of each branch's target prog (labels resolved), undefined for the rest. */
function branchTargets(list: Prog[]): (number | undefined)[] {
  const labelAt = new Map<string, number>();
  list.forEach((p, i) => p.labels?.forEach((l) => labelAt.set(l, i)));
  return list.map((p) => {
    const t = p.to;
    if (t.type !== "branch") return undefined;
    if (t.target !== undefined) return t.target;
    if (t.label !== undefined) {
      const i = labelAt.get(t.label);
      if (i === undefined) throw new AsmError(p.pos, `undefined label: ${t.label}`);
      return i;
    }
    return undefined; // to a symbol
  });
}

/**
 * Go's linkpatch jump-chain collapse (brloop): every branch to a JMP is
 * redirected to where the chain of JMPs ends; a branch into a loop of JMPs
 * gets no target, which span6 turns into a branch to itself. Returns new
 * progs with `to.target` set for every branch to a label.
 */
export function collapseJumpChains(progs: Prog[]): Prog[] {
  const target = branchTargets(progs);
  const final = (start: number): number | undefined => {
    let q = start;
    for (let c = 0; c < 5000; c++) {
      const t = target[q];
      if (progs[q]!.as !== "JMP" || t === undefined || t >= progs.length) return q;
      q = t;
    }
    return undefined; // a loop of JMPs
  };
  return progs.map((p, i) => {
    const t = target[i];
    if (t === undefined || p.to.type !== "branch") return p;
    const f = t < progs.length ? final(t) : t;
    return { ...p, to: { ...p.to, target: f ?? i } };
  });
}

export function assembleFunction(progs: Prog[], _opts: AssembleOptions = {}): Assembled {
  const list = progs.map((p) => (p.as === "ADJSP" ? rewriteAdjsp(p) : p));
  const n = list.length;

  const target = branchTargets(list);
  const backward = target.map((t, i) => t !== undefined && t <= i);
  const short = list.map(() => true);

  for (let pass = 0; ; pass++) {
    if (pass > 1000) throw new AsmError(list[0]?.pos ?? { file: "?", line: 0, col: 0 }, "branch layout does not converge");
    let again = false;
    const relocs: Reloc[] = [];
    const pcs: number[] = new Array<number>(n);
    const size: number[] = new Array<number>(n);
    const waiting = new Map<number, number[]>(); // target index -> forward branches
    let c = 0;
    let buf = new Uint8Array(256);
    const put = (b: Uint8Array) => {
      if (c + b.length > buf.length) {
        const nb = new Uint8Array(Math.max(buf.length * 2, c + b.length));
        nb.set(buf);
        buf = nb;
      }
      buf.set(b, c);
      c += b.length;
    };
    const land = (i: number) => {
      for (const q of waiting.get(i) ?? []) {
        const v = c - (pcs[q]! + size[q]!);
        if (short[q]) {
          if (v > 127) {
            again = true;
            short[q] = false;
          }
          buf[pcs[q]! + 1] = v & 0xff;
        } else {
          new DataView(buf.buffer).setInt32(pcs[q]! + size[q]! - 4, v, true);
        }
      }
      waiting.delete(i);
    };

    for (let i = 0; i < n; i++) {
      const p = list[i]!;
      land(i);
      pcs[i] = c;
      const t = target[i];
      let enc;
      if (t !== undefined) {
        if (t < 0 || t > n) throw new AsmError(p.pos, `branch target ${t} out of range`);
        if (backward[i]) {
          const v = pcs[t]! - (c + 2);
          if (v >= -128) {
            enc = encodeProg(p, c, { branch: { short: true, disp: v } });
          } else {
            // The long forms are 5 (E9) and 6 (0F 8x) bytes; measure, then encode.
            const len = encodeProg(p, c, { branch: { short: false, disp: 0 } }).bytes.length;
            enc = encodeProg(p, c, { branch: { short: false, disp: pcs[t]! - (c + len) } });
          }
        } else {
          let l = waiting.get(t);
          if (!l) waiting.set(t, (l = []));
          l.push(i);
          enc = encodeProg(p, c, { branch: { short: short[i]!, disp: 0 } });
        }
      } else {
        enc = encodeProg(p, c);
      }
      size[i] = enc.bytes.length;
      put(enc.bytes);
      relocs.push(...enc.relocs);
    }
    land(n);
    if (!again) {
      return { bytes: buf.slice(0, c), relocs, pcs };
    }
  }
}
