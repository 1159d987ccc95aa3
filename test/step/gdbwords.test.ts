// The stepper speaks gdb's words (issue 17): info registers, info
// breakpoints, x/Ni $pc, disas, list, p $reg and display; registers in any
// spelling; delete with no argument; a failed b uses no number; symbols as
// the source spells them; the view's source comments, gogo's gobuf, named
// fields under x, live RIPs in threads, the opening screen; watchpoints on
// a named goroutine; reverse steps that never reprint output nor move
// forward; completion. Each on programs/gosched.s, a few hundred steps in.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REG_RIP, regId } from "../../src/engine/engine.ts";
import { gobuf, g as gStruct, off } from "../../src/runtime/runtime2.ts";
import { complete } from "../../src/step/complete.ts";
import { Stepper } from "../../src/step/stepper.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const GOSCHED = join(ROOT, "programs/gosched.s");
const hex = (v: number | bigint): string => "0x" + v.toString(16);

describe("gdb's words", () => {
  it("registers in Go's and AMD64's spellings, any case; info registers; x/Ni $pc; p; display", () => {
    const s = new Stepper(GOSCHED, { root: ROOT });
    try {
      s.exec("si 5");
      const sp = s.m.engine.getReg(regId(4));
      for (const r of ["$rsp", "$sp", "$SP", "$RSP", "$Sp"]) expect(s.exec(`p/x ${r}`)).toBe(`${r} = ${hex(sp)}\n`);
      // p $rsp once printed the P table: now it is the register.
      expect(s.exec("p $rsp")).toMatch(new RegExp(`^\\$rsp = ${hex(sp)}`));
      expect(s.exec("p/x $AX")).toBe(`$AX = ${hex(s.m.engine.getReg(regId(0)))}\n`);
      expect(s.exec("p/x $eax")).toBe(`$eax = ${hex(s.m.engine.getReg(regId(0)) & 0xffffffffn)}\n`);
      expect(() => s.exec("p $rzz")).toThrow(/^unknown register \$rzz/);
      // x/8gx $rsp once said "unknown register id -1".
      const x = s.exec("x/8gx $rsp");
      expect(x.split("\n")[0]).toMatch(new RegExp(`^${hex(sp)}: 0x[0-9a-f]+\\t0x[0-9a-f]+$`));
      expect(x.trimEnd().split("\n")).toHaveLength(4);
      const rip = Number(s.m.engine.getReg(regId(REG_RIP)));
      const xi = s.exec("x/3i $pc").trimEnd().split("\n");
      expect(xi).toHaveLength(3);
      expect(xi[0]).toMatch(new RegExp(`^=> ${hex(rip)} <runtime\\.rt0_go\\+0x[0-9a-f]+>  [A-Z]`));
      const info = s.exec("info registers");
      expect(info).toMatch(new RegExp(`^rsp \\(SP\\) +${hex(sp)} `, "m"));
      expect(info).toMatch(new RegExp(`^rip \\(PC\\) +${hex(rip)} +<runtime\\.rt0_go\\+`, "m"));
      expect(info).toMatch(/^eflags \(FLAGS\) +0x[0-9a-f]+ +\[ .*IF.* \]$/m);
      expect(s.exec("info registers $SP rip")).toMatch(/^rsp \(SP\) .*\nrip \(PC\) /);
      expect(() => s.exec("info registers foo")).toThrow(/unknown register foo/);
      // display: shown now and at every stop, and listed.
      expect(s.exec("display/i $pc")).toMatch(/^1: x\/i \$pc\n {3}=> 0x/);
      expect(s.exec("display/x $sp")).toMatch(/^2: p\/x \$sp\n {3}\$sp = 0x/);
      const next = s.exec("si");
      expect(next).toMatch(/\n1: x\/i \$pc\n {3}=> 0x[0-9a-f]+ <runtime\.rt0_go\+/);
      expect(next).toMatch(/\n2: p\/x \$sp\n/);
      expect(s.exec("info display")).toBe("1: x/i $pc\n2: p/x $sp\n");
      s.exec("undisplay 1");
      expect(s.exec("si")).not.toMatch(/1: x\/i/);
    } finally {
      s.m.engine.close();
    }
  });

  it("breakpoints: symbols as spelled, a failed b uses no number, info breakpoints, delete with no argument", () => {
    const s = new Stepper(GOSCHED, { root: ROOT });
    try {
      expect(() => s.exec("b nosuch")).toThrow(/^no symbol nosuch/);
      expect(() => s.exec("b @nosuch")).toThrow(/no event @nosuch/);
      const main = s.m.image.addrOf("main.main")!;
      expect(s.exec("b ·main")).toBe(`breakpoint 1 at ${hex(main)} <main.main>\n`);
      expect(s.exec("b main·main")).toBe(`breakpoint 2 at ${hex(main)} <main.main>\n`);
      expect(s.exec("b main.main if goid == 1")).toBe(`breakpoint 3 at ${hex(main)} <main.main> if goid == 1\n`);
      expect(s.exec("watch g.sched.sp")).toBe("watchpoint 4: g.sched.sp (no current goroutine yet: the current goroutine's at each stop)\n");
      const table = s.exec("info breakpoints");
      expect(table).toMatch(/^Num +Type +Hits +What\n1 +breakpoint +0 +·main at 0x/);
      expect(table).toMatch(/\n3 +breakpoint +0 +main\.main at 0x[0-9a-f]+ if goid == 1\n4 +watchpoint +0 +g\.sched\.sp \(nothing to watch until the next stop\)\n$/);
      expect(s.exec("delete")).toBe("deleted all breakpoints and watchpoints (4)\n");
      expect(s.exec("info breakpoints")).toBe("no breakpoints or watchpoints\n");
      expect(() => s.exec("delete 9")).toThrow(/no breakpoint or watchpoint 9 \(none set\)/);
      // until with the source's spelling.
      expect(s.exec("until ·main")).toMatch(/^step \d+, thread \d+: main\.main\n=> /);
      expect(Number(s.m.engine.getReg(regId(REG_RIP)))).toBe(main);
      // p and watch name symbols the same ways.
      for (const sp of ["·main", "main·main", "main.main"]) expect(s.exec(`p ${sp}`)).toBe(`${sp} = ${hex(main)} <main.main>\n`);
      expect(s.exec("watch main·main")).toMatch(new RegExp(`^watchpoint 5: main·main at ${hex(main)} = 0x`));
    } finally {
      s.m.engine.close();
    }
  });

  it("the view: the opening screen, source comments, gogo's gobuf (BX's), named fields under x, disas, list, threads' live RIP", () => {
    const s = new Stepper(GOSCHED, { root: ROOT });
    try {
      expect(s.intro("programs/gosched.s")).toMatch(/stopped before its first instruction \(step 0, thread \d+ at runtime\.rt0_go, asm\/asm_amd64\.s:\d+\)\.\nType help /);
      s.exec("b runtime·gogo if goid == 2");
      const at = s.exec("c");
      // Each line's comment from the source, as the tour shows it.
      expect(at).toMatch(/=> 0x[0-9a-f]+ +asm\/asm_amd64\.s:162 +MOVQ 0x8\(SP\), BX +\/\/ BX = buf\n/);
      const buf = s.m.mem.ptr(Number(s.m.engine.getReg(regId(4))) + 8);
      const gp = s.m.mem.ptr(buf + off(gobuf, "g"));
      expect(s.goid(gp)).toBe(2);
      // On g0 inside gogo, the gobuf shown is the one being restored, not g0's.
      expect(at).toMatch(/\nG0 \(g0\) M\d+ P0\n/);
      expect(at).toContain(`gogo restores G2's gobuf (at ${hex(buf)}): sp=`);
      s.exec("delete");
      // Into gogo<>: BX is the gobuf until its last load.
      s.exec("si 4");
      expect(s.exec("regs") && s.view()).toMatch(/^step \d+, thread \d+: gogo<1>\n/);
      expect(s.view()).toContain(`gogo restores G2's gobuf (at ${hex(buf)})`);
      // x on the gobuf names the fields of G2's g.
      const x = s.exec(`x/3gx ${hex(buf)}`);
      expect(x).toMatch(new RegExp(`^${hex(buf)} <G2\\.sched\\.sp> *: 0x[0-9a-f]+\\n${hex(buf + 8)} <G2\\.sched\\.pc> *: 0x7f`));
      expect(s.exec(`x/1gx ${hex(gp + off(gStruct, "atomicstatus"))}`)).toMatch(/<G2\.atomicstatus>: /);
      // disas: the whole function, RIP marked, comments beside.
      const d = s.exec("disas");
      expect(d).toMatch(/^Dump of assembler code for function gogo<1>:\n/);
      expect(d).toMatch(/\n=> 0x[0-9a-f]+ <\+0> +asm\/asm_amd64\.s:171 +MOVQ DX, FS:/);
      expect(d).toMatch(/MOVQ DX, R14 +\/\/ and so does the g register\n/);
      expect(() => s.exec("disas runtime·Gosched")).toThrow(/host function .*TypeScript/);
      // list: around RIP, then the next lines.
      const l = s.exec("list");
      expect(l).toMatch(/^asm\/asm_amd64\.s:\n/);
      expect(l).toMatch(/\n=> +171 +\tMOVQ\tDX, g\(CX\)/);
      expect(s.exec("list")).toMatch(/^asm\/asm_amd64\.s:\n +177 .*\n(.*\n){8} +186 /);
      expect(s.exec("list programs/gosched.s:37")).toMatch(/\n +37 +\tCALL\truntime·Gosched\(SB\)/);
      // threads: the current thread's RIP is the engine's, not a stale saved one.
      s.exec("si 2");
      const rip = Number(s.m.engine.getReg(regId(REG_RIP)));
      expect(s.exec("threads")).toMatch(new RegExp(`^\\* thread ${s.m.kernel.cur!.tid} runnable RIP=${hex(rip)} \\(gogo<1>\\+`, "m"));
    } finally {
      s.m.engine.close();
    }
  });

  it("watch g N sched.sp fires when goroutine N's field changes, set from g0; g.sched.sp follows the current goroutine", () => {
    const s = new Stepper(GOSCHED, { root: ROOT });
    try {
      s.exec("b @newproc");
      // Until goroutine 5 exists (main.main creates 5 and 6).
      for (let i = 0; i < 20 && !/goroutines/.test(""); i++) {
        s.exec("c");
        if (s.exec("goroutines").includes("G5 ")) break;
      }
      s.exec("delete");
      expect(s.exec("g 5")).toMatch(/^G5 at 0x/);
      const w = s.exec("watch g 5 sched.sp");
      expect(w).toMatch(/^watchpoint 2: g 5 sched\.sp \(goroutine 5's\) at 0x/);
      // Whichever goroutine runs, the watch is on G5's gobuf: gogo<> zeroes its sp when G5 starts.
      const hit = s.exec("c");
      expect(hit).toMatch(/watchpoint 2, g 5 sched\.sp: 0x[0-9a-f]+ -> 0x0\n/);
      expect(hit).toMatch(/: gogo<1>\+0x[0-9a-f]+\n/);
      expect(() => s.exec("watch g 99 sched.sp")).toThrow(/no goroutine 99/);
      expect(() => s.exec("watch g 5 sched.nosuch")).toThrow(/g has no field sched\.nosuch \(fields like sched\.sp/);
    } finally {
      s.m.engine.close();
    }
  });

  it("rsi and rc: no output printed again, the tool's words unprefixed, rc never forward", () => {
    const s = new Stepper(GOSCHED, { root: ROOT });
    try {
      s.exec("b main.loop");
      const first = s.steps;
      s.exec("c");
      const stop1 = s.steps;
      expect(stop1).toBeGreaterThan(first);
      s.exec("delete");
      const end = s.exec("c");
      expect(end).toContain("| ping 0\n");
      expect(end).toContain("the program exited with status 0");
      const last = s.steps;
      const back = s.exec("rsi 300");
      expect(back).toMatch(new RegExp(`^back 300 steps, at step ${last - 300}\\n`));
      expect(back).not.toMatch(/^\| /m);
      // Forward again over steps already taken: their output is not shown twice.
      const again = s.exec("c");
      expect(again).not.toMatch(/^\| /m);
      expect(again).toContain("the program exited with status 0");
      // rc from the middle goes to an earlier stop, never a later one.
      s.exec(`rsi ${last - stop1 - 10}`);
      const here = s.steps;
      expect(here).toBe(stop1 + 10);
      const rc = s.exec("rc");
      expect(s.steps).toBeLessThan(here);
      expect(rc).toMatch(/^back to the previous stop, step \d+\n/);
      expect(rc).not.toMatch(/^\| /m);
      // Down to the start: still back, and it says so.
      for (let i = 0; i < 10 && s.steps > 0; i++) {
        const before = s.steps;
        s.exec("rc");
        expect(s.steps).toBeLessThan(before);
      }
      expect(s.steps).toBe(0);
      expect(s.exec("rc")).toMatch(/^back to the start, step 0/);
    } finally {
      s.m.engine.close();
    }
  });

  it("Tab completion: commands, symbols as spelled, registers, events, g fields, info subcommands", () => {
    const s = new Stepper(GOSCHED, { root: ROOT });
    try {
      expect(complete(s, "disa")).toEqual([["disas", "disassemble"], "disa"]);
      expect(complete(s, "b runtime.gog")[0]).toContain("runtime.gogo");
      expect(complete(s, "b runtime·gog")[0]).toContain("runtime·gogo");
      expect(complete(s, "until ·ma")[0]).toContain("·main");
      expect(complete(s, "x/8gx $rs")).toEqual([["$rsp", "$rsi"], "$rs"]);
      expect(complete(s, "p $sp+$r1")[0]).toContain("$sp+$r10");
      expect(complete(s, "b @pa")).toEqual([["@park"], "@pa"]);
      expect(complete(s, "watch g.sched.s")[0]).toEqual(["g.sched.sp"]);
      expect(complete(s, "watch g 5 sched.p")[0]).toEqual(["sched.pc"]);
      expect(complete(s, "info b")).toEqual([["breakpoints"], "b"]);
      expect(complete(s, "b runtime.Gosch")[0]).toContain("runtime.Gosched"); // a host function
    } finally {
      s.m.engine.close();
    }
  });

  it("a step back refuses to replay a program whose file changed since the stepper started", () => {
    const dir = mkdtempSync(join(tmpdir(), "gmpemu-changed-"));
    const file = join(dir, "p.s");
    writeFileSync(file, readFileSync(GOSCHED, "utf8"));
    const s = new Stepper(file, { root: dir });
    try {
      s.exec("si 50");
      expect(s.exec("rsi 10")).toMatch(/^back 10 steps, at step 40\n/);
      writeFileSync(file, readFileSync(GOSCHED, "utf8") + "\n// edited\n");
      expect(() => s.exec("rsi 10")).toThrow(/p\.s changed since the stepper started: a replay would not rebuild the same machine/);
    } finally {
      s.m.engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
