// Memory benchmark: `node bench/memory.ts [memories]` prints one JSON object (progress goes to
// stderr). A real `seed up` (libSQL server + workerd) in a temp SEED_HOME on free ports;
// deterministic memories (bench/support/memory-corpus.ts) loaded through the Worker's HTTP API in
// batches of 500. At each checkpoint of the curve (10k, 25k, 50k, 100k for the default 100,000;
// a quarter, half and all of a smaller run) the load pauses and the bench measures, in the same
// run: the insert rate of the segment, the database file's size (page_count × page_size after a
// checkpoint of the WAL), recall latency for vector, text and hybrid through the Worker, and
// recall@10 of the vector index against an exact brute-force scan (the owner's `exact: true`)
// with the speed-up over that scan, end to end and as bare SQL. From the curve it projects 1M.
// `node bench/memory.ts 10000` is the quick run. Environment: MEMORIES (default 100000, or the
// first argument), CHECKPOINTS (comma-separated counts), QUERIES (at the last checkpoint, default
// 200; 50 at the others), BATCH (default 500), IN_FLIGHT (load requests at a time, default 2).
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createClient, type Client } from "@libsql/client";
import { VECTOR_INDEX_OPTIONS } from "../lib/memory/memory-settings.ts";
import { embedOffline } from "../lib/memory/offline-embedder.ts";
import { vectorToBlob } from "../lib/memory/vector-codec.ts";
import { usageOf } from "../test/support/proc-usage.ts";
import { freePort, tempDir } from "../test/support/seed-home.ts";
import { corpus } from "./support/memory-corpus.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const MEMORIES = Number(process.argv[2] ?? process.env.MEMORIES ?? 100_000);
const CHECKPOINTS = (process.env.CHECKPOINTS ?? (MEMORIES >= 100_000 ? `10000,25000,50000,${MEMORIES}` : `${MEMORIES / 4},${MEMORIES / 2},${MEMORIES}`))
  .split(",")
  .map((x) => Math.round(Number(x)))
  .filter((n) => n > 0 && n <= MEMORIES);
if (CHECKPOINTS.at(-1) !== MEMORIES) CHECKPOINTS.push(MEMORIES);
const QUERIES = Number(process.env.QUERIES ?? 200);
const CHECKPOINT_QUERIES = Math.min(QUERIES, 50);
const BATCH = Number(process.env.BATCH ?? 500);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 2);
const K = 10;
const TARGETS = { insertPerSecond: 1000, bytesPerMemory: 6 * 1024, recallAt10: 0.95, speedup: 10 };

const progress = (line: string) => process.stderr.write(`[bench memory] ${line}\n`);

// ---- the seed ---------------------------------------------------------------------------------

async function pollReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 600_000; // a loaded machine starts slowly
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`seed up exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} not ready`);
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const stats = (ms: number[]): Stats => {
  const s = [...ms].sort((a, b) => a - b);
  return { p50Ms: round(percentile(s, 50)), p99Ms: round(percentile(s, 99)), meanMs: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)) };
};

type Stats = { p50Ms: number; p99Ms: number; meanMs: number };

/** Least squares y = a + b·x over the points; what the 1M projection rests on. */
function fit(points: readonly [number, number][]): { a: number; b: number } {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const b = sxx === 0 ? 0 : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { a: my - b * mx, b };
}

async function main(): Promise<void> {
  const dir = tempDir("seed bench memory ");
  const home = path.join(dir, "home");
  const port = await freePort();
  const dbPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...process.execArgv, path.join(ROOT, "scripts/cli/main.ts"), "up"], {
    env: { ...process.env, SEED_HOME: home, SEED_PORT: String(port), SEED_DB_PORT: String(dbPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // The seed's own log (supervisor, libSQL server events, workerd): its tail is shown on failure.
  let seedLog = "";
  const keep = (d: Buffer) => (seedLog = (seedLog + d.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let client: Client | undefined;
  try {
    await pollReady(`${url}/readyz`, child);
    const key = readFileSync(path.join(home, "keys/root.key"), "utf8").trim();
    const pid = (name: string) => Number(readFileSync(path.join(home, "run", `${name}.pid`), "utf8"));
    // CPU each process spends per insert: on a loaded machine a steadier measure than the rate
    const cpu = () => ({ libsql: usageOf(pid("libsql")).ticks / 100, workerd: usageOf(pid("workerd")).ticks / 100 }); // 100 ticks/s
    const post = async <T>(p: string, body: unknown): Promise<T> => {
      const res = await fetch(`${url}${p}`, { method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`POST ${p}: ${res.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as T;
    };
    const db = createClient({ url: `http://127.0.0.1:${dbPort}`, authToken: readFileSync(path.join(home, "keys/db.token"), "utf8").trim() });
    client = db;

    const tGen = performance.now();
    const { memories, queries } = corpus(MEMORIES, QUERIES);
    progress(`corpus of ${MEMORIES} generated in ${Math.round(performance.now() - tGen)} ms`);

    // Load [from, to): batches of BATCH through the API, IN_FLIGHT requests at a time: the Worker
    // embeds and parses one batch while the libSQL server writes another.
    const batchMs: number[] = [];
    const load = async (from: number, to: number) => {
      let next = from;
      let lastReport = performance.now();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          for (;;) {
            const start = next;
            next += BATCH;
            if (start >= to) return;
            const tb = performance.now();
            await post("/v1/memory", { memories: memories.slice(start, Math.min(to, start + BATCH)) });
            batchMs.push(performance.now() - tb);
            if (performance.now() - lastReport > 10_000) {
              lastReport = performance.now();
              progress(`loaded ${Math.min(next, to)}/${MEMORIES} (${Math.round(((Math.min(next, to) - from) / (performance.now() - t0)) * 1000)}/s)`);
            }
          }
        }),
      );
      return performance.now() - t0;
    };

    type Recall = { results: { id: string }[] };
    const timed = async (body: Record<string, unknown>) => {
      const t0 = performance.now();
      const r = await post<Recall>("/v1/memory/recall", body);
      return { ms: performance.now() - t0, ids: r.results.map((x) => x.id) };
    };
    const vectorIndex = (await db.execute("select vector_index from memory_settings where id = 1")).rows[0]![0] as string;

    const measure = async (asks: readonly string[]) => {
      for (const q of asks.slice(0, 10)) await timed({ query: q, k: K }); // warm-up
      const latency: Record<string, number[]> = { vector: [], text: [], hybrid: [], exactScan: [] };
      let hits = 0;
      let textEmpty = 0;
      for (const q of asks) {
        const v = await timed({ query: q, mode: "vector", k: K });
        const e = await timed({ query: q, mode: "vector", k: K, exact: true });
        const t = await timed({ query: q, mode: "text", k: K });
        const h = await timed({ query: q, mode: "hybrid", k: K });
        latency.vector!.push(v.ms);
        latency.exactScan!.push(e.ms);
        latency.text!.push(t.ms);
        latency.hybrid!.push(h.ms);
        if (t.ids.length === 0) textEmpty++;
        const truth = new Set(e.ids);
        hits += v.ids.filter((id) => truth.has(id)).length;
      }
      const worker = Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, stats(v)])) as Record<string, Stats>;
      // The same two searches as bare SQL on the libSQL server: the index against the scan,
      // without the Worker, auth and HTTP around them.
      const sqlIndex: number[] = [];
      const sqlExact: number[] = [];
      for (const q of asks) {
        const blob = vectorToBlob(embedOffline(q));
        let t0 = performance.now();
        await db.execute({ sql: `select m.id from vector_top_k('${vectorIndex}', ?, ?) v join memories m on m.seq = v.id`, args: [blob, K] });
        sqlIndex.push(performance.now() - t0);
        t0 = performance.now();
        await db.execute({ sql: "select id from memories order by vector_distance_cos(embedding, ?) limit ?", args: [blob, K] });
        sqlExact.push(performance.now() - t0);
      }
      const bareSql = { vectorIndex: stats(sqlIndex), exactScan: stats(sqlExact) };
      return {
        queries: asks.length,
        recallAt10: round(hits / (asks.length * K), 4),
        speedupThroughWorker: round(worker.exactScan!.p50Ms / worker.vector!.p50Ms, 1),
        speedupBareSql: round(bareSql.exactScan.p50Ms / bareSql.vectorIndex.p50Ms, 1),
        recallThroughWorker: worker,
        bareSql,
        textQueriesWithNoMatch: textEmpty,
      };
    };

    // The real file: every page the database holds once the WAL is folded in.
    const fileBytes = async () => {
      await db.execute("PRAGMA wal_checkpoint(TRUNCATE)");
      const pages = Number((await db.execute("PRAGMA page_count")).rows[0]![0]);
      const pageSize = Number((await db.execute("PRAGMA page_size")).rows[0]![0]);
      return pages * pageSize;
    };

    const curve = [];
    let loaded = 0;
    let loadMsTotal = 0;
    for (const at of CHECKPOINTS) {
      const cpu0 = cpu();
      const ms = await load(loaded, at);
      const cpu1 = cpu();
      loadMsTotal += ms;
      const segment = at - loaded;
      loaded = at;
      const bytes = await fileBytes();
      progress(`checkpoint ${at}: ${Math.round((segment / ms) * 1000)} inserts/s, ${Math.round(bytes / at)} bytes per memory; measuring recall`);
      const r = await measure(at === MEMORIES ? queries : queries.slice(0, CHECKPOINT_QUERIES));
      curve.push({
        memories: at,
        insertPerSecond: Math.round((segment / ms) * 1000),
        cpuMsPerInsert: { libsql: round(((cpu1.libsql - cpu0.libsql) * 1000) / segment, 3), workerd: round(((cpu1.workerd - cpu0.workerd) * 1000) / segment, 3) },
        bytes,
        bytesPerMemory: Math.round(bytes / at),
        ...r,
      });
    }

    const last = curve.at(-1)!;
    const log = (n: number) => Math.log10(n);
    const project = (points: [number, number][], x: number) => {
      const { a, b } = fit(points);
      return a + b * x;
    };
    const at1M = log(1_000_000);
    const projection =
      curve.length < 2
        ? null
        : {
            method: "least squares over the curve: seconds per insert, bytes per memory and index p50 against log10(memories); the exact scan's p50 against memories",
            memories: 1_000_000,
            insertPerSecond: Math.round(1 / project(curve.map((c) => [log(c.memories), 1 / c.insertPerSecond]), at1M)),
            bytesPerMemory: Math.round(project(curve.map((c) => [log(c.memories), c.bytesPerMemory]), at1M)),
            gib: round((project(curve.map((c) => [log(c.memories), c.bytesPerMemory]), at1M) * 1_000_000) / 2 ** 30, 2),
            vectorP50Ms: round(project(curve.map((c) => [log(c.memories), c.recallThroughWorker.vector!.p50Ms]), at1M)),
            exactScanP50Ms: round(project(curve.map((c) => [c.memories, c.recallThroughWorker.exactScan!.p50Ms]), 1_000_000)),
          };

    const rss = { libsql: rssMiB(pid("libsql")), workerd: rssMiB(pid("workerd")) };
    const insertPerSecond = Math.round((MEMORIES / loadMsTotal) * 1000);

    const result = {
      bench: "memory",
      node: process.version,
      machine: "2 shared cores; load generator, libSQL server and workerd on the same cores",
      memories: MEMORIES,
      k: K,
      embedder: "offline hash-ngram-v1, 256 dimensions",
      vectorIndex: `libsql_vector_idx ${VECTOR_INDEX_OPTIONS.join(" ")} (DiskANN)`,
      targets: {
        insertPerSecond: { target: TARGETS.insertPerSecond, actual: insertPerSecond, met: insertPerSecond >= TARGETS.insertPerSecond },
        bytesPerMemory: { target: TARGETS.bytesPerMemory, actual: last.bytesPerMemory, met: last.bytesPerMemory <= TARGETS.bytesPerMemory },
        recallAt10: { target: TARGETS.recallAt10, actual: last.recallAt10, met: last.recallAt10 >= TARGETS.recallAt10 },
        speedupP50: { target: TARGETS.speedup, actual: last.speedupThroughWorker, met: last.speedupThroughWorker >= TARGETS.speedup },
      },
      insert: { batchSize: BATCH, inFlight: IN_FLIGHT, seconds: round(loadMsTotal / 1000, 1), perSecond: insertPerSecond, batch: stats(batchMs) },
      curve,
      projection,
      rssAfterLoadMiB: rss,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    progress(`failed; the seed's log ends with:\n${seedLog}`);
    throw error;
  } finally {
    client?.close();
    const gone = new Promise((r) => child.once("exit", r));
    if (child.exitCode === null) child.kill("SIGTERM");
    await gone;
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
