// Would a cluster (IVF) index serve memory's recall? `node bench/memory-ivf.ts [memories] [k]`
// prints one JSON object. On bench/memory.ts's corpus and offline embedder, natively in Node (no
// seed, no SQL: the question is the partition's quality, not its speed): spherical k-means on a
// sample (40 points per centroid, 10 iterations) puts each memory in its nearest of k cells; for
// each query the cells are probed nearest first, and the curve gives, for nprobe = 1, 2, 4, …,
// recall@10 against the exact scan and the fraction of memories the probe would re-rank. Recall
// of an IVF search is exactly the share of the true top 10 whose cells are probed, so nothing is
// searched: the curve is computed from the cells' ranks. Beside it, two cheaper exact scans: the
// recall of re-ranking the nearest by 1-bit signs (the rest exactly), and, in a native libSQL file
// of the same vectors, the p50 of a scan of the rows with their float32 vectors against a scan of
// a narrow table of float8 vectors. Environment: MEMORIES (default 10000), CELLS (default
// √memories), QUERIES (default 100).
import Database from "libsql";
import { rmSync } from "node:fs";
import path from "node:path";
import { corpus } from "./support/memory-corpus.ts";
import { embedOffline } from "../lib/memory/offline-embedder.ts";
import { vectorToBlob } from "../lib/memory/vector-codec.ts";
import { tempDir } from "../test/support/seed-home.ts";

const N = Number(process.argv[2] ?? process.env.MEMORIES ?? 10_000);
const K = Number(process.argv[3] ?? process.env.CELLS ?? Math.round(Math.sqrt(N)));
const QUERIES = Number(process.env.QUERIES ?? 100);
const ITERATIONS = 10;
const TOP = 10;

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const progress = (line: string) => process.stderr.write(`[bench memory-ivf] ${line}\n`);

const t0 = performance.now();
const { memories, queries } = corpus(N, QUERIES);
const vectors = memories.map((m) => embedOffline(m.text));
const asks = queries.map((q) => embedOffline(q));
progress(`embedded ${N} memories and ${QUERIES} queries in ${Math.round(performance.now() - t0)} ms`);

// The exact top 10 (the vectors are unit vectors: the largest dot products).
const truth = asks.map((q) => {
  const sim = vectors.map((v) => dot(v, q));
  return [...sim.keys()].sort((a, b) => sim[b]! - sim[a]! || a - b).slice(0, TOP);
});

// Spherical k-means on an evenly spread sample.
const t1 = performance.now();
const sampleSize = Math.min(N, 40 * K);
const sample = Array.from({ length: sampleSize }, (_, i) => vectors[Math.floor((i * N) / sampleSize)]!);
let centroids = Array.from({ length: K }, (_, i) => Float32Array.from(sample[Math.floor((i * sampleSize) / K)]!));
const nearest = (v: Float32Array) => {
  let best = 0;
  let bestSim = -Infinity;
  for (let c = 0; c < K; c++) {
    const s = dot(v, centroids[c]!);
    if (s > bestSim) [best, bestSim] = [c, s];
  }
  return best;
};
for (let it = 0; it < ITERATIONS; it++) {
  const sums = Array.from({ length: K }, () => new Float64Array(vectors[0]!.length));
  for (const v of sample) {
    const s = sums[nearest(v)]!;
    for (let i = 0; i < v.length; i++) s[i] += v[i]!;
  }
  centroids = sums.map((s, c) => {
    const norm = Math.sqrt(s.reduce((a, x) => a + x * x, 0));
    return norm === 0 ? centroids[c]! : Float32Array.from(s, (x) => x / norm);
  });
}
const cell = vectors.map(nearest);
const size = new Array<number>(K).fill(0);
for (const c of cell) size[c]!++;
progress(`k-means (${K} cells, ${sampleSize} samples) and assignment in ${Math.round(performance.now() - t1)} ms`);

const probes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024].filter((p) => p < K).concat([K]);
const recall = probes.map(() => 0);
const scanned = probes.map(() => 0);
asks.forEach((q, qi) => {
  const order = [...centroids.keys()].sort((a, b) => dot(centroids[b]!, q) - dot(centroids[a]!, q));
  const rank = new Map(order.map((c, r) => [c, r]));
  const rows: number[] = [];
  order.reduce((s, c) => (rows.push(s + size[c]!), s + size[c]!), 0);
  probes.forEach((p, j) => {
    recall[j]! += truth[qi]!.filter((m) => rank.get(cell[m]!)! < p).length / TOP;
    scanned[j]! += rows[p - 1]! / N;
  });
});
const curve = probes.map((nprobe, j) => ({ nprobe, recallAt10: round(recall[j]! / QUERIES), scannedFraction: round(scanned[j]! / QUERIES) }));
// 1-bit signs: the RERANK nearest by Hamming distance, re-ranked exactly.
const signs = (v: Float32Array) => {
  const b = new Uint32Array(Math.ceil(v.length / 32));
  v.forEach((x, i) => x > 0 && (b[i >> 5]! |= 1 << (i & 31)));
  return b;
};
const popcount = (x: number) => {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0xf0f0f0f) * 0x1010101) >>> 24;
};
const vectorSigns = vectors.map(signs);
const reranks = [100, 1000].filter((r) => r < N);
const signRecall = reranks.map((rerank) => {
  let hits = 0;
  asks.forEach((q, qi) => {
    const qs = signs(q);
    const hamming = vectorSigns.map((b) => b.reduce((h, w, j) => h + popcount(w ^ qs[j]!), 0));
    const candidates = [...hamming.keys()].sort((a, b) => hamming[a]! - hamming[b]!).slice(0, rerank);
    const top = candidates.sort((a, b) => dot(vectors[b]!, q) - dot(vectors[a]!, q)).slice(0, TOP);
    const t = new Set(truth[qi]);
    hits += top.filter((m) => t.has(m)).length;
  });
  return { rerank, recallAt10: round(hits / (QUERIES * TOP)) };
});

// Scan speed natively: the rows (a text of the corpus and the float32 vector) against float8 vectors alone.
const dir = tempDir("seed bench memory-ivf ");
const scans = (() => {
  const db = new Database(path.join(dir, "scan.db"));
  try {
    db.exec("create table rows (seq integer primary key, text text, embedding F32_BLOB(256)); create table narrow (seq integer primary key, embedding F8_BLOB(256))");
    const row = db.prepare("insert into rows values (?, ?, ?)");
    const narrow = db.prepare("insert into narrow values (?, vector8(?))");
    db.exec("begin");
    vectors.forEach((v, i) => {
      row.run([i, memories[i]!.text, vectorToBlob(v)]);
      narrow.run([i, vectorToBlob(v)]);
    });
    db.exec("commit");
    const bytes = (name: string) => Math.round(Number((db.prepare("select sum(pgsize) as s from dbstat where name = ?").get([name]) as { s: number }).s) / N);
    const p50 = (query: string) => {
      const st = db.prepare(query);
      const ms = asks.slice(0, 21).map((q) => {
        const t = performance.now();
        st.all([vectorToBlob(q)]);
        return performance.now() - t;
      });
      return round(ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!, 1);
    };
    const float32 = p50("select seq from rows order by vector_distance_cos(embedding, ?) limit 10");
    const float8 = p50("select seq from narrow order by vector_distance_cos(embedding, vector8(?)) limit 50");
    return { rowsBytesPerMemory: bytes("rows"), float8BytesPerMemory: bytes("narrow"), rowsP50Ms: float32, float8P50Ms: float8, float8Speedup: round(float32 / float8, 1) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
})();

const first = curve.find((c) => c.recallAt10 >= 0.95);
process.stdout.write(
  `${JSON.stringify({
    bench: "memory-ivf",
    memories: N,
    cells: K,
    queries: QUERIES,
    sizes: { largest: Math.max(...size), smallest: Math.min(...size) },
    curve,
    // An IVF search costs about scannedFraction of the exact scan (plus the probe): its best speed-up.
    recall95: first ? { nprobe: first.nprobe, scannedFraction: first.scannedFraction, bestSpeedup: round(1 / first.scannedFraction, 1) } : null,
    signRecall,
    scans,
  })}\n`,
);
