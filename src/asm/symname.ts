// Symbols as the source spells them.
//
// Go assembly writes `·f` (the package being assembled), `main·f`,
// `runtime·gogo`, `gogo<>` (file-local), and tools print the linked names
// `main.f`, `runtime.gogo`, `gogo<2>`. A user may type any of these where a
// command names a symbol (--entry, --only, b, until), so the mapping lives
// here once, beside the parser that applies the same rule to the source.
//
// `linkName` is the rule itself: `·` is `.`, `∕` is `/`, a leading `·` is
// the package (-p, main by default), and a trailing `(SB)` is dropped.
// `lookupSymbol` applies it against an image, where `name<>` finds the one
// file-local `name<N>` (and says so when several files have one).


/** The linked name of a symbol as source spells it: `·f`, `main·f`, `main.f` → `main.f`. */
export function linkName(spelled: string, pkg = "main"): string {
  let n = spelled.trim();
  if (n.endsWith("(SB)")) n = n.slice(0, -4);
  n = n.replace(/\u00b7/g, ".").replace(/\u2215/g, "/");
  if (n.startsWith(".")) n = pkg + n;
  return n;
}

export type SymbolMatch =
  | { ok: true; name: string; addr: number }
  | { ok: false; message: string };

/**
 * Finds a symbol of an image by any of its spellings: defined symbols, and
 * the undefined ones the link gave an address (host functions).
 */
/** What lookupSymbol needs of an image (link.ts's Image has it; named here so symname imports nothing above the parser). */
export interface SymbolTable {
  readonly symbols: readonly { readonly name: string; readonly addr: number }[];
  readonly undefined: ReadonlyMap<string, number>;
}

export function lookupSymbol(image: SymbolTable, spelled: string, pkg = "main"): SymbolMatch {
  const name = linkName(spelled, pkg);
  const all = new Map<string, number>();
  for (const s of image.symbols) all.set(s.name, s.addr);
  for (const [n, a] of image.undefined) if (!all.has(n)) all.set(n, a);
  const exact = all.get(name);
  if (exact !== undefined) return { ok: true, name, addr: exact };
  if (name.endsWith("<>")) {
    const base = name.slice(0, -2);
    const local = [...all.keys()].filter((n) => n.startsWith(base + "<") && /^<\d+>$/.test(n.slice(base.length)));
    if (local.length === 1) return { ok: true, name: local[0]!, addr: all.get(local[0]!)! };
    if (local.length > 1) return { ok: false, message: `${spelled} is ambiguous: ${local.join(", ")} (name one with its file's number)` };
  }
  // Suggest the symbols with the same last element (a wrong package, a missing <>).
  const short = name.replace(/<\d*>$/, "").split(".").pop()!;
  const near = [...all.keys()].filter((n) => n.replace(/<\d*>$/, "").split(".").pop() === short).slice(0, 5);
  return { ok: false, message: `no symbol ${name}${near.length ? ` (did you mean ${near.join(", ")}?)` : ""}` };
}
