// The decoder's and the interpreter's contracts at their boundary (issue 12):
// an instruction decoded without the handler resolver cannot run (it
// throws, where it used to do nothing), and an op of the table without a
// case in the interpreter's switch does not compile.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { bufSource, decode, setResolver } from "../../src/cpu/decode.ts";
import { Cpu } from "../../src/cpu/cpu.ts";
import { Memory } from "../../src/mem/memory.ts";
import "../../src/cpu/handlers.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

describe("the handler resolver", () => {
  it("an instruction decoded without it throws when run instead of doing nothing", () => {
    const saved = setResolver(null);
    try {
      const i = decode(bufSource(Uint8Array.of(0x48, 0x01, 0xc3), 0, 0x1000), 0x1000); // ADDQ AX, BX
      expect(i.op).toBe("add");
      expect(() => i.h(new Cpu(new Memory()), i)).toThrow(/no handler/);
    } finally {
      setResolver(saved);
    }
    // With it, the same bytes run.
    const i = decode(bufSource(Uint8Array.of(0x48, 0x01, 0xc3), 0, 0x1000), 0x1000);
    const c = new Cpu(new Memory());
    c.r[0] = 2; c.r[6] = 3;
    i.h(c, i);
    expect(c.r[6]).toBe(5);
  });
});

/** Type-checks src/cpu/handlers.ts, with `edit` applied to its text, and returns the errors. */
function checkHandlers(edit: (src: string) => string): string[] {
  const file = join(ROOT, "src/cpu/handlers.ts");
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, types: [],
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => (f === file ? edit(readFileSync(file, "utf8")) : read(f));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("the interpreter's op switch is exhaustive", () => {
  it("handlers.ts compiles as it is", () => {
    expect(checkHandlers((s) => s)).toEqual([]);
  }, 60_000);

  it("without the case for an op (CPUID), it does not compile", () => {
    const errors = checkHandlers((s) => {
      const cut = s.replace(`    case "cpuid": return cpuid;\n`, "");
      expect(cut).not.toBe(s);
      return cut;
    });
    expect(errors.join("\n")).toMatch(/Type '"cpuid"' is not assignable to type 'never'/);
  }, 60_000);
});
