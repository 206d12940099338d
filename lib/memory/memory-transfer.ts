// Export and import: memories with their vectors, so a move needs no re-embedding. The CLI writes
// them as JSONL: a header line naming the embedder, then one memory per line.
import { sql } from "drizzle-orm";
import { z } from "zod";
import { ConflictError, UnprocessableError } from "../errors.ts";
import { describeEmbedder, sameVectors } from "./embedder-config.ts";
import { checkEmbedding, checkText, Embedding, Instant, Kind, MAX_BATCH, MAX_TAGS, MEMORY_ID, Tag } from "./memory-input.ts";
import { readSettings } from "./memory-settings.ts";
import type { AnyDb, Memory, MemoryEnv } from "./memory-types.ts";
import { insertMemories, type NewMemory } from "./remember.ts";
import { blobToVector } from "./vector-codec.ts";

export const EXPORT_FORMAT = "seed-memory";
export const EXPORT_VERSION = 1;
export const MAX_EXPORT_PAGE = 2_000;

export const VectorsOf = z.object({ kind: z.string(), model: z.string(), dimension: z.number().int() });
export type VectorsOf = z.output<typeof VectorsOf>;

export const ExportHeader = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  embedder: VectorsOf,
  exportedAt: z.number().int(),
  count: z.number().int().min(0),
});
export type ExportHeader = z.output<typeof ExportHeader>;

export const ExportedMemory = z.object({
  id: z.string().regex(MEMORY_ID),
  agentId: z.string().regex(MEMORY_ID).nullable().default(null),
  shared: z.boolean().default(false),
  kind: Kind,
  text: z.string(),
  tags: z.array(Tag).max(MAX_TAGS).default([]),
  source: z.string().min(1).max(200).default("import"),
  createdAt: Instant,
  expiresAt: Instant.nullable().default(null),
  embedding: Embedding.optional(),
});
export type ExportedMemory = z.output<typeof ExportedMemory>;

export const ImportBody = z.object({
  /** Whose vectors the memories carry; required when any carries an embedding. */
  embedder: VectorsOf.optional(),
  memories: z.array(ExportedMemory).min(1).max(MAX_BATCH),
});

type Row = {
  seq: number;
  id: string;
  agent_id: string | null;
  shared: number;
  kind: Memory["kind"];
  text: string;
  tags: string;
  source: string;
  created_at: number;
  expires_at: number | null;
  embedding: ArrayBuffer | Uint8Array | null;
};

/** One page of live memories in insertion order, after the cursor `after` (0 = from the start). */
export async function exportPage(db: AnyDb, after: number, limit: number, now = Date.now()) {
  const settings = await readSettings(db);
  const rows = await db.all<Row>(sql`select seq, id, agent_id, shared, kind, text, tags, source, created_at, expires_at, embedding
    from memories where seq > ${after} and (expires_at is null or expires_at > ${now}) order by seq limit ${limit}`);
  const count =
    after === 0 ? Number((await db.get<{ n: number }>(sql`select count(*) as n from memories where expires_at is null or expires_at > ${now}`))?.n ?? 0) : undefined;
  const { kind, model, dimension } = settings.embedder;
  const memories = rows.map((r) => ({
    id: r.id,
    agentId: r.agent_id,
    shared: Number(r.shared) === 1,
    kind: r.kind,
    text: r.text,
    tags: JSON.parse(r.tags) as string[],
    source: r.source,
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    // float32 → JSON number → float32 is exact, so imported vectors are bit-identical.
    embedding: r.embedding === null ? undefined : Array.from(blobToVector(r.embedding)),
  }));
  const last = rows.at(-1);
  return {
    embedder: { kind, model, dimension },
    ...(count !== undefined ? { count } : {}),
    memories,
    next: rows.length === limit && last ? Number(last.seq) : null,
  };
}

/**
 * Imports memories keeping their ids and times; ids already present are skipped, so an import
 * can be re-run after an interruption. Vectors are kept when they come from the active embedder,
 * refused (409) when they do not; memories without one are embedded here.
 */
export async function importMemories(
  db: AnyDb,
  body: z.output<typeof ImportBody>,
  deps: { env?: MemoryEnv; now?: number } = {},
): Promise<{ imported: number; skipped: number }> {
  const now = deps.now ?? Date.now();
  const settings = await readSettings(db);
  const withVectors = body.memories.some((m) => m.embedding !== undefined);
  if (withVectors) {
    if (!body.embedder) throw new UnprocessableError("embedder: required when memories carry embeddings", "invalid_input");
    if (!sameVectors(body.embedder, settings.embedder)) {
      throw new ConflictError(
        `these vectors come from ${describeEmbedder(body.embedder)} but this seed's memory uses ${describeEmbedder(settings.embedder)}: import without embeddings (seed memory import --reembed) or switch the embedder first`,
        "embedder_mismatch",
      );
    }
  }
  const items: NewMemory[] = body.memories.map((m, i) => {
    checkText(m.text, `memories.${i}.text`);
    if (m.embedding) checkEmbedding(m.embedding, settings.embedder.dimension, `memories.${i}.embedding`);
    return { ...m, tags: [...new Set(m.tags)] };
  });
  const live = items.filter((m) => m.expiresAt === null || m.expiresAt > now);
  if (live.length === 0) return { imported: 0, skipped: items.length };
  const inserted = await insertMemories(db, deps.env, live, now);
  const imported = inserted.filter(Boolean).length;
  return { imported, skipped: items.length - imported };
}
