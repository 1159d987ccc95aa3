// Regenerates the files gmpemu generates from its own sources:
//   asm/include/go_asm.h   from src/runtime/runtime2.ts
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { genGoAsmH } from "../src/runtime/runtime2.ts";

const out = fileURLToPath(new URL("../asm/include/go_asm.h", import.meta.url));
writeFileSync(out, genGoAsmH());
console.log(`wrote ${out}`);
