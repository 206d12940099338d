// Someone is told. A flag that appears on a subsystem opens an alert (one per subsystem and
// condition: deduplicated); while it lasts, a reminder goes out on a back-off (1 h, 2 h, 4 h … up
// to 24 h); when it clears, one `subsystem.recovered`. Every message goes through the outbox, which
// the delivery step (alert-delivery.ts) empties to the `seed.alerts` topic and, when the owner set
// one, to the notification webhook. Only schedule rows at real due times: a resting seed stays at rest.
import type { Mode, Subsystem, SubsystemFlag } from "../../lib/mind/wire.ts";
import { randomId } from "../../lib/keys.ts";
import type { Schedule } from "./schedule.ts";

export const ALERT_REMIND = "alert-remind";
export const ALERT_RETRY = "alert-retry";
const REMIND_BASE_MS = 3_600_000;
const REMIND_MAX_MS = 24 * 3_600_000;

export const remindDelay = (sends: number) => Math.min(REMIND_MAX_MS, REMIND_BASE_MS * 2 ** Math.max(0, sends - 1));

export type AlertBody = { type: string; alertId: string; at: number; mode: Mode; reminder?: number } & Record<string, unknown>;

type AlertRow = { key: string; type: string; condition: string; kind: string | null; name: string | null; since: number | null; opened_at: number; closed_at: number | null; sends: number; next_reminder_at: number | null };

const alertKey = (flag: SubsystemFlag, s: { kind: string; name: string }) => `${flag}:${s.kind}:${s.name}`;

function describe(flag: SubsystemFlag, s: Subsystem): Record<string, unknown> {
  const base = { subsystem: { kind: s.kind, name: s.name }, condition: flag, open: s.open, lastProgressAt: s.lastProgressAt, lastDoneAt: s.lastDoneAt, pace: s.pace };
  if (flag === "stalled") return { ...base, since: s.stalledSince, waitingSince: s.waitingSince, reason: s.stallReason, thresholdMs: s.stallThresholdMs };
  if (flag === "failing") return { ...base, since: s.failingSince, outcomes: s.outcomes };
  return { ...base, since: s.missedSince, expectation: s.expectation };
}

export class Alerts {
  readonly sql: SqlStorage;
  readonly schedule: Schedule;
  readonly now: () => number;
  /** Whether the owner configured a webhook: a message made now owes it a delivery. */
  readonly hasWebhook: () => boolean;

  constructor(sql: SqlStorage, schedule: Schedule, now: () => number, hasWebhook: () => boolean) {
    this.sql = sql;
    this.schedule = schedule;
    this.now = now;
    this.hasWebhook = hasWebhook;
  }

  /** A flag appeared: open its alert and say so (nothing if it is already open). */
  flagged(flag: SubsystemFlag, s: Subsystem, mode: Mode): boolean {
    const key = alertKey(flag, s);
    const now = this.now();
    const since = flag === "stalled" ? s.stalledSince : flag === "failing" ? s.failingSince : s.missedSince;
    const opened = this.sql
      .exec(
        `INSERT INTO alerts (key, type, condition, kind, name, since, opened_at, sends, next_reminder_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
         ON CONFLICT (key) DO UPDATE SET type = excluded.type, since = excluded.since, opened_at = excluded.opened_at, closed_at = NULL,
           sends = 1, next_reminder_at = excluded.next_reminder_at WHERE closed_at IS NOT NULL
         RETURNING key`,
        key, `subsystem.${flag}`, flag, s.kind, s.name, since, now, now + remindDelay(1),
      )
      .toArray().length > 0;
    if (!opened) return false;
    this.#enqueue({ type: `subsystem.${flag}`, alertId: key, at: now, mode, ...describe(flag, s) });
    this.#armReminder();
    return true;
  }

  /** A flag cleared: close its alert and say it recovered (nothing if none was open). */
  cleared(flag: SubsystemFlag, s: Subsystem, mode: Mode): boolean {
    const key = alertKey(flag, s);
    const now = this.now();
    const row = this.sql.exec<AlertRow>("UPDATE alerts SET closed_at = ?, next_reminder_at = NULL WHERE key = ? AND closed_at IS NULL RETURNING *", now, key).toArray()[0];
    if (!row) return false;
    this.#enqueue({ type: "subsystem.recovered", alertId: key, at: now, mode, subsystem: { kind: s.kind, name: s.name }, condition: flag, since: row.since, openedAt: row.opened_at });
    this.#armReminder();
    return true;
  }

  /** A one-off message (a quarantined event): no condition to remind of. */
  notice(type: string, body: Record<string, unknown>, mode: Mode, key: string): void {
    this.#enqueue({ type, alertId: key, at: this.now(), mode, ...body });
  }

  /** Reminders that came due: the same alert again, its count and back-off growing. */
  remindDue(mode: Mode): number {
    const now = this.now();
    const due = this.sql.exec<AlertRow>("SELECT * FROM alerts WHERE closed_at IS NULL AND next_reminder_at <= ?", now).toArray();
    for (const a of due) {
      const sends = a.sends + 1;
      this.sql.exec("UPDATE alerts SET sends = ?, next_reminder_at = ? WHERE key = ?", sends, now + remindDelay(sends), a.key);
      const report = this.sql.exec<{ report: string | null }>("SELECT report FROM subsystems WHERE key = ?", `${a.kind}:${a.name}`).toArray()[0]?.report;
      const s = report ? (JSON.parse(report) as Subsystem) : null;
      const detail = s ? describe(a.condition as SubsystemFlag, s) : { subsystem: { kind: a.kind, name: a.name }, condition: a.condition, since: a.since };
      this.#enqueue({ type: a.type, alertId: a.key, at: now, mode, reminder: sends - 1, ...detail });
    }
    this.#armReminder();
    return due.length;
  }

  list(limit: number): AlertRow[] {
    return this.sql.exec<AlertRow>("SELECT * FROM alerts ORDER BY closed_at IS NULL DESC, opened_at DESC LIMIT ?", limit).toArray();
  }

  #enqueue(body: AlertBody): void {
    const now = this.now();
    this.sql.exec(
      "INSERT INTO alert_outbox (id, body, created_at, hook_state, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
      `msg_${randomId(24)}`, JSON.stringify(body), now, this.hasWebhook() ? "pending" : "none", now,
    );
    this.schedule.set(ALERT_RETRY, now);
  }

  #armReminder(): void {
    const next = this.sql.exec<{ t: number | null }>("SELECT MIN(next_reminder_at) AS t FROM alerts WHERE closed_at IS NULL").one().t;
    if (next === null) this.schedule.remove(ALERT_REMIND);
    else this.schedule.set(ALERT_REMIND, next);
  }
}

export type { AlertRow };
