// decode(encode(x)) formats as x, for every row of the instruction table.
//
// For each row we write Go source with operands of the row's kinds (a
// register and a memory variant where the kind allows both), assemble it
// with the encoder, decode the bytes and print them. When the encoder used
// the row (Go rewrites some spellings, e.g. MOVQ $7, SI is MOVL), the text
// must come back unchanged and its re-encoding must give the same bytes.
// Every row the decoder owns must round-trip at least once.
import { describe, expect, it } from "vitest";
import { FORMS, type Form, type Kind } from "../../src/x86/table.ts";
import { parseString } from "../../src/asm/parse.ts";
import { encodeProg } from "../../src/x86/encode.ts";
import { decode, bufSource } from "../../src/cpu/decode.ts";
import { formatInsn } from "../../src/cpu/disasm.ts";

const PC = 0x401000;

function variants(k: Kind, f: Form): string[] {
  const byte = f.size === 1;
  switch (k) {
    case "r64": case "r32": case "r16": return ["R9", "DX"];
    case "r8": return ["R9B", "DL"];
    case "rm64": case "rm32": case "rm16": return ["SI", "0x10(BX)(CX*4)"];
    case "rm8": return ["SIB", "-0x8(BP)"];
    case "m": return ["-0x8(BP)", "(R12)(R13*8)"];
    case "x": return ["X3", "X12"];
    case "xm": case "xm64": case "xm32": return ["X9", "0x20(SP)"];
    case "xr": return ["X2"];
    case "acc": return [byte ? "AL" : "AX"];
    case "cl": return ["CL"];
    case "one": return ["$0x1"];
    case "i8": return ["$-0x2", "$0x7f"];
    case "u8": return ["$0x7"];
    case "i16": return ["$0x1234"];
    case "i32": case "s32": return f.size === 4 ? ["$0x12345", "$-0x7fff0000"] : ["$0x12345", "$-0x12345"];
    case "i64": return ["$0x123456789", "$-0x123456789"];
    case "rel8": case "rel32": return [];
  }
}

function texts(f: Form): string[] {
  let out: string[][] = [[]];
  for (const k of f.args) {
    const vs = variants(k, f);
    out = out.flatMap((prefix) => vs.map((v) => [...prefix, v]));
  }
  return out.map((ops) => (f.lockable && ops.some((o) => o.includes("(")) ? "LOCK; " : "") + (ops.length ? `${f.as} ${ops.join(", ")}` : f.as));
}

function sameBytes(a: Form, b: Form): boolean {
  return a.op === b.op && a.code.join() === b.code.join() && a.pfx === b.pfx && !!a.w === !!b.w && a.ext === b.ext && a.args.join() === b.args.join();
}

function encodeText(text: string): { bytes: Uint8Array; form?: Form } | undefined {
  const r = parseString(`TEXT ·f(SB),4,$0\n\t${text}\n`, "rt.s");
  if (r.errors.length) return undefined;
  const p = r.progs.find((q) => q.as !== "TEXT");
  if (!p) return undefined;
  try {
    const e = encodeProg(p, 0);
    return { bytes: e.bytes, ...(e.form ? { form: e.form } : {}) };
  } catch {
    return undefined;
  }
}

describe("decode(encode(x)) for every table row", () => {
  // Branches are checked from bytes in insn.test.ts (their targets are
  // labels here); NOP is a pseudo-op that Go assembles to nothing.
  const rows = FORMS.filter((f) => !f.encodeOnly && !f.decodeOnly && !f.args.includes("rel8") && !f.args.includes("rel32") && f.as !== "NOP");
  const done = new Set<Form>();
  it.each(rows.map((f, k) => [`${k}: ${f.as} ${f.args.join(",")} ${f.code.map((b) => b.toString(16)).join(" ")}`, f] as const))("%s", (_l, f) => {
    for (const text of texts(f)) {
      const enc = encodeText(text);
      if (!enc || enc.form !== f) continue;
      const ins = decode(bufSource(enc.bytes, 0, PC), PC);
      expect(ins.len, text).toBe(enc.bytes.length);
      if (ins.form !== f && ins.form && sameBytes(ins.form, f)) {
        // A second name for the same bytes (MOVLQZX is MOVL): the decoder
        // prints the first row's name, which Go may encode another way (MOVL
        // SI, R9 is 89 /r); that encoding must print the same.
        const text2 = formatInsn(ins);
        const again = encodeText(text2);
        expect(again, text2).toBeDefined();
        expect(formatInsn(decode(bufSource(again!.bytes, 0, PC), PC))).toBe(text2);
        done.add(f);
        continue;
      }
      expect(ins.form, `${text}: decoded row`).toBe(f);
      const back = formatInsn(ins);
      expect(back).toBe(text);
      const again = encodeText(back);
      expect(again && Buffer.from(again.bytes).toString("hex")).toBe(Buffer.from(enc.bytes).toString("hex"));
      done.add(f);
    }
    expect(done.has(f), `no spelling of ${f.as} ${f.args.join(", ")} made the encoder use this row`).toBe(true);
  });
});
