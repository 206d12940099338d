// Would a quantized scan with an exact re-rank serve memory's recall instead of DiskANN (issue
// 15)? `scripts/seed bench memory-quant` prints one JSON object. On bench/memory.ts's corpus and
// offline embedder, natively in one libSQL file (no seed: the question is SQL's scan speed and
// the codes' quality): the rows as memory stores them (text, tags, float32 vector) and, beside
// them, a narrow table of one code per memory — float8 (`vector8()`, 8 bits per dimension) or
// float1bit (`vector1bit()`, signs). For each, the top N by the code's cosine distance are
// re-ranked with the exact float32 distance (one statement), and the bench prints, per N, the
// p50 (21 queries), recall@10 against the exact scan of the rows and the speed-up over it; with
// the bytes per memory of each table (dbstat) and the floor of any per-row scan of the narrow
// table (an ORDER BY on length(code): no vector function at all). Environment: MEMORIES (default
// 10000, or the first argument), QUERIES (default 50).
import Database from "libsql";
import { rmSync } from "node:fs";
import path from "node:path";
import { embedOffline } from "../lib/memory/offline-embedder.ts";
import { vectorToBlob } from "../lib/memory/vector-codec.ts";
import { tempDir } from "../test/support/seed-home.ts";
import { corpus } from "./support/memory-corpus.ts";

const N = Number(process.argv[2] ?? process.env.MEMORIES ?? 10_000);
const QUERIES = Number(process.env.QUERIES ?? 50);
const TOP = 10;
const TIMED = 21;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const progress = (line: string) => process.stderr.write(`[bench memory-quant] ${line}\n`);
const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

const t0 = performance.now();
const { memories, queries } = corpus(N, QUERIES);
const vectors = memories.map((m) => embedOffline(m.text));
const asks = queries.map((q) => embedOffline(q));
const truth = asks.map((q) => {
  const sim = vectors.map((v) => dot(v, q));
  return new Set([...sim.keys()].sort((a, b) => sim[b]! - sim[a]! || a - b).slice(0, TOP));
});
progress(`embedded ${N} memories and ${QUERIES} queries in ${Math.round(performance.now() - t0)} ms`);

const dir = tempDir("seed bench memory-quant ");
const db = new Database(path.join(dir, "quant.db"));
try {
  db.exec(`create table rows (seq integer primary key, text text, tags text, embedding F32_BLOB(256));
    create table float8 (seq integer primary key, code blob);
    create table float1bit (seq integer primary key, code blob);`);
  const insert = db.prepare("insert into rows values (?, ?, ?, ?)");
  db.exec("begin");
  vectors.forEach((v, i) => insert.run([i + 1, memories[i]!.text, JSON.stringify(memories[i]!.tags), vectorToBlob(v)]));
  db.exec("commit");
  const build: Record<string, number> = {};
  for (const [table, fn] of [["float8", "vector8"], ["float1bit", "vector1bit"]] as const) {
    const t = performance.now();
    db.exec(`insert into ${table} select seq, ${fn}(embedding) from rows`);
    build[table] = Math.round(performance.now() - t);
  }
  const bytes = (name: string) => Math.round(Number((db.prepare("select sum(pgsize) as s from dbstat where name = ?").get([name]) as { s: number }).s) / N);

  /** p50 over the first TIMED queries, and recall@10 over all of them. */
  const measure = (query: string, args: (q: Float32Array) => unknown[]) => {
    const st = db.prepare(query);
    const ms: number[] = [];
    let hits = 0;
    asks.forEach((q, qi) => {
      const t = performance.now();
      const rows = st.all(args(q)) as { seq: number }[];
      if (qi < TIMED) ms.push(performance.now() - t);
      hits += rows.filter((r) => truth[qi]!.has(Number(r.seq) - 1)).length;
    });
    return { p50Ms: round(ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!, 1), recallAt10: round(hits / (asks.length * TOP)) };
  };
  const blob = (q: Float32Array) => [vectorToBlob(q)];
  const exact = measure("select seq from rows order by vector_distance_cos(embedding, ?) limit 10", blob);
  progress(`exact scan ${JSON.stringify(exact)}`);
  const floor = measure("select seq from float1bit order by length(code) limit 50", () => []).p50Ms;
  const codes: Record<string, unknown[]> = {};
  for (const [table, fn, ns] of [
    ["float8", "vector8", [20, 50, 100, 200]],
    ["float1bit", "vector1bit", [200, 1000, 3000]],
  ] as const) {
    codes[table] = ns.map((n) => {
      const r = measure(
        `select seq from rows where seq in (select seq from ${table} order by vector_distance_cos(code, ${fn}(?1)) limit ${n})
         order by vector_distance_cos(embedding, ?1) limit 10`,
        blob,
      );
      const row = { rerank: n, ...r, speedup: round(exact.p50Ms / r.p50Ms, 1) };
      progress(`${table} ${JSON.stringify(row)}`);
      return row;
    });
  }
  process.stdout.write(
    `${JSON.stringify({
      bench: "memory-quant",
      memories: N,
      queries: QUERIES,
      bytesPerMemory: { rows: bytes("rows"), float8: bytes("float8"), float1bit: bytes("float1bit") },
      buildMs: build,
      exactScan: exact,
      // Any scan of the narrow table, before a vector function runs: the best any code could do.
      narrowScanFloorP50Ms: floor,
      bestPossibleSpeedup: round(exact.p50Ms / floor, 1),
      codes,
    })}\n`,
  );
} finally {
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
