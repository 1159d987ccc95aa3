// --runtime-asm: a user's assembly in place of some of the runtime's.
//
// A lab student writes gogo, mcall or asyncPreempt; the grader (and anyone
// with `gmpemu run --runtime-asm FILE.s`) links that file with the runtime
// in place of the routines it defines and keeps every other routine of
// asm/*.s. The rules, each with its own error at the symbol's line:
//
//   - every symbol FILE defines must be a TEXT routine that asm/*.s defines,
//     global (`runtime·gogo`) or file-local (`gogo<>`): a file that defines
//     anything else is refused, not linked beside the runtime;
//   - a file-local routine replaces the one of the same name in the runtime
//     file that defines it, so the rest of that file (gogo jumping to
//     gogo<>) now reaches the student's;
//   - a file-local symbol FILE uses must be defined in FILE: another file's
//     `name<>` is not visible from it, in Go as here, so a student's gogo
//     that jumps to gogo<> without writing it is told so;
//   - a global symbol FILE uses must be a runtime routine or a host function
//     (the link's ordinary undefined-symbol error, at the reference).
//
// File-local names are given their linked names here (`gogo<>` of runtime
// file 1 is `gogo<1>`, as the linker would name it), so a replaced
// file-local routine keeps the name tracebacks and the checker look for.

import type { ObjFile, ObjSym } from "../asm/assemble.ts";
import { AsmError, type Pos } from "../asm/prog.ts";

/** The routines a --runtime-asm file is most often for, named first in errors. */
const SWITCH_ROUTINES = ["gogo", "mcall", "systemstack", "systemstack_switch", "asyncPreempt", "morestack", "morestack_noctxt", "goexit"];

const isLocal = (name: string): boolean => name.endsWith("<>");
/** A symbol as the source spells it: runtime·gogo. */
const show = (name: string): string => name.replace(/^runtime\./, "runtime·");

/** The source position of byte `off` of a text symbol. */
function posAt(s: ObjSym, off: number): Pos {
  const l = s.lines.find((x) => off >= x.pc && off < x.end);
  return l ? { file: l.file, line: l.line, col: 1 } : s.pos;
}

/** Renames file-local names in one object (definitions and references) as `rename` says. */
function renameLocals(o: ObjFile, rename: (name: string) => string | undefined): void {
  for (const s of o.syms) {
    const n = rename(s.name);
    if (n !== undefined) s.name = n;
    for (const r of s.relocs) {
      const m = r.sym ? rename(r.sym) : undefined;
      if (m !== undefined) r.sym = m;
    }
  }
}

/**
 * Replaces the runtime's routines that `user` defines, in place: the
 * runtime objects lose them, the user's objects are ready to link after
 * the runtime's (runtime objects first, as linkProgram orders them).
 * Returns the errors; nothing is changed usefully when there are any.
 */
export function replaceRoutines(runtime: ObjFile[], user: ObjFile[]): AsmError[] {
  const errors: AsmError[] = [];
  // Give every runtime file-local its linked name now (file i: name<i+1>).
  const localHome = new Map<string, number>();
  runtime.forEach((o, i) => {
    for (const s of o.syms) if (isLocal(s.name)) localHome.set(s.name, i);
    renameLocals(o, (n) => (isLocal(n) ? `${n.slice(0, -2)}<${i + 1}>` : undefined));
  });
  const globalHome = new Map<string, number>();
  runtime.forEach((o, i) => {
    for (const s of o.syms) if (s.kind === "text" && !/<\d+>$/.test(s.name)) globalHome.set(s.name, i);
  });
  const replaced = new Map<string, string>();
  for (const o of user) {
    const defined = new Set(o.syms.map((s) => s.name));
    for (const s of o.syms) {
      if (s.kind !== "text") {
        errors.push(new AsmError(s.pos, `${show(s.name)}: --runtime-asm files define runtime routines only (TEXT); this is data`));
        continue;
      }
      const home = isLocal(s.name) ? localHome.get(s.name) : globalHome.get(s.name);
      if (home === undefined) {
        // The switch routines by name, the count of the rest: an assembler
        // message is capped (prog.ts), and these are the ones labs replace.
        const all = [...globalHome.keys()].map((n) => n.replace(/^runtime\./, ""));
        const named = SWITCH_ROUTINES.filter((n) => all.includes(n));
        const locals = [...localHome.keys()].sort();
        errors.push(new AsmError(s.pos, `${show(s.name)} is not a runtime routine (asm/*.s defines ${named.join(", ")} and ${all.length - named.length} more, and file-local ${locals.slice(0, 4).join(", ")}${locals.length > 4 ? ` and ${locals.length - 4} more` : ""})`));
        continue;
      }
      const prev = replaced.get(s.name);
      if (prev !== undefined) {
        errors.push(new AsmError(s.pos, `${show(s.name)} is replaced twice (first by ${prev})`));
        continue;
      }
      replaced.set(s.name, `${s.pos.file}:${s.pos.line}`);
    }
    // A file-local symbol used but not defined here: not visible from this file.
    for (const s of o.syms) {
      for (const r of s.relocs) {
        if (r.sym && isLocal(r.sym) && !defined.has(r.sym)) {
          const home = localHome.get(r.sym);
          const hint = home !== undefined ? ` (${runtime[home]!.file}'s ${r.sym} is local to that file)` : "";
          errors.push(new AsmError(posAt(s, r.offset), `${show(s.name)} uses ${r.sym}, which ${o.file} does not define: a file-local symbol (name<>) must be defined in the file that uses it${hint}`));
        }
      }
    }
  }
  if (errors.length) return errors;
  // The user's file-locals that replace a runtime file's take that file's names.
  for (const o of user) {
    renameLocals(o, (n) => {
      const home = isLocal(n) ? localHome.get(n) : undefined;
      return home === undefined ? undefined : `${n.slice(0, -2)}<${home + 1}>`;
    });
  }
  const gone = new Set<string>();
  for (const name of replaced.keys()) gone.add(isLocal(name) ? `${name.slice(0, -2)}<${localHome.get(name)! + 1}>` : name);
  for (const o of runtime) o.syms = o.syms.filter((s) => !gone.has(s.name));
  return errors;
}
