// The page's state in its URL, so that a teacher can link to an exact
// moment: the program (a bundled name, or edited text, compressed), the
// machine's options, and the step (or the tour's stop). The hash is used,
// not the query, so a static host never sees it and every link works from
// files too.
//
//   #p=gosched&seed=1&procs=1&step=1234
//   #p=mine&src=<deflate-raw, base64url>&seed=2&procs=4&step=0
//   #p=gosched&mode=tour&t=12
//   &ts=10000000 (timeslice, ns)  &pe=97 (preempt every)  &apo=1 (asyncpreemptoff)  &nosys=1 (no sysmon)
//   &rt=<compressed JSON {path: text}> (edited runtime files)
//   &chk=1 (--check: the switch checker)  &lab=gogo (the open lab; its text stays in the browser's storage)
//
// Numbers that do not parse fall back to their defaults and are reported,
// never thrown: a hand-edited link still opens.

import type { MachineOptions } from "./protocol.ts";

export interface PageState {
  program: string;
  /** The program's edited text, when it is not the bundled one. */
  source: string | undefined;
  runtime: Record<string, string>;
  opts: MachineOptions;
  mode: "step" | "tour";
  step: number;
  tourStop: number;
  /** The open lab's name. */
  lab?: string | undefined;
}

export const DEFAULT_STATE: PageState = {
  program: "gosched", source: undefined, runtime: {}, opts: { seed: 1, procs: 1 }, mode: "step", step: 0, tourStop: 0,
};

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s: string): Uint8Array {
  const t = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(t, (c) => c.charCodeAt(0));
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

export async function compress(text: string): Promise<string> {
  return b64url(await pipe(new TextEncoder().encode(text), new CompressionStream("deflate-raw")));
}

export async function decompress(s: string): Promise<string> {
  return new TextDecoder().decode(await pipe(unb64url(s), new DecompressionStream("deflate-raw")));
}

/** Reads the state from a hash; `problems` collects what was ignored. */
export async function readState(hash: string, problems: string[]): Promise<PageState> {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const st: PageState = { ...DEFAULT_STATE, opts: { ...DEFAULT_STATE.opts }, runtime: {} };
  const int = (key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    const v = q.get(key);
    if (v === null || v === "") return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${key}=${v}: not an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ""}`);
      return undefined;
    }
    return n;
  };
  const p = q.get("p");
  if (p) st.program = p;
  const src = q.get("src");
  if (src) {
    try { st.source = await decompress(src); } catch { problems.push("src: the program's text in the link is damaged"); }
  }
  const rt = q.get("rt");
  if (rt) {
    try {
      const o = JSON.parse(await decompress(rt)) as unknown;
      if (o && typeof o === "object") for (const [k, v] of Object.entries(o)) if (typeof v === "string") st.runtime[k] = v;
    } catch { problems.push("rt: the edited runtime files in the link are damaged"); }
  }
  st.opts.seed = int("seed", 0) ?? 1;
  st.opts.procs = int("procs", 1, 256) ?? 1;
  const ts = int("ts", 1);
  if (ts !== undefined) st.opts.timeslice = ts;
  const pe = int("pe", 64);
  if (pe !== undefined) st.opts.preemptEvery = pe;
  if (q.get("apo") === "1") st.opts.asyncpreemptoff = true;
  if (q.get("nosys") === "1") st.opts.nosysmon = true;
  if (q.get("chk") === "1") st.opts.check = true;
  const lab = q.get("lab");
  if (lab) st.lab = lab;
  st.mode = q.get("mode") === "tour" ? "tour" : "step";
  st.step = int("step", 0) ?? 0;
  st.tourStop = int("t", 0) ?? 0;
  return st;
}

/** The hash for a state (compressing the edited texts). */
export async function writeState(st: PageState): Promise<string> {
  const q = new URLSearchParams();
  q.set("p", st.program);
  if (st.source !== undefined) q.set("src", await compress(st.source));
  if (Object.keys(st.runtime).length) q.set("rt", await compress(JSON.stringify(st.runtime)));
  q.set("seed", String(st.opts.seed));
  q.set("procs", String(st.opts.procs));
  if (st.opts.timeslice !== undefined) q.set("ts", String(st.opts.timeslice));
  if (st.opts.preemptEvery !== undefined) q.set("pe", String(st.opts.preemptEvery));
  if (st.opts.asyncpreemptoff) q.set("apo", "1");
  if (st.opts.nosysmon) q.set("nosys", "1");
  if (st.opts.check) q.set("chk", "1");
  if (st.lab) q.set("lab", st.lab);
  if (st.mode === "tour") {
    q.set("mode", "tour");
    q.set("t", String(st.tourStop));
  } else q.set("step", String(st.step));
  return "#" + q.toString();
}
