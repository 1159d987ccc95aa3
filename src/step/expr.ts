// What the stepper's commands name: registers, goroutine fields and
// addresses, as a gdb user or a Go assembly reader spells them.
//
// Registers. `$rsp`, `$sp`, `$SP` and `$RSP` are the same register: the
// AMD64 names (rax … r15, rip, eflags), Go's (AX … R15, SP, BP, PC), and
// gdb's aliases ($pc, $sp, $fp, $ps), in any case; `$eax`-style 32-bit names
// read the low half. (In Go assembly `SP` written with a symbol, `x-8(SP)`,
// is the pseudo-register; as a register name here it is the hardware SP,
// as in a disassembly.)
//
// Goroutine fields. `g.sched.sp` is a field of the goroutine current on the
// thread (its TLS g slot); `g 5 sched.sp` (or `g5.sched.sp`) a field of
// goroutine 5 wherever it runs. Field paths follow Go's struct g
// (runtime2.ts): `sched.sp`, `stack.lo`, `atomicstatus`, `m` ...
//
// Values. An expression is a sum of terms: `$sp+16`, `runtime·gogo+4`,
// `0xc000000138`, `g.sched.sp`, `*($sp+8)` (the 8-byte word there). A
// symbol is accepted as the source spells it (·f, main·f, main.f, gogo<>),
// through the assembler's one rule (src/asm/symname.ts). Nothing here writes
// the machine.

import { lookupSymbol } from "../asm/symname.ts";
import { REG_FS_BASE, REG_RFLAGS, REG_RIP, regId } from "../engine/engine.ts";
import { findG, goid, tlsg, type Machine } from "../debug/view.ts";
import { g as gStruct, gobuf, stack, type StructDef } from "../runtime/runtime2.ts";

/** A register as the stepper knows it: its engine number, the name shown, and how many bytes are read. */
export interface RegRef { id: number; name: string; bytes: 8 | 4 }

const GO = ["AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"];
const AMD64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
const LOW32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"];

const REGS = new Map<string, RegRef>();
for (let i = 0; i < 16; i++) {
  REGS.set(GO[i]!.toLowerCase(), { id: i, name: GO[i]!, bytes: 8 });
  REGS.set(AMD64[i]!, { id: i, name: GO[i]!, bytes: 8 });
  REGS.set(LOW32[i]!, { id: i, name: LOW32[i]!, bytes: 4 });
}
for (const n of ["rip", "pc"]) REGS.set(n, { id: REG_RIP, name: "PC", bytes: 8 });
for (const n of ["eflags", "rflags", "flags", "flg", "ps"]) REGS.set(n, { id: REG_RFLAGS, name: "FLAGS", bytes: 8 });
REGS.set("fp", { id: 5, name: "BP", bytes: 8 });
REGS.set("fs_base", { id: REG_FS_BASE, name: "FS_BASE", bytes: 8 });

/** The register a name means (without the `$`), in any case; undefined if none. */
export function lookupRegister(name: string): RegRef | undefined {
  return REGS.get(name.toLowerCase());
}

/** The names a user may type, for completion and error messages. */
export const REGISTER_NAMES: readonly string[] = [...AMD64, "rip", "eflags", ...GO, "PC", "pc", "sp", "fp"];

/** The 64-bit value of a register (32-bit names: the low half). */
export function readRegister(m: Machine, r: RegRef): bigint {
  const v = m.engine.getReg(regId(r.id));
  return r.bytes === 4 ? v & 0xffff_ffffn : v;
}

// --- goroutine fields ------------------------------------------------------------

/** Structs nested in g, by field name, so that paths go inside them. */
const NESTED: Record<string, StructDef> = { sched: gobuf, stack };

export interface FieldRef { off: number; size: number; path: string }

/** A field of struct g by its dotted path ("sched.sp", "atomicstatus"). */
export function gField(path: string): FieldRef | undefined {
  const [head = "", ...rest] = path.split(".");
  const f = (gStruct.fields as Record<string, { off: number; size: number }>)[head];
  if (!f) return undefined;
  if (rest.length === 0) return { off: f.off, size: f.size, path };
  const sub = NESTED[head];
  if (!sub || rest.length !== 1) return undefined;
  const sf = (sub.fields as Record<string, { off: number; size: number }>)[rest[0]!];
  return sf ? { off: f.off + sf.off, size: sf.size, path } : undefined;
}

/** Every field path of g, nested structs expanded: for completion and messages. */
export function gFieldPaths(): string[] {
  const out: string[] = [];
  for (const k of Object.keys(gStruct.fields)) {
    const sub = NESTED[k];
    if (sub) for (const s of Object.keys(sub.fields)) out.push(`${k}.${s}`);
    else out.push(k);
  }
  return out;
}

/** Which goroutine a g-field expression means: the current one at each use, or goroutine N. */
export type GSel = { kind: "current" } | { kind: "goid"; goid: number };

export interface GFieldExpr { sel: GSel; field: FieldRef }

/**
 * `g.FIELD` (the current goroutine), `g N FIELD`, `gN.FIELD`; undefined if
 * the text is none of these. A field that is not g's is an error that lists
 * the nearest ones.
 */
export function parseGField(text: string): GFieldExpr | undefined {
  const t = text.trim();
  let m = /^g\.([\w.]+)$/.exec(t);
  let sel: GSel | undefined, path: string | undefined;
  if (m) { sel = { kind: "current" }; path = m[1]; }
  else if ((m = /^g\s*(\d+)(?:\s+|\.)([\w.]+)$/.exec(t))) { sel = { kind: "goid", goid: Number(m[1]) }; path = m[2]; }
  if (!sel || path === undefined) return undefined;
  const field = gField(path);
  if (!field) {
    const head = path.split(".")[0]!;
    const near = gFieldPaths().filter((p) => p.startsWith(head.slice(0, 3)));
    throw new Error(`g has no field ${path} (fields like ${(near.length ? near : ["sched.sp", "sched.pc", "sched.bp", "atomicstatus", "stackguard0"]).slice(0, 8).join(", ")})`);
  }
  return { sel, field };
}

/** The g a selector means now (0 when there is no current g yet); throws for a goroutine that does not exist. */
export function resolveG(m: Machine, sel: GSel): number {
  if (sel.kind === "current") return tlsg(m);
  const gp = findG(m, sel.goid);
  if (gp === undefined) throw new Error(`no goroutine ${sel.goid}`);
  return gp;
}

/** How a g-field expression is shown: "g.sched.sp", "g 5 sched.sp". */
export function gFieldText(e: GFieldExpr): string {
  return e.sel.kind === "current" ? `g.${e.field.path}` : `g ${e.sel.goid} ${e.field.path}`;
}

// --- values --------------------------------------------------------------------------

/** Reads size bytes at addr as an unsigned little-endian integer. */
export function readUnsigned(m: Machine, addr: number, size: number): bigint {
  const b = m.engine.read(addr, size);
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** What an expression's value is: a number, and the symbol or register it came from when it is just one. */
export interface Value { v: bigint; what: "reg" | "addr" | "field" | "number"; size: number }

/** Resolves a symbol (any spelling) or a host function to its address. */
export function symbolAddr(m: Machine, spelled: string): number | undefined {
  const name = spelled.replace(/\u00b7/g, ".").replace(/^\./, "main.");
  const byName = (): number | undefined => {
    for (const n of [name, `runtime.${name}`, `main.${name}`]) {
      const a = m.image.addrOf(n) ?? (m.bridge.has(n) ? m.bridge.addrOf(n) : undefined);
      if (a !== undefined) return a;
    }
    return undefined;
  };
  // A compiled program's image answers a runtime name with the routine that
  // runs (ours, or the served one), not the binary's copy that never does.
  if (m.go !== undefined) {
    const a = byName();
    if (a !== undefined) return a;
  }
  const r = lookupSymbol(m.image, spelled);
  if (r.ok) return r.addr;
  return byName();
}

/** A symbol lookup's message when it fails (the assembler's, with its suggestions). */
export function symbolError(m: Machine, spelled: string): string {
  const r = lookupSymbol(m.image, spelled);
  return r.ok ? `no symbol ${spelled}` : r.message;
}

/**
 * Evaluates an expression: terms joined by + and -, each a register
 * ($rsp), a number (0x10, 16), a symbol (runtime·gogo), a g field
 * (g.sched.sp, g 5 sched.sp) or a dereference (*EXPR, *(EXPR): 8 bytes).
 */
export function evaluate(m: Machine, text: string): Value {
  const t = text.trim();
  if (t === "") throw new Error("an expression is needed (a $register, an address, a symbol, g.sched.sp ...)");
  // Split at top-level + and - (not inside parentheses, not a leading sign).
  const terms: { sign: 1n | -1n; text: string }[] = [];
  let depth = 0, start = 0, sign: 1n | -1n = 1n;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if ((c === "+" || c === "-") && depth === 0 && i > start) {
      terms.push({ sign, text: t.slice(start, i) });
      sign = c === "+" ? 1n : -1n;
      start = i + 1;
    }
  }
  terms.push({ sign, text: t.slice(start) });
  if (terms.length > 1) {
    let v = 0n;
    for (const x of terms) v += x.sign * term(m, x.text).v;
    return { v: BigInt.asUintN(64, v), what: "number", size: 8 };
  }
  return term(m, t);
}

function term(m: Machine, text: string): Value {
  const t = text.trim();
  if (t === "") throw new Error("missing a term in the expression");
  const gf = parseGField(t);
  if (gf) {
    const gp = resolveG(m, gf.sel);
    if (gp === 0) throw new Error(`${gFieldText(gf)}: no current g yet`);
    return { v: readUnsigned(m, gp + gf.field.off, gf.field.size), what: "field", size: gf.field.size };
  }
  if (t.startsWith("*")) {
    const a = evaluate(m, t.slice(1)).v;
    return { v: readUnsigned(m, Number(a), 8), what: "number", size: 8 };
  }
  if (t.startsWith("(") && t.endsWith(")")) return evaluate(m, t.slice(1, -1));
  if (t.startsWith("$")) {
    const r = lookupRegister(t.slice(1));
    if (!r) throw new Error(`unknown register ${t} (registers: $AX … $R15, $SP, $BP, AMD64's $rax … $r15, $eflags, gdb's $pc $sp $fp, in any case; $PC or $RIP)`);
    return { v: readRegister(m, r), what: "reg", size: r.bytes };
  }
  if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) return { v: BigInt(t), what: "number", size: 8 };
  const a = symbolAddr(m, t);
  if (a === undefined) throw new Error(symbolError(m, t));
  return { v: BigInt(a), what: "addr", size: 8 };
}

/** A goroutine's id as text (G5), or "-" for none. */
export function gName(m: Machine, gp: number): string {
  const id = goid(m, gp);
  return id < 0 ? "-" : `G${id}`;
}
