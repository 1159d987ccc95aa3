// Loading an assembled file and calling one of its functions; `gmpemu
// verify` on it (interp and unicorn in lockstep).
import { nodeSource } from "../../src/node/nodefs.ts";
import { describe, it, expect } from "vitest";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { createEngine, ENGINE_NAMES, engineAvailable } from "../../src/engine/index.ts";
import { loadImage, callFunction, SENTINEL, STACK_HI } from "../../src/engine/load.ts";
import { assembleFileSimple } from "../../src/engine/asmload.ts";
import { verifyFile } from "../../src/cli/verify.ts";
import { RBX } from "../../src/x86/regs.ts";
import { oracleAvailable } from "../helpers/oracles.ts";

const dir = join(dirname(fileURLToPath(import.meta.url)), "files");

for (const name of ENGINE_NAMES) {
  const available = name === "unicorn" ? oracleAvailable("libunicorn", engineAvailable(name)) : true;
  describe.skipIf(!available)(`load and call on ${name}`, () => {
    it("runs a function with a stack-split prologue to its return", () => {
      const image = assembleFileSimple(join(dir, "sum.s"), { source: nodeSource });
      const e = createEngine(name);
      try {
        const loaded = loadImage(e, image);
        const r = callFunction(e, loaded, "main.sum", 10_000, [100n]);
        expect(r.returned).toBe(true);
        expect(r.stop).toEqual({ kind: "hostcall", addr: SENTINEL });
        // The result is at ret+8(FP): the second argument slot.
        const sp = STACK_HI - 64 - 8;
        expect(e.readU64(sp + 16)).toBe(5050n);
        // A call from assembly to assembly.
        const r2 = callFunction(e, loaded, "main.sum10", 10_000);
        expect(r2.returned).toBe(true);
        expect(e.getReg(RBX)).toBe(55n);
      } finally {
        e.close();
      }
    });
  });
}

describe.skipIf(!oracleAvailable("libunicorn", engineAvailable("unicorn")))("gmpemu verify", () => {
  const run = (file: string, entry?: string) => {
    let out = "";
    const opts: { maxSteps: number; entry?: string } = { maxSteps: 100_000 };
    if (entry) opts.entry = entry;
    const status = verifyFile(join(dir, file), opts, (s) => (out += s));
    return { status, out };
  };

  it("verifies a function to its return", () => {
    const { status, out } = run("sum.s", "sum10");
    expect(out).toMatch(/^verified \d+ instructions: 0 divergences\n$/);
    expect(status).toBe(0);
    // sum10: 3 + RET, sum(10): prologue and frame, 2 + 4*10 + 2 in the body.
    const n = Number(/verified (\d+)/.exec(out)![1]);
    expect(n).toBeGreaterThan(40);
  });

  it("reports a fault with its address, instruction and source line", () => {
    const { status, out } = run("fault.s");
    expect(status).toBe(2);
    expect(out).toContain("unexpected fault address 0x1000 (read)");
    expect(out).toContain("fault.s:5");
    expect(out).toContain("MOVQ (AX), BX");
  });
});
