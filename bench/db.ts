// Benchmark of the libSQL server: `node bench/db.ts [--profile DIR]` prints one JSON object.
// Point selects and single-row autocommit write transactions at concurrency 16 through
// @libsql/client against the real server process, then the same operations on the native
// driver in this process, with throughput, p50/p99 latency and server/native ratios.
//
// The client runs three times, each as shipped unless said: over WebSocket (a `ws://` URL:
// Hrana 3 on one multiplexed connection), over HTTP with its default fetch (Node's global
// fetch, i.e. undici), and over HTTP with a small node:http keep-alive fetch. On a small machine
// the client and the server share the CPUs, and the client's own cost per call shows.
//
// --profile DIR (or SEED_BENCH_PROFILE=DIR, for `scripts/seed bench db`) writes CPU profiles of the server process (node --cpu-prof) and of this process
// (the client; node:inspector) for the WebSocket run into DIR, and adds their top entries
// (self time per function) to the JSON.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { Session } from "node:inspector/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@libsql/client";
import type { Client } from "@libsql/client";
import Database from "libsql";
import { startDbServerProcess } from "../test/support/db-server-process.ts";
import { topOfProfile } from "./support/cpu-profile-top.ts";

const CONCURRENCY = 16;
const ROWS = 10_000;
const DURATION_MS = 5_000;
// V8 needs a few seconds under load before both processes run optimised code
const WARMUP_MS = 3_000;
// /proc/<pid>/stat counts CPU time in clock ticks, 100 per second on Linux
const CLOCK_TICKS_PER_SEC = 100;
// write transactions are judged against native writes measured in the same run
const TARGETS = { selectsPerSec: 5_000, writeTxToNative: 0.9, p99Ms: 10 };

interface Measurement {
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time the server process spent per operation (Linux only), and the throughput that
   * implies for one fully used core: what the server could do if the client were free. */
  serverCpuMsPerOp?: number | null;
  serverOpsPerCoreSec?: number | null;
  /** CPU time this process (the client) spent per operation: with both on the same cores,
   * whichever side costs more per operation caps the throughput. */
  clientCpuMsPerOp?: number | null;
}

/** CPU seconds used so far by process `pid`, or null where /proc is not available. */
function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
  } catch {
    return null;
  }
}

async function measureServer(pid: number, run: () => Promise<Measurement>): Promise<Measurement> {
  const before = processCpuSeconds(pid);
  const clientBefore = process.cpuUsage();
  const m = await run();
  const clientUsed = process.cpuUsage(clientBefore);
  const after = processCpuSeconds(pid);
  const clientCpuMsPerOp = m.ops === 0 ? null : Math.round(((clientUsed.user + clientUsed.system) / 1000 / m.ops) * 1000) / 1000;
  if (before === null || after === null || m.ops === 0) return { ...m, serverCpuMsPerOp: null, serverOpsPerCoreSec: null, clientCpuMsPerOp };
  const perOp = ((after - before) * 1000) / m.ops;
  return { ...m, serverCpuMsPerOp: Math.round(perOp * 1000) / 1000, serverOpsPerCoreSec: perOp > 0 ? Math.round(1000 / perOp) : null, clientCpuMsPerOp };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

function summarise(latencies: number[], elapsedMs: number): Measurement {
  const sorted = Float64Array.from(latencies).sort();
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  return {
    ops: latencies.length,
    opsPerSec: Math.round((latencies.length / elapsedMs) * 1000),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
  };
}

/** Runs `op` from `concurrency` loops for `durationMs`, recording each call's latency. */
async function runFor(concurrency: number, durationMs: number, op: () => Promise<unknown>): Promise<Measurement> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await op();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return summarise(latencies, performance.now() - started);
}

function runNativeFor(durationMs: number, op: () => void): Measurement {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  while (performance.now() < deadline) {
    const t0 = performance.now();
    op();
    latencies.push(performance.now() - t0);
  }
  return summarise(latencies, performance.now() - started);
}

const randomId = (): number => 1 + Math.floor(Math.random() * ROWS);

async function seed(client: Client): Promise<void> {
  await client.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL, price REAL)");
  await client.execute("CREATE TABLE writes (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, at INTEGER NOT NULL)");
  const BATCH = 1_000;
  for (let start = 1; start <= ROWS; start += BATCH) {
    const stmts = Array.from({ length: BATCH }, (_, i) => ({
      sql: "INSERT INTO items (id, name, qty, price) VALUES (?, ?, ?, ?)",
      args: [start + i, `item-${start + i}`, (start + i) % 97, (start + i) * 0.25],
    }));
    await client.batch(stmts, "write");
  }
}

/** A fetch for @libsql/client over node:http with keep-alive sockets: the same requests, less
 * client-side machinery per call. */
function nodeHttpFetch(): (request: Request) => Promise<Response> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
  return async (request) => {
    const body = Buffer.from(await request.arrayBuffer());
    const url = new URL(request.url);
    const headers: Record<string, string | number> = { "content-length": body.length };
    request.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return new Promise<Response>((resolve, reject) => {
      const req = http.request(
        { agent, host: url.hostname, port: url.port, path: url.pathname, method: request.method, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () =>
            resolve(
              new Response(Buffer.concat(chunks), {
                status: res.statusCode ?? 500,
                headers: { "content-type": res.headers["content-type"] ?? "text/plain" },
              }),
            ),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  };
}

type Transport = "websocket" | "global-fetch" | "node-http";

interface ServerRun {
  selects: Measurement;
  writes: Measurement;
}

async function benchServer(transport: Transport, profileDir?: string): Promise<ServerRun & { dir: string; dispose: () => Promise<void> }> {
  const server = await startDbServerProcess(profileDir === undefined ? {} : { nodeArgs: ["--cpu-prof", "--cpu-prof-dir", profileDir] });
  const client = createClient({
    url: transport === "websocket" ? server.url.replace(/^http:/, "ws:") : server.url,
    authToken: server.token,
    concurrency: CONCURRENCY,
    ...(transport === "node-http" ? { fetch: nodeHttpFetch() } : {}),
  });
  await seed(client);
  const select = (): Promise<unknown> => client.execute({ sql: "SELECT id, name, qty, price FROM items WHERE id = ?", args: [randomId()] });
  let n = 0;
  const write = (): Promise<unknown> =>
    client.execute({ sql: "INSERT INTO writes (payload, at) VALUES (?, ?)", args: [`payload-${n++}`, Date.now()] });
  await runFor(CONCURRENCY, WARMUP_MS, select);
  const selects = await measureServer(server.pid, () => runFor(CONCURRENCY, DURATION_MS, select));
  await runFor(CONCURRENCY, WARMUP_MS / 2, write);
  const writes = await measureServer(server.pid, () => runFor(CONCURRENCY, DURATION_MS, write));
  client.close();
  return { selects, writes, dir: server.dir, dispose: () => server.dispose() };
}

function benchNative(dir: string): { selects: Measurement; writes: Measurement } {
  const db = new Database(path.join(dir, "native.sqlite"));
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=200; PRAGMA foreign_keys=ON;");
  db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL, price REAL)");
  db.exec("CREATE TABLE writes (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, at INTEGER NOT NULL)");
  const insertItem = db.prepare("INSERT INTO items (id, name, qty, price) VALUES (?, ?, ?, ?)");
  db.exec("BEGIN");
  for (let id = 1; id <= ROWS; id++) insertItem.run([id, `item-${id}`, id % 97, id * 0.25]);
  db.exec("COMMIT");
  const select = db.prepare("SELECT id, name, qty, price FROM items WHERE id = ?").raw(true).safeIntegers(true);
  const insert = db.prepare("INSERT INTO writes (payload, at) VALUES (?, ?)");
  let n = 0;
  runNativeFor(WARMUP_MS, () => select.all([randomId()]));
  const selects = runNativeFor(DURATION_MS, () => select.all([randomId()]));
  const writes = runNativeFor(DURATION_MS, () => insert.run([`payload-${n++}`, Date.now()]));
  db.close();
  return { selects, writes };
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : Math.round((a / b) * 1000) / 1000);

function targetsFor(run: ServerRun, native: ServerRun): Record<string, unknown> {
  const writeRatio = ratio(run.writes.opsPerSec, native.writes.opsPerSec);
  return {
    selectsPerSec: { target: TARGETS.selectsPerSec, actual: run.selects.opsPerSec, met: run.selects.opsPerSec >= TARGETS.selectsPerSec },
    writeTxToNative: { target: TARGETS.writeTxToNative, actual: writeRatio, met: writeRatio >= TARGETS.writeTxToNative },
    p99Ms: {
      target: TARGETS.p99Ms,
      selects: run.selects.p99Ms,
      writes: run.writes.p99Ms,
      met: run.selects.p99Ms <= TARGETS.p99Ms && run.writes.p99Ms <= TARGETS.p99Ms,
    },
  };
}

/** Profiles this process (the client side) while `work` runs. */
async function profiled<T>(file: string | undefined, work: () => Promise<T>): Promise<T> {
  if (file === undefined) return work();
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  try {
    return await work();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { profile: { type: "string" } } });
  const profileOption = values.profile ?? process.env["SEED_BENCH_PROFILE"];
  const profileDir = profileOption === undefined || profileOption === "" ? undefined : path.resolve(profileOption);
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const clientProfile = profileDir === undefined ? undefined : path.join(profileDir, "client.cpuprofile");
  const viaWs = await profiled(clientProfile, () => benchServer("websocket", profileDir));
  await viaWs.dispose();
  const viaFetch = await benchServer("global-fetch");
  await viaFetch.dispose();
  const viaHttp = await benchServer("node-http");
  let native: ServerRun;
  try {
    native = benchNative(viaHttp.dir);
  } finally {
    await viaHttp.dispose();
  }
  const runs = { websocket: viaWs, "global-fetch": viaFetch, "node-http": viaHttp };
  const result = {
    benchmark: "db-server",
    node: process.version,
    cpus: os.availableParallelism(),
    concurrency: CONCURRENCY,
    rows: ROWS,
    durationMsPerOp: DURATION_MS,
    synchronous: "FULL",
    server: Object.fromEntries(
      Object.entries(runs).map(([transport, run]) => [transport, { pointSelects: run.selects, writeTx: run.writes }]),
    ),
    native: {
      pointSelects: native.selects,
      writeTx: native.writes,
    },
    ratios: Object.fromEntries(
      Object.entries(runs).map(([transport, run]) => [
        transport,
        {
          selectsServerToNative: ratio(run.selects.opsPerSec, native.selects.opsPerSec),
          writeTxServerToNative: ratio(run.writes.opsPerSec, native.writes.opsPerSec),
        },
      ]),
    ),
    targets: Object.fromEntries(Object.entries(runs).map(([transport, run]) => [transport, targetsFor(run, native)])),
    ...(profileDir === undefined || clientProfile === undefined
      ? {}
      : {
          profiles: {
            dir: profileDir,
            server: readdirSync(profileDir)
              .filter((f) => f.startsWith("CPU.") && f.endsWith(".cpuprofile"))
              .map((f) => topOfProfile(path.join(profileDir, f))),
            client: topOfProfile(clientProfile),
          },
        }),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
