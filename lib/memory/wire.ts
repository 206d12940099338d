// Memory's HTTP request shapes beyond the memories themselves (lib/memory/memory-input.ts).
import { z } from "zod";
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
