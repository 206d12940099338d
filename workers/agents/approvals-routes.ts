// /v1/owner/approvals: gated tool calls of the seed's own agents, and the owner's decisions.
import { Hono } from "hono";
import { z } from "zod";
import { APPROVAL_STATES, ApprovalDecision } from "../../lib/agents/wire.ts";
import type { AppEnv } from "../app-env.ts";
import { parseWith, readJson } from "../read-json.ts";
import { decideApproval, listApprovals } from "./approvals.ts";

const ListQuery = z.object({
  state: z.enum([...APPROVAL_STATES, "all"]).default("pending"),
  agent: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Mounted under /v1/owner/approvals, behind the owner's root key. */
export const ownerApprovals = new Hono<AppEnv>()
  .get("/", async (c) => {
    const q = parseWith(ListQuery, c.req.query());
    return c.json({ approvals: await listApprovals(c, { state: q.state, agentId: q.agent, limit: q.limit }) });
  })
  .post("/:id/approve", async (c) => {
    const body = (await readJson(c, ApprovalDecision.optional())) ?? {};
    return c.json(await decideApproval(c, c.req.param("id"), true, body.reason ?? null));
  })
  .post("/:id/deny", async (c) => {
    const body = (await readJson(c, ApprovalDecision.optional())) ?? {};
    return c.json(await decideApproval(c, c.req.param("id"), false, body.reason ?? null));
  });
