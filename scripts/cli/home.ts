// Where everything lives: one folder is the whole organism (ARCHITECTURE.md §2).
import path from "node:path";
import { ROOT } from "../workerd-config/build-worker.ts";

export type Home = ReturnType<typeof homePaths>;

export function resolveHome(flag?: string): string {
  return path.resolve(flag ?? process.env.SEED_HOME ?? path.join(ROOT, ".seed"));
}

export function homePaths(dir: string) {
  return {
    dir,
    masterKey: path.join(dir, "master.key"),
    /** Exists only while a master-key rotation is under way: the new key (scripts/cli/rotate.ts). */
    masterKeyNext: path.join(dir, "master.key.next"),
    identityDir: path.join(dir, "identity"),
    identityKey: path.join(dir, "identity", "seed.key"),
    identityPub: path.join(dir, "identity", "seed.pub"),
    keysDir: path.join(dir, "keys"),
    dbToken: path.join(dir, "keys", "db.token"),
    rootKey: path.join(dir, "keys", "root.key"),
    ownerKey: path.join(dir, "keys", "owner.key"),
    dbDir: path.join(dir, "db"),
    db: path.join(dir, "db", "seed.db"),
    doDir: path.join(dir, "do"),
    runDir: path.join(dir, "run"),
    bundleDir: path.join(dir, "run", "bundle"),
    config: path.join(dir, "run", "config.capnp"),
    state: path.join(dir, "run", "state.json"),
    logsDir: path.join(dir, "logs"),
    logFile: path.join(dir, "logs", "seed.log"),
    pid: (name: string) => path.join(dir, "run", `${name}.pid`),
  };
}

export type Ports = { listen: string; port: number; dbListen: string; dbPort: number };

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  return raw === undefined || raw === "" ? fallback : parsePort(raw, name);
}

export function parsePort(raw: string, what = "port"): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${what} must be an integer 0..65535, got ${JSON.stringify(raw)}`);
  return n;
}

export function resolvePorts(flags: { port?: string; dbPort?: string; listen?: string }): Ports {
  return {
    listen: flags.listen ?? process.env.SEED_LISTEN ?? "127.0.0.1",
    port: flags.port !== undefined ? parsePort(flags.port, "--port") : envPort("SEED_PORT", 8787),
    dbListen: process.env.SEED_DB_LISTEN ?? "127.0.0.1",
    dbPort: flags.dbPort !== undefined ? parsePort(flags.dbPort, "--db-port") : envPort("SEED_DB_PORT", 8788),
  };
}
