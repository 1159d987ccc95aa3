// Issue 17: symbols as the source spells them. One rule, linkName, maps
// `·f`, `main·f`, `main.f`, `runtime·gogo` and `f(SB)` to the linked name;
// lookupSymbol finds it in an image, `gogo<>` included (the one file-local
// gogo<N>), undefined symbols too, and says what it did not find.
import { describe, expect, it } from "vitest";
import { buildImage, linkName, lookupSymbol, MemorySource } from "../../src/asm/index.ts";

describe("symbols as the source spells them", () => {
  it.each([
    ["·f", "main", "main.f"], ["main·f", "main", "main.f"], ["main.f", "main", "main.f"], ["·f", "runtime", "runtime.f"],
    ["runtime·gogo", "main", "runtime.gogo"], ["runtime.gogo(SB)", "main", "runtime.gogo"], ["gogo<>", "main", "gogo<>"],
    ["a∕b·c", "main", "a/b.c"], [" ·f ", "main", "main.f"],
  ])("%s (-p %s) is %s", (spelled, pkg, want) => {
    expect(linkName(spelled, pkg)).toBe(want);
  });

  const mem = new MemorySource({
    "/a.s": "TEXT ·arith(SB), 4, $0\n\tCALL runtime·host(SB)\n\tRET\nTEXT gogo<>(SB), 4, $0\n\tRET\n",
    "/b.s": "TEXT runtime·gogo(SB), 4, $0\n\tRET\n",
    "/c.s": "TEXT gogo<>(SB), 4, $0\n\tRET\n",
  });
  const one = buildImage(["/a.s", "/b.s"], { source: mem }).image;
  const two = buildImage(["/a.s", "/c.s"], { source: mem }).image;

  it("finds each spelling in an image", () => {
    for (const s of ["·arith", "main·arith", "main.arith", "main.arith(SB)"]) {
      expect(lookupSymbol(one, s)).toEqual({ ok: true, name: "main.arith", addr: one.addrOf("main.arith") });
    }
    expect(lookupSymbol(one, "runtime·gogo")).toMatchObject({ ok: true, name: "runtime.gogo" });
    expect(lookupSymbol(one, "gogo<>")).toMatchObject({ ok: true, name: "gogo<1>" });
    expect(lookupSymbol(one, "gogo<1>")).toMatchObject({ ok: true, name: "gogo<1>" });
    // An undefined symbol has the address the link gave it.
    expect(lookupSymbol(one, "runtime·host")).toEqual({ ok: true, name: "runtime.host", addr: one.undefined.get("runtime.host") });
  });

  it("says what it did not find, and what is ambiguous", () => {
    expect(lookupSymbol(one, "·gogo")).toEqual({ ok: false, message: "no symbol main.gogo (did you mean gogo<1>, runtime.gogo?)" });
    expect(lookupSymbol(one, "·nothing")).toEqual({ ok: false, message: "no symbol main.nothing" });
    expect(lookupSymbol(two, "gogo<>")).toEqual({ ok: false, message: "gogo<> is ambiguous: gogo<1>, gogo<2> (name one with its file's number)" });
  });
});
