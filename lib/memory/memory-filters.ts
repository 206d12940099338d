// Which memories a recall may consider: the caller's scope, expiry, and the request's filters.
// All of them go into the SQL, so they apply before k is counted.
import { sql, type SQL } from "drizzle-orm";
import type { MemoryKind } from "../db/schema-memory.ts";
import type { MemoryScope } from "./memory-types.ts";

export type MemoryFilters = {
  tags?: readonly string[];
  agentId?: string;
  kind?: MemoryKind | readonly MemoryKind[];
  since?: number;
  shared?: boolean;
};

export type FilterSql = {
  where: SQL;
  /** Whether anything beyond expiry narrows the set (then the planner counts before it searches). */
  narrow: boolean;
};

/** Conditions on the alias `m` (memories). */
export function filterSql(scope: MemoryScope, f: MemoryFilters, now: number): FilterSql {
  const conds: SQL[] = [sql`(m.expires_at is null or m.expires_at > ${now})`];
  if (scope.kind === "agent") {
    // Written as two index lookups: SQLite plans `agent_id = ? or shared = 1` as a full scan.
    conds.push(sql`m.seq in (select seq from memories where agent_id = ${scope.agentId} union all select seq from memories where shared = 1)`);
  }
  if (f.agentId !== undefined) conds.push(sql`m.agent_id = ${f.agentId}`);
  if (f.kind !== undefined) {
    const kinds = typeof f.kind === "string" ? [f.kind] : [...new Set(f.kind)];
    conds.push(sql`m.kind in (${sql.join(kinds.map((k) => sql`${k}`), sql`, `)})`);
  }
  if (f.since !== undefined) conds.push(sql`m.created_at >= ${f.since}`);
  if (f.shared !== undefined) conds.push(sql`m.shared = ${f.shared ? 1 : 0}`);
  for (const tag of new Set(f.tags ?? [])) conds.push(sql`m.seq in (select seq from memory_tags where tag = ${tag})`);
  return { where: sql.join(conds, sql` and `), narrow: conds.length > 1 };
}
