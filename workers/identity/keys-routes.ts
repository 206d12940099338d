// /v1/owner/keys: every key of every kind (root, agent, helper), never a secret or its hash.
import { createRoute } from "@hono/zod-openapi";
import { and, asc, eq, isNull, ne } from "drizzle-orm";
import { keys } from "../../lib/db/schema.ts";
import { ConflictError } from "../../lib/errors.ts";
import { z } from "zod";
import { KeyIdParams, KeyInfoBody, KeyListQuery, RevokedKeyBody } from "../../lib/membrane/wire.ts";
import { keyInfo } from "../auth/key-info.ts";
import { openApp } from "../http/open-app.ts";
import { returns } from "../http/route-parts.ts";
import { revokeOne } from "../membrane/revoke-one.ts";

const list = createRoute({
  method: "get",
  path: "/",
  request: { query: KeyListQuery },
  responses: { 200: returns(z.object({ keys: z.array(KeyInfoBody) }), "keys of every kind, never a secret or its hash") },
});

const revoke = createRoute({
  method: "delete",
  path: "/{id}",
  request: { params: KeyIdParams },
  responses: { 200: returns(RevokedKeyBody, "the revoked key; its sessions are closed"), 409: { description: "already revoked, or the last live root key (use seed handoff)" } },
});

/** Mounted under /v1/owner/keys, behind the owner's root key. */
export const ownerKeys = openApp()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const rows = await c.var.db.select().from(keys).where(q.kind ? eq(keys.kind, q.kind) : undefined).orderBy(asc(keys.createdAt)).all();
    const now = Date.now();
    return c.json({ keys: rows.map((r) => keyInfo(r, now)).filter((k) => q.state === "all" || k.state === q.state) }, 200);
  })
  .openapi(revoke, async (c) => {
    const { id } = c.req.valid("param");
    const db = c.var.db;
    const target = await db.select({ kind: keys.kind }).from(keys).where(eq(keys.id, id)).get();
    if (target?.kind === "root") {
      // Revoking the last root key would lock the owner out of their own seed for good.
      const other = await db.select({ id: keys.id }).from(keys).where(and(eq(keys.kind, "root"), isNull(keys.revokedAt), ne(keys.id, id))).get();
      if (!other) throw new ConflictError("this is the last live root key: use `seed handoff` to replace it", "last_root_key");
    }
    return c.json(await revokeOne(c, id, { action: "key.revoke" }), 200);
  });
