// Coherence, measured every cycle from the ledger: how much of the work that finished was done
// (smoothed fast and slow), how much is waiting, the regime, and which subsystems have stalled.
// It reads what changed since the last cycle and what is open, never the whole history.
import { smooth, type Smoothed } from "../../lib/mind/ewma.ts";
import { regimeOf } from "../../lib/mind/regime.ts";
import { evaluateStall, PACE_SAMPLE, typicalInterval } from "../../lib/mind/stall.ts";
import type { Pulse, Subsystem, SubsystemKind } from "../../lib/mind/wire.ts";
import { HOUR_MS } from "./ledger.ts";
import { IMPORT_ACTOR } from "./ledger-import.ts";
import { stallKey, type Schedule } from "./schedule.ts";
import type { Settings } from "./settings.ts";

export const DEFAULT_WINDOW_MS = 24 * HOUR_MS;
const CHANGE_BATCH = 10_000;

const COLUMN: Record<SubsystemKind, "capability" | "assignee" | "source"> = { capability: "capability", agent: "assignee", source: "source" };

export type Changes = { lastSeq: number; more: boolean; touched: Set<string>; outcomes: { done: number; failed: number; expired: number } };

export type SubsystemRow = {
  key: string;
  kind: SubsystemKind;
  name: string;
  open: number;
  last_progress_at: number | null;
  typical_ms: number | null;
  missed_deadline_at: number | null;
  stalled: number;
  stalled_since: number | null;
  reason: Subsystem["reason"];
  dirty: number;
  updated_at: number;
};

export const toSubsystem = (r: SubsystemRow): Subsystem => ({
  kind: r.kind,
  name: r.name,
  open: r.open,
  lastProgressAt: r.last_progress_at,
  typicalIntervalMs: r.typical_ms,
  stalled: r.stalled === 1,
  stalledSince: r.stalled_since,
  reason: r.reason,
});

export type Measurement = { pulse: Pulse; stalled: Subsystem[]; newlyStalled: Subsystem[]; recovered: Subsystem[] };

export class Coherence {
  readonly sql: SqlStorage;
  readonly settings: Settings;
  readonly schedule: Schedule;

  constructor(sql: SqlStorage, settings: Settings, schedule: Schedule) {
    this.sql = sql;
    this.settings = settings;
    this.schedule = schedule;
  }

  /** The ledger's changes since the last measured one: what finished, and whom it concerns. */
  changes(): Changes {
    const cursor = this.settings.get("ledgerCursor") ?? 0;
    const rows = this.sql
      .exec<{ seq: number; state: string; actor: string; capability: string; source: string; assignee: string | null }>(
        `SELECT e.seq, e.state, e.actor, t.capability, t.source, t.assignee
         FROM task_events e JOIN tasks t ON t.id = e.task_id WHERE e.seq > ? ORDER BY e.seq LIMIT ?`,
        cursor, CHANGE_BATCH + 1,
      )
      .toArray();
    const more = rows.length > CHANGE_BATCH;
    if (more) rows.pop();
    const touched = new Set<string>();
    const outcomes = { done: 0, failed: 0, expired: 0 };
    for (const r of rows) {
      touched.add(`capability:${r.capability}`).add(`source:${r.source}`);
      if (r.assignee) touched.add(`agent:${r.assignee}`);
      // Imported history is already in the hourly outcomes; it is not a change of this cycle.
      if (r.actor !== IMPORT_ACTOR && (r.state === "done" || r.state === "failed" || r.state === "expired")) outcomes[r.state]++;
    }
    return { lastSeq: rows.at(-1)?.seq ?? cursor, more, touched, outcomes };
  }

  measure(now: number, changes: Changes, windowMs = DEFAULT_WINDOW_MS): Measurement {
    const window = this.window(now, windowMs);
    let smoothed: Smoothed = smooth(this.settings.get("smoothed") ?? { fast: null, slow: null }, changes.outcomes);
    // A fresh mind (or one fed only history) starts from the window's ratio instead of nothing.
    if (smoothed.fast === null && window.ratio !== null) smoothed = { fast: window.ratio, slow: window.ratio };
    this.settings.set("smoothed", smoothed);
    this.settings.set("ledgerCursor", changes.lastSeq);

    const backlog = this.backlog();
    const pulse = this.#pulse(smoothed, backlog, window);
    const { stalled, newlyStalled, recovered } = this.#subsystems(now, changes.touched);
    return { pulse, stalled, newlyStalled, recovered };
  }

  /** Finished work in the last `windowMs`, at hour resolution. */
  window(now: number, windowMs: number): Pulse["window"] {
    const from = Math.floor((now - windowMs) / HOUR_MS) + 1;
    const r = this.sql
      .exec<{ done: number | null; failed: number | null; expired: number | null }>(
        "SELECT SUM(done) AS done, SUM(failed) AS failed, SUM(expired) AS expired FROM outcome_hours WHERE hour >= ? AND hour <= ?",
        from, Math.floor(now / HOUR_MS),
      )
      .one();
    const done = r.done ?? 0;
    const failed = r.failed ?? 0;
    const expired = r.expired ?? 0;
    const n = done + failed + expired;
    return { ms: windowMs, done, failed, expired, ratio: n === 0 ? null : done / n };
  }

  backlog(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tasks WHERE state IN ('open', 'dispatched', 'claimed')").one().n;
  }

  pulseNow(now: number, windowMs: number): Pulse {
    return this.#pulse(this.settings.get("smoothed") ?? { fast: null, slow: null }, this.backlog(), this.window(now, windowMs));
  }

  #pulse(s: Smoothed, backlog: number, window: Pulse["window"]): Pulse {
    const signal = window.ratio !== null;
    const drift = s.fast !== null && s.slow !== null ? s.fast - s.slow : null;
    return {
      signal: signal ? "ok" : "no_signal",
      C: s.fast,
      slow: s.slow,
      drift,
      backlog,
      regime: regimeOf({ signal, C: s.fast, backlog, doneInWindow: window.done }),
      window,
    };
  }

  #subsystems(now: number, touched: Set<string>): { stalled: Subsystem[]; newlyStalled: Subsystem[]; recovered: Subsystem[] } {
    const open = this.#openWork();
    const keys = new Set<string>([...open.keys(), ...touched]);
    for (const r of this.sql.exec<{ key: string }>("SELECT key FROM subsystems WHERE open > 0 OR stalled = 1 OR dirty = 1").toArray()) keys.add(r.key);

    const newlyStalled: Subsystem[] = [];
    const recovered: Subsystem[] = [];
    for (const key of keys) {
      const sep = key.indexOf(":");
      const kind = key.slice(0, sep) as SubsystemKind;
      const name = key.slice(sep + 1);
      const col = COLUMN[kind];
      const prev = this.sql.exec<SubsystemRow>("SELECT * FROM subsystems WHERE key = ?", key).toArray()[0];
      // Progress and pace change only with the subsystem's own ledger changes (or an import, which
      // marks it dirty): an untouched subsystem reuses what the last cycle read.
      const fresh = !prev || prev.dirty === 1 || touched.has(key);
      const lastProgressAt = fresh ? this.sql.exec<{ t: number | null }>(`SELECT MAX(progress_at) AS t FROM tasks WHERE ${col} = ?`, name).one().t : prev.last_progress_at;
      const typicalMs = fresh
        ? typicalInterval(
            this.sql
              .exec<{ t: number }>(`SELECT done_at AS t FROM tasks WHERE ${col} = ? AND done_at IS NOT NULL ORDER BY done_at DESC LIMIT ?`, name, PACE_SAMPLE)
              .toArray()
              .map((r) => r.t),
          )
        : prev.typical_ms;
      const work = open.get(key) ?? { n: 0, since: null };
      const missed = prev?.missed_deadline_at ?? null;
      const v = evaluateStall({ open: work.n, waitingSince: work.since, lastProgressAt, typicalMs, missedDeadlineAt: missed }, now);
      const same =
        prev !== undefined && prev.dirty === 0 && prev.open === work.n && prev.last_progress_at === lastProgressAt && prev.typical_ms === typicalMs &&
        prev.stalled === (v.stalled ? 1 : 0) && prev.stalled_since === v.since && prev.reason === v.reason;
      if (!same) {
        this.sql.exec(
          `INSERT INTO subsystems (key, kind, name, open, last_progress_at, typical_ms, missed_deadline_at, stalled, stalled_since, reason, dirty, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
           ON CONFLICT (key) DO UPDATE SET open = excluded.open, last_progress_at = excluded.last_progress_at, typical_ms = excluded.typical_ms,
             stalled = excluded.stalled, stalled_since = excluded.stalled_since, reason = excluded.reason, dirty = 0, updated_at = excluded.updated_at`,
          key, kind, name, work.n, lastProgressAt, typicalMs, missed, v.stalled ? 1 : 0, v.since, v.reason, now,
        );
      }
      const sub: Subsystem = { kind, name, open: work.n, lastProgressAt, typicalIntervalMs: typicalMs, stalled: v.stalled, stalledSince: v.since, reason: v.reason };
      if (v.stalled && prev?.stalled !== 1) newlyStalled.push(sub);
      if (!v.stalled && prev?.stalled === 1) recovered.push(sub);
      // If nothing changes, the next look at this subsystem is when it would cross its threshold.
      const scheduled = this.schedule.dueAt(stallKey(key));
      if (v.dueAt !== null && v.dueAt !== scheduled) this.schedule.set(stallKey(key), v.dueAt);
      if (v.dueAt === null && scheduled !== null) this.schedule.remove(stallKey(key));
    }
    const stalled = this.sql.exec<SubsystemRow>("SELECT * FROM subsystems WHERE stalled = 1 ORDER BY stalled_since, key").toArray().map(toSubsystem);
    return { stalled, newlyStalled, recovered };
  }

  /** Open work per subsystem and when the oldest of it arrived (for an agent: when it was handed over). */
  #openWork(): Map<string, { n: number; since: number | null }> {
    const out = new Map<string, { n: number; since: number | null }>();
    const add = (kind: SubsystemKind, rows: { name: string | null; n: number; since: number | null }[]) => {
      for (const r of rows) if (r.name !== null) out.set(`${kind}:${r.name}`, { n: r.n, since: r.since });
    };
    const q = (sql: string) => this.sql.exec<{ name: string | null; n: number; since: number | null }>(sql).toArray();
    add("capability", q("SELECT capability AS name, COUNT(*) AS n, MIN(created_at) AS since FROM tasks WHERE state IN ('open', 'dispatched', 'claimed') GROUP BY capability"));
    add("source", q("SELECT source AS name, COUNT(*) AS n, MIN(created_at) AS since FROM tasks WHERE state IN ('open', 'dispatched', 'claimed') GROUP BY source"));
    add("agent", q("SELECT assignee AS name, COUNT(*) AS n, MIN(assigned_at) AS since FROM tasks WHERE state IN ('dispatched', 'claimed') GROUP BY assignee"));
    return out;
  }

  all(): Subsystem[] {
    return this.sql.exec<SubsystemRow>("SELECT * FROM subsystems ORDER BY stalled DESC, kind, name").toArray().map(toSubsystem);
  }
}
