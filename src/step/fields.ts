// Names for addresses inside the runtime's structures: `x` on a g, a gobuf,
// an M, a P or sched shows each word as the field it is (G5.sched.sp,
// M0.curg, P0.runnext, sched.runq.head), read from the same layouts the
// runtime and the assembly use (runtime2.ts), for the objects the machine
// has now: every g (allgs, each M's g0 and gsignal), every M, every P, and
// sched. Only reads.

import { ms, mid, pid, goid, type Machine } from "../debug/view.ts";
import { m_g0, m_gsignal } from "../runtime/offsets.ts";
import { g as gStruct, gobuf, gQueue, m as mStruct, p as pStruct, schedt, stack, type StructDef } from "../runtime/runtime2.ts";

interface Obj { base: number; def: StructDef; label: string }

/** Structs nested inside others, by struct and field name. */
const NESTED: Record<string, Record<string, StructDef>> = {
  g: { sched: gobuf, stack },
  m: { morebuf: gobuf },
  schedt: { runq: gQueue },
};

/** The runtime objects the machine has now, labelled. */
function objects(m: Machine): Obj[] {
  const out: Obj[] = [];
  const seen = new Set<number>();
  const addG = (gp: number, label: string): void => {
    if (gp === 0 || seen.has(gp)) return;
    seen.add(gp);
    out.push({ base: gp, def: gStruct, label });
  };
  for (const x of ms(m)) {
    addG(m.mem.ptr(x.mp + m_g0), `g0(M${x.id})`);
    addG(m.mem.ptr(x.mp + m_gsignal), `gsignal(M${x.id})`);
    out.push({ base: x.mp, def: mStruct, label: `M${mid(m, x.mp)}` });
  }
  for (const gp of m.allgs) addG(gp, `G${goid(m, gp)}`);
  for (const pp of m.allp) out.push({ base: pp, def: pStruct, label: `P${pid(m, pp)}` });
  out.push({ base: m.sched, def: schedt, label: "sched" });
  return out;
}

/** The field of def at offset off, as a path ("sched.sp", "runq+24"), nested structs expanded. */
function fieldPath(def: StructDef, off: number): string | undefined {
  for (const [name, f] of Object.entries(def.fields)) {
    if (off < f.off || off >= f.off + f.size) continue;
    const sub = NESTED[def.name]?.[name];
    if (sub) {
      const inner = fieldPath(sub, off - f.off);
      return inner ? `${name}.${inner}` : `${name}+${off - f.off}`;
    }
    return off === f.off ? name : `${name}+${off - f.off}`;
  }
  return undefined;
}

/** A namer for addresses: "G5.sched.sp" for an address in a known object, undefined elsewhere. */
export function fieldNamer(m: Machine): (addr: number) => string | undefined {
  const objs = objects(m);
  return (addr) => {
    for (const o of objs) {
      if (addr < o.base || addr >= o.base + o.def.size) continue;
      const f = fieldPath(o.def, addr - o.base);
      return f ? `${o.label}.${f}` : `${o.label}+${addr - o.base}`;
    }
    return undefined;
  };
}
