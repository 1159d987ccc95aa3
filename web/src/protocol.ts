// The messages between the page (main.ts) and the emulator's worker
// (worker.ts). The page sends commands; the worker answers each stop with a
// snapshot (snapshot.ts), and reports progress while a long command runs.

import type { CheckFailure } from "../../src/check/check.ts";
import type { Results, TestResult } from "../../src/lab/core.ts";
import type { TourItem } from "../../src/tour/walk.ts";
import type { CodeLine, Snapshot } from "./snapshot.ts";

/** The machine's options, as the command line's flags. */
export interface MachineOptions {
  seed: number;
  procs: number;
  /** --timeslice, virtual ns. */
  timeslice?: number;
  /** --preempt-every N instructions. */
  preemptEvery?: number;
  asyncpreemptoff?: boolean;
  /** Don't start sysmon (as the tour runs). */
  nosysmon?: boolean;
  /** --check: the switch checker judges every switch; a broken rule ends the run. */
  check?: boolean;
}

/** The program to build: its path and text, and the runtime files the user edited (by path). */
export interface ProgramSpec {
  path: string;
  text: string;
  runtime: Record<string, string>;
  /** --runtime-asm: files whose routines replace the runtime's (an open lab's routine), by path. */
  runtimeAsm?: { path: string; text: string }[];
}

/** A failed switch check, and the code it names (the disassembly around its instruction). */
export interface CheckView {
  failure: CheckFailure;
  /** The message as the command line prints it ("check: gogo restored BP=…"). */
  text: string;
  /** The addresses of the failure's source line (each run of it), hex. */
  addrs: string[];
  /** The instructions around the first of them (RIP's marked current when it is among them). */
  code: CodeLine[];
}

export type ToWorker =
  /** Builds the machine and goes to `step`. */
  | { t: "load"; program: ProgramSpec; opts: MachineOptions; step: number }
  /** Builds the tour's machine (one P, no sysmon) and walks the tour. */
  | { t: "tour"; program: ProgramSpec; seed: number }
  /** A stepper command line (si, ni, c, finish, until SYM, se @park, rsi, rc, b ..., x ..., bt ...). */
  | { t: "cmd"; line: string }
  /** To step N, forward by stepping or back by replay. */
  | { t: "goto"; step: number }
  /** Ends the command running now, at the step it has reached. */
  | { t: "stop" }
  /** Grades `text` for a lab (src/lab/core.ts, on the bundled files): progress per test, then the results (Stop ends it between tests). */
  | { t: "grade"; lab: string; text: string };

export interface AsmErrorView { file: string; line: number; col: number; message: string; text: string }

export interface TourStop { item: TourItem; snap: Snapshot }

/** A breakpoint, for the marks in the code and source panes. */
export interface BreakView { id: number; spec: string; addrs: string[] }

export type FromWorker =
  /** The worker is ready: the scheduler events `se` knows. */
  | { t: "hello"; events: string[] }
  | { t: "asm-errors"; errors: AsmErrorView[] }
  /** A problem with the request (not the program's): shown as is. */
  | { t: "error"; message: string }
  /** A long command in progress. */
  | { t: "busy"; what: string; steps: number }
  /** A stop: why, what the program printed since the last one, and the state. */
  | { t: "stop"; why: string; output: string; snap: Snapshot; breaks: BreakView[]; check?: CheckView }
  /** A command's text answer (b, x, bt ...), and the breakpoints now set. */
  | { t: "text"; line: string; text: string; breaks: BreakView[] }
  | { t: "tour"; stops: TourStop[]; status: number }
  /** A lab's test graded (the `done`th). */
  | { t: "grade-progress"; lab: string; done: number; test: TestResult }
  | { t: "graded"; lab: string; results: Results }
  /** A grading ended by Stop after `done` tests. */
  | { t: "grade-stopped"; lab: string; done: number };
