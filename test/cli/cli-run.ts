// Runs the gmpemu command in this process (no child's start-up per call):
// main(argv) with process.stdout and process.stderr captured.
import { main } from "../../src/cli/main.ts";

export interface CliResult { status: number; stdout: string; stderr: string }

export async function gmpemu(...argv: string[]): Promise<CliResult> {
  let stdout = "", stderr = "";
  const out = process.stdout.write, err = process.stderr.write;
  const capture = (to: "out" | "err") => ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const s = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    if (to === "out") stdout += s; else stderr += s;
    const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture("out");
  process.stderr.write = capture("err");
  let status: number;
  try {
    status = await main(argv);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return { status, stdout, stderr };
}
