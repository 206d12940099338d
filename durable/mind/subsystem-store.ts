// Subsystems (each capability, source and agent) as the mind last evaluated them. Every ledger
// change marks the task's subsystems dirty; a cycle evaluates only dirty ones and those whose
// check time came (a stall threshold, an expected completion), so its cost follows what changed,
// not how many subsystems or tasks there are.
import type { Subsystem, SubsystemKind } from "../../lib/mind/wire.ts";

/** 1: evaluate at the next cycle. 2: touched by an import that is still open; held until it finishes. */
export type DirtyLevel = 1 | 2;

export const checkKey = (key: string) => `check:${key}`;

export function splitKey(key: string): { kind: SubsystemKind; name: string } {
  const i = key.indexOf(":");
  return { kind: key.slice(0, i) as SubsystemKind, name: key.slice(i + 1) };
}

export function markDirty(sql: SqlStorage, keys: Iterable<string>, level: DirtyLevel, now: number): void {
  for (const key of keys) {
    const { kind, name } = splitKey(key);
    sql.exec(
      `INSERT INTO subsystems (key, kind, name, dirty, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET dirty = MAX(dirty, excluded.dirty)`,
      key, kind, name, level, now,
    );
  }
}

/** An import finished and none is open: what imports touched is evaluated at the next cycle. */
export function releaseImported(sql: SqlStorage): number {
  return sql.exec("UPDATE subsystems SET dirty = 1 WHERE dirty = 2").rowsWritten;
}

export type SubsystemRow = { key: string; kind: SubsystemKind; name: string; report: string | null; flagged: number; dirty: number; missed_deadline_at: number | null };

export function dirtyKeys(sql: SqlStorage, includeImported: boolean, limit: number): string[] {
  return sql
    .exec<{ key: string }>(`SELECT key FROM subsystems WHERE dirty ${includeImported ? "> 0" : "= 1"} LIMIT ?`, limit)
    .toArray()
    .map((r) => r.key);
}

export function subsystemRow(sql: SqlStorage, key: string): SubsystemRow | null {
  return sql.exec<SubsystemRow>("SELECT key, kind, name, report, flagged, dirty, missed_deadline_at FROM subsystems WHERE key = ?", key).toArray()[0] ?? null;
}

export function saveEvaluation(sql: SqlStorage, key: string, report: Subsystem, now: number): void {
  sql.exec("UPDATE subsystems SET report = ?, flagged = ?, dirty = 0, updated_at = ? WHERE key = ?", JSON.stringify(report), report.flags.length > 0 ? 1 : 0, now, key);
}

const parse = (r: { report: string }) => JSON.parse(r.report) as Subsystem;

export function flaggedSubsystems(sql: SqlStorage): Subsystem[] {
  return sql.exec<{ report: string }>("SELECT report FROM subsystems WHERE flagged = 1").toArray().map(parse).sort(byFlagAge);
}

/** Every evaluated subsystem, flagged first (for the report; at most `limit`). */
export function allSubsystems(sql: SqlStorage, limit: number): Subsystem[] {
  return sql
    .exec<{ report: string }>("SELECT report FROM subsystems WHERE report IS NOT NULL ORDER BY flagged DESC, kind, name LIMIT ?", limit)
    .toArray()
    .map(parse);
}

export function subsystemCount(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM subsystems WHERE report IS NOT NULL").one().n;
}

const firstFlagAt = (s: Subsystem) => Math.min(...[s.stalledSince, s.failingSince, s.missedSince].filter((x): x is number => x !== null));

function byFlagAge(a: Subsystem, b: Subsystem): number {
  return firstFlagAt(a) - firstFlagAt(b) || `${a.kind}:${a.name}`.localeCompare(`${b.kind}:${b.name}`);
}
