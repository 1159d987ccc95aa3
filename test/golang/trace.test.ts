// Traces of a .go program name its Go functions: the instruction trace of
// a compiled function (--only main.worker) with its Go file:line, the
// event trace's create events with the goroutine's function, and the
// Chrome trace's goroutine slices with it in their args.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProgram } from "../../src/node/boot.ts";
import { ChromeTraceBuilder } from "../../src/trace/chrome.ts";
import { traceEvents, traceInsns } from "../../src/trace/insn.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { PROGRAMS } from "./goldens.ts";

const haveGo = oracleAvailable("go (compiling programs/*.go)", findGo() !== null);
const HELLO = join(PROGRAMS, "hello.go");

describe.skipIf(!haveGo)("traces of a .go program", () => {
  it("trace --only main.worker: each instruction of the compiled function, with its Go line", { timeout: 120_000 }, () => {
    const lines: string[] = [];
    const r = traceInsns([HELLO], { procs: 1, only: ["main.worker"] }, (l) => lines.push(l));
    expect(r.exit.kind).toBe("exit");
    expect(lines[0]).toMatch(/^0x[0-9a-f]+ M0 programs\/hello\.go:6 main\.worker  CMPQ SP, 0x10\(R14\)$/);
    expect(lines.some((l) => /programs\/hello\.go:7 main\.worker\+0x[0-9a-f]+  CALL runtime\.printlock\(SB\)/.test(l))).toBe(true);
    // Three workers, each from its entry to its RET.
    expect(lines.filter((l) => / main\.worker  CMPQ SP/.test(l))).toHaveLength(3);
  });

  it("trace --events: create names the goroutine's function", { timeout: 120_000 }, () => {
    const lines: string[] = [];
    traceEvents([HELLO], { procs: 1 }, (l) => lines.push(l));
    expect(lines).toContain("t=0.054µs M0 P0 G1 create (runtime.main)");
    expect(lines.filter((l) => / create by=G1 \(main\.main\.func1\)$/.test(l.replace(/ G\d+ create/, " create")))).toHaveLength(3);
  });

  it("--trace-out: goroutine slices carry their function", { timeout: 120_000 }, () => {
    const tb = new ChromeTraceBuilder();
    let end = 0;
    runProgram([HELLO], { procs: 1, stderr: () => {}, observe: (m) => { m.listeners.push(tb.listener); end = m.kernel.now; } });
    const t = tb.finish(end);
    const slices = t.traceEvents.filter((e) => e.ph === "X" && e.cat === "goroutine");
    expect(slices.some((e) => e.args?.["fn"] === "main.main.func1")).toBe(true);
    expect(slices.some((e) => e.args?.["fn"] === "runtime.main")).toBe(true);
  });
});

it.skipIf(haveGo)("tracing a .go program needs Go 1.19 (skipped: not installed)", () => {});
