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
// directory, then in the project's built-in asm/include/ (textflag.h,
// go_tls.h, funcdata.h and the generated go_asm.h). GOOS_linux, GOARCH_amd64
// and GOAMD64_v1 are predefined, as `go build` defines them for assembly.
//
// Rejected: expanding arguments before substitution (C's rule). Go's lexer
// substitutes the raw argument tokens and rescans the result, which gives the
// same answer for every macro the runtime uses and is simpler.

import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AsmError } from "./prog.ts";
import type { Pos } from "./prog.ts";
import { decodeSource, tokenize } from "./lex.ts";
import type { Token } from "./lex.ts";

export interface PreprocessOptions {
  /** -I directories, searched after the including file's directory. */
  includeDirs?: string[];
  /** -D definitions: "NAME" or "NAME=VALUE". */
  defines?: string[];
}

/** The project's own include directory (asm/include). */
export const BUILTIN_INCLUDE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../asm/include");

interface Macro {
  name: string;
  /** Parameter names for a function-like macro; undefined for object-like. */
  params?: string[];
  body: Token[];
}

interface Source {
  toks: Token[];
  i: number;
  /** Set for a file's own tokens. */
  file?: string;
  /** Set for a macro expansion: the macro's name (hidden while active). */
  macro?: string;
  /** #ifdef frames opened in this file. */
  conds?: Cond[];
}

interface Cond {
  active: boolean;
  sawElse: boolean;
  pos: Pos;
}

const MAX_INCLUDE_DEPTH = 64;
const MAX_EXPANSION_DEPTH = 200;

export class Preprocessor {
  readonly errors: AsmError[] = [];
  private readonly macros = new Map<string, Macro>();
  private readonly stack: Source[] = [];
  private readonly includeDirs: string[];
  /** Every file read, for the pc→line table and diagnostics. */
  readonly files: string[] = [];

  constructor(opts: PreprocessOptions = {}) {
    this.includeDirs = opts.includeDirs ?? [];
    const pre: Pos = { file: "<predefined>", line: 0, col: 0 };
    for (const n of ["GOOS_linux", "GOARCH_amd64", "GOAMD64_v1"]) this.macros.set(n, { name: n, body: [] });
    for (const d of opts.defines ?? []) {
      const eq = d.indexOf("=");
      const name = eq < 0 ? d : d.slice(0, eq);
      const value = eq < 0 ? "" : d.slice(eq + 1);
      const at: Pos = { file: "<command line>", line: 0, col: 0 };
      if (!/^[\p{L}_][\p{L}\p{Nd}_]*$/u.test(name)) {
        this.errors.push(new AsmError(at, `-D: bad macro name ${JSON.stringify(name)}`));
        continue;
      }
      const body = tokenize(value, "<command line>", this.errors).filter((t) => t.kind !== "eof" && t.kind !== "newline");
      this.macros.set(name, { name, body: body.map((t) => ({ ...t, pos: pre })) });
    }
  }

  /** Preprocesses a file on disk. A missing or unreadable file is an error, not an exception. */
  runFile(path: string): Token[] {
    const src = this.read(path, { file: path, line: 0, col: 0 }, true);
    if (src === undefined) return [eofAt(path)];
    return this.run(src, path);
  }

  /** Preprocesses source text that claims to come from `filename`. */
  run(src: string, filename: string): Token[] {
    this.files.push(filename);
    this.stack.push({ toks: tokenize(src, filename, this.errors), i: 0, file: filename, conds: [] });
    const out: Token[] = [];
    for (;;) {
      const t = this.next();
      if (t === undefined) break;
      out.push(t);
    }
    out.push(eofAt(filename));
    return out;
  }

  private read(path: string, at: Pos, top: boolean): string | undefined {
    let bytes: Uint8Array;
    try {
      if (existsSync(path) && statSync(path).isDirectory()) {
        this.errors.push(new AsmError(at, `${path} is a directory`));
        return undefined;
      }
      bytes = readFileSync(path);
    } catch {
      this.errors.push(top
        ? new AsmError({ file: path, line: 0, col: 0 }, `cannot open file: no such file or directory`)
        : new AsmError(at, `cannot open #include file ${JSON.stringify(path)}`));
      return undefined;
    }
    try {
      return decodeSource(bytes, path);
    } catch (e) {
      if (e instanceof AsmError) this.errors.push(e);
      return undefined;
    }
  }

  private skipping(): boolean {
    for (const s of this.stack) for (const c of s.conds ?? []) if (!c.active) return true;
    return false;
  }

  /** Next token after directives and macro expansion; undefined at the end of the top file. */
  private next(): Token | undefined {
    for (;;) {
      const src = this.stack[this.stack.length - 1];
      if (src === undefined) return undefined;
      const t = src.toks[src.i];
      if (t === undefined || t.kind === "eof") {
        this.stack.pop();
        if (src.file !== undefined) {
          for (const c of src.conds ?? []) this.errors.push(new AsmError(c.pos, "unclosed #ifdef or #ifndef"));
          // The included file's last line ends a statement.
          if (this.stack.length > 0 && t) return { ...t, kind: "newline", text: "\n" };
        }
        continue;
      }
      src.i++;
      if (src.file !== undefined && t.bol && t.kind === "op" && t.text === "#") {
        this.directive(src, t);
        continue;
      }
      if (t.kind === "cont") {
        if (!this.skipping()) this.errors.push(new AsmError(t.pos, "unexpected \\ outside #define"));
        continue;
      }
      if (t.kind === "newline") return t;
      if (this.skipping()) continue;
      if (t.kind === "op" && t.text === "#") {
        this.errors.push(new AsmError(t.pos, "'#' must be first item on line"));
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

  /** Raw tokens of the rest of the current line of `src` (continuations joined); consumes the newline. */
  private restOfLine(src: Source): Token[] {
    const out: Token[] = [];
    for (;;) {
      const t = src.toks[src.i];
      if (t === undefined || t.kind === "eof") return out;
      src.i++;
      if (t.kind === "newline") return out;
      out.push(t);
    }
  }

  private directive(src: Source, hash: Token): void {
    const line = this.restOfLine(src);
    // Keep the line count: a directive line still ends a statement.
    src.i--;
    if (src.toks[src.i]?.kind !== "newline") src.i++;
    const word = line[0];
    const conds = src.conds!;
    if (word === undefined || word.kind !== "ident") {
      if (!this.skipping()) this.errors.push(new AsmError(hash.pos, `unexpected token after '#': ${word ? JSON.stringify(word.text) : "end of line"}`));
      return;
    }
    const args = line.slice(1).filter((t) => t.kind !== "cont");
    switch (word.text) {
      case "ifdef":
      case "ifndef": {
        const name = args[0];
        if (args.length !== 1 || name?.kind !== "ident") {
          if (!this.skipping()) this.errors.push(new AsmError(word.pos, `#${word.text} requires one macro name`));
        }
        const defined = name !== undefined && this.macros.has(name.text);
        conds.push({ active: word.text === "ifdef" ? defined : !defined, sawElse: false, pos: hash.pos });
        return;
      }
      case "else": {
        const c = conds[conds.length - 1];
        if (!c || c.sawElse) { this.errors.push(new AsmError(hash.pos, "unmatched #else")); return; }
        c.sawElse = true;
        c.active = !c.active;
        return;
      }
      case "endif":
        if (conds.length === 0) this.errors.push(new AsmError(hash.pos, "unmatched #endif"));
        else conds.pop();
        return;
    }
    if (this.skipping()) return;
    switch (word.text) {
      case "define": this.define(word, line.slice(1)); return;
      case "undef": {
        const name = args[0];
        if (args.length !== 1 || name?.kind !== "ident") {
          this.errors.push(new AsmError(word.pos, "syntax error in #undef"));
          return;
        }
        if (!this.macros.delete(name.text)) this.errors.push(new AsmError(name.pos, `#undef for undefined macro: ${name.text}`));
        return;
      }
      case "include": this.include(word, args); return;
      case "line": return; // accepted and ignored: positions stay those of the real file
      default:
        this.errors.push(new AsmError(word.pos, `unknown directive #${word.text}`));
    }
  }

  private define(word: Token, rest: Token[]): void {
    const name = rest[0];
    if (name === undefined || name.kind !== "ident") {
      this.errors.push(new AsmError(word.pos, "#define requires a macro name"));
      return;
    }
    if (this.macros.has(name.text)) {
      this.errors.push(new AsmError(name.pos, `redefinition of macro: ${name.text}`));
      return;
    }
    let i = 1;
    let params: string[] | undefined;
    const open = rest[1];
    if (open && open.kind === "op" && open.text === "(" && !open.spaceBefore) {
      params = [];
      i = 2;
      for (;;) {
        const t = rest[i];
        if (t && t.kind === "op" && t.text === ")" && params.length === 0) { i++; break; }
        if (!t || t.kind !== "ident") {
          this.errors.push(new AsmError((t ?? name).pos, `bad syntax in definition for macro: ${name.text}`));
          return;
        }
        if (params.includes(t.text)) {
          this.errors.push(new AsmError(t.pos, `duplicate argument ${t.text} in definition for macro: ${name.text}`));
          return;
        }
        params.push(t.text);
        const sep = rest[i + 1];
        i += 2;
        if (sep && sep.kind === "op" && sep.text === ")") break;
        if (!sep || sep.kind !== "op" || sep.text !== ",") {
          this.errors.push(new AsmError((sep ?? t).pos, `bad syntax in definition for macro: ${name.text}`));
          return;
        }
      }
    }
    // A continuation inside the body becomes a newline: a multi-line macro
    // expands to several statements, as Go's does.
    const body = rest.slice(i).map((t): Token => (t.kind === "cont" ? { ...t, kind: "newline", text: "\n" } : t));
    const m: Macro = { name: name.text, body };
    if (params) m.params = params;
    this.macros.set(name.text, m);
  }

  private include(word: Token, args: Token[]): void {
    const f = args[0];
    if (args.length !== 1 || f?.kind !== "string" || !f.text.startsWith('"')) {
      this.errors.push(new AsmError(word.pos, '#include requires a quoted file name: #include "file.h"'));
      return;
    }
    const name = f.text.slice(1, -1);
    if (this.stack.filter((s) => s.file !== undefined).length >= MAX_INCLUDE_DEPTH) {
      this.errors.push(new AsmError(f.pos, "#include nesting too deep (recursive include?)"));
      return;
    }
    const cur = this.stack.filter((s) => s.file !== undefined).pop()?.file ?? ".";
    const dirs = [dirname(cur), ...this.includeDirs, BUILTIN_INCLUDE_DIR];
    const found = name.startsWith("/") ? (existsSync(name) ? name : undefined) : dirs.map((d) => join(d, name)).find((p) => existsSync(p) && statSync(p).isFile());
    if (found === undefined) {
      this.errors.push(new AsmError(f.pos, `#include file not found: ${JSON.stringify(name)}`));
      return;
    }
    const text = this.read(found, f.pos, false);
    if (text === undefined) return;
    const display = found.startsWith(BUILTIN_INCLUDE_DIR) ? found : found;
    this.files.push(display);
    this.stack.push({ toks: tokenize(text, display, this.errors), i: 0, file: display, conds: [] });
  }

  /** Raw next token for argument collection (no expansion, no directives). */
  private rawNext(): Token | undefined {
    for (;;) {
      const src = this.stack[this.stack.length - 1];
      if (!src) return undefined;
      const t = src.toks[src.i];
      if (t === undefined || t.kind === "eof") {
        if (src.file !== undefined) return undefined;
        this.stack.pop();
        continue;
      }
      src.i++;
      return t;
    }
  }

  private peekRaw(): Token | undefined {
    for (let k = this.stack.length - 1; k >= 0; k--) {
      const src = this.stack[k]!;
      const t = src.toks[src.i];
      if (t !== undefined && t.kind !== "eof") return t;
      if (src.file !== undefined) return undefined;
    }
    return undefined;
  }

  /** Expands a macro use; returns false when a function-like macro is used without arguments (left as is). */
  private expand(m: Macro, use: Token): boolean {
    if (this.stack.filter((s) => s.macro !== undefined).length >= MAX_EXPANSION_DEPTH) {
      this.errors.push(new AsmError(use.pos, `recursive macro invocation: ${m.name}`));
      return true;
    }
    const at = (t: Token): Token => ({ ...t, pos: use.pos, bol: false });
    if (m.params === undefined) {
      this.stack.push({ toks: m.body.map(at), i: 0, macro: m.name });
      return true;
    }
    const open = this.peekRaw();
    if (!open || open.kind !== "op" || open.text !== "(") return false;
    this.rawNext();
    const args: Token[][] = [[]];
    let depth = 0;
    for (;;) {
      const t = this.rawNext();
      if (t === undefined || t.kind === "newline") {
        this.errors.push(new AsmError(use.pos, `unterminated arg list invoking macro: ${m.name}`));
        return true;
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
      this.errors.push(new AsmError(use.pos, `wrong arg count for macro ${m.name}: want ${m.params.length}, got ${args.length}`));
      return true;
    }
    const out: Token[] = [];
    for (const t of m.body) {
      const k = t.kind === "ident" ? m.params.indexOf(t.text) : -1;
      if (k >= 0) out.push(...args[k]!.map((a) => ({ ...a, bol: false })));
      else out.push(at(t));
    }
    this.stack.push({ toks: out, i: 0, macro: m.name });
    return true;
  }
}

function eofAt(file: string): Token {
  return { kind: "eof", text: "", pos: { file, line: 0, col: 0 }, spaceBefore: false, bol: true };
}
