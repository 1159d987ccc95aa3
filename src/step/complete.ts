// Tab completion for the stepper's command line: command names first, then
// what the command takes (symbols as the source spells them, registers,
// goroutine fields, scheduler events, `info` subcommands), read from the
// machine being stepped. Pure: a terminal's readline calls it.

import { gFieldPaths, REGISTER_NAMES } from "./expr.ts";
import { COMMAND_NAMES, COMMANDS, INFO_SUBCOMMANDS } from "./help.ts";
import type { StepperCore } from "./core.ts";
import { EVENT_BREAKS } from "./core.ts";

/** The symbols a user may name: the image's (linked names) and the runtime's host functions. */
function symbolNames(s: StepperCore): string[] {
  const names = new Set<string>();
  for (const sym of s.m.image.symbols) if (sym.kind === "text") names.add(sym.name);
  for (const f of s.m.bridge.table.fns) names.add(f.name);
  return [...names].sort();
}

/**
 * readline's completer: the candidates for the word being typed at the end
 * of `line`, and that word. A symbol typed with `·` completes with `·`.
 */
export function complete(s: StepperCore, line: string): [string[], string] {
  const words = line.split(/\s+/);
  const word = words[words.length - 1] ?? "";
  const pick = (all: readonly string[]): [string[], string] => [[...new Set(all.filter((c) => c.startsWith(word)))], word];
  if (words.length <= 1) return pick(COMMAND_NAMES);
  const cmd = words[0]!.replace(/\/.*$/, "");
  const spec = COMMANDS.find((c) => c.names.includes(cmd));
  if (!spec) return [[], word];
  if (spec.arg === "info") return words.length === 2 ? pick(INFO_SUBCOMMANDS) : pick(REGISTER_NAMES);
  if (spec.arg === "event") return pick(Object.keys(EVENT_BREAKS));
  if (spec.arg !== "location" && spec.arg !== "expr") return [[], word];
  // Inside an expression: complete the last term.
  const term = /[^+\-*(\s]*$/.exec(word)?.[0] ?? "";
  const head = word.slice(0, word.length - term.length);
  let cands: string[];
  if (term.startsWith("$")) cands = REGISTER_NAMES.map((r) => "$" + r);
  else if (term.startsWith("@")) cands = Object.keys(EVENT_BREAKS);
  else if (term.startsWith("g.")) cands = gFieldPaths().map((p) => "g." + p);
  else if (words.length >= 3 && words[words.length - 3] === "g" && /^\d+$/.test(words[words.length - 2]!)) cands = gFieldPaths();
  else {
    const dot = term.includes("\u00b7");
    cands = symbolNames(s).map((n) => (dot ? n.replace(/\./g, "\u00b7") : n));
    if (term.startsWith("\u00b7")) cands = cands.concat(symbolNames(s).filter((n) => n.startsWith("main.")).map((n) => n.slice(4).replace(/^\./, "\u00b7")));
  }
  const hits = [...new Set(cands.filter((c) => c.startsWith(term)))].map((c) => head + c);
  return [hits, word];
}
