// The linker (src/asm/link.ts) on its own: layout, every relocation kind,
// undefined and duplicate symbols, file-local names, the pc→line table and
// symbolization. Relocations are checked by what the CPU makes of the
// linked bytes (the code runs and reports the addresses it computed), not
// by repeating the linker's formula; the oracle tests compare the
// assembler's unrelocated bytes with Go's, and these the relocated ones.
import { describe, expect, it } from "vitest";
import { assembleString, link, LinkError, TEXT_BASE, type ObjFile } from "../../src/asm/index.ts";
import { TLS_G_OFFSET, UNDEFINED_BASE } from "../../src/asm/link.ts";
import { createEngine } from "../../src/engine/index.ts";
import { callFunction, loadImage, SENTINEL, STACK_HI } from "../../src/engine/load.ts";
import { disassemble } from "../../src/cpu/disasm.ts";
import { nodeSource } from "../../src/node/nodefs.ts";

function obj(src: string, file = "x.s", pkg = "main"): ObjFile {
  const r = assembleString(`#include "textflag.h"\n${src}`, file, { pkg, source: nodeSource });
  expect(r.errors.map((e) => e.format())).toEqual([]);
  return r.obj;
}

/** Runs main.NAME (no arguments) and returns its first n result words. */
function call(image: ReturnType<typeof link>, name: string, n: number): bigint[] {
  const e = createEngine("interp");
  try {
    const loaded = loadImage(e, image);
    const r = callFunction(e, loaded, name, 10_000);
    expect(r.stop).toEqual({ kind: "hostcall", addr: SENTINEL });
    const sp = STACK_HI - 64;
    return Array.from({ length: n }, (_, i) => e.readU64(sp + 8 + 8 * i));
  } finally {
    e.close();
  }
}

const PROG = `
// Addresses the CPU computes through each kind of PC-relative field.
TEXT ·addrs(SB), NOSPLIT, $0-48
	LEAQ	·tab+16(SB), AX		// R_PCREL, addend 16
	MOVQ	AX, r0+0(FP)
	MOVQ	·tab+8(SB), AX		// a load through R_PCREL: tab[1] holds &g (R_ADDR)
	MOVQ	AX, r1+8(FP)
	MOVL	$7, ·tab+4(SB)		// R_PCREL before a 4-byte immediate
	MOVL	·tab+4(SB), AX
	MOVQ	AX, r2+16(FP)
	CALL	·g(SB)			// R_CALL: g returns its own address in AX
	MOVQ	AX, r3+24(FP)
	LEAQ	·far+8(SB), AX		// a symbol in another function's text
	MOVQ	AX, r4+32(FP)
	MOVQ	·tab+24(SB), AX		// DATA ... $·tab+12(SB): R_ADDR with an addend
	MOVQ	AX, r5+40(FP)
	RET

TEXT ·g(SB), NOSPLIT, $0-0
	LEAQ	·g(SB), AX
	RET

TEXT ·far(SB), NOSPLIT, $0-0
	NOP
	NOP
	RET

DATA ·tab+0(SB)/8, $0
DATA ·tab+8(SB)/8, $·g(SB)
DATA ·tab+16(SB)/8, $-1
DATA ·tab+24(SB)/8, $·tab+12(SB)
GLOBL ·tab(SB), NOPTR, $32
`;

describe("relocations, as the CPU sees them", () => {
  it("R_PCREL with and without an addend, R_CALL, R_ADDR in data with an addend", () => {
    const image = link([obj(PROG)]);
    const tab = image.addrOf("main.tab")!;
    const g = image.addrOf("main.g")!;
    const r = call(image, "main.addrs", 6);
    expect(r[0]).toBe(BigInt(tab + 16));
    expect(r[1]).toBe(BigInt(g));
    expect(r[2]).toBe(7n);
    expect(r[3]).toBe(BigInt(g));
    expect(r[4]).toBe(BigInt(image.addrOf("main.far")! + 8));
    expect(r[5]).toBe(BigInt(tab + 12));
  });

  it("the same code linked at another text base computes the new addresses", () => {
    const a = link([obj(PROG)]);
    const b = link([obj(PROG)], { textBase: 0x500000 });
    expect(b.textStart).toBe(0x500000);
    expect(b.addrOf("main.addrs")).toBe(0x500000);
    expect(b.addrOf("main.tab")! - a.addrOf("main.tab")!).toBe(0x500000 - TEXT_BASE);
    expect(call(b, "main.addrs", 6)[0]).toBe(BigInt(b.addrOf("main.tab")! + 16));
  });

  it("R_TLS_LE puts the g slot at FS-8; the raw bytes keep the assembler's zero", () => {
    const image = link([obj("TEXT ·tls(SB), NOSPLIT, $0-0\n\tMOVQ\t(TLS), R14\n\tRET\n")]);
    const s = image.lookup("main.tls")!;
    const r = s.relocs.find((x) => x.type === "R_TLS_LE")!;
    expect(new DataView(s.bytes.buffer, s.bytes.byteOffset).getInt32(r.offset, true)).toBe(TLS_G_OFFSET);
    expect(TLS_G_OFFSET).toBe(-8);
    expect([...s.raw.subarray(r.offset, r.offset + 4)]).toEqual([0, 0, 0, 0]);
    expect(disassemble(s.bytes, 0, s.addr).text).toBe("MOVQ FS:0xfffffff8, R14");
  });

  it("R_ADDR of 4 and 8 bytes, and R_CALLIND left alone (hand-made object)", () => {
    const o: ObjFile = {
      file: "h.s", files: ["h.s"], inputs: [{ path: "h.s", id: "h.s" }],
      syms: [
        { name: "main.t", kind: "text", flags: 0, size: 2, bytes: new Uint8Array([0xff, 0xd0]), lines: [{ pc: 0, end: 2, file: "h.s", line: 1 }], pos: { file: "h.s", line: 1, col: 1 },
          relocs: [{ offset: 0, size: 0, type: "R_CALLIND", sym: "", add: 0 }] },
        { name: "main.d", kind: "data", flags: 0, size: 16, bytes: new Uint8Array(16), lines: [], pos: { file: "h.s", line: 2, col: 1 },
          relocs: [{ offset: 0, size: 4, type: "R_ADDR", sym: "main.t", add: 3 }, { offset: 8, size: 8, type: "R_ADDR", sym: "main.d", add: 5 }] },
      ],
    };
    const image = link([o]);
    const d = image.lookup("main.d")!;
    const dv = new DataView(d.bytes.buffer, d.bytes.byteOffset);
    expect(dv.getUint32(0, true)).toBe(image.addrOf("main.t")! + 3);
    expect(dv.getBigUint64(8, true)).toBe(BigInt(d.addr + 5));
    expect([...image.lookup("main.t")!.bytes]).toEqual([0xff, 0xd0]);
    // A field that does not fit in its symbol is the linker's bug, not the user's.
    o.syms[1]!.relocs = [{ offset: 14, size: 4, type: "R_ADDR", sym: "main.t", add: 0 }];
    expect(() => link([o])).toThrow(/relocation at 14\+4 outside main\.d/);
  });

  it("a PC-relative target beyond ±2 GiB is an error at its line", () => {
    const o = obj("TEXT ·f(SB), NOSPLIT, $0-0\n\tCALL\tfaraway(SB)\n\tRET\n", "far.s");
    let err: unknown;
    try {
      link([o], { resolve: () => TEXT_BASE + 0x8000_0000 + 16 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LinkError);
    expect((err as LinkError).errors.map((e) => e.format())).toEqual(["far.s:3:1: relocation to faraway out of range of a 32-bit displacement"]);
    // Just in range: 2^31 - 1 past the field's end.
    expect(() => link([o], { resolve: () => TEXT_BASE + 5 + 0x7fff_ffff })).not.toThrow();
    expect(() => link([o], { resolve: () => TEXT_BASE + 5 + 0x8000_0000 })).toThrow(LinkError);
  });
});

describe("layout", () => {
  it("text from 0x401000, 32-byte aligned; data on the next page: read-only, then data, then bss, each aligned to its size up to 8", () => {
    const image = link([obj(`
TEXT ·a(SB), NOSPLIT, $0-0
	NOP
	RET
TEXT ·b(SB), NOSPLIT, $0-0
	RET
DATA ·w+0(SB)/2, $1
GLOBL ·w(SB), NOPTR, $2
GLOBL ·z(SB), NOPTR, $3
DATA ·q+0(SB)/8, $1
GLOBL ·q(SB), NOPTR, $8
DATA ·ro+0(SB)/1, $1
GLOBL ·ro(SB), RODATA, $1
DATA ·l+0(SB)/4, $1
GLOBL ·l(SB), NOPTR, $4
`)]);
    const at = (n: string): number => image.addrOf(`main.${n}`)!;
    expect(at("a")).toBe(0x401000);
    expect(at("b")).toBe(0x401020);
    expect(image.textStart).toBe(0x401000);
    expect(image.textEnd).toBe(0x401021);
    expect(image.dataStart).toBe(0x402000);
    // Read-only first, then data in declaration order, then bss.
    expect(at("ro")).toBe(0x402000);
    expect(at("w")).toBe(0x402002);
    expect(at("q")).toBe(0x402008);
    expect(at("l")).toBe(0x402010);
    expect(at("z")).toBe(0x402014);
    expect(image.dataEnd).toBe(0x402017);
    const z = image.lookup("main.z")!;
    expect(z.bss).toBe(true);
    expect(z.bytes).toEqual(new Uint8Array(3));
    expect(image.lookup("main.ro")!.readonly).toBe(true);
    expect(image.lookup("main.w")!.readonly).toBe(false);
    // Addresses never overlap.
    const spans = image.symbols.map((s) => [s.addr, s.addr + s.size] as const).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });

  it("an image with no text still puts data on its own page", () => {
    const image = link([obj("DATA ·x+0(SB)/8, $1\nGLOBL ·x(SB), NOPTR, $8\n")]);
    expect(image.textEnd).toBe(image.textStart);
    expect(image.addrOf("main.x")).toBe(0x402000);
  });
});

describe("symbols", () => {
  it("undefined symbols: the resolver's address, else a page of their own, 16 bytes apart in order of first use", () => {
    const o = obj("TEXT ·f(SB), NOSPLIT, $0-0\n\tCALL\tone(SB)\n\tCALL\ttwo(SB)\n\tCALL\tone(SB)\n\tRET\n");
    const plain = link([o]);
    expect([...plain.undefined]).toEqual([["one", UNDEFINED_BASE], ["two", UNDEFINED_BASE + 16]]);
    expect(plain.addrOf("two")).toBe(UNDEFINED_BASE + 16);
    expect(plain.symbolize(UNDEFINED_BASE + 16)).toBe("two");
    expect(plain.symbolize(UNDEFINED_BASE + 8)).toBeUndefined();
    const other = link([o], { undefinedBase: 0x60000000 });
    expect(other.addrOf("one")).toBe(0x60000000);
    const asked: string[] = [];
    const resolved = link([o], { resolve: (n) => { asked.push(n); return n === "one" ? 0x7f000000 : undefined; } });
    expect(resolved.addrOf("one")).toBe(0x7f000000);
    expect(resolved.addrOf("two")).toBe(UNDEFINED_BASE + 16);
    // Asked once per name, at its first reference.
    expect(asked).toEqual(["one", "two"]);
    // The calls land where the CPU is told: each CALL's target, decoded.
    const f = resolved.lookup("main.f")!;
    const targets: string[] = [];
    for (let off = 0; off < f.bytes.length;) {
      const d = disassemble(f.bytes, off, f.addr + off, (a) => resolved.symbolize(a));
      if (d.text.startsWith("CALL")) targets.push(d.text);
      off += d.len;
    }
    expect(targets).toEqual(["CALL one(SB)", "CALL two(SB)", "CALL one(SB)"]);
  });

  it("requireDefined: each undefined symbol is an error at its first reference; defined ones are not", () => {
    const o = obj("TEXT ·f(SB), NOSPLIT, $0-0\n\tCALL\t·g(SB)\n\tCALL\tnope(SB)\n\tCALL\tnope(SB)\n\tRET\nTEXT ·g(SB), NOSPLIT, $0-0\n\tRET\n", "u.s");
    let err: LinkError | undefined;
    try {
      link([o], { requireDefined: true });
    } catch (e) {
      err = e as LinkError;
    }
    expect(err!.errors.map((e) => e.format())).toEqual(["u.s:4:1: undefined symbol nope"]);
    expect(() => link([o], { requireDefined: true, resolve: (n) => (n === "nope" ? 0x7f000000 : undefined) })).not.toThrow();
  });

  it("a symbol defined twice is an error naming the first definition", () => {
    const a = obj("TEXT ·f(SB), NOSPLIT, $0-0\n\tRET\n", "a.s");
    const b = obj("\nTEXT ·f(SB), NOSPLIT, $0-0\n\tRET\n", "b.s");
    let err: LinkError | undefined;
    try {
      link([a, b]);
    } catch (e) {
      err = e as LinkError;
    }
    expect(err).toBeInstanceOf(LinkError);
    expect(err!.errors.map((e) => e.format())).toEqual(["b.s:3:1: duplicate symbol main.f (first defined at a.s:2)"]);
    expect(err!.message).toBe("b.s:3:1: duplicate symbol main.f (first defined at a.s:2)");
  });

  it("file-local symbols (name<>) get their file's number, and each file's references stay in the file", () => {
    const src = (v: number): string => `DATA k<>+0(SB)/8, $${v}\nGLOBL k<>(SB), RODATA, $8\nTEXT ·get${v}(SB), NOSPLIT, $0-8\n\tMOVQ\tk<>(SB), AX\n\tMOVQ\tAX, ret+0(FP)\n\tRET\n`;
    const image = link([obj(src(11), "one.s"), obj(src(22), "two.s")]);
    expect(image.lookup("k<1>")).toBeDefined();
    expect(image.lookup("k<2>")).toBeDefined();
    expect(image.lookup("k<>")).toBeUndefined();
    expect(call(image, "main.get11", 1)).toEqual([11n]);
    expect(call(image, "main.get22", 1)).toEqual([22n]);
    expect(image.lookup("main.get22")!.relocs[0]!.sym).toBe("k<2>");
  });

  it("symAt, symbolize and pcToLine at the edges of symbols", () => {
    const image = link([obj("TEXT ·a(SB), NOSPLIT, $0-0\n\tNOP\n\tMOVQ\t$1, AX\n\tRET\nGLOBL ·e(SB), NOPTR, $0\nDATA ·x+0(SB)/8, $1\nGLOBL ·x(SB), NOPTR, $8\n", "e.s")]);
    const a = image.lookup("main.a")!;
    expect(image.symAt(a.addr)).toBe(a);
    expect(image.symAt(a.addr + a.size - 1)).toBe(a);
    expect(image.symAt(a.addr + a.size)).toBeUndefined();
    expect(image.symAt(a.addr - 1)).toBeUndefined();
    expect(image.symbolize(a.addr)).toBe("main.a");
    expect(image.symbolize(a.addr + 7)).toBe("main.a+0x7");
    const x = image.addrOf("main.x")!;
    expect(image.symbolize(x + 7)).toBe("main.x+0x7");
    expect(image.symbolize(x + 8)).not.toBe("main.x+0x8");
    // Lines: the NOP on line 3 makes no bytes, so the function starts with
    // MOVQ $1, AX on line 4 (the #include is line 1); RET is on line 5.
    expect(image.pcToLine(a.addr)).toEqual({ file: "e.s", line: 4 });
    expect(image.pcToLine(a.addr + a.size - 2)).toEqual({ file: "e.s", line: 4 });
    expect(image.pcToLine(a.addr + a.size - 1)).toEqual({ file: "e.s", line: 5 });
    expect(image.pcToLine(a.addr + a.size)).toBeUndefined();
    // A zero-size symbol still has an address, and symAt finds it.
    const e = image.lookup("main.e")!;
    expect(image.symAt(e.addr)).toBe(e);
  });
});
