// The program editor: CodeMirror 6 with a small Plan 9 assembly mode and
// the assembler's errors shown inline, each on its line with its column
// and message (the same text as `gmpemu asm` prints). Loaded on first use,
// so the page opens without it.

import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { defaultHighlightStyle, StreamLanguage, syntaxHighlighting, type StringStream } from "@codemirror/language";
import { EditorState, RangeSetBuilder, StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView, WidgetType, drawSelection, highlightActiveLine, keymap, lineNumbers, type DecorationSet } from "@codemirror/view";

/** A mark on a line: an assembly error, or (kind "check") the instruction a failed switch check names. */
export interface EditorError { line: number; col: number; message: string; text: string; kind?: "check" }

interface AsmState { inComment: boolean }

/** Go's assembly, enough to read: comments, strings, directives, registers, immediates, symbols. */
const plan9 = StreamLanguage.define<AsmState>({
  name: "plan9asm",
  startState: () => ({ inComment: false }),
  token(stream: StringStream, st: AsmState): string | null {
    if (st.inComment) {
      if (stream.skipTo("*/")) { stream.next(); stream.next(); st.inComment = false; } else stream.skipToEnd();
      return "comment";
    }
    if (stream.eatSpace()) return null;
    if (stream.match("//")) { stream.skipToEnd(); return "comment"; }
    if (stream.match("/*")) { st.inComment = true; return "comment"; }
    if (stream.sol() && stream.match(/^#\s*\w+/)) return "meta";
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/) || stream.match(/^'(?:[^'\\]|\\.)*'?/)) return "string";
    if (stream.match(/^\$-?(?:0x[0-9a-fA-F]+|\d+)/)) return "number";
    if (stream.match(/^(?:0x[0-9a-fA-F]+|\d+)/)) return "number";
    if (stream.match(/^(?:TEXT|DATA|GLOBL|PCDATA|FUNCDATA)\b/)) return "keyword";
    if (stream.match(/^(?:[ABCD]X|[SD]I|[SB]P|R(?:8|9|1[0-5])|X(?:1[0-5]|[0-9])|SB|FP|PC|TLS|[ABCD][LH]|SPB?|BPB|SIB|DIB|R(?:8|9|1[0-5])[BWL])\b/)) return "variableName.special";
    if (stream.match(/^[\p{L}_·∕.][\p{L}\p{Nd}_·∕.<>]*:/u)) return "labelName";
    if (stream.match(/^[\p{L}_·∕.][\p{L}\p{Nd}_·∕.<>]*/u)) return "variableName";
    stream.next();
    return null;
  },
});


class ErrorWidget extends WidgetType {
  constructor(readonly text: string) { super(); }
  override eq(o: ErrorWidget): boolean { return o.text === this.text; }
  toDOM(): HTMLElement {
    const el = document.createElement("span");
    el.className = "cm-asm-error-msg";
    el.textContent = this.text;
    return el;
  }
}

const setErrors = StateEffect.define<EditorError[]>();

const errorField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setErrors)) continue;
      const b = new RangeSetBuilder<Decoration>();
      const doc = tr.state.doc;
      const byLine = new Map<number, EditorError[]>();
      for (const err of e.value) {
        if (err.line < 1 || err.line > doc.lines) continue;
        byLine.set(err.line, [...(byLine.get(err.line) ?? []), err]);
      }
      for (const n of [...byLine.keys()].sort((a, c) => a - c)) {
        const line = doc.line(n);
        const errs = byLine.get(n)!;
        const cls = errs.some((x) => x.kind === "check") ? "cm-asm-error cm-check-fail" : "cm-asm-error";
        b.add(line.from, line.from, Decoration.line({ class: cls, attributes: { "data-line": String(n), title: errs.map((x) => x.text).join("\n") } }));
        b.add(line.to, line.to, Decoration.widget({ widget: new ErrorWidget(errs.map((x) => `${x.line}:${x.col}: ${x.message}`).join("; ")), side: 1 }));
      }
      deco = b.finish();
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

export interface Editor {
  readonly view: EditorView;
  text(): string;
  setText(text: string): void;
  showErrors(errors: EditorError[]): void;
  /** Puts the cursor on a line and scrolls it into view. */
  goto(line: number, col?: number): void;
}

export function createEditor(parent: HTMLElement, text: string, onChange: (text: string) => void): Editor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(), history(), drawSelection(), highlightActiveLine(),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        plan9, syntaxHighlighting(defaultHighlightStyle), errorField,
        EditorView.updateListener.of((u) => { if (u.docChanged) onChange(u.state.doc.toString()); }),
        EditorView.theme({ "&": { height: "100%" }, ".cm-scroller": { fontFamily: "var(--mono)" } }),
      ],
    }),
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    setText(t) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: t }, effects: setErrors.of([]) });
    },
    showErrors(errors) {
      view.dispatch({ effects: setErrors.of(errors) });
    },
    goto(line, col = 1) {
      const doc = view.state.doc;
      if (line < 1 || line > doc.lines) return;
      const l = doc.line(line);
      const pos = Math.min(l.to, l.from + Math.max(0, col - 1));
      view.dispatch({ selection: { anchor: pos }, effects: EditorView.scrollIntoView(pos, { y: "center" }) });
    },
  };
}
