// Memory benchmark: `node bench/memory.ts` prints one JSON object (progress goes to stderr).
// A real `seed up` (libSQL server + workerd) in a temp SEED_HOME on free ports; 100,000
// deterministic memories loaded through the Worker's HTTP API in batches of 500; recall latency
// for vector, text and hybrid through the Worker; recall@10 of the vector index against an exact
// brute-force scan (the owner's `exact: true`) in the same run, and the speed-up over that scan,
// both end to end and as bare SQL on the libSQL server; database size per 100k memories.
// Environment: MEMORIES (default 100000), QUERIES (default 200), BATCH (default 500), IN_FLIGHT
// (load requests at a time, default 2).
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { createClient } from "@libsql/client";
import { embedOffline } from "../lib/memory/offline-embedder.ts";
import { vectorToBlob } from "../lib/memory/vector-codec.ts";
import { freePort, tempDir } from "../test/support/seed-home.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const MEMORIES = Number(process.env.MEMORIES ?? 100_000);
const QUERIES = Number(process.env.QUERIES ?? 200);
const BATCH = Number(process.env.BATCH ?? 500);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 2);
const K = 10;
const TARGETS = { recallAt10: 0.95, speedup: 10 };

const progress = (line: string) => process.stderr.write(`[bench memory] ${line}\n`);

// ---- the corpus: deterministic, topic-structured, with common words and ids ------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = "ka lo mi ren tor vel sa qui dan po li mer zu an ti ro fen gal hu ber nis o cas tel vor pan di".split(" ");
const COMMON = (
  "the a of to and in for on with is was customer order invoice payment team meeting report server deploy error fixed " +
  "shipped delayed review plan budget request ticket user account email call week today yesterday morning because after " +
  "before new old failed passed approved rejected sent received"
).split(" ");
const KINDS = ["episodic", "semantic", "procedural"] as const;

function corpus(n: number, queries: number) {
  const rnd = mulberry32(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const word = () => Array.from({ length: 2 + Math.floor(rnd() * 2) }, () => pick(SYLLABLES)).join("");
  const topics = Array.from({ length: 200 }, () => Array.from({ length: 25 }, word));
  const memories = Array.from({ length: n }, (_, i) => {
    const t = Math.floor(rnd() * topics.length);
    const other = topics[Math.floor(rnd() * topics.length)]!;
    const words = Array.from({ length: 8 + Math.floor(rnd() * 18) }, () => {
      const r = rnd();
      return r < 0.45 ? pick(topics[t]!) : r < 0.55 ? pick(other) : r < 0.95 ? pick(COMMON) : `#${Math.floor(rnd() * 100_000)}`;
    });
    return { text: words.join(" "), tags: [`topic-${t}`], kind: KINDS[i % 3]!, source: "bench" };
  });
  const asks = Array.from({ length: queries }, () => {
    const t = topics[Math.floor(rnd() * topics.length)]!;
    return Array.from({ length: 3 + Math.floor(rnd() * 4) }, () => (rnd() < 0.7 ? pick(t) : pick(COMMON))).join(" ");
  });
  return { memories, queries: asks };
}

// ---- the seed ---------------------------------------------------------------------------------

async function pollReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 180_000;
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
const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { p50Ms: round(percentile(s, 50)), p99Ms: round(percentile(s, 99)), meanMs: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)) };
};

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
  try {
    await pollReady(`${url}/readyz`, child);
    const key = readFileSync(path.join(home, "keys/root.key"), "utf8").trim();
    const post = async <T>(p: string, body: unknown): Promise<T> => {
      const res = await fetch(`${url}${p}`, { method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`POST ${p}: ${res.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as T;
    };

    const tGen = performance.now();
    const { memories, queries } = corpus(MEMORIES, QUERIES);
    progress(`corpus of ${MEMORIES} generated in ${Math.round(performance.now() - tGen)} ms`);

    // Load: batches of BATCH through the API, IN_FLIGHT requests at a time: the Worker embeds and
    // parses one batch while the libSQL server writes another (writes are serialised there).
    const tLoad = performance.now();
    const batchMs: number[] = [];
    let next = 0;
    let loaded = 0;
    let lastReport = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (;;) {
          const start = next;
          next += BATCH;
          if (start >= memories.length) return;
          const t0 = performance.now();
          await post("/v1/memory", { memories: memories.slice(start, start + BATCH) });
          batchMs.push(performance.now() - t0);
          loaded += Math.min(BATCH, memories.length - start);
          if (performance.now() - lastReport > 10_000) {
            lastReport = performance.now();
            progress(`loaded ${loaded}/${memories.length} (${Math.round((loaded / (performance.now() - tLoad)) * 1000)}/s)`);
          }
        }
      }),
    );
    const loadMs = performance.now() - tLoad;
    progress(`loaded ${memories.length} in ${Math.round(loadMs / 1000)} s`);

    type Recall = { results: { id: string }[] };
    const timed = async (body: Record<string, unknown>) => {
      const t0 = performance.now();
      const r = await post<Recall>("/v1/memory/recall", body);
      return { ms: performance.now() - t0, ids: r.results.map((x) => x.id) };
    };
    for (const q of queries.slice(0, 20)) await timed({ query: q, k: K }); // warm-up

    const latency: Record<string, number[]> = { vector: [], text: [], hybrid: [], exactScan: [] };
    let hits = 0;
    let textEmpty = 0;
    for (const q of queries) {
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
    const recallAt10 = round(hits / (queries.length * K), 4);
    const worker = Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, stats(v)]));
    const speedupWorker = round(worker.exactScan!.p50Ms / worker.vector!.p50Ms, 1);

    // The same two searches as bare SQL on the libSQL server: the index against the scan,
    // without the Worker, auth and HTTP around them.
    const state = JSON.parse(readFileSync(path.join(home, "run/state.json"), "utf8")) as { dbUrl: string };
    const client = createClient({ url: state.dbUrl, authToken: readFileSync(path.join(home, "keys/db.token"), "utf8").trim() });
    const sqlIndex: number[] = [];
    const sqlExact: number[] = [];
    for (const q of queries) {
      const blob = vectorToBlob(embedOffline(q));
      let t0 = performance.now();
      await client.execute({ sql: "select m.id from vector_top_k('memories_embedding_idx', ?, ?) v join memories m on m.seq = v.id", args: [blob, K] });
      sqlIndex.push(performance.now() - t0);
      t0 = performance.now();
      await client.execute({ sql: "select id from memories order by vector_distance_cos(embedding, ?) limit ?", args: [blob, K] });
      sqlExact.push(performance.now() - t0);
    }
    const sql = { vectorIndex: stats(sqlIndex), exactScan: stats(sqlExact) };
    const speedupSql = round(sql.exactScan.p50Ms / sql.vectorIndex.p50Ms, 1);

    const pid = (name: string) => Number(readFileSync(path.join(home, "run", `${name}.pid`), "utf8"));
    const rss = { libsql: rssMiB(pid("libsql")), workerd: rssMiB(pid("workerd")) };
    await client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    client.close();
    const file = path.join(home, "db/seed.db");
    const size = (f: string) => {
      try {
        return statSync(f).size;
      } catch {
        return 0;
      }
    };
    const dbBytes = size(file) + size(`${file}-wal`);

    const result = {
      bench: "memory",
      node: process.version,
      machine: "2 shared cores; load generator, libSQL server and workerd on the same cores",
      memories: MEMORIES,
      queries: QUERIES,
      k: K,
      embedder: "offline hash-ngram-v1, 256 dimensions",
      vectorIndex: "libsql_vector_idx metric=cosine compress_neighbors=float8 max_neighbors=48 (DiskANN, search_l 200)",
      insert: {
        batchSize: BATCH,
        inFlight: IN_FLIGHT,
        seconds: round(loadMs / 1000, 1),
        perSecond: Math.round((MEMORIES / loadMs) * 1000),
        batch: stats(batchMs),
      },
      recallThroughWorker: worker,
      vectorIndexVsExactScan: {
        recallAt10: { target: TARGETS.recallAt10, actual: recallAt10, met: recallAt10 >= TARGETS.recallAt10 },
        speedup: {
          target: TARGETS.speedup,
          throughWorker: speedupWorker,
          bareSql: speedupSql,
          met: speedupWorker >= TARGETS.speedup,
        },
        bareSql: sql,
      },
      textQueriesWithNoMatch: textEmpty,
      database: {
        bytes: dbBytes,
        bytesPerMemory: Math.round(dbBytes / MEMORIES),
        mibPer100k: round((dbBytes / MEMORIES) * 100_000 / 1024 / 1024, 1),
      },
      rssAfterLoadMiB: rss,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    progress(`failed; the seed's log ends with:\n${seedLog}`);
    throw error;
  } finally {
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
