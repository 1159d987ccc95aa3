// Every example in programs/README.md: the commands to run a program and
// its twin, the table of programs, the table of what a program can call
// (each row held to the host function's real ABI0 frame), and the snippets
// of "Writing one". Not run here: the `npx vitest run ...` lines (the suite
// itself), and `go tool asm ... programs/NAME.s` for every program, which
// test/asm/oracle.test.ts runs for all of them, byte for byte.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage } from "../../src/asm/index.ts";
import { nodeSource } from "../../src/node/nodefs.ts";
import { engineAvailable } from "../../src/engine/index.ts";
import { hostTable, runProgram, runtimeAsmFiles } from "../../src/node/boot.ts";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { INVARIANTS } from "../runtime/invariants.ts";
import { cleanup, gmpemu, ROOT, viaBin } from "./cli.ts";

const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));
const goBin = findGo();
const haveGo = oracleAvailable("go (programs/README's Go examples)", goBin !== null);
const README = readFileSync(join(ROOT, "programs/README.md"), "utf8");
const tmp = mkdtempSync(join(tmpdir(), "gmpemu-progreadme-"));
afterAll(() => {
  cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

function golden(name: string): { code: number; stderr: string } {
  const t = readFileSync(join(ROOT, "test/golden/programs", name + ".txt"), "utf8");
  const m = /^#[^\n]*\nexit (\d+)\n--- stdout ---\n[^]*?--- stderr ---\n([^]*)$/.exec(t)!;
  return { code: Number(m[1]), stderr: m[2]! };
}

describe("programs/README: running one, and comparing with its twin", () => {
  it("node bin/gmpemu.mjs run programs/hello.s --procs 1: Go's output under GOMAXPROCS=1", async () => {
    const r = await viaBin(["run", "programs/hello.s", "--procs", "1"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(golden("hello").stderr);
  });

  it("run programs/hello.s --procs 4 --seed 7 --stats: what hello guarantees, the same for the same seed", async () => {
    const a = await gmpemu(["run", "programs/hello.s", "--procs", "4", "--seed", "7", "--stats"]);
    const b = await gmpemu(["run", "programs/hello.s", "--procs", "4", "--seed", "7", "--stats"]);
    expect(a.status).toBe(0);
    INVARIANTS.hello!(a.lines.filter((l) => !l.startsWith("gmpemu: ")));
    // Byte for byte, statistics included (the virtual clock, the instruction count).
    expect(b.stderr).toBe(a.stderr);
    expect(a.stderr).toMatch(/^gmpemu: \d+ instructions, \d+ host calls, \d+ threads, virtual time \d+ ns$/m);
    expect(a.stderr).toMatch(/^gmpemu: preemption: \d+ requests, \d+ signals sent, \d+ delivered, \d+ taken \(asyncPreempt\), \d+ refused; \d+ sysmon rounds, \d+ handoffs$/m);
  });

  it.skipIf(!haveUnicorn)("run programs/hello.s --engine unicorn", async () => {
    const r = await gmpemu(["run", "programs/hello.s", "--engine", "unicorn"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(golden("hello").stderr);
  });

  it.skipIf(!haveGo)("go build -o /tmp/hello programs/hello.go && GOMAXPROCS=1 /tmp/hello; echo $?: the twin prints ours", async () => {
    const bin = join(tmp, "hello");
    const b = spawnSync(goBin!, ["build", "-o", bin, "programs/hello.go"], { cwd: ROOT, encoding: "utf8" });
    expect(b.status, b.stderr).toBe(0);
    const go = spawnSync(bin, [], { env: { ...process.env, GOMAXPROCS: "1" }, encoding: "utf8" });
    const ours = await gmpemu(["run", "programs/hello.s"]);
    expect(go.status).toBe(0);
    expect(ours.status).toBe(go.status);
    expect(ours.stdout).toBe(go.stdout);
    expect(ours.stderr).toBe(go.stderr);
  });
});

describe("programs/README: the table of programs", () => {
  const sec = README.slice(README.indexOf("| program |"), README.indexOf("## Running one"));
  // The assembly programs' table (the Go-only programs, named x.go, have a table of their own).
  const rows = sec.split("\n").filter((l) => l.startsWith("| `") && !/\.go`/.test(l.split("|")[1] ?? "")).map((l) => {
    const cells = l.split("|").slice(1, -1).map((c) => c.trim());
    return { name: cells[0]!.replace(/`/g, "").replace(/\.s$/, ""), ends: cells.at(-1)! };
  });

  it("lists every program in programs/, and only those", () => {
    const files = readdirSync(join(ROOT, "programs")).filter((f) => f.endsWith(".s")).map((f) => f.replace(/\.s$/, "")).sort();
    expect(rows.map((r) => r.name).sort()).toEqual(files);
  });

  it("says how each ends: 0, or 2 for the fatal ones (sample.s is not a program)", () => {
    const fatal = new Set(["deadlock", "nilfunc", "closedsend", "closeclosed", "goexitmain", "bigchan", "fault", "overflow"]);
    for (const r of rows) {
      if (r.name === "sample") expect(r.ends).toBe("");
      else expect(r.ends, r.name).toBe(fatal.has(r.name) ? "2" : "0");
    }
    // The programs with twins: the status the twin gives (programs.test.ts
    // keeps the golden files equal to Go's live answer).
    for (const r of rows) {
      const twin = readdirSync(join(ROOT, "programs")).includes(`${r.name}.go`);
      if (twin) expect(golden(r.name).code, r.name).toBe(Number(r.ends));
    }
  });

  it("the fatal programs without a twin end with status 2 and the message the table gives", () => {
    const run = (name: string, opts: Parameters<typeof runProgram>[1] = {}): { code: number; err: string } => {
      let err = "";
      const r = runProgram([join(ROOT, "programs", name + ".s")], { ...opts, stdout: () => {}, stderr: (b) => (err += Buffer.from(b).toString()), maxInsns: 20_000_000 });
      return { code: r.code, err };
    };
    const big = run("bigchan");
    expect(big.code).toBe(2);
    expect(big.err).toContain("fatal error: makechan: invalid channel element type");
    const fault = run("fault");
    expect(fault.code).toBe(2);
    expect(fault.err).toMatch(/^unexpected fault address 0x0$/m);
    expect(fault.err).toContain("SIGSEGV");
    const over = run("overflow", { maxStack: 1048576 });
    expect(over.code).toBe(2);
    expect(over.err).toMatch(/runtime: goroutine stack exceeds \d+-byte limit/);
    expect(over.err).toContain("fatal error: stack overflow");
  });
});

describe("programs/README: what a program can call", () => {
  /** The table: symbol(s), argument offsets (with any byte/4-byte size), result offsets. */
  const rows = (() => {
    const sec = README.slice(README.indexOf("## What a program can call"), README.indexOf("## Writing one"));
    return sec.split("\n").filter((l) => l.startsWith("| `")).map((l) => l.split("|").slice(1, -1).map((c) => c.trim())).flatMap((m) => {
      const names = [...m[0]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!);
      // "runtime·printlock`, `printunlock": the second takes the first's package.
      const pkg = names[0]!.slice(0, names[0]!.indexOf("·"));
      const full = names.map((n) => (n.includes("·") ? n : `${pkg}·${n}`).replace("·", "."));
      if (m[1]!.includes("also as `sync·runtime_Semacquire`")) full.push("sync.runtime_Semacquire");
      const slots = (s: string): { off: number; size: number }[] =>
        [...s.matchAll(/`(\d+)(?:\(SP\))?`( \(byte\)| \(4 bytes\))?/g)].map((x) => ({ off: Number(x[1]), size: x[2] === " (byte)" ? 1 : x[2] === " (4 bytes)" ? 4 : 8 }));
      return [{ names: full, args: slots(m[2]!), rets: slots(m[3]!) }];
    });
  })();

  it("the table has the rows this test knows", () => {
    expect(rows.length).toBe(26);
  });

  it("each host function has the frame the table gives: arguments from 0(SP), results after them", () => {
    const t = hostTable();
    const asm = new Set(["runtime.exit", "syscall.Syscall"]);
    let checked = 0;
    for (const row of rows) {
      for (const name of row.names) {
        if (asm.has(name)) continue;
        expect(t.resolve(name), `${name} is a host function`).toBeDefined();
        const def = t.fns.find((f) => f.name === name)!;
        // Slot offsets are from the caller's 0(SP) (the host frame's +8).
        // A slot may be declared wider than Go's type, within its 8 bytes:
        // printbool reads 4 bytes and keeps the low one, chanrecv2 writes
        // its bool as 4 bytes, which an ABI0 caller cannot tell apart
        // (the byte test below holds printbool to the byte).
        expect(def.sig.args.map((s) => s.off), `${name}'s arguments`).toEqual(row.args.map((s) => s.off));
        expect(def.sig.rets.map((s) => s.off), `${name}'s results`).toEqual(row.rets.map((s) => s.off));
        [...def.sig.args.map((s, i) => [s, row.args[i]!] as const), ...def.sig.rets.map((s, i) => [s, row.rets[i]!] as const)].forEach(([s, doc]) => {
          expect(s.size, `${name}: a slot narrower than the table's`).toBeGreaterThanOrEqual(doc.size);
          expect(s.off % 8 + s.size, `${name}: a slot past its 8 bytes`).toBeLessThanOrEqual(8);
        });
        checked++;
      }
    }
    expect(checked).toBe(28);
  });

  it("runtime·exit and syscall·Syscall are assembly, with the argument sizes the table gives", () => {
    const { image } = buildImage(runtimeAsmFiles(), { pkg: "runtime", source: nodeSource });
    for (const [name, size] of [["runtime.exit", 4], ["syscall.Syscall", 56]] as const) {
      const row = rows.find((r) => r.names.includes(name))!;
      const s = image.lookup(name)!;
      expect(s.kind, name).toBe("text");
      expect(s.args, `${name}: $frame-args`).toBe(size);
      const last = [...row.args, ...row.rets].at(-1)!;
      expect(last.off + last.size, `${name}: its last slot ends the argument area`).toBe(size);
    }
  });
});

describe("programs/README: a bool is one byte", () => {
  it("printbool looks at the byte only: 0 with other bytes set in its slot is false", () => {
    const f = join(tmp, "bool.s");
    writeFileSync(f, '#include "textflag.h"\nTEXT ·main(SB), $8-0\n\tMOVQ\t$0x100, 0(SP)\n\tCALL\truntime·printbool(SB)\n\tMOVQ\t$0x201, 0(SP)\n\tCALL\truntime·printbool(SB)\n\tCALL\truntime·printnl(SB)\n\tRET\n');
    let err = "";
    const r = runProgram([f], { stdout: () => {}, stderr: (b) => (err += Buffer.from(b).toString()), maxInsns: 1_000_000 });
    expect(r.code).toBe(0);
    expect(err).toBe("falsetrue\n");
  });
});

describe("programs/README: writing one", () => {
  it("the strings example: DATA at most 8 bytes at a time, printstring of 12 bytes", () => {
    const f = join(tmp, "strings.s");
    writeFileSync(f, [
      '#include "textflag.h"',
      "",
      "DATA msg<>+0(SB)/8, $\"workers \"",
      "DATA msg<>+8(SB)/4, $\"done\"",
      "GLOBL msg<>(SB), RODATA, $16",
      "",
      "TEXT ·main(SB), $16-0",
      "\tCALL\truntime·printlock(SB)",
      "\tLEAQ msg<>(SB), AX; MOVQ AX, 0(SP); MOVQ $12, 8(SP); CALL runtime·printstring(SB)",
      "\tCALL\truntime·printnl(SB)",
      "\tCALL\truntime·printunlock(SB)",
      "\tRET",
      "",
    ].join("\n"));
    let err = "";
    const r = runProgram([f], { stdout: () => {}, stderr: (b) => (err += Buffer.from(b).toString()), maxInsns: 1_000_000 });
    expect(r.code).toBe(0);
    expect(err).toBe("workers done\n");
  });

  it("the closure example: worker(id, done) reached as a closure, NEEDCTXT, copying the captured words first", () => {
    // The README's skeleton with its "..." filled in: worker prints its id
    // and sends on done; main makes the closure {worker, 7, done} and waits.
    const f = join(tmp, "closure.s");
    writeFileSync(f, `#include "textflag.h"

TEXT ·worker(SB), NEEDCTXT, $40-0
	MOVQ	8(DX), AX		// copy the captured words out first:
	MOVQ	AX, id-8(SP)		// DX does not survive a call
	MOVQ	16(DX), AX
	MOVQ	AX, done-16(SP)
	CALL	runtime·printlock(SB)
	MOVQ	id-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	MOVB	$1, v-24(SP)
	MOVQ	done-16(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET				// returns into goexit: the goroutine ends

TEXT ·main(SB), $56-0
	MOVQ	$1, 0(SP)		// done := make(chan bool)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-8(SP)
	MOVQ	$24, 0(SP)		// fv := mallocgc(24, nil, true)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·worker(SB), BX		// fv.fn = worker
	MOVQ	BX, 0(AX)
	MOVQ	$7, 8(AX)		// the captured id
	MOVQ	done-8(SP), BX
	MOVQ	BX, 16(AX)
	MOVQ	AX, 0(SP)		// go worker(7, done)
	CALL	runtime·newproc(SB)
	MOVQ	done-8(SP), AX		// <-done
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	RET
`);
    let err = "";
    const r = runProgram([f], { stdout: () => {}, stderr: (b) => (err += Buffer.from(b).toString()), maxInsns: 1_000_000 });
    expect(r.code).toBe(0);
    expect(err).toBe("7\n");
  });
});
