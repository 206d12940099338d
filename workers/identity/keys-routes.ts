// /v1/owner/keys: every key of every kind (root, agent, helper), never a secret or its hash.
import { Hono } from "hono";
import { and, asc, eq, isNull, ne } from "drizzle-orm";
import { z } from "zod";
import { keys } from "../../lib/db/schema.ts";
import { ConflictError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { keyInfo, revokeKey } from "../membrane/revoke-key.ts";
import { parseWith } from "../read-json.ts";

const ListQuery = z.object({ kind: z.enum(["root", "agent", "helper"]).optional(), state: z.enum(["live", "expired", "revoked", "all"]).default("all") });

/** Mounted under /v1/owner/keys, behind the owner's root key. */
export const ownerKeys = new Hono<AppEnv>()
  .get("/", async (c) => {
    const q = parseWith(ListQuery, c.req.query());
    const rows = await c.var.db.select().from(keys).where(q.kind ? eq(keys.kind, q.kind) : undefined).orderBy(asc(keys.createdAt)).all();
    const now = Date.now();
    const list = rows.map((r) => keyInfo(r, now)).filter((k) => q.state === "all" || k.state === q.state);
    return c.json({ keys: list });
  })
  .delete("/:id", async (c) => {
    const id = c.req.param("id");
    const db = c.var.db;
    const target = await db.select({ kind: keys.kind }).from(keys).where(eq(keys.id, id)).get();
    if (target?.kind === "root") {
      // Revoking the last root key would lock the owner out of their own seed for good.
      const other = await db.select({ id: keys.id }).from(keys).where(and(eq(keys.kind, "root"), isNull(keys.revokedAt), ne(keys.id, id))).get();
      if (!other) throw new ConflictError("this is the last live root key: use `seed handoff` to replace it", "last_root_key");
    }
    return c.json(await revokeKey(c, id, { action: "key.revoke" }));
  });
