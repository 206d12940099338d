// The shapes memory accepts, checked at the edge (routes) and again by remember() for callers
// inside the seed (the Mind). Limits are part of the contract: README "Memory".
import { z } from "zod";
import { MEMORY_KINDS } from "../db/schema-memory.ts";
import { PayloadTooLargeError, UnprocessableError } from "../errors.ts";
import { F32_MAX, unitVector } from "./vector-codec.ts";

export const MAX_TEXT_BYTES = 64 * 1024;
export const MAX_BATCH = 500;
export const MAX_TAGS = 32;
export const MAX_K = 100;
export const MAX_QUERY_BYTES = 8 * 1024;
/**
 * Request bodies that carry memories. One request is one database transaction, and the libSQL
 * server takes at most 8 MiB per request: texts plus vectors (base64) must fit under it.
 */
export const MAX_MEMORY_BODY = 6 * 1024 * 1024;
export const MAX_WRITE_BYTES = 7 * 1024 * 1024;

export const MEMORY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
export const Tag = z.string().regex(/^[\p{L}\p{N}][\p{L}\p{N} ._:/#@+-]{0,63}$/u, "tags are 1-64 letters, digits, spaces or . _ : / # @ + - (starting with a letter or digit)");
export const Kind = z.enum(MEMORY_KINDS);
const Millis = z.number().int().min(0).max(8.64e15);
/** A time as ms since the epoch or an ISO 8601 string. */
export const Instant = z.union([Millis, z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);
const F32_RANGE = "embedding values are float32 numbers: finite, at most 3.4028235e38 in magnitude";
/** A vector from the active embedder; the seed stores it as a unit vector (see checkEmbedding). */
export const Embedding = z.array(z.number().min(-F32_MAX, F32_RANGE).max(F32_MAX, F32_RANGE)).min(1).max(4096);

export const MemoryInput = z.object({
  text: z.string(),
  kind: Kind.default("semantic"),
  tags: z.array(Tag).max(MAX_TAGS).default([]),
  source: z.string().min(1).max(200).optional(),
  shared: z.boolean().default(false),
  /** Only the owner may name an agent; an agent's memories are always its own. */
  agentId: z.string().regex(MEMORY_ID).nullable().optional(),
  expiresAt: Instant.nullable().optional(),
  /** A vector from the active embedder; without it the seed embeds the text itself. */
  embedding: Embedding.optional(),
});
export type MemoryInput = z.input<typeof MemoryInput>;

export const RememberBody = z.union([
  z.object({ memories: z.array(MemoryInput).min(1).max(MAX_BATCH) }),
  MemoryInput,
]);

export const RecallBody = z.object({
  query: z.string().optional(),
  /** A query vector from the active embedder, instead of (or with) query text. */
  embedding: Embedding.optional(),
  k: z.number().int().min(1, "k must be 1 or more").max(MAX_K, `k must be at most ${MAX_K}`).default(10),
  mode: z.enum(["hybrid", "vector", "text"]).default("hybrid"),
  tags: z.array(Tag).max(MAX_TAGS).optional(),
  agentId: z.string().regex(MEMORY_ID).optional(),
  kind: z.union([Kind, z.array(Kind).min(1)]).optional(),
  since: Instant.optional(),
  shared: z.boolean().optional(),
  /** Owner only: rank by an exact scan instead of the vector index (to check the index). */
  exact: z.boolean().optional(),
});
export type RecallInput = z.output<typeof RecallBody>;

const utf8 = new TextEncoder();

/** Empty text is 422, text over 64 KiB is 413: the two mistakes callers make most. */
export function checkText(text: string, where = "text"): void {
  if (text.trim() === "") throw new UnprocessableError(`${where} is empty`, "empty_text");
  // A string of n UTF-16 units is at most 3n UTF-8 bytes: skip the encoding when it cannot be over.
  if (text.length * 3 > MAX_TEXT_BYTES && utf8.encode(text).byteLength > MAX_TEXT_BYTES) {
    throw new PayloadTooLargeError(`${where} is over ${MAX_TEXT_BYTES} bytes (64 KiB)`, "text_too_large");
  }
}

/**
 * A caller's vector as the seed stores and searches it: of the active embedder's dimension,
 * finite within float32's range, not all zeros, and normalised to unit length; else 422.
 */
export function checkEmbedding(embedding: readonly number[], dimension: number, where = "embedding"): Float32Array {
  if (embedding.length !== dimension) {
    throw new UnprocessableError(`${where} has ${embedding.length} dimensions; the active embedder has ${dimension}`, "wrong_dimension");
  }
  const unit = unitVector(embedding);
  if (unit) return unit;
  if (embedding.every((x) => x === 0)) throw new UnprocessableError(`${where} is all zeros: it has no direction`, "zero_embedding");
  throw new UnprocessableError(`${where}: ${F32_RANGE}`, "invalid_embedding");
}
