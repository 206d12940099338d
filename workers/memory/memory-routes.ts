// /v1/memory: agents and the owner remember; agents, the owner and helpers holding memory:read
// recall. An agent reaches its own memories and the shared ones; the owner and helpers reach all.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { ForbiddenError } from "../../lib/errors.ts";
import { MAX_MEMORY_BODY, MemoryInput, RecallBody } from "../../lib/memory/memory-input.ts";
import { forgetMemory, getMemory } from "../../lib/memory/memory-store.ts";
import { recall } from "../../lib/memory/recall.ts";
import { insertMemories, prepareMemories } from "../../lib/memory/remember.ts";
import { BatchBody, MemoryBody, MemoryIdParams, RecallResult, Remembered } from "../../lib/memory/wire.ts";
import { access } from "../auth/access.ts";
import { jsonBody } from "../http/json-body.ts";
import { openApp } from "../http/open-app.ts";
import { json, returns } from "../http/route-parts.ts";
import { parseWith } from "../http/parse-with.ts";
import { memoryAdmin } from "./memory-admin-routes.ts";
import { dbOf, scopeOf } from "./memory-context.ts";

const write = access({ owner: true, agent: true });
const read = access({ owner: true, agent: true, helper: "memory:read" });

// One memory or `{memories: […]}`: each item is checked on its own so that a 422 names it
// (`memories.3.text: …`) instead of a union's "invalid input".
const remember = createRoute({ method: "post", path: "/", middleware: [write, jsonBody(MAX_MEMORY_BODY)], request: { body: json(z.unknown()) }, responses: { 201: returns(Remembered, "the new memories' ids (`id` too for a single memory)") } });
const recallRoute = createRoute({ method: "post", path: "/recall", middleware: [read, jsonBody()], request: { body: json(RecallBody) }, responses: { 200: returns(RecallResult, "ranked memories, with their scores and what found them") } });
const get = createRoute({ method: "get", path: "/{id}", middleware: [read], request: { params: MemoryIdParams }, responses: { 200: returns(MemoryBody, "the memory") } });
const forget = createRoute({ method: "delete", path: "/{id}", middleware: [write], request: { params: MemoryIdParams }, responses: { 200: returns(z.object({ id: z.string(), deleted: z.literal(true) }), "deleted") } });

export const memoryRoutes = openApp()
  .route("/", memoryAdmin)
  .openapi(remember, async (c) => {
    const body = c.req.valid("json");
    const isBatch = typeof body === "object" && body !== null && "memories" in body;
    const raw = isBatch ? parseWith(BatchBody, body).memories : [body];
    const caller = c.var.caller;
    // An agent's memories are its own: it may not write as another agent (or as none).
    const inputs = raw.map((item, i) => {
      const m = parseWith(MemoryInput, item);
      if (caller.kind === "agent") {
        if (m.agentId !== undefined && m.agentId !== caller.keyId) {
          throw new ForbiddenError(`${raw.length > 1 ? `memories.${i}.` : ""}agentId: an agent remembers only as itself`, "not_your_memory");
        }
        return { ...m, agentId: caller.keyId };
      }
      return m;
    });
    const db = dbOf(c);
    const now = Date.now();
    const items = prepareMemories(inputs, { now, defaultSource: caller.kind === "agent" ? `agent:${caller.name}` : "owner" });
    await insertMemories(db, c.env, items, now);
    const ids = items.map((m) => m.id);
    return c.json(isBatch ? { ids } : { id: ids[0], ids }, 201);
  })
  .openapi(recallRoute, async (c) => {
    const input = c.req.valid("json");
    if (input.exact && c.var.caller.kind !== "root") throw new ForbiddenError("exact: only the owner may ask for an exact scan", "exact_owner_only");
    return c.json(await recall(dbOf(c), input, { scope: scopeOf(c), env: c.env }), 200);
  })
  .openapi(get, async (c) => c.json(await getMemory(dbOf(c), c.req.valid("param").id, scopeOf(c)), 200))
  .openapi(forget, async (c) => {
    const { id } = c.req.valid("param");
    await forgetMemory(dbOf(c), id, scopeOf(c));
    return c.json({ id, deleted: true }, 200);
  });
