// TEMPORARY (until src/engine/index.ts loads the Unicorn engine lazily,
// branch wt-lower): libunicorn is a native library reached through koffi,
// which a browser cannot load. The page runs the interpreter; the Unicorn
// engine stays with the command line (gmpemu run --engine unicorn).

import type { Engine } from "../../src/engine/engine.ts";

export const UNICORN_MISSING = "the Unicorn engine is native (libunicorn through koffi): it runs with the command line, not in a browser";

export function unicornAvailable(): boolean {
  return false;
}

export function unicornFastCount(): boolean {
  return false;
}

export class UnicornEngine {
  constructor() {
    throw new Error(UNICORN_MISSING);
  }
}

// The type the engine registry expects of the class it constructs.
export type { Engine };
