// `gmpemu gdb PROGRAM.s… --port P`: boot the program on the emulated machine,
// stopped before its first instruction, and serve gdb's remote protocol on
// 127.0.0.1:P (src/gdb/server.ts); --port 0 picks a free port, and the port
// is printed either way. With --elf, first write an ELF file with the
// image's code, symbols, line table and frame rules for gdb's `file`
// command; its path is checked before anything is built (src/cli/outpath.ts).
// The stub serves one gdb at a time, for as many sessions as come, until
// gdb kills the program or the program ends with no gdb attached (--once:
// the first session only). The exit status is the program's (0 if it did
// not end).
import type { Command } from "commander";
import { checkOutputs, runInputs, writeOutput } from "./outpath.ts";
import { buildMachine } from "../node/boot.ts";
import { writeElf } from "../gdb/elf.ts";
import { startGdbServer } from "../gdb/server.ts";
import { runFlags, runOptions, UsageError, type RunFlagValues } from "./flags.ts";

interface GdbCliOptions extends RunFlagValues {
  port?: string;
  elf?: string;
  verbose?: boolean;
  force?: boolean;
  once?: boolean;
  runtimeAsm?: string[];
}

function intOpt(name: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name}: not an integer in [${min}, ${max}]: ${v}`, "gdb");
  return n;
}

export function registerGdb(program: Command, setStatus: (s: number) => void): void {
  const cmd = program
    .command("gdb")
    .description("serve the GDB remote protocol for a program, .s or .go (gdb: target remote :PORT)")
    .argument("<files...>", "the program's files: .s (assembly) or .go (source)")
    .requiredOption("--port <n>", "TCP port on 127.0.0.1 (0: any free port, printed)")
    .option("--elf <file>", "write an ELF file with the program's code, symbols and lines (for gdb's `file`)")
    .option("--force", "overwrite an existing --elf file even if it is not an ELF file (never an input)")
    .option("--once", "serve the first gdb only (gdbserver's --once)")
    .option("--verbose", "print the protocol's packets to stderr")
    .option("--runtime-asm <file.s>", "use the routines FILE.s defines (TEXT runtime·gogo ...) in place of the runtime's own; repeatable", (v: string, prev: string[] = []) => [...prev, v]);
  runFlags(cmd, { omit: ["engine", "maxInsns"] })
    .addHelpText("after", `
Example:
  gmpemu gdb programs/hello.s --port 0 --elf hello.elf     # prints the port
  gdb -ex 'file hello.elf' -ex 'target remote :PORT'
  (gdb) break main.main
  (gdb) continue
  (gdb) bt                          # through the TypeScript runtime's frames (runtime.hostframe)
  (gdb) set backtrace past-main on  # and on past main.main to runtime.goexit
  (gdb) monitor goroutines          # every goroutine: status, wait reason, M, where
  (gdb) monitor g 1                 # one goroutine's gobuf, stack and frames
  (gdb) monitor bt                  # this thread's frames, host functions by name
  (gdb) detach                      # the program runs on; another gdb may attach
`);
  cmd.action(async (files: string[], o: GdbCliOptions) => {
    const port = intOpt("--port", o.port ?? "", 0, 65535);
    // Before anything is built: a bad --elf must not cost the source or a run.
    if (o.elf !== undefined) checkOutputs([{ option: "--elf", path: o.elf, kind: "elf" }], [...runInputs(files), ...(o.runtimeAsm ?? [])], { force: o.force === true });
    const m = buildMachine(files, { ...runOptions("gdb", o), ...(o.runtimeAsm ? { runtimeAsm: o.runtimeAsm } : {}) });
    try {
      if (o.elf !== undefined) writeOutput("--elf", o.elf, writeElf(m.image, { name: files[0] ?? "gmpemu" }));
      const opts: Parameters<typeof startGdbServer>[1] = { port };
      if (o.verbose) opts.log = (l) => process.stderr.write(`gdb ${l}\n`);
      if (o.once) opts.once = true;
      const srv = await startGdbServer(m, opts);
      process.stderr.write(`gmpemu: gdb stub listening on 127.0.0.1:${srv.port}\n`);
      const how = await srv.done;
      process.stderr.write(`gmpemu: gdb session ended (${how})\n`);
      setStatus(srv.stub.exitCode ?? 0);
    } finally {
      m.engine.close();
    }
  });
}
