// The emulated kernel on its own: clone, write, futex wait/wake, nanosleep
// on the virtual clock, exit and exit_group, and the seeded interleaving
// (same seed, same run; another seed, another interleaving).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildImage } from "../../src/asm/index.ts";
import { nodeSource } from "../../src/node/nodefs.ts";
import { createEngine } from "../../src/engine/index.ts";
import { mapImage } from "../../src/engine/load.ts";
import { PROT_READ, PROT_WRITE } from "../../src/engine/engine.ts";
import { Kernel } from "../../src/os/kernel.ts";

function run(seed: number, engine = "interp") {
  const { image } = buildImage([join(import.meta.dirname, "threads.s")], { source: nodeSource });
  const e = createEngine(engine);
  mapImage(e, image);
  e.map(0x7000_0000, 0x10000, PROT_READ | PROT_WRITE);
  let out = "";
  const k = new Kernel(e, { seed, quantum: [200, 3000], stdout: (b) => (out += new TextDecoder().decode(b)) });
  const switches: number[] = [];
  k.onSwitch = (_from, to) => switches.push(to.tid);
  k.newThread({ rip: image.addrOf("main.start")!, rsp: 0x7000_fff0 });
  const exit = k.run(10_000_000);
  const r = { exit, out, switches, now: k.now, threads: k.threads.map((t) => t.state), insns: e.icount };
  e.close();
  return r;
}

describe("the kernel", () => {
  it("runs two threads to the end: clone, write, futex, nanosleep, exit", () => {
    const r = run(1);
    // exit_group's status is the virtual seconds nanosleep took.
    expect(r.exit).toEqual({ kind: "exit", code: 1 });
    expect(r.out.replace(/C/g, "")).toBe("P".repeat(40));
    expect(r.out.replace(/P/g, "")).toBe("C".repeat(40));
    expect(r.threads).toEqual(["runnable", "exited"]);
    // The clock ran one virtual second in the sleep, plus a nanosecond per instruction.
    expect(r.now).toBeGreaterThanOrEqual(1e9 + r.insns - 10);
  });

  it("interleaves the same way for the same seed, differently for others", () => {
    const a = run(7), b = run(7);
    expect(b.out).toBe(a.out);
    expect(b.switches).toEqual(a.switches);
    const others = new Set([1, 2, 3, 4, 5].map((s) => run(s).out));
    expect(others.size).toBeGreaterThan(1);
    // Both threads really do interleave: neither runs all 40 in one go.
    expect(a.out).toMatch(/P+C+P+/);
  });
});
