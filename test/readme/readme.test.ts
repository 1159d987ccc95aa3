// Every example in README.md, run as the README writes it, through the
// command (cli.ts: a child process, spawned asynchronously), with what the
// README says it does checked. Where the numbers are the program's own
// (stack copies, system calls, preemptions), they are derived from the
// program, not from an earlier run.
//
// Not run here, and why: `npm ci && npm test` (the suite cannot run
// itself), `npm run bench` (a benchmark: speed is measured there, never in
// a test); the interactive stepper's terminal features are issue 17's.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineAvailable } from "../../src/engine/index.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { INVARIANTS } from "../runtime/invariants.ts";
import { bundlePackage, cleanup, gmpemu, ROOT, sh, viaBin, type Run } from "./cli.ts";

const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));
const goBin = findGo();
const haveGo = oracleAvailable("go (the README's Go examples)", goBin !== null);
const tmp = mkdtempSync(join(tmpdir(), "gmpemu-readme-"));
afterAll(() => {
  cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

/** Go's answer for programs/NAME.go under GOMAXPROCS=1, from its golden file (programs.test.ts keeps it equal to Go's live run). */
function golden(name: string): { code: number; stderr: string } {
  const t = readFileSync(join(ROOT, "test/golden/programs", name + ".txt"), "utf8");
  const m = /^#[^\n]*\nexit (\d+)\n--- stdout ---\n[^]*?--- stderr ---\n([^]*)$/.exec(t)!;
  return { code: Number(m[1]), stderr: m[2]! };
}

/** The `gmpemu:` lines --stats prints, by their first word. */
function stats(stderr: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of stderr.split("\n")) {
    const m = /^gmpemu: (?:(preemption|stacks|system calls): )?(.*)$/.exec(l);
    if (m) out[m[1] ?? "run"] = m[2]!;
  }
  return out;
}

const num = (s: string, re: RegExp): number => {
  const m = re.exec(s);
  expect(m, `${re} in ${JSON.stringify(s)}`).not.toBeNull();
  return Number(m![1]);
};

describe("README: set up and run", () => {
  it("npm start: the tour of one Gosched (mcall, the scheduler, gogo)", async () => {
    const r = await sh("npm", ["start", "--silent"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Goroutine 5 has called runtime\.Gosched/m);
    for (const s of ["mcall", "gosched_m", "findRunnable", "execute", "gogo"]) expect(r.stdout).toContain(s);
  });
});

describe("README: the tour", () => {
  it("npx gmpemu tour: programs/gosched.s, the same as naming it", async () => {
    const [dflt, named] = [await viaBin(["tour"]), await gmpemu(["tour", "programs/gosched.s"])];
    expect(dflt.status).toBe(0);
    expect(dflt.stdout).toBe(named.stdout);
    // Each instruction of mcall, then of gogo, with the source line's comment.
    expect(dflt.stdout).toMatch(/asm\/asm_amd64\.s:\d+/);
    expect(dflt.stdout).toContain("// g.sched.sp");
  });

  // hello.s's goroutines never call Gosched: the default chapter says so
  // and names the chapters that fit, and README shows the one that does
  // (--chapter park: main's channel receive).
  it("npx gmpemu tour programs/hello.s: the gosched chapter does not fit, and says which do", async () => {
    const r = await gmpemu(["tour", "programs/hello.s", "--no-pause"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/the program ended before any goroutine called runtime\.Gosched \(exit\); the other chapters follow other paths: --chapter park/);
  });

  it("npx gmpemu tour programs/hello.s --chapter park --no-pause (README)", async () => {
    const r = await gmpemu(["tour", "programs/hello.s", "--chapter", "park", "--no-pause"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/park/);
  });

  it("the tour on another program whose goroutines call runtime.Gosched: syscall.s's worker", async () => {
    const r = await gmpemu(["tour", "programs/syscall.s"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Goroutine 5 has called runtime\.Gosched: .* returns to main\.worker\+0x[0-9a-f]+ \(programs\/syscall\.s:\d+\)/m);
    expect(r.stdout).toContain("gogo");
  });
});

describe("README: stepping", () => {
  const script = (name: string, lines: string[]): string => {
    const f = join(tmp, name);
    writeFileSync(f, lines.join("\n") + "\n");
    return f;
  };

  it("step programs/gosched.s, interactive, commands on standard input", async () => {
    const r = await gmpemu(["step", "programs/gosched.s"], { input: "b runtime·gogo if goid == 2\nc\nquit\n" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("breakpoint 1 at 0x");
    expect(r.stdout).toContain("breakpoint 1, runtime.gogo");
  });

  it("step --script: the README's session (b … if goid, c, si, rsi, b @park, watch, goroutines, g, m, p, sched, bt, regs, x/4gx $SP, threads)", async () => {
    const f = script("s.txt", [
      "b runtime·gogo if goid == 2", "c", "si 3", "rsi 3", "b @park if goid == 1", "watch g.sched.sp",
      "goroutines", "g", "g 1", "m", "p", "sched", "bt", "regs", "x/4gx $SP", "threads", "quit",
    ]);
    const r = await gmpemu(["step", "programs/gosched.s", "--script", f]);
    expect(r.status).toBe(0);
    const o = r.stdout;
    expect(o).toContain("(gmpemu) b runtime·gogo if goid == 2\nbreakpoint 1 at 0x");
    expect(o).toMatch(/breakpoint 1, runtime\.gogo at 0x[0-9a-f]+\nstep (\d+),/);
    const at = num(o, /breakpoint 1, runtime\.gogo at 0x[0-9a-f]+\nstep (\d+),/);
    expect(o).toContain(`(gmpemu) si 3\nstep ${at + 3},`);
    expect(o).toContain(`(gmpemu) rsi 3\nback 3 steps, at step ${at}`);
    expect(o).toContain("breakpoint 2 at @park if goid == 1");
    expect(o).toMatch(/watchpoint 3: g\.sched\.sp \(now G\d+'s, the current goroutine's at each stop\) at 0x[0-9a-f]+ = 0x[0-9a-f]+/);
    expect(o).toMatch(/\(gmpemu\) goroutines\n( {2}G\d+ {2}\w+.*\n)+/);
    expect(o).toMatch(/\(gmpemu\) g 1\nG1 at 0x[0-9a-f]+: waiting \(chan receive\)/);
    expect(o).toMatch(/\(gmpemu\) m\nM0 thread 1000: curg [-G\d]+, P [-\d]+\n/);
    expect(o).toMatch(/\(gmpemu\) p\nP0 running M\d+ schedtick=\d+ runnext=\S+ runq=\[.*\]\n/);
    expect(o).toMatch(/\(gmpemu\) sched\nglobal runq \(\d+\): \[.*\]\nidle Ps: \d+, idle Ms: \d+, spinning Ms: \d+\n/);
    expect(o).toMatch(/\(gmpemu\) bt\n#0 runtime\.gogo asm\/asm_amd64\.s:\d+\n#1 runtime\.execute/);
    expect(o).toMatch(/\(gmpemu\) regs\n[^]*RIP +0x4010e0/);
    expect(o).toMatch(/\(gmpemu\) x\/4gx \$SP\n0x[0-9a-f]+: 0x[0-9a-f]+\t0x[0-9a-f]+\n0x[0-9a-f]+: 0x[0-9a-f]+\t0x[0-9a-f]+\n/);
    expect(o).toMatch(/\(gmpemu\) threads\n(\*? +thread \d+ \w+ RIP=0x[0-9a-f]+( \(\S+\))?\n)+/);
    expect(o).not.toContain("error:");
  });

  it("step --script: ni, finish, until, se, sg and rc", async () => {
    const f = script("s2.txt", ["b ·spawn", "c", "delete", "finish", "ni", "until main.loop", "se", "sg 5 2", "rc", "quit"]);
    const r = await gmpemu(["step", "programs/gosched.s", "--script", f]);
    expect(r.status).toBe(0);
    const o = r.stdout;
    expect(o).toMatch(/\(gmpemu\) finish\nreturned to main\.main\+0x[0-9a-f]+\n/);
    // ni after finish: the next instruction of main.main, one step on.
    const fin = num(o, /returned to main\.main\+0x[0-9a-f]+\nstep (\d+),/);
    expect(o).toMatch(new RegExp(`\\(gmpemu\\) ni\\nstep ${fin + 1}, thread \\d+: main\\.main\\+0x`));
    expect(o).toMatch(/\(gmpemu\) until main\.loop\n[^]*?step \d+, thread \d+: main\.loop\n/);
    // se: to the next event, G6's first Gosched (its first line printed
    // first). The "| " before "event" is issue 17's: the tool's message is
    // marked as the program's output when it follows some.
    const se = num(o, /\(gmpemu\) se\n(?:\| .*\n)*(?:\| )?event: gosched G6 on P0 M0\nstep (\d+),/);
    expect(o).toMatch(/\(gmpemu\) sg 5 2\nstep \d+, [^]*?\nG5 M\d+ P\d+/);
    // rc: back to the stop before, se's (the replayed output is not printed again).
    expect(o).toMatch(new RegExp(`\\(gmpemu\\) rc\\nback to the previous stop, step ${se}\\n`));
    expect(o).not.toContain("error:");
  });

  // The event breakpoints, each on a program where its event happens.
  const events: [string, string[], RegExp][] = [
    ["@switch", ["programs/gosched.s"], /breakpoint 1, @switch: run G\d+/],
    ["@newproc", ["programs/gosched.s"], /breakpoint 1, @newproc: create G\d+ (\(\S+\) )?on P0 M0/],
    ["@park", ["programs/gosched.s"], /breakpoint 1, @park: park G1 \(chan receive\)/],
    ["@ready", ["programs/gosched.s"], /breakpoint 1, @ready: ready G\d+ on P0/],
    ["@syscall", ["programs/syscall.s"], /breakpoint 1, @syscall: syscall G1 on P0 M0\nstep \d+, thread \d+: syscall\.Syscall/],
    ["@signal", ["programs/spin.s", "--timeslice", "100000"], /breakpoint 1, @signal: signal G\d+ \(asyncPreempt\)/],
    ["@preempt", ["programs/spin.s", "--timeslice", "100000"], /breakpoint 1, @preempt: preempt G\d+ on P0/],
    ["@steal", ["test/fixtures/fanout.s", "--procs", "4", "--seed", "2"], /breakpoint 1, @steal: steal G\d+ \(from P\d\) on P\d/],
  ];
  for (const [ev, args, want] of events) {
    it(`b ${ev}`, async () => {
      const f = script(`ev${ev.slice(1)}.txt`, [`b ${ev}`, "c", "quit"]);
      const r = await gmpemu(["step", ...args, "--script", f]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`breakpoint 1 at ${ev}`);
      expect(r.stdout).toMatch(want);
    });
  }
});

describe("README: listing an assembly file", () => {
  /** go tool objdump of Go's own object for a file, parsed: per TEXT symbol, its instructions. */
  function goObjdump(file: string, args: string[]): Map<string, { line: string; off: number; hex: string; masks: [number, number][] }[]> {
    const o = join(tmp, "go.o");
    const as = spawnGo(["tool", "asm", ...args, "-o", o, file]);
    expect(as.status, as.stderr).toBe(0);
    const d = spawnGo(["tool", "objdump", o]);
    expect(d.status, d.stderr).toBe(0);
    const out = new Map<string, { line: string; off: number; hex: string; masks: [number, number][] }[]>();
    let cur: { line: string; off: number; hex: string; masks: [number, number][] }[] | undefined;
    let base = 0;
    for (const l of d.stdout.split("\n")) {
      const t = /^TEXT (\S+)\(SB\)/.exec(l);
      if (t) {
        out.set(t[1]!, (cur = []));
        base = -1;
        continue;
      }
      const m = /^\s+(\S+:\d+)\s+0x([0-9a-f]+)\s+([0-9a-f]+)\s+(.*)$/.exec(l);
      if (!m || !cur) continue;
      const addr = parseInt(m[2]!, 16);
      if (base < 0) base = addr;
      const masks = [...m[4]!.matchAll(/\[(\d+):(\d+)\]R_/g)].map((x) => [Number(x[1]), Number(x[2])] as [number, number]);
      cur.push({ line: m[1]!, off: addr - base, hex: m[3]!, masks });
    }
    return out;
  }

  /** Our listing, parsed the same way: columns file:line, address, bytes, disassembly. */
  function ours(stdout: string): Map<string, { line: string; off: number; hex: string; text: string }[]> {
    const out = new Map<string, { line: string; off: number; hex: string; text: string }[]>();
    let cur: { line: string; off: number; hex: string; text: string }[] | undefined;
    let base = 0;
    for (const l of stdout.split("\n")) {
      const t = /^TEXT (\S+)\(SB\) /.exec(l);
      if (t) {
        out.set(t[1]!, (cur = []));
        base = -1;
        continue;
      }
      if (/^\S/.test(l)) cur = undefined;
      const m = /^ {2}(\S+:\d+)\s+0x([0-9a-f]+)\s+([0-9a-f]+)\s+(.+)$/.exec(l);
      if (!m || !cur) continue;
      const addr = parseInt(m[2]!, 16);
      if (base < 0) base = addr;
      cur.push({ line: m[1]!, off: addr - base, hex: m[3]!, text: m[4]!.trim() });
    }
    return out;
  }

  const mask = (hex: string, masks: [number, number][]): string => {
    const b = hex.match(/../g)!;
    for (const [s, e] of masks) for (let i = s; i < e; i++) b[i] = "..";
    return b.join("");
  };

  function spawnGo(args: string[]): { status: number | null; stdout: string; stderr: string } {
    // Synchronous, and short: go tool asm and objdump on one file.
    const r = spawnSync(goBin!, args, { cwd: ROOT, encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it("asm programs/sample.s: each function's instructions as go tool objdump lists them (file:line, offset, bytes)", async () => {
    const r = await gmpemu(["asm", "programs/sample.s"]);
    expect(r.status).toBe(0);
    const got = ours(r.stdout);
    expect([...got.keys()]).toEqual(["main.sum", "main.touch"]);
    // The header names the file; the prologue Go inserts is listed (its
    // lines are the TEXT line's), with the disassembly of each instruction.
    expect(r.stdout).toMatch(/^TEXT main\.sum\(SB\) programs\/sample\.s\n {2}sample\.s:14\s+0x401000\s+644c8b3425f8ffffff\s+MOVQ FS:0xfffffff8, R14\n/);
    expect(got.get("main.sum")!.map((i) => i.text)).toContain("CALL runtime.morestack_noctxt(SB)");
    expect(r.stdout).toMatch(/^RODATA main\.words\(SB\) size=24 programs\/sample\.s$/m);
    if (!haveGo) return;
    const want = goObjdump("programs/sample.s", ["-p", "main", "-I", "asm/include", "-D", "GOOS_linux", "-D", "GOARCH_amd64"]);
    expect([...got.keys()]).toEqual([...want.keys()]);
    for (const [sym, insns] of want) {
      const g = got.get(sym)!;
      expect(g.map((i) => i.line), sym).toEqual(insns.map((i) => i.line));
      expect(g.map((i) => i.off), sym).toEqual(insns.map((i) => i.off));
      // Bytes equal but where Go's object leaves a relocation to the linker.
      expect(g.map((i, k) => mask(i.hex, insns[k]!.masks)), sym).toEqual(insns.map((i) => mask(i.hex, i.masks)));
    }
  });

  it("asm --json: each symbol's raw bytes and relocations, as Go's object has them", async () => {
    const r = await gmpemu(["asm", "programs/sample.s", "--json"]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { symbols: { name: string; kind: string; addr: number; size: number; bytes: string; relocs: { offset: number; size: number; type: string; target: string; add: number }[] }[] };
    const byName = new Map(j.symbols.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual(["main.lastg", "main.sum", "main.touch", "main.words"]);
    const words = byName.get("main.words")!;
    expect(words).toMatchObject({ kind: "data", size: 24, bytes: "010000000000000002000000000000002700000000000000", relocs: [] });
    const touch = byName.get("main.touch")!;
    expect(touch.relocs.map((x) => `${x.type}:${x.target}`)).toEqual(["R_TLS_LE:", "R_PCREL:main.lastg"]);
    expect(touch.bytes.length / 2).toBe(touch.size);
    for (const s of j.symbols) for (const x of s.relocs) expect(x.offset + x.size).toBeLessThanOrEqual(s.size);
    if (!haveGo) return;
    // Go's objdump: [a:b]R_TYPE:target at each instruction; the same fields, relative to the function.
    const want = goObjdump("programs/sample.s", ["-p", "main", "-I", "asm/include", "-D", "GOOS_linux", "-D", "GOARCH_amd64"]);
    for (const [sym, insns] of want) {
      const fields = insns.flatMap((i) => i.masks.map(([a, b]) => `${i.off + a}+${b - a}`));
      const oursF = byName.get(sym)!.relocs.filter((x) => x.size > 0).map((x) => `${x.offset}+${x.size}`);
      expect(oursF, sym).toEqual(fields);
    }
  });

  it("asm asm/asm_amd64.s -p runtime: ·names in package runtime, as go tool asm -p runtime names them", async () => {
    const [rt, dflt] = [await gmpemu(["asm", "asm/asm_amd64.s", "-p", "runtime"]), await gmpemu(["asm", "asm/asm_amd64.s"])];
    expect(rt.status).toBe(0);
    const names = [...rt.stdout.matchAll(/^TEXT (\S+)\(SB\)/gm)].map((m) => m[1]!);
    expect(names).toContain("runtime.gogo");
    expect(names).toContain("runtime.mcall");
    // Without it, the runtime's ABI selectors are refused, in Go's words.
    expect(dflt.status).toBe(1);
    expect(dflt.stderr).toMatch(/^asm\/asm_amd64\.s:\d+:\d+: ABI selector only permitted when compiling runtime \(-p runtime\): runtime\.mcall$/m);
    if (!haveGo) return;
    // (go tool asm wants -compiling-runtime as well, where the go command would pass it.)
    const want = goObjdump("asm/asm_amd64.s", ["-p", "runtime", "-compiling-runtime", "-I", "asm/include", "-D", "GOOS_linux", "-D", "GOARCH_amd64"]);
    expect(names.filter((n) => !n.includes("<"))).toEqual([...want.keys()].filter((n) => !n.includes("<")));
  });

  it("asm x.s -I include/ -D DEBUG=1: include directories and defines", async () => {
    const dir = join(tmp, "incl");
    mkdirSync(join(dir, "include"), { recursive: true });
    writeFileSync(join(dir, "include", "defs.h"), "#define ANSWER $42\n");
    writeFileSync(join(dir, "x.s"), [
      '#include "textflag.h"', '#include "defs.h"', "", "TEXT ·f(SB), NOSPLIT, $0-8",
      "#ifdef DEBUG", "\tMOVQ\t$DEBUG, AX", "#else", "\tMOVQ\tANSWER, AX", "#endif", "\tMOVQ\tAX, ret+0(FP)", "\tRET", "",
    ].join("\n"));
    const on = await gmpemu(["asm", "x.s", "-I", "include/", "-D", "DEBUG=1"], { cwd: dir });
    expect(on.status, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/MOVQ \$0x1, AX/);
    const off = await gmpemu(["asm", "x.s", "-I", "include/"], { cwd: dir });
    expect(off.status, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/MOVQ \$0x2a, AX/);
    // Without -I the include is not found: an error at the #include line, status 1.
    const none = await gmpemu(["asm", "x.s"], { cwd: dir });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^x\.s:2:\d+: .*defs\.h/);
    if (!haveGo) return;
    const got = ours(on.stdout);
    const o = join(tmp, "x.o");
    const as = spawnGo(["tool", "asm", "-p", "main", "-I", join(dir, "include"), "-I", "asm/include", "-D", "DEBUG=1", "-o", o, join(dir, "x.s")]);
    expect(as.status, as.stderr).toBe(0);
    const d = spawnGo(["tool", "objdump", o]);
    const hex = [...d.stdout.matchAll(/^\s+\S+:\d+\s+0x[0-9a-f]+\s+([0-9a-f]+)\s/gm)].map((m) => m[1]);
    expect(got.get("main.f")!.map((i) => i.hex)).toEqual(hex);
  });

  it("errors are file:line:col: message, all of them, exit status 1", async () => {
    const f = join(tmp, "bad.s");
    writeFileSync(f, "TEXT ·f(SB), $0-0\n\tMOVQ\t$1, NOTAREG\n\tFROB\tAX\n\tRET\n");
    const r = await gmpemu(["asm", f]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${f.replace(/[.]/g, "\\.")}:2:\\d+: `));
    expect(lines[1]).toMatch(new RegExp(`^${f.replace(/[.]/g, "\\.")}:3:\\d+: `));
  });
});

describe("README: running Go programs on the emulated runtime", () => {
  it("run programs/hello.s: one P, Go's output", async () => {
    const r = await gmpemu(["run", "programs/hello.s"]);
    const want = golden("hello");
    expect(r.status).toBe(want.code);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(want.stderr);
  });

  it("run programs/many.s --procs 4 --stats: 100,000 goroutines on 4 Ps", { timeout: 300_000 }, async () => {
    const r = await gmpemu(["run", "programs/many.s", "--procs", "4", "--stats"], { timeout: 300_000 });
    expect(r.status).toBe(0);
    INVARIANTS.many!(r.lines.filter((l) => !l.startsWith("gmpemu: ")));
    const s = stats(r.stderr);
    // 100,000 goroutines, each a chansend1 (and for most a newproc, a
    // goexit1 and a schedule of their own): far more host calls than that.
    expect(num(s.run!, /(\d+) host calls/)).toBeGreaterThan(300_000);
    // No thread sleeps while one runs: the virtual clock is the instruction count.
    expect(num(s.run!, /virtual time (\d+) ns/)).toBeGreaterThanOrEqual(num(s.run!, /^(\d+) instructions/));
    // Four Ps need four Ms, plus sysmon's; no system call was made.
    expect(num(s.run!, /(\d+) threads/)).toBeGreaterThanOrEqual(5);
    expect(s["system calls"]).toBeUndefined();
  });

  it.skipIf(!haveUnicorn)("run programs/hello.s --engine unicorn: the same, on QEMU's CPU", async () => {
    const r = await gmpemu(["run", "programs/hello.s", "--engine", "unicorn"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(golden("hello").stderr);
  });

  it.skipIf(!haveGo)("GOMAXPROCS=1 go run programs/hello.go: the Go twin, the same output", async () => {
    const r = await sh(goBin!, ["run", "programs/hello.go"], { env: { GOMAXPROCS: "1" } });
    expect(r.status).toBe(0);
    const ours = await gmpemu(["run", "programs/hello.s"]);
    expect(r.stderr).toBe(ours.stderr);
  });
});

describe("README: preemption, system calls and stack growth", () => {
  it("run programs/spin.s --stats: sysmon preempts the spinner with SIGURG", { timeout: 180_000 }, async () => {
    const r = await gmpemu(["run", "programs/spin.s", "--stats"], { timeout: 180_000 });
    expect(r.status).toBe(0);
    INVARIANTS.spin!(r.lines.filter((l) => !l.startsWith("gmpemu: ")));
    const s = stats(r.stderr);
    // With one P, main and the printer run only when the spinner is
    // preempted: once for main's first line and once for each printer line.
    const taken = num(s.preemption!, /(\d+) taken \(asyncPreempt\)/);
    expect(taken).toBeGreaterThanOrEqual(4);
    const sent = num(s.preemption!, /(\d+) signals sent/);
    expect(num(s.preemption!, /(\d+) delivered/)).toBe(sent);
    expect(taken + num(s.preemption!, /(\d+) refused/)).toBe(sent);
    // Each preemption after a 10 ms slice of virtual time.
    expect(num(s.run!, /virtual time (\d+) ns/)).toBeGreaterThan(taken * 10_000_000);
    expect(num(s.preemption!, /(\d+) handoffs/)).toBe(0);
  });

  it("run programs/spin.s --timeslice 1ms: the same output, sooner", async () => {
    const r = await gmpemu(["run", "programs/spin.s", "--timeslice", "1ms", "--stats"]);
    expect(r.status).toBe(0);
    INVARIANTS.spin!(r.lines.filter((l) => !l.startsWith("gmpemu: ")));
    const s = stats(r.stderr);
    const taken = num(s.preemption!, /(\d+) taken/);
    expect(num(s.run!, /virtual time (\d+) ns/)).toBeGreaterThan(taken * 1_000_000);
    expect(num(s.run!, /virtual time (\d+) ns/)).toBeLessThan(taken * 10_000_000);
  });

  it("run programs/spin.s --asyncpreemptoff --max-insns 50000000: it never ends", { timeout: 180_000 }, async () => {
    const r = await gmpemu(["run", "programs/spin.s", "--asyncpreemptoff", "--max-insns", "50000000"], { timeout: 180_000 });
    expect(r.status).toBe(3);
    // The spinner never lets main print; host calls count against the budget.
    expect(r.lines).toHaveLength(1);
    expect(num(r.lines[0]!, /^gmpemu: stopped after (\d+) instructions \(--max-insns\)$/)).toBeLessThanOrEqual(50_000_000);
  });

  it("run programs/regs.s --preempt-every 97 --stats: every register survives", { timeout: 180_000 }, async () => {
    const r = await gmpemu(["run", "programs/regs.s", "--preempt-every", "97", "--stats"], { timeout: 180_000 });
    expect(r.status).toBe(0);
    expect(r.lines[0]).toBe("regs: all registers kept");
    const s = stats(r.stderr);
    const insns = num(s.run!, /^(\d+) instructions/);
    const sent = num(s.preemption!, /(\d+) signals sent/);
    // A signal every 97 instructions, unless the thread at the tick is
    // blocked in the kernel by then (a few hundred of the ticks).
    expect(sent).toBeLessThanOrEqual(Math.floor(insns / 97));
    expect(sent).toBeGreaterThan(0.98 * Math.floor(insns / 97));
    expect(num(s.preemption!, /(\d+) taken/)).toBeGreaterThan(1000);
  });

  it("run programs/syscall.s --stats: sysmon hands off the P stuck in the 50 ms call", async () => {
    const r = await gmpemu(["run", "programs/syscall.s", "--stats"]);
    expect(r.status).toBe(0);
    INVARIANTS.syscall!(r.lines.filter((l) => !l.startsWith("gmpemu: ")));
    const s = stats(r.stderr);
    // One Syscall; its P was handed off, so it came back to another one,
    // idle by then (one P: the worker had finished).
    expect(s["system calls"]).toBe("1 entered, 0 back to their P, 1 to an idle P, 0 queued (exitsyscall0)");
    expect(num(s.preemption!, /(\d+) handoffs/)).toBe(1);
    expect(num(s.run!, /virtual time (\d+) ns/)).toBeGreaterThanOrEqual(50_000_000);
  });

  it("run programs/deeprec.s --stats: 2 KiB to 2 MiB in ten copies", async () => {
    const r = await gmpemu(["run", "programs/deeprec.s", "--stats"]);
    expect(r.status).toBe(0);
    INVARIANTS.deeprec!(r.lines.filter((l) => !l.startsWith("gmpemu: ")));
    const s = stats(r.stderr);
    // 2 KiB doubles ten times to 2 MiB: ten morestack calls, each a copy.
    expect(s.stacks).toMatch(/^10 morestack calls, 0 cooperative preemptions, 10 copies \(largest 2097152 bytes, \d+ bytes copied\)$/);
    // Each copy moves the used part of a stack half the new size at most.
    expect(num(s.stacks!, /(\d+) bytes copied/)).toBeLessThan(2 * 1024 * 1024);
    // One goroutine that never waits: the clock is the instruction count.
    expect(num(s.run!, /virtual time (\d+) ns/)).toBe(num(s.run!, /^(\d+) instructions/));
  });

  it("run programs/overflow.s --max-stack 1048576: fatal error: stack overflow", async () => {
    const r = await gmpemu(["run", "programs/overflow.s", "--max-stack", "1048576"]);
    expect(r.status).toBe(2);
    expect(r.lines.slice(0, 2)).toEqual(["runtime: goroutine stack exceeds 1048576-byte limit", expect.stringMatching(/^runtime: sp=0x[0-9a-f]+ stack=\[0x[0-9a-f]+, 0x[0-9a-f]+\]$/)]);
    expect(r.stderr).toContain("fatal error: stack overflow");
  });

  it("run programs/many.s --procs 4 --schedtrace 1: a SCHED line per virtual millisecond, four Ps", { timeout: 300_000 }, async () => {
    const r = await gmpemu(["run", "programs/many.s", "--procs", "4", "--schedtrace", "1"], { timeout: 300_000 });
    expect(r.status).toBe(0);
    const sched = r.lines.filter((l) => l.startsWith("SCHED "));
    const re = /^SCHED (\d+)ms: gomaxprocs=4 idleprocs=([0-4]) threads=(\d+) spinningthreads=(\d+) idlethreads=(\d+) runqueue=(\d+) \[(\d+) (\d+) (\d+) (\d+)\]$/;
    for (const l of sched) expect(l).toMatch(re);
    expect(sched[0]).toMatch(/^SCHED 0ms: /);
    const ms = sched.map((l) => Number(re.exec(l)![1]));
    for (let i = 1; i < ms.length; i++) expect(ms[i]! - ms[i - 1]!).toBeGreaterThanOrEqual(1);
    // many.s runs about 14 ms of virtual time.
    expect(sched.length).toBeGreaterThanOrEqual(5);
    expect(r.lines.filter((l) => !l.startsWith("SCHED "))).toEqual(["finished 100000"]);
  });
});

describe("README: tracing", () => {
  const LINE = /^0x[0-9a-f]+ M\d+ (asm\/\S+\.s):\d+ (\S+)  .+$/;

  it("trace programs/gosched.s --only runtime.gogo: each instruction of gogo with the registers it set", async () => {
    const r = await gmpemu(["trace", "programs/gosched.s", "--only", "runtime.gogo"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) {
      expect(l).toMatch(LINE);
      expect(LINE.exec(l)![2]).toMatch(/^(runtime\.gogo|gogo<\d+>)(\+0x[0-9a-f]+)?$/);
    }
    // The README's example line: gogo<1>+0xc MOVQ (BX), SP, setting SP.
    expect(r.stdout).toMatch(/^0x[0-9a-f]+ M\d+ asm\/asm_amd64\.s:\d+ gogo<1>\+0xc {2}MOVQ \(BX\), SP {2}SP=0x[0-9a-f]+$/m);
    // The program's own output goes to stderr.
    expect(r.stderr).toBe(golden("gosched").stderr);
    // No absolute paths and no host time: the same again, byte for byte.
    expect(r.stdout).not.toContain(ROOT);
  });

  it("trace programs/gosched.s: only the switch routines", async () => {
    const r = await gmpemu(["trace", "programs/gosched.s"]);
    expect(r.status).toBe(0);
    const syms = new Set(r.stdout.trim().split("\n").map((l) => LINE.exec(l)![2]!.replace(/\+0x[0-9a-f]+$/, "").replace(/<\d+>$/, "")));
    // systemstack's own helper (gosave_systemstack_switch) counts as systemstack.
    for (const s of syms) expect(["runtime.gogo", "gogo", "runtime.mcall", "runtime.systemstack", "gosave_systemstack_switch", "runtime.morestack", "runtime.asyncPreempt", "runtime.goexit"]).toContain(s);
    for (const s of ["runtime.gogo", "runtime.mcall", "runtime.goexit"]) expect(syms).toContain(s);
  });

  it("trace programs/gosched.s --events: one line per scheduler event", async () => {
    const r = await gmpemu(["trace", "programs/gosched.s", "--events"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    const re = /^t=\d+\.\d{3}µs M\d+ P-?\d+ G\d+ (\w+)( .*)?$/;
    for (const l of lines) expect(l).toMatch(re);
    const kinds = lines.map((l) => re.exec(l)![1]!);
    // Two loops, three Goschedes each; main.main's two goroutines created.
    expect(kinds.filter((k) => k === "gosched")).toHaveLength(6);
    expect(lines.filter((l) => / G[56] create/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => / G[56] exit/.test(l))).toHaveLength(2);
  });

  it("run programs/spin.s --procs 4 --trace-out spin.json: a Chrome trace, the same on unicorn", async () => {
    const out = join(tmp, "spin.json");
    const r = await gmpemu(["run", "programs/spin.s", "--procs", "4", "--trace-out", out]);
    expect(r.status).toBe(0);
    const t = JSON.parse(readFileSync(out, "utf8")) as { traceEvents: { name: string; ph: string; pid: number; tid?: number; args?: { name?: string } }[] };
    // A track for each P and each M that did anything (spin is short: two
    // of its four Ps never run a goroutine).
    const tracks = t.traceEvents.filter((e) => e.name === "thread_name").map((e) => e.args!.name!);
    expect(tracks).toContain("P0");
    expect(tracks).toContain("M0");
    expect(tracks.filter((x) => /^P[0-3]$/.test(x)).length).toBeGreaterThanOrEqual(2);
    expect(t.traceEvents.some((e) => e.ph === "X" || e.ph === "B")).toBe(true);
    if (!haveUnicorn) return;
    const u = join(tmp, "spin-unicorn.json");
    const ru = await gmpemu(["run", "programs/spin.s", "--procs", "4", "--engine", "unicorn", "--trace-out", u]);
    expect(ru.status).toBe(0);
    // Either CPU, the same machine: the same trace, byte for byte.
    expect(readFileSync(u, "utf8")).toBe(readFileSync(out, "utf8"));
  });
});

describe("README: verifying", () => {
  it.skipIf(!haveUnicorn)("verify programs/hello.s: both CPUs in lockstep, 0 divergences", async () => {
    const r = await gmpemu(["verify", "programs/hello.s"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^verified \d+ instructions: 0 divergences \(the program exited with status 0\)\n$/);
  });

  // --entry takes a symbol as the source spells it (main·alu; issue 17).
  // alu's count comes from a zeroed argument slot, so it runs until
  // --max-steps (one million by default: 28 s in lockstep); 20,000 make the point.
  it.skipIf(!haveUnicorn)("verify bench/alu.s --entry main·alu", async () => {
    const r = await gmpemu(["verify", "bench/alu.s", "--entry", "main·alu", "--max-steps", "20000"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it.skipIf(!haveUnicorn)("verify bench/alu.s --entry main.alu: one function, compared instruction by instruction up to --max-steps", async () => {
    const r = await gmpemu(["verify", "bench/alu.s", "--entry", "main.alu", "--max-steps", "20000"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("verified 20000 instructions: 0 divergences (stopped after --max-steps)\n");
  });
});

describe("README: options, parsed", () => {
  const cases: [string[], number, RegExp][] = [
    [["run", "programs/hello.s", "--procs", "0"], 2, /^error: --procs: not an integer >= 1: 0 \(see gmpemu run --help\)\n$/],
    [["run", "programs/hello.s", "--seed", "-1"], 2, /^error: --seed: not an integer >= 0: -1 \(see gmpemu run --help\)\n$/],
    [["run", "programs/hello.s", "--engine", "bochs"], 2, /^error: --engine: unknown engine "bochs" \(engines: interp, unicorn, lockstep\) \(see gmpemu run --help\)\n$/],
    [["run", "programs/hello.s", "--timeslice", "10 parsecs"], 2, /^error: --timeslice: not a duration/],
    [["run", "programs/hello.s", "--preempt-every", "10"], 2, /^error: --preempt-every: not an integer >= 64: 10 \(see gmpemu run --help\)\n$/],
    [["run", "programs/hello.s", "--max-stack", "100"], 2, /^error: --max-stack: not an integer >= 4096: 100 \(see gmpemu run --help\)\n$/],
    [["run", "programs/hello.s", "--max-insns", "x"], 2, /^error: --max-insns: not an integer >= 1: x \(see gmpemu run --help\)\n$/],
    [["run", "programs/hello.s", "--frobnicate"], 2, /error: unknown option '--frobnicate'/],
    [["run"], 2, /error: missing required argument 'files'/],
    [["nosuchcommand"], 2, /error: unknown command 'nosuchcommand'/],
    [["trace", "programs/gosched.s", "--only", "runtime.gogo", "--events"], 2, /--only and --events do not go together/],
  ];
  for (const [args, status, re] of cases) {
    it(`gmpemu ${args.join(" ")} → status ${status}`, async () => {
      const r = await gmpemu(args);
      expect(r.status).toBe(status);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    });
  }

  it("durations: --timeslice 250us, 1s and plain nanoseconds all run", async () => {
    for (const d of ["250us", "1s", "5000000"]) {
      const r = await gmpemu(["run", "programs/hello.s", "--timeslice", d]);
      expect(r.status, d).toBe(0);
    }
  });

  it("--no-sysmon: no sysmon rounds; --max-insns stops with status 3", async () => {
    const r = await gmpemu(["run", "programs/hello.s", "--no-sysmon", "--stats"]);
    expect(r.status).toBe(0);
    expect(stats(r.stderr).preemption).toMatch(/; 0 sysmon rounds, 0 handoffs$/);
    const b = await gmpemu(["run", "programs/hello.s", "--max-insns", "100"]);
    expect(b.status).toBe(3);
    // Host calls count against the budget too: fewer than 100 instructions ran.
    expect(num(b.lines.at(-1)!, /^gmpemu: stopped after (\d+) instructions \(--max-insns\)$/)).toBeLessThanOrEqual(100);
  });
});

describe("the bundle", () => {
  // scripts/build.mjs bundles the command into dist/gmpemu.mjs, which
  // bin/gmpemu.mjs runs whenever it is newer than the sources. The
  // assembler's built-in include directory must be found from the bundle's
  // own place (src/node/nodefs.ts takes it from the package root); when it
  // was computed from the module's path, every program failed to assemble
  // from the bundle ("#include file not found: textflag.h").
  it("dist/gmpemu.mjs, laid out as scripts/build.mjs writes it, lists programs/sample.s", async () => {
    // The same bundle in a package of its own (the repository's dist/ is
    // not touched: bin/gmpemu.mjs of other tests would pick it up).
    const dir = await bundlePackage("dist/gmpemu.mjs");
    try {
      // What bin/gmpemu.mjs does with it.
      writeFileSync(join(dir, "run.mjs"), "import { main } from './dist/gmpemu.mjs';\nprocess.exitCode = await main(process.argv.slice(2));\n");
      const r = await sh(process.execPath, [join(dir, "run.mjs"), "asm", "programs/sample.s"], { cwd: dir });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^TEXT main\.sum\(SB\) programs\/sample\.s\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("README: layout", () => {
  it("each folder the table names exists", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Layout"));
    const dirs = [...table.matchAll(/`([a-z][\w/]*\/)`/g)].map((m) => m[1]!);
    expect(dirs.length).toBeGreaterThanOrEqual(10);
    for (const d of dirs) expect(existsSync(join(ROOT, d)), d).toBe(true);
  });
});

describe("gmpemu gdb --procs --seed (the example of gmpemu gdb --help)", () => {
  const GDB = "/usr/bin/gdb";
  const haveGdb = oracleAvailable("gdb", existsSync(GDB));

  /** Starts the stub, runs gdb in batch mode against it, and returns both sides' output. */
  async function session(args: string[], gdbCmds: string[]): Promise<{ stub: Run; gdb: Run }> {
    const { spawn } = await import("node:child_process");
    const cmd = join(ROOT, "bin/gmpemu.mjs");
    const child = spawn(process.execPath, [cmd, "gdb", ...args, "--port", "0", "--once"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "", stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    const port = await new Promise<number>((res, rej) => {
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) res(Number(m[1]));
      });
      child.on("close", () => rej(new Error(`the stub ended: ${stderr}`)));
    });
    const done = new Promise<number | null>((res) => child.on("close", res));
    const g = await sh(GDB, ["-nx", "-batch", "-ex", `target remote 127.0.0.1:${port}`, ...gdbCmds.flatMap((c) => ["-ex", c])]);
    const status = await done;
    return { stub: { status, stdout, stderr, lines: stderr.split("\n").slice(0, -1) }, gdb: g };
  }

  it.skipIf(!haveGdb)("the program runs to its end under gdb with the machine --procs and --seed give, as run gives it", { timeout: 180_000 }, async () => {
    // lockthread's interleaving depends on both (its output differs for one P and for two with seed 1).
    const { stub, gdb } = await session(["programs/lockthread.s", "--procs", "2", "--seed", "1"], ["monitor goroutines", "continue"]);
    const run2 = await gmpemu(["run", "programs/lockthread.s", "--procs", "2", "--seed", "1"]);
    const run1 = await gmpemu(["run", "programs/lockthread.s", "--procs", "1", "--seed", "1"]);
    expect(run2.stderr).not.toBe(run1.stderr);
    expect(gdb.stdout + gdb.stderr).toMatch(/\[Inferior 1 \(.*\) exited normally\]/);
    expect(gdb.stdout + gdb.stderr).toContain("no goroutines yet");
    // The program's output, between the stub's own lines.
    const prog = stub.lines.filter((l) => !l.startsWith("gmpemu: ")).join("\n") + "\n";
    expect(prog).toBe(run2.stderr);
    expect(stub.status).toBe(0);
  });
});
