// What the seed's agents have used: tokens, steps, tool calls, tasks done and failed, and cost
// when the owner set a price — per agent, today (UTC) and in total. Read from libSQL, where each
// Agent object writes its counts; shown by `seed agents list`, /v1/status and the coherence report.
import { sql } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { AgentSpec, AgentUsage, UsageCounters } from "./wire.ts";

type AnyDb = LibSQLDatabase<Record<string, unknown>>;

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const ZERO: UsageCounters = { tokensIn: 0, tokensOut: 0, steps: 0, toolCalls: 0, tasksDone: 0, tasksFailed: 0, cost: null };

type Row = {
  id: string;
  name: string;
  spec: string | null;
  tIn: number | null; tOut: number | null; tSteps: number | null; tTools: number | null; tDone: number | null; tFailed: number | null; tCost: number | null;
  aIn: number | null; aOut: number | null; aSteps: number | null; aTools: number | null; aDone: number | null; aFailed: number | null; aCost: number | null;
};

const n = (v: number | null) => Number(v ?? 0);
const counters = (r: Row, p: "t" | "a"): UsageCounters => ({
  tokensIn: n(r[`${p}In`]),
  tokensOut: n(r[`${p}Out`]),
  steps: n(r[`${p}Steps`]),
  toolCalls: n(r[`${p}Tools`]),
  tasksDone: n(r[`${p}Done`]),
  tasksFailed: n(r[`${p}Failed`]),
  cost: r[`${p}Cost`] === null ? null : Number(r[`${p}Cost`]),
});

/** Every live agent with its usage, in one query (outside agents show zeros: their model is not the seed's). */
export async function agentUsageList(db: AnyDb, now = Date.now(), agentId?: string): Promise<AgentUsage[]> {
  const day = utcDay(now);
  const today = (col: string) => sql`sum(case when u.day = ${day} then u.${sql.raw(col)} end)`;
  const rows = await db.all<Row>(sql`
    select a.id as id, a.name as name, s.spec as spec,
      ${today("tokens_in")} as tIn, ${today("tokens_out")} as tOut, ${today("steps")} as tSteps, ${today("tool_calls")} as tTools,
      ${today("tasks_done")} as tDone, ${today("tasks_failed")} as tFailed, ${today("cost")} as tCost,
      sum(u.tokens_in) as aIn, sum(u.tokens_out) as aOut, sum(u.steps) as aSteps, sum(u.tool_calls) as aTools,
      sum(u.tasks_done) as aDone, sum(u.tasks_failed) as aFailed, sum(u.cost) as aCost
    from agents a
      left join agent_specs s on s.agent_id = a.id
      left join agent_usage u on u.agent_id = a.id
    where a.removed_at is null ${agentId ? sql`and a.id = ${agentId}` : sql``}
    group by a.id order by a.created_at`);
  return rows.map((r) => {
    const spec = r.spec ? (JSON.parse(r.spec) as AgentSpec) : null;
    return { agentId: r.id, name: r.name, kind: spec ? "own" : "outside", model: spec?.model ?? null, today: counters(r, "t"), total: counters(r, "a"), budgetTokensPerDay: spec?.budgetTokensPerDay ?? null };
  });
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
