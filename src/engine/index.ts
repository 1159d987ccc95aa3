// Engine construction by name, for the CLI and the tests.
//
// `interp` is always available; `unicorn` needs libunicorn.so.2 and throws a
// message naming the package to install when it is missing.
import type { Engine } from "./engine.ts";
import { InterpEngine } from "./interp.ts";
import { UnicornEngine, unicornAvailable } from "./unicorn.ts";

export type EngineName = "interp" | "unicorn";
export const ENGINE_NAMES: readonly EngineName[] = ["interp", "unicorn"];

export function createEngine(name: string): Engine {
  switch (name) {
    case "interp":
      return new InterpEngine();
    case "unicorn":
      return new UnicornEngine();
    default:
      throw new Error(`unknown engine "${name}" (engines: ${ENGINE_NAMES.join(", ")})`);
  }
}

/** Whether an engine can be created on this machine. */
export function engineAvailable(name: EngineName): boolean {
  return name === "unicorn" ? unicornAvailable() : true;
}
