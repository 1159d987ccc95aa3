// print.go's functions as a program calls them (test/fixtures/prints.s):
// each type's edges, formatted as Go's print.go formats them (decimal,
// signed or not; 0x and lowercase hex; a bool as true/false, by its byte);
// printlock nesting; and lines kept whole when goroutines on several Ps
// print at once (test/fixtures/printers.s).
import { describe, expect, it } from "vitest";
import { runProgram } from "../../src/node/boot.ts";
import { prog } from "./schedcheck.ts";

function run(file: string, opts: Parameters<typeof runProgram>[1] = {}) {
  let out = "", err = "";
  const r = runProgram([prog(file)], { ...opts, stdout: (b) => (out += Buffer.from(b).toString()), stderr: (b) => (err += Buffer.from(b).toString()), maxInsns: 5_000_000 });
  return { ...r, out, err };
}

describe("print", () => {
  it("each print function formats as Go's print.go, to stderr only", () => {
    const r = run("test/fixtures/prints.s");
    expect(r.code).toBe(0);
    expect(r.out).toBe("");
    const msg = r.machine.image.symbols.find((s) => s.name.startsWith("msg<"))!.addr;
    expect(r.err).toBe([
      "0 -1 9223372036854775807 -9223372036854775808 ",
      "0 18446744073709551615 9223372036854775808 ",
      "0x0 0xdeadbeef 0xffffffffffffffff ",
      `0x0 0x${msg.toString(16)} true false`,
      "hello",
      "",
    ].join("\n"));
  });

  it("lines stay whole while four goroutines print at once on four Ps", () => {
    for (const seed of [1, 2, 3]) {
      const r = run("test/fixtures/printers.s", { procs: 4, seed });
      expect(r.code).toBe(0);
      const lines = r.err.split("\n").slice(0, -1);
      expect(lines).toHaveLength(80);
      for (let id = 0; id < 4; id++) {
        expect(lines.filter((l) => l.startsWith(`${id} `))).toEqual(Array.from({ length: 20 }, (_, i) => `${id} ${i}`));
      }
      // They did run at once: the printers' lines alternate.
      const runs = lines.map((l) => l.split(" ")[0]).filter((x, i, a) => i === 0 || x !== a[i - 1]).length;
      expect(runs).toBeGreaterThan(4);
    }
  });
});
