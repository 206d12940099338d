// `seed up`: prepare (init, bundle, config — in a child process), start the libSQL server and
// workerd, wait for /readyz, then supervise both until SIGINT/SIGTERM.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pemBody } from "../../lib/audit/ed25519.ts";
import { writePrivateFile } from "./fs-secure.ts";
import { homePaths, type Ports } from "./home.ts";
import { Supervised } from "./supervisor.ts";
import { waitForHttp } from "./wait-http.ts";
import { WORKERD_BIN } from "./workerd-bin.ts";

type PrepareResult = { seedId: string; created: string[]; rootKey?: string; dbServer: string };

/** `seed build --json` in a child process: see prepare.ts for why. */
function runPrepare(homeDir: string, ports: Ports): PrepareResult {
  const main = path.join(import.meta.dirname, "main.ts");
  const args = ["build", "--home", homeDir, "--port", String(ports.port), "--db-port", String(ports.dbPort), "--listen", ports.listen, "--json"];
  const r = spawnSync(process.execPath, [...process.execArgv, main, ...args], {
    encoding: "utf8",
    env: { ...process.env, SEED_DB_LISTEN: ports.dbListen },
  });
  if (r.status !== 0) throw new Error(r.stderr.trim().replace(/^seed: /, "") || `seed build failed (exit ${r.status})`);
  return JSON.parse(r.stdout) as PrepareResult;
}

export type UpOptions = { home: string; ports: Ports; log: (line: string) => void };

const READY_TIMEOUT_MS = 30_000;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readPid(file: string): number | null {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export async function seedUp(opts: UpOptions): Promise<void> {
  const home = homePaths(opts.home);
  const { ports, log } = opts;
  const running = readPid(home.pid("seed"));
  if (running !== null && running !== process.pid && isAlive(running)) {
    throw new Error(`a seed is already running from ${home.dir} (pid ${running}); see \`seed status\``);
  }

  const t0 = Date.now();
  const init = runPrepare(home.dir, ports);
  if (init.created.length > 0) log(`[seed] initialised ${home.dir}: ${init.created.join(", ")}`);
  if (init.rootKey) log(`[seed] installer root key (shown once, also in ${home.rootKey}):\n${init.rootKey}`);
  const dbServer = init.dbServer;
  writePrivateFile(home.pid("seed"), `${process.pid}\n`);

  const dbToken = readFileSync(home.dbToken, "utf8").trim();
  const dbUrl = `http://${ports.dbListen}:${ports.dbPort}`;
  const httpUrl = `http://${ports.listen === "0.0.0.0" ? "127.0.0.1" : ports.listen}:${ports.port}`;

  const db = new Supervised({
    name: "libsql",
    command: process.execPath,
    args: [dbServer, "--db", home.db, "--token-file", home.dbToken, "--port", String(ports.dbPort), "--listen", ports.dbListen],
    env: { ...process.env, SEED_HOME: home.dir },
    pidFile: home.pid("libsql"),
    ready: () => waitForHttp(`${dbUrl}/health`, { timeoutMs: READY_TIMEOUT_MS }),
    log,
  });
  const worker = new Supervised({
    name: "workerd",
    command: WORKERD_BIN,
    args: ["serve", home.config],
    // Secrets reach workerd through its environment only (fromEnvironment bindings).
    env: {
      ...process.env,
      SEED_DB_TOKEN: dbToken,
      SEED_MASTER_KEY: readFileSync(home.masterKey).toString("hex"),
      // The identity private key (PKCS8 DER, base64): the Worker signs audit checkpoints with it.
      SEED_IDENTITY_KEY: pemBody(readFileSync(home.identityKey, "utf8")),
    },
    pidFile: home.pid("workerd"),
    ready: () => waitForHttp(`${httpUrl}/readyz`, { timeoutMs: READY_TIMEOUT_MS }),
    log,
  });

  let stopping: Promise<void> | null = null;
  const stop = (why: string) => {
    stopping ??= (async () => {
      log(`[seed] ${why}: stopping`);
      await worker.stop();
      await db.stop(); // the libSQL server checkpoints its WAL on SIGTERM
      rmSync(home.pid("seed"), { force: true });
      rmSync(home.state, { force: true });
      log("[seed] stopped");
    })();
    return stopping;
  };
  process.once("SIGINT", () => void stop("SIGINT").then(() => process.exit(0)));
  process.once("SIGTERM", () => void stop("SIGTERM").then(() => process.exit(0)));

  try {
    await db.start();
    await worker.start();
  } catch (err) {
    await stop("start failed");
    throw err;
  }
  const state = { pid: process.pid, seedId: init.seedId, httpUrl, dbUrl, home: home.dir, startedAt: new Date().toISOString() };
  writeFileSync(home.state, JSON.stringify(state, null, 2), { mode: 0o600 });
  log(`[seed] ${init.seedId} is up at ${httpUrl} (ready in ${Date.now() - t0} ms)`);
  log(`[seed] root key: ${home.rootKey}`);
}
