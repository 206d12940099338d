// The vector index's options reach every seed: after the migrations, each vector index memory
// uses (the active one, and a running reembed's staging one) is rebuilt when its options differ
// from VECTOR_INDEX_OPTIONS. This is code rather than a SQL migration because the index's name
// depends on how often the embedder was switched (memory_settings.vector_index), which a SQL
// migration cannot read. Rebuilding re-inserts every vector: minutes for 100k memories.
import { sql } from "drizzle-orm";
import { readSettings, VECTOR_INDEX_OPTIONS, vectorIndexName } from "./memory-settings.ts";
import type { AnyDb } from "./memory-types.ts";

export const STAGING_COLUMN = "embedding_next";

/** The DDL of a vector index over `column` with the seed's options. */
export function vectorIndexDdl(name: string, column: string): string {
  return `create index ${name} on memories (libsql_vector_idx(${column}, ${VECTOR_INDEX_OPTIONS.map((o) => `'${o}'`).join(", ")}))`;
}

/** The quoted `key=value` options of an index's CREATE statement, in order. */
export function indexOptionsOf(ddl: string): string[] {
  return [...ddl.matchAll(/'([a-z_]+=[^']*)'/g)].map((m) => m[1]!);
}

const current = (ddl: string) => indexOptionsOf(ddl).join(" ") === VECTOR_INDEX_OPTIONS.join(" ");

type BatchItem = Parameters<AnyDb["batch"]>[0][number];

/** Rebuilds memory's vector indexes whose options are not the seed's; returns the names rebuilt. */
export async function alignVectorIndexes(db: AnyDb): Promise<string[]> {
  const s = await readSettings(db);
  const wanted: [string, string][] = [[s.vectorIndex, "embedding"]];
  if (s.reembedStartedAt !== null) wanted.push([vectorIndexName(s.generation + 1), STAGING_COLUMN]);
  const rebuilt: string[] = [];
  for (const [name, column] of wanted) {
    const row = await db.get<{ sql: string }>(sql`select sql from sqlite_master where type = 'index' and name = ${name}`);
    if (row && current(row.sql)) continue;
    const steps = [db.run(sql.raw(`drop index if exists ${name}`)), db.run(sql.raw(vectorIndexDdl(name, column)))];
    await db.batch(steps as unknown as [BatchItem, ...BatchItem[]]);
    rebuilt.push(name);
  }
  return rebuilt;
}
