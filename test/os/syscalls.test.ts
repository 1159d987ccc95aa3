// The emulated kernel's system calls, each with good arguments and with
// what Linux refuses (test/os/syscalls.s, one thread, no runtime): the
// results are Linux's numbers, written here from Linux's rules (errno
// values, struct layouts), not from a run.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildImage } from "../../src/asm/index.ts";
import { nodeSource } from "../../src/node/nodefs.ts";
import { createEngine } from "../../src/engine/index.ts";
import { mapImage } from "../../src/engine/load.ts";
import { PROT_READ, PROT_WRITE, REG_FS_BASE } from "../../src/engine/engine.ts";
import { Kernel } from "../../src/os/kernel.ts";

const EBADF = -9, EINVAL = -22, EFAULT = -14, EAGAIN = -11, ETIMEDOUT = -110, ENOSYS = -38, ESRCH = -3;

function run(seed = 1) {
  const { image } = buildImage([join(import.meta.dirname, "syscalls.s")], { source: nodeSource });
  const e = createEngine("interp");
  mapImage(e, image);
  e.map(0x7000_0000, 0x10000, PROT_READ | PROT_WRITE);
  let out = "", err = "";
  const k = new Kernel(e, { seed, stdout: (b) => (out += Buffer.from(b).toString()), stderr: (b) => (err += Buffer.from(b).toString()) });
  k.newThread({ rip: image.addrOf("main.start")!, rsp: 0x7000_fff0 });
  const exit = k.run(1_000_000);
  const at = (name: string): number => image.addrOf(name)!;
  const u64 = (a: number): bigint => e.readU64(a);
  const i64 = (a: number): number => Number(BigInt.asIntN(64, u64(a)));
  const res = (slot: number): number => i64(at("main.res") + 8 * slot);
  return { e, k, exit, out, err, at, u64, i64, res };
}

describe("system calls, as Linux answers them", () => {
  const r = run();

  it("the process ends on SIGTERM, which has no handler: 128+15", () => {
    expect(r.exit).toEqual({ kind: "exit", code: 143 });
  });

  it("write: fds 1 and 2 only; a negative length, a bad pointer, an empty write", () => {
    expect([0, 1, 2, 3, 4, 5].map(r.res)).toEqual([3, 2, EBADF, EINVAL, EFAULT, 0]);
    expect(r.out).toBe("hi\n");
    expect(r.err).toBe("hi");
  });

  it("getpid is the first thread's id, gettid the caller's", () => {
    expect([r.res(6), r.res(7)]).toEqual([1000, 1000]);
  });

  it("arch_prctl: only ARCH_SET_FS; a store through the TLS slot lands at FS-8", () => {
    expect([r.res(8), r.res(9)]).toEqual([EINVAL, 0]);
    expect(r.u64(r.at("main.tls"))).toBe(77n);
  });

  it("clock_gettime: the virtual clock as {sec, nsec}; EFAULT for a bad pointer", () => {
    expect([r.res(10), r.res(11)]).toEqual([0, EFAULT]);
    const ns = (a: number): number => r.i64(a) * 1e9 + r.i64(a + 8);
    const t1 = ns(r.at("main.ts")), t2 = ns(r.at("main.ts2"));
    expect(r.i64(r.at("main.ts"))).toBe(0);
    expect(t1).toBeGreaterThan(0);
    expect(t1).toBeLessThan(1000); // a few dozen instructions in, at 1 ns each
    // nanosleep of 2 ms between them (one thread: the clock jumps to its deadline).
    expect(t2 - t1).toBeGreaterThanOrEqual(2_000_000);
    expect(t2 - t1).toBeLessThan(2_000_000 + 1000);
  });

  it("nanosleep: EFAULT for NULL, at once for zero, 0 after sleeping", () => {
    expect([r.res(12), r.res(13), r.res(14), r.res(15)]).toEqual([EFAULT, 0, 0, 0]);
  });

  it("futex: EAGAIN for another value, EFAULT, ETIMEDOUT after its timeout, WAKE counts 0, an unknown op ENOSYS", () => {
    expect([16, 17, 18, 19, 20].map(r.res)).toEqual([EAGAIN, EFAULT, ETIMEDOUT, 0, ENOSYS]);
  });

  it("rt_sigaction: not signal 0 or SIGKILL, only SA_SIGINFO|SA_RESTORER handlers; the old action read back; EFAULT", () => {
    expect([21, 22, 23, 24, 25, 26].map(r.res)).toEqual([EINVAL, EINVAL, EINVAL, 0, 0, EFAULT]);
    const old = r.at("main.oldact");
    expect([r.u64(old), r.u64(old + 8), r.u64(old + 16), r.u64(old + 24)]).toEqual([
      BigInt(r.at("main.handler")), 0x0c000004n, BigInt(r.at("main.restorer")), 0x800n,
    ]);
  });

  it("rt_sigprocmask: block, read, unblock; SIGKILL cannot be blocked; EINVAL, EFAULT", () => {
    expect([27, 28, 29, 30, 31].map(r.res)).toEqual([0, 0, EINVAL, 0, EFAULT]);
    expect(r.u64(r.at("main.old1"))).toBe(0n);
    // Blocking SIGUSR1|SIGKILL blocked SIGUSR1 only.
    expect(r.u64(r.at("main.old2"))).toBe(0x200n);
    expect(r.u64(r.at("main.old3"))).toBe(0x200n);
  });

  it("sigaltstack: set (the old one was disabled), read back, disable, EFAULT", () => {
    expect([32, 33, 34, 35, 36].map(r.res)).toEqual([0, 0, 0, 0, EFAULT]);
    const ss = (name: string): [bigint, number, bigint] => {
      const a = r.at(name);
      return [r.u64(a), Number(r.u64(a + 8) & 0xffffffffn), r.u64(a + 16)];
    };
    expect(ss("main.oss1")).toEqual([0n, 2, 0n]);
    expect(ss("main.oss2")).toEqual([BigInt(r.at("main.altstack")), 0, 8192n]);
    expect(ss("main.oss3")[1]).toBe(2);
  });

  it("tgkill: EINVAL past 64, ESRCH for no such thread, 0 for signal 0", () => {
    expect([37, 38, 39].map(r.res)).toEqual([EINVAL, ESRCH, 0]);
  });

  it("madvise succeeds, mmap is not there, sched_yield succeeds", () => {
    expect([40, 41, 42].map(r.res)).toEqual([0, ENOSYS, 0]);
  });

  it("clone: the parent gets the child's id, the child runs on its own stack and exits alone", () => {
    expect(r.res(43)).toBe(1001);
    expect(r.res(44)).toBe(1001);
    expect(r.k.threads.map((t) => [t.tid, t.state])).toEqual([[1000, "runnable"], [1001, "exited"]]);
  });

  it("a handled signal: on the sigaltstack, with signo and SI_TKILL; what resumes is the ucontext the handler edited", () => {
    expect(r.i64(r.at("main.hsig"))).toBe(10);
    expect(r.i64(r.at("main.hcode"))).toBe(-6);
    const sp = r.i64(r.at("main.hsp")), alt = r.at("main.altstack");
    expect(sp).toBeGreaterThan(alt);
    expect(sp).toBeLessThan(alt + 8192);
    // As after a CALL: (SP+8) 16-byte aligned, the restorer at 0(SP).
    expect((sp + 8) % 16).toBe(0);
    expect(r.res(45)).toBe(0x5151);
    expect(r.k.signalsDelivered).toBe(1);
    expect(r.k.sigreturns).toBe(1);
    // The ignored signals ran nothing.
    expect([r.res(46), r.res(47)]).toEqual([0, 0]);
    // The thread's FS base is still the one it set.
    expect(r.k.threads[0]!.regs[REG_FS_BASE]).toBe(BigInt(r.at("main.tls") + 8));
  });

  it("exit_group keeps the low 8 bits of its status", () => {
    const src = "#include \"textflag.h\"\nTEXT ·start(SB), NOSPLIT, $0\n\tMOVQ\t$0x1ff, DI\n\tMOVQ\t$231, AX\n\tSYSCALL\n";
    const e = createEngine("interp");
    const { image: img } = buildImage([writeTmp("exit.s", src)], { source: nodeSource });
    mapImage(e, img);
    e.map(0x7000_0000, 0x10000, PROT_READ | PROT_WRITE);
    const k = new Kernel(e, { stdout: () => {}, stderr: () => {} });
    k.newThread({ rip: img.addrOf("main.start")!, rsp: 0x7000_fff0 });
    expect(k.run(1000)).toEqual({ kind: "exit", code: 0xff });
  });
});

let tmp: string | undefined;
function writeTmp(name: string, text: string): string {
  tmp ??= mkdtempSync(join(tmpdir(), "gmpemu-os-"));
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
}
