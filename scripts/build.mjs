// Builds the gmpemu command into one JavaScript file, dist/gmpemu.mjs, with
// esbuild: npm's `prepare` step runs it (so `npm ci` in a fresh clone
// builds it), and bin/gmpemu.mjs uses it whenever it is newer than every
// file under src/, falling back to the TypeScript sources (through tsx)
// otherwise. One bundle starts faster than hundreds of modules compiled on
// the fly, and inside one module scope the runtime's constants (struct
// offsets, register numbers) are plain variables rather than the getters a
// module loader puts between files.
//
//   node scripts/build.mjs            # dist/gmpemu.mjs
//   node scripts/build.mjs --bench    # and bench/{main,run,sched,program}.bundle.mjs
//
// The bench's bundles sit beside their sources (and are ignored by git) so
// that each finds its .s files where its source does (npm run bench).
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // The Unicorn binding loads a native library through koffi, which must
  // stay a package; everything else is ours and goes in the bundle.
  external: ["koffi"],
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  // commander is CommonJS: give its require() a real one.
  banner: { js: "import { createRequire as __gmpemuRequire } from 'node:module'; const require = __gmpemuRequire(import.meta.url);" },
};
await build({ ...common, entryPoints: [join(root, "src/cli/main.ts")], outfile: join(root, "dist/gmpemu.mjs") });
if (process.argv.includes("--bench")) {
  await build({
    ...common,
    entryPoints: ["main", "run", "sched", "program"].map((n) => join(root, "bench", `${n}.ts`)),
    outdir: join(root, "bench"),
    entryNames: "[name].bundle",
    outExtension: { ".js": ".mjs" },
    sourcemap: false,
  });
}
