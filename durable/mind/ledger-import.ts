// Loading task history from before the seed existed, with its past timestamps, so the first cycle
// already knows each subsystem's pace and what it has left undone.
import { randomId } from "../../lib/keys.ts";
import type { ImportLine } from "../../lib/mind/wire.ts";
import { isTerminal } from "../../lib/mind/wire.ts";
import { CLAIM_LEASE_MS, DEFAULT_PRIORITY, type Ledger } from "./ledger.ts";
import { deadlineKey, leaseKey } from "./schedule.ts";
import type { Settings } from "./settings.ts";
import { subsystemKeys } from "./task-row.ts";

export type ImportReport = { imported: number; skipped: number };

export const IMPORT_ACTOR = "import";

/**
 * Writes a batch in the caller's transaction. A line whose id exists is skipped, so running the
 * same import twice changes nothing. Imported outcomes count in the coherence window by their own
 * times; they are history, not changes, so the cycle's change cursor skips past them when it can.
 */
export function importTasks(ledger: Ledger, settings: Settings, lines: ImportLine[]): ImportReport {
  const sql = ledger.sql;
  const now = ledger.now();
  const lastSeqBefore = maxSeq(sql);
  const cursorCaughtUp = (settings.get("ledgerCursor") ?? 0) >= lastSeqBefore;
  const report: ImportReport = { imported: 0, skipped: 0 };
  const touched = new Set<string>();

  for (const line of lines) {
    const id = line.id ?? `t_${randomId()}`;
    if (ledger.find(id)) {
      report.skipped++;
      continue;
    }
    const source = line.source ?? IMPORT_ACTOR;
    const done = line.state === "done";
    const inFlight = line.state === "dispatched" || line.state === "claimed";
    const assignee = line.assignee ?? null;
    const progressAt = line.progressAt ?? (done ? line.finishedAt! : null);
    const leaseUntil = inFlight ? now + CLAIM_LEASE_MS : null;
    sql.exec(
      `INSERT INTO tasks (id, title, capability, payload, source, priority, created_at, deadline, state, assignee, assigned_at,
                          attempts, lease_until, progress_at, done_at, result, reason, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id, line.title, line.capability, line.payload === undefined ? null : JSON.stringify(line.payload), source,
      line.priority ?? DEFAULT_PRIORITY, line.createdAt, line.deadline ?? null, line.state, inFlight || isTerminal(line.state) ? assignee : null,
      inFlight ? (line.progressAt ?? line.createdAt) : null, line.attempts ?? (assignee ? 1 : 0), leaseUntil, progressAt,
      done ? line.finishedAt! : null, line.result === undefined ? null : JSON.stringify(line.result), line.reason ?? null,
      line.finishedAt ?? line.progressAt ?? line.createdAt,
    );
    event(sql, id, line.createdAt, "open", null);
    if (inFlight) event(sql, id, line.progressAt ?? line.createdAt, line.state, assignee);
    if (isTerminal(line.state)) {
      const state = line.state as "done" | "failed" | "expired";
      event(sql, id, line.finishedAt!, state, line.reason ?? null);
      ledger.recordOutcome(state, line.finishedAt!);
      if (state === "expired" && line.deadline !== undefined) {
        for (const key of subsystemKeys({ capability: line.capability, source, assignee })) ledger.noteMissedDeadline(key, line.deadline);
      }
    } else {
      if (line.deadline !== undefined) ledger.schedule.set(deadlineKey(id), line.deadline);
      if (leaseUntil !== null) ledger.schedule.set(leaseKey(id), leaseUntil);
    }
    for (const key of subsystemKeys({ capability: line.capability, source, assignee })) touched.add(key);
    report.imported++;
  }

  // Mark what the history touched so the next cycle evaluates it, open work or not.
  for (const key of touched) {
    const [kind, ...rest] = key.split(":");
    sql.exec(
      "INSERT INTO subsystems (key, kind, name, dirty, updated_at) VALUES (?, ?, ?, 1, ?) ON CONFLICT (key) DO UPDATE SET dirty = 1",
      key, kind!, rest.join(":"), now,
    );
  }
  if (cursorCaughtUp) settings.set("ledgerCursor", maxSeq(sql));
  if (report.imported > 0) ledger.schedule.wake(now);
  return report;
}

function maxSeq(sql: SqlStorage): number {
  return sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM task_events").one().s ?? 0;
}

function event(sql: SqlStorage, id: string, at: number, state: string, note: string | null): void {
  sql.exec("INSERT INTO task_events (task_id, at, state, actor, note) VALUES (?, ?, ?, ?, ?)", id, at, state, IMPORT_ACTOR, note);
}
