// Coherence, measured every cycle: how much of the finished work was done (smoothed fast and
// slow over the latest outcomes in the order they finished), how much is waiting, which
// subsystems are stalled, failing or missed, and the regime that follows from all of it.
import { ewmaUpdate, FAST_ALPHA, SLOW_ALPHA } from "../../lib/mind/ewma.ts";
import { regimeOf } from "../../lib/mind/regime.ts";
import type { Pulse, Subsystem, SubsystemFlag } from "../../lib/mind/wire.ts";
import { checkKey, evaluateSubsystem } from "./evaluate-subsystem.ts";
import { HOUR_MS } from "./ledger.ts";
import type { Schedule } from "./schedule.ts";
import { dirtyKeys, flaggedSubsystems, saveEvaluation, subsystemRow } from "./subsystem-store.ts";
import { OPEN_WORK } from "./task-row.ts";

export const DEFAULT_WINDOW_MS = 24 * HOUR_MS;
/** Outcomes the smoothed ratio is computed over: beyond ~500 the slow average's weight is < 0.01 %. */
const SMOOTHING_SAMPLE = 500;
/** Subsystems evaluated per cycle; more are left dirty for the next cycle (which follows at once). */
export const EVALUATE_BATCH = 2000;

/** A flag that appeared on a subsystem, or one that cleared. */
export type FlagChange = { subsystem: Subsystem; flag: SubsystemFlag; previous: Subsystem | null };

export type Measurement = { pulse: Pulse; evaluated: number; appeared: FlagChange[]; cleared: FlagChange[]; more: boolean };

export class Coherence {
  readonly sql: SqlStorage;
  readonly schedule: Schedule;

  constructor(sql: SqlStorage, schedule: Schedule) {
    this.sql = sql;
    this.schedule = schedule;
  }

  /**
   * Evaluates the dirty subsystems and those whose check came due (`dueKeys`); while an import
   * is open, what it touched waits for it. Returns the flags that appeared and cleared.
   */
  measure(now: number, dueKeys: string[], importOpen: boolean, windowMs = DEFAULT_WINDOW_MS): Measurement {
    const keys = new Set(dirtyKeys(this.sql, !importOpen, EVALUATE_BATCH + 1));
    const more = keys.size > EVALUATE_BATCH;
    if (more) keys.delete([...keys].at(-1)!);
    for (const k of dueKeys) keys.add(k);
    const appeared: FlagChange[] = [];
    const cleared: FlagChange[] = [];
    let evaluated = 0;
    for (const key of keys) {
      const row = subsystemRow(this.sql, key);
      if (!row || (row.dirty === 2 && importOpen)) continue;
      const prev = row.report ? (JSON.parse(row.report) as Subsystem) : null;
      const { report, checkAt } = evaluateSubsystem(this.sql, row, now);
      saveEvaluation(this.sql, key, report, now);
      evaluated++;
      for (const flag of report.flags) if (!prev?.flags.includes(flag)) appeared.push({ subsystem: report, flag, previous: prev });
      for (const flag of prev?.flags ?? []) if (!report.flags.includes(flag)) cleared.push({ subsystem: report, flag, previous: prev });
      // If nothing changes, the next look at this subsystem is when it would cross a line.
      if (checkAt !== null) this.schedule.set(checkKey(key), checkAt);
      else this.schedule.remove(checkKey(key));
    }
    return { pulse: this.pulseNow(now, windowMs), evaluated, appeared, cleared, more };
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
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM tasks WHERE ${OPEN_WORK}`).one().n;
  }

  /**
   * The completion ratio smoothed over the latest outcomes in the order they finished, each one
   * observation: imported history counts like live work, and the same ledger gives the same value
   * however it was loaded.
   */
  smoothed(now: number): { fast: number | null; slow: number | null } {
    const states = this.sql
      .exec<{ state: string }>("SELECT state FROM tasks WHERE finished_at IS NOT NULL AND finished_at <= ? ORDER BY finished_at DESC, id DESC LIMIT ?", now, SMOOTHING_SAMPLE)
      .toArray();
    let fast: number | null = null;
    let slow: number | null = null;
    for (let i = states.length - 1; i >= 0; i--) {
      const x = states[i]!.state === "done" ? 1 : 0;
      fast = ewmaUpdate(fast, x, 1, FAST_ALPHA);
      slow = ewmaUpdate(slow, x, 1, SLOW_ALPHA);
    }
    return { fast, slow };
  }

  flagCounts(): Pulse["flagged"] {
    const counts = { stalled: 0, failing: 0, missed: 0 };
    for (const s of flaggedSubsystems(this.sql)) for (const f of s.flags) counts[f]++;
    return counts;
  }

  pulseNow(now: number, windowMs: number): Pulse {
    const s = this.smoothed(now);
    const window = this.window(now, windowMs);
    const backlog = this.backlog();
    const flagged = this.flagCounts();
    const signal = window.ratio !== null;
    return {
      signal: signal ? "ok" : "no_signal",
      C: s.fast,
      slow: s.slow,
      drift: s.fast !== null && s.slow !== null ? s.fast - s.slow : null,
      backlog,
      regime: regimeOf({ signal, C: s.fast, backlog, doneInWindow: window.done, flagged }),
      flagged,
      window,
    };
  }
}
