// The tour (gmpemu tour, npm start): one Gosched, mcall and gogo one
// instruction at a time, with what each changed and the source's comment.
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runTour } from "../../src/tour/tour.ts";

const ROOT = resolve(import.meta.dirname, "../..");

function tour(): string {
  let out = "";
  const status = runTour(join(ROOT, "programs/gosched.s"), (s) => (out += s), { root: ROOT });
  expect(status).toBe(0);
  return out;
}

describe("gmpemu tour", () => {
  const out = tour();
  const lines = out.split("\n");

  it("follows mcall: the gobuf filled, then g0 in TLS and R14, then g0's stack", () => {
    expect(out).toMatch(/^\n── gosched: one Gosched, through mcall, the scheduler and gogo\nGoroutine 5 has called runtime.Gosched: mcall's return address is runtime.Gosched's continuation, which returns to main.loop\+0x[0-9a-f]+ \(programs\/gosched.s:\d+\)/);
    const mcall = lines.slice(lines.findIndex((l) => l.startsWith("mcall")), lines.findIndex((l) => l.startsWith("G5 is now parked")));
    const changes = mcall.filter((l) => /^  0x/.test(l));
    // In this order: sched.pc, sched.sp, sched.bp; then TLS g = g0; then SP = g0's stack.
    const order = [/ G5\.sched\.pc=0x/, / G5\.sched\.sp=0x/, / G5\.sched\.bp=0x/, / TLS g=0x/, /, SP\s+SP=0x/].map((re) => changes.findIndex((c) => re.test(c)));
    for (const i of order) expect(i).toBeGreaterThanOrEqual(0);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(mcall.join("\n")).toContain("(G0, g0)");
    // Each instruction carries the comment of its source line.
    expect(mcall.join("\n")).toContain("// g.sched.sp");
  });

  it("shows the scheduler's decision between the two routines", () => {
    expect(out).toContain("gosched_m: G5 running → runnable, onto the global run queue");
    expect(out).toMatch(/schedule → findRunnable picks G6; execute: runnable → running on P0, M0/);
  });

  it("follows gogo: G6's g into TLS and R14, and SP, DX, BP from its gobuf", () => {
    const head = lines.find((l) => l.startsWith("gogo "))!;
    const m = /sp=(0x[0-9a-f]+) pc=.* bp=(0x[0-9a-f]+) ctxt=(0x[0-9a-f]+)/.exec(head)!;
    expect(m).not.toBeNull();
    const gogo = lines.slice(lines.indexOf(head), lines.findIndex((l) => l.startsWith("G6 runs again")));
    const text = gogo.join("\n");
    expect(text).toMatch(/MOVQ \(BX\), SP\s+SP=/);
    expect(text).toContain(`SP=${m[1]}`);
    expect(text).toContain("(G6)");
    expect(text).toContain("G6.sched.sp=0x0");
    expect(text).toContain("JMP BX");
    expect(text).toContain("A gobuf holds only SP, PC, BP, ctxt and ret because a goroutine is switched out only at a call");
    expect(out).toContain(`G6 runs again at runtime.Gosched's continuation`);
    expect(out).toContain(`with SP=${m[1]} and BP=${m[2]}, as its gobuf said`);
  });

  it("is the same every time", () => {
    expect(tour()).toBe(out);
  });
});
