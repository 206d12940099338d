// /v1/owner/membrane: the provider's door. The owner mints helper keys with explicit scopes and
// an optional lifetime, lists them, and revokes them; every step is written to the audit ledger.
import { createRoute } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import { keys } from "../../lib/db/schema.ts";
import { mintKey } from "../../lib/keys.ts";
import { parseTtl } from "../../lib/membrane/helper-scopes.ts";
import { z } from "zod";
import { GrantedBody, GrantInput, HelperListQuery, KeyIdParams, KeyInfoBody, RevokedKeyBody } from "../../lib/membrane/wire.ts";
import { auditChange } from "../audit/audit-change.ts";
import { forgetKeys, keyCache } from "../auth/key-cache.ts";
import { keyInfo } from "../auth/key-info.ts";
import { jsonBody } from "../http/json-body.ts";
import { openApp } from "../http/open-app.ts";
import { json, returns } from "../http/route-parts.ts";
import { revokeOne } from "./revoke-one.ts";

const grant = createRoute({
  method: "post",
  path: "/",
  middleware: [jsonBody()],
  request: { body: json(GrantInput) },
  responses: { 201: returns(GrantedBody, "the helper key; its token is shown only here") },
});

const list = createRoute({
  method: "get",
  path: "/",
  request: { query: HelperListQuery },
  responses: { 200: returns(z.object({ helpers: z.array(KeyInfoBody) }), "helper keys, never a secret or its hash") },
});

const revoke = createRoute({
  method: "delete",
  path: "/{id}",
  request: { params: KeyIdParams },
  responses: { 200: returns(RevokedKeyBody, "the revoked key; its sessions are closed"), 409: { description: "already revoked" } },
});

/** Mounted under /v1/owner/membrane, behind the owner's root key. */
export const ownerMembrane = openApp()
  .openapi(grant, async (c) => {
    const input = c.req.valid("json");
    const key = await mintKey("helper");
    const now = Date.now();
    const scopes = [...new Set(input.scopes)];
    const expiresAt = input.ttl ? now + parseTtl(input.ttl)! : null;
    const since = keyCache.epoch();
    const [row] = await c.var.db.insert(keys).values({ id: key.id, kind: "helper", name: input.name, scopes, secretHash: key.secretHash, createdAt: now, expiresAt }).returning();
    keyCache.remember(row!, since); // its first requests need no lookup
    try {
      await auditChange(c, "membrane.grant", key.id, { id: key.id, name: input.name, scopes, expiresAt }, 201);
    } catch (err) {
      // An unaudited door must not stay open: the key dies before the error is answered.
      await c.var.db.update(keys).set({ revokedAt: Date.now() }).where(eq(keys.id, key.id)).finally(() => forgetKeys([key.id]));
      throw err;
    }
    return c.json({ id: key.id, name: input.name, scopes, createdAt: now, expiresAt, token: key.token }, 201);
  })
  .openapi(list, async (c) => {
    const { state } = c.req.valid("query");
    const rows = await c.var.db.select().from(keys).where(eq(keys.kind, "helper")).orderBy(asc(keys.createdAt)).all();
    const now = Date.now();
    return c.json({ helpers: rows.map((r) => keyInfo(r, now)).filter((k) => state === "all" || k.state === state) }, 200);
  })
  .openapi(revoke, async (c) => c.json(await revokeOne(c, c.req.valid("param").id, { kind: "helper", action: "membrane.revoke" }), 200));
