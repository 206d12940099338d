// Memory (issue 6): what the organism remembers, in libSQL. drizzle-kit generates the tables from
// this file; the vector index (libsql_vector_idx), the FTS5 table and the triggers that keep it in
// step live in a custom migration (migrations/*_memory_search.sql), because drizzle-kit cannot
// express them.
import { sql } from "drizzle-orm";
import { customType, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const MEMORY_KINDS = ["episodic", "semantic", "procedural"] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];

/** The dimension the first migration creates; `seed memory reembed` can change it later. */
export const INITIAL_DIMENSION = 256;

/**
 * libSQL's float32 vector column. Values go in and come out as raw little-endian float32 bytes;
 * the declared dimension is what the vector index checks every insert against.
 */
const f32Blob = customType<{ data: Uint8Array; driverData: Uint8Array; config: { dimension: number } }>({
  dataType(config) {
    return `F32_BLOB(${config?.dimension ?? INITIAL_DIMENSION})`;
  },
});

export const memories = sqliteTable(
  "memories",
  {
    /**
     * The rowid: what vector_top_k and the FTS5 table point at. Never leaves the database.
     * AUTOINCREMENT so a new memory always sorts after every older one (export and reembed cursors).
     */
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** The public id (`mem_…`), kept across export and import. */
    id: text("id").notNull(),
    /** The agent (its key id) that owns it; null for the seed's own memories (the mind's, the owner's). */
    agentId: text("agent_id"),
    /** Shared memories are visible to every agent; the others only to their agent (and the owner). */
    shared: integer("shared", { mode: "boolean" }).notNull().default(false),
    kind: text("kind", { enum: MEMORY_KINDS }).notNull(),
    text: text("text").notNull(),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default([]),
    source: text("source").notNull(),
    createdAt: integer("created_at").notNull(), // ms since epoch
    expiresAt: integer("expires_at"), // ms since epoch; recall ignores it after, the next write purges it
    embedding: f32Blob("embedding", { dimension: INITIAL_DIMENSION }),
  },
  (t) => [
    uniqueIndex("memories_id_idx").on(t.id),
    index("memories_agent_idx").on(t.agentId, t.createdAt),
    index("memories_shared_idx").on(t.createdAt).where(sql`${t.shared} = 1`),
    index("memories_kind_idx").on(t.kind, t.createdAt),
    index("memories_created_idx").on(t.createdAt),
    index("memories_expires_idx").on(t.expiresAt).where(sql`${t.expiresAt} is not null`),
  ],
);

export type MemoryRow = typeof memories.$inferSelect;

/** One row per (tag, memory): tag filters use this index instead of scanning JSON. */
export const memoryTags = sqliteTable(
  "memory_tags",
  {
    tag: text("tag").notNull(),
    seq: integer("seq").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tag, t.seq] }), index("memory_tags_seq_idx").on(t.seq)],
);

/**
 * Exactly one row (id = 1): which embedder made the vectors in `memories.embedding` (the
 * dimension is recorded with the database), the vector index that serves them, and the embedder
 * a running `seed memory reembed` is moving to.
 */
export const memorySettings = sqliteTable("memory_settings", {
  id: integer("id").primaryKey(),
  embedder: text("embedder", { mode: "json" }).notNull(), // EmbedderConfig
  pendingEmbedder: text("pending_embedder", { mode: "json" }), // EmbedderConfig | null
  vectorIndex: text("vector_index").notNull(),
  generation: integer("generation").notNull(),
  reembedStartedAt: integer("reembed_started_at"),
  /** The last seq a running reembed has re-embedded (seq only grows: AUTOINCREMENT). */
  reembedCursor: integer("reembed_cursor").notNull().default(0),
  updatedAt: integer("updated_at").notNull(),
});
