// Loading a linked image into an engine, and calling one of its functions.
//
// The image's text symbols go on pages mapped r-x and its data symbols on
// pages mapped rw- (a page holding both gets both). Around them the loader
// maps what a function needs to run on its own, at fixed addresses far from
// the image (the linker puts text at 0x401000 and data after it):
//
//   STACK_LO..STACK_HI  a 256 KiB stack; each call starts at the top;
//   TLS_PAGE            one page; FS base points into it so that the g slot
//                       at FS-8 (Go's TLS offset for the local-exec model) is
//                       mapped; the slot holds the address of a stand-in g
//                       whose stack bounds are the stack above, so that a
//                       stack-split prologue (CMPQ SP, 16(g)) passes;
//   HOST_PAGE           one page declared as host range: a function's final
//                       RET to the sentinel return address there stops as
//                       {kind: "hostcall"} instead of running anything.
//
// R14 holds the same g (Go's ABIInternal g register). Loading is done
// through the Engine interface only, so both engines are prepared alike:
// pages are mapped writable, filled, then given their final protection
// (an engine may refuse to write through r-x pages).
//
// Rejected: reusing the kernel's layout (src/os is a later layer; the loader
// must work for `gmpemu verify` on a single file without a runtime).
import {
  type Engine, type Stop, PROT_READ, PROT_WRITE, PROT_EXEC, REG_RIP, REG_RFLAGS, REG_FS_BASE, REG_RSP, REG_R14, regId,
} from "./engine.ts";

export const PAGE = 4096;
export const STACK_HI = 0x7ffe_0000;
export const STACK_LO = STACK_HI - 0x40000;
export const TLS_PAGE = STACK_LO - 0x10000;
/** FS base: the g slot at FS-8 lands in TLS_PAGE. */
export const FS_BASE = TLS_PAGE + 0x800;
/** The stand-in g lives in the TLS page too. */
export const G_ADDR = TLS_PAGE + 0x100;
export const HOST_PAGE = TLS_PAGE - 0x10000;
/** Return address of a called function: a RET here is a return to the host. */
export const SENTINEL = HOST_PAGE;

// Go 1.19 g layout (runtime2.go): stack.lo 0, stack.hi 8, stackguard0 16, stackguard1 24.
const G_STACK_LO = 0, G_STACK_HI = 8, G_STACKGUARD0 = 16, G_STACKGUARD1 = 24;
/** Go's StackGuard on linux/amd64 (928): the prologue's headroom. */
const STACK_GUARD = 928;

/** What the loader needs of a linked image (src/asm/link.ts's Image has it). */
export interface LoadableImage {
  readonly symbols: readonly {
    readonly name: string;
    readonly kind: string;
    readonly addr: number;
    readonly size: number;
    readonly bytes: Uint8Array;
  }[];
}

export interface Loaded {
  /** Symbol name → address. */
  readonly addrOf: ReadonlyMap<string, number>;
  /** Mapped image pages [start, end) with their protection. */
  readonly regions: readonly { start: number; end: number; prot: number }[];
}

const down = (a: number): number => Math.floor(a / PAGE) * PAGE;
const up = (a: number): number => Math.ceil(a / PAGE) * PAGE;

/** Maps the image's pages (text r-x, data rw-) and writes its bytes. */
export function mapImage(e: Engine, image: LoadableImage): Loaded {
  const pages = new Map<number, number>();
  for (const s of image.symbols) {
    if (s.size === 0 && s.bytes.length === 0) continue;
    const prot = s.kind === "text" ? PROT_READ | PROT_EXEC : PROT_READ | PROT_WRITE;
    const end = s.addr + Math.max(s.size, s.bytes.length);
    for (let p = down(s.addr); p < end; p += PAGE) pages.set(p, (pages.get(p) ?? 0) | prot);
  }
  // Coalesce consecutive pages of equal protection.
  const regions: { start: number; end: number; prot: number }[] = [];
  for (const p of [...pages.keys()].sort((x, y) => x - y)) {
    const prot = pages.get(p)!;
    const last = regions[regions.length - 1];
    if (last && last.end === p && last.prot === prot) last.end = p + PAGE;
    else regions.push({ start: p, end: p + PAGE, prot });
  }
  for (const r of regions) e.map(r.start, r.end - r.start, PROT_READ | PROT_WRITE);
  const addrOf = new Map<string, number>();
  for (const s of image.symbols) {
    addrOf.set(s.name, s.addr);
    if (s.bytes.length > 0) e.write(s.addr, s.bytes);
  }
  for (const r of regions) if (r.prot !== (PROT_READ | PROT_WRITE)) e.protect(r.start, r.end - r.start, r.prot);
  return { addrOf, regions };
}

/** Maps and fills the image, the stack, TLS with a stand-in g, and the host page. */
export function loadImage(e: Engine, image: LoadableImage): Loaded {
  const loaded = mapImage(e, image);

  e.map(STACK_LO, STACK_HI - STACK_LO, PROT_READ | PROT_WRITE);
  e.map(TLS_PAGE, PAGE, PROT_READ | PROT_WRITE);
  e.writeU64(G_ADDR + G_STACK_LO, BigInt(STACK_LO));
  e.writeU64(G_ADDR + G_STACK_HI, BigInt(STACK_HI));
  e.writeU64(G_ADDR + G_STACKGUARD0, BigInt(STACK_LO + STACK_GUARD));
  e.writeU64(G_ADDR + G_STACKGUARD1, BigInt(STACK_LO + STACK_GUARD));
  e.writeU64(FS_BASE - 8, BigInt(G_ADDR));
  e.setReg(REG_FS_BASE, BigInt(FS_BASE));
  e.map(HOST_PAGE, PAGE, PROT_READ | PROT_EXEC);
  e.setHostRange(HOST_PAGE, HOST_PAGE + PAGE);
  return loaded;
}

/**
 * Sets up a call of the function at `addr` from a fresh stack: the sentinel
 * return address on top, the ABI0 arguments above it (8(SP), 16(SP)...),
 * RIP at the function, R14 = g, the other general registers zero.
 */
export function prepareCall(e: Engine, addr: number, args: readonly bigint[] = []): void {
  for (let r = 0; r < 16; r++) e.setReg(regId(r), 0n);
  const sp = STACK_HI - 64 - 8 * args.length;
  e.writeU64(sp, BigInt(SENTINEL));
  args.forEach((v, i) => e.writeU64(sp + 8 * (i + 1), v));
  e.setReg(REG_RSP, BigInt(sp));
  e.setReg(REG_R14, BigInt(G_ADDR));
  e.setReg(REG_RFLAGS, 0x202n); // IF set, as in user mode; engines start with different flags
  e.setReg(REG_RIP, BigInt(addr));
}

export interface CallResult {
  /** True when the function returned to the sentinel. */
  returned: boolean;
  /** Why the run ended (a hostcall at SENTINEL when it returned). */
  stop: Stop;
  /** Instructions executed by the call. */
  steps: number;
}

/** Runs `sym` from a fresh stack until it returns, stops otherwise, or maxSteps pass. */
export function callFunction(e: Engine, loaded: Loaded, sym: string, maxSteps: number, args: readonly bigint[] = []): CallResult {
  const addr = loaded.addrOf.get(sym);
  if (addr === undefined) throw new Error(`no symbol ${sym} in the image`);
  prepareCall(e, addr, args);
  const start = e.icount;
  const stop = e.run(maxSteps);
  const returned = stop.kind === "hostcall" && stop.addr === SENTINEL;
  return { returned, stop, steps: e.icount - start };
}
