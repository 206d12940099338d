// `seed dev` (npm run dev): wrangler dev against the same libSQL server `seed up` uses, with
// wrangler's internet probing and metrics off. For development only; `seed up` runs the seed.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, wranglerEnv } from "../workerd-config/build-worker.ts";
import { writePrivateFile } from "./fs-secure.ts";
import { homePaths, resolveHome, resolvePorts } from "./home.ts";
import { initHome } from "./seed-init.ts";
import { waitForHttp } from "./wait-http.ts";

export async function seedDev(homeFlag?: string): Promise<void> {
  const home = homePaths(resolveHome(homeFlag));
  const ports = resolvePorts({});
  await initHome(home);
  const cli = path.join(ROOT, "scripts/cli/main.ts");
  const db = spawn(process.execPath, [...process.execArgv, cli, "db", "serve", "--home", home.dir, "--port", String(ports.dbPort)], { stdio: "inherit" });
  await waitForHttp(`http://${ports.dbListen}:${ports.dbPort}/health`, { timeoutMs: 20_000 });

  // Secrets reach wrangler through an env file under SEED_HOME (0600), never through arguments.
  const envFile = path.join(home.runDir, "dev.env");
  const token = readFileSync(home.dbToken, "utf8").trim();
  const master = readFileSync(home.masterKey).toString("hex");
  writePrivateFile(envFile, `SEED_DB_TOKEN=${token}\nSEED_MASTER_KEY=${master}\n`);
  // The `seed-libsql` service that wrangler.toml's LIBSQL binding names: a tiny proxy Worker
  // (development only) whose config is generated because the port is.
  const proxyConfig = path.join(home.runDir, "dev-libsql.toml");
  writePrivateFile(
    proxyConfig,
    [
      `name = "seed-libsql"`,
      `main = ${JSON.stringify(path.join(ROOT, "scripts/dev/libsql-proxy.ts"))}`,
      `compatibility_date = "2026-11-01"`,
      `[vars]`,
      `LIBSQL_ORIGIN = ${JSON.stringify(`http://${ports.dbListen}:${ports.dbPort}`)}`,
      "",
    ].join("\n"),
  );
  const wrangler = spawn(
    process.execPath,
    [
      path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      ...["-c", "wrangler.toml", "-c", proxyConfig],
      ...["--env-file", envFile, "--port", String(ports.port), "--ip", ports.listen],
      ...["--persist-to", path.join(home.dir, "dev-state")],
    ],
    { cwd: ROOT, env: wranglerEnv(), stdio: "inherit" },
  );
  const stop = () => {
    wrangler.kill("SIGTERM");
    db.kill("SIGTERM");
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  wrangler.once("exit", (code) => {
    db.kill("SIGTERM");
    process.exitCode = code ?? 1;
  });
}
