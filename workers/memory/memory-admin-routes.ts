// The owner's side of memory: which embedder, switching it (reembed), export and import.
// Mounted inside /v1/memory before `/:id`, so these names are never taken for memory ids.
import { Hono } from "hono";
import { z } from "zod";
import { memoryStatus } from "../../lib/memory/memory-status.ts";
import { MAX_MEMORY_BODY } from "../../lib/memory/memory-input.ts";
import { DEFAULT_REEMBED_BATCH, MAX_REEMBED_BATCH, reembedStep, setEmbedder } from "../../lib/memory/memory-reembed.ts";
import { exportPage, importMemories, ImportBody, MAX_EXPORT_PAGE } from "../../lib/memory/memory-transfer.ts";
import type { AppEnv } from "../app-env.ts";
import { access } from "../auth/access.ts";
import { parseWith, readJson } from "../read-json.ts";
import { dbOf } from "./memory-context.ts";

const owner = access({ owner: true });
const ownerOrReader = access({ owner: true, helper: "memory:read" });

const ExportQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_EXPORT_PAGE).default(1000),
});
const ReembedBody = z.object({ batch: z.number().int().min(1).max(MAX_REEMBED_BATCH).default(DEFAULT_REEMBED_BATCH) }).default({ batch: DEFAULT_REEMBED_BATCH });

export const memoryAdmin = new Hono<AppEnv>()
  .get("/status", ownerOrReader, async (c) => c.json(await memoryStatus(dbOf(c))))
  .put("/embedder", owner, async (c) => {
    const body = await readJson(c, z.unknown());
    return c.json(await setEmbedder(dbOf(c), body));
  })
  .post("/reembed", owner, async (c) => {
    const { batch } = await readJson(c, ReembedBody);
    return c.json(await reembedStep(dbOf(c), c.env, batch));
  })
  .get("/export", owner, async (c) => {
    const q = parseWith(ExportQuery, c.req.query());
    return c.json(await exportPage(dbOf(c), q.after, q.limit));
  })
  .post("/import", owner, async (c) => {
    const body = await readJson(c, ImportBody, MAX_MEMORY_BODY);
    return c.json(await importMemories(dbOf(c), body, { env: c.env }));
  });
