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
 * Tuning of every vector index the seed creates (the first one is in the memory_search migration).
 * float8 neighbours keep the index at ~17 KB per memory (float32 would be ~55 KB); measured on
 * 100k offline 256-dimension vectors (bench/memory.ts corpus), max_neighbors 48 gave recall@10
 * 0.97 against an exact scan where 32 gave 0.93. search_l stays at libSQL's 200, which is also
 * the most rows one vector_top_k call returns.
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
