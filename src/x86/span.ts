// Laying out a function: Go's span6, iterated. The input is one TEXT
// symbol's instructions as src/x86/inst.ts describes them (every branch to
// an instruction of the function carries its target index; a branch
// without one is an EncodeError, never guessed). Every branch to a label
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
// Cost: a pass walks the whole function, and a chain of overlapping
// branches, each pushed out of reach by the next one's growth, needs a pass
// per branch. Only branches are encoded again in each pass (the bytes of the
// rest do not depend on where they land: they are encoded once, and their
// relocations moved). Go gives up after 1,000 passes ("span must be
// looping"), and so do we; a caller with untrusted input also bounds passes
// times instructions (maxWork).
//
// Rejected: a one-shot "relax to minimum" layout (a different fixed point
// than Go's in rare cases) and NOP-padding of jumps (Go disables it for
// hand-written assembly, and loop alignment is off: maxLoopPad is 0).

import { encodeProg, type Encoded, type Reloc } from "./encode.ts";
import { EncodeError, type EncodeWarning, type Inst } from "./inst.ts";

export interface AssembleOptions {
  /** The symbol name, for messages. */
  name?: string;
  /**
   * Passes times instructions before the layout gives up (default: no bound
   * but Go's 1,000 passes). A caller with untrusted input bounds its time.
   */
  maxWork?: number;
}

export interface Assembled {
  bytes: Uint8Array;
  relocs: Reloc[];
  /** pc of each instruction (one that emits nothing has the pc of what follows). */
  pcs: number[];
  /** Lossy encodings Go accepts (see encode.ts), each once. */
  warnings: EncodeWarning[];
}

/** span6's ADJSP rewrite: ADDQ/SUBQ $x, SP with x positive (but -0x80 is shorter than 0x80). */
function rewriteAdjsp(p: Inst): Inst {
  if (p.from.type !== "const") throw new EncodeError(p.pos, "ADJSP needs a constant");
  const v = p.from.value;
  const sp = { type: "reg" as const, reg: { cls: "gpr" as const, num: 4 } };
  if (v === 0n) return { ...p, as: "NOP", from: { type: "none" }, to: { type: "none" } };
  if (v === 0x80n || (v < 0n && v !== -0x80n)) return { ...p, as: "ADDQ", from: { type: "const", value: -v }, to: sp };
  return { ...p, as: "SUBQ", from: p.from, to: sp };
}

/** Index of each branch's target instruction; undefined for the rest (and branches to symbols). */
function branchTargets(list: readonly Inst[]): (number | undefined)[] {
  return list.map((p) => {
    const t = p.to;
    if (t.type !== "branch" || t.sym !== undefined && t.target === undefined) return undefined;
    if (t.target === undefined) throw new EncodeError(p.pos, `branch ${t.label ?? ""} has no target: resolve labels before layout`);
    return t.target;
  });
}

export function assembleFunction(progs: readonly Inst[], opts: AssembleOptions = {}): Assembled {
  const list = progs.map((p) => (p.as === "ADJSP" ? rewriteAdjsp(p) : p));
  const n = list.length;

  const target = branchTargets(list);
  const backward = target.map((t, i) => t !== undefined && t <= i);
  const short = list.map(() => true);
  const fixed: (Encoded | undefined)[] = new Array<Encoded | undefined>(n);

  for (let pass = 0; ; pass++) {
    const at = list[0]?.pos ?? { file: "?", line: 0, col: 0 };
    // Go's bound, and Go's words.
    if (pass >= 1000) throw new EncodeError(at, "span must be looping: the branch layout did not settle in 1000 passes");
    if (opts.maxWork !== undefined && pass * n > opts.maxWork) {
      throw new EncodeError(at, `branch layout did not settle in ${pass} passes over ${n} instructions (a bound of ${opts.maxWork} encodings)`);
    }
    let again = false;
    const relocs: Reloc[] = [];
    const warnings: EncodeWarning[] = [];
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
      let enc: Encoded;
      if (t !== undefined) {
        if (t < 0 || t > n) throw new EncodeError(p.pos, `branch target ${t} out of range`);
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
        // Only a branch's bytes depend on the layout: the rest are encoded
        // once, at offset 0, and their relocations moved to where they land.
        enc = fixed[i] ??= encodeProg(p, 0);
      }
      if (t === undefined) for (const r of enc.relocs) relocs.push(c === 0 ? r : { ...r, offset: r.offset + c });
      else for (const r of enc.relocs) relocs.push(r);
      size[i] = enc.bytes.length;
      put(enc.bytes);
      if (enc.warnings) for (const w of enc.warnings) warnings.push(w);
    }
    land(n);
    if (!again) {
      return { bytes: buf.slice(0, c), relocs, pcs, warnings };
    }
  }
}
