// The agents' answers as the OpenAPI document describes them (/v1/owner/agents, /v1/owner/approvals,
// the usage beside the pulse). The routes declare these: the type checker holds each handler's body
// to its schema, the contract test (test/workers/openapi.test.ts) holds the live answers.
import { z } from "zod";
import { APPROVAL_STATES } from "./wire.ts";

const at = z.number().nullable();

export const UsageCountersBody = z.object({
  tokensIn: z.number(),
  tokensOut: z.number(),
  steps: z.number(),
  toolCalls: z.number(),
  tasksDone: z.number(),
  tasksFailed: z.number(),
  /** Currency units, when the owner set a price. */
  cost: at,
});

export const AgentUsageBody = z.object({
  agentId: z.string(),
  name: z.string(),
  kind: z.enum(["own", "outside"]),
  model: z.string().nullable(),
  today: UsageCountersBody,
  total: UsageCountersBody,
  budgetTokensPerDay: at,
});

const AgentSpecBody = z.object({
  model: z.string(),
  instructions: z.string(),
  tools: z.array(z.string()),
  approve: z.array(z.string()),
  budgetTokensPerDay: at,
  maxSteps: z.number(),
  maxTaskTimeMs: z.number(),
  credential: z.string().nullable(),
  price: z.object({ input: z.number(), output: z.number() }).nullable(),
  temperature: at,
});

export const AgentBody = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(["own", "outside"]),
  capabilities: z.array(z.string()),
  createdAt: z.number(),
  /** The seed's own agents only; null for an outside agent. */
  spec: AgentSpecBody.nullable(),
  usage: z.object({ today: UsageCountersBody, total: UsageCountersBody }).nullable(),
  pendingApprovals: z.number(),
});
/** An outside agent's token is shown only in the answer that made it. */
export const AddedAgentBody = AgentBody.extend({ token: z.string().optional() });
export const AgentsBody = z.object({ agents: z.array(AgentBody) });

const RunBody = z.object({
  id: z.string(),
  taskId: z.string(),
  title: z.string(),
  state: z.enum(["queued", "running", "waiting", "done", "failed", "dropped"]),
  receivedAt: z.number(),
  startedAt: at,
  finishedAt: at,
  steps: z.number(),
  tokensIn: z.number(),
  tokensOut: z.number(),
  toolCalls: z.number(),
  reason: z.string().nullable(),
  reported: z.boolean(),
});
/** One agent; an own agent adds what its object is doing and its recent runs. */
export const AgentDetailBody = AgentBody.extend({
  state: z.enum(["idle", "working", "waiting_approval", "removed"]).optional(),
  active: z.array(RunBody).optional(),
  recent: z.array(RunBody).optional(),
});
export const RemovedAgentBody = z.object({ id: z.string(), removed: z.literal(true), released: z.number() });

export const ApprovalBody = z.object({
  id: z.string(),
  agentId: z.string(),
  agentName: z.string(),
  taskId: z.string(),
  tool: z.string(),
  /** The tool call's arguments, as the model gave them (JSON text). */
  arguments: z.string(),
  state: z.enum(APPROVAL_STATES),
  requestedAt: z.number(),
  decidedAt: at,
  decidedBy: z.string().nullable(),
  reason: z.string().nullable(),
});
export const ApprovalsBody = z.object({ approvals: z.array(ApprovalBody) });
