// obj6: the rewrites Go's cmd/internal/obj/x86/obj6.go makes to a function
// between parsing and encoding, for linux/amd64 (not -shared, not -dynlink).
//
// What it hands the encoder's layout (assembleFunction) is the list that
// src/x86/inst.ts types: progs[0] the TEXT, every branch inside the function
// with its `target` index (labels resolved here; a target may be a zero-byte
// NOP, whose pc is the next instruction's), pseudo-FP/SP operands rewritten
// to SP offsets, off(TLS) in its one-instruction form, ADJSP left for the
// layout to lower as span6 does, PCDATA/FUNCDATA removed.
//
// What it does, in Go's order:
//   1. progedit on every prog: off(r)(TLS*1) becomes off(TLS) (the
//      one-instruction TLS form linux/amd64 always uses); MOVQ/MOVL of an
//      address ($sym(SB), $x+0(FP)) becomes LEAQ/LEAL; RET sym(SB) becomes
//      a tail JMP after the epilogue.
//   2. The frame: the declared size, plus 8 for the saved BP unless the
//      function is NOFRAME, or frameless and NOSPLIT, or frameless and makes
//      no CALL (Go's three exclusions). It must be a multiple of 8.
//   3. Leaf functions: a frame under StackSmall (128) with no CALL (calls to
//      the zero-argument runtime panics count as no call when the frame is
//      small enough) is marked NOSPLIT — no stack check.
//   4. The stack-split check (unless NOSPLIT): load g (MOVQ (TLS), R14 for
//      ABI0; ABIInternal already has g in R14), compare SP (frame ≤ 128),
//      SP-(frame-128) (≤ 4096) or, guarding against wrap-around, SP minus
//      (frame-128) with a JCS (larger) against g.stackguard0 at 16(R14), JLS
//      to a trailer at the end: CALL runtime·morestack_noctxt (or
//      runtime·morestack for NEEDCTXT), then JMP back to the first prologue
//      instruction.
//   5. SUBQ $frame, SP; MOVQ BP, frame-8(SP); LEAQ frame-8(SP), BP.
//   6. WRAPPER: the g._panic.argp fix-up, as Go emits it.
//   7. Every name+off(FP) and name-off(SP) becomes an SP offset, following
//      PUSHQ/POPQ; each RET gets the epilogue (MOVQ frame-8(SP), BP; ADDQ
//      $frame, SP) and unbalanced PUSH/POP at a RET is an error.
//
// Invariants: a label stays on the first prog of whatever its statement
// became (a labelled RET's label lands on the epilogue's MOVQ, as in Go where
// the RET prog itself is rewritten in place). Nothing here chooses encodings.
//
// Rejected: emitting bytes for the prologue directly. Go inserts Progs, and
// so do we, so the encoder's choices (short JLS, disp8 forms) are Go's.

import { AsmError, TEXTFLAG } from "./prog.ts";
import type { Addr, MemAddr, Prog } from "./prog.ts";
import type { Reg } from "../x86/regs.ts";

export const StackSmall = 128;
export const StackBig = 4096;
/** g.stackguard0 and g._panic offsets (Go 1.19, amd64). */
const G_STACKGUARD0 = 16n;
const G_PANIC = 32n;

const SP: Reg = { cls: "gpr", num: 4 };
const BP: Reg = { cls: "gpr", num: 5 };
const R12: Reg = { cls: "gpr", num: 12 }; // REGENTRYTMP0
const R13: Reg = { cls: "gpr", num: 13 }; // REGENTRYTMP1
const R14: Reg = { cls: "gpr", num: 14 }; // REGG

export interface Obj6Result {
  progs: Prog[];
  errors: AsmError[];
  /** The frame size after BP accounting (Go's Locals). */
  frame: number;
  /** Whether the function got a stack-split check. */
  split: boolean;
}

const none: Addr = { type: "none" };
const reg = (r: Reg): Addr => ({ type: "reg", reg: r });
const cnst = (v: number | bigint): Addr => ({ type: "const", value: BigInt(v) });
const mem = (base: Reg, off: number | bigint): MemAddr => ({ type: "mem", name: "none", base, offset: BigInt(off), scale: 1 });

/** The TLS-relative g slot: 0(TLS). */
const tlsG = (): MemAddr => ({ type: "mem", name: "none", offset: 0n, scale: 1, tls: true });

function isZeroArgRuntimeCall(sym: string | undefined): boolean {
  if (sym === undefined) return false;
  if (sym === "runtime.panicdivide" || sym === "runtime.panicwrap" || sym === "runtime.panicshift") return true;
  return sym.startsWith("runtime.panicIndex") || sym.startsWith("runtime.panicSlice");
}

/** progedit: the per-instruction rewrites. */
function progedit(p: Prog): void {
  for (const a of [p.from, p.to, p.from3]) {
    if (a?.type === "mem" && a.tls && a.base !== undefined) {
      // off(r)(TLS*1) → off(TLS)
      delete a.base;
      delete a.index;
      a.scale = 1;
    }
  }
  if (p.from.type === "addr" && (p.as === "MOVQ" || p.as === "MOVL")) {
    p.as = p.as === "MOVQ" ? "LEAQ" : "LEAL";
    p.from = p.from.mem;
  }
  if ((p.as === "CALL" || p.as === "JMP" || p.as === "RET") && p.to.type === "mem" &&
      (p.to.name === "extern" || p.to.name === "static") && p.to.sym !== undefined && p.to.index === undefined && p.to.base === undefined) {
    p.to = { type: "branch", sym: p.to.sym, offset: p.to.offset };
  }
}

/**
 * Rewrites one function (progs[0] is its TEXT) as Go's preprocess does.
 * The input progs are not modified.
 */
export function preprocess(input: Prog[]): Obj6Result {
  const errors: AsmError[] = [];
  const text = input[0]!;
  if (text.as !== "TEXT" || text.to.type !== "textsize") throw new Error("obj6: progs[0] must be TEXT");
  const flags = text.flags ?? 0;
  const abi = text.abi ?? "ABI0";
  // Deep-copy: obj6 edits operands in place.
  let body: Prog[] = input.slice(1).map(cloneProg);
  // PCDATA/FUNCDATA emit nothing; drop them, moving their labels on.
  {
    const kept: Prog[] = [];
    let carry: string[] = [];
    for (const p of body) {
      if (p.as === "PCDATA" || p.as === "FUNCDATA") { for (const l of p.labels ?? []) carry.push(l); continue; }
      if (carry.length) { p.labels = [...carry, ...(p.labels ?? [])]; carry = []; }
      kept.push(p);
    }
    body = kept;
  }
  for (const p of body) progedit(p);

  const textOut: Prog = cloneProg(text);
  let autoffset = Number(text.to.frame);
  if (autoffset < 0) autoffset = 0;
  // A TEXT with no instructions gets no prologue at all (Go skips it).
  if (input.length === 1) return { progs: [textOut], errors, frame: autoffset, split: false };

  const hasCall = body.some((p) => p.as === "CALL");
  let nosplit = (flags & TEXTFLAG.NOSPLIT) !== 0;
  const noframe = (flags & TEXTFLAG.NOFRAME) !== 0;
  const wrapper = (flags & TEXTFLAG.WRAPPER) !== 0;
  const needctxt = (flags & TEXTFLAG.NEEDCTXT) !== 0;

  let bpsize = 0;
  if (!noframe && !(autoffset === 0 && nosplit) && !(autoffset === 0 && !hasCall)) {
    bpsize = 8;
    autoffset += bpsize;
  }

  if (autoffset < StackSmall && !nosplit) {
    let leaf = true;
    for (const q of body) {
      if (q.as !== "CALL") continue;
      const sym = q.to.type === "branch" ? q.to.sym : undefined;
      if (!isZeroArgRuntimeCall(sym) || autoffset >= StackSmall - 8) { leaf = false; break; }
    }
    if (leaf) nosplit = true;
  }

  const at = (p: Partial<Prog> & Pick<Prog, "as">): Prog => ({ from: none, to: none, pos: text.pos, ...p });
  const prologue: Prog[] = [];
  const trailer: Prog[] = [];
  /** Branches to fix up once the final list exists: prog → target prog. */
  const targets = new Map<Prog, Prog>();
  let split = false;
  let regg = R14;

  const loadG = (): void => {
    if (abi === "ABIInternal") { regg = R14; return; }
    prologue.push(at({ as: "MOVQ", from: tlsG(), to: reg(R14) }));
    regg = R14;
  };

  if (!nosplit) {
    split = true;
    const startLen = prologue.length;
    loadG();
    const guard = (): MemAddr => mem(regg, G_STACKGUARD0);
    let jcs: Prog | undefined;
    if (autoffset <= StackSmall) {
      prologue.push(at({ as: "CMPQ", from: reg(SP), to: guard() }));
    } else if (autoffset <= StackBig) {
      prologue.push(at({ as: "LEAQ", from: mem(SP, -(autoffset - StackSmall)), to: reg(R12) }));
      prologue.push(at({ as: "CMPQ", from: reg(R12), to: guard() }));
    } else {
      prologue.push(at({ as: "MOVQ", from: reg(SP), to: reg(R12) }));
      prologue.push(at({ as: "SUBQ", from: cnst(autoffset - StackSmall), to: reg(R12) }));
      jcs = at({ as: "JCS", to: { type: "branch", offset: 0n } });
      prologue.push(jcs);
      prologue.push(at({ as: "CMPQ", from: reg(R12), to: guard() }));
    }
    const jls = at({ as: "JLS", to: { type: "branch", offset: 0n } });
    prologue.push(jls);
    const spfix = at({ as: "NOP" });
    const call = at({ as: "CALL", to: { type: "branch", sym: needctxt ? "runtime.morestack" : "runtime.morestack_noctxt", offset: 0n } });
    const jmp = at({ as: "JMP", to: { type: "branch", offset: 0n } });
    trailer.push(spfix, call, jmp);
    targets.set(jls, spfix);
    if (jcs) targets.set(jcs, spfix);
    // Back to the first instruction after TEXT (the g load or the compare).
    targets.set(jmp, prologue[startLen]!);
  } else if (wrapper) {
    loadG();
  }

  if (autoffset !== 0) {
    if (autoffset % 8 !== 0) errors.push(new AsmError(text.pos, `unaligned stack size ${autoffset}`));
    prologue.push(at({ as: "ADJSP", from: cnst(autoffset) }));
  }
  if (bpsize > 0) {
    prologue.push(at({ as: "MOVQ", from: reg(BP), to: mem(SP, autoffset - bpsize) }));
    prologue.push(at({ as: "LEAQ", from: mem(SP, autoffset - bpsize), to: reg(BP) }));
  }

  let wrapperTail: Prog[] = [];
  if (wrapper) {
    // if g._panic != nil && g._panic.argp == FP { g._panic.argp = bottom-of-frame }
    const jne = at({ as: "JNE", to: { type: "branch", offset: 0n } });
    const end = at({ as: "NOP" });
    prologue.push(
      at({ as: "MOVQ", from: mem(regg, G_PANIC), to: reg(R12) }),
      at({ as: "TESTQ", from: reg(R12), to: reg(R12) }),
      jne,
      end,
    );
    const lea = at({ as: "LEAQ", from: mem(SP, autoffset + 8), to: reg(R13) });
    const jne2 = at({ as: "JNE", to: { type: "branch", offset: 0n } });
    const jmpEnd = at({ as: "JMP", to: { type: "branch", offset: 0n } });
    wrapperTail = [
      lea,
      at({ as: "CMPQ", from: mem(R12, 0), to: reg(R13) }),
      jne2,
      at({ as: "MOVQ", from: reg(SP), to: mem(R12, 0) }),
      jmpEnd,
    ];
    targets.set(jne, lea);
    targets.set(jne2, end);
    targets.set(jmpEnd, end);
  }

  // The whole list in Go's order: TEXT, prologue, body, morestack trailer, wrapper tail.
  const all: Prog[] = [textOut, ...prologue, ...body, ...trailer, ...wrapperTail];

  // Pass 7: pseudo-register offsets, SP tracking, epilogues.
  const out: Prog[] = [];
  let deltasp = 0;
  const fix = (a: Addr | undefined): void => {
    const m = a?.type === "mem" ? a : a?.type === "addr" ? a.mem : undefined;
    if (!m) return;
    if (m.name === "auto") {
      m.offset += BigInt(deltasp - bpsize);
      m.name = "none";
      m.base = SP;
    } else if (m.name === "param") {
      m.offset += BigInt(deltasp + 8);
      m.name = "none";
      m.base = SP;
    }
  };
  for (const p of all) {
    fix(p.from);
    fix(p.from3);
    fix(p.to);
    switch (p.as) {
      case "PUSHQ": case "PUSHFQ": deltasp += 8; out.push(p); continue;
      case "PUSHL": case "PUSHFL": deltasp += 4; out.push(p); continue;
      case "PUSHW": case "PUSHFW": deltasp += 2; out.push(p); continue;
      case "POPQ": case "POPFQ": deltasp -= 8; out.push(p); continue;
      case "POPL": case "POPFL": deltasp -= 4; out.push(p); continue;
      case "POPW": case "POPFW": deltasp -= 2; out.push(p); continue;
      case "ADJSP": deltasp += Number((p.from as { value: bigint }).value); out.push(p); continue;
      case "RET": break;
      default: out.push(p); continue;
    }
    if (autoffset !== deltasp) errors.push(new AsmError(p.pos, `unbalanced PUSH/POP: ${deltasp - autoffset} bytes left on the stack at RET`));
    let last = p;
    if (autoffset !== 0) {
      const to = p.to;
      const labels = p.labels;
      const seq: Prog[] = [];
      if (bpsize > 0) seq.push({ as: "MOVQ", from: mem(SP, autoffset - bpsize), to: reg(BP), pos: p.pos });
      seq.push({ as: "ADJSP", from: cnst(-autoffset), to: none, pos: p.pos });
      last = { as: "RET", from: none, to, pos: p.pos };
      seq.push(last);
      if (labels) seq[0]!.labels = labels;
      // A branch that targeted the RET prog itself now lands on the epilogue's start.
      for (const [b, t] of targets) if (t === p) targets.set(b, seq[0]!);
      out.push(...seq);
    } else {
      out.push(p);
    }
    if (last.to.type === "branch" && last.to.sym !== undefined) last.as = "JMP"; // retjmp
  }

  // Resolve branches to indices: labels from the source, and the prologue's own.
  const index = new Map<Prog, number>();
  out.forEach((p, i) => index.set(p, i));
  const labelIndex = new Map<string, number>();
  out.forEach((p, i) => { for (const l of p.labels ?? []) if (!labelIndex.has(l)) labelIndex.set(l, i); });
  for (const p of out) {
    if (p.to.type !== "branch") continue;
    const t = targets.get(p);
    if (t !== undefined) { p.to = { ...p.to, target: index.get(t)! }; continue; }
    if (p.to.label !== undefined) {
      const i = labelIndex.get(p.to.label);
      if (i === undefined) {
        errors.push(new AsmError(p.pos, `undefined label ${p.to.label}`));
        continue;
      }
      p.to = { ...p.to, target: i };
    }
  }
  return { progs: out, errors, frame: autoffset, split };
}

function cloneAddr(a: Addr): Addr {
  switch (a.type) {
    case "mem": return { ...a };
    case "addr": return { type: "addr", mem: { ...a.mem } };
    default: return { ...a };
  }
}

export function cloneProg(p: Prog): Prog {
  const q: Prog = { ...p, from: cloneAddr(p.from), to: cloneAddr(p.to) };
  if (p.from3) q.from3 = cloneAddr(p.from3);
  if (p.labels) q.labels = [...p.labels];
  return q;
}
