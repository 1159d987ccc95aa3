// The assembler's front door: files in, a linked image (or every error) out.
//
// `buildImage` assembles each file (src/asm/assemble.ts) and links them
// (src/asm/link.ts). Errors of all files are gathered first, so a user sees
// every problem at once; the CLI caps how many it prints.
import { assembleFile, type AsmOptions, type ObjFile } from "./assemble.ts";
import { link, LinkError, type Image, type LinkOptions } from "./link.ts";
import { AsmErrors, type AsmError } from "./prog.ts";

export type { Image, LinkedSym, LinkOptions } from "./link.ts";
export type { ObjFile, ObjSym, AsmOptions } from "./assemble.ts";
export { assembleFile, assembleString } from "./assemble.ts";
export { link, LinkError, TEXT_BASE } from "./link.ts";

export interface Built {
  image: Image;
  objs: ObjFile[];
}

/** Assembles and links; throws AsmErrors with every diagnostic when anything fails. */
export function buildImage(paths: readonly string[], opts: AsmOptions & LinkOptions = {}): Built {
  const errors: AsmError[] = [];
  const objs: ObjFile[] = [];
  for (const p of paths) {
    const r = assembleFile(p, opts);
    errors.push(...r.errors);
    objs.push(r.obj);
  }
  if (errors.length) throw new AsmErrors(errors);
  try {
    return { image: link(objs, opts), objs };
  } catch (e) {
    if (e instanceof LinkError) throw new AsmErrors(e.errors);
    throw e;
  }
}
