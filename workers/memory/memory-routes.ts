// /v1/memory: agents and the owner remember; agents, the owner and helpers holding memory:read
// recall. An agent reaches its own memories and the shared ones; the owner and helpers reach all.
import { Hono } from "hono";
import { z } from "zod";
import { ForbiddenError } from "../../lib/errors.ts";
import { MAX_BATCH, MAX_MEMORY_BODY, MemoryInput, RecallBody } from "../../lib/memory/memory-input.ts";
import { forgetMemory, getMemory } from "../../lib/memory/memory-store.ts";
import { recall } from "../../lib/memory/recall.ts";
import { insertMemories, prepareMemories } from "../../lib/memory/remember.ts";
import type { AppEnv } from "../app-env.ts";
import { access } from "../auth/access.ts";
import { parseWith, readJson } from "../read-json.ts";
import { memoryAdmin } from "./memory-admin-routes.ts";
import { dbOf, scopeOf } from "./memory-context.ts";

const write = access({ owner: true, agent: true });
const read = access({ owner: true, agent: true, helper: "memory:read" });

const BatchBody = z.object({ memories: z.array(z.unknown()).min(1).max(MAX_BATCH, `at most ${MAX_BATCH} memories per request`) });

export const memoryRoutes = new Hono<AppEnv>()
  .route("/", memoryAdmin)
  .post("/", write, async (c) => {
    const body = await readJson(c, z.unknown(), MAX_MEMORY_BODY);
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
  .post("/recall", read, async (c) => {
    const input = await readJson(c, RecallBody);
    if (input.exact && c.var.caller.kind !== "root") throw new ForbiddenError("exact: only the owner may ask for an exact scan", "exact_owner_only");
    return c.json(await recall(dbOf(c), input, { scope: scopeOf(c), env: c.env }));
  })
  .get("/:id", read, async (c) => c.json(await getMemory(dbOf(c), c.req.param("id"), scopeOf(c))))
  .delete("/:id", write, async (c) => {
    const id = c.req.param("id");
    await forgetMemory(dbOf(c), id, scopeOf(c));
    return c.json({ id, deleted: true });
  });
