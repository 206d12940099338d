// What `seed memory status` and GET /v1/memory/status show.
import type { EmbedderConfig } from "./embedder-config.ts";
import { reembedProgress } from "./memory-reembed.ts";
import { readSettings } from "./memory-settings.ts";
import type { AnyDb } from "./memory-types.ts";

export type MemoryStatus = {
  embedder: EmbedderConfig;
  pending: EmbedderConfig | null;
  generation: number;
  vectorIndex: string;
  memories: number;
  reembed: { done: number; total: number; startedAt: number | null } | null;
};

export async function memoryStatus(db: AnyDb): Promise<MemoryStatus> {
  const s = await readSettings(db);
  const p = await reembedProgress(db);
  return {
    embedder: s.embedder,
    pending: s.pendingEmbedder,
    generation: s.generation,
    vectorIndex: s.vectorIndex,
    memories: p.total,
    reembed: s.pendingEmbedder ? { done: p.done, total: p.total, startedAt: s.reembedStartedAt } : null,
  };
}
