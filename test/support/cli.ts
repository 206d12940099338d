// Runs the real seed CLI as a child process.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";

export const REPO = path.resolve(import.meta.dirname, "../..");
const MAIN = path.join(REPO, "scripts", "cli", "main.ts");

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO, timeoutMs?: number) {
  const r = spawnSync(process.execPath, [...process.execArgv, MAIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, main = MAIN): ChildProcess {
  return spawn(process.execPath, [...process.execArgv, main, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
