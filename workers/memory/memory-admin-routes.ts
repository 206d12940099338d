// The owner's side of memory: which embedder, switching it (reembed), export and import.
// Mounted inside /v1/memory before `/:id`, so these names are never taken for memory ids.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { MAX_MEMORY_BODY } from "../../lib/memory/memory-input.ts";
import { memoryStatus } from "../../lib/memory/memory-status.ts";
import { reembedStep, setEmbedder } from "../../lib/memory/memory-reembed.ts";
import { exportPage, importMemories, ImportBody } from "../../lib/memory/memory-transfer.ts";
import { EmbedderSetBody, ExportPageBody, ImportedBody, MemoryStatusBody, ReembedBody } from "../../lib/memory/responses.ts";
import { ExportQuery, ReembedInput } from "../../lib/memory/wire.ts";
import { auditChange } from "../audit/audit-change.ts";
import { access } from "../auth/access.ts";
import { jsonBody } from "../http/json-body.ts";
import { openApp } from "../http/open-app.ts";
import { json, optionalJson, returns } from "../http/route-parts.ts";
import { dbOf } from "./memory-context.ts";

const owner = access({ owner: true });
const ownerOrReader = access({ owner: true, helper: "memory:read" });

const status = createRoute({ method: "get", path: "/status", middleware: [ownerOrReader], responses: { 200: returns(MemoryStatusBody, "memory's counts and embedder") } });
// The embedder's settings are checked by setEmbedder (lib/memory/memory-reembed.ts).
const embedder = createRoute({ method: "put", path: "/embedder", middleware: [owner, jsonBody()], request: { body: json(z.unknown()) }, responses: { 200: returns(EmbedderSetBody, "the active and pending embedder") } });
const reembed = createRoute({ method: "post", path: "/reembed", middleware: [owner, jsonBody()], request: { body: optionalJson(ReembedInput) }, responses: { 200: returns(ReembedBody, "re-embedding progress") } });
const exportRoute = createRoute({ method: "get", path: "/export", middleware: [owner], request: { query: ExportQuery }, responses: { 200: returns(ExportPageBody, "a page of memories with their vectors; next is the cursor of the following page") } });
const importRoute = createRoute({ method: "post", path: "/import", middleware: [owner, jsonBody(MAX_MEMORY_BODY)], request: { body: json(ImportBody) }, responses: { 200: returns(ImportedBody, "how many were imported; ids already present are skipped") } });

export const memoryAdmin = openApp()
  .openapi(status, async (c) => c.json(await memoryStatus(dbOf(c)), 200))
  .openapi(embedder, async (c) => {
    const r = await setEmbedder(dbOf(c), c.req.valid("json"));
    await auditChange(c, "memory.embedder", null, { wanted: r.pending ?? r.active, reembedNeeded: r.reembedNeeded });
    return c.json(r, 200);
  })
  .openapi(reembed, async (c) => {
    const r = await reembedStep(dbOf(c), c.env, c.req.valid("json").batch);
    await auditChange(c, "memory.reembed", null, { state: r.state, done: r.done, total: r.total });
    return c.json(r, 200);
  })
  .openapi(exportRoute, async (c) => {
    const q = c.req.valid("query");
    return c.json(await exportPage(dbOf(c), q.after, q.limit), 200);
  })
  .openapi(importRoute, async (c) => {
    const r = await importMemories(dbOf(c), c.req.valid("json"), { env: c.env });
    await auditChange(c, "memory.import", null, r);
    return c.json(r, 200);
  });
