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
// The lexer is a stream: the preprocessor pulls one token at a time, so a
// file is never held as a token array (a 16 MiB line of `(` would be 16
// million token objects). A line that is already wrong can be skipped
// unread (skipLine), which is how an over-long statement costs no memory.
// Scanning works on character codes, with the Unicode classes asked only of
// non-ASCII characters, so a token of megabytes is read in linear time.
//
// Invariants: every token carries the position of its first character; a
// token's `spaceBefore` says whether white space preceded it (the
// preprocessor needs it to tell `#define f(x)` from `#define f (x)`); `bol`
// marks the first token of a line (where a `#` starts a directive). After
// the last token the lexer returns eof tokens forever.
//
// Rejected: a character-level preprocessor (C's model). Go's own assembler
// is token based, and token positions are what make errors inside macro
// expansions point at the right place.

import type { Pos } from "./prog.ts";
import { AsmError, quote } from "./prog.ts";

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

/** Where the lexer reports a bad character or literal. */
export interface ErrorSink {
  errorAt(pos: Pos, message: string): void;
}

const C_NL = 10, C_SP = 32, C_TAB = 9, C_CR = 13, C_FF = 12, C_VT = 11;
const C_SLASH = 47, C_STAR = 42, C_BSL = 92, C_0 = 48, C_9 = 57, C_US = 95;
const C_DQ = 34, C_SQ = 39, C_BQ = 96, C_DOT = 46;
const MIDDOT = 0xb7, DIVSLASH = 0x2215;
const OPS = "()[]{},$+-*/%&|^~!:;<>#=.@";

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isDigitCode(c: number): boolean {
  return c >= C_0 && c <= C_9;
}
function isHexCode(c: number): boolean {
  return isDigitCode(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
function isIdentStartCp(cp: number): boolean {
  if (cp < 0x80) return cp === C_US || isAsciiLetter(cp);
  return cp === MIDDOT || cp === DIVSLASH || LETTER.test(String.fromCodePoint(cp));
}
function isIdentRestCp(cp: number): boolean {
  if (cp < 0x80) return cp === C_US || isAsciiLetter(cp) || isDigitCode(cp);
  return isIdentStartCp(cp) || DIGIT.test(String.fromCodePoint(cp));
}

/**
 * Decodes a file's bytes as UTF-8, reporting the first invalid byte with its
 * position (Go rejects non-UTF-8 input too). The search for the bad byte is
 * one pass over the bytes, by the encoding's rules.
 */
export function decodeSource(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    let line = 1, col = 1;
    for (let i = 0; i < bytes.length; ) {
      const n = utf8Length(bytes, i);
      if (n === 0) {
        throw new AsmError({ file, line, col }, `invalid UTF-8 encoding (byte 0x${bytes[i]!.toString(16).padStart(2, "0")})`);
      }
      if (bytes[i] === 0x0a) { line++; col = 1; } else col++;
      i += n;
    }
    throw new AsmError({ file, line, col }, "invalid UTF-8 encoding");
  }
}

/** The length of the well-formed UTF-8 sequence at bytes[i], or 0 (RFC 3629's table). */
function utf8Length(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** The token stream of one source text. */
export class Lexer {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private space = false;
  private bol = true;
  /** Tokens scanned but not yet taken (a block comment yields several newlines). */
  private readonly queue: Token[] = [];
  private head = 0;
  /** skipLine in progress: scan without building tokens or reporting. */
  private discarding = false;

  constructor(private readonly src: string, readonly file: string, private readonly sink: ErrorSink) {}

  next(): Token {
    if (this.head === this.queue.length) this.fill();
    const t = this.queue[this.head++]!;
    // The queue is emptied now and then, not after every token.
    if (this.head === this.queue.length && this.head >= 256) { this.queue.length = 0; this.head = 0; }
    return t;
  }

  peek(): Token {
    if (this.head === this.queue.length) this.fill();
    return this.queue[this.head]!;
  }

  /**
   * Skips the rest of the current line: the next token is its newline (or
   * the end). Nothing skipped is reported or kept.
   */
  skipLine(): void {
    while (this.head < this.queue.length) {
      const k = this.queue[this.head]!.kind;
      if (k === "newline" || k === "eof") return;
      this.head++;
    }
    this.queue.length = 0;
    this.head = 0;
    this.discarding = true;
    try {
      for (;;) {
        this.fill();
        // While discarding, only newlines and the end are queued.
        if (this.queue.length > 0) return;
      }
    } finally {
      this.discarding = false;
    }
  }

  private pos(at: number): Pos {
    return { file: this.file, line: this.line, col: at - this.lineStart + 1 };
  }

  private push(kind: TokenKind, text: string, at: number): void {
    if (!this.discarding) this.queue.push({ kind, text, pos: this.pos(at), spaceBefore: this.space, bol: this.bol });
    this.space = false;
    this.bol = false;
  }

  private newline(at: number): void {
    this.queue.push({ kind: "newline", text: "\n", pos: this.pos(at), spaceBefore: this.space, bol: this.bol });
    this.line++;
    this.lineStart = at + 1;
    this.space = false;
    this.bol = true;
  }

  private error(at: number, message: string): void {
    if (!this.discarding) this.sink.errorAt(this.pos(at), message);
  }

  /** Scans until at least one token is queued (or, discarding, a newline or the end). */
  private fill(): void {
    const s = this.src;
    const n = s.length;
    while (this.queue.length === this.head) {
      let i = this.i;
      if (i >= n) {
        this.queue.push({ kind: "eof", text: "", pos: this.pos(i), spaceBefore: this.space, bol: this.bol });
        return;
      }
      const c = s.charCodeAt(i);
      if (c === C_NL) { this.newline(i); this.i = i + 1; continue; }
      if (c === C_SP || c === C_TAB || c === C_CR || c === C_FF || c === C_VT) { this.space = true; this.i = i + 1; continue; }
      if (c === C_SLASH && s.charCodeAt(i + 1) === C_SLASH) {
        const e = s.indexOf("\n", i);
        this.i = e < 0 ? n : e;
        this.space = true;
        continue;
      }
      if (c === C_SLASH && s.charCodeAt(i + 1) === C_STAR) {
        const startPos = this.pos(i);
        i += 2;
        let closed = false;
        while (i < n) {
          const d = s.charCodeAt(i);
          if (d === C_STAR && s.charCodeAt(i + 1) === C_SLASH) { i += 2; closed = true; break; }
          // A block comment spanning lines still ends those lines.
          if (d === C_NL) this.newline(i);
          i++;
        }
        if (!closed && !this.discarding) this.sink.errorAt(startPos, "comment not terminated");
        this.i = i;
        this.space = true;
        continue;
      }
      if (c === C_BSL) {
        // Backslash-newline (optionally with trailing blanks) continues a line.
        let j = i + 1;
        while (j < n && (s.charCodeAt(j) === C_SP || s.charCodeAt(j) === C_TAB || s.charCodeAt(j) === C_CR)) j++;
        if (j >= n || s.charCodeAt(j) === C_NL) {
          this.push("cont", "\\", i);
          if (j < n) { this.line++; this.lineStart = j + 1; }
          this.i = j + 1;
          this.space = true;
          continue;
        }
        this.push("op", "\\", i);
        this.i = i + 1;
        continue;
      }
      // Identifiers. Code points outside the BMP are taken whole.
      const cp = s.codePointAt(i)!;
      if (isIdentStartCp(cp)) {
        let j = i + (cp > 0xffff ? 2 : 1);
        while (j < n) {
          const d = s.charCodeAt(j);
          if (d < 0x80) {
            if (d === C_US || isAsciiLetter(d) || isDigitCode(d)) { j++; continue; }
            break;
          }
          const dp = s.codePointAt(j)!;
          if (!isIdentRestCp(dp)) break;
          j += dp > 0xffff ? 2 : 1;
        }
        this.push("ident", s.slice(i, j), i);
        this.i = j;
        continue;
      }
      if (isDigitCode(c)) {
        let j = i;
        let kind: TokenKind = "int";
        const c1 = s.charCodeAt(i + 1) | 0x20; // lower case
        if (c === C_0 && (c1 === 0x78 || c1 === 0x62 || c1 === 0x6f)) { // x b o
          j = i + 2;
          while (j < n && (isHexCode(s.charCodeAt(j)) || s.charCodeAt(j) === C_US)) j++;
        } else {
          while (j < n && (isDigitCode(s.charCodeAt(j)) || s.charCodeAt(j) === C_US)) j++;
          if (s.charCodeAt(j) === C_DOT && isDigitCode(s.charCodeAt(j + 1))) {
            kind = "float";
            j++;
            while (j < n && isDigitCode(s.charCodeAt(j))) j++;
          }
          const e = s.charCodeAt(j) | 0x20;
          const e1 = s.charCodeAt(j + 1);
          if (e === 0x65 && (isDigitCode(e1) || e1 === 43 || e1 === 45)) {
            kind = "float";
            j += 2;
            while (j < n && isDigitCode(s.charCodeAt(j))) j++;
          }
        }
        this.push(kind, s.slice(i, j), i);
        this.i = j;
        continue;
      }
      if (c === C_DQ || c === C_SQ || c === C_BQ) {
        let j = i + 1;
        let ok = false;
        const raw = c === C_BQ;
        while (j < n) {
          const d = s.charCodeAt(j);
          if (d === C_NL && !raw) break;
          if (d === C_BSL && !raw) { if (s.charCodeAt(j + 1) === C_NL) break; j += 2; continue; }
          if (d === c) { ok = true; j++; break; }
          j++;
        }
        if (!ok) {
          this.error(i, c === C_SQ ? "character literal not terminated" : "string literal not terminated");
          // A raw string's newlines still end lines.
          if (raw) for (let k = i; k < Math.min(j, n); k++) if (s.charCodeAt(k) === C_NL) { this.line++; this.lineStart = k + 1; }
          this.i = Math.min(j, n);
          continue;
        }
        this.push(c === C_SQ ? "char" : "string", s.slice(i, j), i);
        if (raw) {
          // Lines inside a raw string still count.
          for (let k = i; k < j; k++) if (s.charCodeAt(k) === C_NL) { this.line++; this.lineStart = k + 1; }
        }
        this.i = j;
        continue;
      }
      const c2 = s.charCodeAt(i + 1);
      if ((c === 60 && c2 === 60) || (c === 62 && c2 === 62)) { // << >>
        this.push("op", c === 60 ? "<<" : ">>", i);
        this.i = i + 2;
        continue;
      }
      const ch = s[i]!;
      if (OPS.includes(ch)) { this.push("op", ch, i); this.i = i + 1; continue; }
      this.error(i, `unexpected character ${quote(String.fromCodePoint(cp))}`);
      this.i = i + (cp > 0xffff ? 2 : 1);
    }
  }
}

/** Splits source text into tokens (for short texts: -D values). Errors go to `sink`. */
export function tokenize(src: string, file: string, sink: ErrorSink): Token[] {
  const lx = new Lexer(src, file, sink);
  const out: Token[] = [];
  for (;;) {
    const t = lx.next();
    out.push(t);
    if (t.kind === "eof") return out;
  }
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
    if (cps.length !== 1) throw new AsmError(tok.pos, `illegal character literal ${quote(tok.text)}`);
    return BigInt(cps[0]!.codePointAt(0)!);
  }
  const bytes = unescape(body, tok);
  // A single escape: \x and octal give a byte, \u a code point.
  if (/^\\[uU]/.test(body)) return BigInt(parseInt(body.slice(2), 16));
  if (bytes.length !== 1) throw new AsmError(tok.pos, `illegal character literal ${quote(tok.text)}`);
  return BigInt(bytes[0]!);
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92, "'": 39, '"': 34 };

/** Go's escapes, in one pass: the text between escapes is encoded in runs. */
function unescape(s: string, tok: Token): Uint8Array {
  const enc = new TextEncoder();
  if (!s.includes("\\")) return enc.encode(s);
  const parts: Uint8Array[] = [];
  const bytes: number[] = [];
  const flushBytes = (): void => {
    if (bytes.length) { parts.push(Uint8Array.from(bytes)); bytes.length = 0; }
  };
  let i = 0;
  while (i < s.length) {
    const b = s.indexOf("\\", i);
    if (b < 0 || b > i) {
      flushBytes();
      parts.push(enc.encode(s.slice(i, b < 0 ? s.length : b)));
      if (b < 0) break;
      i = b;
    }
    const e = s[i + 1];
    const simple = e !== undefined ? SIMPLE_ESCAPES[e] : undefined;
    if (simple !== undefined) { bytes.push(simple); i += 2; continue; }
    if (e === "x" && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16)); i += 4; continue;
    }
    if (e !== undefined && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      const v = parseInt(s.slice(i + 1, i + 4), 8);
      if (v <= 255) { bytes.push(v); i += 4; continue; }
    }
    if (e === "u" && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) {
      flushBytes();
      parts.push(enc.encode(String.fromCodePoint(parseInt(s.slice(i + 2, i + 6), 16)))); i += 6; continue;
    }
    if (e === "U" && /^[0-9a-fA-F]{8}$/.test(s.slice(i + 2, i + 10))) {
      const v = parseInt(s.slice(i + 2, i + 10), 16);
      if (v <= 0x10ffff) {
        flushBytes();
        parts.push(enc.encode(String.fromCodePoint(v))); i += 10; continue;
      }
    }
    throw new AsmError(tok.pos, `invalid escape in literal ${quote(tok.text)}`);
  }
  flushBytes();
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
