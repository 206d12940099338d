// Expectations: the owner declares how often a subsystem completes work (every N, or on a cron),
// and a subsystem that lets the expected moment pass (plus its grace) is flagged `missed` — a
// dead-man switch for work whose scheduler may have died silently. Pure.
import { nextRun, type CronSpec } from "./cron.ts";

export type Expectation = {
  /** Completions at least this often (ms), or … */
  everyMs: number | null;
  /** … at the times of this cron expression. */
  cron: CronSpec | null;
  /** How late a completion may be before it counts as missed. */
  graceMs: number;
  /** When it was declared: the first expected moment counts from here if nothing was ever done. */
  createdAt: number;
};

/** Half an interval, at most an hour, at least a minute: the grace when the owner gives none. */
export function defaultGrace(periodMs: number): number {
  return Math.max(60_000, Math.min(3_600_000, Math.round(periodMs / 2)));
}

/** The pace a declared expectation implies: its interval, or the gap between two cron runs. */
export function declaredPace(e: Expectation, now: number): number | null {
  if (e.everyMs !== null) return e.everyMs;
  if (!e.cron) return null;
  const a = nextRun(e.cron, now);
  const b = a === null ? null : nextRun(e.cron, a);
  return a !== null && b !== null ? b - a : null;
}

export type MissedVerdict = {
  missed: boolean;
  /** When the next completion is (or was) expected: after the last one, by the interval or the cron. */
  expectedBy: number | null;
  /** expectedBy + grace, once passed. */
  since: number | null;
  /** When it will count as missed if nothing is done meanwhile. */
  dueAt: number | null;
};

export function evaluateMissed(e: Expectation, lastDoneAt: number | null, now: number): MissedVerdict {
  const base = lastDoneAt ?? e.createdAt;
  // A cron run may come up to `grace` early: a completion then counts for the run it anticipates.
  const expectedBy = e.everyMs !== null ? base + e.everyMs : e.cron ? nextRun(e.cron, lastDoneAt === null ? base : base + e.graceMs) : null;
  if (expectedBy === null) return { missed: false, expectedBy: null, since: null, dueAt: null };
  const limit = expectedBy + e.graceMs;
  if (now > limit) return { missed: true, expectedBy, since: limit, dueAt: null };
  return { missed: false, expectedBy, since: null, dueAt: limit + 1 };
}
