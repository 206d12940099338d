// The seed's own agents (issue 13): their definitions, daily usage and the owner's approvals, in
// libSQL so that the owner can read, back up and move them with the rest of the organism. Each
// agent's working state (conversation, tool calls, budgets) lives in its own Durable Object.
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { AgentSpec } from "../agents/wire.ts";

/** One row per agent that runs inside the seed (`agents.id` is the agent's id). */
export const agentSpecs = sqliteTable("agent_specs", {
  agentId: text("agent_id").primaryKey(),
  spec: text("spec", { mode: "json" }).$type<AgentSpec>().notNull(),
  /** Bumped on every change: the Agent object compares it with the copy it runs on. */
  version: integer("version").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Usage per agent per UTC day, as the Agent object counted it (absolute values, not deltas). */
export const agentUsage = sqliteTable(
  "agent_usage",
  {
    agentId: text("agent_id").notNull(),
    day: text("day").notNull(), // YYYY-MM-DD (UTC)
    tokensIn: integer("tokens_in").notNull().default(0),
    tokensOut: integer("tokens_out").notNull().default(0),
    steps: integer("steps").notNull().default(0),
    toolCalls: integer("tool_calls").notNull().default(0),
    tasksDone: integer("tasks_done").notNull().default(0),
    tasksFailed: integer("tasks_failed").notNull().default(0),
    /** Currency units at the price in force when the tokens were spent; null without a price. */
    cost: real("cost"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.day] })],
);

/** A gated tool call waiting for (or decided by) the owner. */
export const agentApprovals = sqliteTable(
  "agent_approvals",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id").notNull(),
    taskId: text("task_id").notNull(),
    tool: text("tool").notNull(),
    arguments: text("arguments").notNull(),
    state: text("state", { enum: ["pending", "approved", "denied", "cancelled"] }).notNull(),
    requestedAt: integer("requested_at").notNull(),
    decidedAt: integer("decided_at"),
    decidedBy: text("decided_by"),
    reason: text("reason"),
  },
  (t) => [index("agent_approvals_state_idx").on(t.state, t.requestedAt), index("agent_approvals_agent_idx").on(t.agentId)],
);
