// Offsets are named once: src/runtime/offsets.ts, generated from
// runtime2.ts (npm run gen), is the only place a struct offset is computed.
// This test holds every memory access in the runtime and the debug layer to
// it: an access through a field reads or writes exactly the field's width
// (mem.u8 for a bool, mem.ptr for a pointer ...), and no access adds a
// bare number to a base where a field name belongs.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIELD_WIDTH } from "../../src/runtime/offsets.ts";
import { genOffsetsTs } from "../../src/runtime/runtime2.ts";

const ROOT = join(import.meta.dirname, "../..");

/** The width each Mem accessor reads or writes. */
const ACCESSOR_WIDTH: Readonly<Record<string, number>> = {
  u8: 1, setU8: 1, u16: 2, setU16: 2, u32: 4, setU32: 4, i32: 4, setI32: 4,
  ptr: 8, setPtr: 8, int: 8, setInt: 8, u64: 8, setU64: 8, i64: 8,
};

/**
 * Narrower accesses Go itself makes: a note's key is a uintptr, but the
 * futex word is its low 32 bits (lock_futex.go's key32(&n.key)).
 */
const NARROWER: Readonly<Record<string, readonly number[]>> = { note_key: [4] };

export interface AccessProblem { file: string; line: number; text: string; why: string }

/** The first argument of a call whose "(" is at s[open]. */
function firstArg(s: string, open: number): string {
  let depth = 0;
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") {
      if (depth === 0) return s.slice(open + 1, i);
      depth--;
    } else if (c === "," && depth === 0) return s.slice(open + 1, i);
  }
  return s.slice(open + 1);
}

/** Checks the accesses of one source text against the field widths. */
export function checkAccesses(file: string, text: string, widths: Readonly<Record<string, number>>): AccessProblem[] {
  const out: AccessProblem[] = [];
  const re = /\bmem\.(u8|setU8|u16|setU16|u32|setU32|i32|setI32|ptr|setPtr|int|setInt|u64|setU64|i64)\(/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const arg = firstArg(text, m.index + m[0].length - 1).trim();
    const line = text.slice(0, m.index).split("\n").length;
    const terms = arg.split(/\s*\+\s*/);
    const last = terms[terms.length - 1]!;
    if (terms.length > 1 && /^(0x[0-9a-f]+|\d+)$/i.test(last)) {
      out.push({ file, line, text: `mem.${m[1]}(${arg})`, why: `adds the number ${last}: name the field (offsets.ts)` });
      continue;
    }
    const w = widths[last];
    if (w !== undefined && w !== ACCESSOR_WIDTH[m[1]!] && !(NARROWER[last] ?? []).includes(ACCESSOR_WIDTH[m[1]!]!)) {
      out.push({ file, line, text: `mem.${m[1]}(${arg})`, why: `${last} is ${w} bytes wide, mem.${m[1]} accesses ${ACCESSOR_WIDTH[m[1]!]}` });
    }
  }
  for (const bad of [/\boff\(\s*\w+\s*,\s*"/g, /\.fields\.\w+\.off\b/g]) {
    for (let m = bad.exec(text); m; m = bad.exec(text)) {
      out.push({ file, line: text.slice(0, m.index).split("\n").length, text: m[0], why: "computes a struct offset outside offsets.ts" });
    }
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(".ts")).map((f) => join(dir, f));
}

describe("offsets named once", () => {
  it("src/runtime/offsets.ts is what runtime2.ts generates (npm run gen)", () => {
    expect(readFileSync(join(ROOT, "src/runtime/offsets.ts"), "utf8")).toBe(genOffsetsTs());
  });

  it("every field access in the runtime and the debug layer has the field's width, and no offset is computed by hand", () => {
    const files = [...sources("src/runtime"), ...sources("src/debug")]
      .filter((f) => !f.endsWith("offsets.ts") && !f.endsWith("runtime2.ts"));
    expect(files.length).toBeGreaterThan(20);
    const problems = files.flatMap((f) => checkAccesses(f, readFileSync(join(ROOT, f), "utf8"), FIELD_WIDTH));
    expect(problems.map((p) => `${p.file}:${p.line}: ${p.text}: ${p.why}`)).toEqual([]);
  });

  it("the check catches a wrong width, a bare number and a hand-computed offset", () => {
    const bad = [
      "mem.u32(gp + g_preempt);", // a bool read as 4 bytes
      "mem.setPtr(pp + p_schedtick, 0);", // a uint32 written as 8
      "mem.ptr(mp + m_preemptoff + 8);", // a bare number
      "const o = off(gT, \"sched\");", // an offset computed here
      "mem.u8(gp + g_preempt); mem.setPtr(gp + g_sched + gobuf_sp, 1);", // fine
    ].join("\n");
    const p = checkAccesses("x.ts", bad, FIELD_WIDTH);
    expect(p.map((x) => x.line)).toEqual([1, 2, 3, 4]);
    expect(p[0]!.why).toBe("g_preempt is 1 bytes wide, mem.u32 accesses 4");
  });
});
