// Whole files against Go 1.19's assembler: every .s under asm/, programs/
// and test/corpus/ (but the per-line instruction corpus, which
// encode-oracle.test.ts covers) is assembled by gmpemu and by
// `go tool asm -S`, and every symbol must have the same name, kind, size,
// bytes and relocations (offset, size, type, target, addend). Relocation
// fields themselves are zero in both: they are filled at link time.
//
// Go's listing is parsed into test/golden/asm/<path>.json; with Go installed
// the golden file must equal Go's live answer (GMPEMU_UPDATE_GOLDEN=1
// rewrites it), without Go the golden file is the reference.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { findGo, oracleAvailable } from "../helpers/oracles.ts";
import { assembleFile } from "../../src/asm/assemble.ts";
import { BUILTIN_INCLUDE_DIR, nodeSource } from "../../src/node/nodefs.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const GOLDEN = join(ROOT, "test/golden/asm");
const goBin = findGo();
const haveGo = oracleAvailable("go (go tool asm)", goBin !== null);

interface GoSym {
  name: string;
  kind: "text" | "data";
  size: number;
  bytes: string;
  relocs: string[];
}

/** Files compared, with the package they are assembled as. */
function files(): { path: string; pkg: string }[] {
  const out: { path: string; pkg: string }[] = [];
  const walk = (dir: string, pkg: string): void => {
    if (!existsSync(join(ROOT, dir))) return;
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = join(dir, e.name);
      if (e.isDirectory()) walk(rel, e.name === "runtime" ? "runtime" : pkg);
      else if (e.name.endsWith(".s") && !/^insns/.test(e.name)) out.push({ path: rel, pkg });
    }
  };
  walk("asm", "runtime");
  walk("programs", "main");
  walk("test/corpus", "main");
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

const RELOC_TYPES: Record<string, string> = { 1: "R_ADDR", 7: "R_CALL", 10: "R_CALLIND", 14: "R_PCREL", 15: "R_TLS_LE" };

/** Parses `go tool asm -S` output into symbols. */
function parseGoListing(text: string, pkg: string): GoSym[] {
  const syms: GoSym[] = [];
  let cur: GoSym | undefined;
  const rename = (n: string): string => n.replace(/^""\./, `${pkg}.`).replace(/ ""\./g, ` ${pkg}.`);
  for (const line of text.split("\n")) {
    const head = /^(\S+) (STEXT|SRODATA|SDATA|SNOPTRDATA|SBSS|SNOPTRBSS)\b(.*)size=(\d+)/.exec(line);
    if (head) {
      const isStatic = / static /.test(head[3]!);
      cur = { name: rename(head[1]!) + (isStatic ? "<>" : ""), kind: head[2] === "STEXT" ? "text" : "data", size: Number(head[4]), bytes: "", relocs: [] };
      syms.push(cur);
      continue;
    }
    if (!cur) continue;
    const bytes = /^\t0x[0-9a-f]{4} ((?:[0-9a-f]{2} )+)/.exec(line);
    if (bytes) { cur.bytes += bytes[1]!.replace(/ /g, ""); continue; }
    const rel = /^\trel (\d+)\+(\d+) t=(\d+) (.*)\+(-?\d+)$/.exec(line);
    if (rel) {
      const type = RELOC_TYPES[rel[3]!] ?? `t=${rel[3]}`;
      const target = type === "R_TLS_LE" || type === "R_CALLIND" ? "" : rename(rel[4]!);
      cur.relocs.push(`${rel[1]}+${rel[2]} ${type} ${target}+${rel[5]}`);
    }
  }
  // Go prints a reference to a file-local symbol by its bare name.
  const statics = new Set(syms.filter((s) => s.name.endsWith("<>")).map((s) => s.name.slice(0, -2)));
  for (const s of syms) {
    s.relocs = s.relocs.map((r) => r.replace(/^(\S+ \S+ )(.*)\+(-?\d+)$/, (m, a: string, t: string, n: string) => (statics.has(t) ? `${a}${t}<>+${n}` : m)));
  }
  return syms;
}

function goAssemble(path: string, pkg: string): GoSym[] {
  const dir = mkdtempSync(join(tmpdir(), "gmpemu-asm-"));
  const args = ["tool", "asm", "-S", "-p", pkg, ...(pkg === "runtime" ? ["-compiling-runtime"] : []),
    "-I", BUILTIN_INCLUDE_DIR, "-D", "GOOS_linux", "-D", "GOARCH_amd64", "-o", join(dir, "x.o"), join(ROOT, path)];
  const out = execFileSync(goBin!, args, { encoding: "utf8", cwd: dir, maxBuffer: 1 << 26 });
  return parseGoListing(out, pkg);
}

function ours(path: string, pkg: string): GoSym[] {
  const r = assembleFile(join(ROOT, path), { pkg, source: nodeSource });
  if (r.errors.length) throw new Error(r.errors.map((e) => e.format()).join("\n"));
  return r.obj.syms.map((s) => ({
    name: s.name,
    kind: s.kind,
    size: s.size,
    bytes: Buffer.from(s.bytes).toString("hex"),
    relocs: s.relocs.map((x) => `${x.offset}+${x.size} ${x.type} ${x.sym}+${x.add}`),
  }));
}

const goldenPath = (path: string): string => join(GOLDEN, path.replace(/\//g, "__") + ".json");

describe("whole files vs Go 1.19's assembler", () => {
  const list = files();

  it("finds the runtime assembly, the programs and the prologue corpus", () => {
    const paths = list.map((f) => f.path);
    expect(paths).toContain("programs/sample.s");
    expect(paths).toContain("test/corpus/prologues.s");
  });

  for (const { path, pkg } of list) {
    it(`${path} (-p ${pkg})`, { timeout: 60_000 }, () => {
      let expected: GoSym[];
      const gp = goldenPath(path);
      if (haveGo) {
        expected = goAssemble(path, pkg);
        if (process.env.GMPEMU_UPDATE_GOLDEN === "1" || !existsSync(gp)) {
          mkdirSync(dirname(gp), { recursive: true });
          writeFileSync(gp, JSON.stringify({ source: relative(ROOT, join(ROOT, path)), pkg, symbols: expected }, null, 1) + "\n");
        } else {
          const golden = JSON.parse(readFileSync(gp, "utf8")) as { symbols: GoSym[] };
          expect(golden.symbols, `${gp} is stale: rerun with GMPEMU_UPDATE_GOLDEN=1`).toEqual(expected);
        }
      } else {
        expect(existsSync(gp), `no golden file ${gp}`).toBe(true);
        expected = (JSON.parse(readFileSync(gp, "utf8")) as { symbols: GoSym[] }).symbols;
      }
      const got = ours(path, pkg);
      const byName = (l: GoSym[]): GoSym[] => [...l].sort((a, b) => a.name.localeCompare(b.name));
      expect(byName(got).map((s) => s.name)).toEqual(byName(expected).map((s) => s.name));
      for (const e of expected) {
        const g = got.find((s) => s.name === e.name)!;
        expect(g, e.name).toEqual(e);
      }
      expect(expected.length).toBeGreaterThan(0);
    });
  }
});
