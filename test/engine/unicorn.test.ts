// The unicorn binding itself: what only it has to get right (the counter
// probe, code rewritten from the host, write tracing, software interrupts)
// and the message when libunicorn is missing.
import { describe, it, expect, afterEach } from "vitest";
import { execFileSync } from "node:child_process";
import { UnicornEngine, unicornAvailable, unicornFastCount, UNICORN_MISSING } from "../../src/engine/unicorn.ts";
import { REG_RIP } from "../../src/engine/engine.ts";
import { RAX } from "../../src/x86/regs.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { setup, P, CODE, DATA } from "./fixtures.ts";

describe("unicorn binding without the library", () => {
  it("says how to install it", () => {
    const script = `import { UnicornEngine } from "./src/engine/unicorn.ts";
try { new UnicornEngine(); console.log("created"); } catch (e) { console.log(e.message); }`;
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      env: { ...process.env, GMPEMU_LIBUNICORN: "/nonexistent/libunicorn.so.2" },
      encoding: "utf8",
    });
    expect(out.trim()).toBe(UNICORN_MISSING);
    expect(UNICORN_MISSING).toContain("apt-get install libunicorn2");
  });
});

describe.skipIf(!oracleAvailable("libunicorn", unicornAvailable()))("unicorn binding", () => {
  let e: UnicornEngine;
  afterEach(() => e?.close());

  it("found unicorn's instruction counter (exact counts without stepping)", () => {
    expect(unicornFastCount()).toBe(true);
  });

  it("runs code the host rewrote after it was translated", () => {
    e = new UnicornEngine();
    // MOVL $1, AX; INT3
    setup(e, [0xb8, 1, 0, 0, 0, 0xcc]);
    expect(e.run(10).kind).toBe("breakpoint");
    expect(e.getReg(RAX)).toBe(1n);
    e.write(CODE + 1, Uint8Array.of(2));
    e.setReg(REG_RIP, BigInt(CODE));
    expect(e.run(10).kind).toBe("breakpoint");
    expect(e.getReg(RAX)).toBe(2n);
  });

  it("traces the writes of each instruction when asked", () => {
    e = new UnicornEngine();
    setup(e, P.atomics);
    e.traceWrites(true);
    e.step();
    expect(e.takeWrites()).toEqual([[DATA, 8]]);
    e.traceWrites(false);
    e.step();
    expect(e.takeWrites()).toEqual([]);
  });

  it("reports INT $3 as a breakpoint and other INT n as #GP at the INT", () => {
    e = new UnicornEngine();
    setup(e, [0x90, 0xcd, 0x03, 0xcd, 0x80]);
    expect(e.run(10)).toEqual({ kind: "breakpoint", addr: CODE + 1 });
    expect(e.getReg(REG_RIP)).toBe(BigInt(CODE + 3));
    expect(e.icount).toBe(2);
    expect(e.run(10)).toEqual({ kind: "fault", fault: { type: "gp", rip: CODE + 3, why: "INT $0x80" } });
    expect(e.getReg(REG_RIP)).toBe(BigInt(CODE + 3));
    expect(e.icount).toBe(2);
  });

  it("reports a second #DE as #DE, not as a double fault", () => {
    e = new UnicornEngine();
    setup(e, P.divZero);
    for (let i = 0; i < 3; i++) {
      e.setReg(REG_RIP, BigInt(CODE));
      expect(e.run(10)).toEqual({ kind: "fault", fault: { type: "de", rip: CODE + 7 } });
    }
    expect(e.icount).toBe(6);
  });

  it("refuses to be used after close", () => {
    e = new UnicornEngine();
    e.close();
    expect(() => e.getReg(RAX)).toThrow(/after close/);
  });
});
