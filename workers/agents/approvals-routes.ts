// /v1/owner/approvals: gated tool calls of the seed's own agents, and the owner's decisions.
import { createRoute } from "@hono/zod-openapi";
import { ApprovalBody, ApprovalsBody } from "../../lib/agents/responses.ts";
import { ApprovalDecision, ApprovalIdParams, ApprovalListQuery } from "../../lib/agents/wire.ts";
import { jsonBody } from "../http/json-body.ts";
import { openApp } from "../http/open-app.ts";
import { optionalJson, returns } from "../http/route-parts.ts";
import { decideApproval, listApprovals } from "./approvals.ts";

const list = createRoute({ method: "get", path: "/", request: { query: ApprovalListQuery }, responses: { 200: returns(ApprovalsBody, "approvals, newest first") } });
const approve = createRoute({ method: "post", path: "/{id}/approve", middleware: [jsonBody()], request: { params: ApprovalIdParams, body: optionalJson(ApprovalDecision) }, responses: { 200: returns(ApprovalBody, "the approval, approved") } });
const deny = createRoute({ method: "post", path: "/{id}/deny", middleware: [jsonBody()], request: { params: ApprovalIdParams, body: optionalJson(ApprovalDecision) }, responses: { 200: returns(ApprovalBody, "the approval, denied") } });

/** Mounted under /v1/owner/approvals, behind the owner's root key. */
export const ownerApprovals = openApp()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    return c.json({ approvals: await listApprovals(c, { state: q.state, agentId: q.agent, limit: q.limit }) }, 200);
  })
  .openapi(approve, async (c) => c.json(await decideApproval(c, c.req.valid("param").id, true, c.req.valid("json").reason ?? null), 200))
  .openapi(deny, async (c) => c.json(await decideApproval(c, c.req.valid("param").id, false, c.req.valid("json").reason ?? null), 200));
