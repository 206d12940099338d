// Reading the audit ledger: the owner at /v1/owner/audit, a helper holding `audit:read` at
// /v1/audit. Read only: no route updates or deletes a row (and the database refuses to).
import { Hono } from "hono";
import { z } from "zod";
import { allRecords, readCheckpoints, readHead, readRecords } from "../../lib/audit/audit-store.ts";
import { importVerifyKey } from "../../lib/audit/ed25519.ts";
import { verifyChain } from "../../lib/audit/verify-chain.ts";
import { identity } from "../../lib/db/schema.ts";
import { UnavailableError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { access } from "../auth/access.ts";
import { parseWith } from "../read-json.ts";

const LogQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  keyId: z.string().regex(/^[a-z0-9]{16}$/, "a key id").optional(),
  action: z.string().regex(/^[a-z][a-z0-9.-]{0,63}$/, "an action name").optional(),
});

/** The ledger's read routes; mount behind an access policy. */
export const auditRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const q = parseWith(LogQuery, c.req.query());
    const [rows, head] = await Promise.all([readRecords(c.var.db, q), readHead(c.var.db)]);
    const next = rows.length === q.limit ? rows[rows.length - 1]!.seq : null;
    return c.json({ rows, next, head });
  })
  .get("/checkpoints", async (c) => c.json({ checkpoints: await readCheckpoints(c.var.db) }))
  .get("/verify", async (c) => {
    const id = await c.var.db.select().from(identity).get();
    if (!id) throw new UnavailableError("this seed has no identity yet", "no_identity");
    const report = await verifyChain(allRecords(c.var.db), await readCheckpoints(c.var.db), await importVerifyKey(id.publicKey), id.seedId);
    return c.json(report);
  });

/** /v1/audit: the same reads for a helper holding `audit:read` (and the owner). */
export const auditReadRoutes = new Hono<AppEnv>().use(access({ owner: true, helper: "audit:read" })).route("/", auditRoutes);
