// `seed up`: prepare (init, bundle, config — in a child process), start the libSQL server and
// workerd, wait until the seed answers as itself, then supervise both until SIGINT/SIGTERM.
// Refuses a second seed in the same home and ports already taken, before starting anything.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { VERSION } from "../../lib/version.ts";
import { nextDue } from "./backup/schedule.ts";
import { ensureDir, writePrivateFile } from "./fs-secure.ts";
import { homePaths, type Home, type Ports } from "./home.ts";
import { jsonLogger, LogFile } from "./json-log.ts";
import { waitForOwnSeed } from "./own-seed.ts";
import { keyFileLine } from "./key-file.ts";
import { livePid } from "./pids.ts";
import { assertPortsFree } from "./port-check.ts";
import { Supervised } from "./supervisor.ts";
import { WORKERD_BIN } from "./workerd-bin.ts";
import { workerdSecretEnv } from "./workerd-env.ts";

export { isAlive, readPid } from "./pids.ts";

type PrepareResult = { seedId: string; created: string[]; rootKeyCreated?: boolean; dbServer: string };

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

export type UpOptions = { home: string; ports: Ports };

/** Children of a supervisor that was killed die on their own (pdeathsig): give them a moment. */
async function refuseIfRunning(home: Home): Promise<void> {
  const supervisor = livePid(home.pid("seed"));
  if (supervisor !== null && supervisor !== process.pid) {
    throw new Error(`a seed is already running from ${home.dir} (pid ${supervisor}); see \`seed status\``);
  }
  for (const name of ["libsql", "workerd"]) {
    for (let i = 0; i < 200 && livePid(home.pid(name)) !== null; i++) await delay(50);
    const pid = livePid(home.pid(name));
    if (pid !== null) {
      throw new Error(`${name} of a previous seed still runs from ${home.dir} (pid ${pid}) without its supervisor: stop it (kill ${pid}) and run \`seed up\` again`);
    }
  }
}

export async function seedUp(opts: UpOptions): Promise<void> {
  const home = homePaths(opts.home);
  const { ports } = opts;
  await refuseIfRunning(home);
  const httpHost = ports.listen === "0.0.0.0" ? "127.0.0.1" : ports.listen === "::" ? "::1" : ports.listen;
  const httpUrl = `http://${httpHost.includes(":") ? `[${httpHost}]` : httpHost}:${ports.port}`;
  const dbUrl = `http://${ports.dbListen}:${ports.dbPort}`;
  await assertPortsFree([
    { what: "the Worker's HTTP", host: ports.listen, port: ports.port },
    { what: "the libSQL server's", host: ports.dbListen, port: ports.dbPort },
  ]);

  const t0 = Date.now();
  const init = runPrepare(home.dir, ports);
  ensureDir(home.logsDir);
  const logFile = new LogFile(home.logFile);
  const { log, line } = jsonLogger(logFile);
  if (init.created.length > 0) log("seed", "initialised", { msg: `initialised ${home.dir}: ${init.created.join(", ")}` });
  if (init.rootKeyCreated) {
    // A key goes to an interactive terminal only, never to a log or a journal.
    if (process.stdout.isTTY) {
      process.stdout.write(`\ninstaller root key (shown once, also in ${home.rootKey}, 0600):\n${readFileSync(home.rootKey, "utf8").trim()}\n\n`);
    }
    log("seed", "root_key_created", { path: home.rootKey, msg: `installer root key saved to ${home.rootKey} (0600)` });
  }
  writePrivateFile(home.pid("seed"), `${process.pid}\n`);

  let stopping: Promise<void> | null = null;
  let backupTimer: NodeJS.Timeout | null = null;
  const stop = (why: string) => {
    stopping ??= (async () => {
      if (backupTimer) clearTimeout(backupTimer);
      log("seed", "stopping", { reason: why, msg: `${why}: stopping` });
      await worker.stop();
      await db.stop(); // the libSQL server checkpoints its WAL on SIGTERM
      rmSync(home.pid("seed"), { force: true });
      rmSync(home.state, { force: true });
      log("seed", "stopped", { msg: "stopped" });
      await logFile.close();
    })();
    return stopping;
  };
  const giveUp = (reason: string) => void stop(reason).then(() => process.exit(1));

  const db = new Supervised({
    name: "libsql",
    command: process.execPath,
    args: [init.dbServer, "--db", home.db, "--token-file", home.dbToken, "--port", String(ports.dbPort), "--listen", ports.dbListen],
    env: { ...process.env, SEED_HOME: home.dir },
    pidFile: home.pid("libsql"),
    // The server announces the port it bound on stdout: readiness is its own word, not whoever answers on the port.
    readyLine: (l) => {
      try {
        const e = JSON.parse(l) as { event?: string; port?: number };
        return e.event === "listening" && e.port === ports.dbPort;
      } catch {
        return false;
      }
    },
    log: line,
    onGiveUp: giveUp,
  });
  const worker = new Supervised({
    name: "workerd",
    command: WORKERD_BIN,
    // SEED_WORKERD_INSPECTOR=127.0.0.1:PORT opens workerd's V8 inspector (benchmarks' CPU profiles).
    args: ["serve", home.config, ...(process.env.SEED_WORKERD_INSPECTOR ? ["--inspector-addr", process.env.SEED_WORKERD_INSPECTOR] : [])],
    env: () => ({ ...process.env, ...workerdSecretEnv(home) }), // read at every (re)start: a rotated secret is picked up
    pidFile: home.pid("workerd"),
    ready: (signal) => waitForOwnSeed(httpUrl, init.seedId, signal),
    log: line,
    onGiveUp: giveUp,
  });

  // `seed handoff` rotated keys/db.token (and maybe master.key) and sends SIGUSR2: the libSQL
  // server re-reads its token (SIGHUP; the old one is refused from then on), then workerd restarts
  // with the secrets read again from their files. The handoff waits for the new workerd to answer.
  // Not SIGHUP: closing the terminal `seed up` runs in sends that, and must stop the seed as before.
  let reloading: Promise<void> | null = null;
  process.on("SIGUSR2", () => {
    if (stopping) return;
    reloading ??= (async () => {
      log("seed", "reloading", { msg: "SIGUSR2: re-reading the seed's secrets" });
      db.signal("SIGHUP");
      await worker.restart();
      log("seed", "reloaded", { msg: `secrets re-read: the libSQL server's token; workerd restarted (pid ${worker.pid})` });
    })()
      .catch((err: unknown) => log("seed", "reload_failed", { msg: `reload failed: ${(err as Error).message}` }))
      .finally(() => (reloading = null));
  });
  process.once("SIGINT", () => void stop("SIGINT").then(() => process.exit(0)));
  process.once("SIGTERM", () => void stop("SIGTERM").then(() => process.exit(0)));

  try {
    await db.start();
    await worker.start();
  } catch (err) {
    await stop("start failed");
    throw err;
  }
  // Scheduled backups: one timer at the moment the next one is due, nothing in between.
  const armBackup = () => {
    const due = nextDue(home.dir);
    if (due === null || stopping) return;
    backupTimer = setTimeout(() => {
      const child = spawn(process.execPath, [...process.execArgv, path.join(import.meta.dirname, "main.ts"), "backup", "--scheduled", "--home", home.dir, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.once("exit", (code) => {
        log("seed", code === 0 ? "backup" : "backup_failed", { code, msg: out.trim().slice(0, 500) });
        armBackup();
      });
    }, Math.min(Math.max(0, due - Date.now()), 2 ** 31 - 1));
  };
  const state = { pid: process.pid, seedId: init.seedId, version: VERSION, httpUrl, dbUrl, home: home.dir, startedAt: new Date().toISOString() };
  writeFileSync(home.state, JSON.stringify(state, null, 2), { mode: 0o600 });
  armBackup();
  log("seed", "up", { seedId: init.seedId, version: VERSION, url: httpUrl, readyMs: Date.now() - t0, msg: `${init.seedId} is up at ${httpUrl} (ready in ${Date.now() - t0} ms); ${keyFileLine(home.dir)}` });
}
