// The switch checker (--check), engine breakpoints, --runtime-asm and the
// tour's compared sentence (issue 13). Each check here is also broken on
// purpose (a gogo without its BP restore, an mcall without g.sched.bp, a
// wrong flag, a file of bad routines) to show it fails when it should.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CheckError, switchCheck, type CheckFailure } from "../../src/check/check.ts";
import { InterpEngine } from "../../src/engine/interp.ts";
import { createEngine, engineAvailable } from "../../src/engine/index.ts";
import { PROT_ALL, REG_RIP, type Engine } from "../../src/engine/engine.ts";
import { runProgram, type RunOptions } from "../../src/node/boot.ts";
import { runTour } from "../../src/tour/tour.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { spawnAsync } from "../hostile/spawn-async.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const prog = (n: string): string => join(ROOT, "programs", `${n}.s`);
const NOBP = join(ROOT, "test/check/fixtures/gogo-nobp.s");
const STALE = join(ROOT, "test/check/fixtures/staleret.s");
const tmp = mkdtempSync(join(tmpdir(), "gmpemu-check-"));
const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));

interface Checked { code: number; how: string; out: string; failures: CheckFailure[]; judged: Map<string, number> }

function run(program: string, opts: RunOptions = {}): Checked {
  let out = "";
  const failures: CheckFailure[] = [];
  const r = runProgram([program], {
    procs: 1, maxInsns: 5_000_000, ...opts,
    stdout: (b) => { out += Buffer.from(b).toString(); }, stderr: (b) => { out += Buffer.from(b).toString(); },
    check: switchCheck({ onFailure: (f) => failures.push(f), showPath: (f) => f.slice(ROOT.length + 1) }),
  });
  const judged = (r.machine.engine as unknown as { checker: { judged: Map<string, number> } }).checker.judged;
  return { code: r.code, how: r.how, out, failures, judged };
}

function asm(name: string, text: string): string {
  const f = join(tmp, name);
  writeFileSync(f, `#include "go_asm.h"\n#include "go_tls.h"\n#include "textflag.h"\n${text}`);
  return f;
}

/** The runtime's own routine text, with one line replaced (a mutant written by hand). */
function routine(file: string, names: string[], from: string, to: string): string {
  const lines = readFileSync(join(ROOT, "asm", file), "utf8").split("\n");
  const out: string[] = [];
  let on = false;
  for (const l of lines) {
    const m = /^TEXT\s+([^(\s]+)\(SB\)/.exec(l);
    if (m) on = names.includes(m[1]!);
    else if (/^(GLOBL|DATA)/.test(l)) on = false;
    if (on) out.push(l.includes(from) ? to : l);
  }
  expect(out.join("\n")).toContain(to);
  return out.join("\n") + "\n";
}

describe("engine breakpoints", () => {
  // NOP; NOP; NOP; INT3 at 0x1000.
  function engineAt(e: Engine): Engine {
    e.map(0x1000, 0x1000, PROT_ALL);
    e.write(0x1000, new Uint8Array([0x90, 0x90, 0x90, 0xcc]));
    e.setRegN(REG_RIP, 0x1000);
    return e;
  }
  const kinds: (() => Engine)[] = [() => new InterpEngine()];
  if (haveUnicorn) kinds.push(() => createEngine("unicorn"));
  for (const make of kinds) {
    it(`${make().name}: run stops before a breakpoint, the first instruction included; step goes past`, () => {
      const e = engineAt(make());
      try {
        e.setBreakpoints([0x1002]);
        expect(e.run(100)).toEqual({ kind: "break", addr: 0x1002 });
        expect(e.icount).toBe(2);
        expect(e.run(100)).toEqual({ kind: "break", addr: 0x1002 }); // still there: run never passes it
        expect(e.icount).toBe(2);
        expect(e.step().kind).toBe("count");
        expect(e.getRegN(REG_RIP)).toBe(0x1003);
        expect(e.run(100).kind).toBe("breakpoint"); // the INT3
        e.setBreakpoints([]);
        e.setRegN(REG_RIP, 0x1000);
        expect(e.run(100).kind).toBe("breakpoint");
      } finally {
        e.close();
      }
    });
  }
});

describe("the unmutated runtime passes, and every routine is judged", () => {
  it("hello, gosched, pingpong: gogo, mcall and systemstack", () => {
    for (const p of ["hello", "gosched", "pingpong"]) {
      const r = run(prog(p));
      expect(r.failures, p).toEqual([]);
      expect(r.code, p).toBe(0);
      for (const k of ["gogo", "mcall", "systemstack"]) expect(r.judged.get(k) ?? 0, `${p} ${k}`).toBeGreaterThan(0);
    }
  });
  it("deeprec: morestack and the resumes after copystack", () => {
    const r = run(prog("deeprec"));
    expect(r.failures).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.judged.get("morestack")).toBeGreaterThanOrEqual(10);
  });
  // One test per configuration, each with room for a loaded machine (a
  // whole regs run with every preemption judged: ~8 s alone, 168 s for
  // both once on a machine with load 14).
  for (const o of [{ preemptEvery: 97, seed: 3 }, { preemptEvery: 89, seed: 5, procs: 2 }]) {
    it(`regs under --preempt-every ${o.preemptEvery}, ${"procs" in o ? o.procs : 1} P: asyncPreempt`, { timeout: 400_000 }, () => {
      const r = run(prog("regs"), o);
      expect(r.failures).toEqual([]);
      expect(r.out).toBe("regs: all registers kept\n");
      expect(r.judged.get("asyncPreempt") ?? 0).toBeGreaterThan(100);
    });
  }
  it.runIf(haveUnicorn)("hello in lockstep with Unicorn (breakpoints on the pair)", () => {
    const r = run(prog("hello"), { engine: "lockstep" });
    expect(r.failures).toEqual([]);
    expect(r.judged.get("gogo") ?? 0).toBeGreaterThan(0);
  });
});

describe("a broken routine is named", () => {
  it("gogo without MOVQ gobuf_bp(BX), BP: the output is right, the checker is not fooled", () => {
    // Without the checker the mutant passes for correct (the complaint).
    let out = "";
    const plain = runProgram([prog("hello")], { procs: 1, runtimeAsm: [NOBP], stdout: () => {}, stderr: (b) => { out += Buffer.from(b).toString(); } });
    expect(plain.code).toBe(0);
    expect(out).toContain("all 3 workers done");
    const r = run(prog("hello"), { runtimeAsm: [NOBP] });
    expect(r.code).toBe(4);
    expect(r.how).toBe("check");
    const f = r.failures[0]!;
    expect(f).toMatchObject({ routine: "gogo", what: "BP", expected: "0x0" });
    expect(f.message).toMatch(/^gogo restored BP=0x[0-9a-f]+ for goroutine \d+; gobuf\.bp was 0x0 \(test\/check\/fixtures\/gogo-nobp\.s:\d+, step \d+\)$/);
    expect(r.out).toContain(`check: ${f.message}`);
  });
  it("deeprec with the same gogo: gobuf.bp non-zero", () => {
    const r = run(prog("deeprec"), { runtimeAsm: [NOBP] });
    expect(r.failures[0]!.message).toMatch(/gogo restored BP=0x[0-9a-f]+ for goroutine \d+; gobuf\.bp was 0xc[0-9a-f]+/);
  });
  it("mcall without its g.sched.bp save", () => {
    const f = asm("mcall-nobp.s", routine("asm_amd64.s", ["runtime·mcall<ABIInternal>"], "MOVQ\tBP, (g_sched+gobuf_bp)(R14)", "\tNOP"));
    const r = run(prog("gosched"), { runtimeAsm: [f] });
    expect(r.failures[0]).toMatchObject({ routine: "mcall", what: "g.sched.bp" });
    expect(r.failures[0]!.message).toMatch(/^mcall saved g\.sched\.bp=0x[0-9a-f]+ for goroutine \d+; the caller's BP was 0x/);
  });
  it("systemstack that relies on AX surviving fn (the checker scrambles what a call may clobber)", () => {
    const f = asm("ss-ax.s", routine("asm_amd64.s", ["runtime·systemstack", "gosave_systemstack_switch<>"], "MOVQ\tg(CX), AX\t\t// AX = g0", "\tNOP"));
    const r = run(prog("hello"), { runtimeAsm: [f] });
    expect(r.code).toBe(4);
    expect(r.failures[0]!.routine).toBe("systemstack");
  });
  it("asyncPreempt that loses DF and one X register", () => {
    const noX9 = asm("ap-x9.s", routine("preempt_amd64.s", ["runtime·asyncPreempt"], "MOVUPS\t256(SP), X9", "\tNOP"));
    const r = run(prog("regs"), { runtimeAsm: [noX9], preemptEvery: 97 });
    expect(r.failures[0]).toMatchObject({ routine: "asyncPreempt", what: "X9" });
    const noFlags = asm("ap-fl.s", routine("preempt_amd64.s", ["runtime·asyncPreempt"], "POPFQ", "\tPOPQ\tR11").replace("PUSHFQ", "PUSHQ\tR11"));
    const r2 = run(prog("regs"), { runtimeAsm: [noFlags], preemptEvery: 97 });
    expect(r2.failures[0]!.routine).toBe("asyncPreempt");
    expect(["RFLAGS", "R11"]).toContain(r2.failures[0]!.what);
  });
  it("a fault inside a routine names the register it went through", () => {
    const f = asm("gogo-nog.s", routine("asm_amd64.s", ["runtime·gogo", "gogo<>"], "MOVQ\tgobuf_g(BX), DX", "\tMOVQ\t$0, DX"));
    const r = run(prog("hello"), { runtimeAsm: [f] });
    expect(r.failures[0]).toMatchObject({ routine: "gogo", what: "DX" });
    expect(r.failures[0]!.message).toMatch(/gogo faulted at 0x[0-9a-f]+ \(runtime\.gogo\+0x[0-9a-f]+\) \(MOVQ \(DX\), CX\).*address 0x0: DX=0x0/);
  });
  it("staleret: a gogo that does not zero gobuf.ret is caught only because the fixture leaves ret stale", () => {
    const f = asm("gogo-ret.s", routine("asm_amd64.s", ["runtime·gogo", "gogo<>"], "MOVQ\t$0, gobuf_ret(BX)", "\tNOP"));
    expect(run(prog("hello"), { runtimeAsm: [f] }).failures).toEqual([]);
    const r = run(STALE, { runtimeAsm: [f] });
    expect(r.failures[0]).toMatchObject({ routine: "gogo", what: "gobuf.ret", got: "0x7" });
  });
  it("morestack without g.sched.bp, or without m.morebuf.pc", () => {
    const names = ["runtime·morestack", "runtime·morestack_noctxt"];
    const nobp = asm("ms-bp.s", routine("asm_amd64.s", names, "MOVQ\tBP, (g_sched+gobuf_bp)(SI)", "\tNOP"));
    expect(run(prog("deeprec"), { runtimeAsm: [nobp] }).failures[0]).toMatchObject({ routine: "morestack", what: "g.sched.bp" });
    const nopc = asm("ms-pc.s", routine("asm_amd64.s", names, "MOVQ\tAX, (m_morebuf+gobuf_pc)(BX)", "\tNOP"));
    expect(run(prog("deeprec"), { runtimeAsm: [nopc] }).failures[0]).toMatchObject({ routine: "morestack", what: "m.morebuf.pc" });
  });
  it("goexit's rule: gogo into a dead goroutine (a fixture that does it on purpose)", () => {
    const r = run(join(ROOT, "test/check/fixtures/deadg.s"));
    expect(r.code).toBe(4);
    expect(r.failures[0]).toMatchObject({ routine: "gogo", what: "status", got: "dead" });
    expect(r.failures[0]!.message).toMatch(/^gogo resumed goroutine \d+, which is dead/);
  });
  it("CheckError is what a run without an onFailure sees", () => {
    expect(new CheckError({ routine: "gogo", what: "BP", expected: "0x1", got: "0x2", goid: 3, file: "f.s", line: 1, step: 2, message: "m" }).status).toBe(4);
  });
});

describe("--runtime-asm", () => {
  const link = (f: string): string => {
    try {
      runProgram([prog("hello")], { runtimeAsm: [f], stdout: () => {}, stderr: () => {} });
      return "";
    } catch (e) {
      return (e as Error).message;
    }
  };
  it("refuses a symbol that is not a runtime routine, and data", () => {
    const f = asm("foo.s", "TEXT runtime·foo(SB), NOSPLIT, $0\n\tRET\nGLOBL runtime·x(SB), NOPTR, $8\n");
    const msg = link(f);
    expect(msg).toMatch(/foo\.s:4:1: runtime·foo is not a runtime routine \(asm\/\*\.s defines gogo, mcall, .*asyncPreempt.* and \d+ more, and file-local gogo<>.*\)/);
    expect(msg).toMatch(/foo\.s:6:1: runtime·x: --runtime-asm files define runtime routines only/);
  });
  it("refuses a file-local symbol the file uses without defining it", () => {
    const msg = link(asm("nolocal.s", "TEXT runtime·gogo(SB), NOSPLIT, $0-8\n\tJMP gogo<>(SB)\n"));
    expect(msg).toMatch(/nolocal\.s:5:1: runtime·gogo uses gogo<>, which .*nolocal\.s does not define: a file-local symbol \(name<>\) must be defined in the file that uses it \(.*asm_amd64\.s's gogo<> is local to that file\)/);
  });
  it("refuses a global symbol neither file nor the host provides", () => {
    expect(link(asm("undef.s", "TEXT runtime·gogo(SB), NOSPLIT, $0-8\n\tCALL runtime·nosuch(SB)\n\tRET\n"))).toMatch(/undef\.s:5:\d+: undefined symbol runtime\.nosuch/);
  });
  it("reports assembly errors as file:line:col", () => {
    expect(link(asm("bad.s", "TEXT runtime·gogo(SB), NOSPLIT, $0-8\n\tMOVQ $1, (\n"))).toMatch(/bad\.s:5:\d+: /);
  });
  it("replacing only gogo<> keeps the runtime's gogo jumping to the replacement", () => {
    const f = asm("only-local.s", routine("asm_amd64.s", ["gogo<>"], "MOVQ\tgobuf_bp(BX), BP", "\tNOP"));
    const r = run(prog("deeprec"), { runtimeAsm: [f] });
    expect(r.failures[0]).toMatchObject({ routine: "gogo", what: "BP" });
  });
});

describe("the CLI", () => {
  const bin = join(ROOT, "bin/gmpemu.mjs");
  it("run --check --check-json: status 4, the line on stderr, the JSON, and no overwriting an input", async () => {
    const json = join(tmp, "check.json");
    const r = await spawnAsync(process.execPath, [bin, "run", "--check-json", json, "--runtime-asm", NOBP, prog("hello")], { timeout: 60_000 });
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^check: gogo restored BP=0x[0-9a-f]+ for goroutine \d+; gobuf\.bp was 0x0 \(.*gogo-nobp\.s:\d+, step \d+\)$/m);
    const j = JSON.parse(readFileSync(json, "utf8"));
    expect(j.passed).toBe(false);
    expect(j.checkFailures[0]).toMatchObject({ routine: "gogo", what: "BP" });
    const again = await spawnAsync(process.execPath, [bin, "run", "--runtime-asm", NOBP, "--check-json", NOBP, prog("hello")], { timeout: 60_000 });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/--check-json: .*gogo-nobp\.s: is one of the input files/);
    const ok = await spawnAsync(process.execPath, [bin, "run", "--check", prog("hello")], { timeout: 60_000 });
    expect(ok.status).toBe(0);
  }, 120_000);
  it("gdb takes --runtime-asm too: the student's file is linked (its errors, before any port is opened)", async () => {
    const bad = asm("gdbbad.s", "TEXT runtime·gogo(SB), NOSPLIT, $0-8\n\tMOVQ $1, (\n");
    const r = await spawnAsync(process.execPath, [bin, "gdb", "--port", "0", "--once", "--runtime-asm", bad, prog("hello")], { timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/gdbbad\.s:5:\d+: /);
    expect(r.stderr).not.toMatch(/listening/);
  }, 60_000);
});

describe("the tour states only what it compared", () => {
  it("with the runtime's gogo: SP and BP as its gobuf said, the values being the gobuf's", () => {
    let out = "";
    expect(runTour(prog("gosched"), (s) => (out += s), { root: ROOT, run: { check: switchCheck() } })).toBe(0);
    const head = /gobuf holds sp=(0x[0-9a-f]+) pc=\S+ .*bp=(0x[0-9a-f]+)/.exec(out)!;
    expect(out).toContain(`with SP=${head[1]} and BP=${head[2]}, as its gobuf said`);
  });
  it("with a gogo that forgets BP: no such sentence, the difference instead", () => {
    let out = "";
    expect(runTour(prog("gosched"), (s) => (out += s), { root: ROOT, run: { runtimeAsm: [NOBP] } })).toBe(4);
    expect(out).not.toContain("as its gobuf said.");
    expect(out).toMatch(/but NOT as its gobuf said: BP=0x[0-9a-f]+ where gobuf\.bp was 0x[0-9a-f]+/);
  });
});
