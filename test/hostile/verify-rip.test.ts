// Issue 10, "RIP unsigned everywhere": `gmpemu verify` on a jump into the
// kernel half printed the fault's RIP as a double (0xffffffffdeadc000 for
// 0xffffffffdeadbeef). It must print the address the program jumped to.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifyFile } from "../../src/cli/verify.ts";
import { engineAvailable } from "../../src/engine/index.ts";
import { oracleAvailable } from "../helpers/oracles.ts";

describe.skipIf(!oracleAvailable("libunicorn", engineAvailable("unicorn")))("verify: a fault's RIP past 2^53", () => {
  it("a jump to 0xffffffffdeadbeef is reported at 0xffffffffdeadbeef on both engines", () => {
    const dir = mkdtempSync(join(tmpdir(), "gmpemu-verify-rip-"));
    const f = join(dir, "jmp.s");
    writeFileSync(f, "#include \"textflag.h\"\n\nTEXT ·f(SB), NOSPLIT, $0-0\n\tMOVQ\t$0xffffffffdeadbeef, AX\n\tJMP\tAX\n");
    let out = "";
    const status = verifyFile(f, { maxSteps: 100 }, (s) => (out += s));
    expect(status).toBe(2);
    expect(out).toMatch(/^unexpected fault address 0xffffffffdeadbeef \(exec\)\n  at 0xffffffffdeadbeef\n/);
    expect(out).toContain("both engines agree");
    expect(out).not.toContain("deadc000");
  });
});
