// The page: controls, panes and the tour, over the emulator in a Web Worker.
//
// The page holds no machine. It sends the worker commands (protocol.ts) and
// draws the snapshot each stop brings back (render.ts); while a command
// runs, only Stop is enabled, and the worker reports its progress. The URL
// (url.ts) follows every stop, so the address bar is always a link to this
// exact moment: program, options, step.
//
// What the user types is never lost: edits are kept per file, in memory
// and in localStorage, and the edited program's text goes into the link.
// A bundled file is never changed; an edited program is assembled under a
// path of its own (edited/NAME.s).
//
// The switch checker (--check) is a machine option like the seed: a failed
// rule ends the run, and the page shows the checker's line (as the command
// line prints it) and marks the instruction it names in the source, the
// disassembly and, when the routine is the user's, the editor. A lab
// (labs.ts) opens its handout, puts the student's text (kept per lab in
// localStorage, the skeleton at first) in the editor and uses it as
// --runtime-asm for every run while it is open; Grade runs the grader in
// the worker (grader.ts), a test at a time, and Stop ends it.

import type { Editor, EditorError } from "./editor.ts";
import { bundled, editedPath, programNames, programPath, RUNTIME_FILES } from "./files.ts";
import type { Results, TestResult } from "../../src/lab/core.ts";
import { bundledLabs, findLab, labFile, studentPath, type LabEntry } from "./labs.ts";
import type { AsmErrorView, BreakView, CheckView, FromWorker, MachineOptions, ProgramSpec, ToWorker, TourStop } from "./protocol.ts";
import { breakAt, breakOnLine, h, renderCode, renderGobuf, renderGoroutines, renderMarkdown, renderRegs, renderSched, renderSource, renderStack, renderTimeline } from "./render.ts";
import type { Snapshot } from "./snapshot.ts";
import { DEFAULT_STATE, readState, writeState, type PageState } from "./url.ts";

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page: no #${id}`);
  return el as T;
};

const EDITS_KEY = "gmpemu.edits.v1";

const ui = {
  program: $<HTMLSelectElement>("program"), seed: $<HTMLInputElement>("seed"), procs: $<HTMLInputElement>("procs"),
  timeslice: $<HTMLInputElement>("timeslice"), preempt: $<HTMLInputElement>("preempt"), apo: $<HTMLInputElement>("apo"),
  nosys: $<HTMLInputElement>("nosys"), event: $<HTMLSelectElement>("event"), status: $("status"), stepno: $("stepno"),
  cmdline: $<HTMLInputElement>("cmdline"), output: $("output"), banner: $("banner"), stop: $<HTMLButtonElement>("b-stop"),
  editFile: $<HTMLSelectElement>("edit-file"), asmErrors: $("asm-errors"), check: $<HTMLInputElement>("check"),
  lab: $<HTMLSelectElement>("lab"), labResults: $("lab-results"), labScore: $("lab-score"), checkPane: $("pane-check"),
};

// --- state -------------------------------------------------------------------------

let state: PageState = { ...DEFAULT_STATE };
/** The user's texts by path: edited programs (edited/NAME.s) and edited runtime files (asm/...). */
const edits = new Map<string, string>();
let snap: Snapshot | undefined;
let busy = false;
let tourStops: TourStop[] = [];
/** Why the tour could not be walked (a program without Gosched), shown instead of the position. */
let tourNote = "";
let editor: Editor | undefined;
let editing: string | undefined;
let lastErrors: AsmErrorView[] = [];
let breaks: BreakView[] = [];
/** The failed switch check of the current run, if one failed. */
let checkView: CheckView | undefined;
/** The labs' texts the user wrote, by lab name (localStorage per lab). */
const labTexts = new Map<string, string>();
const labKey = (name: string): string => `gmpemu.lab.v1.${name}`;

/** The open lab, if any. */
function openLab(): LabEntry | undefined {
  return state.lab ? findLab(state.lab) : undefined;
}

/** The student's text for a lab: what they wrote, else the skeleton. */
function labText(l: LabEntry): string {
  const name = l.config.name;
  if (!labTexts.has(name)) {
    try {
      const kept = localStorage.getItem(labKey(name));
      if (kept !== null) labTexts.set(name, kept);
    } catch { /* storage unavailable: memory only */ }
  }
  return labTexts.get(name) ?? labFile(l, l.config.skeleton) ?? "";
}

function saveLabText(l: LabEntry, text: string): void {
  const name = l.config.name;
  const skeleton = labFile(l, l.config.skeleton);
  labTexts.set(name, text);
  try {
    if (text === skeleton) localStorage.removeItem(labKey(name));
    else localStorage.setItem(labKey(name), text);
  } catch { /* private mode: memory only */ }
}

/** The lab whose student file is `path`, if it is one. */
function labOfPath(path: string): LabEntry | undefined {
  return bundledLabs().find((l) => studentPath(l) === path);
}

function loadEdits(): void {
  try {
    const o = JSON.parse(localStorage.getItem(EDITS_KEY) ?? "{}") as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) if (typeof v === "string") edits.set(k, v);
  } catch {
    // storage unavailable or damaged: edits live in memory and in the link
  }
}

function saveEdits(): void {
  try { localStorage.setItem(EDITS_KEY, JSON.stringify(Object.fromEntries(edits))); } catch { /* private mode: memory only */ }
}

/** The program's path and text as they will be assembled. */
function programSpec(): ProgramSpec {
  const ep = editedPath(state.program);
  const bundledText = bundled(programPath(state.program));
  const text = edits.get(ep) ?? bundledText;
  const runtime: Record<string, string> = {};
  for (const p of RUNTIME_FILES.keys()) {
    const t = edits.get(p);
    if (t !== undefined) runtime[p] = t;
  }
  // An open routine lab's text replaces the runtime's routines it defines, as --runtime-asm does.
  const lab = openLab();
  const runtimeAsm = lab && lab.config.kind === "routine" ? [{ path: studentPath(lab), text: labText(lab) }] : undefined;
  const extra = runtimeAsm ? { runtimeAsm } : {};
  if (text === undefined) return { path: ep, text: "", runtime, ...extra };
  return { path: edits.has(ep) || bundledText === undefined ? ep : programPath(state.program), text, runtime, ...extra };
}

/** Any file's text as the machine sees it (for the source pane). */
function fileText(path: string): string | undefined {
  const lab = labOfPath(path);
  if (lab) return labText(lab);
  return edits.get(path) ?? bundled(path);
}

// --- the worker ----------------------------------------------------------------------

const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
const send = (msg: ToWorker): void => worker.postMessage(msg);

function setBusy(b: boolean, what = ""): void {
  busy = b;
  document.body.classList.toggle("busy", b);
  ui.stop.disabled = !b;
  for (const el of document.querySelectorAll<HTMLButtonElement>("#controls button:not(#b-stop), #restart, #assemble, #tour-leave, #lab-grade")) el.disabled = b;
  if (b) ui.status.textContent = `running: ${what}…`;
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.t) {
    case "hello":
      ui.event.replaceChildren(...m.events.map((k) => h("option", "", { value: k }, k)));
      break;
    case "busy":
      setBusy(true, m.what);
      ui.stepno.textContent = `step ${m.steps}`;
      break;
    case "stop":
      setBusy(false);
      showErrors([]);
      breaks = m.breaks;
      if (m.output) appendOutput(m.output, "prog");
      showCheck(m.check);
      show(m.snap, true);
      ui.status.textContent = m.why || (m.snap.ended ? `[${m.snap.ended}]` : "");
      if (state.mode === "step") {
        state.step = m.snap.steps;
        void syncUrl();
      }
      break;
    case "text":
      appendOutput(`(gmpemu) ${m.line}\n${m.text}`, "console");
      breaks = m.breaks;
      drawCode();
      break;
    case "error":
      setBusy(false);
      ui.status.textContent = `error: ${m.message}`;
      appendOutput(`error: ${m.message}\n`, "console");
      break;
    case "asm-errors":
      setBusy(false);
      document.body.dataset["loaded"] = "1";
      ui.status.textContent = `the program does not assemble: ${m.errors.length} error${m.errors.length === 1 ? "" : "s"}`;
      showErrors(m.errors);
      break;
    case "tour":
      setBusy(false);
      ui.status.textContent = "";
      tourStops = m.stops;
      tourNote = "";
      if (m.status !== 0) {
        const last = [...m.stops].reverse().find((s) => s.item.kind === "text");
        tourNote = last?.item.kind === "text" ? last.item.text.trim() : "the tour failed";
        ui.status.textContent = tourNote;
      }
      showTourStop(Math.min(state.tourStop, Math.max(0, tourStops.length - 1)));
      break;
    case "grade-progress": {
      if (m.lab !== state.lab) break;
      const of = findLab(m.lab)?.config.tests.length ?? m.done;
      ui.status.textContent = `grading ${m.lab}: ${m.done} of ${of} tests`;
      ui.labResults.append(testView(m.test));
      break;
    }
    case "grade-stopped":
      setBusy(false);
      if (m.lab !== state.lab) break;
      ui.labScore.textContent = `stopped after ${m.done} test${m.done === 1 ? "" : "s"}: no score`;
      ui.status.textContent = "grading stopped";
      break;
    case "graded":
      setBusy(false);
      if (m.lab !== state.lab) break;
      showResults(m.results);
      ui.status.textContent = `graded: ${m.results.output}`;
      break;
  }
};

worker.onerror = (e) => {
  setBusy(false);
  ui.status.textContent = `the emulator's worker failed: ${e.message}`;
};

// --- drawing ---------------------------------------------------------------------------

function show(s: Snapshot, animate: boolean): void {
  const first = snap === undefined;
  snap = s;
  document.body.dataset["loaded"] = "1";
  ui.stepno.textContent = `step ${s.steps}`;
  drawCode();
  renderRegs($("regs"), s);
  renderGobuf($("gobuf"), s);
  renderStack($("stack"), s);
  renderGoroutines($("goroutines"), s);
  renderSched($("sched"), s, animate && !first);
  renderTimeline($("timeline"), s.timeline, s.ps.map((p) => p.id));
}

/** The code and source panes, with the breakpoints marked (redrawn when they change). */
function drawCode(): void {
  if (!snap) return;
  const c = checkView;
  if (c) {
    // The instruction the failed check names, rather than where RIP went (gobuf.pc, for a gogo).
    const code = c.code.length ? c.code : snap.code;
    renderCode($("code"), { ...snap, code }, breaks, c.addrs);
    renderSource($("source"), c.failure.file, c.failure.line, fileText(c.failure.file), breaks, true);
    return;
  }
  renderCode($("code"), snap, breaks);
  renderSource($("source"), snap.file, snap.line, snap.file ? fileText(snap.file) : undefined, breaks);
}

/** Shows (or clears) the failed switch check: its line, and its mark in the editor when the routine is the user's. */
function showCheck(c: CheckView | undefined): void {
  checkView = c;
  ui.checkPane.hidden = !c;
  $("check-msg").textContent = c ? c.text : "";
  if (!c) return;
  const f = c.failure;
  const mine = labOfPath(f.file) !== undefined || edits.has(f.file);
  if (!mine) return;
  void openEditor(f.file).then(() => {
    editor?.showErrors([{ line: f.line, col: 1, message: c.text, text: c.text, kind: "check" }]);
    editor?.goto(f.line);
  });
}

const OUTPUT_MAX = 200_000;
function appendOutput(text: string, kind: "prog" | "console"): void {
  const span = h("span", kind, {}, text.endsWith("\n") ? text : text + "\n");
  ui.output.append(span);
  // Bounded: a program that prints forever must not grow the page without end.
  while ((ui.output.textContent?.length ?? 0) > OUTPUT_MAX && ui.output.firstChild) ui.output.firstChild.remove();
  ui.output.scrollTop = ui.output.scrollHeight;
}

// --- errors and the editor ----------------------------------------------------------------

function showErrors(errors: AsmErrorView[]): void {
  lastErrors = errors;
  ui.asmErrors.replaceChildren(...errors.map((e) =>
    h("div", "asm-error", { "data-file": e.file, "data-line": e.line, "data-col": e.col }, e.text)));
  if (errors.length === 0) {
    editor?.showErrors([]);
    return;
  }
  // Open the file of the first error, at its line.
  const first = errors[0]!;
  const spec = programSpec();
  const file = first.file === spec.path ? editedPath(state.program) : first.file;
  void openEditor(file).then(() => {
    const shown = errors.filter((e) => e.file === first.file).map((e): EditorError => ({ line: e.line, col: e.col, message: e.message, text: e.text }));
    editor?.showErrors(shown);
    editor?.goto(first.line, first.col);
  });
}

/** The editor's files: the program (under its edited path) and the runtime's assembly. */
function fillEditFiles(current: string): void {
  const prog = editedPath(state.program);
  const lab = openLab();
  ui.editFile.replaceChildren(
    ...(lab ? [h("option", "", { value: studentPath(lab) }, `${studentPath(lab)} (lab ${lab.config.name}: your ${lab.config.kind === "routine" ? "routine" : "predictions"})`)] : []),
    h("option", "", { value: prog }, `${state.program}.s (the program)`),
    ...[...RUNTIME_FILES.keys()].map((p) => h("option", "", { value: p }, `${p}${edits.has(p) ? " (edited)" : ""}`)),
  );
  ui.editFile.value = current;
}

function editorText(path: string): string {
  if (path === editedPath(state.program)) return programSpec().text;
  const lab = labOfPath(path);
  if (lab) return labText(lab);
  return fileText(path) ?? "";
}

/** The editor opens on the open lab's file, else on the program. */
function defaultEditPath(): string {
  const lab = openLab();
  return lab ? studentPath(lab) : editedPath(state.program);
}

async function openEditor(path = defaultEditPath()): Promise<void> {
  $("pane-editor").hidden = false;
  document.body.classList.add("editing");
  fillEditFiles(path);
  editing = path;
  if (!editor) {
    const { createEditor } = await import("./editor.ts");
    editor = createEditor($("editor-host"), editorText(path), (text) => {
      if (editing === undefined) return;
      const lab = labOfPath(editing);
      if (lab) {
        saveLabText(lab, text);
        return;
      }
      const original = editing === editedPath(state.program) ? bundled(programPath(state.program)) : bundled(editing);
      if (text === original) edits.delete(editing);
      else edits.set(editing, text);
      saveEdits();
      void syncUrl();
    });
  } else if (editor.text() !== editorText(path)) {
    const keep = editing;
    editing = undefined; // setText is not a user edit
    editor.setText(editorText(path));
    editing = keep;
  }
}

function closeEditor(): void {
  $("pane-editor").hidden = true;
  document.body.classList.remove("editing");
}

// --- commands ----------------------------------------------------------------------------

function machineOptions(): MachineOptions | undefined {
  const problems: string[] = [];
  const seed = Number(ui.seed.value), procs = Number(ui.procs.value);
  if (!Number.isInteger(seed) || seed < 0) problems.push(`seed: not an integer >= 0: ${ui.seed.value}`);
  if (!Number.isInteger(procs) || procs < 1 || procs > 256) problems.push(`procs: not an integer from 1 to 256: ${ui.procs.value}`);
  const o: MachineOptions = { seed, procs };
  const ts = ui.timeslice.value.trim();
  if (ts) {
    const ns = parseDuration(ts);
    if (ns === undefined) problems.push(`timeslice: not a duration (10ms, 500us, 1s or ns): ${ts}`);
    else o.timeslice = ns;
  }
  const pe = ui.preempt.value.trim();
  if (pe && pe !== "off") {
    const n = Number(pe);
    if (!Number.isInteger(n) || n < 64) problems.push(`preempt every: an integer of at least 64 instructions: ${pe}`);
    else o.preemptEvery = n;
  }
  if (ui.apo.checked) o.asyncpreemptoff = true;
  if (ui.nosys.checked) o.nosysmon = true;
  if (ui.check.checked) o.check = true;
  if (problems.length) {
    ui.status.textContent = problems.join("; ");
    return undefined;
  }
  return o;
}

/** "10ms" → 10000000 ns; a bare number is nanoseconds. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)?$/.exec(s.trim());
  if (!m) return undefined;
  const mult = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9 }[(m[2] ?? "ns") as "ns"];
  const v = Math.round(Number(m[1]) * mult);
  return v >= 1 && Number.isSafeInteger(v) ? v : undefined;
}

function setInputs(o: MachineOptions): void {
  ui.seed.value = String(o.seed);
  ui.procs.value = String(o.procs);
  ui.timeslice.value = o.timeslice !== undefined ? `${o.timeslice}` : "";
  ui.preempt.value = o.preemptEvery !== undefined ? String(o.preemptEvery) : "";
  ui.apo.checked = !!o.asyncpreemptoff;
  ui.nosys.checked = !!o.nosysmon;
  ui.check.checked = !!o.check;
}

/** Builds the machine for the current program and options, at `step` (or walks the tour). */
function load(step: number): void {
  if (state.mode === "tour") {
    setBusy(true, "the tour");
    send({ t: "tour", program: programSpec(), seed: state.opts.seed });
    return;
  }
  const o = machineOptions();
  if (!o) return;
  state.opts = o;
  state.step = step;
  snap = undefined;
  showCheck(undefined);
  setBusy(true, step ? `to step ${step}` : "building the machine");
  send({ t: "load", program: programSpec(), opts: o, step });
  void syncUrl();
}

function cmd(line: string): void {
  if (busy || state.mode !== "step") return;
  send({ t: "cmd", line });
}

let urlSeq = 0;
async function syncUrl(): Promise<void> {
  const seq = ++urlSeq;
  const spec = programSpec();
  state.source = spec.path.startsWith("edited/") ? spec.text : undefined;
  state.runtime = spec.runtime;
  const hash = await writeState(state);
  if (seq === urlSeq && hash !== location.hash) history.replaceState(null, "", hash);
}

// --- the tour ----------------------------------------------------------------------------

function showTourStop(i: number): void {
  if (tourStops.length === 0) return;
  state.tourStop = i;
  const body = $("tour-body");
  body.replaceChildren(...tourStops.map((s, k) => {
    const it = s.item;
    const cls = `item ${it.kind}${k === i ? " current" : ""}${k > i ? " ahead" : ""}`;
    if (it.kind === "insn") {
      return h("div", cls, { "data-k": k, "data-step": s.snap.steps },
        h("span", "addr", {}, `0x${it.pc.toString(16)}`), h("span", "where", {}, it.where), h("span", "text", {}, it.text),
        h("span", "changes", {}, it.changes.join(" ")), it.comment ? h("span", "comment", {}, `// ${it.comment}`) : null);
    }
    // A section heading (the CLI pauses there) is a title line on the page.
    return h("div", cls, { "data-k": k, "data-step": s.snap.steps }, it.kind === "section" ? it.title : it.text.trim());
  }));
  $("tour-pos").textContent = ` ${i + 1} / ${tourStops.length} `;
  if (!busy) ui.status.textContent = tourNote || `tour: stop ${i + 1} of ${tourStops.length} (→ next, ← back)`;
  body.querySelector<HTMLElement>(".current")?.scrollIntoView({ block: "nearest" });
  show(tourStops[i]!.snap, true);
  void syncUrl();
}

function setMode(mode: "step" | "tour"): void {
  state.mode = mode;
  document.body.classList.toggle("tour", mode === "tour");
  $("pane-tour").hidden = mode !== "tour";
  $("mode-step").classList.toggle("on", mode === "step");
  $("mode-tour").classList.toggle("on", mode === "tour");
}

// --- labs --------------------------------------------------------------------------------------

function fillLabs(): void {
  ui.lab.replaceChildren(h("option", "", { value: "" }, "(none)"),
    ...bundledLabs().map((l) => h("option", "", { value: l.config.name, title: l.config.title }, l.config.name)));
  ui.lab.value = state.lab ?? "";
}

/** Opens a lab (or closes it, with undefined): handout, the student's text in the editor, and a rebuilt machine. */
function setLab(name: string | undefined, reload = true): void {
  const l = name ? findLab(name) : undefined;
  state.lab = l?.config.name;
  ui.lab.value = state.lab ?? "";
  $("pane-lab").hidden = !l;
  ui.labResults.replaceChildren();
  ui.labScore.textContent = "";
  if (l) {
    $("lab-title").textContent = `Lab ${l.config.name}: ${l.config.title}`;
    renderMarkdown($("lab-handout"), labFile(l, l.config.handout) ?? "(no handout)");
    $("lab-note").textContent = l.config.kind === "routine"
      ? `Your routine is ${studentPath(l)} in the editor (kept in this browser). While the lab is open, every run uses it in place of the runtime's (--runtime-asm): tick "check switches" and run a program to see the checker judge it. Grade runs the lab's tests (${l.config.tests.length}, as gmpemu lab grade does; Unicorn is native, so its lockstep test is skipped here).`
      : `Your predictions are ${studentPath(l)} in the editor (kept in this browser). Grade runs each program under one P and compares.`;
    void openEditor(studentPath(l));
  } else if (editing !== undefined && labOfPath(editing)) closeEditor();
  if (reload) load(0);
  else void syncUrl();
}

function testView(t: TestResult): HTMLElement {
  const body = t.output.split("\n").map((line) => line.startsWith("check: ") ? h("span", "checkline", {}, line + "\n") : line + "\n");
  return h("div", `labtest ${t.status}`, { "data-status": t.status, "data-score": t.score, "data-max": t.max_score },
    h("span", "verdict", {}, `${t.status === "passed" ? (t.max_score === 0 ? "SKIP" : "PASS") : "FAIL"} ${t.score}/${t.max_score} `),
    h("span", "name", {}, t.name), h("pre", "", {}, ...body));
}

function showResults(r: Results): void {
  ui.labResults.replaceChildren(...r.tests.map(testView));
  const max = r.tests.reduce((a, t) => a + t.max_score, 0);
  ui.labScore.textContent = `score: ${r.score}/${max}`;
  ui.labScore.dataset["score"] = String(r.score);
  ui.labScore.dataset["max"] = String(max);
}

function gradeLab(): void {
  const l = openLab();
  if (!l || busy) return;
  ui.labResults.replaceChildren();
  ui.labScore.textContent = "grading…";
  delete ui.labScore.dataset["score"];
  setBusy(true, `grading ${l.config.name}`);
  send({ t: "grade", lab: l.config.name, text: labText(l) });
}

// --- wiring ----------------------------------------------------------------------------------

function fillPrograms(): void {
  const names = new Set(programNames());
  for (const p of edits.keys()) if (p.startsWith("edited/")) names.add(p.slice(7, -2));
  if (!names.has(state.program)) names.add(state.program);
  ui.program.replaceChildren(...[...names].sort().map((n) =>
    h("option", "", { value: n }, `${n}${edits.has(editedPath(n)) ? " (edited)" : ""}`)));
  ui.program.value = state.program;
}

function wire(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("#controls button[data-cmd]")) {
    b.addEventListener("click", () => cmd(b.dataset["cmd"]!));
  }
  $("b-ce").addEventListener("click", () => cmd(`se ${ui.event.value}`));
  ui.stop.addEventListener("click", () => send({ t: "stop" }));
  $("restart").addEventListener("click", () => load(0));
  ui.program.addEventListener("change", () => {
    state.program = ui.program.value;
    state.tourStop = 0;
    if (!$("pane-editor").hidden) void openEditor(editing !== undefined && labOfPath(editing) ? editing : editedPath(state.program));
    load(0);
  });
  $("edit").addEventListener("click", () => void openEditor());
  ui.lab.addEventListener("change", () => setLab(ui.lab.value || undefined));
  $("lab-close").addEventListener("click", () => setLab(undefined));
  $("lab-grade").addEventListener("click", gradeLab);
  // The checker is a machine option: the machine is rebuilt, and goes back to this step (or stops at a failed check before it).
  ui.check.addEventListener("change", () => { if (state.mode === "step") load(state.step); });
  $("new").addEventListener("click", () => {
    const name = prompt("Name of the new program (letters, digits, _ and -); it starts as a copy of this one:", `${state.program}-2`)?.trim();
    if (!name) return;
    const problem = !/^[A-Za-z0-9_-]{1,64}$/.test(name) ? "use letters, digits, _ and - (at most 64)"
      : programNames().includes(name) || edits.has(editedPath(name)) ? "that name is taken" : "";
    if (problem) {
      ui.status.textContent = `New: ${name}: ${problem}`;
      return;
    }
    edits.set(editedPath(name), programSpec().text);
    saveEdits();
    state.program = name;
    fillPrograms();
    void openEditor(editedPath(name));
    load(0);
  });
  $("edit-close").addEventListener("click", closeEditor);
  ui.editFile.addEventListener("change", () => void openEditor(ui.editFile.value));
  $("assemble").addEventListener("click", () => { fillPrograms(); load(0); });
  $("revert").addEventListener("click", () => {
    if (editing === undefined) return;
    const path = editing;
    if (!confirm(`Drop your edits of ${path === editedPath(state.program) ? `${state.program}.s` : path}?`)) return;
    const lab = labOfPath(path);
    if (lab) saveLabText(lab, labFile(lab, lab.config.skeleton) ?? "");
    else edits.delete(path);
    saveEdits();
    editing = undefined;
    editor?.setText(editorText(path));
    editing = path;
    fillPrograms();
    void syncUrl();
  });
  $("mode-step").addEventListener("click", () => { if (state.mode !== "step") { setMode("step"); load(0); } });
  $("mode-tour").addEventListener("click", () => { if (state.mode !== "tour") { setMode("tour"); state.tourStop = 0; load(0); } });
  $("tour-next").addEventListener("click", () => showTourStop(Math.min(tourStops.length - 1, state.tourStop + 1)));
  $("tour-back").addEventListener("click", () => showTourStop(Math.max(0, state.tourStop - 1)));
  $("tour-body").addEventListener("click", (e) => {
    const k = (e.target as HTMLElement).closest<HTMLElement>("[data-k]")?.dataset["k"];
    if (k !== undefined) showTourStop(Number(k));
  });
  $("tour-leave").addEventListener("click", () => {
    const s = tourStops[state.tourStop];
    if (!s) return;
    setMode("step");
    setInputs({ seed: state.opts.seed, procs: 1, nosysmon: true });
    load(s.snap.steps);
  });
  const help = $("helpbox");
  $("help").addEventListener("click", () => { help.hidden = !help.hidden; });
  $("help-close").addEventListener("click", () => { help.hidden = true; });
  ui.cmdline.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      const line = ui.cmdline.value.trim();
      if (line === "") return;
      ui.cmdline.value = "";
      cmd(line);
    } else if (e.key === "Escape") ui.cmdline.blur();
  });
  // Breakpoints by clicking: an instruction's address, or a source line's number (a second click deletes it).
  $("code").addEventListener("click", (e) => {
    const t = e.target as HTMLElement;
    const addr = t.closest<HTMLElement>(".insn")?.dataset["addr"];
    if (!addr || !t.closest(".addr, .mark")) return;
    const b = breakAt(breaks, addr);
    cmd(b ? `delete ${b.id}` : `b ${addr}`);
  });
  $("source").addEventListener("click", (e) => {
    const t = e.target as HTMLElement;
    const row = t.closest<HTMLElement>(".src");
    if (!row || !t.closest(".ln")) return;
    const file = row.dataset["file"]!, line = Number(row.dataset["line"]);
    const b = breakOnLine(breaks, file, line);
    cmd(b ? `delete ${b.id}` : `b ${file}:${line}`);
  });
  document.addEventListener("keydown", onKey);
  window.addEventListener("resize", () => { if (snap) renderTimeline($("timeline"), snap.timeline, snap.ps.map((p) => p.id)); });
}

function onKey(e: KeyboardEvent): void {
  const t = e.target as HTMLElement;
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !$("pane-editor").hidden) {
    e.preventDefault();
    fillPrograms();
    load(0);
    return;
  }
  if (t.closest("input, select, textarea, .cm-editor") || e.ctrlKey || e.metaKey || e.altKey) return;
  const tour = state.mode === "tour";
  const keys: Record<string, () => void> = {
    s: () => cmd("si"), n: () => (tour ? $("tour-next").click() : cmd("ni")), f: () => cmd("finish"), c: () => cmd("c"),
    e: () => cmd(`se ${ui.event.value}`), g: () => cmd("until runtime.gogo"), r: () => cmd("rsi"), R: () => cmd("rc"),
    Escape: () => { if (busy) send({ t: "stop" }); else $("helpbox").hidden = true; },
    ArrowRight: () => { if (tour) $("tour-next").click(); }, ArrowLeft: () => { if (tour) $("tour-back").click(); },
    p: () => { if (tour) $("tour-back").click(); },
    T: () => $("mode-tour").click(), E: () => void openEditor(), "?": () => $("help").click(),
    ":": () => ui.cmdline.focus(),
  };
  const f = keys[e.key];
  if (f) {
    e.preventDefault();
    f();
  }
}

async function main(): Promise<void> {
  loadEdits();
  const problems: string[] = [];
  state = await readState(location.hash, problems);
  if (state.source !== undefined) {
    // The link's text wins over what this browser kept, which stays under its own key if different.
    const ep = editedPath(state.program);
    const kept = edits.get(ep);
    if (kept !== undefined && kept !== state.source) edits.set(editedPath(`${state.program}-kept`), kept);
    if (state.source !== bundled(programPath(state.program))) edits.set(ep, state.source);
    saveEdits();
  }
  for (const [p, t] of Object.entries(state.runtime)) if (RUNTIME_FILES.has(p)) edits.set(p, t);
  if (!programSpec().text) {
    problems.push(`no program "${state.program}": showing gosched`);
    state.program = "gosched";
  }
  if (problems.length) {
    ui.banner.hidden = false;
    ui.banner.textContent = `The link had problems: ${problems.join("; ")}.`;
  }
  if (state.lab !== undefined && !findLab(state.lab)) {
    ui.banner.hidden = false;
    ui.banner.textContent = `The link names no lab "${state.lab}".`;
    state.lab = undefined;
  }
  fillPrograms();
  fillLabs();
  setInputs(state.opts);
  wire();
  setMode(state.mode);
  if (state.lab) setLab(state.lab, false);
  load(state.step);
}

void main();
