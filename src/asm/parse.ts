// The parser: preprocessed tokens → Progs, one per statement, in order.
//
// Statements end at a newline or `;`. A statement is an optional run of
// labels (`name:`), then a mnemonic or pseudo-op and its comma-separated
// operands. Operands follow Go's cmd/asm grammar for amd64:
//
//   AX, X3, AL             register (`g` is R14, as Go aliases it)
//   $expr                  constant: Go's integer expressions, evaluated in
//                          uint64 arithmetic like Go's (so `>>` is logical)
//   $"str"                 DATA string
//   expr(BASE)(IDX*S)      memory; either part may be absent
//   sym+off(SB), sym<>(SB) a global or a file-local (static) symbol
//   name+off(FP)           an argument (pseudo frame pointer)
//   name-off(SP)           a local (pseudo stack pointer); off(SP) without a
//                          name is the hardware SP
//   (TLS), off(r)(TLS*1)   thread-local storage (what go_tls.h's g(r) is)
//   TLS                    only in `MOVQ TLS, r` (get_tls)
//   $mem                   the address of a memory operand
//   label, n(PC), sym(SB)  branch targets (jumps: J*, CALL)
//
// Symbol names: `·` stands for `.` and `∕` for `/`; a name that starts
// with `·` belongs to the package being assembled (-p, default main), so
// `·f` is `main.f` and `runtime·f` is `runtime.f`. `name<>` is file-local.
// `name<ABIInternal>` selects the register ABI for a TEXT symbol.
//
// The LOCK prefix, which Go writes as an instruction of its own (`LOCK;
// XADDL ...` or on the line before), is folded into the next Prog's `lock`.
// `MOVQ TLS, r` is kept out of the IR altogether: the IR has no TLS register
// because on linux/amd64 Go's progedit always turns that load into a NOP
// (the g(r) accesses that follow become FS-relative), so the parser emits the
// NOP directly and obj6 never sees the TLS register.
//
// The parser does not check that an instruction's operands fit a table row;
// the encoder does that (and the driver reports it at the operand). It
// checks mnemonics, operand syntax, labels, and FP argument names.
//
// Statements are pulled from the preprocessor one at a time, each bounded
// (src/asm/diag.ts); constant expressions are evaluated without recursion
// (Expr, below), so nesting is paid for in heap, not stack. Errors go to the
// assembly's Diag, one per line, and parsing stops when it is full.

import { canonicalMnemonic } from "../x86/table.ts";
import { lookupReg } from "../x86/regs.ts";
import type { Reg } from "../x86/regs.ts";
import { AsmError, quote, short } from "./prog.ts";
import type { Addr, MemAddr, Pos, Prog } from "./prog.ts";
import { Diag } from "./diag.ts";
import { Preprocessor } from "./preprocess.ts";
import type { PreprocessOptions } from "./preprocess.ts";
import { unquoteChar, unquoteString } from "./lex.ts";
import type { Token } from "./lex.ts";
import type { SourceInput } from "./source.ts";
import { linkName } from "./symname.ts";

export interface ParseOptions extends PreprocessOptions {
  /** Package path for `·name` symbols (Go's -p). Default "main". */
  pkg?: string;
}

export interface ParseResult {
  progs: Prog[];
  /** The errors so far, in line order (the Diag has them all). */
  errors: AsmError[];
  /** Files read (the main file and its includes). */
  files: string[];
  /** Each distinct file read, with its identity. */
  inputs: SourceInput[];
  diag: Diag;
}

/** Pseudo-ops: statements that are not machine instructions (or are raw data). */
export const PSEUDO_OPS = new Set(["TEXT", "DATA", "GLOBL", "PCDATA", "FUNCDATA", "BYTE", "WORD", "LONG", "QUAD", "LOCK", "ADJSP"]);

/** Go's unaryDst: one-operand instructions whose operand is the destination. */
const UNARY_DST = /^(INC|DEC|NEG|NOT)[BWLQ]$|^POP[WLQ]$|^SET(CC|CS|EQ|GE|GT|HI|LE|LS|LT|MI|NE|OC|OS|PC|PL|PS)$|^BSWAP[LQ]$/;

/** Go's jumpX86: mnemonics whose last operand is a branch target. */
function isJump(as: string): boolean {
  return as.startsWith("J") || as === "CALL" || as.startsWith("LOOP");
}

/** Parses a file read through `opts.source`; errors go to `diag`. */
export function parseFile(path: string, opts: ParseOptions = {}, diag = new Diag()): ParseResult {
  const pp = new Preprocessor(diag, opts);
  pp.startFile(path);
  return finish(pp, diag, opts);
}

/** Parses source text that claims to come from `filename` (its #includes through `opts.source`). */
export function parseString(src: string, filename: string, opts: ParseOptions = {}, diag = new Diag()): ParseResult {
  const pp = new Preprocessor(diag, opts);
  pp.start(src, filename);
  return finish(pp, diag, opts);
}

function finish(pp: Preprocessor, diag: Diag, opts: ParseOptions): ParseResult {
  const p = new Parser(pp, diag, opts.pkg ?? "main");
  p.parse();
  return { progs: p.progs, errors: diag.sorted(), files: pp.files, inputs: pp.inputs, diag };
}

/** A prog waiting for its branch to be resolved against Go's per-statement pc. */
interface PcBranch {
  prog: Prog;
  target: number;
  pos: Pos;
}

class Parser {
  readonly progs: Prog[] = [];
  private pendingLabels: { name: string; pos: Pos }[] = [];
  private pendingLock: Pos | undefined;
  /** Labels of the current TEXT symbol. */
  private labels = new Map<string, Pos>();
  /** Branch-to-label uses of the current TEXT symbol, checked at its end. */
  private labelUses: { name: string; pos: Pos }[] = [];
  /** Go's pc: one per appended statement (TEXT, PCDATA, LOCK included). */
  private goPc = 0;
  private pcProgs = new Map<number, Prog>();
  private pcBranches: PcBranch[] = [];
  /** FP argument names seen in the current function: offset → name, and name → offset. */
  private argByOff = new Map<bigint, string>();
  private offByArg = new Map<string, bigint>();
  private textArgs = -1n;
  private inText = false;

  constructor(private readonly pp: Preprocessor, private readonly diag: Diag, private readonly pkg: string) {}

  private err(pos: Pos, msg: string): void {
    this.diag.errorAt(pos, msg);
  }

  parse(): void {
    for (;;) {
      // Too many errors: stop, as Go's assembler does.
      if (this.diag.full) return;
      const stmt = this.readStatement();
      if (stmt === undefined) break;
      if (stmt.length === 0) continue;
      try {
        this.statement(stmt);
      } catch (e) {
        if (e instanceof AsmError) this.diag.error(e);
        else throw e;
      }
    }
    this.endFunction();
    for (const l of this.pendingLabels) this.err(l.pos, `label ${short(l.name)} is not followed by an instruction`);
    if (this.pendingLock) this.err(this.pendingLock, "LOCK is not followed by an instruction");
  }

  /**
   * The tokens of the next statement (up to a newline or `;`), empty for a
   * statement too long to keep (reported, its line skipped), undefined at
   * the end of the input.
   */
  private readStatement(): Token[] | undefined {
    const max = this.pp.limits.maxStatementTokens;
    const toks: Token[] = [];
    for (;;) {
      const t = this.pp.next();
      if (t.kind === "eof") return toks.length > 0 ? toks : undefined;
      if (t.kind === "newline" || (t.kind === "op" && t.text === ";")) {
        if (toks.length > 0) return toks;
        continue;
      }
      if (toks.length === max) {
        this.err(toks[0]!.pos, `statement too long: more than ${max} tokens`);
        this.pp.skipLine();
        return [];
      }
      toks.push(t);
    }
  }

  private statement(toks: Token[]): void {
    let k = 0;
    // Labels.
    while (toks[k]?.kind === "ident" && toks[k + 1]?.kind === "op" && toks[k + 1]!.text === ":") {
      this.pendingLabels.push({ name: toks[k]!.text, pos: toks[k]!.pos });
      k += 2;
    }
    if (k >= toks.length) return;
    const word = toks[k]!;
    if (word.kind !== "ident") throw new AsmError(word.pos, `unexpected ${describe(word)} at start of statement`);
    const operands = splitOperands(toks.slice(k + 1), word);
    const name = word.text;
    const as = PSEUDO_OPS.has(name) ? name : canonicalMnemonic(name);
    if (as === undefined) throw new AsmError(word.pos, `unrecognized instruction ${quote(name)}`);
    const pos = word.pos;
    switch (as) {
      case "TEXT": return this.text(pos, operands);
      case "DATA": return this.data(pos, operands);
      case "GLOBL": return this.globl(pos, operands);
      case "PCDATA":
      case "FUNCDATA": {
        if (operands.length !== 2) throw new AsmError(pos, `expect two operands for ${as}`);
        const from = this.operand(operands[0]!, false);
        const to = this.operand(operands[1]!, false);
        if (from.type !== "const") throw new AsmError(operands[0]![0]!.pos, `${as}: first operand must be an immediate constant`);
        this.append({ as, from, to, pos });
        return;
      }
      case "LOCK":
        if (operands.length !== 0) throw new AsmError(pos, "LOCK takes no operands");
        if (this.pendingLock) throw new AsmError(pos, "LOCK LOCK: repeated prefix");
        this.pendingLock = pos;
        // LOCK is a statement of its own in Go: it takes a pc.
        this.goPc++;
        return;
    }
    const jump = isJump(as);
    const addrs: Addr[] = [];
    const argPos: Pos[] = [];
    for (let n = 0; n < operands.length; n++) {
      addrs.push(this.operand(operands[n]!, jump && n === operands.length - 1));
      argPos.push(operands[n]![0]!.pos);
    }
    const prog: Prog = { as, from: { type: "none" }, to: { type: "none" }, pos };
    if (argPos.length > 0) prog.argPos = argPos;
    if (as === "MOVQ" || as === "MOVL") {
      // get_tls: MOVQ TLS, r is a NOP on linux/amd64 (see the essay above).
      if (operands.length === 2 && isTlsReg(operands[0]!)) {
        const dst = addrs[1]!;
        if (dst.type !== "reg" || dst.reg.cls !== "gpr") throw new AsmError(operands[1]![0]!.pos, "TLS can only be loaded into a general register");
        this.append({ as: "NOP", from: { type: "none" }, to: { type: "none" }, pos });
        return;
      }
    }
    for (const [n, o] of operands.entries()) {
      if (isTlsReg(o)) throw new AsmError(o[0]!.pos, "TLS is only usable as MOVQ TLS, reg or in (TLS) / off(reg)(TLS*1)");
      void n;
    }
    switch (addrs.length) {
      case 0: break;
      case 1:
        if (UNARY_DST.test(as) || as === "RET" || isJump(as)) prog.to = addrs[0]!;
        else prog.from = addrs[0]!;
        break;
      case 2: prog.from = addrs[0]!; prog.to = addrs[1]!; break;
      case 3: prog.from = addrs[0]!; prog.from3 = addrs[1]!; prog.to = addrs[2]!; break;
      default: throw new AsmError(pos, `too many operands for ${short(name)}`);
    }
    if (isJump(as) && prog.to.type === "branch" && prog.to.label?.startsWith("\u0000pc")) {
      // n(PC): resolved once the function's statements are all known.
      const rel = BigInt(prog.to.label.slice(3));
      this.pcBranches.push({ prog, target: this.goPc + 1 + Number(rel), pos: argPos[argPos.length - 1]! });
    } else if (prog.to.type === "branch" && prog.to.label !== undefined) {
      this.labelUses.push({ name: prog.to.label, pos: argPos[argPos.length - 1]! });
    }
    if (as === "BYTE" || as === "WORD" || as === "LONG" || as === "QUAD" || as === "ADJSP") {
      if (addrs.length !== 1 || prog.from.type !== "const") throw new AsmError(pos, `${as} requires one constant operand: ${as} $value`);
    }
    this.append(prog);
  }

  private append(prog: Prog): void {
    if (this.pendingLabels.length > 0) {
      prog.labels = [];
      for (const l of this.pendingLabels) {
        if (this.labels.has(l.name)) this.err(l.pos, `label ${short(l.name)} multiply defined`);
        this.labels.set(l.name, l.pos);
        prog.labels.push(l.name);
      }
      this.pendingLabels = [];
    }
    if (this.pendingLock) {
      if (prog.as === "TEXT" || prog.as === "DATA" || prog.as === "GLOBL" || prog.as === "PCDATA" || prog.as === "FUNCDATA") {
        this.err(this.pendingLock, "LOCK must be followed by an instruction");
      } else {
        prog.lock = true;
        this.pcProgs.set(this.goPc, prog);
      }
      this.pendingLock = undefined;
    }
    if (prog.as !== "DATA" && prog.as !== "GLOBL") {
      this.goPc++;
      this.pcProgs.set(this.goPc, prog);
    }
    if (prog.as !== "TEXT" && prog.as !== "DATA" && prog.as !== "GLOBL" && !this.inText) {
      this.err(prog.pos, `${prog.as} outside of a TEXT symbol`);
    }
    this.progs.push(prog);
  }

  /** Checks the labels of the function that just ended and resolves n(PC) branches. */
  private endFunction(): void {
    for (const u of this.labelUses) {
      if (!this.labels.has(u.name)) this.err(u.pos, `undefined label ${short(u.name)}`);
    }
    // n(PC) labels already attached, per target (a scan of its labels per branch would be quadratic).
    const attached = new Set<number>();
    for (const b of this.pcBranches) {
      const target = this.pcProgs.get(b.target);
      if (target === undefined || target.as === "TEXT" || target.as === "DATA" || target.as === "GLOBL") {
        this.err(b.pos, "branch target out of range of the function");
        continue;
      }
      const name = `\u0000pc${b.target}`;
      if (!attached.has(b.target)) {
        attached.add(b.target);
        (target.labels ??= []).push(name);
      }
      if (b.prog.to.type === "branch") b.prog.to.label = name;
    }
    this.labels = new Map();
    this.labelUses = [];
    this.pcBranches = [];
    this.pcProgs = new Map();
    this.argByOff = new Map();
    this.offByArg = new Map();
  }

  // --- pseudo-ops -----------------------------------------------------------

  private text(pos: Pos, ops: Token[][]): void {
    if (ops.length !== 2 && ops.length !== 3) throw new AsmError(pos, "expect two or three operands for TEXT");
    this.endFunction();
    for (const l of this.pendingLabels) this.err(l.pos, `label ${short(l.name)} before TEXT`);
    this.pendingLabels = [];
    const { addr: nameAddr, abi } = this.symbolOperand(ops[0]!, "TEXT");
    // Reported without abandoning the TEXT, so its body is not "outside of a TEXT symbol".
    if (abi !== undefined && this.pkg !== "runtime") {
      this.err(ops[0]![0]!.pos, `ABI selector only permitted when compiling runtime (-p runtime): ${nameAddr.sym}`);
    }
    let flags = 0n;
    if (ops.length === 3) flags = this.constExpr(ops[1]!, "TEXT flags");
    const size = ops[ops.length - 1]!;
    // $frame[-args]: two integers, not a subtraction.
    let k = 0;
    const bad = (): never => { throw new AsmError(size[0]!.pos, "TEXT frame size must be of the form $frame or $frame-args"); };
    if (size[k]?.text !== "$") bad();
    k++;
    let neg = false;
    if (size[k]?.text === "-") { neg = true; k++; }
    if (size[k]?.kind !== "int") bad();
    let frame = parseIntToken(size[k]!);
    if (neg) frame = -frame;
    k++;
    let args = -1n;
    if (k < size.length) {
      if (size[k]?.text !== "-" || size[k + 1]?.kind !== "int" || k + 2 !== size.length) bad();
      args = parseIntToken(size[k + 1]!);
    }
    if (abi === "ABIInternal" && (flags & 4n) === 0n) {
      this.err(pos, `TEXT ${nameAddr.sym}: ABIInternal requires NOSPLIT`);
    }
    this.inText = true;
    this.textArgs = args;
    const prog: Prog = { as: "TEXT", from: nameAddr, to: { type: "textsize", frame, args }, flags: Number(flags), pos };
    if (abi) prog.abi = abi;
    this.append(prog);
  }

  private data(pos: Pos, ops: Token[][]): void {
    if (ops.length !== 2) throw new AsmError(pos, "expect two operands for DATA");
    const op = ops[0]!;
    const n = op.length;
    if (n < 3 || op[n - 2]!.text !== "/" || op[n - 1]!.kind !== "int") throw new AsmError(op[0]!.pos, "expect /size for DATA argument");
    const width = Number(parseIntToken(op[n - 1]!));
    const { addr } = this.symbolOperand(op.slice(0, n - 2), "DATA");
    const value = this.operand(ops[1]!, false);
    const vpos = ops[1]![0]!.pos;
    switch (value.type) {
      case "const":
        if (![1, 2, 4, 8].includes(width)) throw new AsmError(op[n - 1]!.pos, `bad int size for DATA argument: ${width}`);
        break;
      case "sconst":
        if (width < 1 || width > 8 && width !== value.bytes.length) {
          if (width < 1) throw new AsmError(op[n - 1]!.pos, `bad string size for DATA argument: ${width}`);
        }
        if (value.bytes.length > width) throw new AsmError(vpos, `DATA string ${quote(new TextDecoder().decode(value.bytes))} is longer than its size ${width}`);
        break;
      case "addr":
        if (value.mem.name !== "extern" && value.mem.name !== "static") throw new AsmError(vpos, "DATA address must be of a symbol: $sym(SB)");
        if (width !== 8) throw new AsmError(op[n - 1]!.pos, `bad addr size for DATA argument: ${width}`);
        break;
      default:
        throw new AsmError(vpos, "DATA value must be an immediate constant or address");
    }
    this.append({ as: "DATA", from: addr, to: value, flags: width, pos, argPos: [op[0]!.pos, vpos] });
  }

  private globl(pos: Pos, ops: Token[][]): void {
    if (ops.length !== 2 && ops.length !== 3) throw new AsmError(pos, "expect two or three operands for GLOBL");
    const { addr } = this.symbolOperand(ops[0]!, "GLOBL");
    let flags = 0n;
    if (ops.length === 3) flags = this.constExpr(ops[1]!, "GLOBL flags");
    const size = this.operand(ops[ops.length - 1]!, false);
    if (size.type !== "const") throw new AsmError(ops[ops.length - 1]![0]!.pos, "GLOBL size must be an immediate constant");
    this.append({ as: "GLOBL", from: addr, to: size, flags: Number(flags), pos });
  }

  /** sym(SB), sym<>(SB), sym<ABIInternal>(SB), sym+off(SB): the symbol operand of TEXT/DATA/GLOBL. */
  private symbolOperand(toks: Token[], what: string): { addr: MemAddr; abi?: "ABI0" | "ABIInternal" } {
    const r = this.memory(toks, 0, true);
    if (r.addr.name !== "extern" && r.addr.name !== "static") {
      throw new AsmError(toks[0]?.pos ?? { file: "", line: 0, col: 0 }, `${what} symbol must be of the form name(SB)`);
    }
    if (r.next !== toks.length) throw new AsmError(toks[r.next]!.pos, `unexpected ${describe(toks[r.next]!)} after ${what} symbol`);
    if (what !== "DATA" && r.addr.offset !== 0n) throw new AsmError(toks[0]!.pos, `${what} symbol cannot have an offset`);
    const out: { addr: MemAddr; abi?: "ABI0" | "ABIInternal" } = { addr: r.addr };
    if (r.abi) out.abi = r.abi;
    return out;
  }

  // --- operands -------------------------------------------------------------

  private operand(toks: Token[], branch: boolean): Addr {
    const first = toks[0]!;
    if (first.text === "$" && first.kind === "op") {
      const rest = toks.slice(1);
      if (rest.length === 0) throw new AsmError(first.pos, "missing value after $");
      if (rest.length === 1 && rest[0]!.kind === "string") return { type: "sconst", bytes: unquoteString(rest[0]!) };
      if (rest.some((t) => t.kind === "float")) throw new AsmError(rest[0]!.pos, "floating-point constants are not supported");
      if (this.looksLikeMemory(rest)) {
        const m = this.memory(rest, 0, false);
        if (m.next !== rest.length) throw new AsmError(rest[m.next]!.pos, `unexpected ${describe(rest[m.next]!)} in operand`);
        if (m.addr.tls) throw new AsmError(first.pos, "cannot take the address of a TLS operand");
        return { type: "addr", mem: m.addr };
      }
      const e = new Expr(rest, 0);
      const v = e.expr();
      if (e.i !== rest.length) throw new AsmError(rest[e.i]!.pos, `unexpected ${describe(rest[e.i]!)} in constant expression`);
      return { type: "const", value: BigInt.asIntN(64, v) };
    }
    if (toks.length === 1 && first.kind === "ident") {
      const reg = registerNamed(first.text);
      if (reg) return { type: "reg", reg };
      if (first.text === "TLS") return { type: "none" }; // handled by the caller (MOVQ TLS, r)
      if (["SB", "FP", "PC"].includes(first.text)) throw new AsmError(first.pos, `${first.text} is a pseudo-register: use it as sym(${first.text})`);
      if (branch) return { type: "branch", label: first.text, offset: 0n };
      throw new AsmError(first.pos, `unknown register or symbol ${short(first.text)}: memory operands need a base, as in ${short(first.text)}(SB)`);
    }
    if (first.kind === "string") throw new AsmError(first.pos, "a string is only allowed as a DATA value: $\"...\"");
    if (branch) {
      // n(PC)
      const pc = this.pcRelative(toks);
      if (pc !== undefined) return { type: "branch", label: `\u0000pc${pc}`, offset: 0n };
    }
    const m = this.memory(toks, 0, false);
    if (m.next !== toks.length) throw new AsmError(toks[m.next]!.pos, `unexpected ${describe(toks[m.next]!)} in operand`);
    if (branch && (m.addr.name === "extern" || m.addr.name === "static") && m.addr.index === undefined) {
      // A file-local target keeps its `<>` (the linker tells it from a global of the same name).
      return { type: "branch", sym: m.addr.name === "static" ? `${m.addr.sym!}<>` : m.addr.sym!, offset: m.addr.offset };
    }
    return m.addr;
  }

  private pcRelative(toks: Token[]): bigint | undefined {
    const n = toks.length;
    if (n < 4 || toks[n - 1]!.text !== ")" || toks[n - 2]!.text !== "PC" || toks[n - 3]!.text !== "(") return undefined;
    const e = new Expr(toks.slice(0, n - 3), 0);
    const v = e.expr();
    if (e.i !== n - 3) throw new AsmError(toks[e.i]!.pos, "bad PC-relative branch: expected n(PC)");
    return BigInt.asIntN(64, v);
  }

  /** After `$`: is this the address of memory ($sym(SB), $8(SP), $x+0(FP)) rather than a constant? */
  private looksLikeMemory(toks: Token[]): boolean {
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k]!;
      if (t.kind === "op" && t.text === "(" && toks[k + 1]?.kind === "ident" && isBaseName(toks[k + 1]!.text) && toks[k + 2]?.text === ")") return true;
      if (t.kind === "ident" && k === 0 && !isExprIdent(t.text)) return true;
    }
    return false;
  }

  /**
   * Parses a memory operand starting at toks[k]:
   *   [sym [<>|<ABI>]] [±offset-expr | offset-expr] [(base)] [(index*scale)]
   */
  private memory(toks: Token[], k: number, symbolic: boolean): { addr: MemAddr; next: number; abi?: "ABI0" | "ABIInternal" } {
    const start = toks[k] ?? toks[toks.length - 1]!;
    let sym: string | undefined;
    let isStatic = false;
    let abi: "ABI0" | "ABIInternal" | undefined;
    let rawName: string | undefined;
    const t0 = toks[k];
    if (t0?.kind === "ident" && !(registerNamed(t0.text) && toks[k + 1] === undefined)) {
      rawName = t0.text;
      sym = this.qualify(t0.text);
      k++;
      if (toks[k]?.text === "<") {
        if (toks[k + 1]?.text === ">") { isStatic = true; k += 2; }
        else if (toks[k + 1]?.kind === "ident" && toks[k + 2]?.text === ">") {
          const a = toks[k + 1]!.text;
          if (a !== "ABI0" && a !== "ABIInternal") throw new AsmError(toks[k + 1]!.pos, `ABI selector must be ABI0 or ABIInternal, not ${a}`);
          abi = a;
          k += 3;
        } else throw new AsmError(toks[k]!.pos, "expected <> or <ABI> after symbol name");
      }
    }
    let offset = 0n;
    // Offset: after a symbol it must start with + or -; otherwise any expression
    // that does not begin a (register) group.
    if (toks[k] && !(toks[k]!.text === "(" && this.startsRegisterGroup(toks, k))) {
      if (sym !== undefined && toks[k]!.text !== "+" && toks[k]!.text !== "-") {
        throw new AsmError(toks[k]!.pos, `expected + or - offset or (base) after ${short(rawName!)}, found ${describe(toks[k]!)}`);
      }
      const e = new Expr(toks, k);
      offset = BigInt.asIntN(64, e.expr());
      k = e.i;
    }
    const addr: MemAddr = { type: "mem", name: "none", offset, scale: 1 };
    if (toks[k]?.text !== "(") {
      if (sym !== undefined) throw new AsmError(start.pos, `symbol ${short(rawName!)} needs a base: ${short(rawName!)}(SB), ${short(rawName!)}+off(FP) or ${short(rawName!)}-off(SP)`);
      if (symbolic) throw new AsmError(start.pos, "expected a symbol: name(SB)");
      return { addr, next: k };
    }
    // (base)
    const bt = toks[k + 1];
    if (bt?.kind !== "ident" || toks[k + 2]?.text !== ")") throw new AsmError((bt ?? toks[k]!).pos, "expected (register) in memory operand");
    k += 3;
    const base = bt.text;
    if (base === "SB") {
      if (sym === undefined) throw new AsmError(bt.pos, "(SB) needs a symbol name: name(SB)");
      addr.name = isStatic ? "static" : "extern";
      addr.sym = sym;
    } else if (base === "FP") {
      if (sym === undefined) throw new AsmError(bt.pos, "cannot reference FP without a symbol name: use name+off(FP)");
      addr.name = "param";
      addr.argName = rawName!;
      this.checkArg(rawName!, offset, start.pos);
    } else if (base === "SP" && sym !== undefined) {
      addr.name = "auto";
      addr.argName = rawName!;
    } else if (base === "TLS") {
      if (sym !== undefined) throw new AsmError(start.pos, "a TLS operand cannot have a symbol");
      addr.tls = true;
    } else if (base === "PC") {
      throw new AsmError(bt.pos, "n(PC) is only allowed as a branch target");
    } else {
      if (sym !== undefined) throw new AsmError(start.pos, `a symbol reference needs (SB), (FP) or (SP), not (${base})`);
      const r = registerNamed(base);
      if (!r || r.cls !== "gpr") throw new AsmError(bt.pos, `${short(base)} cannot be a base register`);
      addr.base = r;
    }
    if (abi !== undefined && base !== "SB") throw new AsmError(start.pos, "ABI selector only allowed on name(SB)");
    // (index*scale)
    if (toks[k]?.text === "(") {
      const it = toks[k + 1];
      if (it?.kind !== "ident") throw new AsmError((it ?? toks[k]!).pos, "expected (index*scale)");
      let scale = 1n;
      let j = k + 2;
      if (toks[j]?.text === "*") {
        const st = toks[j + 1];
        if (st?.kind !== "int") throw new AsmError((st ?? toks[j]!).pos, "expected scale 1, 2, 4 or 8");
        scale = parseIntToken(st);
        j += 2;
      }
      if (toks[j]?.text !== ")") throw new AsmError((toks[j] ?? it).pos, "expected ) after index register");
      if (scale !== 1n && scale !== 2n && scale !== 4n && scale !== 8n) throw new AsmError(toks[j - 1]!.pos, `bad scale ${scale}: must be 1, 2, 4 or 8`);
      if (it.text === "TLS") {
        // off(r)(TLS*1): the two-instruction TLS form, which linux/amd64 turns into off(TLS).
        if (addr.base === undefined) throw new AsmError(it.pos, "(TLS*1) needs a base register: off(reg)(TLS*1)");
        addr.tls = true;
      } else {
        const r = registerNamed(it.text);
        if (!r || r.cls !== "gpr") throw new AsmError(it.pos, `${short(it.text)} cannot be an index register`);
        if (r.num === 4) throw new AsmError(it.pos, "SP cannot be an index register");
        if (addr.tls) throw new AsmError(it.pos, "(TLS) cannot be indexed");
        addr.index = r;
        addr.scale = Number(scale) as 1 | 2 | 4 | 8;
      }
      k = j + 1;
    }
    const out: { addr: MemAddr; next: number; abi?: "ABI0" | "ABIInternal" } = { addr, next: k };
    if (abi) out.abi = abi;
    return out;
  }

  /** Whether toks[k] = "(" opens a register group (base or index), not a parenthesized expression. */
  private startsRegisterGroup(toks: Token[], k: number): boolean {
    const t = toks[k + 1];
    return t?.kind === "ident" && isBaseName(t.text) && (toks[k + 2]?.text === ")" || toks[k + 2]?.text === "*");
  }

  /** An FP argument name must name one offset, and the offset must fit the declared args. */
  private checkArg(name: string, off: bigint, pos: Pos): void {
    const prevName = this.argByOff.get(off);
    if (prevName !== undefined && prevName !== name) {
      throw new AsmError(pos, `${short(name)}+${off}(FP): offset ${off} is already named ${short(prevName)}`);
    }
    const prevOff = this.offByArg.get(name);
    if (prevOff !== undefined && prevOff !== off) {
      throw new AsmError(pos, `${short(name)}+${off}(FP): ${short(name)} is at offset ${prevOff}`);
    }
    if (this.textArgs >= 0n && (off < 0n || off >= this.textArgs)) {
      throw new AsmError(pos, `${short(name)}+${off}(FP): offset ${off} is outside the ${this.textArgs}-byte argument area`);
    }
    this.argByOff.set(off, name);
    this.offByArg.set(name, off);
  }

  private qualify(name: string): string {
    return linkName(name, this.pkg);
  }

  private constExpr(toks: Token[], what: string): bigint {
    if (toks.length === 0) throw new AsmError({ file: "", line: 0, col: 0 }, `missing ${what}`);
    const e = new Expr(toks, toks[0]!.text === "$" ? 1 : 0);
    const v = e.expr();
    if (e.i !== toks.length) throw new AsmError(toks[e.i]!.pos, `unexpected ${describe(toks[e.i]!)} in ${what}`);
    return BigInt.asIntN(64, v);
  }
}

function isTlsReg(toks: Token[]): boolean {
  return toks.length === 1 && toks[0]!.kind === "ident" && toks[0]!.text === "TLS";
}

function registerNamed(name: string): Reg | undefined {
  if (name === "g") return lookupReg("R14");
  return lookupReg(name);
}

function isBaseName(name: string): boolean {
  return name === "SB" || name === "FP" || name === "TLS" || name === "PC" || registerNamed(name) !== undefined;
}

function isExprIdent(_name: string): boolean {
  return false;
}

function describe(t: Token): string {
  if (t.kind === "newline") return "end of line";
  if (t.kind === "eof") return "end of file";
  return quote(t.text);
}

/** Splits a statement's operand tokens at top-level commas. */
function splitOperands(toks: Token[], word: Token): Token[][] {
  if (toks.length === 0) return [];
  const out: Token[][] = [[]];
  let depth = 0;
  for (const t of toks) {
    if (t.kind === "op" && t.text === "(") depth++;
    if (t.kind === "op" && t.text === ")") depth--;
    if (t.kind === "op" && t.text === "," && depth === 0) { out.push([]); continue; }
    out[out.length - 1]!.push(t);
  }
  for (let n = 0; n < out.length; n++) {
    if (out[n]!.length === 0) {
      const at = n > 0 && out[n - 1]!.length > 0 ? out[n - 1]![out[n - 1]!.length - 1]!.pos : word.pos;
      throw new AsmError(at, `missing operand ${n + 1} of ${short(word.text)}`);
    }
  }
  return out;
}

export function parseIntToken(t: Token): bigint {
  const s = t.text.replace(/_/g, "");
  // [prefix for BigInt, digits, the most digits a 64-bit value needs]
  let form: [string, string, number] | undefined;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) form = ["0x", s.slice(2), 16];
  else if (/^0[bB][01]+$/.test(s)) form = ["0b", s.slice(2), 64];
  else if (/^0[oO][0-7]+$/.test(s)) form = ["0o", s.slice(2), 22];
  else if (/^0[0-7]+$/.test(s)) form = ["0o", s.slice(1), 22];
  else if (/^[0-9]+$/.test(s)) form = ["", s, 20];
  if (form === undefined) throw new AsmError(t.pos, `malformed integer constant ${quote(t.text)}`);
  // Leading zeros cost nothing; more digits than 64 bits need is an overflow
  // found without converting them (BigInt of a megabyte of digits is slow).
  const digits = form[1].replace(/^0+(?=.)/, "");
  const v = digits.length > form[2] ? -1n : BigInt(form[0] + digits);
  if (v < 0n || v >= 1n << 64n) throw new AsmError(t.pos, `integer constant ${quote(t.text)} overflows 64 bits`);
  return v;
}

const M64 = (1n << 64n) - 1n;

/** Binary operators and their precedence (Go's: term operators bind tighter). */
const BINARY: Readonly<Record<string, 1 | 2>> = {
  "+": 1, "-": 1, "|": 1, "^": 1,
  "*": 2, "/": 2, "%": 2, "<<": 2, ">>": 2, "&": 2,
};

/** An operator waiting on the stack: a unary prefix, a binary operator, or an open parenthesis. */
interface PendingOp {
  tok: Token;
  kind: "unary" | "binary" | "paren";
}

/**
 * Go's constant expressions over uint64:
 *   expr   = term { (+ | - | '|' | ^) term }
 *   term   = factor { (* | / | % | << | >> | &) factor }
 *   factor = int | char | + factor | - factor | ~ factor | ( expr )
 *
 * Evaluated without recursion, by operator precedence with explicit stacks,
 * so a million nested parentheses or minus signs cost heap, not the call
 * stack. Unary operators bind tighter than any binary one and apply as soon
 * as their factor is complete; a binary operator first reduces the pending
 * ones of equal or higher precedence (all are left-associative). The
 * messages and the place each error is found are the recursive grammar's.
 */
class Expr {
  private readonly values: bigint[] = [];
  private readonly ops: PendingOp[] = [];

  constructor(private readonly toks: Token[], public i: number) {}

  private peek(): Token | undefined { return this.toks[this.i]; }

  private apply(op: PendingOp): void {
    const b = this.values.pop()!;
    if (op.kind === "unary") {
      this.values.push(op.tok.text === "-" ? -b & M64 : op.tok.text === "~" ? ~b & M64 : b);
      return;
    }
    const a = this.values.pop()!;
    this.values.push(binary(op.tok, a, b));
  }

  /** A factor just completed: its unary prefixes apply now. */
  private factorDone(): void {
    const ops = this.ops;
    while (ops.length > 0 && ops[ops.length - 1]!.kind === "unary") this.apply(ops.pop()!);
  }

  /** Reduces binary operators down to (not past) an open parenthesis, while they bind at least as tightly as `prec`. */
  private reduce(prec: number): void {
    const ops = this.ops;
    for (;;) {
      const top = ops[ops.length - 1];
      if (top === undefined || top.kind !== "binary" || BINARY[top.tok.text]! < prec) return;
      this.apply(ops.pop()!);
    }
  }

  expr(): bigint {
    const values = this.values;
    const ops = this.ops;
    values.length = 0;
    ops.length = 0;
    let open = 0; // parentheses on `ops`
    for (;;) {
      // An operand: prefixes and parentheses, then a value.
      const t = this.peek();
      if (t === undefined) {
        const last = this.toks[this.toks.length - 1];
        throw new AsmError(last?.pos ?? { file: "", line: 0, col: 0 }, "missing value in expression");
      }
      this.i++;
      if (t.kind === "op" && (t.text === "+" || t.text === "-" || t.text === "~")) { ops.push({ tok: t, kind: "unary" }); continue; }
      if (t.kind === "op" && t.text === "(") { ops.push({ tok: t, kind: "paren" }); open++; continue; }
      if (t.kind === "int") values.push(parseIntToken(t));
      else if (t.kind === "char") values.push(unquoteChar(t) & M64);
      else if (t.kind === "float") throw new AsmError(t.pos, "floating-point constants are not supported");
      else if (t.kind === "ident") throw new AsmError(t.pos, `undefined symbol ${short(t.text)} in constant expression`);
      else throw new AsmError(t.pos, `unexpected ${describe(t)} in expression`);
      this.factorDone();
      // Then operators: closing parentheses, and a binary operator or the end.
      for (;;) {
        const o = this.peek();
        if (o?.kind === "op" && o.text === ")" && open > 0) {
          this.i++;
          this.reduce(0);
          ops.pop(); // its "("
          open--;
          this.factorDone();
          continue;
        }
        const prec = o?.kind === "op" ? BINARY[o.text] : undefined;
        if (o !== undefined && prec !== undefined) {
          this.i++;
          this.reduce(prec);
          ops.push({ tok: o, kind: "binary" });
          break;
        }
        // The end of the expression.
        this.reduce(0);
        if (open > 0) {
          // Reported at what stands where the innermost ")" should be.
          let k = ops.length - 1;
          while (ops[k]!.kind !== "paren") k--;
          throw new AsmError((o ?? ops[k]!.tok).pos, "missing ) in expression");
        }
        return values.pop()!;
      }
    }
  }
}

/** One binary operation in uint64 arithmetic (`>>` is logical, as Go's). */
function binary(op: Token, a: bigint, b: bigint): bigint {
  switch (op.text) {
    case "+": return (a + b) & M64;
    case "-": return (a - b) & M64;
    case "|": return a | b;
    case "^": return a ^ b;
    case "*": return (a * b) & M64;
    case "/": case "%":
      if (b === 0n) throw new AsmError(op.pos, "division by zero");
      return op.text === "/" ? a / b : a % b;
    case "<<": return b >= 64n ? 0n : (a << b) & M64;
    case ">>": return b >= 64n ? 0n : a >> b;
    case "&": return a & b;
  }
  throw new Error(`binary: not an operator: ${op.text}`);
}
