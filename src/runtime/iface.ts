// Interfaces (iface.go): itabs, and the conversions and assertions that
// need one.
//
// An itab pairs an interface type with a concrete type: {inter, _type,
// hash, _, fun[n]}, fun holding the concrete type's method for each of
// the interface's n methods, in the interface's (sorted) order. The
// linker writes the itabs a program needs statically (go.itab.*, listed
// in .itablink); the rest are built on first use by getitab, which
// matches the two sorted method lists by name, method type and, for
// unexported names, package path (itab.init), exactly as Go does, reading
// the type descriptors in the binary: uncommontype, the method table,
// names and their nameOff/typeOff/textOff offsets from moduledata.
//
// Go keeps the itabs in a hash table (itabTable, with a lock). Here the
// itabs are in emulated memory too (allocated once, never freed, as
// Go's persistentalloc'd ones), and the lookup from (inter, type) to
// itab is a JavaScript map: a cache of what memory holds, rebuilt from
// the .itablink entries and the itabs built since.
//
// Failures panic with Go's TypeAssertionError text ("interface
// conversion: main.T is not main.I: missing method M").

import type { HostTable } from "./bridge.ts";
import { _type_hash, _type_kind, _type_tflag, slice_len } from "./offsets.ts";
import { gopanic, throw_ } from "./panic.ts";
import { persistentalloc, type H, type Runtime } from "./rt.ts";
import { gostring, kindMask, typeString } from "./gosrc.ts";

const tflagUncommon = 1;
/** interfacetype: {typ _type; pkgpath name; mhdr []imethod}. */
const interfacetype_pkgpath = 48, interfacetype_mhdr = 56;
/** itab: {inter, _type, hash uint32, _ [4]byte, fun [n]uintptr}. */
const itab_inter = 0, itab__type = 8, itab_hash = 16, itab_fun = 24;
// uncommontype {pkgpath nameOff; mcount, xcount uint16; moff uint32}, imethod {name nameOff; ityp typeOff},
// method {name nameOff; mtyp typeOff; ifn, tfn textOff} (type.go).
const uncommontype_mcount = 4, uncommontype_moff = 8, imethod_ityp = 4, method_mtyp = 4, method_ifn = 8;

// Kinds whose descriptor is larger than _type, and by how much the uncommontype follows (type.go's uncommon()).
const kindArray = 17, kindChan = 18, kindFunc = 19, kindInterface = 20, kindMap = 21, kindPtr = 22, kindSlice = 23, kindStruct = 25;
const uncommonAt: Record<number, number> = {
  [kindStruct]: 80, [kindPtr]: 56, [kindFunc]: 56, [kindSlice]: 56, [kindArray]: 72, [kindChan]: 64,
  [kindMap]: 88, [kindInterface]: 80,
};

/** The itab cache (see the essay), per machine. */
const caches = new WeakMap<Runtime, Map<string, number>>();

function cache(rt: Runtime): Map<string, number> {
  let c = caches.get(rt);
  if (c === undefined) {
    c = new Map();
    for (const tab of rt.go?.itabs ?? []) c.set(`${rt.mem.ptr(tab + itab_inter)}:${rt.mem.ptr(tab + itab__type)}`, tab);
    caches.set(rt, c);
  }
  return c;
}

/** A name (type.go): flags, varint length, bytes, [tag], [pkgPath nameOff]. */
interface Name { name: string; exported: boolean; pkgPath: string }

function readName(rt: Runtime, p: number): Name {
  const mem = rt.mem;
  const flags = mem.u8(p);
  const varint = (q: number): [number, number] => {
    let v = 0, shift = 0, n = 0;
    for (;;) {
      const b = mem.u8(q + n++);
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return [v, n];
      shift += 7;
    }
  };
  const [len, n] = varint(p + 1);
  const name = gostring(rt, p + 1 + n, len);
  let pkgPath = "";
  if ((flags & 4) !== 0) {
    let q = p + 1 + n + len;
    if ((flags & 2) !== 0) {
      const [tl, tn] = varint(q);
      q += tn + tl;
    }
    const off = mem.i32(q); // a nameOff, unaligned after the varints
    pkgPath = readName(rt, types(rt) + off).name;
  }
  return { name, exported: (flags & 1) !== 0, pkgPath };
}

function types(rt: Runtime): number {
  if (rt.go === undefined) throw_("interfaces need a compiled program's type descriptors");
  return rt.go.types;
}

/** The address of a type's uncommontype (tflagUncommon is set). */
function uncommon(rt: Runtime, typ: number): number {
  const kind = rt.mem.u8(typ + _type_kind) & kindMask;
  return typ + (uncommonAt[kind] ?? 48);
}

// getitab: the itab of (inter, typ), built if need be; 0 when typ lacks a
// method and canfail, else a panic naming the method.
export function getitab(rt: Runtime, inter: number, typ: number, canfail: boolean): number {
  const mem = rt.mem;
  const ni = mem.int(inter + interfacetype_mhdr + slice_len);
  if (ni === 0) throw_("internal error - misuse of itab");
  const key = `${inter}:${typ}`;
  const c = cache(rt);
  const hit = c.get(key);
  if (hit !== undefined) return mem.ptr(hit + itab_fun) !== 0 ? hit : missing(rt, inter, typ, canfail);
  const imhdr = mem.ptr(inter + interfacetype_mhdr);
  if ((mem.u8(typ + _type_tflag) & tflagUncommon) === 0) {
    if (canfail) return 0;
    assertionPanic(rt, 0, typ, inter, readName(rt, types(rt) + mem.i32(imhdr)).name);
  }
  // itab.init: match the sorted method lists.
  const tab = persistentalloc(rt, itab_fun + 8 * ni, 8);
  mem.setPtr(tab + itab_inter, inter);
  mem.setPtr(tab + itab__type, typ);
  mem.setU32(tab + itab_hash, mem.u32(typ + _type_hash));
  const x = uncommon(rt, typ);
  const nt = mem.u16(x + uncommontype_mcount);
  const xmhdr = x + mem.u32(x + uncommontype_moff);
  const base = types(rt);
  const text = rt.go!.text;
  const ipp = mem.ptr(inter + interfacetype_pkgpath);
  const interPkg = ipp === 0 ? "" : readName(rt, ipp).name;
  const typePkg = mem.i32(x) === 0 ? "" : readName(rt, base + mem.i32(x)).name;
  let j = 0;
  for (let k = 0; k < ni; k++) {
    const im = imhdr + 8 * k;
    const itype = base + mem.i32(im + imethod_ityp);
    const name = readName(rt, base + mem.i32(im));
    const ipkg = name.pkgPath !== "" ? name.pkgPath : interPkg;
    let found = false;
    for (; j < nt; j++) {
      const t = xmhdr + 16 * j;
      const tname = readName(rt, base + mem.i32(t));
      if (base + mem.i32(t + method_mtyp) === itype && tname.name === name.name) {
        const tpkg = tname.pkgPath !== "" ? tname.pkgPath : typePkg;
        if (tname.exported || tpkg === ipkg) {
          // textOff -1: the linker dropped the method (never called): Go's unreachableMethod.
          const ifn = mem.i32(t + method_ifn);
          mem.setPtr(tab + itab_fun + 8 * k, ifn === -1 ? rt.image.addrOf("runtime.unreachableMethod") ?? 0 : text + ifn);
          found = true;
          break;
        }
      }
    }
    if (!found) {
      // The method is missing: the itab is kept with fun[0] = 0 (a negative answer).
      mem.setPtr(tab + itab_fun, 0);
      c.set(key, tab);
      if (canfail) return 0;
      assertionPanic(rt, 0, typ, inter, name.name);
    }
  }
  c.set(key, tab);
  return tab;
}

function missing(rt: Runtime, inter: number, typ: number, canfail: boolean): number {
  if (canfail) return 0;
  // Find the name of the first missing method again, for the message.
  const mem = rt.mem;
  const imhdr = mem.ptr(inter + interfacetype_mhdr);
  assertionPanic(rt, 0, typ, inter, readName(rt, types(rt) + mem.i32(imhdr)).name);
}

/** TypeAssertionError{_interface, concrete, asserted, missingMethod}.Error(), as a panic. */
function assertionPanic(rt: Runtime, iface: number, concrete: number, asserted: number, missingMethod: string): never {
  const inter = iface !== 0 ? typeString(rt, iface) : "interface";
  const as = typeString(rt, asserted);
  if (concrete === 0) gopanic(`interface conversion: ${inter} is nil, not ${as}`);
  const cs = typeString(rt, concrete);
  if (missingMethod === "") gopanic(`interface conversion: ${inter} is ${cs}, not ${as}`);
  gopanic(`interface conversion: ${cs} is not ${as}: missing method ${missingMethod}`);
}

function ret2(h: H, tab: number, data: number): undefined {
  h.ret(0, tab);
  h.ret(1, tab === 0 ? 0 : data);
  return undefined;
}

export function register(t: HostTable<Runtime>): void {
  t.define("runtime.getitab", "p p b : p", (rt, h) => { h.ret(0, getitab(rt, h.arg(0), h.arg(1), (h.arg(2) & 0xff) !== 0)); });
  // convI2I(dst *interfacetype, src *itab) *itab
  t.define("runtime.convI2I", "p p : p", (rt, h) => {
    const dst = h.arg(0), src = h.arg(1);
    h.ret(0, src === 0 ? 0 : rt.mem.ptr(src + itab_inter) === dst ? src : getitab(rt, dst, rt.mem.ptr(src + itab__type), false));
  });
  // assertI2I(inter *interfacetype, tab *itab) *itab
  t.define("runtime.assertI2I", "p p : p", (rt, h) => {
    const inter = h.arg(0), tab = h.arg(1);
    if (tab === 0) assertionPanic(rt, 0, 0, inter, "");
    h.ret(0, rt.mem.ptr(tab + itab_inter) === inter ? tab : getitab(rt, inter, rt.mem.ptr(tab + itab__type), false));
  });
  // assertI2I2(inter *interfacetype, i iface) (r iface)
  t.define("runtime.assertI2I2", "p p p : p p", (rt, h) => {
    const inter = h.arg(0), tab = h.arg(1);
    if (tab === 0) return ret2(h, 0, 0);
    return ret2(h, rt.mem.ptr(tab + itab_inter) === inter ? tab : getitab(rt, inter, rt.mem.ptr(tab + itab__type), true), h.arg(2));
  });
  // assertE2I(inter *interfacetype, t *_type) *itab
  t.define("runtime.assertE2I", "p p : p", (rt, h) => {
    const inter = h.arg(0), typ = h.arg(1);
    if (typ === 0) assertionPanic(rt, 0, 0, inter, "");
    h.ret(0, getitab(rt, inter, typ, false));
  });
  // assertE2I2(inter *interfacetype, e eface) (r iface)
  t.define("runtime.assertE2I2", "p p p : p p", (rt, h) => {
    const typ = h.arg(1);
    return ret2(h, typ === 0 ? 0 : getitab(rt, h.arg(0), typ, true), h.arg(2));
  });
  // panicdottypeE(have, want, iface *_type): x.(T) failed.
  t.define("runtime.panicdottypeE", "p p p", (rt, h) => assertionPanic(rt, h.arg(2), h.arg(0), h.arg(1), ""));
  t.define("runtime.panicdottypeI", "p p p", (rt, h) => {
    const have = h.arg(0);
    return assertionPanic(rt, h.arg(2), have === 0 ? 0 : rt.mem.ptr(have + itab__type), h.arg(1), "");
  });
  t.define("runtime.panicnildottype", "p", (rt, h) => assertionPanic(rt, 0, 0, h.arg(0), ""));
}
