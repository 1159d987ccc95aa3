// The tour's chapters (issue 17): park, preempt, morestack and syscall each
// follow their path on the machine, instruction by instruction through the
// assembly, and end where the goroutine runs on as its state said; a
// program that never takes the path says so and names the one that does;
// prose wraps to a width, and sections are marked for the pauses.
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CHAPTER_PROGRAM, runTour, runTourPaced, wrap, type ChapterName } from "../../src/tour/tour.ts";

const ROOT = resolve(import.meta.dirname, "../..");

function tour(chapter: ChapterName, program = CHAPTER_PROGRAM[chapter], width?: number): { status: number; out: string } {
  let out = "";
  const status = runTour(join(ROOT, "programs", program), (s) => (out += s), { root: ROOT, chapter, width });
  return { status, out };
}

/** The lines of a section, from its heading to the next. */
function section(out: string, title: string): string {
  const i = out.indexOf(`── ${title}\n`);
  expect(i, `section ${title}`).toBeGreaterThanOrEqual(0);
  const j = out.indexOf("\n── ", i + 1);
  return out.slice(i, j < 0 ? undefined : j);
}

describe("tour chapters", () => {
  it("park: mcall saves the receiver, park_m parks it, a send readies it, gogo resumes it from its gobuf", () => {
    const { status, out } = tour("park");
    expect(status).toBe(0);
    expect(out).toMatch(/^\n── park: /);
    expect(out).toMatch(/G1 receives from a channel .*wait reason \(chan receive\)/);
    const mcall = section(out, "runtime.mcall");
    expect(mcall).toMatch(/MOVQ BX, 0x40\(R14\) +\n +\/\/ g\.sched\.pc/);
    expect(mcall).toMatch(/TLS g=0x[0-9a-f]+ \(G0, g0\)/);
    const parked = section(out, "runtime.park_m");
    expect(parked).toMatch(/park G1 \(chan receive\)/);
    expect(parked).toMatch(/ready G1 /);
    // Parked, then readied, then run: in that order.
    expect(parked.indexOf("park G1")).toBeLessThan(parked.indexOf("ready G1"));
    const gogo = section(out, "runtime.gogo");
    expect(gogo).toContain("A gobuf holds only SP, PC, BP, ctxt and ret because");
    const sp = /gobuf holds sp=(0x[0-9a-f]+)/.exec(gogo)![1]!;
    expect(gogo).toContain(`MOVQ (BX), SP                      SP=${sp}`);
    expect(section(out, "end")).toMatch(/G1 runs again at runtime\.chanrecv1·resume: G\d+'s send found it waiting/);
  });

  it("preempt: SIGURG's frame, pushCall's rewrite, sigreturn into asyncPreempt, and back to the interrupted instruction", () => {
    const { status, out } = tour("preempt");
    expect(status).toBe(0);
    const m = /The kernel interrupted the thread at (main\.spinner\+0x[0-9a-f]+) .*RIP=(0x[0-9a-f]+), RSP=(0x[0-9a-f]+)\)/.exec(out);
    expect(m).not.toBeNull();
    expect(section(out, "runtime.sigtramp")).toMatch(/CALL runtime\.sigtrampgo\(SB\)/);
    expect(section(out, "runtime.sigtrampgo")).toMatch(/pushCall rewrites the saved context[\s\S]*signal G\d+ \(asyncPreempt\)/);
    expect(section(out, "runtime.sigreturn__sigaction")).toMatch(/RIP=0x[0-9a-f]+ \(runtime\.asyncPreempt\)[\s\S]*SYSCALL/);
    const saves = section(out, "runtime.asyncPreempt");
    expect(saves).toMatch(/MOVUPS X15, 0x160\(SP\)/);
    expect(saves).toMatch(/CALL runtime\.asyncPreempt2\(SB\)/);
    expect(section(out, "runtime.asyncPreempt2")).toMatch(/preempt G\d+ on P0/);
    expect(section(out, "runtime.gogo")).toMatch(/MOVUPS 0x160\(SP\), X15[\s\S]*POPFQ[\s\S]*RET/);
    // It ends where the signal found it, with the same RSP.
    expect(section(out, "end")).toContain(`runs on at ${m![1]} with RSP=${m![3]}, exactly where and as the signal found it`);
  });

  it("morestack: the failed prologue, morestack, newstack's larger stack, and the function restarted on it", () => {
    const { status, out } = tour("morestack");
    expect(status).toBe(0);
    expect(out).toMatch(/main\.rec began with the prologue[\s\S]*CMPQ SP, 0x10\(R14\)[\s\S]*JLS /);
    expect(section(out, "runtime.morestack")).toMatch(/m\.morebuf/);
    expect(section(out, "runtime.newstack")).toMatch(/twice the size \(4096 bytes\)/);
    const end = /back at main\.rec's entry, on the stack \[(0x[0-9a-f]+), (0x[0-9a-f]+)\) \((\d+) bytes; it was \[(0x[0-9a-f]+), (0x[0-9a-f]+)\), (\d+) bytes\), with SP=(0x[0-9a-f]+)/.exec(out);
    expect(end).not.toBeNull();
    const [lo, hi, size, , , old, sp] = [end![1], end![2], end![3], end![4], end![5], end![6], end![7]].map((x) => Number(x));
    expect(size).toBe(2 * old!);
    expect(sp).toBeGreaterThan(lo!);
    expect(sp).toBeLessThan(hi!);
  });

  it("syscall: entersyscall, the SYSCALL instruction, exitsyscall, back in the caller", () => {
    const { status, out } = tour("syscall");
    expect(status).toBe(0);
    expect(section(out, "runtime.entersyscall")).toMatch(/_Psyscall[\s\S]*syscall G1 /);
    expect(out).toMatch(/SYSCALL +AX=0x0 /);
    expect(section(out, "runtime.exitsyscall")).toMatch(/sysexit G1 /);
    expect(section(out, "end")).toMatch(/G1 is back in main\.main\+0x[0-9a-f]+ with the call's result/);
    // Each section once, however often the machine re-enters its function.
    expect(out.match(/── syscall\.Syscall\n/g)).toHaveLength(1);
  });

  it("a program without the chapter's path says so and names the program that has it", () => {
    const { status, out } = tour("syscall", "gosched.s");
    expect(status).toBe(1);
    expect(out).toBe("tour: the program never does what --chapter syscall follows: a call of syscall.Syscall (programs/syscall.s). Try: gmpemu tour programs/syscall.s --chapter syscall\n");
    const g = tour("gosched", "hello.s");
    expect(g.status).toBe(1);
    expect(g.out).toMatch(/never|before any goroutine called runtime\.Gosched.*--chapter park/);
  });

  it("pacing: prose wraps to the width, instruction lines do not; a pause before each section after the first", async () => {
    expect(wrap("one two three four five six seven eight nine ten eleven twelve", 20)).toBe("one two three four\nfive six seven eight\nnine ten eleven\ntwelve");
    expect(wrap("  0x401000  asm/asm_amd64.s:1   MOVQ AX, BX   AX=0x1 BX=0x2 CX=0x3", 20)).toBe("  0x401000  asm/asm_amd64.s:1   MOVQ AX, BX   AX=0x1 BX=0x2 CX=0x3");
    let out = "", pauses = 0;
    const status = await runTourPaced(join(ROOT, "programs/syscall.s"), (s) => (out += `${s}`), async () => { pauses++; out += "<pause>"; }, { root: ROOT, chapter: "syscall", width: 40 });
    expect(status).toBe(0);
    const sections = out.match(/── /g)!.length;
    expect(pauses).toBe(sections - 1);
    expect(out).toMatch(/<pause>\n── runtime\.entersyscall/);
    for (const line of out.split("\n")) if (!line.startsWith(" ") && !line.startsWith("── ")) expect(line.replace("<pause>", "").length).toBeLessThanOrEqual(40);
  });
});
