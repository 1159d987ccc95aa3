// The tests `npm run mutate` runs (stryker.config.mjs): the fast ones that
// exercise src/runtime, src/os, the bridge, the linker and obj6, so that a
// mutant is judged in seconds. Left out, and why: the Go twins and the
// oracles that build Go code (programs, layout, dwarf: minutes, and they
// check output the tests below check more directly), whole-program lockstep
// (verify.test.ts), the slow preemption runs (preempt.test.ts: minutes;
// the scheduler's preemption paths are in test/runtime/sched.test.ts), and
// the tests that spawn the command (test/readme, the stepper's script): a
// child process runs the sources unmutated, so they cannot kill a mutant.
// test/helpers/asm-cache.ts assembles asm/*.s once per test file rather
// than once per program run.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/runtime/sched.test.ts",
      "test/runtime/bridge.test.ts",
      "test/runtime/regabi.test.ts",
      "test/runtime/print.test.ts",
      "test/runtime/runq.test.ts",
      "test/runtime/proc.test.ts",
      "test/runtime/sema.test.ts",
      "test/runtime/mem.test.ts",
      "test/runtime/malloc.test.ts",
      "test/runtime/stack.test.ts",
      "test/runtime/gogo.test.ts",
      "test/runtime/offsets.test.ts",
      "test/runtime/fatal.test.ts",
      "test/runtime/stackgrow.test.ts",
      "test/os/kernel.test.ts",
      "test/os/syscalls.test.ts",
      "test/engine/load.test.ts",
      "test/hostile/guest.test.ts",
      "test/asm/link.test.ts",
      "test/asm/encode.test.ts",
      "test/asm/errors.test.ts",
      "test/asm/oracle.test.ts",
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    setupFiles: ["test/setup.ts", "test/helpers/asm-cache.ts"],
    // The runtime image cache on disk keys on the assembler's sources, which
    // Stryker's instrumented copy keeps the same for every mutant (see
    // test/helpers/asm-cache.ts): off, so that link.ts and obj6.ts mutants run.
    env: { GMPEMU_CACHE: "0" },
  },
});
