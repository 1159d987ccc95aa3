// Every way a program dies, with Go's words and Go's exit status (2): the
// fatal errors the runtime raises for the program's faults (deadlock, go
// of a nil func), the unrecovered panics of channels (send on a closed
// channel, close of a closed channel), a runtime throw (an invariant of
// makechan), and a memory fault. Each message is followed by a goroutine
// dump that starts with a header, "goroutine N [status]:", and names the
// frame where main.main was.
//
// programs.test.ts compares the programs that have Go twins with Go's
// output; this file pins each message, on both engines, including the
// programs no Go code can produce (a fault in assembly, a 64 KiB channel
// element), and the details that the twin comparison leaves out (the
// faulting pc, the status in the header, runtime frames in a throw).
import { switchCheck } from "../../src/check/check.ts";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { oracleAvailable } from "../helpers/oracles.ts";
import { engineAvailable } from "../../src/engine/index.ts";
import { runProgram } from "../../src/node/boot.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const haveUnicorn = oracleAvailable("libunicorn", engineAvailable("unicorn"));

interface Died {
  code: number;
  how: string;
  stdout: string;
  stderr: string;
  lines: string[];
  /** Address of main.main in the image, for checking pcs. */
  mainAddr: number;
}

function run(name: string, engine: string): Died {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const r = runProgram([join(ROOT, "programs", name + ".s")], {
    procs: 1,
    engine,
    check: switchCheck(),
    stdout: (b) => out.push(b.slice()),
    stderr: (b) => err.push(b.slice()),
  });
  const stderr = Buffer.concat(err).toString();
  return {
    code: r.code, how: r.how, stdout: Buffer.concat(out).toString(), stderr, lines: stderr.split("\n"),
    mainAddr: r.machine.image.addrOf("main.main")!,
  };
}

/** The first goroutine header and the lines after it, up to the next blank line. */
function firstGoroutine(lines: string[]): { header: string; frames: string[] } {
  const h = lines.findIndex((l) => /^goroutine \d+ \[[^\]]+\]:$/.test(l));
  expect(h, "a goroutine header").toBeGreaterThanOrEqual(0);
  const end = lines.indexOf("", h);
  return { header: lines[h]!, frames: lines.slice(h + 1, end < 0 ? undefined : end) };
}

const engines = ["interp", "unicorn"] as const;

for (const engine of engines) {
  // Skipped only when libunicorn is missing; oracleAvailable fails the run instead under GMPEMU_REQUIRE_ORACLES=1.
  const skip = engine === "unicorn" && !haveUnicorn;
  describe.skipIf(skip)(`fatal paths on the ${engine} engine`, () => {
    it("deadlock: fatal error: all goroutines are asleep - deadlock!", () => {
      const r = run("deadlock", engine);
      expect(r.code).toBe(2);
      expect(r.lines.slice(0, 3)).toEqual(["waiting", "fatal error: all goroutines are asleep - deadlock!", ""]);
      const g = firstGoroutine(r.lines);
      // Go shows main, parked in chanrecv; the runtime's goroutines are hidden.
      expect(g.header).toBe("goroutine 1 [chan receive]:");
      expect(g.frames[0]).toMatch(/^main\.main\(/);
      expect(g.frames[1]).toMatch(/programs\/deadlock\.s:\d+ \+0x[0-9a-f]+$/);
      expect(r.stderr).not.toMatch(/^goroutine [234] /m);
    });

    it("go of a nil func value: fatal error: go of nil func value", () => {
      const r = run("nilfunc", engine);
      expect(r.code).toBe(2);
      expect(r.lines.slice(0, 4)).toEqual(["going", "fatal error: go of nil func value", "", "goroutine 1 [running]:"]);
      const g = firstGoroutine(r.lines);
      // A fatal (the program's fault) hides runtime frames, newproc's too.
      expect(g.frames[0]).toMatch(/^main\.main\(/);
      expect(g.frames[1]).toMatch(/programs\/nilfunc\.s:19 \+0x[0-9a-f]+$/);
      expect(r.stderr).not.toContain("not reached");
    });

    it("send on a closed channel: panic: send on closed channel", () => {
      const r = run("closedsend", engine);
      expect(r.code).toBe(2);
      expect(r.how).toBe("panic");
      expect(r.lines.slice(0, 4)).toEqual(["sending on a closed channel", "panic: send on closed channel", "", "goroutine 1 [running]:"]);
      expect(firstGoroutine(r.lines).frames[0]).toMatch(/^main\.main\(/);
      expect(r.stderr).not.toContain("not reached");
    });

    it("close of a closed channel: panic: close of closed channel", () => {
      const r = run("closeclosed", engine);
      expect(r.code).toBe(2);
      expect(r.how).toBe("panic");
      expect(r.lines.slice(0, 4)).toEqual(["closing again", "panic: close of closed channel", "", "goroutine 1 [running]:"]);
      expect(firstGoroutine(r.lines).frames[0]).toMatch(/^main\.main\(/);
      expect(r.stderr).not.toContain("not reached");
    });

    it("a runtime throw: fatal error: makechan: invalid channel element type", () => {
      const r = run("bigchan", engine);
      expect(r.code).toBe(2);
      expect(r.how).toBe("throw");
      expect(r.lines.slice(0, 3)).toEqual(["fatal error: makechan: invalid channel element type", "", "goroutine 1 [running]:"]);
      // A throw shows runtime frames: makechan, then its caller.
      const g = firstGoroutine(r.lines);
      const names = g.frames.filter((l) => !l.startsWith("\t")).map((l) => l.replace(/\(.*\)$/, ""));
      expect(names.slice(0, 2)).toEqual(["runtime.makechan", "main.main"]);
      expect(g.frames[3]).toMatch(/programs\/bigchan\.s:15 \+0x[0-9a-f]+$/);
    });

    // The dump is printed before the engine is closed: unicorn's memory
    // is gone after close().
    it("a nil dereference: unexpected fault address 0x0, SIGSEGV", () => {
      // No Go twin: Go code gets "panic: runtime error: invalid memory
      // address or nil pointer dereference" from sigpanic; this is the
      // message of a fault the runtime cannot turn into a panic.
      const r = run("fault", engine);
      expect(r.code).toBe(2);
      expect(r.how).toBe("fault");
      expect(r.lines.slice(0, 3)).toEqual(["loading from nil", "unexpected fault address 0x0", "fatal error: fault"]);
      const sig = /^\[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x([0-9a-f]+)\]$/.exec(r.lines[3]!);
      expect(sig, r.lines[3]).not.toBeNull();
      const g = firstGoroutine(r.lines);
      expect(g.header).toBe("goroutine 1 [running]:");
      expect(g.frames[0]).toMatch(/^main\.main\(/);
      // The frame is the faulting instruction: MOVQ (AX), BX at line 24,
      // and the signal's pc is that instruction's address.
      const at = /programs\/fault\.s:24 \+0x([0-9a-f]+)$/.exec(g.frames[1]!);
      expect(at, g.frames[1]).not.toBeNull();
      expect(parseInt(sig![1]!, 16)).toBe(r.mainAddr + parseInt(at![1]!, 16));
    });

    // checkdead leaves out the runtime's own goroutines (forcegchelper,
    // bgsweep, bgscavenge, parked for good), as Go's skips
    // isSystemGoroutine, and so does the dump: Go 1.19 prints exactly these
    // two lines and no goroutine (the M is on g0, with no current one).
    it("main calls Goexit with nothing left: no goroutines (main called runtime.Goexit) - deadlock!", () => {
      const r = run("goexitmain", engine);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe("main: calling Goexit\nfatal error: no goroutines (main called runtime.Goexit) - deadlock!\n");
    });
  });
}
