// Regenerates the files gmpemu generates from its own sources:
//   asm/include/go_asm.h     from src/runtime/runtime2.ts (what the assembly includes)
//   src/runtime/offsets.ts   from src/runtime/runtime2.ts (what the TypeScript runtime reads memory with)
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { genGoAsmH, genOffsetsTs } from "../src/runtime/runtime2.ts";

for (const [rel, text] of [["../asm/include/go_asm.h", genGoAsmH()], ["../src/runtime/offsets.ts", genOffsetsTs()]] as const) {
  const out = fileURLToPath(new URL(rel, import.meta.url));
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
