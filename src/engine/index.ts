// Engine construction by name, for the CLI and the tests.
//
// `interp` is always available; `unicorn` needs libunicorn.so.2 and throws a
// message naming the package to install when it is missing; `lockstep` runs
// both, compared instruction by instruction.
//
// The core runs outside Node too (a browser bundles src/x86 ... src/engine),
// and only the unicorn engine needs Node (koffi, a native module). So this
// registry does not import it statically: where the platform is Node, it is
// loaded here once, with a dynamic import at the top level, which keeps
// createEngine synchronous for every caller; elsewhere it is never loaded,
// and a browser bundle built with code splitting keeps it (and koffi) in a
// chunk of its own that nothing fetches (test/engine/layers.test.ts bundles
// this file for the browser and checks).
import type { Engine } from "./engine.ts";
import { InterpEngine } from "./interp.ts";
import { LockstepEngine } from "./pair.ts";

export type EngineName = "interp" | "unicorn" | "lockstep";
export const ENGINE_NAMES: readonly EngineName[] = ["interp", "unicorn", "lockstep"];

/** Whether this is Node, where native libraries can be loaded. */
function onNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

type UnicornModule = typeof import("./unicorn.ts");
const unicorn: UnicornModule | null = onNode() ? await import("./unicorn.ts") : null;

const NOT_HERE = "unicorn engine: not available on this platform (it needs Node and libunicorn)";

function newUnicorn(): Engine {
  if (unicorn === null) throw new Error(NOT_HERE);
  return new unicorn.UnicornEngine();
}

export function createEngine(name: string): Engine {
  switch (name) {
    case "interp":
      return new InterpEngine();
    case "unicorn":
      return newUnicorn();
    case "lockstep":
      // Both CPUs, compared after every instruction (pair.ts).
      return new LockstepEngine(new InterpEngine(), newUnicorn());
    default:
      throw new Error(`unknown engine "${name}" (engines: ${ENGINE_NAMES.join(", ")})`);
  }
}

/** Whether an engine can be created on this machine. */
export function engineAvailable(name: EngineName): boolean {
  if (name === "interp") return true;
  return unicorn !== null && unicorn.unicornAvailable();
}
