// Approvals: a tool the owner listed in an agent's `approve` pauses its task until the owner
// decides. Listed from libSQL; a decision goes to the agent's object, which resumes the task.
import type { Context } from "hono";
import { and, desc, eq } from "drizzle-orm";
import type { Approval } from "../../lib/agents/wire.ts";
import { agents } from "../../lib/db/schema.ts";
import { agentApprovals } from "../../lib/db/schema-agents.ts";
import { ConflictError, NotFoundError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { auditChange } from "../audit/audit-change.ts";
import { agentObject } from "./agent-registry.ts";

export async function listApprovals(c: Context<AppEnv>, filter: { state: Approval["state"] | "all"; agentId?: string; limit: number }): Promise<Approval[]> {
  const conds = [filter.state === "all" ? undefined : eq(agentApprovals.state, filter.state), filter.agentId ? eq(agentApprovals.agentId, filter.agentId) : undefined].filter((x) => x !== undefined);
  const rows = await c.var.db
    .select({ r: agentApprovals, agentName: agents.name })
    .from(agentApprovals)
    .leftJoin(agents, eq(agents.id, agentApprovals.agentId))
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(agentApprovals.requestedAt))
    .limit(filter.limit)
    .all();
  return rows.map(({ r, agentName }) => ({ ...r, agentName: agentName ?? r.agentId }));
}

export async function decideApproval(c: Context<AppEnv>, id: string, approved: boolean, reason: string | null): Promise<Approval> {
  const db = c.var.db;
  const row = await db.select().from(agentApprovals).where(eq(agentApprovals.id, id)).get();
  if (!row) throw new NotFoundError(`no approval ${id}`, "approval_not_found");
  if (row.state !== "pending") throw new ConflictError(`approval ${id} is already ${row.state}`, "already_decided");
  const r = await agentObject(c.env, row.agentId).decide(row.agentId, id, approved, reason, c.var.caller.kind === "root" ? "owner" : c.var.caller.keyId);
  if (!r.ok) {
    if (r.error === "not_found") throw new NotFoundError(`approval ${id} is unknown to its agent`, "approval_not_found");
    throw new ConflictError(`approval ${id} is no longer waiting (its task ended)`, "not_waiting");
  }
  await auditChange(c, approved ? "approval.approve" : "approval.deny", id, { id, agentId: row.agentId, taskId: row.taskId, tool: row.tool, reason });
  const [decided] = await listApprovals(c, { state: "all", agentId: row.agentId, limit: 1000 }).then((l) => l.filter((a) => a.id === id));
  return decided!;
}
