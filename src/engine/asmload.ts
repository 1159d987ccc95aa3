// From a Go assembly file to a loadable image, for `gmpemu verify`, the
// benchmarks and the engine tests: the assembler and linker (src/asm/) with
// every undefined symbol given an address on the loader's host page, so that
// calling one stops the run as a host call (there is no runtime to answer it
// at this layer; src/runtime's bridge gives its host functions their own
// addresses the same way).
import { buildImage, type Image } from "../asm/index.ts";
import type { SourceProvider } from "../asm/source.ts";
import { HOST_PAGE, type LoadableImage } from "./load.ts";

export interface SimpleImage extends LoadableImage {
  pcToLine(pc: number): { file: string; line: number } | undefined;
  /** "sym", "sym+0x10", or "name (host)" for an undefined symbol. */
  symbolize(addr: number): string | undefined;
  /** Symbols the file uses but does not define, with their host addresses. */
  undefinedSyms: ReadonlyMap<string, number>;
  image: Image;
}

/** Assembles and links one file; throws AsmErrors (every diagnostic) on bad input. */
export function assembleFileSimple(path: string, opts: { pkg?: string; includeDirs?: string[]; source: SourceProvider }): SimpleImage {
  let next = HOST_PAGE + 16;
  const { image } = buildImage([path], { ...opts, resolve: () => (next += 16) - 16 });
  return {
    symbols: image.symbols,
    undefinedSyms: image.undefined,
    image,
    pcToLine: (pc) => image.pcToLine(pc),
    symbolize(addr) {
      const s = image.symbolize(addr);
      return s !== undefined && image.undefined.has(s) ? `${s} (host)` : s;
    },
  };
}
