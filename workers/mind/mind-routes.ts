// /v1/mind: the mind's state and its coherence signal.
import { createRoute } from "@hono/zod-openapi";
import { agentUsageList } from "../../lib/agents/usage.ts";
import { CoherenceBody, MindStatusBody } from "../../lib/mind/responses.ts";
import { CoherenceQuery } from "../../lib/mind/wire.ts";
import { access } from "../auth/access.ts";
import { openApp } from "../http/open-app.ts";
import { returns } from "../http/route-parts.ts";
import { mind } from "./mind-stub.ts";

const status = createRoute({ method: "get", path: "/", middleware: [access({ owner: true, agent: true, helper: "status:read" })], responses: { 200: returns(MindStatusBody, "the mind's state") } });
const coherence = createRoute({
  method: "get",
  path: "/coherence",
  middleware: [access({ owner: true, agent: true, helper: "coherence:read" })],
  request: { query: CoherenceQuery },
  responses: { 200: returns(CoherenceBody, "the coherence report over the window, with the agents' usage (null when it could not be read)") },
});

export const mindRoutes = openApp()
  .openapi(status, async (c) => c.json(await mind(c).status(), 200))
  .openapi(coherence, async (c) => {
    // The agents' usage (tokens, steps, tasks, cost) beside the pulse (issue 13; from libSQL).
    const [report, agents] = await Promise.all([mind(c).coherenceReport(c.req.valid("query").window), agentUsageList(c.var.db).catch(() => null)]);
    return c.json({ ...report, agents }, 200);
  });
