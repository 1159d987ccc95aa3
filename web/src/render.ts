// The panes, drawn from a snapshot: code and source, registers, the gobuf
// and the stack, goroutines, the scheduler (Ps with runnext and their
// local run queue as slots, the global run queue, Ms with what their
// thread runs, sysmon), and the timeline of scheduler events per P.
//
// Each goroutine is one chip, keyed by its id, wherever it is: in a P's
// runnext or local queue, in the global queue, or on an M. Between two
// stops a chip that changed place is animated from where it was (FLIP), so
// goroutines are seen to move between the queues and the Ms.
//
// Everything is built with textContent (never innerHTML from data): the
// program's text and its output are the user's.

import type { BreakView } from "./protocol.ts";
import type { CodeLine, MView, PView, Snapshot, StackWord, TimelineView } from "./snapshot.ts";

type Attrs = Record<string, string | number | boolean | undefined>;

/** An element with a class, attributes (data-*, title ...) and children. */
export function h(tag: string, cls = "", attrs: Attrs = {}, ...kids: (Node | string | null | undefined)[]): HTMLElement {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== false) el.setAttribute(k, v === true ? "" : String(v));
  for (const k of kids) if (k !== null && k !== undefined) el.append(k);
  return el;
}

/** A stable colour per goroutine. */
export function gColor(goid: number): string {
  return `hsl(${(goid * 137.508) % 360} 62% ${goid <= 4 ? 78 : 70}%)`;
}

export function gChip(goid: number, extra = ""): HTMLElement {
  const el = h("span", `g ${extra}`.trim(), { "data-goid": goid, title: `goroutine ${goid}` }, `G${goid}`);
  el.style.background = gColor(goid);
  return el;
}

// --- code -----------------------------------------------------------------

/** The breakpoint at an address, or on a source line ("file:line" as typed, or a suffix of the file's path). */
export function breakAt(breaks: readonly BreakView[], addr: string): BreakView | undefined {
  return breaks.find((b) => b.addrs.includes(addr));
}
export function breakOnLine(breaks: readonly BreakView[], file: string, line: number): BreakView | undefined {
  return breaks.find((b) => {
    const m = /^(.+):(\d+)$/.exec(b.spec);
    return m !== null && Number(m[2]) === line && (m[1] === file || file.endsWith("/" + m[1]));
  });
}

/** The disassembly; `failed` are the addresses of the line a failed switch check names (marked). */
export function renderCode(el: HTMLElement, s: Snapshot, breaks: readonly BreakView[] = [], failed: readonly string[] = []): void {
  // A line of several instructions: its first address is in `failed`, the rest follow on the same line.
  const failLine = new Set(s.code.filter((c) => failed.includes(c.addr)).map((c) => `${c.file}:${c.line}`));
  const rows = s.code.map((c: CodeLine) =>
    h("div", `insn${c.current ? " current" : ""}${breakAt(breaks, c.addr) ? " bp" : ""}${c.file && failLine.has(`${c.file}:${c.line}`) ? " check-fail" : ""}`, { "data-addr": c.addr, title: c.file ? `${c.file}:${c.line} (click the address: breakpoint)` : undefined },
      h("span", "mark", {}, c.current ? "=>" : ""), h("span", "addr", {}, c.addr), h("span", "sym", {}, c.where),
      h("span", "text", {}, c.text), h("span", "where", {}, c.file ? `${c.file}:${c.line}` : "")));
  const head = h("div", "fn", {}, `step ${s.steps} · thread ${s.tid ?? "-"} · `, h("b", "", {}, s.fn));
  if (s.code.length === 0) {
    rows.push(h("div", "host", {}, s.fn.endsWith("(host function)")
      ? `RIP is at a host function: runtime code written in TypeScript${s.hostFile ? ` (${s.hostFile})` : ""}, which the bridge runs as one step when RIP reaches its address.`
      : "No code here."));
  }
  el.replaceChildren(head, ...rows);
}

/** The source around `line` (marked current, or as the failed check's line with `failed`). */
export function renderSource(el: HTMLElement, file: string, line: number, text: string | undefined, breaks: readonly BreakView[] = [], failed = false): void {
  const head = h("div", "file", {}, file ? `${file}:${line}` : "(no source line: RIP is in a host function)");
  if (!file || text === undefined) {
    el.replaceChildren(head);
    return;
  }
  const lines = text.split("\n");
  const from = Math.max(1, line - 200), to = Math.min(lines.length, line + 200);
  const body = h("div", "lines");
  for (let n = from; n <= to; n++) {
    const bp = breakOnLine(breaks, file, n) ? " bp" : "";
    body.append(h("div", `src${n === line ? (failed ? " current check-fail" : " current") : ""}${bp}`, { "data-line": n, "data-file": file }, h("span", "ln", { title: "click: breakpoint" }, String(n)), h("span", "code", {}, lines[n - 1] ?? "")));
  }
  el.replaceChildren(head, body);
  const cur = body.querySelector<HTMLElement>(".current");
  // After layout: the line's offset within the scrolled box.
  if (cur) requestAnimationFrame(() => { body.scrollTop = cur.offsetTop - body.clientHeight / 2; });
}

// --- registers, gobuf, stack --------------------------------------------------

export function renderRegs(el: HTMLElement, s: Snapshot): void {
  el.replaceChildren(...s.regs.map((r) =>
    h("div", r.changed ? "reg changed" : "reg", { id: `reg-${r.name}`, "data-value": r.value },
      h("span", "name", {}, r.name), h("span", "value", {}, r.value))));
}

export function renderGobuf(el: HTMLElement, s: Snapshot): void {
  const g = s.g;
  if (!g) {
    el.replaceChildren(h("div", "none", {}, "No g in the TLS slot yet (rt0_go has not set up TLS)."));
    return;
  }
  const title = h("div", "ghead", {}, g.g0 ? h("span", "g0", {}, "g0") : gChip(g.goid), ` at ${g.gp}: ${g.status} · M${g.m ?? "-"} · P${g.p ?? "-"}`);
  const row = (k: string, v: string, note = ""): HTMLElement => h("tr", "", { id: `gobuf-${k}`, "data-value": v }, h("th", "", {}, `sched.${k}`), h("td", "mono", {}, v), h("td", "note", {}, note));
  const t = h("table", "gobuf", {},
    row("sp", g.gobuf.sp), row("pc", g.gobuf.pc, g.gobuf.pcSym), row("bp", g.gobuf.bp), row("ctxt", g.gobuf.ctxt), row("ret", g.gobuf.ret), row("g", g.gobuf.g));
  const stackRange = h("div", "note", {}, `stack [${g.stackLo}, ${g.stackHi})`);
  const r = s.restoring;
  if (!r) {
    el.replaceChildren(title, t, stackRange);
    return;
  }
  // In gogo: the gobuf it is about to restore, beside the current g's.
  const rrow = (k: string, v: string, note = ""): HTMLElement => h("tr", "", { id: `restoring-${k}`, "data-value": v }, h("th", "", {}, `sched.${k}`), h("td", "mono", {}, v), h("td", "note", {}, note));
  const rt = h("table", "gobuf restoring", {},
    rrow("sp", r.gobuf.sp), rrow("pc", r.gobuf.pc, r.gobuf.pcSym), rrow("bp", r.gobuf.bp), rrow("ctxt", r.gobuf.ctxt), rrow("ret", r.gobuf.ret), rrow("g", r.gobuf.g));
  el.replaceChildren(title, t, stackRange, h("div", "ghead restoring", {}, "gogo is restoring ", gChip(r.goid), `'s gobuf at ${r.buf}:`), rt);
}

export function renderStack(el: HTMLElement, s: Snapshot): void {
  const gsp = s.g?.gobuf.sp;
  const rows: HTMLElement[] = [];
  for (const w of s.stack as StackWord[]) {
    // A frame's name on a row of its own, above its lowest word.
    if (w.frame) rows.push(h("tr", "frame-label", {}, h("td", "frame", { colspan: 4 }, w.frame)));
    const marks = [...w.marks];
    if (gsp !== undefined && w.addr === gsp && gsp !== "0x0") marks.push("gobuf.sp");
    rows.push(h("tr", "", { "data-addr": w.addr },
      h("td", "marks", {}, marks.join(" ")), h("td", "mono", {}, w.addr), h("td", "mono", {}, w.value), h("td", "note", {}, w.note)));
  }
  el.replaceChildren(h("table", "stack", {}, h("tr", "", {}, h("th", "", {}, ""), h("th", "", {}, "address"), h("th", "", {}, "value"), h("th", "", {}, "")), ...rows));
}

// --- goroutines ------------------------------------------------------------------

export function renderGoroutines(el: HTMLElement, s: Snapshot): void {
  const rows = s.goroutines.map((g) =>
    h("tr", g.current ? "current" : "", { "data-goid": g.goid },
      h("td", "", {}, gChip(g.goid)), h("td", "", {}, g.status), h("td", "", {}, g.wait), h("td", "mono", {}, g.where)));
  const more = s.ngoroutines - s.goroutines.length;
  if (more > 0) rows.push(h("tr", "more", {}, h("td", "", { colspan: 4 }, `… ${more} more of ${s.ngoroutines} (the command line's goroutines lists them all)`)));
  el.replaceChildren(h("table", "goroutines", {},
    h("tr", "", {}, h("th", "", {}, "G"), h("th", "", {}, "status"), h("th", "", {}, "wait reason"), h("th", "", {}, "where")), ...rows));
}

// --- the scheduler -----------------------------------------------------------------

function pBox(p: PView): HTMLElement {
  const runnext = h("div", "slot runnext", { title: "runnext: runs next, inheriting the time slice" }, p.runnext !== null ? gChip(p.runnext) : h("span", "empty", {}, "·"));
  const q = h("div", "runq", { "data-len": p.runq.length, title: "the local run queue (a ring of 256), head first" });
  for (const g of p.runq) q.append(h("span", "slot", {}, gChip(g)));
  if (p.runq.length === 0) q.append(h("span", "empty", {}, "empty"));
  return h("div", `pbox p-${p.status}`, { "data-p": p.id },
    h("header", "", {}, h("b", "", {}, `P${p.id}`), ` ${p.status} · M${p.m ?? "-"} · schedtick ${p.schedtick}`),
    h("div", "row", {}, h("span", "label", {}, "runnext"), runnext),
    h("div", "row", {}, h("span", "label", {}, `runq (${p.runq.length})`), q));
}

function mBox(m: MView): HTMLElement {
  const what = m.doing.startsWith("running G") ? gChip(Number(m.doing.slice(9))) : h("span", `state ${m.doing.replace(/\s+/g, "-")}`, {}, m.doing);
  return h("div", `mbox ${m.oncpu ? "oncpu" : ""} ${m.sysmon ? "sysmon" : ""}`, { "data-m": m.id, "data-doing": m.doing },
    h("header", "", {}, h("b", "", {}, m.sysmon ? `M${m.id} sysmon` : `M${m.id}`), ` thread ${m.tid || "-"} · ${m.p !== null ? `P${m.p}` : "no P"}${m.spinning ? " · spinning" : ""}`),
    h("div", "doing", {}, what, m.oncpu ? h("span", "cpu", { title: "this thread is the one on the CPU" }, " ◀ CPU") : ""));
}

/** Positions of the goroutine chips now, for the animation of the next draw. */
function chipRects(el: HTMLElement): Map<string, DOMRect> {
  const out = new Map<string, DOMRect>();
  for (const c of el.querySelectorAll<HTMLElement>(".g[data-goid]")) out.set(c.dataset["goid"]!, c.getBoundingClientRect());
  return out;
}

export function renderSched(el: HTMLElement, s: Snapshot, animate: boolean): void {
  const before = animate ? chipRects(el) : new Map<string, DOMRect>();
  const ps = h("div", "ps", {}, ...s.ps.map(pBox));
  const gq = h("div", "runq", { "data-len": s.sched.runqsize });
  for (const g of s.sched.runq) gq.append(h("span", "slot", {}, gChip(g)));
  if (s.sched.runqsize > s.sched.runq.length) gq.append(h("span", "more", {}, `… ${s.sched.runqsize - s.sched.runq.length} more`));
  if (s.sched.runqsize === 0) gq.append(h("span", "empty", {}, "empty"));
  const global = h("div", "global", { "data-size": s.sched.runqsize },
    h("header", "", {}, h("b", "", {}, "global run queue"), ` (${s.sched.runqsize}) · idle Ps ${s.sched.npidle} · idle Ms ${s.sched.nmidle} · spinning Ms ${s.sched.nmspinning}`), gq);
  const msEl = h("div", "ms", {}, ...s.ms.map(mBox));
  el.replaceChildren(ps, global, msEl);
  if (!animate) return;
  for (const c of el.querySelectorAll<HTMLElement>(".g[data-goid]")) {
    const was = before.get(c.dataset["goid"]!);
    if (!was) continue;
    const now = c.getBoundingClientRect();
    const dx = was.left - now.left, dy = was.top - now.top;
    if (Math.abs(dx) < 1 && Math.abs(dy) < 1) continue;
    c.animate([{ transform: `translate(${dx}px, ${dy}px)` }, { transform: "none" }], { duration: 350, easing: "ease-out" });
  }
}

// --- the timeline ------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The timeline: a lane per P (every P, with or without events in the window). */
export function renderTimeline(el: HTMLElement, tl: TimelineView, allPs: readonly number[] = []): void {
  const lane = 26, left = 40, width = Math.max(300, el.clientWidth - 8 || 800);
  const lanes = [...new Set([...allPs, ...tl.ps])].sort((a, b) => a - b);
  const height = lanes.length * lane + 18;
  const root = svg("svg", { width, height, class: "timeline" });
  const span = Math.max(1, tl.t1 - tl.t0);
  const x = (t: number): number => left + ((t - tl.t0) / span) * (width - left - 4);
  lanes.forEach((p, i) => {
    const y = i * lane;
    root.append(svg("text", { x: 4, y: y + 17, class: "lane" }, `P${p}`));
    root.append(svg("line", { x1: left, x2: width, y1: y + lane - 1, y2: y + lane - 1, class: "laneline" }));
    for (const sl of tl.slices.filter((q) => q.p === p)) {
      const x0 = x(Math.max(sl.start, tl.t0)), x1 = Math.max(x0 + 1, x(sl.end));
      const r = svg("rect", { x: x0, y: y + 3, width: x1 - x0, height: lane - 8, fill: gColor(sl.goid), class: "slice", "data-goid": sl.goid });
      r.append(svg("title", {}, `G${sl.goid} on P${p}: ${(sl.start / 1000).toFixed(3)}–${(sl.end / 1000).toFixed(3)} µs`));
      root.append(r);
      if (x1 - x0 > 26) root.append(svg("text", { x: x0 + 3, y: y + 17, class: "slicelabel" }, `G${sl.goid}`));
    }
    for (const it of tl.instants.filter((q) => q.p === p)) {
      const t = svg("line", { x1: x(it.t), x2: x(it.t), y1: y + 1, y2: y + lane - 3, class: `instant ${it.name.split(" ")[0]}` });
      t.append(svg("title", {}, `${it.name} at ${(it.t / 1000).toFixed(3)} µs`));
      root.append(t);
    }
  });
  root.append(svg("text", { x: left, y: height - 3, class: "axis" }, `${(tl.t0 / 1000).toFixed(3)} µs`));
  root.append(svg("text", { x: width - 4, y: height - 3, class: "axis end" }, `${(tl.t1 / 1000).toFixed(3)} µs (virtual)`));
  const recent = h("pre", "recent", {}, tl.recent.slice(-12).join("\n"));
  el.replaceChildren(root, recent);
}

// --- the labs' handouts ------------------------------------------------------------

/**
 * A handout's markdown, the little of it the labs use: headings, fenced
 * code, lists, tables as text, paragraphs, `code` and **bold**. Built as
 * nodes (text is never parsed as HTML), so a handout cannot inject markup.
 */
export function renderMarkdown(el: HTMLElement, md: string): void {
  const out: HTMLElement[] = [];
  const lines = md.split("\n");
  let para: string[] = [];
  let list: HTMLElement | undefined;
  const flush = (): void => {
    if (para.length) out.push(h("p", "", {}, ...inline(para.join(" "))));
    para = [];
    list = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith("```")) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) code.push(lines[i]!);
      out.push(h("pre", "", {}, h("code", "", {}, code.join("\n"))));
      continue;
    }
    // An indented block (four spaces or a tab) after a blank line: code.
    if (/^( {4}|\t)/.test(l) && para.length === 0 && !list) {
      const code: string[] = [];
      for (; i < lines.length && (/^( {4}|\t)/.test(lines[i]!) || (lines[i]!.trim() === "" && /^( {4}|\t)/.test(lines[i + 1] ?? ""))); i++) code.push(lines[i]!.replace(/^( {4}|\t)/, ""));
      i--;
      out.push(h("pre", "", {}, h("code", "", {}, code.join("\n"))));
      continue;
    }
    const head = /^(#{1,6})\s+(.*)$/.exec(l);
    if (head) {
      flush();
      out.push(h(`h${Math.min(3, head[1]!.length)}`, "", {}, ...inline(head[2]!)));
      continue;
    }
    const item = /^\s*(?:[-*]|\d+\.)\s+(.*)$/.exec(l);
    if (item) {
      if (para.length) flush();
      if (!list) {
        list = h(/^\s*\d/.test(l) ? "ol" : "ul");
        out.push(list);
      }
      list.append(h("li", "", {}, ...inline(item[1]!)));
      continue;
    }
    if (l.startsWith("|")) {
      flush();
      const rows: string[] = [l];
      while (i + 1 < lines.length && lines[i + 1]!.startsWith("|")) rows.push(lines[++i]!);
      out.push(h("pre", "", {}, rows.join("\n")));
      continue;
    }
    if (l.trim() === "") { flush(); continue; }
    if (list && /^\s+\S/.test(l)) {
      list.lastElementChild?.append(" ", ...inline(l.trim()));
      continue;
    }
    list = undefined;
    para.push(l.trim());
  }
  flush();
  el.replaceChildren(...out);
}

function inline(text: string): (Node | string)[] {
  const out: (Node | string)[] = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*/g;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > at) out.push(text.slice(at, m.index));
    out.push(m[1] !== undefined ? h("code", "", {}, m[1]) : h("b", "", {}, m[2]!));
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}
