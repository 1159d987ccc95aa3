// spawnSync's result, without blocking the test worker's event loop while
// the child runs (vitest's RPC needs its turns on a loaded machine).
import { spawn } from "node:child_process";

export interface Spawned { status: number | null; stdout: string; stderr: string }

export function spawnAsync(cmd: string, args: readonly string[], opts: { cwd?: string; timeout?: number } = {}): Promise<Spawned> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    c.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const t = setTimeout(() => c.kill("SIGKILL"), opts.timeout ?? 60_000);
    c.on("close", (code) => { clearTimeout(t); resolve({ status: code, stdout, stderr }); });
  });
}
