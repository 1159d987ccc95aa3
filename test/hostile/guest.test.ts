// Guest programs that push the kernel and the runtime past their limits
// (issue 10): each ends as Linux and Go would end it — an error code, Go's
// own fatal error, an exit status — never a TypeScript exception, and
// every run is bounded.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProgram } from "../../src/node/boot.ts";
import { MAX_THREADS } from "../../src/os/kernel.ts";
import { engines } from "../helpers/oracles.ts";

const DIR = join(import.meta.dirname, "guest");
const tmp = mkdtempSync(join(tmpdir(), "gmpemu-guest-"));

/** The guest program NAME, with `#define D 1` for each of defs. */
function prog(name: string, ...defs: string[]): string {
  const src = readFileSync(join(DIR, `${name}.s`), "utf8")
    .replace('#include "textflag.h"', ['#include "textflag.h"', ...defs.map((d) => `#define ${d} 1`)].join("\n"));
  const f = join(tmp, `${name}${defs.map((d) => "-" + d).join("")}.s`);
  writeFileSync(f, src);
  return f;
}

function run(file: string, opts: Parameters<typeof runProgram>[1] = {}) {
  let err = "";
  const r = runProgram([file], { ...opts, stdout: () => {}, stderr: (b) => (err += Buffer.from(b).toString()) });
  return { ...r, err };
}

describe("threads are bounded", () => {
  for (const engine of engines()) {
    it(`clone in a loop stops at ${MAX_THREADS} live threads with EAGAIN (${engine})`, () => {
      const r = run(prog("clones"), { engine });
      expect(r.code).toBe(0);
      const [made, errno] = r.err.trim().split(" ").map(Number);
      expect(errno).toBe(-11);
      // Every thread is live (the children wait for good): the limit, less the runtime's few.
      expect(r.machine.kernel.threads.length).toBe(MAX_THREADS);
      expect(made).toBeGreaterThan(MAX_THREADS - 8);
    });
  }

  it("then the runtime's own thread creation fails as Go's does: newosproc, exit 2", () => {
    const r = run(prog("clones", "lock"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^\d+ -11\nruntime: failed to create new OS thread \(have \d+ already; errno=11\)\nruntime: may need to increase max user processes \(ulimit -u\)\nfatal error: newosproc\n/);
  });
});

describe("system calls refuse as Linux does", () => {
  for (const engine of engines()) {
    it(`EBADF for a closed fd, EFAULT for a bad pointer, and SIGKILL ends with 137 (${engine})`, () => {
      const r = run(prog("syscalls"), { engine });
      expect(r.err).toBe("-9\n-14\n");
      expect(r.code).toBe(137);
    });
  }
});

describe("bad pointers handed to the runtime fault in Go's words", () => {
  const cases: [string, string, string][] = [
    ["chan", "0x10b0", "runtime.chansend1(0x1058, 0x0)"],
    ["print", "0x10", "runtime.printstring(0x10, 0x5)"],
    ["go", "0x20", "runtime.newproc(0x20)"],
  ];
  for (const engine of engines()) {
    for (const [what, addr, frame] of cases) {
      it(`${what}: fatal error with the signal line and a traceback, exit 2 (${engine})`, () => {
        const r = run(prog("badptrs", what), { engine });
        expect(r.code).toBe(2);
        expect(r.err).toMatch(new RegExp(`^fatal error: unexpected signal during runtime execution\\n\\[signal SIGSEGV: segmentation violation code=0x1 addr=${addr} pc=0x7f[0-9a-f]+\\]\\n\\ngoroutine \\d+ \\[running\\]:\\n`));
        expect(r.err).toContain(frame);
        expect(r.err).not.toMatch(/gmpemu:|TypeError|at .*\.ts:\d+/);
      });
    }
  }
});

describe("every run is bounded", () => {
  it("host calls count against --max-insns (a function returning into another needs no instruction)", () => {
    const r = run(prog("hostloop"), { maxInsns: 30_000 });
    expect(r.code).toBe(3);
    expect(r.insns).toBeLessThan(30_000);
    expect(r.machine.kernel.hostCalls).toBeGreaterThan(0);
  });

  it("an hour's sleep jumps the clock: sysmon sleeps to the timer instead of ticking every 10 ms", () => {
    const r = run(prog("sleep"));
    expect(r.code).toBe(0);
    expect(r.err).toBe("1\n");
    expect(r.machine.kernel.now).toBeGreaterThanOrEqual(3600e9);
    // An hour of 10 ms ticks would be 360,000 rounds; idle sysmon sleeps a minute at a time.
    expect(r.machine.stats.preempt.sysmonRounds).toBeLessThan(200);
  });

  it("--preempt-every below the minimum is refused: it could preempt a goroutine before it runs", () => {
    expect(() => run(join(import.meta.dirname, "../../programs/hello.s"), { preemptEvery: 20 })).toThrow(/--preempt-every: 20 is too short.*at least 64/);
  });
});
