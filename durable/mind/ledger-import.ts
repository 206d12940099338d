// Loading task history from before the seed existed, with its past timestamps, so the first cycle
// after the import already knows each subsystem's pace, outcomes and what it has left undone.
//
// An import is one unit however many batches it takes: batches carry an import id, and what they
// touch is held from evaluation (dirty level 2) until the batch marked final arrives, or the
// import has been quiet for IMPORT_QUIET_MS (a crashed importer cannot blind the mind for longer).
// Only then does the mind wake: its first cycle sees all of it, so a partial view can never raise
// a flag that the rest of the history would clear.
import { randomId } from "../../lib/keys.ts";
import { IMPORT_INSERT, importChunks, ROW_COLUMN as C, withLease, type Row } from "../../lib/mind/import-rows.ts";
import { HOUR_MS, type Ledger } from "./ledger.ts";
import { deadlineKey, leaseKey } from "./schedule.ts";
import { markDirty, releaseImported } from "./subsystem-store.ts";
import { subsystemKeys } from "./task-row.ts";

export type ImportReport = { imported: number; skipped: number; importId: string; open: boolean };

/** An import with no batch for this long is finished by the mind itself. */
export const IMPORT_QUIET_MS = 10 * 60_000;
export const importKey = (id: string) => `import:${id}`;
/** Writes a batch in the caller's transaction. A line whose id exists is skipped: re-running changes nothing. */
export function importBatch(ledger: Ledger, lines: Row[], importId: string | undefined, final: boolean): ImportReport {
  const sql = ledger.sql;
  const now = ledger.now();
  const id = importId ?? `imp_${randomId()}`;
  sql.exec(
    `INSERT INTO imports (id, started_at, last_batch_at, batches) VALUES (?, ?, ?, 1)
     ON CONFLICT (id) DO UPDATE SET last_batch_at = excluded.last_batch_at, batches = batches + 1, finished_at = NULL, ended = NULL`,
    id, now, now,
  );

  // Which lines are new: ids already in the ledger (or earlier in this batch) are skipped. Asked
  // once per batch through the primary key, so the inserts need no RETURNING and no conflict check.
  const ids = lines.map((r) => r[C.id] as string);
  const seen = new Set(ids.length === 0 ? [] : sql.exec<{ id: string }>("SELECT id FROM tasks WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(ids)).toArray().map((r) => r.id));
  const rows: Row[] = [];
  for (const r of lines) {
    const id = r[C.id] as string;
    if (seen.has(id)) continue;
    seen.add(id);
    rows.push(withLease(r, now));
  }
  // Written grouped by subsystem, in time within each: a task enters an index per subsystem, and
  // consecutive inserts into the same part of an index are much cheaper than ones scattered over all.
  for (const chunk of importChunks([...rows].sort(bySubsystem))) sql.exec(IMPORT_INSERT, chunk);

  // Outcomes per hour, missed deadlines per subsystem, touched subsystems: once per batch, not per line.
  const hours = new Map<number, { done: number; failed: number; expired: number }>();
  const missed = new Map<string, number>();
  const touched = new Set<string>();
  for (const r of rows) {
    const id = r[C.id] as string;
    const state = r[C.state] as string;
    const finishedAt = r[C.finished_at] as number | null;
    const deadline = r[C.deadline] as number | null;
    const keys = subsystemKeys({ capability: r[C.capability] as string, source: r[C.source] as string, assignee: r[C.assignee] as string | null });
    for (const k of keys) touched.add(k);
    if (finishedAt !== null) {
      const h = Math.floor(finishedAt / HOUR_MS);
      const c = hours.get(h) ?? { done: 0, failed: 0, expired: 0 };
      c[state as "done" | "failed" | "expired"]++;
      hours.set(h, c);
      if (state === "expired" && deadline !== null) for (const k of keys) missed.set(k, Math.min(missed.get(k) ?? Infinity, deadline));
    } else {
      if (deadline !== null) ledger.schedule.set(deadlineKey(id), deadline);
      const leaseUntil = r[C.lease_until] as number | null;
      if (leaseUntil !== null) ledger.schedule.set(leaseKey(id), leaseUntil);
    }
  }
  for (const [h, c] of hours) {
    sql.exec(
      `INSERT INTO outcome_hours (hour, done, failed, expired) VALUES (?, ?, ?, ?)
       ON CONFLICT (hour) DO UPDATE SET done = done + excluded.done, failed = failed + excluded.failed, expired = expired + excluded.expired`,
      h, c.done, c.failed, c.expired,
    );
  }
  for (const [k, deadline] of missed) ledger.noteMissedDeadline(k, deadline);
  markDirty(sql, touched, 2, now);

  const report = { imported: rows.length, skipped: lines.length - rows.length, importId: id, open: !final };
  sql.exec("UPDATE imports SET imported = imported + ?, skipped = skipped + ? WHERE id = ?", report.imported, report.skipped, id);
  if (final) finishImport(ledger, id, "final");
  else ledger.schedule.set(importKey(id), now + IMPORT_QUIET_MS);
  return report;
}

/** Ends an import; when none is left open, what imports touched is evaluated by a cycle right away. */
export function finishImport(ledger: Ledger, id: string, ended: "final" | "quiet"): void {
  const now = ledger.now();
  ledger.sql.exec("UPDATE imports SET finished_at = ?, ended = ? WHERE id = ? AND finished_at IS NULL", now, ended, id);
  ledger.schedule.remove(importKey(id));
  if (openImports(ledger.sql) === 0 && releaseImported(ledger.sql) > 0) ledger.schedule.wake(now);
}

/** Imports due to be finished because they went quiet (their schedule rows came due). */
export function finishQuietImports(ledger: Ledger, ids: string[]): number {
  let n = 0;
  for (const id of ids) {
    const r = ledger.sql.exec<{ last: number }>("SELECT last_batch_at AS last FROM imports WHERE id = ? AND finished_at IS NULL", id).toArray()[0];
    if (!r) continue;
    if (r.last + IMPORT_QUIET_MS <= ledger.now()) {
      finishImport(ledger, id, "quiet");
      n++;
    } else ledger.schedule.set(importKey(id), r.last + IMPORT_QUIET_MS);
  }
  return n;
}

export function openImports(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM imports WHERE finished_at IS NULL").one().n;
}

const text = (v: string | number | null) => (v === null ? "" : String(v));
function bySubsystem(a: Row, b: Row): number {
  for (const c of [C.capability, C.source, C.assignee]) {
    const x = text(a[c]);
    const y = text(b[c]);
    if (x !== y) return x < y ? -1 : 1;
  }
  return ((a[C.finished_at] as number | null) ?? 0) - ((b[C.finished_at] as number | null) ?? 0);
}
