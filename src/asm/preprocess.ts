// The preprocessor: #include, #define, #undef, #ifdef/#ifndef/#else/#endif,
// and macro expansion, with the semantics of Go's cmd/asm/internal/lex.
//
// It turns a file into one flat stream of tokens for the parser. Directives
// start with `#` as the first token of a line and end at the end of the line
// (a backslash before the newline continues a #define). Macros are token
// lists: an object-like macro `#define NAME body` or a function-like one
// `#define f(a, b) body` — function-like only when `(` follows the name
// with no space, as in C. An invocation's expansion is pushed back onto the
// input and rescanned, so macros may use other macros; a macro is not
// expanded inside its own expansion (Go reports that as recursion, we stop
// it the same way).
//
// Positions: a token from a macro body carries the position of the macro's
// use (so `get_tls(CX)` errors point at the line that wrote it); the tokens
// of an argument keep their own positions. Tokens from an #include carry the
// included file's name.
//
// #include "f" is looked up next to the including file, then in each -I
// directory, then in the source provider's include directory (on Node, the
// project's asm/include/: textflag.h, go_tls.h, funcdata.h and the generated
// go_asm.h). Files come only through the provider (src/asm/source.ts): only
// regular files, of bounded size (src/asm/diag.ts has the bounds), and each
// one read is recorded with its identity. GOOS_linux, GOARCH_amd64 and
// GOAMD64_v1 are predefined, as `go build` defines them for assembly.
//
// The output is a stream: the parser pulls tokens with next(), and the files
// are lexed as they are read, so a statement, not a file, is what is held
// in memory. Each macro expansion is bounded (its length, the depth of
// expansions in progress, and the tokens all expansions produce), so an
// exponential #define chain ends in a located error.
//
// Rejected: expanding arguments before substitution (C's rule). Go's lexer
// substitutes the raw argument tokens and rescans the result, which gives the
// same answer for every macro the runtime uses and is simpler.

import { AsmError, quote, short } from "./prog.ts";
import type { Pos } from "./prog.ts";
import { bytesText, DEFAULT_LIMITS, type Diag, type Limits } from "./diag.ts";
import { decodeSource, Lexer, tokenize } from "./lex.ts";
import type { Token } from "./lex.ts";
import type { SourceInput, SourceProvider } from "./source.ts";

export interface PreprocessOptions {
  /** -I directories, searched after the including file's directory. */
  includeDirs?: string[];
  /** -D definitions: "NAME" or "NAME=VALUE". */
  defines?: string[];
  /** Where files come from; without one, no file can be read or included. */
  source?: SourceProvider;
  /** Bounds on the input (src/asm/diag.ts); the defaults when absent. */
  limits?: Partial<Limits>;
}

interface Macro {
  name: string;
  /** Parameter names for a function-like macro; undefined for object-like. */
  params?: string[];
  /** Each parameter's index (a lookup per body token must not scan the list). */
  paramIndex?: Map<string, number>;
  body: Token[];
}

/** A file being read, or a macro expansion being rescanned. */
type Source =
  | { lexer: Lexer; file: string; conds: Cond[]; macro?: undefined }
  | { toks: Token[]; i: number; macro: string; lexer?: undefined; file?: undefined };

interface Cond {
  active: boolean;
  sawElse: boolean;
  pos: Pos;
}

const EOF_MACRO: Token = { kind: "eof", text: "", pos: { file: "", line: 0, col: 0 }, spaceBefore: false, bol: false };

function peekOf(s: Source): Token {
  return s.lexer ? s.lexer.peek() : s.toks[s.i] ?? EOF_MACRO;
}
function takeOf(s: Source): Token {
  if (s.lexer) return s.lexer.next();
  const t = s.toks[s.i];
  if (t === undefined) return EOF_MACRO;
  s.i++;
  return t;
}

/** The tokens of one assembly's files, directives obeyed and macros expanded. */
export class Preprocessor {
  private readonly macros = new Map<string, Macro>();
  private readonly stack: Source[] = [];
  private readonly includeDirs: string[];
  private readonly source: SourceProvider | undefined;
  readonly limits: Limits;
  /** Every file read, in order (a file included twice is listed twice). */
  readonly files: string[] = [];
  /** Every distinct file read, with its identity. */
  readonly inputs: SourceInput[] = [];
  private readonly inputIds = new Set<string>();
  private totalBytes = 0;
  private expandedTokens = 0;
  private macroDepth = 0;
  /** False #ifdef/#ifndef/#else frames open, over all files (a count, not a scan per token). */
  private inactive = 0;
  private fileDepth = 0;
  private lastFile = "<none>";

  constructor(private readonly diag: Diag, opts: PreprocessOptions = {}) {
    this.includeDirs = opts.includeDirs ?? [];
    this.source = opts.source;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const pre: Pos = { file: "<predefined>", line: 0, col: 0 };
    for (const n of ["GOOS_linux", "GOARCH_amd64", "GOAMD64_v1"]) this.macros.set(n, { name: n, body: [] });
    for (const d of opts.defines ?? []) {
      const eq = d.indexOf("=");
      const name = eq < 0 ? d : d.slice(0, eq);
      const value = eq < 0 ? "" : d.slice(eq + 1);
      const at: Pos = { file: "<command line>", line: 0, col: 0 };
      if (!/^[\p{L}_][\p{L}\p{Nd}_]*$/u.test(name)) {
        this.diag.error(new AsmError(at, `-D: bad macro name ${quote(name)}`));
        continue;
      }
      if (value.length > this.limits.maxFileBytes) {
        this.diag.error(new AsmError(at, `-D ${short(name)}: value longer than ${bytesText(this.limits.maxFileBytes)}`));
        continue;
      }
      const body = tokenize(value, "<command line>", this.diag).filter((t) => t.kind !== "eof" && t.kind !== "newline");
      this.macros.set(name, { name, body: body.map((t) => ({ ...t, pos: pre })) });
    }
  }

  /** Starts on a file read through the provider. A missing or unreadable file is an error, not an exception. */
  startFile(path: string): void {
    this.lastFile = path;
    const src = this.read(path, undefined);
    if (src !== undefined) this.pushFile(src, path);
  }

  /** Starts on source text that claims to come from `filename`. */
  start(src: string, filename: string): void {
    this.lastFile = filename;
    this.files.push(filename);
    this.pushFile(src, filename);
  }

  private pushFile(text: string, file: string): void {
    this.stack.push({ lexer: new Lexer(text, file, this.diag), file, conds: [] });
    this.fileDepth++;
  }

  /**
   * Reads a file through the provider, within the bounds; reports why not at
   * `at` (an #include) or against the file itself (the file given).
   */
  private read(path: string, at: Pos | undefined): string | undefined {
    const fail = (msg: string): undefined => {
      this.diag.error(at ? new AsmError(at, `#include ${quote(path)}: ${msg}`) : new AsmError({ file: path, line: 0, col: 0 }, msg));
      return undefined;
    };
    if (!this.source) return fail("cannot open file: no source provider");
    const left = this.limits.maxTotalBytes - this.totalBytes;
    const limit = Math.min(this.limits.maxFileBytes, left);
    const r = this.source.read(path, limit);
    if (!r.ok) {
      switch (r.why) {
        case "missing": return fail(at ? "no such file or directory" : "cannot open file: no such file or directory");
        case "not-regular": return fail(`not a regular file${r.detail ? ` (${article(r.detail)})` : ""}`);
        case "too-large":
          return fail(limit < this.limits.maxFileBytes
            ? `the files of this assembly exceed ${bytesText(this.limits.maxTotalBytes)} in all`
            : `file too large: ${r.detail ?? "too many bytes"} (the limit is ${bytesText(this.limits.maxFileBytes)})`);
        case "unreadable": return fail(`cannot read file${r.detail ? `: ${r.detail}` : ""}`);
      }
    }
    this.totalBytes += r.bytes.length;
    this.files.push(path);
    if (!this.inputIds.has(r.id)) {
      this.inputIds.add(r.id);
      this.inputs.push({ path, id: r.id });
    }
    try {
      return decodeSource(r.bytes, path);
    } catch (e) {
      if (e instanceof AsmError) this.diag.error(e);
      else throw e;
      return undefined;
    }
  }

  /** Whether an #ifdef (of any file being read) is false: tokens are skipped. */
  private skipping(): boolean {
    return this.inactive > 0;
  }

  /** The file whose tokens are being read (the top file source). */
  private topFile(): (Source & { lexer: Lexer }) | undefined {
    for (let k = this.stack.length - 1; k >= 0; k--) {
      const s = this.stack[k]!;
      if (s.lexer) return s as Source & { lexer: Lexer };
    }
    return undefined;
  }

  /**
   * Abandons the rest of the current source line: macro expansions in
   * progress are dropped, and the file's line is skipped unread; the next
   * token is the line's newline. For a line that is already an error.
   */
  skipLine(): void {
    while (this.stack.length > 0 && !this.stack[this.stack.length - 1]!.lexer) this.popMacro();
    this.topFile()?.lexer.skipLine();
  }

  private popMacro(): void {
    this.stack.pop();
    this.macroDepth--;
  }

  /** Next token after directives and macro expansion; eof at the end of the first file. */
  next(): Token {
    for (;;) {
      const src = this.stack[this.stack.length - 1];
      if (src === undefined) return eofAt(this.lastFile);
      const t = peekOf(src);
      if (t.kind === "eof") {
        if (!src.lexer) { this.popMacro(); continue; }
        this.stack.pop();
        this.fileDepth--;
        for (const c of src.conds) {
          if (!c.active) this.inactive--;
          if (!this.diag.full) this.diag.error(new AsmError(c.pos, "unclosed #ifdef or #ifndef"));
        }
        // The included file's last line ends a statement.
        if (this.stack.length > 0) return { ...t, kind: "newline", text: "\n" };
        return t;
      }
      takeOf(src);
      if (src.lexer && t.bol && t.kind === "op" && t.text === "#") {
        this.directive(src, t);
        continue;
      }
      if (t.kind === "cont") {
        if (!this.skipping()) this.diag.error(new AsmError(t.pos, "unexpected \\ outside #define"));
        continue;
      }
      if (t.kind === "newline") return t;
      if (this.skipping()) continue;
      if (t.kind === "op" && t.text === "#") {
        this.diag.error(new AsmError(t.pos, "'#' must be first item on line"));
        continue;
      }
      if (t.kind === "ident") {
        const m = this.macros.get(t.text);
        if (m && !this.stack.some((s) => s.macro === m.name)) {
          if (this.expand(m, t)) continue;
        }
      }
      return t;
    }
  }

  /**
   * Raw tokens of the rest of a directive line of `src` (continuations
   * joined), leaving its newline to end the statement; undefined when the
   * line is longer than a statement may be (reported, and skipped).
   */
  private restOfLine(src: Source & { lexer: Lexer }, hash: Token): Token[] | undefined {
    const out: Token[] = [];
    for (;;) {
      const t = src.lexer.peek();
      if (t.kind === "eof" || t.kind === "newline") return out;
      if (out.length >= this.limits.maxStatementTokens) {
        this.diag.error(new AsmError(hash.pos, `directive too long: more than ${this.limits.maxStatementTokens} tokens`));
        src.lexer.skipLine();
        return undefined;
      }
      out.push(src.lexer.next());
    }
  }

  private directive(src: Source & { lexer: Lexer }, hash: Token): void {
    const line = this.restOfLine(src, hash);
    if (line === undefined) return;
    const word = line[0];
    const conds = src.conds;
    if (word === undefined || word.kind !== "ident") {
      if (!this.skipping()) this.diag.error(new AsmError(hash.pos, `unexpected token after '#': ${word ? quote(word.text) : "end of line"}`));
      return;
    }
    const args = line.slice(1).filter((t) => t.kind !== "cont");
    switch (word.text) {
      case "ifdef":
      case "ifndef": {
        const name = args[0];
        if (args.length !== 1 || name?.kind !== "ident") {
          if (!this.skipping()) this.diag.error(new AsmError(word.pos, `#${word.text} requires one macro name`));
        }
        const defined = name !== undefined && this.macros.has(name.text);
        const active = word.text === "ifdef" ? defined : !defined;
        conds.push({ active, sawElse: false, pos: hash.pos });
        if (!active) this.inactive++;
        return;
      }
      case "else": {
        const c = conds[conds.length - 1];
        if (!c || c.sawElse) { this.diag.error(new AsmError(hash.pos, "unmatched #else")); return; }
        c.sawElse = true;
        c.active = !c.active;
        this.inactive += c.active ? -1 : 1;
        return;
      }
      case "endif":
        if (conds.length === 0) this.diag.error(new AsmError(hash.pos, "unmatched #endif"));
        else if (!conds.pop()!.active) this.inactive--;
        return;
    }
    if (this.skipping()) return;
    switch (word.text) {
      case "define": this.define(word, line.slice(1)); return;
      case "undef": {
        const name = args[0];
        if (args.length !== 1 || name?.kind !== "ident") {
          this.diag.error(new AsmError(word.pos, "syntax error in #undef"));
          return;
        }
        if (!this.macros.delete(name.text)) this.diag.error(new AsmError(name.pos, `#undef for undefined macro: ${quote(name.text)}`));
        return;
      }
      case "include": this.include(word, args); return;
      case "line": return; // accepted and ignored: positions stay those of the real file
      default:
        this.diag.error(new AsmError(word.pos, `unknown directive #${short(word.text)}`));
    }
  }

  private define(word: Token, rest: Token[]): void {
    const name = rest[0];
    if (name === undefined || name.kind !== "ident") {
      this.diag.error(new AsmError(word.pos, "#define requires a macro name"));
      return;
    }
    const shown = short(name.text);
    if (this.macros.has(name.text)) {
      this.diag.error(new AsmError(name.pos, `redefinition of macro: ${shown}`));
      return;
    }
    let i = 1;
    let params: string[] | undefined;
    const seen = new Map<string, number>();
    const open = rest[1];
    if (open && open.kind === "op" && open.text === "(" && !open.spaceBefore) {
      params = [];
      i = 2;
      for (;;) {
        const t = rest[i];
        if (t && t.kind === "op" && t.text === ")" && params.length === 0) { i++; break; }
        if (!t || t.kind !== "ident") {
          this.diag.error(new AsmError((t ?? name).pos, `bad syntax in definition for macro: ${shown}`));
          return;
        }
        if (seen.has(t.text)) {
          this.diag.error(new AsmError(t.pos, `duplicate argument ${short(t.text)} in definition for macro: ${shown}`));
          return;
        }
        seen.set(t.text, params.length);
        params.push(t.text);
        const sep = rest[i + 1];
        i += 2;
        if (sep && sep.kind === "op" && sep.text === ")") break;
        if (!sep || sep.kind !== "op" || sep.text !== ",") {
          this.diag.error(new AsmError((sep ?? t).pos, `bad syntax in definition for macro: ${shown}`));
          return;
        }
      }
    }
    // A continuation inside the body becomes a newline: a multi-line macro
    // expands to several statements, as Go's does.
    const body = rest.slice(i).map((t): Token => (t.kind === "cont" ? { ...t, kind: "newline", text: "\n" } : t));
    const m: Macro = { name: name.text, body };
    if (params) {
      m.params = params;
      m.paramIndex = seen;
    }
    this.macros.set(name.text, m);
  }

  private include(word: Token, args: Token[]): void {
    const f = args[0];
    if (args.length !== 1 || f?.kind !== "string" || !f.text.startsWith('"')) {
      this.diag.error(new AsmError(word.pos, '#include requires a quoted file name: #include "file.h"'));
      return;
    }
    const name = f.text.slice(1, -1);
    if (this.fileDepth >= this.limits.maxIncludeDepth) {
      this.diag.error(new AsmError(f.pos, `#include nesting deeper than ${this.limits.maxIncludeDepth} files (recursive include?)`));
      return;
    }
    const cur = this.topFile()?.file ?? ".";
    const found = this.source?.resolveInclude(name, cur, this.includeDirs);
    if (found === undefined) {
      this.diag.error(new AsmError(f.pos, `#include file not found: ${quote(name)}`));
      return;
    }
    const text = this.read(found, f.pos);
    if (text === undefined) return;
    this.pushFile(text, found);
  }

  /** Raw next token for argument collection (no expansion, no directives), within the current file. */
  private rawNext(): Token | undefined {
    for (;;) {
      const src = this.stack[this.stack.length - 1];
      if (!src) return undefined;
      const t = peekOf(src);
      if (t.kind === "eof") {
        if (src.lexer) return undefined;
        this.popMacro();
        continue;
      }
      return takeOf(src);
    }
  }

  private peekRaw(): Token | undefined {
    for (let k = this.stack.length - 1; k >= 0; k--) {
      const src = this.stack[k]!;
      const t = peekOf(src);
      if (t.kind !== "eof") return t;
      if (src.lexer) return undefined;
    }
    return undefined;
  }

  /** Reports a bound met by a macro use and abandons the rest of its line. */
  private overflow(use: Token, message: string): true {
    this.diag.error(new AsmError(use.pos, message));
    this.skipLine();
    return true;
  }

  /** Expands a macro use; returns false when a function-like macro is used without arguments (left as is). */
  private expand(m: Macro, use: Token): boolean {
    const L = this.limits;
    const name = short(m.name);
    if (this.macroDepth >= L.maxMacroDepth) return this.overflow(use, `recursive macro invocation: ${name}`);
    const at = (t: Token): Token => ({ ...t, pos: use.pos, bol: false });
    let out: Token[];
    if (m.params === undefined) {
      out = m.body.map(at);
    } else {
      const open = this.peekRaw();
      if (!open || open.kind !== "op" || open.text !== "(") return false;
      this.rawNext();
      const args: Token[][] = [[]];
      let depth = 0;
      let n = 0;
      for (;;) {
        const t = this.rawNext();
        if (t === undefined || t.kind === "newline") {
          this.diag.error(new AsmError(use.pos, `unterminated arg list invoking macro: ${name}`));
          // The newline still ends the statement: put it back.
          if (t) this.pushTokens([t], "\u0000newline");
          return true;
        }
        if (++n > L.maxStatementTokens) {
          return this.overflow(use, `arguments of macro ${name} longer than ${L.maxStatementTokens} tokens`);
        }
        if (t.kind === "op" && t.text === "(") depth++;
        if (t.kind === "op" && t.text === ")") {
          if (depth === 0) break;
          depth--;
        }
        if (t.kind === "op" && t.text === "," && depth === 0) { args.push([]); continue; }
        args[args.length - 1]!.push(t);
      }
      if (m.params.length === 0 && args.length === 1 && args[0]!.length === 0) args.pop();
      if (args.length !== m.params.length) {
        this.diag.error(new AsmError(use.pos, `wrong arg count for macro ${name}: want ${m.params.length}, got ${args.length}`));
        return true;
      }
      out = [];
      for (const t of m.body) {
        const k = t.kind === "ident" ? m.paramIndex!.get(t.text) ?? -1 : -1;
        if (k >= 0) {
          if (out.length + args[k]!.length > L.maxStatementTokens) {
            return this.overflow(use, `expansion of macro ${name} longer than ${L.maxStatementTokens} tokens`);
          }
          for (const a of args[k]!) out.push({ ...a, bol: false });
        } else out.push(at(t));
      }
    }
    this.expandedTokens += out.length;
    if (this.expandedTokens > L.maxExpandedTokens) {
      return this.overflow(use, `macro expansion produced more than ${L.maxExpandedTokens} tokens (an exponential #define?)`);
    }
    this.pushTokens(out, m.name);
    return true;
  }

  /** Rescans `toks` next, as the expansion of `macro` (hidden while active). */
  private pushTokens(toks: Token[], macro: string): void {
    this.stack.push({ toks, i: 0, macro });
    this.macroDepth++;
  }
}

/** "a directory", "a FIFO": the kind of file a provider named. */
function article(what: string): string {
  return /^[aeio]/.test(what) ? `an ${what}` : `a ${what}`;
}

function eofAt(file: string): Token {
  return { kind: "eof", text: "", pos: { file, line: 0, col: 0 }, spaceBefore: false, bol: true };
}
