// /v1/owner/membrane: the provider's door. The owner mints helper keys with explicit scopes and
// an optional lifetime, lists them, and revokes them; every step is written to the audit ledger.
import { Hono } from "hono";
import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import { keys } from "../../lib/db/schema.ts";
import { mintKey } from "../../lib/keys.ts";
import type { AppEnv } from "../app-env.ts";
import { ownerAction, recordAudit } from "../audit/audit-client.ts";
import { parseWith, readJson } from "../read-json.ts";
import { HELPER_SCOPES, isHelperScope, MAX_TTL_MS, parseTtl } from "./helper-scopes.ts";
import { keyInfo, revokeKey } from "./revoke-key.ts";

export const GrantInput = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/, "1-64 letters, digits, spaces, . _ @ -"),
  scopes: z
    .array(z.string().refine(isHelperScope, { message: `not a helper scope (one of: ${HELPER_SCOPES.map((s) => s.example).join(", ")})` }))
    .min(1, "at least one scope")
    .max(32),
  ttl: z
    .string()
    .refine((t) => parseTtl(t) !== null, { message: "a lifetime like 90m, 12h or 30d" })
    .refine((t) => (parseTtl(t) ?? 0) >= 60_000 && (parseTtl(t) ?? Infinity) <= MAX_TTL_MS, { message: "between 1 minute and 366 days" })
    .optional(),
});

const ListQuery = z.object({ state: z.enum(["live", "expired", "revoked", "all"]).default("live") });

/** Mounted under /v1/owner/membrane, behind the owner's root key. */
export const ownerMembrane = new Hono<AppEnv>()
  .post("/", async (c) => {
    const input = await readJson(c, GrantInput);
    const key = await mintKey("helper");
    const now = Date.now();
    const scopes = [...new Set(input.scopes)];
    const expiresAt = input.ttl ? now + parseTtl(input.ttl)! : null;
    await c.var.db.insert(keys).values({ id: key.id, kind: "helper", name: input.name, scopes, secretHash: key.secretHash, createdAt: now, expiresAt });
    try {
      await recordAudit(c.env, [ownerAction(c, "membrane.grant", { id: key.id, name: input.name, scopes, expiresAt }, 201)]);
    } catch (err) {
      // An unaudited door must not stay open: the key dies before the error is answered.
      await c.var.db.update(keys).set({ revokedAt: Date.now() }).where(eq(keys.id, key.id));
      throw err;
    }
    return c.json({ id: key.id, name: input.name, scopes, createdAt: now, expiresAt, token: key.token }, 201);
  })
  .get("/", async (c) => {
    const q = parseWith(ListQuery, c.req.query());
    const rows = await c.var.db.select().from(keys).where(eq(keys.kind, "helper")).orderBy(asc(keys.createdAt)).all();
    const now = Date.now();
    return c.json({ helpers: rows.map((r) => keyInfo(r, now)).filter((k) => q.state === "all" || k.state === q.state) });
  })
  .delete("/:id", async (c) => c.json(await revokeKey(c, c.req.param("id"), { kind: "helper", action: "membrane.revoke" })));
