// A lab's configuration (labs/NAME/lab.json): what the grader (core.ts)
// runs, and what `lab init` and the page's Labs menu show. Data only, with
// no import, so the page's main thread can list the labs without loading
// the emulator (which lives in its worker).

export interface LabTest {
  name: string;
  /** The program, relative to the lab's directory. */
  program: string;
  /** The Go twin's golden answer (test/golden/programs/NAME.txt), relative to the lab's directory. */
  golden?: string;
  points: number;
  procs?: number;
  seed?: number;
  preemptEvery?: number;
  /** The step bound (instructions and host calls). */
  maxSteps?: number;
  engine?: "interp" | "lockstep";
  /**
   * exact: output and status as the golden; lines: the same lines in any
   * order; status: the exit status only; check: only that no check failed
   * and nothing died (the step bound may end the run: a partial run).
   */
  compare?: "exact" | "lines" | "status" | "check";
}

export interface LabConfig {
  name: string;
  title: string;
  kind: "routine" | "schedule";
  /** Files `lab init` copies, relative to the lab's directory. */
  handout: string;
  skeleton: string;
  solution: string;
  /** Routine labs: the routines the student's file must define (Go names, runtime·gogo). */
  routines?: string[];
  tests: LabTest[];
}

/** A lab's configuration from the text of its lab.json (`where` names it in the error). */
export function parseLab(text: string, where: string): LabConfig {
  const cfg = JSON.parse(text) as LabConfig;
  if (!cfg.name || !Array.isArray(cfg.tests)) throw new Error(`${where}/lab.json: not a lab configuration (name, tests)`);
  return cfg;
}
