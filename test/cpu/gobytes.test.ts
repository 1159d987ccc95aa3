// The rows' bytes are what Go 1.19's assembler writes for their text.
// With Go installed the check runs against `go tool asm` (and refreshes
// test/golden/cpu/rows-go.json when GMPEMU_UPDATE_GOLDEN=1); without it, it
// runs against that golden file.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { ROWS } from "./rows.ts";
import { hex, hexBytes } from "./harness.ts";

const GOLDEN = join(import.meta.dirname, "../golden/cpu/rows-go.json");

/** Rows whose text Go's assembler reads as written. */
function goTexts(): string[] {
  const out = new Set<string>();
  for (const r of ROWS) {
    const a = r.asm;
    if (!a || r.go === false) continue;
    if (a.includes("(IP)") || a.includes("FS:") || /^(J\w+|CALL) 0x/.test(a) || a === "NOP") continue;
    out.add(a);
  }
  return [...out];
}

function assembleWithGo(go: string, texts: string[]): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-rows-"));
  const src = texts.map((t, k) => `TEXT ·f${k}(SB),4,$0-0\n\t${t}\n`).join("");
  writeFileSync(join(dir, "rows.s"), src);
  const out = execFileSync(go, ["tool", "asm", "-S", "-p", "main", "-o", join(dir, "rows.o"), join(dir, "rows.s")], { encoding: "utf8", cwd: dir });
  const bytes: Record<string, string> = {};
  let cur = -1;
  for (const line of out.split("\n")) {
    const m = /^""\.f(\d+) STEXT/.exec(line);
    if (m) { cur = Number(m[1]); bytes[texts[cur]!] = ""; continue; }
    const h = /^\t0x[0-9a-f]{4} ((?:[0-9a-f]{2} )+)/.exec(line);
    if (h && cur >= 0) bytes[texts[cur]!] = (bytes[texts[cur]!] + " " + h[1]!.trim()).trim();
  }
  return bytes;
}

describe("row bytes are Go's", () => {
  const texts = goTexts();
  const go = findGo();
  let want: Record<string, string>;
  if (oracleAvailable("go", go !== null)) {
    want = assembleWithGo(go!, texts);
    if (process.env.GMPEMU_UPDATE_GOLDEN === "1" || !existsSync(GOLDEN)) writeFileSync(GOLDEN, JSON.stringify(want, null, 1) + "\n");
  } else {
    want = JSON.parse(readFileSync(GOLDEN, "utf8")) as Record<string, string>;
  }
  it.each(ROWS.filter((r) => r.asm && r.go !== false && texts.includes(r.asm)).map((r) => [r.asm!, r] as const))("%s", (a, r) => {
    expect(want[a], `Go's bytes for ${a}`).toBeDefined();
    expect(hex(hexBytes(r.b))).toBe(want[a]);
  });
});
