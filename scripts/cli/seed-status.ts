// `seed status`: what runs, where, who this seed is and whether it is ready — with an exit code a
// script can trust: 0 running and ready, 1 running but not ready, 3 not running, 4 the home cannot
// be read (permission), 5 not initialised.
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { VERSION } from "../../lib/version.ts";
import { backupFreshness, type Freshness } from "./backup/schedule.ts";
import { homePaths } from "./home.ts";
import { readIdentity } from "./identity.ts";
import { livePid, readPid } from "./pids.ts";

export type StatusState = "ready" | "not_ready" | "not_running" | "no_access" | "not_initialised";

export const STATUS_EXIT: Record<StatusState, number> = { ready: 0, not_ready: 1, not_running: 3, no_access: 4, not_initialised: 5 };

export type Status = {
  home: string;
  state: StatusState;
  exitCode: number;
  /** What is wrong, in one sentence (absent when ready). */
  problem?: string;
  version: string;
  /** The version the running seed answers with (/healthz); null when it does not answer. */
  runningVersion: string | null;
  initialised: boolean;
  seedId: string | null;
  running: boolean;
  processes: { name: string; pid: number | null; alive: boolean }[];
  httpUrl: string | null;
  dbUrl: string | null;
  databaseBytes: number;
  ready: boolean;
  readiness: unknown;
  backup: Freshness | null;
};

function size(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** null when the home can be read; else why not (permission problems named as such). */
function accessProblem(dir: string): { state: StatusState; problem: string } | null {
  try {
    accessSync(dir, constants.R_OK | constants.X_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { state: "not_initialised", problem: `${dir} does not exist: run \`seed init\`` };
    const who = typeof process.getuid === "function" ? `uid ${process.getuid()}` : "this user";
    return {
      state: "no_access",
      problem: `permission denied: ${who} cannot read ${dir} (${code}); run as the seed's user or root, e.g. \`sudo -u seed seed status --home ${dir}\``,
    };
  }
}

function base(dir: string, state: StatusState, problem: string): Status {
  return {
    home: dir, state, exitCode: STATUS_EXIT[state], problem, version: VERSION, runningVersion: null, initialised: false, seedId: null,
    running: false, processes: [], httpUrl: null, dbUrl: null, databaseBytes: 0, ready: false, readiness: null, backup: null,
  };
}

export async function seedStatus(dir: string): Promise<Status> {
  const home = homePaths(dir);
  const denied = accessProblem(home.dir) ?? (existsSync(home.identityDir) ? accessProblem(home.identityDir) : null);
  if (denied) return base(home.dir, denied.state, denied.problem);
  const initialised = existsSync(home.identityPub) && existsSync(home.db);
  if (!initialised) return base(home.dir, "not_initialised", `${home.dir} is not initialised: run \`seed init\` or \`seed up\``);
  let seedId: string | null;
  try {
    seedId = readIdentity(home)?.seedId ?? null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return base(home.dir, code === "EACCES" ? "no_access" : "not_initialised", `cannot read ${home.identityPub}: ${(err as Error).message}`);
  }

  // The supervisor (`seed up`) is absent under systemd, where systemd supervises the two children.
  const processes = ["seed", "libsql", "workerd"].map((name) => {
    const pid = readPid(home.pid(name));
    return { name, pid, alive: livePid(home.pid(name)) !== null };
  });
  const children = processes.filter((p) => p.name !== "seed");
  const running = children.every((p) => p.alive);
  const state = existsSync(home.state) ? (JSON.parse(readFileSync(home.state, "utf8")) as { httpUrl: string; dbUrl: string }) : null;

  let ready = false;
  let readiness: unknown = null;
  let runningVersion: string | null = null;
  if (state && children.some((p) => p.alive)) {
    try {
      const [id, health, res] = await Promise.all(
        ["/v1/identity", "/healthz", "/readyz"].map((p) => fetch(`${state.httpUrl}${p}`, { signal: AbortSignal.timeout(3_000) })),
      );
      const answered = ((await id!.json()) as { seedId?: string }).seedId;
      runningVersion = ((await health!.json()) as { version?: string }).version ?? null;
      readiness = await res!.json();
      ready = res!.ok && answered === seedId;
      if (answered !== seedId) readiness = { error: `another seed (${answered}) answers at ${state.httpUrl}` };
    } catch (err) {
      readiness = { error: (err as Error).message };
    }
  }
  const st: StatusState = ready && running ? "ready" : children.some((p) => p.alive) ? "not_ready" : "not_running";
  const dead = children.filter((p) => !p.alive).map((p) => p.name);
  const problem =
    st === "ready" ? undefined
    : st === "not_running" ? `the seed is not running (start it with \`seed up\`, or \`systemctl start seed\` when installed)`
    : dead.length > 0 ? `running but not ready: ${dead.join(" and ")} not running`
    : `running but not ready: ${JSON.stringify(readiness)}`;
  return {
    home: home.dir,
    state: st,
    exitCode: STATUS_EXIT[st],
    ...(problem ? { problem } : {}),
    version: VERSION,
    runningVersion,
    initialised,
    seedId,
    running,
    processes,
    httpUrl: state?.httpUrl ?? null,
    dbUrl: state?.dbUrl ?? null,
    databaseBytes: size(home.db) + size(`${home.db}-wal`) + size(`${home.db}-shm`),
    ready,
    readiness,
    backup: backupFreshness(home.dir),
  };
}

/** The mind's own word when it is not simply "ok" (e.g. "late by 5m (alarm_late)"), from /readyz. */
function mindLine(readiness: unknown): string | null {
  const mind = (readiness as { checks?: { mind?: unknown } } | null)?.checks?.mind;
  return typeof mind === "string" && mind !== "ok" ? mind : null;
}

export function formatStatus(s: Status): string {
  const lines = [
    `state:    ${s.state.replace("_", " ")}${s.problem ? ` — ${s.problem}` : ""}`,
    `home:     ${s.home}`,
    `seed id:  ${s.seedId ?? "-"}`,
    `version:  ${s.version}${s.runningVersion && s.runningVersion !== s.version ? ` (running: ${s.runningVersion})` : ""}`,
    ...s.processes.map((p) => `${p.name.padEnd(9)} ${p.pid === null ? "not running" : p.alive ? `pid ${p.pid}` : `pid ${p.pid} (dead)`}`),
    `http:     ${s.httpUrl ?? "-"}`,
    `libsql:   ${s.dbUrl ?? "-"}`,
    `database: ${(s.databaseBytes / 1024).toFixed(1)} KiB`,
    `ready:    ${s.ready ? "yes" : "no"}`,
    ...(mindLine(s.readiness) ? [`mind:     ${mindLine(s.readiness)}`] : []),
    ...(s.backup ? [`backup:   ${s.backup.summary}`] : []),
  ];
  return lines.join("\n");
}
