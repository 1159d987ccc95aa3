// TEMPORARY (see node-fs.ts): POSIX path functions for the assembler's
// preprocessor in a page, where paths have no working directory.

/** "a/./b/../c" → "a/c"; leading ".." of a relative path kept. */
export function normalize(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (part !== ".." || !abs) out.push(part);
  }
  const s = out.join("/");
  return abs ? "/" + s : s || ".";
}

export function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : p.slice(0, i);
}

export function join(...parts: string[]): string {
  return normalize(parts.filter((x) => x !== "").join("/"));
}

export function resolve(...parts: string[]): string {
  let p = "";
  for (const part of parts) p = part.startsWith("/") ? part : p === "" ? part : `${p}/${part}`;
  return normalize(p);
}

export function relative(from: string, to: string): string {
  const a = normalize(from).split("/").filter((x) => x !== "." && x !== ""), b = normalize(to).split("/").filter((x) => x !== "." && x !== "");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
}

export function isAbsolute(p: string): boolean {
  return p.startsWith("/");
}
