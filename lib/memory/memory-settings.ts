// The memory_settings row: the active embedder (whose vectors are in memories.embedding, served by
// vectorIndex), and the embedder a reembed is moving to.
import { eq, sql } from "drizzle-orm";
import { memorySettings } from "../db/schema-memory.ts";
import { UnavailableError } from "../errors.ts";
import { EmbedderConfig } from "./embedder-config.ts";
import type { AnyDb } from "./memory-types.ts";

export type MemorySettings = {
  embedder: EmbedderConfig;
  pendingEmbedder: EmbedderConfig | null;
  vectorIndex: string;
  generation: number;
  reembedStartedAt: number | null;
  reembedCursor: number;
};

/**
 * Tuning of every vector index the seed creates (lib/memory/memory-index.ts rebuilds an existing
 * seed's index when these change). Measured on the bench/memory.ts corpus (offline 256-dimension
 * vectors; recall@10 against an exact scan; issue 15). Natively, 10k memories:
 *
 *   float8, 48 neighbours                    18.0 KB/memory  recall 0.99   ~140 inserts/CPU-s
 *   float8, 48, insert_l 20                  18.0 KB         0.963         281
 *   float8, 32, insert_l 40, search_l 300    11.9 KB         0.967         219-330
 *   float8, 32, insert_l 30                  11.9 KB         0.934         327
 *   float8, 24, insert_l 40                   9.8 KB         0.89          324
 *   float8, 11 (one 4 KB page per node)       6.2 KB         0.65          389
 *   float1bit, 32 (even after a random rotation of the vectors: 0.76)  5.7 KB  0.30
 *   float1bit, 64, insert_l 100, search_l 500  6.0 KB  0.376 (the index 110 ms a query, the scan 39)
 *
 * Through the API at 100k (bench/memory.ts, same machine): float8/48 recall 0.973, 18 KB, 156
 * inserts/s; float8/32/insert_l 40/search_l 300 recall 0.908 (0.966 at 10k), 11.8 KB, 160/s.
 * Recall is the one target 48 neighbours meet, so they stay. A node holds its own float32 vector
 * plus one float8 vector per neighbour: the neighbour count sets the size. search_l (default
 * 200) is also the most rows one vector_top_k call returns (INDEX_MAX_FETCH).
 *
 * Where a memory's 18 KB go (dbstat, 2,000 memories, float8/48): the index node 16.4 KB (its own
 * float32 vector plus 48 float8 neighbours, stored over four 4 KB pages), the row 1.37 KB (1 KB
 * of it the float32 vector), FTS5 0.1 KB, the six secondary indexes and the tag table 0.16 KB. So
 * ≤ 6 KB per memory needs a node of ≤ ~4.3 KB, which no setting above reaches with usable recall.
 *
 * A cluster (IVF) index in plain SQL instead (bench/memory-ivf.ts, 2026-12-02; not built): the
 * offline embedder's neighbours share a query's words, and k-means cells do not keep them
 * together. recall@10 against the share of memories re-ranked, k = √N cells:
 *
 *   10k, 100 cells     0.44 at 8%   0.77 at 33%   0.93 at 67%
 *   100k, 316 cells    0.61 at 10%  0.72 at 21%   0.87 at 42%   0.99 at 84%
 *
 * so recall ≥ 0.95 leaves at most a 1.2× speed-up over the exact scan, against DiskANN's 8.6×.
 *
 * No index at all, a quantized scan instead (bench/memory-quant.ts, 2026-12-02; not built): one
 * code per memory in a narrow table, its top N by the code's cosine re-ranked exactly. At 100k,
 * natively, load ~5 (ratios only):
 *
 *   float8 (vector8, 293 B/memory)       recall 1.0 re-ranking 20..200   1.7-3.3× the exact scan
 *   float1bit (vector1bit, 44 B/memory)  recall 0.29 / 0.44 / 0.55 re-ranking 200 / 1,000 / 3,000
 *
 * Inserts would be plain rows and ~1.7 KB a memory, but libSQL's vector functions cost ~1-2.5 µs
 * a row (the float8 scan is 5× the narrow table's bare scan), so no code reaches 10× at 0.95.
 */
export const VECTOR_INDEX_OPTIONS = ["metric=cosine", "compress_neighbors=float8", "max_neighbors=48"] as const;

export const SETTINGS_ID = 1;

export function vectorIndexName(generation: number): string {
  return generation === 1 ? "memories_embedding_idx" : `memories_embedding_g${generation}_idx`;
}

export async function readSettings(db: AnyDb): Promise<MemorySettings> {
  const row = await db.select().from(memorySettings).where(eq(memorySettings.id, SETTINGS_ID)).get();
  if (!row) throw new UnavailableError("memory is not initialised (the memory migrations have not run)", "memory_not_initialised");
  return {
    embedder: EmbedderConfig.parse(row.embedder),
    pendingEmbedder: row.pendingEmbedder == null ? null : EmbedderConfig.parse(row.pendingEmbedder),
    vectorIndex: row.vectorIndex,
    generation: row.generation,
    reembedStartedAt: row.reembedStartedAt,
    reembedCursor: row.reembedCursor,
  };
}

/** SQL that is true while the settings are still at this generation (guards writes of vectors). */
export const generationIs = (generation: number) =>
  sql`(select ${memorySettings.generation} from ${memorySettings} where ${memorySettings.id} = ${SETTINGS_ID}) = ${generation}`;
