// Recall: by meaning (the vector index), by words (FTS5 bm25), or both fused by reciprocal rank.
// Scope and filters are part of every query, so they apply before k is counted.
import { sql, type SQL } from "drizzle-orm";
import { PayloadTooLargeError, UnprocessableError } from "../errors.ts";
import { resolveEmbedder } from "./embedders.ts";
import { ftsMatchExpression } from "./fts-query.ts";
import { filterSql, type MemoryFilters } from "./memory-filters.ts";
import { checkEmbedding, MAX_QUERY_BYTES, type RecallInput } from "./memory-input.ts";
import { readSettings } from "./memory-settings.ts";
import type { AnyDb, Memory, MemoryEnv, MemoryScope } from "./memory-types.ts";
import { reciprocalRankFusion } from "./rrf.ts";
import { vectorToBlob } from "./vector-codec.ts";

export type RecallMethod = "vector" | "text";

export type RecallHit = Memory & {
  score: number;
  foundBy: RecallMethod[];
  vectorRank: number | null;
  textRank: number | null;
  /** Cosine distance to the query vector (0 = same direction), when the vector search found it. */
  distance: number | null;
  /** FTS5 bm25 (more negative = better), when the word search found it. */
  bm25: number | null;
};

export type RecallResult = {
  mode: RecallInput["mode"];
  k: number;
  embedder: { kind: string; model: string; dimension: number };
  results: RecallHit[];
};

export type RecallDeps = {
  scope: MemoryScope;
  env?: MemoryEnv;
  now?: number;
  /** Tests lower it to drive the index path with few rows. */
  exactScanMax?: number;
};

/** Below this many candidate rows an exact scan is cheaper than the index, and exact. */
export const EXACT_SCAN_MAX = 5_000;
/** vector_top_k returns at most the index's search_l rows (200 by default) however many are asked for. */
export const INDEX_MAX_FETCH = 200;
/** Each method's list length in hybrid mode: deeper than k so fusion can promote. */
const hybridDepth = (k: number) => Math.min(INDEX_MAX_FETCH, Math.max(50, 3 * k));

/** The memory's columns, selected with the search itself: no second round trip to load them. */
const COLUMNS = sql`m.id as id, m.agent_id as agentId, m.shared as shared, m.kind as kind, m.text as text, m.tags as tags,
  m.source as source, m.created_at as createdAt, m.expires_at as expiresAt`;
type RawMemory = Omit<Memory, "shared" | "tags"> & { shared: number; tags: string };
type VectorHit = RawMemory & { distance: number };
type TextHit = RawMemory & { bm25: number };

function fromRaw(r: RawMemory): Memory {
  return {
    id: r.id,
    agentId: r.agentId,
    shared: Number(r.shared) === 1,
    kind: r.kind,
    text: r.text,
    tags: JSON.parse(r.tags) as string[],
    source: r.source,
    createdAt: Number(r.createdAt),
    expiresAt: r.expiresAt === null ? null : Number(r.expiresAt),
  };
}

async function countUpTo(db: AnyDb, where: SQL, limit: number): Promise<number> {
  const row = await db.get<{ n: number }>(sql`select count(*) as n from (select 1 from memories m where ${where} limit ${limit})`);
  return Number(row?.n ?? 0);
}

function exactScan(db: AnyDb, q: Uint8Array, where: SQL, n: number): Promise<VectorHit[]> {
  return db.all<VectorHit>(sql`select ${COLUMNS}, vector_distance_cos(m.embedding, ${q}) as distance
    from memories m where ${where} order by distance, m.id limit ${n}`);
}

/**
 * The n nearest memories that pass the filters. Narrow filters with few matches scan those rows
 * exactly; otherwise the index is asked for enough neighbours that n of them should pass, and
 * when they do not, the exact scan answers (slower, never wrong).
 */
export async function vectorSearch(
  db: AnyDb,
  index: string,
  q: Uint8Array,
  filters: { where: SQL; narrow: boolean },
  n: number,
  opts: { exact?: boolean; exactScanMax?: number } = {},
): Promise<VectorHit[]> {
  if (opts.exact) return exactScan(db, q, filters.where, n);
  const exactScanMax = opts.exactScanMax ?? EXACT_SCAN_MAX;
  let fetch = n;
  if (filters.narrow) {
    const matching = await countUpTo(db, filters.where, exactScanMax + 1);
    if (matching <= exactScanMax) return exactScan(db, q, filters.where, n);
    const total = Number((await db.get<{ n: number }>(sql`select count(*) as n from memories`))?.n ?? 0);
    // `matching` is a lower bound (the count stops at exactScanMax + 1): this over-fetches.
    fetch = Math.ceil(((n * total) / matching) * 2);
  }
  fetch = Math.min(INDEX_MAX_FETCH, Math.max(n, fetch));
  for (;;) {
    const rows = await db.all<VectorHit>(sql`select ${COLUMNS}, vector_distance_cos(m.embedding, ${q}) as distance
      from vector_top_k(${index}, ${q}, ${fetch}) v join memories m on m.seq = v.id
      where ${filters.where} order by distance, m.id limit ${n}`);
    if (rows.length >= n) return rows;
    if (fetch >= INDEX_MAX_FETCH) break;
    fetch = Math.min(INDEX_MAX_FETCH, fetch * 4);
  }
  // Fewer than n passed among everything the index can return: the set is small or the filter
  // narrow, so the exact scan is both affordable and correct.
  return exactScan(db, q, filters.where, n);
}

/**
 * The n best bm25 matches that pass the filters. FTS5 first ranks on its own and only its best
 * few are joined to `memories` for the filters; when too few of those pass, every match is joined
 * (slower, never short). Ranked by `bm25(memories_fts)`, not FTS5's `rank` column: the same
 * function and order, but `order by rank` takes FTS5's sorter path, which cost 1.7× as much for a
 * common word (100k memories, 37,500 matches: 102 → 61 ms natively, load ~5; issue 14).
 */
export async function textSearch(db: AnyDb, match: string, filters: { where: SQL; narrow: boolean }, n: number): Promise<TextHit[]> {
  const head = filters.narrow ? Math.min(1000, n * 10) : n + 20;
  const best = await db.all<TextHit>(sql`select ${COLUMNS}, f.bm25 as bm25
    from (select rowid as seq, bm25(memories_fts) as bm25 from memories_fts where memories_fts match ${match} order by bm25 limit ${head}) f
    join memories m on m.seq = f.seq
    where ${filters.where} order by f.bm25, m.id limit ${n}`);
  if (best.length >= n) return best;
  return db.all<TextHit>(sql`select ${COLUMNS}, bm25(memories_fts) as bm25
    from memories_fts join memories m on m.seq = memories_fts.rowid
    where memories_fts match ${match} and ${filters.where} order by bm25, m.id limit ${n}`);
}

export async function recall(db: AnyDb, input: RecallInput, deps: RecallDeps): Promise<RecallResult> {
  const now = deps.now ?? Date.now();
  const { mode, k } = input;
  const query = input.query;
  if (query !== undefined) {
    if (query.trim() === "") throw new UnprocessableError("query is empty", "empty_query");
    if (query.length * 3 > MAX_QUERY_BYTES && new TextEncoder().encode(query).byteLength > MAX_QUERY_BYTES) {
      throw new PayloadTooLargeError(`query is over ${MAX_QUERY_BYTES} bytes`, "query_too_large");
    }
  }
  if (query === undefined && (mode !== "vector" || input.embedding === undefined)) {
    throw new UnprocessableError(mode === "vector" ? "query or embedding is required" : `query is required in ${mode} mode`, "missing_query");
  }
  const settings = await readSettings(db);
  const filters: MemoryFilters = { tags: input.tags, agentId: input.agentId, kind: input.kind, since: input.since, shared: input.shared };
  const fsql = filterSql(deps.scope, filters, now);
  const depth = mode === "hybrid" ? hybridDepth(k) : k;

  let vectorHits: VectorHit[] = [];
  let textHits: TextHit[] = [];
  if (mode !== "text") {
    let vector: Float32Array;
    if (input.embedding) {
      vector = checkEmbedding(input.embedding, settings.embedder.dimension);
    } else {
      [vector] = (await resolveEmbedder(db, deps.env, settings.embedder).embed([query!])) as [Float32Array];
    }
    vectorHits = await vectorSearch(db, settings.vectorIndex, vectorToBlob(vector), fsql, depth, { exact: input.exact === true, exactScanMax: deps.exactScanMax });
  }
  if (mode !== "vector") {
    const match = ftsMatchExpression(query!);
    if (match !== null) textHits = await textSearch(db, match, fsql, depth);
  }

  const fused = reciprocalRankFusion({ vector: vectorHits.map((h) => h.id), text: textHits.map((h) => h.id) }).slice(0, k);
  const byId = new Map<string, RawMemory>([...textHits, ...vectorHits].map((h) => [h.id, h]));
  const distance = new Map(vectorHits.map((h) => [h.id, Number(h.distance)]));
  const bm25 = new Map(textHits.map((h) => [h.id, Number(h.bm25)]));
  const results: RecallHit[] = [];
  for (const f of fused) {
    const m = fromRaw(byId.get(f.id)!);
    const d = distance.get(f.id) ?? null;
    const b = bm25.get(f.id) ?? null;
    const score = mode === "vector" ? 1 - d! : mode === "text" ? -b! : f.score;
    results.push({
      ...m,
      score,
      foundBy: (["vector", "text"] as const).filter((x) => f.ranks[x] !== undefined),
      vectorRank: f.ranks.vector ?? null,
      textRank: f.ranks.text ?? null,
      distance: d,
      bm25: b,
    });
  }
  const { kind, model, dimension } = settings.embedder;
  return { mode, k, embedder: { kind, model, dimension }, results };
}
