// The owner's side of memory as the OpenAPI document describes it (workers/memory/memory-admin-routes.ts).
import { z } from "zod";
import { EmbedderConfig } from "./embedder-config.ts";
import { MemoryBody } from "./wire.ts";

const Embedder = EmbedderConfig;
const Vectors = z.object({ kind: z.string(), model: z.string(), dimension: z.number() });

export const MemoryStatusBody = z.object({
  embedder: Embedder,
  pending: Embedder.nullable(),
  generation: z.number(),
  vectorIndex: z.string(),
  memories: z.number(),
  reembed: z.object({ done: z.number(), total: z.number(), startedAt: z.number().nullable() }).nullable(),
});

export const EmbedderSetBody = z.object({ active: Embedder, pending: Embedder.nullable(), reembedNeeded: z.boolean() });

export const ReembedBody = z.object({
  state: z.enum(["idle", "running", "finished"]),
  embedder: Embedder,
  pending: Embedder.nullable(),
  /** Memories whose vector is from the pending embedder (all of them when idle or finished). */
  done: z.number(),
  total: z.number(),
});

export const ExportPageBody = z.object({
  embedder: Vectors,
  /** On the first page only: how many memories the export holds. */
  count: z.number().optional(),
  memories: z.array(MemoryBody.extend({ embedding: z.array(z.number()).optional() })),
  next: z.number().nullable(),
});

export const ImportedBody = z.object({ imported: z.number(), skipped: z.number() });
