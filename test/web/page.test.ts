// The browser page in a real Chromium (Debian's, driven by playwright-core,
// no browser download): the static site is built (vite build, to a temporary
// directory), served from its files by a plain static server, and used as a
// person would, by clicks and keys.
//
//   - the tour, run to gogo's load of SP: the register pane's SP is the
//     gobuf's sp shown beside it (and was not, one stop before);
//   - a link to step N of many.s with seed S and 4 Ps: the P boxes
//     (runnext, local run queue) and the global run queue are what
//     `gmpemu step --script` prints for `p` and `sched` at the same step;
//   - an assembly error typed into the editor is shown at its line;
//   - a runtime routine edited (a student's gogo), from a link, runs, a
//     step back replays to the same registers, and a breakpoint set by
//     clicking an address stops a continue there;
//   - a long `continue` leaves the page responsive (a click handled within
//     200 ms while the machine runs) and Stop stops it;
//   - screenshots of the tour and of the scheduler view, as artefacts
//     (test/web/artifacts/, not checked in).
//
// Without Chromium the tests are skipped with the reason, unless
// GMPEMU_REQUIRE_ORACLES=1 (CI), where that is a failure.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { deflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oracleAvailable } from "../helpers/oracles.ts";
import { spawnAsync } from "../hostile/spawn-async.ts";
import { siteInBrowser, type SiteInBrowser } from "./serve.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const CHROMIUM = process.env["GMPEMU_CHROMIUM"] ?? "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "test/web/artifacts");
const haveChromium = oracleAvailable("chromium", existsSync(CHROMIUM));

// The moment the queue comparison looks at: three Ps with work and 43
// goroutines in the global queue (found by scanning many.s's run).
const SEED = 1, PROCS = 4, STEP = 140_000;

type Page = import("playwright-core").Page;

const TITLE = haveChromium
  ? `the web page in Chromium (${CHROMIUM})`
  : `the web page in Chromium: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or set GMPEMU_CHROMIUM)`;

describe.skipIf(!haveChromium)(TITLE, () => {
  let web: SiteInBrowser;
  let dir = "";
  const open = (hash: string) => web.open(hash);

  beforeAll(async () => {
    web = await siteInBrowser(ROOT, CHROMIUM, "gmpemu-web-");
    dir = web.dir;
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await web?.close();
  });

  /** Waits until no command runs (Stop disabled) and the step counter reads `step`. */
  async function settled(page: Page, step?: number): Promise<void> {
    await page.waitForFunction((want) => {
      const stop = document.getElementById("b-stop") as HTMLButtonElement;
      const at = document.getElementById("stepno")?.textContent;
      return document.body.dataset["loaded"] === "1" && stop.disabled && !document.body.classList.contains("busy") && (want === null || at === `step ${want}`);
    }, step ?? null, { timeout: 90_000 });
  }

  it("walks the tour to gogo: after gogo loads SP, the register pane's SP is the gobuf's sp", async () => {
    const { page, errors } = await open("#p=gosched&mode=tour");
    await page.waitForSelector("#tour-body .item.current", { timeout: 90_000 });
    const current = () => page.$eval("#tour-body .item.current", (el) => ({ k: Number((el as HTMLElement).dataset["k"]), kind: el.className, text: el.querySelector(".text")?.textContent ?? el.textContent ?? "" }));
    const pane = () => page.evaluate(() => ({
      sp: document.querySelector<HTMLElement>("#reg-SP")!.dataset["value"]!,
      spChanged: document.querySelector("#reg-SP")!.classList.contains("changed"),
      gobufSp: document.querySelector<HTMLElement>("#gobuf-sp")!.dataset["value"]!,
      g: document.querySelector("#gobuf .ghead")!.textContent ?? "",
    }));
    // The first Nexts as a person gives them, through the driver's input (the → key, then the button).
    expect((await current()).k).toBe(0);
    await page.keyboard.press("ArrowRight");
    expect((await current()).k).toBe(1);
    await page.click("#tour-next");
    expect((await current()).k).toBe(2);
    await page.click("#tour-back");
    expect((await current()).k).toBe(1);
    await page.keyboard.press("ArrowRight");
    expect((await current()).k).toBe(2);
    // gogo's MOVQ (BX), SP in the tour's list (every item is listed, those ahead too): click the item
    // before it, so the panes show the machine one stop earlier, then Next runs it.
    const target = await page.$$eval("#tour-body .item.insn", (els) =>
      els.filter((el) => /^MOVQ \(BX\), SP$/.test((el.querySelector(".text")?.textContent ?? "").trim())).map((el) => Number((el as HTMLElement).dataset["k"])));
    expect(target.length).toBe(1);
    const k = target[0]!;
    expect(k).toBeGreaterThan(2);
    expect(await page.$eval(`#tour-body [data-k="${k}"]`, (el) => el.classList.contains("ahead"))).toBe(true);
    await page.click(`#tour-body [data-k="${k - 1}"]`);
    expect((await current()).k).toBe(k - 1);
    const before = await pane();
    await page.click("#tour-next");
    const c = await current();
    expect(c.k).toBe(k);
    expect(c.kind).toContain("insn");
    expect(c.text.trim()).toBe("MOVQ (BX), SP");
    const at = await pane();
    expect(at.sp).toMatch(/^0x[0-9a-f]+$/);
    expect(at.sp).not.toBe("0x0");
    expect(at.gobufSp).toBe(at.sp);
    expect(at.spChanged).toBe(true);
    // The gobuf shown is the goroutine gogo switches to (TLS already holds it).
    expect(at.g).toContain("G6");
    // Not vacuous: one stop earlier, SP was still g0's.
    expect(before!.sp).not.toBe(at.sp);
    // The tour stop is in the link.
    await page.waitForFunction((t) => new RegExp(`mode=tour&t=${t}(&|$)`).test(location.hash), k);
    await page.screenshot({ path: join(ARTIFACTS, "tour.png"), fullPage: true });
    // Step from here: the stepper takes over at the same step, in the same state.
    const step = Number(await page.$eval("#tour-body .item.current", (el) => (el as HTMLElement).dataset["step"]));
    await page.click("#tour-leave");
    await settled(page, step);
    expect(new URL(page.url()).hash).toContain(`step=${step}`);
    expect(new URL(page.url()).hash).toContain("nosys=1");
    const again = await pane();
    expect(again.sp).toBe(at.sp);
    expect(again.gobufSp).toBe(at.gobufSp);
    expect(errors).toEqual([]);
    await page.close();
  });

  it(`opens a link at step ${STEP} of many.s (seed ${SEED}, ${PROCS} Ps): the P boxes and the global queue are what the CLI's p and sched print`, async () => {
    const script = join(dir, "pq.txt");
    writeFileSync(script, `si ${STEP}\np\nsched\n`);
    const cli = (seed: number) => spawnAsync(process.execPath, [join(ROOT, "bin/gmpemu.mjs"), "step", "programs/many.s", "--procs", String(PROCS), "--seed", String(seed), "--script", script], { cwd: ROOT, timeout: 300_000 });
    // The same step with another seed, run alongside: the page must not match it (below).
    const cliRun = cli(SEED), otherRun = cli(SEED + 1);
    const { page, errors } = await open(`#p=many&seed=${SEED}&procs=${PROCS}&step=${STEP}`);
    await settled(page, STEP);
    const [cliOut, otherOut] = await Promise.all([cliRun, otherRun]);
    for (const r of [cliOut, otherOut]) {
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
    const block = (cmd: string, stdout = cliOut.stdout): string[] => {
      const lines = stdout.split("\n");
      const i = lines.indexOf(`(gmpemu) ${cmd}`);
      expect(i).toBeGreaterThanOrEqual(0);
      const out: string[] = [];
      for (let k = i + 1; k < lines.length && !lines[k]!.startsWith("(gmpemu)") && lines[k] !== ""; k++) out.push(lines[k]!);
      return out;
    };
    const want = block("p").map((l) => {
      const m = /^P(\d+) (\w+) M(\d+|-) schedtick=(\d+) runnext=(G\d+|-) runq=\[(.*)\]$/.exec(l);
      expect(m, l).not.toBeNull();
      return { id: Number(m![1]), status: m![2], m: m![3], schedtick: Number(m![4]), runnext: m![5], runq: m![6] ? m![6].split(" ") : [] };
    });
    const g = /^global runq \((\d+)\): \[(.*)\]$/.exec(block("sched")[0]!)!;
    expect(g).not.toBeNull();
    const wantGlobal = { size: Number(g[1]), runq: g[2] ? g[2].split(" ") : [] };
    // The moment is worth comparing: several Ps hold work, the global queue too.
    expect(want.filter((p) => p.runq.length > 0).length).toBeGreaterThanOrEqual(2);
    expect(wantGlobal.size).toBeGreaterThan(0);

    const got = await page.evaluate(() => ({
      ps: [...document.querySelectorAll<HTMLElement>("#sched .pbox")].map((b) => ({
        id: Number(b.dataset["p"]),
        header: b.querySelector("header")!.textContent ?? "",
        runnext: b.querySelector(".slot.runnext .g")?.textContent ?? "-",
        runq: [...b.querySelectorAll(".runq .g")].map((x) => x.textContent ?? ""),
      })),
      global: {
        size: Number(document.querySelector<HTMLElement>("#sched .global")!.dataset["size"]),
        runq: [...document.querySelectorAll("#sched .global .runq .g")].map((x) => x.textContent ?? ""),
      },
    }));
    expect(got.ps.map((p) => ({ id: p.id, runnext: p.runnext, runq: p.runq }))).toEqual(want.map((p) => ({ id: p.id, runnext: p.runnext, runq: p.runq })));
    for (const [i, p] of want.entries()) expect(got.ps[i]!.header).toBe(`P${p.id} ${p.status} · M${p.m} · schedtick ${p.schedtick}`);
    expect(got.global.size).toBe(wantGlobal.size);
    expect(got.global.runq).toEqual(wantGlobal.runq.slice(0, got.global.runq.length));
    expect(got.global.runq.length).toBe(Math.min(wantGlobal.size, 128));
    // Not vacuous: the same step with another seed has other queues, so a page showing the wrong run would fail here.
    expect(block("p", otherOut.stdout)).not.toEqual(block("p"));
    await page.locator("#pane-sched").screenshot({ path: join(ARTIFACTS, "scheduler.png") });
    await page.screenshot({ path: join(ARTIFACTS, "step-many.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows an assembly error typed into the editor at its line, without touching the bundled program", async () => {
    const { page, errors } = await open("#p=gosched");
    await settled(page);
    await page.click("#edit");
    await page.waitForSelector("#editor-host .cm-content");
    const LINE = 12;
    await page.click("#editor-host .cm-content");
    await page.keyboard.press("Control+Home");
    for (let i = 1; i < LINE; i++) await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Home");
    await page.keyboard.type("BOGUS AX, BX\n");
    await page.click("#assemble");
    await page.waitForSelector("#asm-errors .asm-error", { timeout: 60_000 });
    const err = await page.$eval("#asm-errors .asm-error", (el) => ({ line: Number((el as HTMLElement).dataset["line"]), text: el.textContent ?? "" }));
    expect(err.line).toBe(LINE);
    expect(err.text).toMatch(new RegExp(`^edited/gosched\\.s:${LINE}:\\d+: `));
    // Inline, on that line of the editor, with the message beside it.
    const marked = await page.$eval(`#editor-host .cm-asm-error[data-line="${LINE}"]`, (el) => el.textContent ?? "");
    expect(marked).toContain("BOGUS AX, BX");
    expect(marked).toMatch(new RegExp(`${LINE}:\\d+: `));
    expect(await page.$$eval("#editor-host .cm-asm-error", (els) => els.length)).toBe(1);
    expect(await page.textContent("#status")).toMatch(/does not assemble/);
    // The edit is the user's own file: the bundled program is still listed, marked edited, and the link carries the text.
    expect(await page.$eval("#program", (s) => (s as HTMLSelectElement).selectedOptions[0]!.textContent)).toBe("gosched (edited)");
    expect(new URL(page.url()).hash).toMatch(/[#&]src=/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("runs a student's edit of a runtime routine from a link, steps back by replay, and stops at a clicked breakpoint", async () => {
    // The link carries edited runtime files as compressed JSON (url.ts): a line added to gogo.
    const path = "asm/asm_amd64.s";
    const text = readFileSync(join(ROOT, path), "utf8");
    const head = "TEXT runtime·gogo(SB), NOSPLIT, $0-8\n";
    expect(text).toContain(head);
    const edited = text.replace(head, head + "\tMOVQ\t$0x5eed, R11\t// a student's line\n");
    const rt = deflateRawSync(Buffer.from(JSON.stringify({ [path]: edited }))).toString("base64url");
    const { page, errors } = await open(`#p=gosched&rt=${rt}`);
    await settled(page);
    await page.keyboard.press("g"); // to the next gogo
    await page.waitForFunction(() => document.querySelector("#code .fn b")?.textContent === "runtime.gogo" && !document.body.classList.contains("busy"), null, { timeout: 60_000 });
    const at = Number((await page.textContent("#stepno"))!.slice(5));
    expect(await page.textContent("#code .insn.current .text")).toBe("MOVQ $0x5eed, R11");
    expect(await page.textContent("#source .src.current")).toContain("a student's line");
    const regs = () => page.$$eval("#regs .reg", (els) => els.map((e) => (e as HTMLElement).dataset["value"]));
    const before = await regs();
    await page.keyboard.press("s");
    await settled(page, at + 1);
    expect((await page.$eval("#reg-R11", (e) => (e as HTMLElement).dataset["value"]))).toBe("0x5eed");
    await page.keyboard.press("r"); // back one step: the machine is rebuilt and replayed
    await settled(page, at);
    expect(await regs()).toEqual(before);
    expect(await page.textContent("#status")).toBe(`back 1 step, at step ${at}`);
    // A breakpoint by clicking an instruction's address, then continue to it.
    const jmp = page.locator("#code .insn", { hasText: "JMP gogo<" }).first();
    const jmpAddr = (await jmp.getAttribute("data-addr"))!;
    await jmp.locator(".addr").click();
    await page.waitForSelector(`#code .insn.bp[data-addr="${jmpAddr}"]`);
    expect(await page.textContent("#output")).toContain(`breakpoint 1 at ${jmpAddr}`);
    await page.keyboard.press("c");
    await page.waitForFunction((a) => document.querySelector<HTMLElement>("#code .insn.current")?.dataset["addr"] === a && !document.body.classList.contains("busy"), jmpAddr, { timeout: 60_000 });
    expect(await page.textContent("#status")).toMatch(new RegExp(`^breakpoint 1, runtime\\.gogo\\+0x[0-9a-f]+ at ${jmpAddr}$`));
    await page.click("#edit");
    await page.waitForSelector("#editor-host .cm-content");
    expect(await page.$eval("#edit-file", (s) => [...(s as HTMLSelectElement).options].map((o) => o.textContent))).toContain(`${path} (edited)`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("keeps the page responsive during a long continue (a click handled within 200 ms), and Stop stops it", async () => {
    // spin.s under asyncpreemptoff never ends: a continue runs until stopped.
    const { page, errors } = await open("#p=spin&apo=1");
    await settled(page);
    await page.keyboard.press("c"); // Continue, by its key
    await page.waitForFunction(() => Number(document.getElementById("stepno")!.textContent!.slice(5)) > 50_000, null, { timeout: 60_000 });
    // A click while the machine runs: the time from the input event to its handler, measured in the page.
    await page.evaluate(() => {
      const w = window as unknown as { latencies: number[] };
      w.latencies = [];
      document.getElementById("help")!.addEventListener("click", (e) => w.latencies.push(performance.now() - e.timeStamp));
    });
    // Raw input through the driver (no waiting for the page to be idle first): mouse.click returns once
    // the page has taken the event, so its round trip bounds how long the click waited.
    const box = (await page.locator("#help").boundingBox())!;
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      const roundTrip = Date.now() - t0;
      expect(roundTrip).toBeLessThan(200);
      await page.waitForFunction((open) => (document.getElementById("helpbox") as HTMLElement).hidden === !open, i % 2 === 0);
    }
    const latencies = await page.evaluate(() => (window as unknown as { latencies: number[] }).latencies);
    expect(latencies.length).toBe(3);
    for (const l of latencies) expect(l).toBeLessThan(200);
    // Still running, and moving, while the clicks were handled.
    const s1 = Number((await page.textContent("#stepno"))!.slice(5));
    await page.waitForFunction((s) => Number(document.getElementById("stepno")!.textContent!.slice(5)) > s, s1, { timeout: 30_000 });
    expect(await page.$eval("#b-stop", (b) => (b as HTMLButtonElement).disabled)).toBe(false);
    await page.click("#b-stop");
    await settled(page);
    expect(await page.textContent("#status")).toBe("stopped");
    const stoppedAt = Number((await page.textContent("#stepno"))!.slice(5));
    await page.waitForTimeout(1000);
    expect(Number((await page.textContent("#stepno"))!.slice(5))).toBe(stoppedAt);
    expect(new URL(page.url()).hash).toContain(`step=${stoppedAt}`);
    expect(errors).toEqual([]);
    await page.close();
  });
});
