// What the owner expects of a subsystem (`seed expect NAME --every 7d` or `--cron …`): stored here,
// judged by lib/mind/expectation.ts when the subsystem is evaluated. Setting or removing one marks
// the subsystem for evaluation at once.
import { defaultGrace, declaredPace } from "../../lib/mind/expectation.ts";
import type { ExpectationInfo, ExpectationInput, SubsystemKind } from "../../lib/mind/wire.ts";
import { markDirty } from "./subsystem-store.ts";

type Row = { key: string; kind: SubsystemKind; name: string; every_ms: number | null; cron: string | null; tz: string | null; grace_ms: number; created_at: number };

const toInfo = (r: Row): ExpectationInfo => ({ kind: r.kind, name: r.name, everyMs: r.every_ms, cron: r.cron, tz: r.tz, graceMs: r.grace_ms, createdAt: r.created_at });

export function putExpectation(sql: SqlStorage, name: string, input: ExpectationInput, now: number): { expectation: ExpectationInfo; created: boolean } {
  const key = `${input.kind}:${name}`;
  const cron = input.cron === undefined ? null : { cron: input.cron, tz: input.tz ?? "UTC" };
  const period = declaredPace({ everyMs: input.everyMs ?? null, cron, graceMs: 0, createdAt: now }, now) ?? 3_600_000;
  const grace = input.graceMs ?? defaultGrace(period);
  const existed = sql.exec("SELECT 1 FROM expectations WHERE key = ?", key).toArray().length > 0;
  sql.exec(
    `INSERT INTO expectations (key, kind, name, every_ms, cron, tz, grace_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET every_ms = excluded.every_ms, cron = excluded.cron, tz = excluded.tz, grace_ms = excluded.grace_ms`,
    key, input.kind, name, input.everyMs ?? null, cron?.cron ?? null, cron?.tz ?? null, grace, now,
  );
  markDirty(sql, [key], 1, now);
  return { expectation: toInfo(sql.exec<Row>("SELECT * FROM expectations WHERE key = ?", key).one()), created: !existed };
}

export function listExpectations(sql: SqlStorage): ExpectationInfo[] {
  return sql.exec<Row>("SELECT * FROM expectations ORDER BY kind, name").toArray().map(toInfo);
}

export function removeExpectation(sql: SqlStorage, kind: SubsystemKind, name: string, now: number): boolean {
  const key = `${kind}:${name}`;
  const gone = sql.exec("DELETE FROM expectations WHERE key = ?", key).rowsWritten > 0;
  if (gone) markDirty(sql, [key], 1, now);
  return gone;
}
