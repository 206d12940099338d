// Loading task history from before the seed existed, with its past timestamps, so the first cycle
// after the import already knows each subsystem's pace, outcomes and what it has left undone.
//
// An import is one unit however many batches it takes: batches carry an import id, and what they
// touch is held from evaluation (dirty level 2) until the batch marked final arrives, or the
// import has been quiet for IMPORT_QUIET_MS (a crashed importer cannot blind the mind for longer).
// Only then does the mind wake: its first cycle sees all of it, so a partial view can never raise
// a flag that the rest of the history would clear.
import { randomId } from "../../lib/keys.ts";
import type { ImportLine } from "../../lib/mind/wire.ts";
import { isTerminal } from "../../lib/mind/wire.ts";
import { CLAIM_LEASE_MS, DEFAULT_PRIORITY, HOUR_MS, type Ledger } from "./ledger.ts";
import { deadlineKey, leaseKey } from "./schedule.ts";
import { markDirty, releaseImported } from "./subsystem-store.ts";
import { subsystemKeys } from "./task-row.ts";

export type ImportReport = { imported: number; skipped: number; importId: string; open: boolean };

export const IMPORT_ACTOR = "import";
/** An import with no batch for this long is finished by the mind itself. */
export const IMPORT_QUIET_MS = 10 * 60_000;
export const importKey = (id: string) => `import:${id}`;
/** Rows per INSERT … SELECT FROM json_each(?) statement, and bytes: one bound value stays well under
 *  the 2 MB a SQLite value may have in a Durable Object, whatever the payloads weigh. */
const CHUNK_ROWS = 2500;
const CHUNK_BYTES = 1_000_000;

type Returned = { id: string; capability: string; source: string; assignee: string | null; state: string; finished_at: number | null; deadline: number | null; lease_until: number | null };

/** Writes a batch in the caller's transaction. A line whose id exists is skipped: re-running changes nothing. */
export function importBatch(ledger: Ledger, lines: ImportLine[], importId: string | undefined, final: boolean): ImportReport {
  const sql = ledger.sql;
  const now = ledger.now();
  const id = importId ?? `imp_${randomId()}`;
  sql.exec(
    `INSERT INTO imports (id, started_at, last_batch_at, batches) VALUES (?, ?, ?, 1)
     ON CONFLICT (id) DO UPDATE SET last_batch_at = excluded.last_batch_at, batches = batches + 1, finished_at = NULL, ended = NULL`,
    id, now, now,
  );

  const inserted: Returned[] = [];
  for (const chunk of chunks(lines.map((l) => JSON.stringify(row(l, now))))) {
    inserted.push(
      ...sql
        .exec<Returned>(
          `INSERT INTO tasks (id, title, capability, payload, source, origin, priority, created_at, deadline, state, assignee, assigned_at,
                              attempts, lease_until, progress_at, done_at, finished_at, result, reason, updated_at)
           SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, 'import', j.value->>5, j.value->>6, j.value->>7, j.value->>8,
                  j.value->>9, j.value->>10, j.value->>11, j.value->>12, j.value->>13, j.value->>14, j.value->>15, j.value->>16, j.value->>17, j.value->>18
           FROM json_each(?) AS j WHERE true
           ON CONFLICT (id) DO NOTHING
           RETURNING id, capability, source, assignee, state, finished_at, deadline, lease_until`,
          chunk,
        )
        .toArray(),
    );
  }

  // Outcomes per hour, missed deadlines per subsystem, touched subsystems: once per batch, not per line.
  const hours = new Map<number, { done: number; failed: number; expired: number }>();
  const missed = new Map<string, number>();
  const touched = new Set<string>();
  for (const t of inserted) {
    const keys = subsystemKeys(t);
    for (const k of keys) touched.add(k);
    if (t.finished_at !== null) {
      const h = Math.floor(t.finished_at / HOUR_MS);
      const c = hours.get(h) ?? { done: 0, failed: 0, expired: 0 };
      c[t.state as "done" | "failed" | "expired"]++;
      hours.set(h, c);
      if (t.state === "expired" && t.deadline !== null) for (const k of keys) missed.set(k, Math.min(missed.get(k) ?? Infinity, t.deadline));
    } else {
      if (t.deadline !== null) ledger.schedule.set(deadlineKey(t.id), t.deadline);
      if (t.lease_until !== null) ledger.schedule.set(leaseKey(t.id), t.lease_until);
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

  const report = { imported: inserted.length, skipped: lines.length - inserted.length, importId: id, open: !final };
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

/** JSON arrays of rows, each at most CHUNK_ROWS rows and (but for a single huge row) CHUNK_BYTES. */
function* chunks(rows: string[]): Generator<string> {
  let part: string[] = [];
  let bytes = 0;
  for (const r of rows) {
    if (part.length > 0 && (part.length >= CHUNK_ROWS || bytes + r.length > CHUNK_BYTES)) {
      yield `[${part.join(",")}]`;
      part = [];
      bytes = 0;
    }
    part.push(r);
    bytes += r.length + 1;
  }
  if (part.length > 0) yield `[${part.join(",")}]`;
}

/** One line as the row array the INSERT reads (index = column in the SELECT above). */
function row(line: ImportLine, now: number): unknown[] {
  const done = line.state === "done";
  const inFlight = line.state === "dispatched" || line.state === "claimed";
  const assignee = line.assignee ?? null;
  return [
    line.id ?? `t_${randomId()}`,
    line.title,
    line.capability,
    line.payload === undefined ? null : JSON.stringify(line.payload),
    line.source ?? IMPORT_ACTOR,
    line.priority ?? DEFAULT_PRIORITY,
    line.createdAt,
    line.deadline ?? null,
    line.state,
    inFlight || isTerminal(line.state) ? assignee : null,
    inFlight ? (line.progressAt ?? line.createdAt) : null,
    line.attempts ?? (assignee ? 1 : 0),
    inFlight ? now + CLAIM_LEASE_MS : null,
    line.progressAt ?? (done ? line.finishedAt! : null),
    done ? line.finishedAt! : null,
    isTerminal(line.state) ? line.finishedAt! : null,
    line.result === undefined ? null : JSON.stringify(line.result),
    line.reason ?? null,
    line.finishedAt ?? line.progressAt ?? line.createdAt,
  ];
}
