// Loading a program compiled by Go 1.19 onto the emulated machine.
//
// WHAT IS READ, AND WHY THE ELF
//
// `go build` writes a statically linked ELF executable; `go build -work`
// could instead leave the compiler's object files. We load the ELF:
//
//   - every address is final: the code's calls, the type descriptors'
//     pointers, the itab links, the init tasks are relocated by Go's own
//     linker, which we would otherwise have to reimplement (Go's object
//     format is internal and changes with every release; the ELF does not);
//   - .gopclntab is there, complete: function bounds, pc → file:line
//     (inlining included), the SP delta at every pc, and the PCDATA
//     unsafe-point tables isAsyncSafePoint reads — the very tables Go's
//     runtime reads, so our tracebacks, stack growth and async preemption
//     decide from the same data as Go's;
//   - it is what a student builds and runs anyway, and what gdb and
//     objdump show them.
//
// The cost is that the binary holds all of Go's runtime, which must not
// run: Go's scheduler, allocator and signal handling would fight ours. So
// the runtime's code is mapped but made unreachable, function by function
// (served.ts decides): each function of Go's src/runtime/ has its first
// bytes replaced by a JMP — to our assembly switch routine (gogo, mcall,
// systemstack, morestack, asyncPreempt, goexit), or to the host function
// that serves it, at its ABI0 or ABIInternal entry as the function's own
// ABI is — or by a CALL to runtime.notProvided, which stops the run and
// names the function; the few leaf helpers that touch no scheduler state
// (memmove, the string, slice and map helpers) and the ABI wrappers (which
// only forward) stay as compiled. A function's place in the runtime is
// decided by its source file (pclntab), not its name, because linknamed
// functions (sync.runtime_Semacquire, time.Sleep) are named for the
// package that calls them.
//
// Rejected: DWARF for lines (compressed .zdebug sections, and pclntab has
// everything needed, down to inlined calls); relinking the program's
// object files against our runtime (Go's object format and its linker's
// dead-code, ABI-wrapper and itab logic are not ours to redo); running
// Go's runtime init (schedinit, mallocinit) and replacing it piecemeal
// (its global state would be a second truth beside ours).
//
// THE MACHINE
//
// The binary's PT_LOAD segments are mapped at their link addresses
// (0x400000 up) with their permissions. Our runtime's assembly
// (asm/*.s) is linked at ASM_TEXT_BASE, within a 32-bit displacement of
// both the binary and the host region, and the two images are seen as one
// (GoImage): our symbols first (runtime.mcall is ours, not the binary's),
// then the binary's functions (from pclntab, named as the ELF symbol table
// names them) and data symbols. runtime..inittask is marked done: the
// runtime's own initialisation is the TypeScript runtime's business;
// runtime.main runs every other package's init functions, then main.main.
//
// Inlining. The compiler may copy a small runtime function into its caller
// (runtime.NumGoroutine and the gcount it calls, into main.main): that
// code reads Go's runtime variables (runtime.allglen, runtime.sched) in the
// binary's data, which nothing keeps up to date — the emulated runtime's
// state is its own. So the program's package is built without inlining
// (src/node/gobuild.ts), and the loader checks every function it will run
// as compiled: an instruction that addresses a runtime variable Go's
// runtime would have set as it ran (one in .bss or .noptrbss: static
// tables such as lockNames are initialised data and stay right), other
// than the few compiled code may read (writeBarrier, zerobase, the CPU
// feature flags: all zero here), makes the load fail with the function,
// the variable and the runtime function inlined there, instead of a run
// that silently answers from stale memory. Inlined code that only touches the
// g and m it is handed is fine: their layouts are Go's, ours.
//
// Declared code. The unicorn engine must know where instructions start
// (src/engine/unicorn.ts, "declared code"): on a page with no declared
// code it classifies every byte offset, and an offset inside a real
// instruction that would start one the interpreter must run (a false
// exit) makes QEMU drop the translations around it after every run —
// a Go binary's text had about 8,400 of them, and ran ~4x slower for it.
// So the loader declares every function of the pclntab (declaredCode):
// the code it runs as compiled in pieces cut at its pc-table boundaries,
// and a patched function as the 5-byte JMP or CALL it now starts with.
// What a Go 1.19 binary's .text holds, checked by test on a real binary:
// the functions of the pclntab tile it exactly (each ends where the next
// begins, the last at runtime.etext), assembly functions (the runtime's
// NOSPLIT ones, memmove, bytealg's) included; the bytes between a
// function's last instruction and the next entry are the linker's INT3
// (0xCC) padding to 32 bytes; there is no data in it (the compiler's
// switch jump tables are read-only data symbols, the build ID a note).
// The text segment's first page (ELF and program headers, the build-ID
// note) is executable and holds no function: nothing is declared there.
// A run that reaches an undeclared offset (only broken code does: return
// addresses, gogo's targets and async preemption's resume pcs are all
// instruction starts) runs the bytes there as the engine's CPU decodes
// them: the interpreter as always; unicorn, on a page with declared
// code, without exits, so an instruction there that the interpreter
// alone defines (CPUID, RDTSC, one it lacks) runs as QEMU does it and
// the engines may then differ (lockstep reports where); on the header
// page, with every offset classified, as the interpreter does.
//
// Invariants: every function of Go's runtime in the binary is exactly one
// of routine, served, compiled or not provided (the patch list says which);
// a patch fits in the function (5 bytes); write barriers are off
// (runtime.writeBarrier stays zero: there is no collector); no compiled
// function outside the runtime addresses a runtime variable we do not keep.

import type { Image, LinkedSym } from "../asm/link.ts";
import { bufSource, decode, K_MEM } from "../cpu/decode.ts";
import { PROT_EXEC, PROT_READ, PROT_WRITE, type Engine } from "../engine/engine.ts";
import { mapImage } from "../engine/load.ts";
import type { GoProgram, GoSafePoint } from "../runtime/goprog.ts";
import { ElfError, ElfFile, PF_W, PF_X, PT_LOAD, SHT_NOBITS, STT_FUNC, STT_OBJECT } from "./elf.ts";
import {
  FUNCDATA_LocalsPointerMaps, funcFlag_ASM, funcID_wrapper, PclnTab, PCDATA_InlTreeIndex, PCDATA_UnsafePoint, Restart1,
  Restart2, RestartAtEntry, UnsafePointUnsafe, type GoFunc,
} from "./pclntab.ts";
import { COMPILED_FILES, COMPILED_FUNCS, NOT_COMPILED, SERVED, SWITCH_ROUTINES } from "./served.ts";

/** Where our runtime's assembly is linked for a compiled program: near the host region, far above the binary. */
export const ASM_TEXT_BASE = 0x7e00_0000;

const PAGE = 4096;
const down = (a: number): number => Math.floor(a / PAGE) * PAGE;
const up = (a: number): number => Math.ceil(a / PAGE) * PAGE;

/** What the loader did with one function of Go's runtime. */
export interface Patch {
  name: string;
  entry: number;
  kind: "routine" | "served" | "compiled" | "not provided";
  /** The routine or host function it jumps to (routine, served). */
  target?: string;
}

/** What the host table offers the loader: host function addresses by name (runtime/bridge.ts's HostTable). */
export interface HostResolver {
  resolve(name: string): number | undefined;
  resolveInternal(name: string): number | undefined;
}

export interface LoadedProgram {
  /** The binary's functions and data, with our assembly in front. */
  image: GoImage;
  /** The runtime's view of the binary (pclntab). */
  go: GoProgram;
  /** Maps both images into an engine. */
  map: (e: Engine) => void;
  /** Every function of Go's runtime and what became of it. */
  patches: Patch[];
  /** The code declared to the engine, [start, end) pieces (declaredCode). */
  code: readonly [number, number][];
  pcln: PclnTab;
  elf: ElfFile;
}

/** A binary the loader cannot run, with the reason in a sentence. */
export class LoadError extends Error {}

/**
 * Reads a `go build` binary, decides what each runtime function becomes,
 * and prepares the images. `asm` is our runtime's assembly linked at
 * ASM_TEXT_BASE; `host` resolves host functions.
 */
export function loadGoBinary(bytes: Uint8Array, path: string, asm: Image, host: HostResolver, args: readonly string[] = [path]): LoadedProgram {
  let elf: ElfFile;
  try {
    elf = new ElfFile(bytes, path);
  } catch (e) {
    if (e instanceof ElfError) throw new LoadError(e.message);
    throw e;
  }
  const pclnSec = elf.section(".gopclntab");
  if (!pclnSec) throw new LoadError(`${path}: no .gopclntab section: not a Go program`);
  const syms = new Map<string, number>();
  for (const s of elf.symbols) if (s.type === STT_FUNC || s.type === STT_OBJECT || s.name.endsWith(".*")) syms.set(s.name, s.value);
  if (!syms.has("main.main")) throw new LoadError(`${path}: no main.main (built with -ldflags=-s? the loader needs the symbol table)`);
  const segs = elf.segments.filter((s) => s.type === PT_LOAD);
  const read = (addr: number, n: number): Uint8Array | undefined => {
    for (const s of segs) {
      if (addr >= s.vaddr && addr + n <= s.vaddr + s.filesz) return elf.bytes.subarray(s.offset + addr - s.vaddr, s.offset + addr - s.vaddr + n);
    }
    return undefined;
  };
  let pcln: PclnTab;
  try {
    pcln = new PclnTab(elf.sectionBytes(pclnSec), syms.get("go.func.*") ?? 0, read);
  } catch (e) {
    throw new LoadError(`${path}: ${(e as Error).message}`);
  }
  checkVersion(path, syms, read);

  // Names as the ELF symbol table has them (".abi0" marks ABI0 functions).
  const funcNames = new Map<number, string[]>();
  for (const s of elf.symbols) {
    if (s.type !== STT_FUNC) continue;
    const l = funcNames.get(s.value);
    if (l) l.push(s.name);
    else funcNames.set(s.value, [s.name]);
  }
  const elfName = (f: GoFunc): string => {
    const l = funcNames.get(f.entry) ?? [];
    return l.find((n) => n === f.name) ?? l.find((n) => n === f.name + ".abi0") ?? l[0] ?? f.name;
  };

  // The runtime's directory: runtime.main's file's.
  const mainFn = pcln.funcs.find((f) => f.name === "runtime.main");
  if (!mainFn) throw new LoadError(`${path}: no runtime.main in the pclntab`);
  const dirOf = (file: string): string => file.slice(0, file.lastIndexOf("/") + 1);
  const runtimeDir = dirOf(ownFile(pcln, mainFn));

  // Decide, and patch a copy of the text.
  const textSeg = segs.find((s) => (s.flags & PF_X) !== 0);
  if (!textSeg) throw new LoadError(`${path}: no executable segment`);
  const text = elf.segmentBytes(textSeg).slice();
  const patches: Patch[] = [];
  const names: string[] = new Array(pcln.funcs.length);
  const jump = (at: number, op: number, target: number, name: string): void => {
    const o = at - textSeg.vaddr;
    const rel = target - (at + 5);
    if (rel < -0x8000_0000 || rel > 0x7fff_ffff) throw new LoadError(`${path}: ${name} at 0x${at.toString(16)} is out of reach of 0x${target.toString(16)}`);
    text[o] = op;
    new DataView(text.buffer, text.byteOffset + o + 1, 4).setInt32(0, rel, true);
  };
  const notProvided = host.resolve("runtime.notProvided");
  if (notProvided === undefined) throw new Error("golang: no host function runtime.notProvided");
  for (const f of pcln.funcs) {
    const name = elfName(f);
    names[f.index] = name;
    const file = ownFile(pcln, f);
    if (dirOf(file) !== runtimeDir) continue;
    if (f.end - f.entry < 5) throw new LoadError(`${path}: ${name} is too small to patch (${f.end - f.entry} bytes)`);
    const abi0 = name.endsWith(".abi0");
    const base = abi0 ? name.slice(0, -5) : name;
    const routine = SWITCH_ROUTINES.get(name);
    if (routine !== undefined) {
      const a = asm.addrOf(routine);
      if (a === undefined) throw new Error(`golang: asm/ has no ${routine}`);
      jump(f.entry, 0xe9, a, name);
      patches.push({ name, entry: f.entry, kind: "routine", target: routine });
      continue;
    }
    const served = SERVED.get(base);
    if (served !== undefined) {
      const a = abi0 ? host.resolve(served) : host.resolveInternal(served);
      if (a === undefined) throw new Error(`golang: served.ts names ${served}, which is no host function`);
      jump(f.entry, 0xe9, a, name);
      patches.push({ name, entry: f.entry, kind: "served", target: served });
      continue;
    }
    const compiled = !NOT_COMPILED.has(base) && (f.funcID === funcID_wrapper || COMPILED_FUNCS.has(name) ||
      COMPILED_FILES.has(file.slice(file.lastIndexOf("/") + 1)));
    if (compiled) {
      patches.push({ name, entry: f.entry, kind: "compiled" });
      continue;
    }
    jump(f.entry, 0xe8, notProvided, name);
    patches.push({ name, entry: f.entry, kind: "not provided" });
  }

  const code = declaredCode(pcln, patches);

  const image = new GoImage(asm, elf, pcln, names, text, textSeg.vaddr);
  const compiledFns = new Set(pcln.funcs.filter((f) => dirOf(ownFile(pcln, f)) !== runtimeDir || patches.some((p) => p.entry === f.entry && p.kind === "compiled")));
  // Only code that inlines a runtime function can name a runtime variable (they are unexported).
  const stale = staleStateReads(pcln, image, text, textSeg.vaddr, (f) => compiledFns.has(f) && dirOf(ownFile(pcln, f)) !== runtimeDir &&
    [...pcln.inlined(f)].some((n) => n.startsWith("runtime.")));
  if (stale.length > 0) {
    const s0 = stale[0]!;
    throw new LoadError(`${path}: ${s0.fn} reads ${s0.variable}${s0.inlined ? ` (inlined from ${s0.inlined})` : ""} at ${s0.where}, ` +
      `a variable of Go's runtime that the emulated runtime does not keep (build the program's package with -gcflags=-l)` +
      (stale.length > 1 ? `; and ${stale.length - 1} more` : ""));
  }
  const writeBarrier = syms.get("runtime.writeBarrier");
  const runtimeInit = syms.get("runtime..inittask");
  const mainInit = syms.get("main..inittask");
  if (mainInit === undefined) throw new LoadError(`${path}: no main..inittask`);
  const types = syms.get("runtime.types");
  if (types === undefined) throw new LoadError(`${path}: no runtime.types`);

  const map = (e: Engine): void => {
    mapImage(e, asm);
    for (const s of segs) {
      const lo = down(s.vaddr), hi = up(s.vaddr + s.memsz);
      if (hi > ASM_TEXT_BASE) throw new LoadError(`${path}: the segment at 0x${s.vaddr.toString(16)} reaches our runtime's assembly at 0x${ASM_TEXT_BASE.toString(16)}`);
      e.map(lo, hi - lo, PROT_READ | PROT_WRITE);
      e.write(s.vaddr, s === textSeg ? text : elf.segmentBytes(s));
      e.protect(lo, hi - lo, PROT_READ | ((s.flags & PF_W) !== 0 ? PROT_WRITE : 0) | ((s.flags & PF_X) !== 0 ? PROT_EXEC : 0));
    }
    for (const [s, t] of code) e.declareCode(s, t);
    // The runtime package's init is ours (initialised before main's packages).
    if (runtimeInit !== undefined) e.writeU64(runtimeInit, 2n);
    if (writeBarrier !== undefined && e.read(writeBarrier, 4).some((b) => b !== 0)) throw new LoadError(`${path}: runtime.writeBarrier is set`);
  };

  const itablink = elf.section(".itablink");
  const itabs: number[] = [];
  if (itablink) {
    const b = elf.sectionBytes(itablink);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let o = 0; o + 8 <= b.length; o += 8) itabs.push(dv.getUint32(o + 4, true) * 0x1_0000_0000 + dv.getUint32(o, true));
  }
  const go: GoProgram = {
    path, mainInittask: mainInit, types, args, itabs, text: syms.get("runtime.text") ?? pcln.textStart,
    isGoCode: (pc) => pcln.findFunc(pc) !== undefined,
    asyncSafePoint: (pc) => asyncSafePoint(pcln, pc),
    spdelta: (pc) => {
      const f = pcln.findFunc(pc);
      if (f === undefined) return undefined;
      const d = pcln.spdelta(f, pc);
      return d < 0 ? undefined : d;
    },
    funcName: (pc) => {
      const f = pcln.findFunc(pc);
      return f === undefined ? undefined : names[f.index];
    },
    line: (pc) => {
      const f = pcln.findFunc(pc);
      return f === undefined ? undefined : pcln.line(f, pc);
    },
  };
  return { image, go, map, patches, code, pcln, elf };
}

/**
 * The binary's code as the engine should see it (Engine.declareCode; see
 * "Declared code" above): a function the loader patched is the one
 * instruction it now starts with (the JMP or CALL, 5 bytes; the bytes
 * after it are never reached); any other function is [entry, end), cut
 * at every pc where its pcsp, pcfile or pcln table changes value. Those
 * pcs are instruction starts (the tables are written per instruction), so
 * an engine that walks each piece instruction by instruction from its
 * start finds every instruction of the function even past bytes it cannot
 * decode (an instruction the interpreter lacks, whose length it cannot
 * trust). The last piece runs to the next function's entry over the
 * linker's INT3 padding.
 */
export function declaredCode(pcln: PclnTab, patches: readonly Patch[]): [number, number][] {
  const patched = new Set<number>();
  for (const p of patches) if (p.kind !== "compiled") patched.add(p.entry);
  const out: [number, number][] = [];
  for (const f of pcln.funcs) {
    if (patched.has(f.entry)) {
      out.push([f.entry, f.entry + 5]);
      continue;
    }
    const cuts = new Set<number>([f.entry]);
    for (const off of [f.pcsp, f.pcfile, f.pcln]) {
      for (const r of pcln.runs(f, off)) if (r.pc > f.entry && r.pc < f.end) cuts.add(r.pc);
    }
    const pcs = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i < pcs.length; i++) out.push([pcs[i]!, pcs[i + 1] ?? f.end]);
  }
  return out;
}

/** Runtime variables compiled code may read: always zero here, as in a program that never collects on a CPU without the extensions. */
export const RUNTIME_VARS_READABLE: ReadonlySet<string> = new Set([
  "runtime.writeBarrier", "runtime.zerobase", "runtime.x86HasPOPCNT", "runtime.x86HasSSE41", "runtime.x86HasFMA",
]);

/** A compiled function's read of a runtime variable nothing keeps up to date. */
export interface StaleRead { fn: string; variable: string; inlined: string | undefined; where: string }

/**
 * Every instruction of the functions `check` selects whose memory operand
 * is a runtime variable not in RUNTIME_VARS_READABLE. The sweep decodes
 * each function from its entry and resynchronises at the starts of its
 * pc-value runs, which are instruction boundaries, after anything it
 * cannot decode.
 */
export function staleStateReads(pcln: PclnTab, image: GoImage, text: Uint8Array, textBase: number, check: (f: GoFunc) => boolean): StaleRead[] {
  const out: StaleRead[] = [];
  for (const f of pcln.funcs) {
    if (!check(f)) continue;
    const bounds = new Set<number>();
    for (const r of pcln.runs(f, f.pcsp)) bounds.add(r.pc);
    for (const r of pcln.runs(f, f.pcln)) bounds.add(r.pc);
    const sorted = [...bounds].sort((a, b) => a - b);
    let pc = f.entry;
    while (pc < f.end) {
      const i = decode(bufSource(text, pc - textBase, pc), pc);
      if (i.op === "bad" || i.op === "int3" || i.len === 0) {
        const next = sorted.find((b) => b > pc);
        if (next === undefined) break;
        pc = next;
        continue;
      }
      if (i.args.some((a) => a.k === K_MEM) && i.op !== "lea" && (i.ripRel || (i.base < 0 && i.index < 0))) {
        const s = image.symAt(i.disp);
        if (s !== undefined && s.kind === "data" && s.bss && s.name.startsWith("runtime.") && !RUNTIME_VARS_READABLE.has(s.name)) {
          const inl = pcln.nameAt(f, pc);
          const l = pcln.line(f, pc);
          out.push({ fn: f.name, variable: s.name, inlined: inl !== f.name ? inl : undefined, where: l ? `${l.file.replace(/^.*\//, "")}:${l.line}` : `0x${pc.toString(16)}` });
        }
      }
      pc += i.len;
    }
  }
  return out;
}

/** The binary must be Go 1.19's (runtime.buildVersion), the runtime this emulates. */
function checkVersion(path: string, syms: Map<string, number>, read: (a: number, n: number) => Uint8Array | undefined): void {
  const bv = syms.get("runtime.buildVersion");
  const hdr = bv === undefined ? undefined : read(bv, 16);
  if (hdr === undefined) return;
  const dv = new DataView(hdr.buffer, hdr.byteOffset, 16);
  const p = dv.getUint32(0, true) + dv.getUint32(4, true) * 0x1_0000_0000, n = dv.getUint32(8, true);
  const b = read(p, Math.min(n, 64));
  const v = b === undefined ? "" : new TextDecoder().decode(b);
  if (v !== "" && !/^go1\.19(\.|$)/.test(v)) throw new LoadError(`${path}: built by ${v}; gmpemu emulates Go 1.19's runtime (build it with Go 1.19)`);
}

/** The file a function's own code is in: the first pc not inlined from elsewhere. */
export function ownFile(pcln: PclnTab, f: GoFunc): string {
  const runs = pcln.runs(f, f.pcfile);
  for (const r of runs) {
    if (pcln.pcdata(f, PCDATA_InlTreeIndex, r.pc).val < 0) return pcln.file(f, r.val);
  }
  return runs.length > 0 ? pcln.file(f, runs[0]!.val) : "?";
}

// isAsyncSafePoint's checks that read the pclntab (preempt.go), at pc.
function asyncSafePoint(pcln: PclnTab, pc: number): GoSafePoint {
  const f = pcln.findFunc(pc);
  if (f === undefined) return { reason: "not Go code", pc };
  const up = pcln.pcdata(f, PCDATA_UnsafePoint, pc);
  if (up.val === UnsafePointUnsafe) return { reason: "unsafe point (PCDATA)", pc };
  if (pcln.funcdataOff(f, FUNCDATA_LocalsPointerMaps) === undefined || (f.flag & funcFlag_ASM) !== 0) {
    return { reason: "assembly (no stack maps)", pc };
  }
  const name = pcln.nameAt(f, pc);
  if (name.startsWith("runtime.") || name.startsWith("runtime/internal/") || name.startsWith("reflect.")) {
    return { reason: "runtime code", pc };
  }
  if (up.val === Restart1 || up.val === Restart2) {
    if (up.start === 0 || up.start > pc || pc - up.start > 20) throw new Error("bad restart PC");
    return { reason: "", pc: up.start };
  }
  if (up.val === RestartAtEntry) return { reason: "", pc: f.entry };
  return { reason: "", pc };
}

/**
 * Our runtime's assembly and the binary, as one Image: our symbols win by
 * name (runtime.mcall is ours), addresses find either.
 */
export class GoImage implements Image {
  readonly symbols: LinkedSym[];
  readonly textStart: number;
  readonly textEnd: number;
  readonly dataStart: number;
  readonly dataEnd: number;
  readonly undefined: ReadonlyMap<string, number>;
  private readonly funcSyms: LinkedSym[];
  private readonly dataSyms: LinkedSym[];
  private readonly byName = new Map<string, LinkedSym>();

  constructor(readonly asm: Image, readonly elf: ElfFile, readonly pcln: PclnTab, names: readonly string[], text: Uint8Array, textBase: number) {
    this.undefined = asm.undefined;
    const text0 = elf.section(".text");
    this.textStart = text0?.addr ?? pcln.textStart;
    this.textEnd = text0 ? text0.addr + text0.size : pcln.funcs[pcln.funcs.length - 1]?.end ?? this.textStart;
    const data = elf.sections.filter((s) => (s.flags & 2) !== 0 && (s.flags & 1) !== 0); // SHF_ALLOC|SHF_WRITE
    this.dataStart = Math.min(...data.map((s) => s.addr));
    this.dataEnd = Math.max(...data.map((s) => s.addr + s.size));
    this.funcSyms = pcln.funcs.map((f) => {
      const l = pcln.line(f, f.entry);
      const bytes = text.subarray(f.entry - textBase, f.end - textBase);
      return {
        name: names[f.index] ?? f.name, kind: "text", bss: false, readonly: true, flags: 0, addr: f.entry, size: f.end - f.entry,
        bytes, relocs: [], pos: { file: l?.file ?? "?", line: l?.line ?? 0, col: 1 }, frame: pcln.maxSPDelta(f), args: f.args,
        split: true, abi: (names[f.index] ?? "").endsWith(".abi0") ? "ABI0" : "ABIInternal", raw: bytes,
      } satisfies LinkedSym;
    });
    const nobits = elf.sections.filter((s) => s.type === SHT_NOBITS);
    this.dataSyms = elf.symbols
      .filter((s) => s.type === STT_OBJECT && s.value !== 0)
      .map((s) => ({
        name: s.name, kind: "data" as const, bss: nobits.some((b) => s.value >= b.addr && s.value < b.addr + b.size),
        readonly: false, flags: 0, addr: s.value, size: s.size,
        bytes: new Uint8Array(0), relocs: [], pos: { file: "?", line: 0, col: 1 }, raw: new Uint8Array(0),
      }))
      .sort((a, b) => a.addr - b.addr);
    this.symbols = [...asm.symbols, ...this.funcSyms, ...this.dataSyms];
    for (const s of [...this.dataSyms, ...this.funcSyms]) this.byName.set(s.name, s);
  }

  lookup(name: string): LinkedSym | undefined {
    return this.asm.lookup(name) ?? this.byName.get(name);
  }

  addrOf(name: string): number | undefined {
    return this.asm.addrOf(name) ?? this.byName.get(name)?.addr;
  }

  symAt(addr: number): LinkedSym | undefined {
    const s = this.asm.symAt(addr);
    if (s) return s;
    const f = this.pcln.findFunc(addr);
    if (f) return this.funcSyms[f.index];
    const d = this.dataSyms;
    let lo = 0, hi = d.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const x = d[mid]!;
      if (addr < x.addr) hi = mid - 1;
      else if (addr >= x.addr + Math.max(x.size, 1)) lo = mid + 1;
      else return x;
    }
    return undefined;
  }

  pcToLine(pc: number): { file: string; line: number } | undefined {
    const l = this.asm.pcToLine(pc);
    if (l) return l;
    const f = this.pcln.findFunc(pc);
    return f ? this.pcln.line(f, pc) : undefined;
  }

  symbolize(addr: number): string | undefined {
    const s = this.symAt(addr);
    if (s) return addr === s.addr ? s.name : `${s.name}+0x${(addr - s.addr).toString(16)}`;
    return this.asm.symbolize(addr);
  }

  /** A compiled function's SP deltas by pc (the pclntab's pcsp): gdb's frame rules (src/gdb/cfi.ts). */
  spRuns(sym: LinkedSym): { pc: number; delta: number }[] | undefined {
    const f = this.pcln.findFunc(sym.addr);
    if (f === undefined || f.entry !== sym.addr) return undefined;
    return this.pcln.runs(f, f.pcsp).map((r) => ({ pc: r.pc, delta: r.val }));
  }

  /** The first pc of each run of code at file:line (a file given by its tail matches). */
  linePCs(file: string, line: number): number[] {
    const out: number[] = [];
    const match = (f: string): boolean => f === file || f.endsWith("/" + file);
    for (const f of this.pcln.funcs) {
      let prevHit = false;
      for (const r of this.pcln.runs(f, f.pcln)) {
        const hit = r.val === line && match(this.pcln.line(f, r.pc)?.file ?? "");
        if (hit && !prevHit) out.push(r.pc);
        prevHit = hit;
      }
    }
    return out;
  }
}
