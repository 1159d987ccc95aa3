// The README's examples for the tour and the stepper (issue 17: every
// README example works, and a test runs them): each `npx gmpemu tour ...`
// line of "The tour", each `npx gmpemu step ...` line of "Stepping", and
// the example session there, command by command, as a --script.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gmpemu } from "./cli-run.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "gmpemu-readme-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The text of a README section, from its heading to the next. */
function section(title: string): string {
  const i = README.indexOf(`## ${title}\n`);
  expect(i, title).toBeGreaterThanOrEqual(0);
  const j = README.indexOf("\n## ", i + 1);
  return README.slice(i, j < 0 ? undefined : j);
}

/** The `npx gmpemu` command lines of a section, comments dropped, as argv. */
function commands(text: string, sub: string): string[][] {
  return text.split("\n").filter((l) => l.startsWith(`npx gmpemu ${sub}`))
    .map((l) => l.replace(/\s+#.*$/, "").trim().split(/\s+/).slice(2));
}

/** Paths relative to the repository root, as the README's commands are run there. */
const rooted = (argv: string[]): string[] => argv.map((a) => (/^(programs|asm|bench)\//.test(a) ? join(ROOT, a) : a));

describe("README: The tour", () => {
  const lines = commands(section("The tour"), "tour");
  it("has its examples", () => expect(lines.length).toBeGreaterThanOrEqual(6));
  for (const argv of lines) {
    it(`gmpemu ${argv.join(" ")}`, { timeout: 60_000 }, async () => {
      const r = await gmpemu(...rooted(argv));
      expect(r.status, r.stdout.slice(-400) + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\n── end\n|runs again at/);
    });
  }
});

describe("README: Stepping", () => {
  const text = section("Stepping");
  const session = text.split("\n").filter((l) => l.startsWith("(gmpemu) ")).map((l) => l.slice(9).replace(/\s+#.*$/, "").trim());
  const script = join(dir, "s.txt");
  writeFileSync(script, session.join("\n") + "\n");

  it("the example session, every command, with no error", { timeout: 60_000 }, async () => {
    expect(session.length).toBeGreaterThanOrEqual(10);
    const r = await gmpemu("step", join(ROOT, "programs/gosched.s"), "--script", script);
    expect(r.stdout).not.toMatch(/^error: /m);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("breakpoint 1, runtime.gogo");
  });

  for (const argv of commands(text, "step")) {
    it(`gmpemu ${argv.join(" ")}`, { timeout: 60_000 }, async () => {
      // The interactive ones get the session as a script (a terminal's are test/cli/interactive.test.ts).
      const a = rooted(argv).map((x) => (x === "s.txt" ? script : x));
      if (!a.includes("--script")) a.push("--script", script);
      const r = await gmpemu(...a);
      expect(r.stdout).not.toMatch(/^error: /m);
      expect(r.status, r.stderr).toBe(0);
    });
  }
});
