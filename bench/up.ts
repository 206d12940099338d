// Startup and footprint: time from `seed up` to /readyz with everything installed and the bundle
// built, and the memory of every process the seed runs (supervisor, libSQL server, workerd) idle
// and after some load: each one's RSS and USS, and the seed as a whole — its distinct physical
// pages, shared ones (the node binary of both Node processes) counted once.
// Prints one JSON object. Run with Node 22: `node bench/up.ts`.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { rssMiB, unionMiB, ussMiB } from "./support/proc-memory.ts";
import { freePort, tempDir } from "../test/support/seed-home.ts";
import { WATCHER_IDLE_MS } from "../scripts/db-server/stall-watchdog.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const RUNS = Number(process.env.RUNS ?? 3);

async function pollReady(url: string): Promise<void> {
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function upOnce(home: string): Promise<{ child: ChildProcess; ms: number; port: number }> {
  const port = await freePort();
  const dbPort = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [...process.execArgv, path.join(ROOT, "scripts/cli/main.ts"), "up"], {
    env: { ...process.env, SEED_HOME: home, SEED_PORT: String(port), SEED_DB_PORT: String(dbPort) },
    stdio: "ignore",
  });
  await pollReady(`http://127.0.0.1:${port}/readyz`);
  return { child, ms: performance.now() - t0, port };
}

async function stop(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await gone;
}

const dir = tempDir("seed bench ");
const home = path.join(dir, "home");
// Warm-up: init and bundle once, as on a machine where everything is installed.
await stop((await upOnce(home)).child);

const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const { child, ms } = await upOnce(home);
  times.push(ms);
  await stop(child);
}

const { child, port } = await upOnce(home);
const pid = (name: string) => Number(readFileSync(path.join(home, "run", `${name}.pid`), "utf8"));
// At rest: past the quiet spell after which the libSQL server's stall watcher thread ends.
await new Promise((r) => setTimeout(r, WATCHER_IDLE_MS + 1000));
// Every process the seed runs under `seed up`: the supervisor and its two children (under systemd
// there is no supervisor: libsql + workerd).
const idle = { supervisor: rssMiB(pid("seed")), libsql: rssMiB(pid("libsql")), workerd: rssMiB(pid("workerd")) };
const idleUss = { supervisor: ussMiB(pid("seed")), libsql: ussMiB(pid("libsql")), workerd: ussMiB(pid("workerd")) };
const idleWhole = { all: unionMiB([pid("seed"), pid("libsql"), pid("workerd")]), underSystemd: unionMiB([pid("libsql"), pid("workerd")]) };
const key = readFileSync(path.join(home, "keys/root.key"), "utf8").trim();
const LOAD = 2000;
for (let i = 0; i < LOAD; i += 16) {
  await Promise.all(
    Array.from({ length: 16 }, () => fetch(`http://127.0.0.1:${port}/v1/owner/whoami`, { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.arrayBuffer())),
  );
}
const loaded = { supervisor: rssMiB(pid("seed")), libsql: rssMiB(pid("libsql")), workerd: rssMiB(pid("workerd")) };
const loadedWhole = unionMiB([pid("seed"), pid("libsql"), pid("workerd")]);
await stop(child);
rmSync(dir, { recursive: true, force: true });

times.sort((a, b) => a - b);
const round = (n: number) => Math.round(n * 10) / 10;
const maybe = (n: number | null) => (n === null ? "needs root (pagemap frame numbers)" : round(n));
console.log(
  JSON.stringify(
    {
      bench: "up",
      upToReadyMs: { runs: times.map(round), median: round(times[Math.floor(times.length / 2)]!), target: 3000 },
      idleRssMiB: { ...Object.fromEntries(Object.entries(idle).map(([k, v]) => [k, round(v)])), total: round(idle.supervisor + idle.libsql + idle.workerd), underSystemd: round(idle.libsql + idle.workerd), target: 150 },
      idleUssMiB: { ...Object.fromEntries(Object.entries(idleUss).map(([k, v]) => [k, round(v)])), total: round(idleUss.supervisor + idleUss.libsql + idleUss.workerd), underSystemd: round(idleUss.libsql + idleUss.workerd) },
      idleWholeSeedMiB: { all: maybe(idleWhole.all), underSystemd: maybe(idleWhole.underSystemd), target: 150 },
      afterLoadRssMiB: { requests: LOAD, ...Object.fromEntries(Object.entries(loaded).map(([k, v]) => [k, round(v)])), total: round(loaded.supervisor + loaded.libsql + loaded.workerd), wholeSeed: maybe(loadedWhole) },
    },
    null,
    2,
  ),
);
