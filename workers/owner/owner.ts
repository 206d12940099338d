import { createRoute } from "@hono/zod-openapi";
import { identity } from "../../lib/db/schema.ts";
import { ownerAgents } from "../agents/agents.ts";
import { ownerApprovals } from "../agents/approvals-routes.ts";
import { access } from "../auth/access.ts";
import { auditRoutes } from "../audit/audit-routes.ts";
import { openApp } from "../http/open-app.ts";
import { z } from "zod";
import { returns } from "../http/route-parts.ts";
import { ownerKeys } from "../identity/keys-routes.ts";
import { ownerHandoff } from "../membrane/handoff-routes.ts";
import { ownerMembrane } from "../membrane/membrane-routes.ts";
import { ownerMind } from "../mind/owner-mind.ts";

const whoami = createRoute({ method: "get", path: "/whoami", responses: { 200: returns(z.object({ seedId: z.string().nullable(), keyId: z.string(), kind: z.enum(["root", "agent", "helper"]) }), "the seed and the key that asked") } });

/** Everything under /v1/owner: the root key's powers, checked once here. */
export const owner = openApp();
owner.use(access({ owner: true }));

export const ownerRoutes = owner
  .openapi(whoami, async (c) => {
    const row = await c.var.db.select({ seedId: identity.seedId }).from(identity).get();
    return c.json({ seedId: row?.seedId ?? null, keyId: c.var.caller.keyId, kind: c.var.caller.kind }, 200);
  })
  .route("/agents", ownerAgents)
  .route("/approvals", ownerApprovals)
  .route("/keys", ownerKeys)
  .route("/membrane", ownerMembrane)
  .route("/audit", auditRoutes)
  .route("/handoff", ownerHandoff)
  .route("/mind", ownerMind);
