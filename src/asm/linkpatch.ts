// Go's linkpatch jump-chain collapse (cmd/internal/obj/pass.go, brloop),
// which runs before obj6: every branch to a JMP is redirected to where the
// chain of JMPs ends, and a branch into a loop of JMPs gets itself as its
// target (span6 then encodes a branch to itself). It works on the parsed
// Progs, whose branches name labels; the result carries `to.target` (an
// index into the list) for every branch to a label, as the encoder's layout
// wants (src/x86/inst.ts).
//
// Go rewrites the targets in place, in program order, so a branch later in
// the function sees the collapsed targets of the JMPs before it (and a JMP
// that brloop gave up on stops a later chain at itself); we do the same, on
// an array of target indices. Each chain is followed at most CHAIN_LIMIT
// JMPs, as Go's brloop gives up (a longer chain counts as a loop), so the
// work is at most CHAIN_LIMIT steps per branch, in a loop over integers.
//
// Invariants: the input is not modified.

import { AsmError, type Prog } from "./prog.ts";

/** Go's brloop follows at most this many JMPs. */
const CHAIN_LIMIT = 5000;

/** Index of each branch's target prog (labels resolved), undefined for the rest. */
export function branchTargets(list: readonly Prog[]): (number | undefined)[] {
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

/** Returns new progs with `to.target` set for every branch to a label, chains of JMPs collapsed. */
export function collapseJumpChains(progs: readonly Prog[]): Prog[] {
  const n = progs.length;
  const NONE = -1, GAVE_UP = -2;
  // cur[i]: the target of prog i as linkpatch's loop has left it so far.
  const cur = new Int32Array(n).fill(NONE);
  const isJmp = new Uint8Array(n);
  branchTargets(progs).forEach((t, i) => { if (t !== undefined) cur[i] = t; });
  progs.forEach((p, i) => { if (p.as === "JMP") isJmp[i] = 1; });
  /** brloop from q: where its chain of JMPs ends, or GAVE_UP. */
  const brloop = (start: number): number => {
    let q = start;
    for (let c = 0; ; ) {
      // The function's end, a non-JMP, or a JMP without a target ends it.
      if (q >= n || !isJmp[q] || cur[q]! < 0) return q;
      if (++c >= CHAIN_LIMIT) return GAVE_UP;
      q = cur[q]!;
    }
  };
  for (let i = 0; i < n; i++) {
    if (cur[i]! >= 0) cur[i] = brloop(cur[i]!);
  }
  return progs.map((p, i) => {
    const t = cur[i]!;
    if (t === NONE || p.to.type !== "branch") return p;
    // A branch brloop gave up on targets itself, as span6 makes it.
    return { ...p, to: { ...p.to, target: t === GAVE_UP ? i : t } };
  });
}
