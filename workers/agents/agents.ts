// The agent registry: the owner registers agents; each gets a key of kind `agent`, shown once.
import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { agents, keys } from "../../lib/db/schema.ts";
import { ConflictError, NotFoundError } from "../../lib/errors.ts";
import { mintKey } from "../../lib/keys.ts";
import type { AppEnv } from "../app-env.ts";
import { readJson } from "../read-json.ts";

export const AgentInput = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, "1-64 letters, digits, spaces, . _ -"),
  capabilities: z.array(z.string().regex(/^[a-z0-9][a-z0-9._:-]{0,63}$/, "lowercase capability names")).max(64).default([]),
});

/** Mounted under /v1/owner/agents, behind the owner's root key. */
export const ownerAgents = new Hono<AppEnv>()
  .post("/", async (c) => {
    const input = await readJson(c, AgentInput);
    const db = c.var.db;
    const taken = await db.select({ id: agents.id }).from(agents).where(and(eq(agents.name, input.name), isNull(agents.removedAt))).get();
    if (taken) throw new ConflictError(`an agent named ${JSON.stringify(input.name)} exists (${taken.id})`, "agent_exists");
    const key = await mintKey("agent");
    const now = Date.now();
    const capabilities = [...new Set(input.capabilities)];
    await db.batch([
      db.insert(keys).values({ id: key.id, kind: "agent", name: input.name, scopes: capabilities, secretHash: key.secretHash, createdAt: now }),
      db.insert(agents).values({ id: key.id, name: input.name, capabilities, createdAt: now }),
    ]);
    return c.json({ id: key.id, name: input.name, capabilities, token: key.token }, 201);
  })
  .get("/", async (c) => {
    const rows = await c.var.db.select().from(agents).where(isNull(agents.removedAt)).orderBy(agents.createdAt).all();
    return c.json({ agents: rows.map(({ id, name, capabilities, createdAt }) => ({ id, name, capabilities, createdAt })) });
  })
  .delete("/:id", async (c) => {
    const id = c.req.param("id");
    const db = c.var.db;
    const row = await db.select().from(agents).where(and(eq(agents.id, id), isNull(agents.removedAt))).get();
    if (!row) throw new NotFoundError(`no agent ${id}`, "agent_not_found");
    const now = Date.now();
    // Revoke first: once this commits, the next request with the token is 401.
    await db.batch([
      db.update(keys).set({ revokedAt: now }).where(eq(keys.id, id)),
      db.update(agents).set({ removedAt: now }).where(eq(agents.id, id)),
    ]);
    await c.env.BUS.get(c.env.BUS.idFromName("bus")).disconnectKey(id);
    return c.json({ id, removed: true });
  });
