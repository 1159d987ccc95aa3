// The assembler's front door: files in, a linked image (or the errors) out.
//
// `buildImage` assembles each file (src/asm/assemble.ts) and links them
// (src/asm/link.ts). Errors of all files are gathered first, so a user sees
// every problem at once, up to MAX_ERRORS lines (then "too many errors", as
// Go's assembler stops). Files come through the SourceProvider given in the
// options; the result lists every file read (`inputs`) and the warnings.
import { assembleFile, type AsmFileOptions, type ObjFile } from "./assemble.ts";
import { MAX_ERRORS } from "./diag.ts";
import { link, LinkError, type Image, type LinkOptions } from "./link.ts";
import { AsmErrors, type AsmError, type AsmWarning } from "./prog.ts";
import type { SourceInput } from "./source.ts";

export type { Image, LinkedSym, LinkOptions } from "./link.ts";
export type { ObjFile, ObjSym, AsmOptions, AsmFileOptions } from "./assemble.ts";
export type { SourceProvider, SourceInput } from "./source.ts";
export { MemorySource } from "./source.ts";
export { assembleFile, assembleString } from "./assemble.ts";
export { link, LinkError, TEXT_BASE } from "./link.ts";
export { MAX_ERRORS, DEFAULT_LIMITS, type Limits } from "./diag.ts";
export { linkName, lookupSymbol } from "./symname.ts";

export interface Built {
  image: Image;
  objs: ObjFile[];
  /** Lossy encodings Go accepts (empty under `strict`, where they are errors). */
  warnings: AsmWarning[];
  /** Every distinct file read, sources and #includes, with its identity. */
  inputs: SourceInput[];
}

/** Assembles and links; throws AsmErrors when anything fails. */
export function buildImage(paths: readonly string[], opts: AsmFileOptions & LinkOptions): Built {
  const errors: AsmError[] = [];
  const warnings: AsmWarning[] = [];
  const objs: ObjFile[] = [];
  let tooMany = false;
  for (const p of paths) {
    const r = assembleFile(p, opts);
    for (const e of r.errors) errors.push(e);
    for (const w of r.warnings) warnings.push(w);
    objs.push(r.obj);
    if (r.tooMany || errors.length > MAX_ERRORS) {
      tooMany = true;
      break;
    }
  }
  if (errors.length) throw new AsmErrors(errors.slice(0, MAX_ERRORS), tooMany);
  const inputs: SourceInput[] = [];
  const seen = new Set<string>();
  for (const o of objs) for (const i of o.inputs) if (!seen.has(i.id)) { seen.add(i.id); inputs.push(i); }
  try {
    return { image: link(objs, opts), objs, warnings, inputs };
  } catch (e) {
    if (e instanceof LinkError) throw new AsmErrors(e.errors.slice(0, MAX_ERRORS), e.errors.length > MAX_ERRORS);
    throw e;
  }
}
