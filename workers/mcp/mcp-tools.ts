// The tools of the MCP door. Each is one of the seed's own HTTP routes, called in-process with the
// caller's own key: the route validates, checks the scope and (for a helper) writes the audit row,
// exactly as for the same request over HTTP — one way to do each thing. A key is listed the tools
// its kind and scopes allow. Owner powers (keys, credentials, egress, handoff, approvals, the mind's
// mode) are not tools, whatever the key.
import { z } from "zod";
import { APPROVAL_STATES } from "../../lib/agents/wire.ts";
import type { Caller } from "../auth/caller.ts";

export type Call = { method: "GET" | "POST" | "PUT" | "DELETE"; path: string; body?: unknown };

export type McpTool = {
  name: string;
  description: string;
  input: z.ZodObject;
  /** Who is offered the tool: the owner, agents, helpers holding a scope matching this pattern. */
  owner: boolean;
  agent: boolean;
  helperScope?: RegExp;
  /** The route it is: arguments (already checked against `input`) → request. */
  call(args: Record<string, unknown>): Call;
};

const seg = (v: unknown) => encodeURIComponent(String(v));
const query = (args: Record<string, unknown>, names: string[]) => {
  const q = new URLSearchParams();
  for (const n of names) if (args[n] !== undefined) q.set(n, String(args[n]));
  const s = q.toString();
  return s ? `?${s}` : "";
};
const json = z.json();
const id = z.string().min(1).max(200);

export const MCP_TOOLS: McpTool[] = [
  {
    name: "seed_status",
    description: "The seed's health: whether libSQL, the bus and the mind answer.",
    input: z.object({}),
    owner: true,
    agent: false,
    helperScope: /^status:read$/,
    call: () => ({ method: "GET", path: "/v1/status" }),
  },
  {
    name: "mind_status",
    description: "The mind's state: resting or awake, its mode, cycles, next wake-up.",
    input: z.object({}),
    owner: true,
    agent: true,
    helperScope: /^status:read$/,
    call: () => ({ method: "GET", path: "/v1/mind" }),
  },
  {
    name: "coherence_report",
    description: "Is the organism completing the work it takes on, steady or drifting? Pulse, stalled subsystems, agents' usage.",
    input: z.object({ window: z.string().max(16).optional().describe("e.g. 1h, 24h, 7d (default 24h)") }),
    owner: true,
    agent: true,
    helperScope: /^coherence:read$/,
    call: (a) => ({ method: "GET", path: `/v1/mind/coherence${query(a, ["window"])}` }),
  },
  {
    name: "work_list",
    description: "List tasks of the work ledger, newest first.",
    input: z.object({ state: z.string().max(16).optional(), capability: z.string().max(64).optional(), limit: z.number().int().min(1).max(1000).optional() }),
    owner: true,
    agent: true,
    helperScope: /^work:read$/,
    call: (a) => ({ method: "GET", path: `/v1/work${query(a, ["state", "capability", "limit"])}` }),
  },
  {
    name: "work_get",
    description: "One task with its history.",
    input: z.object({ id }),
    owner: true,
    agent: true,
    helperScope: /^work:read$/,
    call: (a) => ({ method: "GET", path: `/v1/work/${seg(a.id)}` }),
  },
  {
    name: "work_create",
    description: "Create a task; the mind dispatches it to an agent with the capability.",
    input: z.object({
      title: z.string().min(1).max(500),
      capability: z.string().min(1).max(64),
      payload: json.optional(),
      priority: z.number().int().min(0).max(9).optional(),
      deadlineInMs: z.number().int().min(1).optional(),
    }),
    owner: true,
    agent: true,
    helperScope: /^work:write$/,
    call: (a) => ({ method: "POST", path: "/v1/work", body: a }),
  },
  ...(["claim", "progress", "complete", "fail"] as const).map(
    (verb): McpTool => ({
      name: `work_${verb}`,
      description: { claim: "Claim a task handed to you.", progress: "Report progress on your task (a heartbeat).", complete: "Complete your task with a result.", fail: "Fail your task with a reason." }[verb],
      input: z.object({
        id,
        ...(verb === "progress" ? { note: z.string().max(2000).optional() } : {}),
        ...(verb === "complete" ? { result: json.optional() } : {}),
        ...(verb === "fail" ? { reason: z.string().min(1).max(2000), retryable: z.boolean().optional() } : {}),
      }),
      owner: false,
      agent: true,
      call: ({ id: taskId, ...rest }) => ({ method: "POST", path: `/v1/work/${seg(taskId)}/${verb}`, body: rest }),
    }),
  ),
  {
    name: "bus_publish",
    description: "Publish a message to a topic of the seed's bus.",
    input: z.object({ topic: z.string().min(1).max(128), body: json, headers: z.record(z.string(), z.string()).optional(), key: z.string().min(1).max(256).optional() }),
    owner: true,
    agent: true,
    helperScope: /^bus:publish:/,
    call: ({ topic, ...rest }) => ({ method: "POST", path: `/v1/bus/topics/${seg(topic)}/messages`, body: rest }),
  },
  {
    name: "bus_subscribe",
    description: "Create or update a subscription of yours to a topic (then read it with bus_pull).",
    input: z.object({ subscription: z.string().min(1).max(128), topic: z.string().min(1).max(128), startAt: z.union([z.literal("latest"), z.literal("earliest"), z.number().int().min(1)]).optional(), ackDeadlineMs: z.number().int().optional() }),
    owner: true,
    agent: true,
    helperScope: /^bus:read:/,
    call: ({ subscription, ...rest }) => ({ method: "PUT", path: `/v1/bus/subscriptions/${seg(subscription)}`, body: rest }),
  },
  {
    name: "bus_pull",
    description: "Pull messages from one of your subscriptions (`inbox` is your inbox).",
    input: z.object({ subscription: z.string().min(1).max(128), max: z.number().int().min(1).max(1000).optional(), waitMs: z.number().int().min(0).max(30_000).optional() }),
    owner: true,
    agent: true,
    helperScope: /^bus:read:/,
    call: ({ subscription, ...rest }) => ({ method: "POST", path: `/v1/bus/subscriptions/${seg(subscription)}/pull`, body: rest }),
  },
  {
    name: "bus_ack",
    description: "Acknowledge pulled messages so they are not delivered again.",
    input: z.object({ subscription: z.string().min(1).max(128), ackIds: z.array(z.string().min(1).max(200)).min(1).max(1000) }),
    owner: true,
    agent: true,
    helperScope: /^bus:read:/,
    call: ({ subscription, ...rest }) => ({ method: "POST", path: `/v1/bus/subscriptions/${seg(subscription)}/ack`, body: rest }),
  },
  {
    name: "memory_recall",
    description: "Recall memories by meaning and words, best first.",
    input: z.object({ query: z.string().min(1).max(8192), k: z.number().int().min(1).max(100).optional(), tags: z.array(z.string()).max(32).optional(), mode: z.enum(["hybrid", "vector", "text"]).optional() }),
    owner: true,
    agent: true,
    helperScope: /^memory:read$/,
    call: (a) => ({ method: "POST", path: "/v1/memory/recall", body: a }),
  },
  {
    name: "memory_get",
    description: "One memory by id.",
    input: z.object({ id }),
    owner: true,
    agent: true,
    helperScope: /^memory:read$/,
    call: (a) => ({ method: "GET", path: `/v1/memory/${seg(a.id)}` }),
  },
  {
    name: "memory_remember",
    description: "Remember a piece of text (tags help recall; shared makes it visible to every agent).",
    input: z.object({ text: z.string().min(1).max(65536), tags: z.array(z.string()).max(32).optional(), kind: z.enum(["episodic", "semantic", "procedural"]).optional(), shared: z.boolean().optional() }),
    owner: true,
    agent: true,
    call: (a) => ({ method: "POST", path: "/v1/memory", body: a }),
  },
  {
    name: "audit_log",
    description: "The audit ledger, oldest first (every helper request, every owner change).",
    input: z.object({ after: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(1000).optional() }),
    owner: true,
    agent: false,
    helperScope: /^audit:read$/,
    call: (a) => ({ method: "GET", path: `/v1/audit${query(a, ["after", "limit"])}` }),
  },
  {
    name: "agents_list",
    description: "The seed's agents with their usage today and in total (tokens, steps, tasks, cost).",
    input: z.object({}),
    owner: true,
    agent: false,
    call: () => ({ method: "GET", path: "/v1/owner/agents" }),
  },
  {
    name: "approvals_list",
    description: "Tool calls of the seed's own agents waiting for the owner (deciding them is not a tool: use `seed approvals`).",
    input: z.object({ state: z.enum([...APPROVAL_STATES, "all"]).optional() }),
    owner: true,
    agent: false,
    call: (a) => ({ method: "GET", path: `/v1/owner/approvals${query(a, ["state"])}` }),
  },
];

export const toolNamed = (name: string) => MCP_TOOLS.find((t) => t.name === name);

/** Whether the caller is offered the tool (the route still decides each call). */
export function offered(tool: McpTool, caller: Pick<Caller, "kind" | "scopes">): boolean {
  if (caller.kind === "root") return tool.owner;
  if (caller.kind === "agent") return tool.agent;
  return tool.helperScope !== undefined && caller.scopes.some((s) => tool.helperScope!.test(s));
}

const schemas = new Map<string, Record<string, unknown>>();

/** The tool's JSON Schema, as MCP's tools/list shows it (computed once). */
export function inputSchema(tool: McpTool): Record<string, unknown> {
  let s = schemas.get(tool.name);
  if (!s) {
    s = z.toJSONSchema(tool.input, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    delete s.$schema;
    schemas.set(tool.name, s);
  }
  return s;
}
