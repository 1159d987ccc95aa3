// The command line as issue 17 asks: --version; usage errors as one line
// and a hint with exit status 2, never the whole help; run's flags on step
// and verify (durations with units, --preempt-every under lockstep);
// symbols as the source spells them on --entry, trace --only and the
// stepper; --strict on the commands that assemble a program; --schedtrace
// lines at 0, MS, 2·MS ... of virtual time, with --procs 2 on a short
// program too.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gmpemu } from "./cli-run.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const P = (f: string): string => join(ROOT, "programs", f);
const dir = mkdtempSync(join(tmpdir(), "gmpemu-flags-"));
const LOSSY = join(dir, "lossy.s");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  writeFileSync(LOSSY, "#include \"textflag.h\"\n\nTEXT ·main(SB), $0-0\n\tMOVB\t$0x1ff, AX\n\tRET\n");
});

describe("the CLI", () => {
  it("--version prints the package's version", async () => {
    const r = await gmpemu("--version");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^gmpemu \d+\.\d+\.\d+/);
  });

  it("usage errors are one line and a hint, exit status 2, for every command", async () => {
    const cases: [string[], RegExp][] = [
      [["run", P("hello.s"), "--procs", "x"], /^error: --procs: not an integer >= 1: x \(see gmpemu run --help\)\n$/],
      [["run", P("hello.s"), "--bogus"], /^error: unknown option '--bogus' \(see gmpemu run --help\)\n$/],
      [["step", P("hello.s"), "--timeslice", "soon"], /^error: --timeslice: not a duration .* \(see gmpemu step --help\)\n$/],
      [["verify"], /^error: missing required argument 'file' \(see gmpemu verify --help\)\n$/],
      [["tour", "--chapter", "nope"], /^error: --chapter: no chapter nope \(chapters: gosched, park, preempt, morestack, syscall\) \(see gmpemu tour --help\)\n$/],
      [["trace", P("hello.s"), "--preempt-every", "3"], /^error: --preempt-every: not an integer >= 64: 3 \(see gmpemu trace --help\)\n$/],
      [["frobnicate"], /^error: unknown command 'frobnicate' \(see gmpemu --help\)\n$/],
    ];
    for (const [argv, want] of cases) {
      const r = await gmpemu(...argv);
      expect(r.status, argv.join(" ")).toBe(2);
      expect(r.stderr, argv.join(" ")).toMatch(want);
      expect(r.stderr + r.stdout).not.toContain("Usage:");
    }
  });

  it("step takes run's flags: --timeslice with units, --preempt-every, --no-sysmon, --max-stack, --asyncpreemptoff", async () => {
    const script = join(dir, "s.txt");
    writeFileSync(script, "b @signal\nc\n");
    const r = await gmpemu("step", P("spin.s"), "--timeslice", "100us", "--max-stack", "1048576", "--script", script);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/breakpoint 1, @signal: signal G\d+ \(asyncPreempt\)/);
    // With --asyncpreemptoff no signal preempts: spin.s's spinner keeps its P (cut short by si).
    writeFileSync(script, "si 20000\ninfo breakpoints\n");
    const off = await gmpemu("step", P("spin.s"), "--timeslice", "1ms", "--asyncpreemptoff", "--no-sysmon", "--preempt-every", "500", "--script", script);
    expect(off.status, off.stderr).toBe(0);
    expect(off.stdout).toContain("no breakpoints or watchpoints");
  });

  it("verify takes --preempt-every (lockstep under forced preemption) and --entry as the source spells it", { timeout: 120_000 }, async () => {
    const r = await gmpemu("verify", P("regs.s"), "--preempt-every", "97", "--max-steps", "3000");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^verified \d+ instructions: 0 divergences \(stopped after --max-steps\)/m);
    for (const spelled of ["·alu", "main·alu", "main.alu"]) {
      const v = await gmpemu("verify", join(ROOT, "bench/alu.s"), "--entry", spelled, "--max-steps", "500");
      expect(v.status, `${spelled}: ${v.stderr}`).toBe(0);
      expect(v.stdout).toMatch(/verified \d+ instructions: 0 divergences/);
    }
    const bad = await gmpemu("verify", join(ROOT, "bench/alu.s"), "--entry", "·nosuch");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: --entry: no symbol main\.nosuch .*\(see gmpemu verify --help\)\n$/);
  });

  it("trace --only and the stepper's b and until take ·f, main·f and main.f", async () => {
    const a = await gmpemu("trace", P("gosched.s"), "--only", "main·loop");
    const b = await gmpemu("trace", P("gosched.s"), "--only", "·loop");
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/^0x[0-9a-f]+ M\d+ programs\/gosched\.s:\d+ main\.loop  MOVQ /m);
    expect(b.stdout).toBe(a.stdout);
    const script = join(dir, "sym.txt");
    writeFileSync(script, "b ·loop\nc\nuntil main·main\n");
    const s = await gmpemu("step", P("gosched.s"), "--script", script);
    expect(s.stdout).toMatch(/breakpoint 1, main\.loop at 0x/);
  });

  it("--strict: a lossy immediate warns and runs without it, fails with it, on run and step", async () => {
    const warn = await gmpemu("run", LOSSY);
    expect(warn.status).toBe(0);
    expect(warn.stderr).toMatch(/lossy\.s:4:\d+: warning: \$0x1ff truncated to 8 bits/);
    for (const cmd of ["run", "step", "trace", "tour"]) {
      const r = await gmpemu(cmd, LOSSY, "--strict");
      expect(r.status, cmd).toBe(1);
      expect(r.stderr, cmd).toMatch(/lossy\.s:4:\d+: \$0x1ff truncated to 8 bits/);
    }
  });

  it("--schedtrace MS: lines at 0, MS, 2·MS ... of virtual time; a short program with --procs 2 prints the one at 0", async () => {
    const short = await gmpemu("run", P("hello.s"), "--procs", "2", "--schedtrace", "1");
    expect(short.status).toBe(0);
    // Go prints them to stderr.
    expect(short.stderr).toMatch(/^SCHED 0ms: gomaxprocs=2 idleprocs=\d+ threads=\d+ spinningthreads=\d+ idlethreads=\d+ runqueue=\d+ \[\d+ \d+\]$/m);
    const long = await gmpemu("run", P("syscall.s"), "--schedtrace", "5");
    expect(long.status).toBe(0);
    const ms = [...long.stderr.matchAll(/^SCHED (\d+)ms:/gm)].map((m) => Number(m[1]));
    expect(ms.length).toBeGreaterThanOrEqual(5);
    // At 0, then every 5 ms: not 0, 7, 12, 22 as before.
    expect(ms).toEqual(ms.map((_, i) => i * 5));
  });
});
