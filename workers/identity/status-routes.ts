// GET /v1/status: the seed's health for the owner and for a helper holding `status:read`. The
// owner sees why an organ is not ready; a helper sees only which one.
import { createRoute } from "@hono/zod-openapi";
import { agentUsageList } from "../../lib/agents/usage.ts";
import { access } from "../auth/access.ts";
import { checkOrgans, ORGANS } from "../health/organ-checks.ts";
import { openApp } from "../http/open-app.ts";
import { z } from "zod";
import { returns } from "../http/route-parts.ts";

const status = createRoute({
  method: "get",
  path: "/",
  middleware: [access({ owner: true, helper: "status:read" })],
  responses: { 200: returns(z.looseObject({ seedId: z.string().nullable(), ok: z.boolean(), checks: z.record(z.string(), z.string()), agents: z.array(z.unknown()).nullable(), at: z.number() }), "{seedId, ok, checks: {libsql, bus, mind}, agents, at}") },
});

export const statusRoutes = openApp().openapi(status, async (c) => {
  const organs = await checkOrgans(c);
  const owner = c.var.caller.kind === "root";
  const checks = Object.fromEntries(ORGANS.map((o) => { const r = organs[o]; return [o, r.ok ? "ok" : owner ? r.reason : "not ready"]; }));
  // Each agent's usage today and in total (issue 13); null when libSQL cannot say.
  const agents = organs.libsql.ok ? await agentUsageList(c.var.db).catch(() => null) : null;
  return c.json({ seedId: organs.seedId, ok: ORGANS.every((o) => organs[o].ok), checks, agents, at: Date.now() }, 200);
});
