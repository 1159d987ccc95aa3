// Stepping a program compiled by Go: from a `go` statement, instruction by
// instruction, through newproc (a host function reached from the binary's
// patched runtime.newproc), systemstack and newproc_m; then main's
// runtime.Gosched, mcall (our assembly) and gosched_m, where the scheduler
// picks the new goroutine (bt names schedule and execute), and gogo, whose
// JMP lands on the new goroutine's first instruction; a step by Go line
// then stops on its first line. Also: `next` steps over a call and over a
// park, `bt` shows Go frames with their Go file:line, and a breakpoint on a
// Go line.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REG_RIP } from "../../src/engine/engine.ts";
import { Stepper } from "../../src/step/stepper.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { ROOT } from "./goldens.ts";

const haveGo = oracleAvailable("go (compiling test/golang/testdata/*.go)", findGo() !== null);
const FIRST = join(ROOT, "test/golang/testdata/first.go");

/** Where the machine is: a symbol of the image (the binary or our assembly) or a host function. */
function place(s: Stepper): string {
  const rip = Number(s.m.engine.getReg(REG_RIP));
  const host = s.m.bridge.nameAt(rip);
  if (host !== undefined) return `${host} (host)`;
  return (s.m.image.symbolize(rip) ?? "?").replace(/\+0x[0-9a-f]+$/, "");
}

describe.skipIf(!haveGo)("stepping a .go program", () => {
  it("from a go statement through newproc, Gosched, mcall, schedule and gogo to the new goroutine's first line", { timeout: 120_000 }, () => {
    const s = new Stepper(FIRST, { root: ROOT });
    expect(s.exec("b first.go:14")).toMatch(/^breakpoint 1 at 0x/);
    const atGo = s.exec("c");
    expect(atGo).toContain("test/golang/testdata/first.go:14: go hello(done)");
    expect(s.curgoid()).toBe(1);
    s.exec("delete");

    // Instruction by instruction, recording each new place.
    const places: string[] = [];
    let btAtGogo = "";
    for (let i = 0; i < 5000; i++) {
      const p = place(s);
      if (places.at(-1) !== p) places.push(p);
      if (p === "gogo<1>" && btAtGogo === "") btAtGogo = s.exec("bt");
      if (s.curgoid() !== 1 && p === "main.hello") break;
      s.exec("si");
    }
    const want = [
      "runtime.newproc", // the binary's, patched: JMP to the host function
      "runtime.newproc (host)",
      "runtime.systemstack", // ours: onto g0
      "runtime.newproc_m (host)",
      "runtime.Gosched", // the binary's, patched
      "runtime.Gosched (host)",
      "runtime.mcall", // ours: g.sched = the caller, onto g0
      "runtime.gosched_m (host)", // gosched_m → schedule → execute
      "runtime.gogo", // ours: onto the new goroutine's stack
      "gogo<1>",
      "main.main.func1", // the go statement's wrapper, the goroutine's start
      "main.hello",
    ];
    let k = 0;
    for (const p of places) if (p === want[k]) k++;
    expect(places.filter((p) => want.includes(p)), `places: ${places.join(" → ")}`).toEqual(expect.arrayContaining(want));
    expect(k, `in order: ${want.join(" → ")}\nseen: ${places.join(" → ")}`).toBe(want.length);
    // Inside gogo, bt names the scheduler's frames that led there.
    expect(btAtGogo).toMatch(/runtime\.execute/);
    expect(btAtGogo).toMatch(/runtime\.schedule/);
    expect(btAtGogo).toMatch(/runtime\.gosched_m/);
    expect(s.curgoid()).toBeGreaterThan(1);

    // A step by Go line: the new goroutine's first line.
    const first = s.exec("s");
    expect(first).toContain("test/golang/testdata/first.go:8: println(\"hello from the new goroutine\")");
    const bt = s.exec("bt");
    expect(bt).toMatch(/^#0 main\.hello\+0x[0-9a-f]+ test\/golang\/testdata\/first\.go:8$/m);
    expect(bt).toMatch(/^#1 main\.main\.func1\+0x[0-9a-f]+ test\/golang\/testdata\/first\.go:14$/m);
    expect(bt).toMatch(/runtime\.goexit/);
  });

  it("next steps over a call and over a park; bt shows Go frames with Go file:line", { timeout: 120_000 }, () => {
    const s = new Stepper(FIRST, { root: ROOT });
    s.exec("b first.go:13");
    s.exec("c");
    expect(s.exec("n")).toContain("first.go:14: go hello(done)");
    expect(s.exec("n")).toContain("first.go:15: runtime.Gosched()");
    // Over the Gosched: the new goroutine runs meanwhile (its output), main comes back.
    const over = s.exec("n");
    expect(over).toContain("| hello from the new goroutine");
    expect(over).toContain("first.go:16: <-done");
    expect(s.curgoid()).toBe(1);
    expect(s.exec("n")).toContain("first.go:17: println(\"main: done\")");
    expect(s.exec("bt")).toMatch(/^#0 main\.main\+0x[0-9a-f]+ test\/golang\/testdata\/first\.go:17\n#1 runtime\.main \(TypeScript runtime: src\/runtime\/main\.ts\)$/m);
  });

  it("bt from inside a host function names its Go caller's line", { timeout: 120_000 }, () => {
    const s = new Stepper(FIRST, { root: ROOT });
    s.exec("b first.go:15");
    s.exec("c");
    s.exec("until runtime.mcall");
    const bt = s.exec("bt");
    expect(bt).toMatch(/^#0 runtime\.mcall asm\/asm_amd64\.s:\d+$/m);
    expect(bt).toMatch(/runtime\.Gosched \(TypeScript runtime: src\/runtime\/proc\.ts\)/);
    expect(bt).toMatch(/main\.main\+0x[0-9a-f]+ test\/golang\/testdata\/first\.go:15$/m);
  });
});

it.skipIf(haveGo)("stepping a .go program needs Go 1.19 (skipped: not installed)", () => {});
