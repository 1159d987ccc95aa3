// The tokenizer: source text → tokens, each with its file:line:col.
//
// Go's assembler reads its input as tokens, not characters, and so do we:
// macros are defined and expanded as token lists (src/asm/preprocess.ts), and
// the parser (src/asm/parse.ts) never sees raw text. The token set is the one
// Go's cmd/asm lexer produces: identifiers (which may contain the middle dot
// `·` and the division slash `∕` that stand for `.` and `/` in symbol names),
// integers, floats, character and string literals, single-character
// punctuation, and the two-character shifts `<<` and `>>`. Newlines are
// tokens because they end statements; comments disappear (a block comment
// that spans lines still yields the newlines, so line numbers stay right).
//
// Invariants: every token carries the position of its first character; a
// token's `spaceBefore` says whether white space preceded it (the
// preprocessor needs it to tell `#define f(x)` from `#define f (x)`); `bol`
// marks the first token of a line (where a `#` starts a directive).
//
// Rejected: a character-level preprocessor (C's model). Go's own assembler
// is token based, and token positions are what make errors inside macro
// expansions point at the right place.

import type { Pos } from "./prog.ts";
import { AsmError } from "./prog.ts";

export type TokenKind =
  | "ident" | "int" | "float" | "char" | "string"
  | "op"       // punctuation: ( ) , $ + - * / % & | ^ ~ ! : ; < > << >> # = . @ [ ] { }
  | "cont"     // a backslash at the end of a line (continues a #define)
  | "newline"
  | "eof";

export interface Token {
  kind: TokenKind;
  text: string;
  pos: Pos;
  spaceBefore: boolean;
  /** First token of its line. */
  bol: boolean;
}

function isLetter(ch: string): boolean {
  return /\p{L}/u.test(ch);
}
function isDigit(ch: string): boolean {
  return ch >= "0" && ch <= "9";
}
function isIdentStart(ch: string): boolean {
  return ch === "_" || ch === "\u00b7" || ch === "\u2215" || isLetter(ch);
}
function isIdentRest(ch: string): boolean {
  return isIdentStart(ch) || isDigit(ch) || /\p{Nd}/u.test(ch);
}

/**
 * Decodes a file's bytes as UTF-8, reporting the first invalid byte with its
 * position (Go rejects non-UTF-8 input too).
 */
export function decodeSource(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Find the offending byte to give a line and column.
    let line = 1, col = 1;
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i]!;
      let n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
      if (n > 1) {
        try {
          new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(i, i + n));
        } catch {
          n = 0;
        }
      }
      if (n === 0) {
        throw new AsmError({ file, line, col }, `invalid UTF-8 encoding (byte 0x${b.toString(16).padStart(2, "0")})`);
      }
      if (b === 0x0a) { line++; col = 1; } else col++;
      i += n;
    }
    throw new AsmError({ file, line, col }, "invalid UTF-8 encoding");
  }
}

/** Splits source text into tokens. Errors (bad characters, unterminated literals) are collected. */
export function tokenize(src: string, file: string, errors: AsmError[]): Token[] {
  const out: Token[] = [];
  let i = 0, line = 1, lineStart = 0;
  let space = false, bol = true;
  const chars = src;
  const pos = (at: number): Pos => ({ file, line, col: at - lineStart + 1 });
  const push = (kind: TokenKind, text: string, at: number): void => {
    out.push({ kind, text, pos: pos(at), spaceBefore: space, bol });
    space = false;
    bol = false;
  };
  const newline = (at: number): void => {
    out.push({ kind: "newline", text: "\n", pos: pos(at), spaceBefore: space, bol });
    line++;
    lineStart = at + 1;
    space = false;
    bol = true;
  };
  while (i < chars.length) {
    const ch = chars[i]!;
    if (ch === "\n") { newline(i); i++; continue; }
    if (ch === " " || ch === "\t" || ch === "\r" || ch === "\f" || ch === "\v") { space = true; i++; continue; }
    if (ch === "/" && chars[i + 1] === "/") {
      while (i < chars.length && chars[i] !== "\n") i++;
      space = true;
      continue;
    }
    if (ch === "/" && chars[i + 1] === "*") {
      const start = pos(i);
      i += 2;
      let closed = false;
      while (i < chars.length) {
        if (chars[i] === "*" && chars[i + 1] === "/") { i += 2; closed = true; break; }
        if (chars[i] === "\n") {
          // A block comment spanning lines still ends those lines.
          newline(i);
        }
        i++;
      }
      if (!closed) errors.push(new AsmError(start, "comment not terminated"));
      space = true;
      continue;
    }
    if (ch === "\\") {
      // Backslash-newline (optionally with trailing blanks) continues a line.
      let j = i + 1;
      while (chars[j] === " " || chars[j] === "\t" || chars[j] === "\r") j++;
      if (chars[j] === "\n" || j >= chars.length) {
        push("cont", "\\", i);
        if (j < chars.length) { line++; lineStart = j + 1; }
        i = j + 1;
        space = true;
        continue;
      }
      push("op", "\\", i);
      i++;
      continue;
    }
    // Identifiers. Code points outside the BMP are taken whole.
    const cp = String.fromCodePoint(chars.codePointAt(i)!);
    if (isIdentStart(cp)) {
      let j = i + cp.length;
      while (j < chars.length) {
        const c = String.fromCodePoint(chars.codePointAt(j)!);
        if (!isIdentRest(c)) break;
        j += c.length;
      }
      push("ident", chars.slice(i, j), i);
      i = j;
      continue;
    }
    if (isDigit(ch)) {
      let j = i;
      let kind: TokenKind = "int";
      if (ch === "0" && /[xXbBoO]/.test(chars[i + 1] ?? "")) {
        j = i + 2;
        while (j < chars.length && /[0-9a-fA-F_]/.test(chars[j]!)) j++;
      } else {
        while (j < chars.length && /[0-9_]/.test(chars[j]!)) j++;
        if (chars[j] === "." && isDigit(chars[j + 1] ?? "")) {
          kind = "float";
          j++;
          while (j < chars.length && isDigit(chars[j]!)) j++;
        }
        if (/[eE]/.test(chars[j] ?? "") && /[0-9+-]/.test(chars[j + 1] ?? "")) {
          kind = "float";
          j += 2;
          while (j < chars.length && isDigit(chars[j]!)) j++;
        }
      }
      push(kind, chars.slice(i, j), i);
      i = j;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === "`") {
      let j = i + 1;
      let ok = false;
      while (j < chars.length) {
        const c = chars[j]!;
        if (c === "\n" && ch !== "`") break;
        if (c === "\\" && ch !== "`") { j += 2; continue; }
        if (c === ch) { ok = true; j++; break; }
        j++;
      }
      if (!ok) {
        errors.push(new AsmError(pos(i), ch === "'" ? "character literal not terminated" : "string literal not terminated"));
        i = j;
        continue;
      }
      push(ch === "'" ? "char" : "string", chars.slice(i, j), i);
      i = j;
      continue;
    }
    const two = chars.slice(i, i + 2);
    if (two === "<<" || two === ">>") { push("op", two, i); i += 2; continue; }
    if ("()[]{},$+-*/%&|^~!:;<>#=.@".includes(ch)) { push("op", ch, i); i++; continue; }
    errors.push(new AsmError(pos(i), `unexpected character ${JSON.stringify(cp)}`));
    i += cp.length;
  }
  out.push({ kind: "eof", text: "", pos: pos(i), spaceBefore: space, bol });
  return out;
}

/** The value of a Go string literal token ("..." with escapes, or `raw`), as UTF-8 bytes. */
export function unquoteString(tok: Token): Uint8Array {
  const t = tok.text;
  if (t.startsWith("`")) return new TextEncoder().encode(t.slice(1, -1));
  return unescape(t.slice(1, -1), tok);
}

/** The value of a character literal token ('a', '\n', '\x41', 'λ'). */
export function unquoteChar(tok: Token): bigint {
  const body = tok.text.slice(1, -1);
  if (!body.startsWith("\\")) {
    const cps = [...body];
    if (cps.length !== 1) throw new AsmError(tok.pos, `illegal character literal ${tok.text}`);
    return BigInt(cps[0]!.codePointAt(0)!);
  }
  const bytes = unescape(body, tok);
  // A single escape: \x and octal give a byte, \u a code point.
  if (/^\\[uU]/.test(body)) return BigInt(parseInt(body.slice(2), 16));
  if (bytes.length !== 1) throw new AsmError(tok.pos, `illegal character literal ${tok.text}`);
  return BigInt(bytes[0]!);
}

function unescape(s: string, tok: Token): Uint8Array {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c !== "\\") {
      const cp = String.fromCodePoint(s.codePointAt(i)!);
      out.push(...enc.encode(cp));
      i += cp.length;
      continue;
    }
    const e = s[i + 1];
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92, "'": 39, '"': 34 };
    if (e !== undefined && e in simple) { out.push(simple[e]!); i += 2; continue; }
    if (e === "x" && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      out.push(parseInt(s.slice(i + 2, i + 4), 16)); i += 4; continue;
    }
    if (e !== undefined && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      const v = parseInt(s.slice(i + 1, i + 4), 8);
      if (v > 255) break;
      out.push(v); i += 4; continue;
    }
    if (e === "u" && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) {
      out.push(...enc.encode(String.fromCodePoint(parseInt(s.slice(i + 2, i + 6), 16)))); i += 6; continue;
    }
    if (e === "U" && /^[0-9a-fA-F]{8}$/.test(s.slice(i + 2, i + 10))) {
      const v = parseInt(s.slice(i + 2, i + 10), 16);
      if (v > 0x10ffff) break;
      out.push(...enc.encode(String.fromCodePoint(v))); i += 10; continue;
    }
    throw new AsmError(tok.pos, `invalid escape in literal ${tok.text}`);
  }
  return Uint8Array.from(out);
}
