// Engine construction by name, for the CLI and the tests.
//
// `interp` is always available; `unicorn` needs libunicorn.so.2 and throws a
// message naming the package to install when it is missing; `lockstep` runs
// both, compared instruction by instruction.
import type { Engine } from "./engine.ts";
import { InterpEngine } from "./interp.ts";
import { UnicornEngine, unicornAvailable } from "./unicorn.ts";
import { LockstepEngine } from "./pair.ts";

export type EngineName = "interp" | "unicorn" | "lockstep";
export const ENGINE_NAMES: readonly EngineName[] = ["interp", "unicorn", "lockstep"];

export function createEngine(name: string): Engine {
  switch (name) {
    case "interp":
      return new InterpEngine();
    case "unicorn":
      return new UnicornEngine();
    case "lockstep":
      // Both CPUs, compared after every instruction (pair.ts).
      return new LockstepEngine(new InterpEngine(), new UnicornEngine());
    default:
      throw new Error(`unknown engine "${name}" (engines: ${ENGINE_NAMES.join(", ")})`);
  }
}

/** Whether an engine can be created on this machine. */
export function engineAvailable(name: EngineName): boolean {
  return name === "unicorn" || name === "lockstep" ? unicornAvailable() : true;
}
