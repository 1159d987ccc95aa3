// Fatal errors: Go's throw and fatal.
//
// When the runtime finds one of its invariants broken it does not log and
// carry on: `throw` prints "fatal error: <msg>" with a goroutine traceback and
// kills the process. Our port does the same through a TypeScript exception,
// GoThrow, which carries Go's message unchanged, plus the "runtime: ..."
// lines Go prints just before some throws (casgstatus, mSpanList.insert ...),
// so that the layer printing it can reproduce Go's output:
//
//   runtime: casgstatus: oldval=0x1 newval=0x1
//   fatal error: casgstatus: bad incoming values
//
// followed by the goroutine dump, which is not ours to print: whoever catches
// the exception (the bridge, the CLI) knows the threads and their goroutines.
//
// `fatal` is Go 1.19's variant for errors that are the user's fault ("all
// goroutines are asleep - deadlock!"); it prints the same line, but Go's
// traceback then hides runtime frames. GoThrow.kind says which one it was.
//
// `throw` is a reserved word in JavaScript, so Go's throw is `throw_` here.
//
// Rejected: returning error values up the stack. A broken invariant means the
// emulated process is dead; unwinding everything to the top is exactly what
// an exception does.

/** A fatal runtime error, as Go's throw or fatal raises it. */
export class GoThrow extends Error {
  constructor(
    /** Go's message, without "fatal error: ". */
    readonly msg: string,
    /** throw: the runtime's own invariant; fatal: the program's fault. */
    readonly kind: "throw" | "fatal" = "throw",
    /** Lines Go prints (with print/println) just before throwing, without newlines. */
    readonly prints: readonly string[] = [],
  ) {
    super(`fatal error: ${msg}`);
    this.name = "GoThrow";
  }

  /** What Go writes to stderr before the goroutine dump. */
  text(): string {
    return this.prints.map((l) => l + "\n").join("") + `fatal error: ${this.msg}\n`;
  }
}

/**
 * A fault in the runtime: a host function read or wrote memory that is
 * not mapped (a bad pointer handed to chansend, newproc ...). Go's runtime
 * takes the SIGSEGV, sees it in runtime code, and throws with the signal's
 * line; so do we, with the host function's address as the pc.
 */
export class GoFault extends GoThrow {
  constructor(readonly addr: bigint, readonly pc: number) {
    super("unexpected signal during runtime execution", "throw");
    this.name = "GoFault";
  }

  override text(): string {
    return `fatal error: ${this.msg}\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x${this.addr.toString(16)} pc=0x${this.pc.toString(16)}]\n`;
  }
}

/** throw: a runtime invariant is broken. `prints` are the lines Go prints before it. */
export function throw_(msg: string, ...prints: string[]): never {
  throw new GoThrow(msg, "throw", prints);
}

/** fatal: the program did something fatal (Go 1.19's runtime.fatal). */
export function fatal(msg: string): never {
  throw new GoThrow(msg, "fatal");
}

/** A number as Go's print(hex(v)) shows it: 0x and lower-case digits. */
export function hex(v: number | bigint): string {
  return "0x" + v.toString(16);
}

/** A Go panic the program cannot recover from here: printed as Go prints an unrecovered panic. */
export class GoPanic extends GoThrow {
  override text(): string {
    return `panic: ${this.msg}\n`;
  }
}

/** gopanic with a runtime error string: fatal here, as there is no recover. */
export function gopanic(msg: string): never {
  throw new GoPanic(msg, "fatal");
}
