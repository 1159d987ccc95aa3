// The stepper's commands: their help, and the names completion offers.
// One table, so `help`, `help CMD`, the unknown-command message and tab
// completion never disagree about what exists.

export interface CommandHelp {
  /** The names it answers to, the first being the one shown. */
  names: readonly string[];
  /** How it is typed. */
  usage: string;
  /** What it does, in one line. */
  what: string;
  /** What its argument names, for completion. */
  arg?: "location" | "expr" | "event" | "info" | "register" | "goid" | "none";
}

export const COMMANDS: readonly CommandHelp[] = [
  // Moving forward.
  { names: ["s", "step"], usage: "s", what: "to the next line of the program's source, into calls and other goroutines", arg: "none" },
  { names: ["n", "next"], usage: "n", what: "to the next line of this goroutine in this function (over calls and parks)", arg: "none" },
  { names: ["si", "stepi"], usage: "si [N]", what: "N instructions (any thread; a host function of the scheduler is one step)", arg: "none" },
  { names: ["ni", "nexti"], usage: "ni", what: "one instruction, stepping over a CALL", arg: "none" },
  { names: ["finish"], usage: "finish", what: "until the current function returns", arg: "none" },
  { names: ["until", "u"], usage: "until SYM|ADDR|FILE:LINE", what: "until RIP reaches it (or a breakpoint stops first)", arg: "location" },
  { names: ["c", "continue"], usage: "c", what: "continue to a breakpoint, a watchpoint or the end (Ctrl-C stops it)", arg: "none" },
  { names: ["se", "event"], usage: "se [@event]", what: "to the next scheduler event (switch, park, ready ...), or the next of one kind", arg: "event" },
  { names: ["sg"], usage: "sg GOID [N]", what: "N instructions of goroutine GOID only (the others run but do not stop)", arg: "goid" },
  // Moving back.
  { names: ["rsi", "reverse-stepi"], usage: "rsi [N]", what: "N steps back (replayed from the start, the program's output not printed again)", arg: "none" },
  { names: ["rc", "reverse-continue"], usage: "rc", what: "back to the previous stop (the last place a command stopped before this step)", arg: "none" },
  // Stops.
  { names: ["b", "break"], usage: "b SYM|ADDR|FILE:LINE|@event [if goid == N]", what: "a breakpoint; @switch @preempt @newproc @park @ready @steal @syscall @signal are the scheduler's events", arg: "location" },
  { names: ["watch"], usage: "watch g N FIELD | g.FIELD | EXPR", what: "stop when it changes: goroutine N's field (g 5 sched.sp), the current goroutine's at each stop (g.sched.sp), or the 8 bytes at an address", arg: "expr" },
  { names: ["delete", "d"], usage: "delete [ID...]", what: "delete breakpoints and watchpoints (all of them without an ID)", arg: "none" },
  // Looking.
  { names: ["info", "i"], usage: "info registers [REG...] | breakpoints | display | threads | goroutines", what: "gdb's info", arg: "info" },
  { names: ["x"], usage: "x/NFU EXPR", what: "memory: N units (U: b h w g) as F (x d u c, or i for instructions); fields of a g, gobuf, M or P are named", arg: "expr" },
  { names: ["p", "print"], usage: "p[/x|/d] EXPR", what: "a value: $rsp, $AX, g.sched.sp, g 5 sched.pc, runtime·gogo, *($sp+8) (p alone: the Ps)", arg: "expr" },
  { names: ["display"], usage: "display[/FMT] EXPR", what: "show EXPR at every stop (display/i $pc: the next instruction)", arg: "expr" },
  { names: ["undisplay"], usage: "undisplay [N...]", what: "stop showing displays (all of them without a number)", arg: "none" },
  { names: ["disas", "disassemble"], usage: "disas [SYM|ADDR]", what: "the whole function around RIP (or SYM), RIP marked", arg: "location" },
  { names: ["list", "l"], usage: "list [SYM|FILE:LINE|LINE]", what: "source lines around RIP (again: the next ones)", arg: "location" },
  { names: ["regs"], usage: "regs", what: "the registers, changed ones marked", arg: "none" },
  { names: ["bt", "backtrace"], usage: "bt", what: "frames: assembly by the frame pointers, TypeScript runtime functions by name", arg: "none" },
  // The scheduler.
  { names: ["g"], usage: "g [GOID]", what: "a goroutine: status, stack, gobuf (the current one without GOID)", arg: "goid" },
  { names: ["goroutines"], usage: "goroutines", what: "every live goroutine, where it is", arg: "none" },
  { names: ["m"], usage: "m", what: "the Ms: thread, current goroutine, P", arg: "none" },
  { names: ["ps"], usage: "ps  (or p alone)", what: "the Ps: status, M, schedtick, runnext, local run queue", arg: "none" },
  { names: ["sched"], usage: "sched", what: "the global run queue, idle Ps and Ms", arg: "none" },
  { names: ["threads"], usage: "threads", what: "the kernel's threads, their state and RIP", arg: "none" },
  { names: ["thread"], usage: "thread TID", what: "one thread's RIP and RSP", arg: "none" },
  { names: ["help", "h"], usage: "help [CMD]", what: "this list, or one command's", arg: "none" },
  { names: ["quit", "q"], usage: "quit", what: "leave (Ctrl-D too)", arg: "none" },
];

/** `info` subcommands. */
export const INFO_SUBCOMMANDS: readonly string[] = ["registers", "breakpoints", "display", "threads", "goroutines", "watchpoints", "all-registers"];

/** Every command name, for completion. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.flatMap((c) => c.names);

/** The help: every command, or one. */
export function helpText(cmd?: string): string {
  if (cmd) {
    const c = COMMANDS.find((x) => x.names.includes(cmd));
    if (!c) throw new Error(`help: no command "${cmd}" (type help for the list)`);
    return `${c.usage}\n  ${c.what}${c.names.length > 1 ? `\n  (also: ${c.names.slice(1).join(", ")})` : ""}\n`;
  }
  const w = Math.max(...COMMANDS.map((c) => c.usage.length));
  const lines = COMMANDS.map((c) => `  ${c.usage.padEnd(w)}  ${c.what}`);
  return `commands (gdb's names work too: stepi, nexti, continue, break, print, disassemble):\n${lines.join("\n")}\n` +
    "  Enter repeats the last command; Tab completes commands, symbols and registers; Ctrl-L clears the screen.\n" +
    "  Registers: $rax … $r15, $rip, $eflags, or Go's $AX … $R15, $SP, $BP, $PC (any case; $pc $sp $fp).\n";
}
