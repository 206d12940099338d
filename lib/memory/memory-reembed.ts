// Switching embedders. The owner sets a new embedder (it becomes "pending"); `seed memory reembed`
// then calls reembedStep until it reports "finished". Each step re-embeds one batch into a staging
// column with its own vector index; the cursor is in memory_settings, so a stopped reembed resumes
// where it was. Recall keeps using the old vectors until the last step swaps the columns in one
// transaction and bumps the generation (which makes writes with old vectors retry).
import { eq, sql } from "drizzle-orm";
import { credentials } from "../db/schema.ts";
import { memorySettings } from "../db/schema-memory.ts";
import { UnprocessableError } from "../errors.ts";
import { EmbedderConfig, sameVectors } from "./embedder-config.ts";
import { resolveEmbedder } from "./embedders.ts";
import { STAGING_COLUMN, vectorIndexDdl } from "./memory-index.ts";
import { readSettings, SETTINGS_ID, vectorIndexName, type MemorySettings } from "./memory-settings.ts";
import type { AnyDb, MemoryEnv } from "./memory-types.ts";
import { vectorToBlob } from "./vector-codec.ts";

export const DEFAULT_REEMBED_BATCH = 200;
export const MAX_REEMBED_BATCH = 500;

export type ReembedProgress = {
  state: "idle" | "running" | "finished";
  embedder: EmbedderConfig;
  pending: EmbedderConfig | null;
  /** Memories whose vector is from the pending embedder (all of them when idle or finished). */
  done: number;
  total: number;
};

type BatchItem = Parameters<AnyDb["batch"]>[0][number];
const batch = (db: AnyDb, items: unknown[]) => db.batch(items as unknown as [BatchItem, ...BatchItem[]]);

async function count(db: AnyDb, where = sql`1`): Promise<number> {
  return Number((await db.get<{ n: number }>(sql`select count(*) as n from memories where ${where}`))?.n ?? 0);
}

/** Drops a half-done staging column and index (the pending embedder changed, or was cancelled). */
function dropStaging(db: AnyDb, s: MemorySettings): unknown[] {
  if (s.reembedStartedAt === null) return [];
  return [
    db.run(sql.raw(`drop index if exists ${vectorIndexName(s.generation + 1)}`)),
    db.run(sql.raw(`alter table memories drop column ${STAGING_COLUMN}`)),
  ];
}

export type SetEmbedderResult = { active: EmbedderConfig; pending: EmbedderConfig | null; reembedNeeded: boolean };

/**
 * Records the embedder the owner wants. Same vectors as the active one (kind, model, dimension):
 * it takes effect at once (e.g. a new credential name). Otherwise it becomes pending until a
 * reembed finishes.
 */
export async function setEmbedder(db: AnyDb, input: unknown, now = Date.now()): Promise<SetEmbedderResult> {
  const parsed = EmbedderConfig.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UnprocessableError(`${issue.path.join(".") || "embedder"}: ${issue.message}`, "invalid_input");
  }
  const config = parsed.data;
  if (config.kind === "openai") {
    const cred = await db.select({ name: credentials.name }).from(credentials).where(eq(credentials.name, config.credential)).get();
    if (!cred) throw new UnprocessableError(`no credential ${config.credential}: store it first with \`seed credentials set ${config.credential} --host …\``, "unknown_credential");
  }
  const s = await readSettings(db);
  if (sameVectors(config, s.embedder)) {
    await batch(db, [
      ...dropStaging(db, s),
      db.run(sql`update ${memorySettings} set embedder = ${JSON.stringify(config)}, pending_embedder = null, reembed_started_at = null, reembed_cursor = 0, updated_at = ${now} where id = ${SETTINGS_ID}`),
    ]);
    return { active: config, pending: null, reembedNeeded: false };
  }
  const keepStaging = s.pendingEmbedder !== null && sameVectors(config, s.pendingEmbedder);
  await batch(db, [
    ...(keepStaging ? [] : dropStaging(db, s)),
    db.run(sql`update ${memorySettings} set pending_embedder = ${JSON.stringify(config)},
      reembed_started_at = ${keepStaging ? s.reembedStartedAt : null}, reembed_cursor = ${keepStaging ? s.reembedCursor : 0}, updated_at = ${now}
      where id = ${SETTINGS_ID}`),
  ]);
  return { active: s.embedder, pending: config, reembedNeeded: true };
}

export async function reembedProgress(db: AnyDb): Promise<ReembedProgress> {
  const s = await readSettings(db);
  const total = await count(db);
  if (!s.pendingEmbedder) return { state: "idle", embedder: s.embedder, pending: null, done: total, total };
  // seq only grows, so "re-embedded" is exactly "at or before the cursor". Counted on a secondary
  // index (its entries carry the rowid): a few bytes per row instead of reading every row.
  const done =
    s.reembedStartedAt === null
      ? 0
      : Number((await db.get<{ n: number }>(sql`select count(*) as n from memories indexed by memories_created_idx where seq <= ${s.reembedCursor}`))?.n ?? 0);
  return { state: "running", embedder: s.embedder, pending: s.pendingEmbedder, done, total };
}

/** Re-embeds up to `size` memories (or finishes the switch when none are left). */
export async function reembedStep(db: AnyDb, env: MemoryEnv | undefined, size = DEFAULT_REEMBED_BATCH, now = Date.now()): Promise<ReembedProgress> {
  let s = await readSettings(db);
  const target = s.pendingEmbedder;
  if (!target) return reembedProgress(db);

  if (s.reembedStartedAt === null) {
    const next = vectorIndexName(s.generation + 1);
    await batch(db, [
      db.run(sql.raw(`alter table memories add column ${STAGING_COLUMN} F32_BLOB(${target.dimension})`)),
      db.run(sql.raw(vectorIndexDdl(next, STAGING_COLUMN))),
      db.run(sql`update ${memorySettings} set reembed_started_at = ${now}, reembed_cursor = 0 where id = ${SETTINGS_ID} and reembed_started_at is null`),
    ]);
    s = await readSettings(db);
  }

  const rows = await db.all<{ seq: number; text: string }>(
    sql`select seq, text from memories where seq > ${s.reembedCursor} order by seq limit ${Math.min(MAX_REEMBED_BATCH, Math.max(1, size))}`,
  );
  if (rows.length > 0) {
    const vectors = await resolveEmbedder(db, env, target).embed(rows.map((r) => r.text));
    const last = Number(rows.at(-1)!.seq);
    await batch(db, [
      ...rows.map((r, i) => db.run(sql`update memories set ${sql.raw(STAGING_COLUMN)} = ${vectorToBlob(vectors[i]!)} where seq = ${r.seq}`)),
      // Only advance if nobody switched the target meanwhile (then the staging column is gone anyway).
      db.run(sql`update ${memorySettings} set reembed_cursor = ${last}, updated_at = ${now} where id = ${SETTINGS_ID} and reembed_cursor = ${s.reembedCursor}`),
    ]);
    return reembedProgress(db);
  }

  // Nothing after the cursor: swap, in one write transaction that first re-checks that no memory
  // slipped in since (a memory written meanwhile has a larger seq, so the next step takes it).
  const finished = await db.transaction(async (tx) => {
    const cur = await readSettings(tx as unknown as AnyDb);
    if (!cur.pendingEmbedder || cur.generation !== s.generation || !sameVectors(cur.pendingEmbedder, target)) return false;
    const behind = await tx.get<{ n: number }>(sql`select count(*) as n from memories where seq > ${cur.reembedCursor} or ${sql.raw(STAGING_COLUMN)} is null`);
    if (Number(behind?.n ?? 0) > 0) return false;
    await tx.run(sql.raw(`drop index ${cur.vectorIndex}`));
    await tx.run(sql.raw(`alter table memories drop column embedding`));
    await tx.run(sql.raw(`alter table memories rename column ${STAGING_COLUMN} to embedding`));
    await tx.run(sql`update ${memorySettings} set embedder = ${JSON.stringify(target)}, pending_embedder = null,
      vector_index = ${vectorIndexName(cur.generation + 1)}, generation = ${cur.generation + 1},
      reembed_started_at = null, reembed_cursor = 0, updated_at = ${now} where id = ${SETTINGS_ID}`);
    return true;
  });
  const p = await reembedProgress(db);
  return finished ? { ...p, state: "finished" } : p;
}
