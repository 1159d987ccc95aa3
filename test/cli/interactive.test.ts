// The interactive parts of issue 17 through a pseudo-terminal (python3's
// pty module, test/helpers/ptydrive.py; node-pty needs a native build):
// Ctrl-C during `c` stops the run and returns to the prompt with the
// session intact, Tab completes, Ctrl-L clears the screen, the opening
// screen says where it stopped and to type help; the tour pauses at each
// section until Enter and wraps its prose to the terminal's width.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const DRIVE = join(ROOT, "test/helpers/ptydrive.py");
const dir = mkdtempSync(join(tmpdir(), "gmpemu-pty-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs argv on a 100-column pseudo-terminal through the steps [expect regex, send, delay s]. */
function onTerminal(argv: string[], steps: [string | null, string | null, number?][]): { status: number | null; out: string } {
  const spec = { cmd: [process.execPath, join(ROOT, "bin/gmpemu.mjs"), ...argv], cwd: ROOT, timeout: 60, steps };
  const r = spawnSync("python3", [DRIVE, JSON.stringify(spec)], { encoding: "utf8", timeout: 90_000 });
  return { status: r.status, out: r.stdout.replace(/\r/g, "") };
}

describe("on a terminal", () => {
  it("step: the opening screen, Ctrl-C during c returns to the prompt, Tab completes, Ctrl-L clears", { timeout: 100_000 }, () => {
    // A program that never ends: only Ctrl-C stops `c` before its step limit.
    const prog = join(dir, "forever.s");
    writeFileSync(prog, "#include \"textflag.h\"\n\nTEXT ·main(SB), $0-0\nloop:\n\tINCQ\tAX\t// count\n\tJMP\tloop\n");
    const r = onTerminal(["step", prog], [
      ["Type help.*\\(gmpemu\\) ", "c\r"],
      [null, "\u0003", 1.5],
      ["interrupted at step \\d+.*\\(gmpemu\\) ", "disa\t"],
      ["disas", "\r"],
      ["End of assembler dump\\..*\\(gmpemu\\) ", "\u000c"],
      ["\\x1b\\[1;1H\\x1b\\[0J", "si\r"],
      ["step \\d+, thread.*\\(gmpemu\\) ", "quit\r"],
    ]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/^gmpemu step: .*forever\.s, stopped before its first instruction \(step 0, thread 1000 at runtime\.rt0_go, asm\/asm_amd64\.s:\d+\)\.\nType help for the commands/);
    // Interrupted in main.main's loop, and the session goes on from there.
    const at = Number(/interrupted at step (\d+)/.exec(r.out)![1]);
    expect(at).toBeGreaterThan(0);
    expect(r.out).toMatch(/interrupted at step \d+\nstep \d+, thread 1000: main\.main(\+0x3)?\n/);
    expect(r.out).toContain("Dump of assembler code for function main.main:");
    expect(r.out).toMatch(/INCQ AX +\/\/ count/);
    expect(r.out).toContain(`step ${at + 1}, thread 1000: main.main`);
    expect(r.out).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it("tour: a pause before each section until Enter, prose wrapped to the terminal's width", { timeout: 100_000 }, () => {
    const r = onTerminal(["tour", "--chapter", "syscall"], [
      ["\\[Enter: next section\\] ", null, 0.5],
      // Nothing more comes until Enter.
      [null, "\r"],
      // Four sections follow (syscall.Syscall, entersyscall, exitsyscall, end).
      ["\\[Enter: next section\\] ", "\r"],
      ["\\[Enter: next section\\] ", "\r"],
      ["\\[Enter: next section\\] ", "\r"],
      ["── end\r?\n.*G1 is back in main\\.main", null],
    ]);
    expect(r.status, r.out).toBe(0);
    const plain = r.out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
    // The first pause comes right after the first section's prose: the second section had not begun.
    expect(plain).toMatch(/the P must not be held hostage\s+meanwhile\.\n\[Enter: next section\] \n\n── syscall\.Syscall/);
    for (const line of plain.split("\n")) if (!line.startsWith(" ")) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(plain).toMatch(/^G1 calls syscall\.Syscall/m);
  });

  it("tour through a pipe never waits", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "bin/gmpemu.mjs"), "tour", "--chapter", "syscall"], { cwd: ROOT, encoding: "utf8", input: "", timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain("Enter");
    expect(r.stdout).toContain("── end");
  });
});
