// The switch checker and the labs in the browser page, in a real Chromium
// (as page.test.ts: the built static site, Debian's chromium through
// playwright-core):
//
//   - "check switches" on, with the gogo lab's routine replaced by a gogo
//     that never restores BP (test/check/fixtures/gogo-nobp.s): the run
//     stops at the switch, and the page shows the very line `gmpemu step
//     --check --runtime-asm` prints for the same files, marks the line it
//     names in the editor, the disassembly and the source pane; the same
//     routine with the checker off runs to the end (so it is the checker
//     that stopped it), and the solution with the checker on runs to the
//     end too;
//   - the gogo lab graded in the page: the skeleton fails (score below
//     full), the solution pasted in gets full score, and each test's
//     result is the one `gmpemu lab grade gogo FILE --json` writes for the
//     same text (Unicorn's lockstep test excepted: native, so skipped in
//     the page, as the command line skips it without libunicorn);
//   - a reload keeps the lab's text (and reopens the lab);
//   - screenshots of a check failure and of a graded lab, as artefacts.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Results } from "../../src/lab/core.ts";
import { oracleAvailable } from "../helpers/oracles.ts";
import { spawnAsync } from "../hostile/spawn-async.ts";
import { siteInBrowser, type SiteInBrowser } from "./serve.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const CHROMIUM = process.env["GMPEMU_CHROMIUM"] ?? "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "test/web/artifacts");
const haveChromium = oracleAvailable("chromium", existsSync(CHROMIUM));
const BIN = join(ROOT, "bin/gmpemu.mjs");

const NOBP = readFileSync(join(ROOT, "test/check/fixtures/gogo-nobp.s"), "utf8");
const SOLUTION = readFileSync(join(ROOT, "labs/gogo/solution.s"), "utf8");
const SKELETON = readFileSync(join(ROOT, "labs/gogo/gogo.s"), "utf8");

type Page = import("playwright-core").Page;

const TITLE = haveChromium
  ? `the checker and the labs in the web page, in Chromium (${CHROMIUM})`
  : `the checker and the labs in the web page: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or set GMPEMU_CHROMIUM)`;

describe.skipIf(!haveChromium)(TITLE, () => {
  let web: SiteInBrowser;
  let dir = "";
  const open = (hash: string) => web.open(hash);

  beforeAll(async () => {
    web = await siteInBrowser(ROOT, CHROMIUM, "gmpemu-weblab-");
    dir = web.dir;
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await web?.close();
  });

  async function settled(page: Page): Promise<void> {
    await page.waitForFunction(() => {
      const stop = document.getElementById("b-stop") as HTMLButtonElement;
      return document.body.dataset["loaded"] === "1" && stop.disabled && !document.body.classList.contains("busy");
    }, null, { timeout: 90_000 });
  }

  /** Replaces the editor's text as a person pastes it. */
  async function paste(page: Page, text: string): Promise<void> {
    await page.click("#editor-host .cm-content");
    await page.keyboard.press("Control+a");
    await page.keyboard.insertText(text);
    await page.waitForFunction((t) => document.querySelector("#editor-host .cm-content")?.textContent === t.replace(/\n/g, ""), text);
  }

  /** The student file (labs/gogo/gogo.s, as the page names it) in a directory of its own, for the command line. */
  function studentDir(name: string, text: string): string {
    const d = join(dir, name);
    mkdirSync(join(d, "labs/gogo"), { recursive: true });
    writeFileSync(join(d, "labs/gogo/gogo.s"), text);
    return d;
  }

  it("shows a failed switch check as the CLI prints it, marks its line, and not once the checker is off or the routine is right", async () => {
    // The command line, from a directory where the broken gogo is labs/gogo/gogo.s (the page's path for the lab's routine).
    const cwd = studentDir("nobp", NOBP);
    writeFileSync(join(cwd, "c.txt"), "c\n");
    const cliRun = spawnAsync(process.execPath, [BIN, "step", join(ROOT, "programs/hello.s"), "--check", "--runtime-asm", "labs/gogo/gogo.s", "--script", "c.txt"], { cwd, timeout: 120_000 });

    const { page, errors } = await open("#p=hello&lab=gogo");
    await settled(page);
    await page.waitForSelector("#editor-host .cm-content");
    expect(await page.$eval("#edit-file", (s) => (s as HTMLSelectElement).value)).toBe("labs/gogo/gogo.s");
    await paste(page, NOBP);
    await page.click("#check"); // the machine is rebuilt with the checker
    await settled(page);
    expect(new URL(page.url()).hash).toMatch(/[#&]chk=1(&|$)/);
    await page.keyboard.press("Escape"); // out of the editor, so the key below is the page's
    await page.click("#b-c");
    // The run's end, however it ends (a failed check, or the program's exit when nothing checks it).
    await page.waitForFunction(() => /^check: |exited with status/.test(document.getElementById("status")!.textContent ?? ""), null, { timeout: 60_000 });
    await settled(page);
    expect(await page.$eval("#pane-check", (el) => (el as HTMLElement).hidden)).toBe(false);

    const cli = await cliRun;
    expect(cli.status).toBe(4);
    const want = /\[(check: .*\)), step \d+\]/.exec(cli.stdout)?.[1];
    expect(want, cli.stdout + cli.stderr).toMatch(/^check: gogo restored BP=0x[0-9a-f]+ for goroutine \d+; gobuf\.bp was 0x0 \(labs\/gogo\/gogo\.s:\d+, step \d+\)$/);
    expect(await page.textContent("#check-msg")).toBe(want);
    const line = Number(/gogo\.s:(\d+),/.exec(want!)![1]);
    // The editor (the routine is the user's): that line marked, with the message.
    const marked = await page.$eval(`#editor-host .cm-check-fail[data-line="${line}"]`, (el) => el.textContent ?? "");
    expect(marked.replace(/\s+/g, " ")).toContain(NOBP.split("\n")[line - 1]!.trim().replace(/\s+/g, " "));
    expect(await page.$$eval("#editor-host .cm-check-fail", (els) => els.length)).toBe(1);
    // The disassembly: the instruction of that line marked, and it is the routine's.
    const insn = await page.$$eval("#code .insn.check-fail", (els) => els.map((e) => e.getAttribute("title") ?? ""));
    expect(insn.length).toBeGreaterThan(0);
    for (const t of insn) expect(t).toContain(`labs/gogo/gogo.s:${line} `);
    await page.screenshot({ path: join(ARTIFACTS, "check-failure.png"), fullPage: true });
    // The source pane (the editor closed): the file at that line, marked.
    await page.click("#edit-close");
    expect(await page.textContent("#source .file")).toBe(`labs/gogo/gogo.s:${line}`);
    expect(await page.$eval("#source .src.check-fail", (el) => Number((el as HTMLElement).dataset["line"]))).toBe(line);
    expect(await page.textContent("#status")).toBe(want);

    // The checker off: the same broken routine runs to the end (what stopped it was the checker).
    await page.click("#check");
    await settled(page);
    await page.click("#b-c");
    await page.waitForFunction(() => /exited with status 0/.test(document.getElementById("status")!.textContent ?? ""), null, { timeout: 60_000 });
    expect(await page.$eval("#pane-check", (el) => (el as HTMLElement).hidden)).toBe(true);

    // The checker on and the routine restored (the lab's solution): no failure.
    await page.click("#check");
    await settled(page);
    await page.click("#edit"); // opens the lab's routine (the lab is open)
    expect(await page.$eval("#edit-file", (s) => (s as HTMLSelectElement).value)).toBe("labs/gogo/gogo.s");
    await paste(page, SOLUTION);
    await page.click("#assemble");
    await settled(page);
    await page.click("#b-c");
    await page.waitForFunction(() => /exited with status 0/.test(document.getElementById("status")!.textContent ?? ""), null, { timeout: 60_000 });
    expect(await page.$eval("#pane-check", (el) => (el as HTMLElement).hidden)).toBe(true);
    expect(await page.$$eval("#editor-host .cm-check-fail", (els) => els.length)).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("grades the gogo lab in the page as `gmpemu lab grade` does: the skeleton fails, the solution gets full score; a reload keeps the text", async () => {
    const cliGrade = async (name: string, text: string): Promise<Results> => {
      const cwd = studentDir(name, text);
      const r = await spawnAsync(process.execPath, [BIN, "lab", "grade", "gogo", "labs/gogo/gogo.s", "--json", "results.json"], { cwd, timeout: 180_000 });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(readFileSync(join(cwd, "results.json"), "utf8")) as Results;
    };
    const cliSkeleton = cliGrade("skeleton", SKELETON), cliSolution = cliGrade("solution", SOLUTION);

    const { page, errors } = await open("#p=hello&lab=gogo");
    await settled(page);
    await page.waitForSelector("#pane-lab:not([hidden])");
    expect(await page.textContent("#lab-title")).toContain("gogo");
    expect(await page.textContent("#lab-handout h1, #lab-handout h2")).toBeTruthy();

    const grade = async (): Promise<{ score: number; max: number; tests: { name: string; status: string; score: number; max: number; output: string }[] }> => {
      await page.click("#lab-grade");
      await page.waitForSelector("#lab-score[data-score]", { timeout: 120_000 });
      return page.evaluate(() => ({
        score: Number(document.getElementById("lab-score")!.dataset["score"]),
        max: Number(document.getElementById("lab-score")!.dataset["max"]),
        tests: [...document.querySelectorAll<HTMLElement>("#lab-results .labtest")].map((t) => ({
          name: t.querySelector(".name")!.textContent ?? "", status: t.dataset["status"]!, score: Number(t.dataset["score"]), max: Number(t.dataset["max"]),
          output: t.querySelector("pre")!.textContent ?? "",
        })),
      }));
    };
    /** The page's results are the command line's, test by test (the lockstep test: skipped here, worth nothing). */
    const same = (got: Awaited<ReturnType<typeof grade>>, want: Results): void => {
      expect(got.tests.map((t) => t.name)).toEqual(want.tests.map((t) => t.name));
      let lockstep = 0;
      for (const [i, w] of want.tests.entries()) {
        const g = got.tests[i]!;
        if (w.name.includes("lockstep")) {
          expect(g).toEqual({ name: w.name, status: "passed", score: 0, max: 0, output: "skipped: libunicorn is not installed, so nothing ran in lockstep\n" });
          lockstep += w.score;
          continue;
        }
        expect({ ...g, output: g.output.trimEnd() }).toEqual({ name: w.name, status: w.status, score: w.score, max: w.max_score, output: w.output });
      }
      expect(got.score).toBe(want.score - lockstep);
    };

    // The skeleton, as the lab opened it.
    const skel = await grade();
    expect(skel.score).toBeLessThan(skel.max);
    expect(skel.tests.some((t) => t.status === "failed")).toBe(true);
    same(skel, await cliSkeleton);

    // The solution pasted in: full score.
    await paste(page, SOLUTION);
    const sol = await grade();
    expect(sol.max).toBeGreaterThan(0);
    expect(sol.score).toBe(sol.max);
    same(sol, await cliSolution);
    await page.locator("#pane-lab").screenshot({ path: join(ARTIFACTS, "lab-graded.png") });
    await page.screenshot({ path: join(ARTIFACTS, "lab-page.png"), fullPage: true });

    // A reload: the lab is open again, with the text the user wrote.
    await page.reload();
    await settled(page);
    await page.waitForSelector("#pane-lab:not([hidden])");
    await page.waitForSelector("#editor-host .cm-content");
    expect(await page.$eval("#edit-file", (s) => (s as HTMLSelectElement).value)).toBe("labs/gogo/gogo.s");
    expect(await page.textContent("#editor-host .cm-content")).toBe(SOLUTION.replace(/\n/g, ""));
    expect(errors).toEqual([]);
    await page.close();
  });
});
