// The emulator's side of the page: one stepper (src/step/core.ts) on a
// machine built from the page's in-memory files, driven a slice at a time.
//
// The worker (worker.ts) gives it messages and calls pump() between them,
// so a Stop is seen within one slice (PUMP_MS of work) of being sent, and a
// long `continue` never blocks the page. Everything that moves the machine
// is a stepper Motion: the same commands as `gmpemu step`, the same stops
// at the same steps, so a position in the page (its URL's step) is the
// position the command line reaches with `si N` for the same program, seed
// and options. Reverse motions (rsi, rc, goto an earlier step) rebuild the
// machine and replay, as the stepper does.
//
// A runtime throw (Go's fatal error) ends the program where it happened:
// the page shows Go's message and goroutine dump, and only going back
// (which rebuilds) is allowed afterwards.

import { assembleFile, type ObjFile } from "../../src/asm/assemble.ts";
import { AsmErrors } from "../../src/asm/prog.ts";
import { switchCheck, type CheckFailure } from "../../src/check/check.ts";
import { MemorySource } from "../../src/asm/source.ts";
import { buildMachine, type RunOptions } from "../../src/runtime/boot.ts";
import { GoThrow } from "../../src/runtime/panic.ts";
import { goroutineDump } from "../../src/runtime/traceback.ts";
import { StepperCore, type Motion } from "../../src/step/core.ts";
import { REG_RIP } from "../../src/engine/engine.ts";
import type { Grading } from "../../src/lab/core.ts";
import { gradeInPage } from "./grader.ts";
import { walkTour } from "../../src/tour/walk.ts";
import { subscribe, type Machine } from "../../src/debug/view.ts";
import { bundled, INCLUDE_DIR, INCLUDE_FILES, RUNTIME_FILES } from "./files.ts";
import type { BreakView, CheckView, FromWorker, MachineOptions, ProgramSpec, ToWorker, TourStop } from "./protocol.ts";
import { code, EventLog, regValues, snapshot } from "./snapshot.ts";

/** Work per pump before the worker turns to its messages (a Stop). */
export const PUMP_MS = 25;
/** Steps between two looks at the clock. */
const CHUNK = 2000;
/** Progress reports at most this often. */
const BUSY_MS = 200;
/** The tour's snapshots keep a shorter timeline (there are many of them). */
const TOUR_EVENTS = 120;

interface Running { mo: Motion; what: string; lastBusy: number }

export class Session {
  private stepper: StepperCore | undefined;
  private readonly log = new EventLog();
  private lastRegs: bigint[] = [];
  private running: Running | undefined;
  /** The assembler's warnings, for the next stop's output. */
  private pending = "";
  /** Go's fatal error, once the program has thrown (only going back is allowed then). */
  private dead: string | undefined;
  /** The switch check that failed (--check), once one has: it ended the run. */
  private failure: CheckFailure | undefined;
  /** A lab's grading in progress: one test per pump. */
  private grading: { lab: string; g: Grading; done: number } | undefined;

  constructor(private readonly post: (msg: FromWorker) => void, private readonly clock: () => number = () => performance.now()) {}

  /** A command is in progress (the worker keeps pumping). */
  get busy(): boolean { return this.running !== undefined || this.grading !== undefined; }

  handle(msg: ToWorker): void {
    try {
      switch (msg.t) {
        case "load": return this.load(msg.program, msg.opts, msg.step);
        case "tour": return this.tour(msg.program, msg.seed);
        case "cmd": return this.command(msg.line);
        case "goto": return this.goto(msg.step);
        case "stop": return this.stop();
        case "grade": return this.grade(msg.lab, msg.text);
      }
    } catch (e) {
      this.post({ t: "error", message: e instanceof Error ? e.message : String(e) });
    }
  }

  /** The machine's files, in memory: the bundled runtime with the user's edits, its headers, and the program. */
  private sources(spec: ProgramSpec): MemorySource {
    const files: Record<string, string> = {};
    for (const [p, text] of INCLUDE_FILES) files[p] = text;
    for (const [p, text] of RUNTIME_FILES) files[p] = spec.runtime[p] ?? text;
    for (const f of spec.runtimeAsm ?? []) files[f.path] = f.text;
    files[spec.path] = spec.text;
    return new MemorySource(files, INCLUDE_DIR);
  }

  private newStepper(spec: ProgramSpec, opts: MachineOptions): StepperCore | undefined {
    // A new machine (another program, another lab) ends a grading in progress, as Stop does.
    if (this.grading) this.stop();
    this.running = undefined;
    this.dead = undefined;
    const runtimeFiles = [...RUNTIME_FILES.keys()];
    const source = this.sources(spec);
    // The assembler's warnings (lossy immediates, as Go accepts them) are shown once, with the first stop.
    const warnings: string[] = [];
    let warned = false;
    // The runtime is assembled once here, not at every rebuild a step back makes (when it assembles
    // cleanly; otherwise buildMachine assembles it again and reports what is wrong, at its lines).
    const runtimeObjs = assembleRuntime(runtimeFiles, source);
    const runtimeAsm = (spec.runtimeAsm ?? []).map((f) => f.path);
    const build = (ropts: RunOptions): Machine => buildMachine([spec.path], {
      ...ropts, runtimeFiles, source, ...(runtimeObjs ? { runtimeObjs } : {}), warn: (w) => { if (!warned) warnings.push(w); },
      ...(runtimeAsm.length ? { runtimeAsm } : {}),
    });
    try {
      const s = new StepperCore(build, {
        procs: opts.procs, seed: opts.seed, engine: "interp",
        ...(opts.timeslice !== undefined ? { timeslice: opts.timeslice } : {}),
        ...(opts.preemptEvery !== undefined ? { preemptEvery: opts.preemptEvery } : {}),
        ...(opts.asyncpreemptoff ? { asyncpreemptoff: true } : {}),
        ...(opts.nosysmon ? { nosysmon: true } : {}),
        // As `gmpemu step --check` builds it: paths as the image has them (the repository's, as the
        // command line shows them from the repository's root). Each build (a replay's too) gets its own checker.
        ...(opts.check ? { check: switchCheck({ showPath: (f) => f, onFailure: (f) => { this.failure = f; } }) } : {}),
        onBoot: (m) => {
          this.failure = undefined;
          this.log.clear();
          subscribe(m, this.log.listener);
        },
      });
      this.stepper = s;
      this.lastRegs = regValues(s.m);
      warned = true;
      this.pending = warnings.map((w) => w + "\n").join("");
      return s;
    } catch (e) {
      this.stepper = undefined;
      if (e instanceof AsmErrors) {
        this.post({
          t: "asm-errors",
          errors: e.errors.map((x) => ({ file: x.pos.file, line: x.pos.line, col: x.pos.col, message: x.message, text: x.format() })),
        });
        return undefined;
      }
      throw e;
    }
  }

  private load(spec: ProgramSpec, opts: MachineOptions, step: number): void {
    const s = this.newStepper(spec, opts);
    if (!s) return;
    if (step > 0) this.start(s.begin(`si ${step}`)!, `to step ${step}`);
    else this.report("");
  }

  private need(): StepperCore {
    if (!this.stepper) throw new Error("no program is loaded (it did not assemble)");
    return this.stepper;
  }

  private command(line: string): void {
    const s = this.need();
    if (this.running) throw new Error("a command is running: stop it first");
    const cmd = line.trim().split(/\s+/)[0] ?? "";
    const backwards = cmd === "rsi" || cmd === "rc";
    if (this.dead && !backwards && isMotion(cmd)) throw new Error(`the program has ended (${firstLine(this.dead)}): only going back is possible`);
    const mo = s.begin(line);
    if (mo) {
      if (backwards) this.dead = undefined;
      this.start(mo, cmd);
      return;
    }
    const text = s.exec(line);
    this.post({ t: "text", line, text, breaks: this.breaks() });
  }

  private goto(step: number): void {
    const s = this.need();
    if (this.running) throw new Error("a command is running: stop it first");
    if (!Number.isInteger(step) || step < 0) throw new Error(`not a step: ${step}`);
    if (step >= s.steps) {
      if (this.dead) throw new Error(`the program has ended (${firstLine(this.dead)}): only going back is possible`);
      if (step === s.steps) return this.report("");
      this.start(s.begin(`si ${step - s.steps}`)!, `to step ${step}`);
    } else {
      this.dead = undefined;
      this.start(s.replay(step, () => `back to step ${s.steps}`), `back to step ${step}`);
    }
  }

  private stop(): void {
    if (this.grading) {
      const gr = this.grading;
      this.grading = undefined;
      this.post({ t: "grade-stopped", lab: gr.lab, done: gr.done });
      return;
    }
    if (!this.running) return;
    const r = this.running;
    this.running = undefined;
    this.finish(r.mo, "stopped");
  }

  private start(mo: Motion, what: string): void {
    this.running = { mo, what, lastBusy: this.clock() };
    this.post({ t: "busy", what, steps: this.stepper!.steps });
  }

  /** Runs the current command for about `ms`; true while it has more to do. */
  pump(ms = PUMP_MS): boolean {
    if (this.grading) return this.gradeOne();
    const r = this.running;
    if (!r) return false;
    const s = this.stepper!;
    const t0 = this.clock();
    let why: string | undefined;
    try {
      do why = r.mo.advance(CHUNK); while (why === undefined && this.clock() - t0 < ms);
    } catch (e) {
      this.running = undefined;
      if (e instanceof GoThrow) {
        this.dead = e.text() + "\n" + goroutineDump(s.m, true);
        this.finish(r.mo, "");
        return false;
      }
      r.mo.end("");
      throw e;
    }
    if (why === undefined) {
      const now = this.clock();
      if (now - r.lastBusy >= BUSY_MS) {
        r.lastBusy = now;
        this.post({ t: "busy", what: r.what, steps: s.steps });
      }
      return true;
    }
    this.running = undefined;
    this.finish(r.mo, why);
    return false;
  }

  private finish(mo: Motion, why: string): void {
    const msg = mo.end(why);
    this.report(msg);
  }

  private report(why: string): void {
    const s = this.need();
    const output = this.pending + s.stopped() + (this.dead ?? "");
    this.pending = "";
    const snap = snapshot(s.m, s.steps, this.dead ? firstLine(this.dead) : s.end, this.lastRegs, this.log);
    this.lastRegs = regValues(s.m);
    const check = this.failure && s.end !== undefined ? this.checkView(s, this.failure) : undefined;
    this.post({ t: "stop", why: this.dead ? firstLine(this.dead) : why, output, snap, breaks: this.breaks(), ...(check ? { check } : {}) });
  }

  /** The failed check with the code its source line names (the instruction that wrote the register, or where control left). */
  private checkView(s: StepperCore, f: CheckFailure): CheckView {
    let addrs: number[] = [];
    try { addrs = s.resolveLocation(`${f.file}:${f.line}`); } catch { /* no code at that line: the message still says it */ }
    const rip = s.m.engine.getRegN(REG_RIP);
    return { failure: f, text: `check: ${f.message}`, addrs: addrs.map((a) => "0x" + a.toString(16)), code: addrs.length ? code(s.m, rip, addrs[0]!) : [] };
  }

  /**
   * Starts grading a lab (src/lab/core.ts on the bundled files): pump()
   * grades a test at a time, with a progress message for each, then the
   * results; a Stop between two tests ends it.
   */
  private grade(lab: string, text: string): void {
    if (this.busy) throw new Error("a command is running: stop it first");
    this.grading = { lab, g: gradeInPage(lab, text), done: 0 };
  }

  /** One test of the grading in progress; true while there are more. */
  private gradeOne(): boolean {
    const gr = this.grading!;
    let r;
    try {
      r = gr.g.next();
    } catch (e) {
      this.grading = undefined;
      throw e;
    }
    if (r.done) {
      this.grading = undefined;
      this.post({ t: "graded", lab: gr.lab, results: r.value });
      return false;
    }
    this.post({ t: "grade-progress", lab: gr.lab, done: ++gr.done, test: r.value });
    return true;
  }

  private breaks(): BreakView[] {
    return (this.stepper?.breakpoints ?? []).map((b) => ({ id: b.id, spec: b.spec, addrs: b.addrs.map((x) => "0x" + x.toString(16)) }));
  }

  /**
   * The tour (src/tour/walk.ts) on a machine as `gmpemu tour` builds it (one
   * P, no sysmon), each item with the snapshot right after what it
   * describes. The stepper is left where the tour ended, so the page can
   * go on stepping from any of its stops (goto that stop's step).
   */
  private tour(spec: ProgramSpec, seed: number): void {
    const s = this.newStepper(spec, { procs: 1, seed, nosysmon: true });
    if (!s) return;
    const texts = new Map<string, string>([[spec.path, spec.text], ...Object.entries(spec.runtime)]);
    const walk = walkTour(s.m, {
      step: () => s.stepOne(),
      source: (f) => texts.get(f) ?? bundled(f),
      showPath: (f) => f,
      maxSteps: 2_000_000,
    });
    const stops: TourStop[] = [];
    let before = regValues(s.m);
    for (let r = walk.next(); ; r = walk.next()) {
      if (r.done) {
        s.stopped();
        this.lastRegs = regValues(s.m);
        this.post({ t: "tour", stops, status: r.value });
        return;
      }
      stops.push({ item: r.value, snap: snapshot(s.m, s.steps, s.end, before, this.log, TOUR_EVENTS) });
      before = regValues(s.m);
    }
  }
}

/** The runtime's objects, or undefined when a file has errors or warnings (the build reports them). */
function assembleRuntime(files: readonly string[], source: MemorySource): ObjFile[] | undefined {
  const objs: ObjFile[] = [];
  for (const f of files) {
    const r = assembleFile(f, { pkg: "runtime", source });
    if (r.errors.length > 0 || r.warnings.length > 0) return undefined;
    objs.push(r.obj);
  }
  return objs;
}

const MOTIONS = new Set(["si", "stepi", "ni", "nexti", "c", "continue", "finish", "until", "u", "se", "event", "sg"]);
function isMotion(cmd: string): boolean {
  return MOTIONS.has(cmd);
}

function firstLine(s: string): string {
  return s.split("\n", 1)[0] ?? s;
}
