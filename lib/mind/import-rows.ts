// An imported task as the row the Mind writes: the one INSERT an import uses, the row it reads (a
// JSON array per task, columns in COLUMNS order) and the chunks it binds. Pure, so the import
// benchmark's anchor runs the very same statement on the very same rows outside the Worker.
import { isTerminal, type ImportLine } from "./wire.ts";

/** How long an agent has between heartbeats once it claimed a task (an imported claim gets as long). */
export const CLAIM_LEASE_MS = 5 * 60 * 1000;
export const DEFAULT_PRIORITY = 5;
/** The source of an imported line that names none. */
export const IMPORT_ACTOR = "import";

/**
 * Rows per INSERT … SELECT FROM json_each(?) statement, and bytes: one bound value stays well under
 * the 2 MB a SQLite value may have in a Durable Object, whatever the payloads weigh. (A Durable
 * Object binds at most 100 values per statement, so multi-row VALUES lists would be 5 rows long:
 * twice json_each's CPU, measured.)
 */
const CHUNK_ROWS = 2500;
const CHUNK_BYTES = 1_000_000;
const COLUMNS = ["id", "title", "capability", "payload", "source", "priority", "created_at", "deadline", "state", "assignee", "assigned_at",
  "attempts", "lease_until", "progress_at", "done_at", "finished_at", "result", "reason", "updated_at"] as const;
export const ROW_COLUMN = Object.fromEntries(COLUMNS.map((c, i) => [c, i])) as Record<(typeof COLUMNS)[number], number>;
export const IMPORT_INSERT = `INSERT INTO tasks (${COLUMNS.join(", ")}, origin) SELECT ${COLUMNS.map((_, i) => `j.value->>${i}`).join(", ")}, 'import' FROM json_each(?) AS j`;

export type Row = (string | number | null)[];

/** JSON arrays of rows, each at most CHUNK_ROWS rows and (but for a single huge row) CHUNK_BYTES. */
export function* importChunks(rows: Row[]): Generator<string> {
  let part: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    const r = JSON.stringify(row);
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

/**
 * One line as the row the INSERT reads (in COLUMNS order); `id` for a line that names none. Built
 * where the line is validated (the Worker): a row of plain values crosses to the Mind for about
 * half what the line object costs. The lease of work in flight is set by the Mind, on its clock
 * (`withLease`).
 */
export function importRow(line: ImportLine, id: () => string): Row {
  const done = line.state === "done";
  const inFlight = line.state === "dispatched" || line.state === "claimed";
  const assignee = line.assignee ?? null;
  return [
    line.id ?? id(),
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
    null,
    line.progressAt ?? (done ? line.finishedAt! : null),
    done ? line.finishedAt! : null,
    isTerminal(line.state) ? line.finishedAt! : null,
    line.result === undefined ? null : JSON.stringify(line.result),
    line.reason ?? null,
    line.finishedAt ?? line.progressAt ?? line.createdAt,
  ];
}

/** Work in flight gets a fresh lease from `now` (the Mind's clock) on import. */
export function withLease(row: Row, now: number): Row {
  const state = row[ROW_COLUMN.state];
  if (state === "dispatched" || state === "claimed") row[ROW_COLUMN.lease_until] = now + CLAIM_LEASE_MS;
  return row;
}
