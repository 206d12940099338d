// Memory's HTTP request shapes beyond the memories themselves (lib/memory/memory-input.ts).
import { z } from "zod";
import { MEMORY_KINDS } from "../db/schema-memory.ts";
import { MAX_BATCH } from "./memory-input.ts";
import { DEFAULT_REEMBED_BATCH, MAX_REEMBED_BATCH } from "./memory-reembed.ts";
import { MAX_EXPORT_PAGE } from "./memory-transfer.ts";

export const ExportQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_EXPORT_PAGE).default(1000),
});

export const ReembedInput = z.object({ batch: z.number().int().min(1).max(MAX_REEMBED_BATCH).default(DEFAULT_REEMBED_BATCH) });

/** POST /v1/memory with `{memories: […]}`; each item is checked as a MemoryInput by the route. */
export const BatchBody = z.object({ memories: z.array(z.unknown()).min(1).max(MAX_BATCH, `at most ${MAX_BATCH} memories per request`) });

export const MemoryIdParams = z.object({ id: z.string() });

// Response shapes of /v1/memory, for the OpenAPI document.
export const MemoryBody = z.object({
  id: z.string(),
  agentId: z.string().nullable(),
  shared: z.boolean(),
  kind: z.enum(MEMORY_KINDS),
  text: z.string(),
  tags: z.array(z.string()),
  source: z.string(),
  createdAt: z.number(),
  expiresAt: z.number().nullable(),
});
export const RecallResult = z.object({
  mode: z.enum(["hybrid", "vector", "text"]),
  k: z.number().int(),
  embedder: z.object({ kind: z.string(), model: z.string(), dimension: z.number().int() }),
  results: z.array(
    MemoryBody.extend({
      score: z.number(),
      foundBy: z.array(z.enum(["vector", "text"])),
      vectorRank: z.number().nullable(),
      textRank: z.number().nullable(),
      distance: z.number().nullable(),
      bm25: z.number().nullable(),
    }),
  ),
});
export const Remembered = z.object({ id: z.string().optional(), ids: z.array(z.string()) });
