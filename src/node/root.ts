// Where gmpemu's own files are (asm/, programs/), for the Node host.
//
// The code runs from src/ (through tsx or vitest) or from the bundle in
// dist/ (npm's prepare step builds it), so a path relative to this module
// would be right in one layout and wrong in the other. The package root is
// instead the nearest directory above this module whose package.json is
// gmpemu's.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The root of the gmpemu package (the directory of its package.json). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    const pj = join(d, "package.json");
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, "utf8")) as { name?: string }).name === "gmpemu") return (root = d);
      } catch {
        // not a package.json we can read: keep looking
      }
    }
    if (dirname(d) === d) throw new Error("gmpemu: cannot find the package root (package.json) above " + fileURLToPath(import.meta.url));
  }
}

/** The runtime's assembly directory. */
export function asmDir(): string {
  return join(packageRoot(), "asm");
}
