// Reading the audit ledger: the owner at /v1/owner/audit, a helper holding `audit:read` at
// /v1/audit. Read only: no route updates or deletes a row (and the database refuses to).
import { createRoute } from "@hono/zod-openapi";
import { allRecords, readCheckpoints, readHead, readRecords } from "../../lib/audit/audit-store.ts";
import { importVerifyKey } from "../../lib/audit/ed25519.ts";
import { verifyChain } from "../../lib/audit/verify-chain.ts";
import { AuditLogBody, CheckpointsBody, VerifyReportBody } from "../../lib/audit/responses.ts";
import { AuditLogQuery } from "../../lib/audit/wire.ts";
import { identity } from "../../lib/db/schema.ts";
import { UnavailableError } from "../../lib/errors.ts";
import { access } from "../auth/access.ts";
import { openApp } from "../http/open-app.ts";
import { returns } from "../http/route-parts.ts";
import { flushAudit } from "./audit-client.ts";

const log = createRoute({ method: "get", path: "/", request: { query: AuditLogQuery }, responses: { 200: returns(AuditLogBody, "ledger rows, oldest first, with the next page (null at the end) and the head") } });
const checkpoints = createRoute({ method: "get", path: "/checkpoints", responses: { 200: returns(CheckpointsBody, "the signed checkpoints") } });
const verify = createRoute({ method: "get", path: "/verify", responses: { 200: returns(VerifyReportBody, "the chain and checkpoint verification report") } });

/** The ledger's read routes; mount behind an access policy. */
export const auditRoutes = openApp()
  .openapi(log, async (c) => {
    const q = c.req.valid("query");
    await flushAudit(c.env);
    const [rows, head] = await Promise.all([readRecords(c.var.db, q), readHead(c.var.db)]);
    const next = rows.length === q.limit ? rows[rows.length - 1]!.seq : null;
    return c.json({ rows, next, head }, 200);
  })
  .openapi(checkpoints, async (c) => {
    await flushAudit(c.env);
    return c.json({ checkpoints: await readCheckpoints(c.var.db) }, 200);
  })
  .openapi(verify, async (c) => {
    const id = await c.var.db.select().from(identity).get();
    if (!id) throw new UnavailableError("this seed has no identity yet", "no_identity");
    await flushAudit(c.env);
    const report = await verifyChain(allRecords(c.var.db), await readCheckpoints(c.var.db), await importVerifyKey(id.publicKey), id.seedId);
    return c.json(report, 200);
  });

/** /v1/audit: the same reads for a helper holding `audit:read` (and the owner). */
const helperReads = openApp();
helperReads.use(access({ owner: true, helper: "audit:read" }));
export const auditReadRoutes = helperReads.route("/", auditRoutes);
