// What each program in programs/ guarantees about its output under any
// interleaving, with any number of Ps: written from the program (its Go
// twin says the same in Go), never from a run of ours. programs.test.ts
// holds every four-P run to these, and sched.test.ts the runs it watches.
// Each takes the lines of stderr (where println writes); stdout is empty
// for every program.
import { expect } from "vitest";

type Check = (got: readonly string[]) => void;

const matching = (l: readonly string[], re: RegExp): string[] => l.filter((x) => re.test(x));
const sorted = (l: readonly string[]): string[] => [...l].sort();
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * deeprec.go's two reports, by its arithmetic in int64: rec(0) adds 1000
 * to the anchor and returns anchor*31 + v + pad; rec(k) returns
 * rec(k-1)*31 + v + pad, with v = 7k+3 incremented once through its
 * pointer and pad = k ^ 0x5a5a.
 */
function deeprecLines(): string[] {
  let anchor = 7n;
  const out: string[] = [];
  for (const depth of [10000, 100]) {
    anchor += 1000n;
    let r = anchor;
    for (let k = 0; k <= depth; k++) r = BigInt.asIntN(64, r * 31n + BigInt(7 * k + 4) + BigInt(k ^ 0x5a5a));
    out.push(`depth ${depth} checksum ${r}`, `anchor ${anchor}`);
  }
  return out;
}

export const INVARIANTS: Record<string, Check> = {
  // Three workers print once each, in any order; main's line comes after
  // all three (it received three values first).
  hello: (got) => {
    expect(sorted(got.slice(0, 3))).toEqual(range(3).map((i) => `worker ${i} running`));
    expect(got.slice(3)).toEqual(["all 3 workers done"]);
  },
  // Each loop prints its own 0, 1, 2 in order; the count at the end may
  // include a loop that has sent on done and not yet returned.
  gosched: (got) => {
    expect(got).toHaveLength(7);
    for (const who of ["ping", "pong"]) expect(matching(got, new RegExp(`^${who} `))).toEqual(range(3).map((i) => `${who} ${i}`));
    expect(got.at(-1)).toMatch(/^goroutines: [123]$/);
  },
  // Unbuffered hand-offs: one value in flight at a time, so one order.
  pingpong: (got) => {
    expect(got).toEqual(["ping 0", "pong 1", "ping 2", "pong 3", "ping 4", "pong 5", "final 6"]);
  },
  // Sends in order and receives in order; "closing" after the last send;
  // main's line last, after every value was received.
  buffered: (got) => {
    expect(got).toHaveLength(12);
    expect(matching(got, /^sent /)).toEqual(range(5).map((i) => `sent ${i}`));
    expect(matching(got, /^received /)).toEqual(range(5).map((i) => `received ${i}`));
    expect(got.indexOf("closing")).toBeGreaterThan(got.indexOf("sent 4"));
    expect(got.at(-1)).toBe("closed and drained");
  },
  // A channel of capacity 2 as a semaphore: at most two workers between
  // "in" and "out"; each worker's "in" before its "out"; "all done" last.
  semaphore: (got) => {
    expect(sorted(got.slice(0, 8))).toEqual(sorted(range(4).flatMap((i) => [`worker ${i} in`, `worker ${i} out`])));
    let inside = 0;
    for (const l of got) {
      if (l.endsWith(" in")) inside++;
      if (l.endsWith(" out")) inside--;
      expect(inside).toBeLessThanOrEqual(2);
      expect(inside).toBeGreaterThanOrEqual(0);
    }
    for (const id of range(4)) expect(got.indexOf(`worker ${id} in`)).toBeLessThan(got.indexOf(`worker ${id} out`));
    expect(got.at(-1)).toBe("all done");
  },
  // Timers fire in deadline order (10, 20, 30 ms of virtual time).
  sleep: (got) => {
    expect(got).toEqual(["woke after 10 ms", "woke after 20 ms", "woke after 30 ms", "all awake"]);
  },
  // Goexit ends the worker inside inner(); main waits until it is gone.
  goexit: (got) => {
    expect(got).toEqual(["inner: calling Goexit", "main: goroutines: 1"]);
  },
  // NumGoroutine: main alone, then main and three workers (running or
  // blocked), then main alone once they have all ended.
  numgoroutine: (got) => {
    expect(got).toEqual(["at start: 1", "created: 4", "blocked: 4", "at end: 1"]);
  },
  // 100,000 values received.
  many: (got) => {
    expect(got).toEqual(["finished 100000"]);
  },
  // One goroutine: its checksums are deeprec.go's arithmetic.
  deeprec: (got) => {
    expect(got).toEqual(deeprecLines());
  },
  // main waits for the spinner to start, then for the printer's three lines.
  spin: (got) => {
    expect(got).toEqual(["spinner is spinning", "printer 0", "printer 1", "printer 2", "main: done"]);
  },
  // Fair sharing (by preemption with one P, by having a P each with more):
  // the hog and light counts end within 5x of each other.
  hog: (got) => {
    expect(got).toEqual(["within 5x: true"]);
  },
  // Each worker's lines in its order; worker 0 never unlocks; main last.
  lockthread: (got) => {
    expect(sorted(got.slice(0, 5))).toEqual(sorted([
      "worker 0 locked", "worker 0 after Gosched", "worker 1 locked", "worker 1 after Gosched", "worker 1 unlocked",
    ]));
    for (const id of [0, 1]) {
      const mine = matching(got, new RegExp(`^worker ${id} `));
      expect(mine.slice(0, 2)).toEqual([`worker ${id} locked`, `worker ${id} after Gosched`]);
    }
    expect(got.at(-1)).toBe("main: done");
  },
  // main's two lines around its 50 ms call, the worker's three in order
  // (they finish in microseconds, well inside the call), "main: done" last.
  syscall: (got) => {
    expect(got).toHaveLength(6);
    expect(got[0]).toBe("main: entering a 50ms system call");
    expect(matching(got, /^worker /)).toEqual(range(3).map((i) => `worker ${i}`));
    expect(got.indexOf("worker 2")).toBeLessThan(got.indexOf("main: back from the system call"));
    expect(got.at(-1)).toBe("main: done");
  },
};
