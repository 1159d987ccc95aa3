// The GDB Remote Serial Protocol, the parts that do not depend on a machine:
// packet framing ($data#cs with +/- acks, and the 0x03 interrupt byte),
// hex encoding, and the amd64 target description gdb reads through
// qXfer:features:read:target.xml.
//
// The register table is gdb's numbering for i386:x86-64 with the core, sse,
// linux and segments features, in that order; `engine` says where each
// register lives in the Engine's numbering (GPRs in hardware order RAX RCX
// RDX RBX RSP RBP SI DI R8-R15, then RIP 16, RFLAGS 17, FS base 18, GS base
// 19), or that it has no emulated counterpart and reads as zero.

/** The modulo-256 sum of the packet's bytes, as two lower-case hex digits. */
export function checksum(data: string): string {
  let s = 0;
  for (let i = 0; i < data.length; i++) s = (s + data.charCodeAt(i)) & 0xff;
  return s.toString(16).padStart(2, "0");
}

/** Escapes the bytes the protocol reserves ($ # } *) in a reply's data. */
export function escapeBinary(data: string): string {
  return data.replace(/[$#}*]/g, (c) => "}" + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
}

/** A packet on the wire: $data#cs. */
export function frame(data: string): string {
  const d = escapeBinary(data);
  return `$${d}#${checksum(d)}`;
}

/**
 * The largest packet the stub accepts: 16384 bytes, advertised in
 * qSupported as PacketSize=4000 (the protocol writes it in hex). gdb sizes
 * its packets, $ # and checksum included, to fit; a packet whose data is
 * longer is dropped as it arrives and answered E01.
 */
export const PACKET_SIZE = 0x4000;

/** What the parser found in the byte stream. */
export type Incoming =
  | { kind: "packet"; data: string }
  /** A packet that did not arrive whole: a bad checksum or escape, or cut short by the next "$". */
  | { kind: "bad"; data: string }
  /** A packet longer than PACKET_SIZE, dropped unread. */
  | { kind: "toolong" }
  | { kind: "ack" }
  | { kind: "nack" }
  | { kind: "interrupt" };

const DOLLAR = 0x24, HASH = 0x23, ESC = 0x7d;
const IDLE = 0, DATA = 1, CS1 = 2, CS2 = 3, DROP = 4, DROP_CS1 = 5, DROP_CS2 = 6;

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Splits gdb's byte stream into packets. A state machine over bytes that
 * keeps at most one packet (PACKET_SIZE bytes): a longer one is skipped to
 * its "#" with indexOf, whatever its length, and reported as "toolong", so
 * a 64 MB packet costs a scan, not a buffer. Bytes outside packets other
 * than + - and ^C are ignored. A packet's escapes (}x) are undone;
 * run-length encoding is not (gdb never sends it). Data is latin1: one
 * character per byte.
 */
export class PacketParser {
  private state = IDLE;
  private readonly buf: Uint8Array;
  private len = 0;
  private cs = 0;

  constructor(readonly max = PACKET_SIZE) {
    this.buf = new Uint8Array(max);
  }

  /** Bytes held for the packet being read (never more than max). */
  get buffered(): number { return this.len; }

  feed(chunk: string | Uint8Array): Incoming[] {
    const b = typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk;
    const out: Incoming[] = [];
    let i = 0;
    while (i < b.length) {
      const c = b[i]!;
      switch (this.state) {
        case IDLE:
          i++;
          if (c === DOLLAR) { this.state = DATA; this.len = 0; }
          else if (c === 0x2b) out.push({ kind: "ack" });
          else if (c === 0x2d) out.push({ kind: "nack" });
          else if (c === 0x03) out.push({ kind: "interrupt" });
          break;
        case DATA: {
          // Copy up to the next "#" or "$" in one go.
          let end = i;
          while (end < b.length && b[end] !== HASH && b[end] !== DOLLAR) end++;
          const n = end - i;
          if (this.len + n > this.max) {
            this.state = DROP;
            this.len = 0;
            i = end;
            break;
          }
          this.buf.set(b.subarray(i, end), this.len);
          this.len += n;
          i = end;
          if (i < b.length) {
            if (b[i] === HASH) { this.state = CS1; i++; }
            else { out.push({ kind: "bad", data: this.text(false)! }); this.len = 0; i++; } // "$": cut short, a new packet starts
          }
          break;
        }
        case CS1: this.cs = c; this.state = CS2; i++; break;
        case CS2: {
          i++;
          this.state = IDLE;
          const want = (hexVal(this.cs) << 4) | hexVal(c);
          let sum = 0;
          for (let k = 0; k < this.len; k++) sum = (sum + this.buf[k]!) & 0xff;
          const data = this.text(true);
          out.push(hexVal(this.cs) >= 0 && hexVal(c) >= 0 && want === sum && data !== undefined
            ? { kind: "packet", data }
            : { kind: "bad", data: data ?? this.text(false)! });
          break;
        }
        case DROP: {
          let end = i;
          const h = b.indexOf(HASH, i), d = b.indexOf(DOLLAR, i);
          end = h < 0 ? d : d < 0 ? h : Math.min(h, d);
          if (end < 0) { i = b.length; break; }
          i = end + 1;
          if (b[end] === HASH) this.state = DROP_CS1;
          else { out.push({ kind: "toolong" }); this.state = DATA; this.len = 0; }
          break;
        }
        case DROP_CS1: i++; this.state = DROP_CS2; break;
        case DROP_CS2: i++; this.state = IDLE; out.push({ kind: "toolong" }); break;
      }
    }
    return out;
  }

  /** The packet's data with escapes undone, or undefined for a dangling "}" (when unescaping). */
  private text(unescape: boolean): string | undefined {
    let s = "";
    for (let k = 0; k < this.len; k++) {
      let c = this.buf[k]!;
      if (unescape && c === ESC) {
        if (++k >= this.len) return undefined;
        c = this.buf[k]! ^ 0x20;
      }
      s += String.fromCharCode(c);
    }
    return s;
  }
}

export function bytesToHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Is h an even number of hex digits (possibly none)? */
export function isHexBytes(h: string): boolean {
  return h.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(h);
}

export function hexToBytes(h: string): Uint8Array {
  if (!isHexBytes(h)) throw new Error(`bad hex: ${h.length > 40 ? h.slice(0, 40) + "…" : h}`);
  const b = new Uint8Array(h.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return b;
}

/** A little-endian value of `bytes` bytes as hex (gdb's register encoding). */
export function leHex(v: bigint, bytes: number): string {
  let s = "";
  let x = BigInt.asUintN(bytes * 8, v);
  for (let i = 0; i < bytes; i++) {
    s += Number(x & 0xffn).toString(16).padStart(2, "0");
    x >>= 8n;
  }
  return s;
}

export function leHexToBigint(h: string): bigint {
  let v = 0n;
  for (let i = h.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(h.slice(i, i + 2), 16));
  return v;
}

/** Where a gdb register comes from. */
export type RegSource =
  | { kind: "reg"; id: number }
  | { kind: "xmm"; index: number }
  | { kind: "zero" };

export interface GdbReg {
  name: string;
  bits: number;
  type: string;
  group?: string;
  feature: "core" | "sse" | "linux" | "segments";
  src: RegSource;
}

const ENGINE_GPR: Record<string, number> = {
  rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7,
  r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15,
};

function buildRegs(): GdbReg[] {
  const r: GdbReg[] = [];
  const core = (name: string, bits: number, type: string, src: RegSource, group?: string): void => {
    const g: GdbReg = { name, bits, type, feature: "core", src };
    if (group) g.group = group;
    r.push(g);
  };
  for (const n of ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]) {
    core(n, 64, n === "rbp" || n === "rsp" ? "data_ptr" : "int64", { kind: "reg", id: ENGINE_GPR[n]! });
  }
  core("rip", 64, "code_ptr", { kind: "reg", id: 16 });
  core("eflags", 32, "i386_eflags", { kind: "reg", id: 17 });
  for (const n of ["cs", "ss", "ds", "es", "fs", "gs"]) core(n, 32, "int32", { kind: "zero" });
  for (let i = 0; i < 8; i++) core(`st${i}`, 80, "i387_ext", { kind: "zero" });
  for (const n of ["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"]) core(n, 32, "int", { kind: "zero" }, "float");
  for (let i = 0; i < 16; i++) r.push({ name: `xmm${i}`, bits: 128, type: "vec128", feature: "sse", src: { kind: "xmm", index: i } });
  r.push({ name: "mxcsr", bits: 32, type: "i386_mxcsr", group: "vector", feature: "sse", src: { kind: "zero" } });
  r.push({ name: "orig_rax", bits: 64, type: "int", group: "system", feature: "linux", src: { kind: "zero" } });
  r.push({ name: "fs_base", bits: 64, type: "int", feature: "segments", src: { kind: "reg", id: 18 } });
  r.push({ name: "gs_base", bits: 64, type: "int", feature: "segments", src: { kind: "reg", id: 19 } });
  return r;
}

/** gdb's amd64 registers, in gdb's order (the `g` packet's and `p n`'s numbering). */
export const GDB_REGS: readonly GdbReg[] = buildRegs();

export function gdbRegNum(name: string): number {
  return GDB_REGS.findIndex((r) => r.name === name);
}

const EFLAGS_TYPE = `  <flags id="i386_eflags" size="4">
    <field name="CF" start="0" end="0"/>
    <field name="" start="1" end="1"/>
    <field name="PF" start="2" end="2"/>
    <field name="AF" start="4" end="4"/>
    <field name="ZF" start="6" end="6"/>
    <field name="SF" start="7" end="7"/>
    <field name="TF" start="8" end="8"/>
    <field name="IF" start="9" end="9"/>
    <field name="DF" start="10" end="10"/>
    <field name="OF" start="11" end="11"/>
    <field name="NT" start="14" end="14"/>
    <field name="RF" start="16" end="16"/>
    <field name="VM" start="17" end="17"/>
    <field name="AC" start="18" end="18"/>
    <field name="VIF" start="19" end="19"/>
    <field name="VIP" start="20" end="20"/>
    <field name="ID" start="21" end="21"/>
  </flags>
`;

const SSE_TYPES = `  <vector id="v8bf16" type="bfloat16" count="8"/>
  <vector id="v4f" type="ieee_single" count="4"/>
  <vector id="v2d" type="ieee_double" count="2"/>
  <vector id="v16i8" type="int8" count="16"/>
  <vector id="v8i16" type="int16" count="8"/>
  <vector id="v4i32" type="int32" count="4"/>
  <vector id="v2i64" type="int64" count="2"/>
  <union id="vec128">
    <field name="v8_bfloat16" type="v8bf16"/>
    <field name="v4_float" type="v4f"/>
    <field name="v2_double" type="v2d"/>
    <field name="v16_int8" type="v16i8"/>
    <field name="v8_int16" type="v8i16"/>
    <field name="v4_int32" type="v4i32"/>
    <field name="v2_int64" type="v2i64"/>
    <field name="uint128" type="uint128"/>
  </union>
  <flags id="i386_mxcsr" size="4">
    <field name="IE" start="0" end="0"/>
    <field name="DE" start="1" end="1"/>
    <field name="ZE" start="2" end="2"/>
    <field name="OE" start="3" end="3"/>
    <field name="UE" start="4" end="4"/>
    <field name="PE" start="5" end="5"/>
    <field name="DAZ" start="6" end="6"/>
    <field name="IM" start="7" end="7"/>
    <field name="DM" start="8" end="8"/>
    <field name="ZM" start="9" end="9"/>
    <field name="OM" start="10" end="10"/>
    <field name="UM" start="11" end="11"/>
    <field name="PM" start="12" end="12"/>
    <field name="FZ" start="15" end="15"/>
  </flags>
`;

/**
 * The target description. fs_base and gs_base are in
 * org.gnu.gdb.i386.segments, where gdb (8 and later) looks for them;
 * org.gnu.gdb.i386.linux holds orig_rax.
 */
export function targetXml(): string {
  const regs = (f: GdbReg["feature"]): string =>
    GDB_REGS.map((r, i) => ({ r, i })).filter(({ r }) => r.feature === f)
      .map(({ r, i }) => `  <reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${i}"${r.group ? ` group="${r.group}"` : ""}/>\n`).join("");
  return `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>i386:x86-64</architecture>
<osabi>GNU/Linux</osabi>
<feature name="org.gnu.gdb.i386.core">
${EFLAGS_TYPE}${regs("core")}</feature>
<feature name="org.gnu.gdb.i386.sse">
${SSE_TYPES}${regs("sse")}</feature>
<feature name="org.gnu.gdb.i386.linux">
${regs("linux")}</feature>
<feature name="org.gnu.gdb.i386.segments">
${regs("segments")}</feature>
</target>
`;
}

/** The answer to qXfer:...:read:annex:offset,length for a document. */
export function xferSlice(doc: string, offset: number, length: number): string {
  const part = doc.slice(offset, offset + length);
  return (offset + length >= doc.length ? "l" : "m") + part;
}
