// TEMPORARY (see node-fs.ts): the preprocessor finds asm/include from its
// own module's URL; in a page its module is a bundled chunk, so every URL
// stands for src/asm/, and asm/include resolves to the in-memory
// "asm/include".

export function fileURLToPath(_url: string | URL): string {
  return "src/asm/preprocess.ts";
}
