// Field widths and anonymous-struct layouts against the DWARF of a Go 1.19
// binary. go_asm.h (layout.test.ts) gives every named field's offset, but
// neither the width of a field nor the layout inside a field whose type is
// an unnamed struct (sched.gFree, p.gFree, stackpool's elements); Go's own
// debug information gives both. testdata/dwarfdump reads its own DWARF.
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  RUNTIME_STRUCTS, STRUCTS, pGFree, schedtDisable, schedtGFree, stackLargeT, stackpoolElem, type StructDef,
} from "../../src/runtime/runtime2.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";

const here = dirname(fileURLToPath(import.meta.url));
const golden = join(here, "testdata/dwarf.go1.19.txt");

/** Our layouts, with the DWARF path of the struct each one describes. */
const anonymous: [StructDef, string][] = [
  [schedtDisable, "runtime.schedt.disable"],
  [schedtGFree, "runtime.schedt.gFree"],
  [pGFree, "runtime.p.gFree"],
  [stackpoolElem, "runtime.stackpool[]"],
  [stackLargeT, "runtime.stackLarge"],
];
// sigcontext, ucontext and gclink are only reached through unsafe casts, so a
// Go binary carries no DWARF for them (go_asm.h still checks their offsets).
const noDwarf = new Set(["sigcontext", "ucontext", "gclink"]);
const named = [...STRUCTS, ...RUNTIME_STRUCTS].filter((s) => !noDwarf.has(s.name));
const queries = [...named.map((s) => `runtime.${s.name}`), "var:runtime.stackpool", "var:runtime.stackLarge"];

function dwarfFromGo(go: string): string {
  const tmp = mkdtempSync(join(tmpdir(), "gmpemu-dwarf-"));
  try {
    const exe = join(tmp, "dwarfdump");
    const env = { ...process.env, GOCACHE: join(tmp, "cache"), GOFLAGS: "", GO111MODULE: "off", GOOS: "linux", GOARCH: "amd64", CGO_ENABLED: "0" };
    const b = spawnSync(go, ["build", "-o", exe, join(here, "testdata/dwarfdump/main.go")], { encoding: "utf8", env });
    if (b.status !== 0) throw new Error(`go build dwarfdump: ${b.stderr}`);
    const r = spawnSync(exe, queries, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`dwarfdump: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** path → [offset, size]; a struct's own size is under "<path> -". */
function parse(text: string): Map<string, [number, number]> {
  const m = new Map<string, [number, number]>();
  for (const line of text.split("\n")) {
    const r = /^(\S+) (-|\d+) (\d+)$/.exec(line);
    if (r) m.set(r[2] === "-" ? `${r[1]} -` : r[1]!, [r[2] === "-" ? 0 : Number(r[2]), Number(r[3])]);
  }
  return m;
}

function check(theirs: Map<string, [number, number]>, s: StructDef, path: string, bad: string[]): void {
  const size = theirs.get(`${path} -`);
  if (!size) bad.push(`${path}: not in DWARF`);
  else if (size[1] !== s.size) bad.push(`${path}: size ours ${s.size}, Go ${size[1]}`);
  for (const [k, f] of Object.entries(s.fields)) {
    const t = theirs.get(`${path}.${k}`);
    if (!t) bad.push(`${path}.${k}: not in DWARF`);
    else if (t[0] !== f.off || t[1] !== f.size) bad.push(`${path}.${k}: ours ${f.off}+${f.size}, Go ${t[0]}+${t[1]}`);
  }
}

describe("layouts against Go 1.19's DWARF", () => {
  it("every declared field has Go's offset and width; anonymous structs match", () => {
    const go = findGo();
    let text: string;
    if (oracleAvailable("go1.19", go !== null)) {
      text = dwarfFromGo(go!);
      mkdirSync(dirname(golden), { recursive: true });
      writeFileSync(golden, text);
    } else {
      text = readFileSync(golden, "utf8");
    }
    const theirs = parse(text);
    const bad: string[] = [];
    for (const s of named) check(theirs, s, `runtime.${s.name}`, bad);
    for (const [s, path] of anonymous) check(theirs, s, path, bad);
    expect(bad).toEqual([]);
  });
});
