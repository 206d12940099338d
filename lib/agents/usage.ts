// What the seed's agents have used: tokens, steps, tool calls, tasks done and failed, and cost
// when the owner set a price — per agent, today (UTC) and in total. Read from libSQL, where each
// Agent object writes its counts; shown by `seed agents list`, /v1/status and the coherence report.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { agents } from "../db/schema.ts";
import { agentSpecs, agentUsage } from "../db/schema-agents.ts";
import type { AgentUsage, UsageCounters } from "./wire.ts";

type AnyDb = LibSQLDatabase<Record<string, unknown>>;

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const ZERO: UsageCounters = { tokensIn: 0, tokensOut: 0, steps: 0, toolCalls: 0, tasksDone: 0, tasksFailed: 0, cost: null };

type Sums = { agentId: string; tokensIn: number; tokensOut: number; steps: number; toolCalls: number; tasksDone: number; tasksFailed: number; cost: number | null };

const counters = (r: Sums | undefined): UsageCounters =>
  r ? { tokensIn: Number(r.tokensIn), tokensOut: Number(r.tokensOut), steps: Number(r.steps), toolCalls: Number(r.toolCalls), tasksDone: Number(r.tasksDone), tasksFailed: Number(r.tasksFailed), cost: r.cost === null ? null : Number(r.cost) } : ZERO;

/** Every live agent with its usage (outside agents show zeros: their model is not the seed's). */
export async function agentUsageList(db: AnyDb, now = Date.now(), agentId?: string): Promise<AgentUsage[]> {
  const where = agentId ? and(isNull(agents.removedAt), eq(agents.id, agentId)) : isNull(agents.removedAt);
  const rows = await db
    .select({ id: agents.id, name: agents.name, spec: agentSpecs.spec })
    .from(agents)
    .leftJoin(agentSpecs, eq(agentSpecs.agentId, agents.id))
    .where(where)
    .orderBy(agents.createdAt)
    .all();
  const sums = (dayOnly: boolean) =>
    db
      .select({
        agentId: agentUsage.agentId,
        tokensIn: sql<number>`sum(${agentUsage.tokensIn})`,
        tokensOut: sql<number>`sum(${agentUsage.tokensOut})`,
        steps: sql<number>`sum(${agentUsage.steps})`,
        toolCalls: sql<number>`sum(${agentUsage.toolCalls})`,
        tasksDone: sql<number>`sum(${agentUsage.tasksDone})`,
        tasksFailed: sql<number>`sum(${agentUsage.tasksFailed})`,
        cost: sql<number | null>`sum(${agentUsage.cost})`,
      })
      .from(agentUsage)
      .where(dayOnly ? eq(agentUsage.day, utcDay(now)) : sql`1`)
      .groupBy(agentUsage.agentId)
      .all();
  const [today, total] = await Promise.all([sums(true), sums(false)]);
  const byId = (list: Sums[]) => new Map(list.map((r) => [r.agentId, r]));
  const t = byId(today);
  const a = byId(total);
  return rows.map((r) => ({
    agentId: r.id,
    name: r.name,
    kind: r.spec ? "own" : "outside",
    model: r.spec?.model ?? null,
    today: counters(t.get(r.id)),
    total: counters(a.get(r.id)),
    budgetTokensPerDay: r.spec?.budgetTokensPerDay ?? null,
  }));
}

/** The seed-wide sum, for summaries. */
export function sumUsage(list: readonly AgentUsage[], which: "today" | "total"): UsageCounters {
  return list.reduce<UsageCounters>(
    (s, u) => {
      const c = u[which];
      return {
        tokensIn: s.tokensIn + c.tokensIn,
        tokensOut: s.tokensOut + c.tokensOut,
        steps: s.steps + c.steps,
        toolCalls: s.toolCalls + c.toolCalls,
        tasksDone: s.tasksDone + c.tasksDone,
        tasksFailed: s.tasksFailed + c.tasksFailed,
        cost: c.cost === null ? s.cost : (s.cost ?? 0) + c.cost,
      };
    },
    { ...ZERO },
  );
}
