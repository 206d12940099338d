// A task as stored in the Mind's SQLite, and as the API shows it.
import type { Task, TaskChange, TaskOrigin, TaskState } from "../../lib/mind/wire.ts";

export type TaskRow = {
  id: string;
  title: string;
  capability: string;
  payload: string | null;
  source: string;
  priority: number;
  created_at: number;
  deadline: number | null;
  state: TaskState;
  assignee: string | null;
  assigned_at: number | null;
  attempts: number;
  lease_until: number | null;
  progress_at: number | null;
  done_at: number | null;
  result: string | null;
  reason: string | null;
  event_id: string | null;
  finished_at: number | null;
  label: string | null;
  origin: TaskOrigin;
  updated_at: number;
};

/**
 * The condition of the partial indexes over open work (mind-schema.ts), written exactly as they
 * are: SQLite uses a partial index only for a query that repeats its condition term for term.
 */
export const OPEN_WORK = "state IN ('open', 'dispatched', 'claimed')";

const json = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

export function toTask(r: TaskRow): Task {
  return {
    id: r.id,
    title: r.title,
    capability: r.capability,
    payload: json(r.payload),
    source: r.source,
    label: r.label,
    origin: r.origin,
    priority: r.priority,
    createdAt: r.created_at,
    deadline: r.deadline,
    state: r.state,
    assignee: r.assignee,
    attempts: r.attempts,
    result: json(r.result),
    reason: r.reason,
    finishedAt: r.finished_at,
    updatedAt: r.updated_at,
    leaseUntil: r.lease_until,
    eventId: r.event_id,
  };
}

/** The subsystems a task belongs to: its capability, its source, and the agent holding it. */
export function subsystemKeys(t: { capability: string; source: string; assignee: string | null }): string[] {
  const keys = [`capability:${t.capability}`, `source:${t.source}`];
  if (t.assignee) keys.push(`agent:${t.assignee}`);
  return keys;
}

/**
 * The history an imported task brings in its columns (seq 0: not ledger events): its arrival, and —
 * while nothing happened to it here since — its hand-over or its end as imported.
 */
export function synthesizedHistory(t: TaskRow, liveEvents: number): TaskChange[] {
  const out: TaskChange[] = [{ seq: 0, at: t.created_at, state: "open", actor: "import", note: null }];
  if (liveEvents > 0) return out;
  if (t.assignee && (t.state === "dispatched" || t.state === "claimed")) out.push({ seq: 0, at: t.progress_at ?? t.created_at, state: t.state, actor: "import", note: t.assignee });
  if (t.finished_at !== null) out.push({ seq: 0, at: t.finished_at, state: t.state, actor: "import", note: t.reason });
  return out;
}
