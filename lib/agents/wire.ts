// The shapes of the seed's own agents: what the owner defines (HTTP and CLI), what the Agent
// object stores, and what it reports. Validated at the edge with these schemas, once.
import { z } from "zod";
import { CREDENTIAL_NAME } from "../credentials.ts";
import { parseDuration } from "../mind/duration.ts";
import { parseGrant } from "./tool-grants.ts";

export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
export const CAPABILITY = /^[a-z0-9][a-z0-9._:-]{0,63}$/;
/** Tool names as the model sees them (OpenAI function names are [a-zA-Z0-9_-]{1,64}). */
export const TOOL_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export const MAX_INSTRUCTIONS_BYTES = 64 * 1024;
export const DEFAULT_MAX_STEPS = 20;
export const DEFAULT_MAX_TASK_TIME_MS = 10 * 60_000;
export const MAX_TASK_TIME_MS = 24 * 3_600_000;

const grant = z.string().max(200).superRefine((t, ctx) => {
  const g = parseGrant(t);
  if (typeof g === "string") ctx.addIssue({ code: "custom", message: g });
});

/** `10m`, `90s`, `1h` or milliseconds → ms, between 1 s and 24 h. */
const taskTime = z.union([z.number().int(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === "number" ? v : parseDuration(v);
  if (ms === null || ms < 1000 || ms > MAX_TASK_TIME_MS) {
    ctx.addIssue({ code: "custom", message: "a duration like 90s, 10m or 2h (1 s to 24 h)" });
    return z.NEVER;
  }
  return ms;
});

const Price = z.object({
  /** Currency units per million input (prompt) tokens. */
  input: z.number().min(0).max(1e6),
  /** Currency units per million output (completion) tokens. */
  output: z.number().min(0).max(1e6),
}).strict();

const instructions = z.string().refine((s) => s.trim() !== "", "instructions are empty").refine((s) => new TextEncoder().encode(s).byteLength <= MAX_INSTRUCTIONS_BYTES, "instructions are over 64 KiB");

/** The fields that make an agent one of the seed's own (it runs inside the seed). */
const OwnFields = {
  model: z.string().min(1).max(200),
  instructions,
  tools: z.array(grant).max(64),
  approve: z.array(z.string().regex(TOOL_NAME, "tool names are [a-z][a-z0-9_]{0,63}")).max(64),
  budgetTokensPerDay: z.number().int().min(1).max(1e12).nullable(),
  maxSteps: z.number().int().min(1).max(1000),
  maxTaskTime: taskTime,
  /** The LLM service's credential to send (overrides the one `seed services set LLM --credential` names). */
  credential: z.string().regex(CREDENTIAL_NAME, "credential names are [a-z0-9][a-z0-9._-]{0,63}").nullable(),
  price: Price.nullable(),
  temperature: z.number().min(0).max(2).nullable(),
};

export const AgentInput = z
  .object({
    name: z.string().regex(AGENT_NAME, "1-64 letters, digits, spaces, . _ -"),
    capabilities: z.array(z.string().regex(CAPABILITY, "lowercase capability names")).max(64).default([]),
    model: OwnFields.model.optional(),
    instructions: OwnFields.instructions.optional(),
    tools: OwnFields.tools.optional(),
    approve: OwnFields.approve.optional(),
    budgetTokensPerDay: OwnFields.budgetTokensPerDay.optional(),
    maxSteps: OwnFields.maxSteps.optional(),
    maxTaskTime: OwnFields.maxTaskTime.optional(),
    credential: OwnFields.credential.optional(),
    price: OwnFields.price.optional(),
    temperature: OwnFields.temperature.optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const own = ["instructions", "tools", "approve", "budgetTokensPerDay", "maxSteps", "maxTaskTime", "credential", "price", "temperature"] as const;
    if (a.model === undefined) {
      for (const k of own) if (a[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: "only for the seed's own agents: give a model too" });
    } else if (a.instructions === undefined) {
      ctx.addIssue({ code: "custom", path: ["instructions"], message: "the seed's own agents need instructions" });
    }
  });
export type AgentInput = z.output<typeof AgentInput>;

/** PATCH: any field of an agent; own-agent fields only on the seed's own agents. */
export const AgentPatch = z
  .object({
    capabilities: z.array(z.string().regex(CAPABILITY, "lowercase capability names")).max(64),
    ...OwnFields,
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, "nothing to change");
export type AgentPatch = z.output<typeof AgentPatch>;

/** What the seed stores for one of its own agents (the agents row's `spec`). */
export type AgentSpec = {
  model: string;
  instructions: string;
  tools: string[];
  approve: string[];
  budgetTokensPerDay: number | null;
  maxSteps: number;
  maxTaskTimeMs: number;
  credential: string | null;
  price: { input: number; output: number } | null;
  temperature: number | null;
};

export function specFrom(input: Partial<Omit<AgentSpec, "maxTaskTimeMs">> & { maxTaskTime?: number; model: string; instructions: string }, base?: AgentSpec): AgentSpec {
  return {
    model: input.model ?? base?.model,
    instructions: input.instructions ?? base?.instructions,
    tools: [...new Set(input.tools ?? base?.tools ?? ["work"])],
    approve: [...new Set(input.approve ?? base?.approve ?? [])],
    budgetTokensPerDay: input.budgetTokensPerDay !== undefined ? input.budgetTokensPerDay : (base?.budgetTokensPerDay ?? null),
    maxSteps: input.maxSteps ?? base?.maxSteps ?? DEFAULT_MAX_STEPS,
    maxTaskTimeMs: input.maxTaskTime ?? base?.maxTaskTimeMs ?? DEFAULT_MAX_TASK_TIME_MS,
    credential: input.credential !== undefined ? input.credential : (base?.credential ?? null),
    price: input.price !== undefined ? input.price : (base?.price ?? null),
    temperature: input.temperature !== undefined ? input.temperature : (base?.temperature ?? null),
  };
}

export const ApprovalDecision = z.object({ reason: z.string().max(2000).optional() }).strict();

export const APPROVAL_STATES = ["pending", "approved", "denied", "cancelled"] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

export type Approval = {
  id: string;
  agentId: string;
  agentName: string;
  taskId: string;
  tool: string;
  arguments: string;
  state: ApprovalState;
  requestedAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  reason: string | null;
};

/** Why a task of one of the seed's own agents failed (the mind records it as the task's reason). */
export const FAIL_REASONS = ["budget_exhausted", "max_steps", "timeout", "model_error", "agent_failed", "agent_removed"] as const;
export type FailReason = (typeof FAIL_REASONS)[number];

export type AgentUsage = {
  agentId: string;
  name: string;
  /** `own`: runs inside the seed; `outside`: a process holding a token. */
  kind: "own" | "outside";
  model: string | null;
  today: UsageCounters;
  total: UsageCounters;
  budgetTokensPerDay: number | null;
};

export type UsageCounters = {
  tokensIn: number;
  tokensOut: number;
  steps: number;
  toolCalls: number;
  tasksDone: number;
  tasksFailed: number;
  /** Currency units, when the owner set a price; null otherwise. */
  cost: number | null;
};

/** An agent id in the path; any text is accepted here, an id that is not an agent's is 404. */
export const AgentIdParams = z.object({ id: z.string().max(200) });
export const ApprovalIdParams = z.object({ id: z.string().max(200) });
export const ApprovalListQuery = z.object({
  state: z.enum([...APPROVAL_STATES, "all"]).default("pending"),
  agent: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
