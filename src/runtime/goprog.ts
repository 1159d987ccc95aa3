// What the runtime knows of a program compiled by Go (a `go build` binary,
// loaded by src/golang/): the questions Go's runtime answers from its own
// moduledata and pclntab, and which the TypeScript runtime must answer the
// same way for compiled code.
//
// The loader (src/golang/load.ts) implements it over the binary's
// .gopclntab; an assembly program has none (Runtime.go is undefined) and
// every answer falls back to the assembler's image, as before.
//
// Nothing here runs machine code or touches memory: the runtime's files
// import it without an import cycle.

/** Where async preemption may land in compiled code (Go's isAsyncSafePoint, its pclntab half). */
export interface GoSafePoint {
  /** "" when safe; else why not, in the words of --stats. */
  reason: string;
  /** Where to resume: pc, or the start of a restartable sequence, or the function's entry. */
  pc: number;
}

export interface GoProgram {
  /** The binary's path (for messages). */
  readonly path: string;
  /** Address of main..inittask: runtime.main runs doInit on it before main.main. */
  readonly mainInittask: number;
  /** moduledata.types: the base of the type descriptors' nameOffs and typeOffs. */
  readonly types: number;
  /** os.Args, as the program sees them. */
  readonly args: readonly string[];
  /** moduledata.text: the base of the methods' textOffs. */
  readonly text: number;
  /** The itabs the linker wrote (.itablink), which getitab finds first. */
  readonly itabs: readonly number[];
  /** Whether pc is in a function compiled by Go (not our assembly, not a host function). */
  isGoCode(pc: number): boolean;
  /** isAsyncSafePoint's pclntab checks at pc (the M and stack checks are the caller's). */
  asyncSafePoint(pc: number): GoSafePoint;
  /** How far SP is below the function's entry SP at pc (funcspdelta), or undefined outside compiled code. */
  spdelta(pc: number): number | undefined;
  /** The Go function containing pc (inlined code: the function it was inlined into). */
  funcName(pc: number): string | undefined;
  /** The source position of pc. */
  line(pc: number): { file: string; line: number } | undefined;
}
