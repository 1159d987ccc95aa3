// The benchmarks assemble their loops with src/engine/asmload.ts (the
// project's parser, prologues and layout, and a small in-place link).
import { nodeSource } from "../src/node/nodefs.ts";
import type { LoadableImage } from "../src/engine/load.ts";
import { assembleFileSimple } from "../src/engine/asmload.ts";

export function assembleFile(path: string): LoadableImage {
  return assembleFileSimple(path, { source: nodeSource });
}
