// Issue 13's mutation test: every instruction of gogo, mcall, systemstack
// and asyncPreempt that saves or restores a register, a gobuf field or the
// TLS slot is deleted, one at a time; each mutant runs a small battery with
// --check (through --runtime-asm), and the checker must stop it naming a
// register or field. The unmutated routines pass the same battery (the
// harness refuses to measure otherwise). Swapped operands are the
// harness's too (npm run mutate:asm); they double the time, so the suite
// runs the deletions.
import { describe, expect, it } from "vitest";
import { mutants, runMutants, savesOrRestores, scored } from "../../scripts/asm-mutate.ts";

describe("mutation test of the switch routines", () => {
  it("classifies saves and restores, not scratch loads or sanity checks", () => {
    expect(savesOrRestores("gogo<>", "\tMOVQ\tgobuf_bp(BX), BP\t// BP")).toBe(true);
    expect(savesOrRestores("gogo<>", "\tMOVQ\t$0, gobuf_sp(BX)")).toBe(true);
    expect(savesOrRestores("runtime·gogo", "\tMOVQ\tbuf+0(FP), BX")).toBe(false);
    expect(savesOrRestores("runtime·mcall<ABIInternal>", "\tMOVQ\tm_g0(BX), SI")).toBe(false);
    expect(savesOrRestores("gosave_systemstack_switch<>", "\tMOVQ\t(g_sched+gobuf_ctxt)(R14), R9", "\tTESTQ\tR9, R9")).toBe(false);
    expect(savesOrRestores("runtime·asyncPreempt", "\tMOVUPS\tX3, 160(SP)")).toBe(true);
    expect(savesOrRestores("runtime·asyncPreempt", "\tMOVQ\tSP, BP")).toBe(false);
    const { mutants: all } = mutants();
    const routines = new Set(all.map((m) => m.routine));
    for (const r of ["runtime·gogo", "gogo<>", "runtime·mcall<ABIInternal>", "runtime·systemstack", "gosave_systemstack_switch<>", "runtime·asyncPreempt"]) {
      expect(routines.has(r), r).toBe(true);
    }
  });

  it("every deletion is caught, naming a register or field", () => {
    const { baseline, results } = runMutants({ only: (m) => m.kind === "delete" });
    expect(baseline.every((b) => /: (exit 0|budget 3)$/.test(b)), baseline.join("\n")).toBe(true);
    const ran = scored(results);
    // The assembler itself refuses the deletions that unbalance PUSH/POP.
    expect(results.length - ran.length).toBeLessThanOrEqual(5);
    expect(ran.length).toBeGreaterThanOrEqual(90);
    const survivors = ran.filter((r) => !r.caught).map((r) => `${r.routine} line ${r.line}: ${r.original}: ${r.verdict}`);
    expect(survivors).toEqual([]);
    for (const r of ran) expect(r.failure!.what, r.original).toMatch(/^(AX|CX|DX|BX|SP|BP|SI|DI|R\d+|X\d+|RFLAGS|TLS g|target|8\(SP\)|INT3|g\.sched\.\w+|gobuf\.\w+|m\.morebuf\.\w+)$/);
  }, 600_000);
});
