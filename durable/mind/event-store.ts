// Webhook sources (their secrets encrypted) and the events they sent, stored before the sender
// hears 202. An event is pending until a cycle turns it into work; one that keeps failing is
// quarantined with its error so the loop can go on.
import { randomId } from "../../lib/keys.ts";
import type { SourceInfo, WebhookScheme } from "../../lib/mind/wire.ts";

/** An event whose handling failed (or whose cycle died) this many times is quarantined. */
export const MAX_EVENT_ATTEMPTS = 3;
export const EVENT_BATCH = 1000;
/** Handled events are kept this long (their delivery ids guard against replays meanwhile). */
export const EVENT_RETENTION_MS = 7 * 86_400_000;

export type EventState = "pending" | "handled" | "quarantined";

export type EventRow = {
  seq: number;
  id: string;
  source: string;
  delivery_id: string;
  type: string;
  body: string;
  received_at: number;
  state: EventState;
  attempts: number;
  error: string | null;
  handled_at: number | null;
  tasks: string | null;
  next_attempt_at: number | null;
};

export type EventInfo = {
  id: string;
  source: string;
  deliveryId: string;
  type: string;
  receivedAt: number;
  state: EventState;
  attempts: number;
  error: string | null;
  handledAt: number | null;
  tasks: string[];
};

export const toEventInfo = (r: EventRow): EventInfo => ({
  id: r.id,
  source: r.source,
  deliveryId: r.delivery_id,
  type: r.type,
  receivedAt: r.received_at,
  state: r.state,
  attempts: r.attempts,
  error: r.error,
  handledAt: r.handled_at,
  tasks: r.tasks ? (JSON.parse(r.tasks) as string[]) : [],
});

export class EventStore {
  readonly sql: SqlStorage;
  readonly now: () => number;

  constructor(sql: SqlStorage, now: () => number) {
    this.sql = sql;
    this.now = now;
  }

  // ---- sources

  putSource(name: string, scheme: WebhookScheme, ciphertext: string): { created: boolean } {
    const now = this.now();
    const existed = this.source(name) !== null;
    this.sql.exec(
      `INSERT INTO hook_sources (name, scheme, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET scheme = excluded.scheme, secret = excluded.secret, updated_at = excluded.updated_at`,
      name, scheme, ciphertext, now, now,
    );
    return { created: !existed };
  }

  source(name: string): { name: string; scheme: WebhookScheme; secret: string } | null {
    return this.sql.exec<{ name: string; scheme: WebhookScheme; secret: string }>("SELECT name, scheme, secret FROM hook_sources WHERE name = ?", name).toArray()[0] ?? null;
  }

  listSources(): SourceInfo[] {
    return this.sql
      .exec<{ name: string; scheme: WebhookScheme; created_at: number; updated_at: number }>("SELECT name, scheme, created_at, updated_at FROM hook_sources ORDER BY name")
      .toArray()
      .map((r) => ({ name: r.name, scheme: r.scheme, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  deleteSource(name: string): boolean {
    return this.sql.exec("DELETE FROM hook_sources WHERE name = ?", name).rowsWritten > 0;
  }

  // ---- events

  /**
   * Stores an event; null when this source already delivered this id, or (`bodyDigest`, for
   * schemes that sign only the body) this signed body: a replay, while the earlier one is kept.
   */
  insert(e: { source: string; deliveryId: string; bodyDigest?: string; type: string; body: string }): string | null {
    const id = `ev_${randomId()}`;
    const inserted = this.sql
      .exec(
        `INSERT INTO hook_events (id, source, delivery_id, body_digest, type, body, received_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')
         ON CONFLICT DO NOTHING RETURNING seq`,
        id, e.source, e.deliveryId, e.bodyDigest ?? null, e.type, e.body, this.now(),
      )
      .toArray();
    return inserted.length > 0 ? id : null;
  }

  /**
   * Events whose last cycle died without recording why: each goes alone, so one poison event
   * cannot take a whole batch down with it again.
   */
  suspect(): EventRow | null {
    return this.sql.exec<EventRow>("SELECT * FROM hook_events WHERE state = 'pending' AND attempts > 0 AND error IS NULL ORDER BY seq LIMIT 1").toArray()[0] ?? null;
  }

  /** Fresh events and failed ones whose retry time has come, oldest first. */
  ready(now: number, limit = EVENT_BATCH): EventRow[] {
    return this.sql
      .exec<EventRow>(
        "SELECT * FROM hook_events WHERE state = 'pending' AND (attempts = 0 OR (error IS NOT NULL AND next_attempt_at <= ?)) ORDER BY seq LIMIT ?",
        now, limit,
      )
      .toArray();
  }

  /** The earliest retry among failed events, for the schedule. */
  nextRetryAt(): number | null {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(next_attempt_at) AS t FROM hook_events WHERE state = 'pending' AND error IS NOT NULL").one().t;
  }

  /** Counts an attempt before the work, and forgets the last error: if the cycle dies now, the event is a suspect. */
  beginAttempt(seqs: number[]): void {
    for (const seq of seqs) this.sql.exec("UPDATE hook_events SET attempts = attempts + 1, error = NULL WHERE seq = ?", seq);
  }

  handled(seq: number, taskIds: string[]): void {
    this.sql.exec("UPDATE hook_events SET state = 'handled', handled_at = ?, error = NULL, tasks = ? WHERE seq = ?", this.now(), JSON.stringify(taskIds), seq);
  }

  /** Records a failure; quarantines at the limit. Returns the new state. */
  failed(seq: number, error: string): EventState {
    const row = this.sql.exec<{ attempts: number }>("SELECT attempts FROM hook_events WHERE seq = ?", seq).one();
    const now = this.now();
    if (row.attempts >= MAX_EVENT_ATTEMPTS) {
      this.sql.exec("UPDATE hook_events SET state = 'quarantined', error = ?, handled_at = ? WHERE seq = ?", error, now, seq);
      return "quarantined";
    }
    this.sql.exec("UPDATE hook_events SET error = ?, next_attempt_at = ? WHERE seq = ?", error, now + retryDelay(row.attempts), seq);
    return "pending";
  }

  /** Quarantines an event that already used up its attempts (its cycles died before recording why). */
  quarantine(seq: number, error: string): void {
    this.sql.exec("UPDATE hook_events SET state = 'quarantined', error = ?, handled_at = ? WHERE seq = ?", error, this.now(), seq);
  }

  get(id: string): EventRow | null {
    return this.sql.exec<EventRow>("SELECT * FROM hook_events WHERE id = ?", id).toArray()[0] ?? null;
  }

  list(state: EventState | undefined, limit: number): EventInfo[] {
    const rows = state
      ? this.sql.exec<EventRow>("SELECT * FROM hook_events WHERE state = ? ORDER BY seq DESC LIMIT ?", state, limit)
      : this.sql.exec<EventRow>("SELECT * FROM hook_events ORDER BY seq DESC LIMIT ?", limit);
    return rows.toArray().map(toEventInfo);
  }

  /** Forgets handled events past retention (quarantined ones stay until the owner looks). */
  prune(now: number): number {
    return this.sql.exec("DELETE FROM hook_events WHERE state = 'handled' AND handled_at < ?", now - EVENT_RETENTION_MS).rowsWritten;
  }
}

/** 1 s, 2 s, 4 s … between attempts of a failing event. */
export function retryDelay(attempts: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, attempts - 1));
}
