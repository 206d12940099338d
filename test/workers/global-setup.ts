// Starts a real libSQL server process (`seed db serve`) on a fresh, initialised SEED_HOME for
// the Worker tests, and hands its port, token and the installer root key to the test project.
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { homePaths } from "../../scripts/cli/home.ts";
import { initHome } from "../../scripts/cli/seed-init.ts";
import { waitForHttp } from "../../scripts/cli/wait-http.ts";
import { freePort, tempDir } from "../support/seed-home.ts";

declare module "vitest" {
  export interface ProvidedContext {
    libsqlPort: number;
    dbToken: string;
    rootKey: string;
    masterKey: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = tempDir("seed workers ");
  const home = homePaths(path.join(dir, "home"));
  const report = await initHome(home);
  const port = await freePort();
  const cli = path.resolve(import.meta.dirname, "../../scripts/cli/main.ts");
  const child = spawn(process.execPath, [...process.execArgv, cli, "db", "serve", "--home", home.dir, "--port", String(port)], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitForHttp(`http://127.0.0.1:${port}/health`, { timeoutMs: 20_000 });
  project.provide("libsqlPort", port);
  project.provide("dbToken", readFileSync(home.dbToken, "utf8").trim());
  project.provide("rootKey", report.rootKey!);
  project.provide("masterKey", readFileSync(home.masterKey).toString("hex"));
  return async () => {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  };
}
