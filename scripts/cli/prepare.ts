// Everything `seed up` needs before it starts a process: SEED_HOME initialised, the Worker
// bundled, run/config.capnp written, the libSQL server bundled. `seed build` runs it; `seed up`
// runs `seed build` as a child so the long-lived supervisor never loads wrangler, esbuild or the
// database client (it stays a small process on a small box).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { buildWorker } from "../workerd-config/build-worker.ts";
import { renderWorkerdConfig, type WorkerDeclaration } from "../workerd-config/workerd-config.ts";
import { buildDbServer } from "./build-db-server.ts";
import { writePrivateFile } from "./fs-secure.ts";
import { homePaths, type Ports } from "./home.ts";
import { readServices, serviceAddress, servicesDeclaration } from "./services.ts";
import { initHome, type InitReport } from "./seed-init.ts";

export type Prepared = { init: InitReport; config: string; dbServer: string };

/** Writes run/config.capnp for the current bundle; returns its path. */
export async function generateConfig(home: ReturnType<typeof homePaths>, seedId: string, ports: Ports): Promise<string> {
  const { rebuilt, modules } = await buildWorker(home.bundleDir);
  const declFile = path.join(home.bundleDir, "declaration.json");
  // Reading wrangler.toml loads all of wrangler (~1 s, ~150 MB): only when the bundle changed,
  // and in a child process.
  let decl: WorkerDeclaration;
  if (rebuilt || !existsSync(declFile)) {
    const r = spawnSync(process.execPath, [...process.execArgv, path.join(import.meta.dirname, "..", "workerd-config", "print-declaration.ts")], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`could not read wrangler.toml: ${r.stderr.trim()}`);
    decl = JSON.parse(r.stdout) as WorkerDeclaration;
    writePrivateFile(declFile, JSON.stringify(decl, null, 2));
  } else {
    decl = JSON.parse(readFileSync(declFile, "utf8")) as WorkerDeclaration;
  }
  const text = renderWorkerdConfig(decl, {
    modules: modules.map((m) => ({ name: m, path: `bundle/${m}` })),
    httpAddress: `${ports.listen}:${ports.port}`,
    externalServices: { "seed-libsql": `${ports.dbListen}:${ports.dbPort}` },
    ownerServices: Object.fromEntries(Object.entries(readServices(home.dir)).map(([k, v]) => [k, serviceAddress(v)])),
    servicesDeclaration: servicesDeclaration(readServices(home.dir)),
    doStoragePath: home.doDir,
    uniqueKeyPrefix: seedId,
    secretsFromEnv: ["SEED_DB_TOKEN", "SEED_MASTER_KEY", "SEED_IDENTITY_KEY"],
  });
  writePrivateFile(home.config, text);
  return home.config;
}

export async function prepare(homeDir: string, ports: Ports): Promise<Prepared> {
  const home = homePaths(homeDir);
  const init = await initHome(home);
  const config = await generateConfig(home, init.seedId, ports);
  const dbServer = await buildDbServer(path.join(home.runDir, "db-server.mjs"));
  return { init, config, dbServer };
}
