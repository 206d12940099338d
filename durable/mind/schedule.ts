// Schedule rows are the truth about when the mind must wake (a deadline, a lease, a stall check,
// a retry, or "now" after an event). The alarm is only a pointer to the earliest row.

export type ScheduleRow = { key: string; dueAt: number };

export const WAKE = "wake";
export const deadlineKey = (taskId: string) => `deadline:${taskId}`;
export const leaseKey = (taskId: string) => `lease:${taskId}`;
export const stallKey = (subsystem: string) => `stall:${subsystem}`;
export const DISPATCH_RETRY = "dispatch-retry";
export const EVENT_RETRY = "event-retry";

export class Schedule {
  readonly sql: SqlStorage;
  /** Wake requests since the object started: a cycle that sees it move knows new input arrived meanwhile. */
  wakes = 0;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  set(key: string, dueAt: number): void {
    this.sql.exec("INSERT INTO schedule (key, due_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at", key, dueAt);
  }

  /** Input arrived (an event, new work, a finished task): the mind should run a cycle now. */
  wake(now: number): void {
    this.wakes++;
    this.set(WAKE, now);
  }

  remove(key: string): void {
    this.sql.exec("DELETE FROM schedule WHERE key = ?", key);
  }

  due(now: number, limit = 10_000): ScheduleRow[] {
    return this.sql
      .exec<{ key: string; due_at: number }>("SELECT key, due_at FROM schedule WHERE due_at <= ? ORDER BY due_at LIMIT ?", now, limit)
      .toArray()
      .map((r) => ({ key: r.key, dueAt: r.due_at }));
  }

  /** Removes the rows a cycle handled, unless one was moved while the cycle ran. */
  consume(rows: ScheduleRow[]): void {
    for (const r of rows) this.sql.exec("DELETE FROM schedule WHERE key = ? AND due_at = ?", r.key, r.dueAt);
  }

  /** After a failed cycle: everything overdue moves to `until` (the retry); nothing is lost. */
  postpone(now: number, until: number): void {
    this.sql.exec("UPDATE schedule SET due_at = ? WHERE due_at <= ?", until, now);
  }

  dueAt(key: string): number | null {
    return this.sql.exec<{ due_at: number }>("SELECT due_at FROM schedule WHERE key = ?", key).toArray()[0]?.due_at ?? null;
  }

  earliest(): number | null {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(due_at) AS t FROM schedule").one().t;
  }
}
