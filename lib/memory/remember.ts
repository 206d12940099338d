// Writing memories: validate, embed with the active embedder, insert. The vector index and the
// FTS5 table follow the row by themselves (the index natively, FTS5 and tags by triggers).
import { sql } from "drizzle-orm";
import type { z } from "zod";
import { PayloadTooLargeError, UnprocessableError, UnavailableError } from "../errors.ts";
import { randomId } from "../keys.ts";
import { resolveEmbedder } from "./embedders.ts";
import { checkEmbedding, checkText, MAX_BATCH, MAX_WRITE_BYTES, MemoryInput } from "./memory-input.ts";
import { generationIs, readSettings, type MemorySettings } from "./memory-settings.ts";
import type { AnyDb, Memory, MemoryEnv } from "./memory-types.ts";
import { vectorToBlob } from "./vector-codec.ts";

export type RememberDeps = {
  /** Needed only when the active embedder is the owner's endpoint (EMBEDDINGS, SEED_MASTER_KEY). */
  env?: MemoryEnv;
  now?: number;
  /** `source` of memories that name none. */
  defaultSource?: string;
};

/** A memory ready to insert: validated, with its id, time and (maybe) vector. */
export type NewMemory = Memory & { embedding?: readonly number[] };

const ATTEMPTS = 3;
const PURGE_PER_WRITE = 500;

export function newMemoryId(): string {
  return `mem_${randomId(16)}`;
}

function parseInput(input: unknown, where: string): z.output<typeof MemoryInput> {
  const r = MemoryInput.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new UnprocessableError(`${[where, ...issue.path].join(".")}: ${issue.message}`, "invalid_input");
}

/** Validated inputs → rows (ids, times, defaults), checking text. Vectors are checked on insert. */
export function prepareMemories(inputs: readonly unknown[], deps: RememberDeps): NewMemory[] {
  if (inputs.length === 0) throw new UnprocessableError("no memories given", "invalid_input");
  if (inputs.length > MAX_BATCH) throw new UnprocessableError(`at most ${MAX_BATCH} memories per request`, "batch_too_large");
  const now = deps.now ?? Date.now();
  return inputs.map((raw, i) => {
    const where = inputs.length === 1 ? "memory" : `memories.${i}`;
    const m = parseInput(raw, where);
    checkText(m.text, `${where}.text`);
    if (m.expiresAt != null && m.expiresAt <= now) throw new UnprocessableError(`${where}.expiresAt is in the past`, "invalid_input");
    return {
      id: newMemoryId(),
      agentId: m.agentId ?? null,
      shared: m.shared,
      kind: m.kind,
      text: m.text,
      tags: [...new Set(m.tags)],
      source: m.source ?? deps.defaultSource ?? "seed",
      createdAt: now,
      expiresAt: m.expiresAt ?? null,
      embedding: m.embedding,
    };
  });
}

/** The vectors of these memories: the given ones (checked, as unit vectors), the rest from the active embedder. */
export async function vectorsFor(db: AnyDb, env: MemoryEnv | undefined, settings: MemorySettings, items: readonly NewMemory[]): Promise<Float32Array[]> {
  const dimension = settings.embedder.dimension;
  const given = items.map((m, i) => m.embedding && checkEmbedding(m.embedding, dimension, items.length === 1 ? "embedding" : `memories.${i}.embedding`));
  const missing = items.flatMap((m, i) => (m.embedding ? [] : [i]));
  const embedded = await resolveEmbedder(db, env, settings.embedder).embed(missing.map((i) => items[i]!.text));
  const out: (Float32Array | undefined)[] = given;
  missing.forEach((i, j) => (out[i] = embedded[j]));
  return out as Float32Array[];
}

/** One guarded insert: it writes nothing if the embedder changed since the vector was made. */
export function insertMemorySql(m: NewMemory, vector: Float32Array, generation: number) {
  return sql`insert into memories (id, agent_id, shared, kind, text, tags, source, created_at, expires_at, embedding)
    select ${m.id}, ${m.agentId}, ${m.shared ? 1 : 0}, ${m.kind}, ${m.text}, ${JSON.stringify(m.tags)}, ${m.source}, ${m.createdAt}, ${m.expiresAt}, ${vectorToBlob(vector)}
    where ${generationIs(generation)}
    on conflict (id) do nothing`;
}

/** Expired memories leave both indexes on the next write, a bounded number at a time. */
export function purgeExpiredSql(now: number) {
  return sql`delete from memories where seq in (select seq from memories where expires_at is not null and expires_at <= ${now} limit ${PURGE_PER_WRITE})`;
}

type BatchItem = Parameters<AnyDb["batch"]>[0][number];

/** The libSQL error code of an error or of what it wraps (drizzle wraps driver errors). */
function errorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

const utf8 = new TextEncoder();

/** Roughly what the rows weigh on the wire to the libSQL server (JSON text, base64 vectors). */
function writeBytes(items: readonly NewMemory[], dimension: number): number {
  let n = 0;
  for (const m of items) n += utf8.encode(m.text).byteLength * 1.1 + JSON.stringify(m.tags).length + m.source.length + 400 + Math.ceil((dimension * 4 * 4) / 3);
  return n;
}

/**
 * Inserts rows in one transaction. Returns which were inserted (false: the id existed). Retries
 * with fresh vectors if a reembed finished in between (the generation guard wrote nothing).
 */
export async function insertMemories(db: AnyDb, env: MemoryEnv | undefined, items: readonly NewMemory[], now: number): Promise<boolean[]> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const settings = await readSettings(db);
    if (writeBytes(items, settings.embedder.dimension) > MAX_WRITE_BYTES) {
      throw new PayloadTooLargeError(`these memories are over ${MAX_WRITE_BYTES >> 20} MiB with their vectors: send them in smaller batches`, "batch_too_large");
    }
    const vectors = await vectorsFor(db, env, settings, items);
    const statements = [db.run(purgeExpiredSql(now)), ...items.map((m, i) => db.run(insertMemorySql(m, vectors[i]!, settings.generation)))];
    let results: unknown[];
    try {
      results = await db.batch(statements as unknown as [BatchItem, ...BatchItem[]]);
    } catch (cause) {
      // The libSQL server queues writers for up to 30 s; past that the write is refused, not lost.
      const code = errorCode(cause);
      if (code === "SQLITE_BUSY") throw new UnavailableError("the database is busy with other writes; try again", "database_busy", { cause });
      // The server bounds each request's execution time (10 s by default); nothing was written.
      if (code === "REQUEST_TIMEOUT") throw new UnavailableError("writing these memories took longer than the database gives one request: send them in smaller batches", "batch_too_slow", { cause });
      throw cause;
    }
    const inserted = results.slice(1).map((r) => (r as { rowsAffected: number }).rowsAffected > 0);
    if (inserted.some(Boolean) || (await readSettings(db)).generation === settings.generation) return inserted;
  }
  throw new UnavailableError("the embedder kept changing while writing memories; try again", "embedder_changed");
}

/**
 * Records memories (one or a batch of up to 500) and returns their ids, in order. This is what
 * the Mind calls for its episodic memory:
 *
 *   const [id] = await remember(db, { kind: "episodic", text, tags: ["cycle"], source: "mind" }, { env });
 */
export async function remember(db: AnyDb, input: MemoryInput | readonly MemoryInput[], deps: RememberDeps = {}): Promise<string[]> {
  const now = deps.now ?? Date.now();
  const items = prepareMemories(Array.isArray(input) ? (input as readonly MemoryInput[]) : [input as MemoryInput], { ...deps, now });
  await insertMemories(db, deps.env, items, now);
  return items.map((m) => m.id);
}
