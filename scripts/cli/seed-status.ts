// `seed status`: what runs, where, who this seed is and whether it is ready.
import { existsSync, readFileSync, statSync } from "node:fs";
import { homePaths } from "./home.ts";
import { readIdentity } from "./identity.ts";
import { isAlive, readPid } from "./seed-up.ts";

export type Status = {
  home: string;
  initialised: boolean;
  seedId: string | null;
  running: boolean;
  processes: { name: string; pid: number | null; alive: boolean }[];
  httpUrl: string | null;
  dbUrl: string | null;
  databaseBytes: number;
  ready: boolean;
  readiness: unknown;
};

function size(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

export async function seedStatus(dir: string): Promise<Status> {
  const home = homePaths(dir);
  const processes = ["seed", "libsql", "workerd"].map((name) => {
    const pid = readPid(home.pid(name));
    return { name, pid, alive: pid !== null && isAlive(pid) };
  });
  const state = existsSync(home.state)
    ? (JSON.parse(readFileSync(home.state, "utf8")) as { httpUrl: string; dbUrl: string })
    : null;
  let ready = false;
  let readiness: unknown = null;
  if (state && processes[0]!.alive) {
    try {
      const res = await fetch(`${state.httpUrl}/readyz`, { signal: AbortSignal.timeout(3_000) });
      readiness = await res.json();
      ready = res.ok;
    } catch (err) {
      readiness = { error: (err as Error).message };
    }
  }
  return {
    home: home.dir,
    initialised: existsSync(home.identityPub) && existsSync(home.db),
    seedId: readIdentity(home)?.seedId ?? null,
    running: processes.every((p) => p.alive),
    processes,
    httpUrl: state?.httpUrl ?? null,
    dbUrl: state?.dbUrl ?? null,
    databaseBytes: size(home.db) + size(`${home.db}-wal`) + size(`${home.db}-shm`),
    ready,
    readiness,
  };
}

export function formatStatus(s: Status): string {
  const lines = [
    `home:     ${s.home}${s.initialised ? "" : " (not initialised: run `seed init`)"}`,
    `seed id:  ${s.seedId ?? "-"}`,
    ...s.processes.map((p) => `${p.name.padEnd(9)} ${p.pid === null ? "not running" : p.alive ? `pid ${p.pid}` : `pid ${p.pid} (dead)`}`),
    `http:     ${s.httpUrl ?? "-"}`,
    `libsql:   ${s.dbUrl ?? "-"}`,
    `database: ${(s.databaseBytes / 1024).toFixed(1)} KiB`,
    `ready:    ${s.ready ? "yes" : "no"}`,
  ];
  return lines.join("\n");
}
