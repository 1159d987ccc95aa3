// Issue 10: an existing file was overwritten without a word. An output
// option now overwrites only a file of the kind it writes (an ELF for
// --elf, a Chrome trace for --trace-out), or an empty one; anything else
// needs --force, and is refused before the run otherwise.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnAsync, type Spawned } from "./spawn-async.ts";
import { checkOutputs } from "../../src/cli/outpath.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/gmpemu.mjs");
const HELLO = join(ROOT, "programs/hello.s");

describe("an existing output file", () => {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-outpath-existing-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]): Promise<Spawned> => spawnAsync(process.execPath, [BIN, "run", HELLO, ...args], { cwd: dir });

  it("is refused when it is not a trace, and kept", async () => {
    writeFileSync(join(dir, "notes.json"), "my notes, not a trace\n");
    const r = await run("--trace-out", "notes.json");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("gmpemu: --trace-out: notes.json: exists and is not a Chrome trace (JSON); remove it or give --force to overwrite it\n");
    expect(r.stdout).toBe("");
    expect(readFileSync(join(dir, "notes.json"), "utf8")).toBe("my notes, not a trace\n");
  });

  it("is overwritten with --force", async () => {
    const r = await run("--trace-out", "notes.json", "--force");
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "notes.json"), "utf8")).traceEvents.length).toBeGreaterThan(0);
  });

  it("is overwritten when it is a trace already (a second run), or empty", async () => {
    const again = await run("--trace-out", "notes.json");
    expect(again.status).toBe(0);
    writeFileSync(join(dir, "empty.json"), "");
    expect((await run("--trace-out", "empty.json")).status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "empty.json"), "utf8")).traceEvents.length).toBeGreaterThan(0);
  });

  it("--elf: an ELF is overwritten, anything else needs --force", async () => {
    const elf = join(dir, "x.elf"), txt = join(dir, "x.txt");
    writeFileSync(elf, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
    writeFileSync(txt, "text\n");
    const inputs = [HELLO];
    expect(() => checkOutputs([{ option: "--elf", path: elf, kind: "elf" }], inputs)).not.toThrow();
    expect(() => checkOutputs([{ option: "--elf", path: txt, kind: "elf" }], inputs)).toThrow(/x\.txt: exists and is not an ELF file; remove it or give --force/);
    expect(() => checkOutputs([{ option: "--elf", path: txt, kind: "elf" }], inputs, { force: true })).not.toThrow();
    // A trace is not an ELF, nor an ELF a trace.
    expect(() => checkOutputs([{ option: "--trace-out", path: elf, kind: "chrome-trace" }], inputs)).toThrow(/is not a Chrome trace/);
    // Through the command: refused before the stub starts.
    const r = await spawnAsync(process.execPath, [BIN, "gdb", HELLO, "--port", "0", "--elf", txt], { cwd: dir, timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^gmpemu: --elf: .*x\.txt: exists and is not an ELF file/);
    expect(readFileSync(txt, "utf8")).toBe("text\n");
  });
});
