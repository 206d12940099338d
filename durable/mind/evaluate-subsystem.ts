// Evaluating one subsystem: read its facts from the ledger (open work, its latest outcomes, its
// expectation) and judge them with the pure rules in lib/mind (stall, failing, missed). A handful
// of indexed reads, whatever the size of the ledger.
import { checkKey, splitKey, type SubsystemRow } from "./subsystem-store.ts";
import { OPEN_WORK } from "./task-row.ts";
import { evaluateFailing, type Outcome } from "../../lib/mind/failing.ts";
import { declaredPace, evaluateMissed, type Expectation } from "../../lib/mind/expectation.ts";
import { evaluateStall, PACE_SAMPLE, paceOf } from "../../lib/mind/stall.ts";
import type { Subsystem, SubsystemFlag, SubsystemKind } from "../../lib/mind/wire.ts";

/** The latest outcomes read per subsystem: the window's (at most this many) and the pace's. */
export const OUTCOME_SAMPLE = 500;
/** The window a subsystem's own outcomes are judged over. */
export const SUBSYSTEM_WINDOW_MS = 24 * 3_600_000;

const COLUMN: Record<SubsystemKind, "capability" | "source" | "assignee"> = { capability: "capability", source: "source", agent: "assignee" };

type ExpectationRow = { every_ms: number | null; cron: string | null; tz: string | null; grace_ms: number; created_at: number };

export function expectationOf(sql: SqlStorage, key: string): Expectation | null {
  const r = sql.exec<ExpectationRow>("SELECT every_ms, cron, tz, grace_ms, created_at FROM expectations WHERE key = ?", key).toArray()[0];
  if (!r) return null;
  return { everyMs: r.every_ms, cron: r.cron === null ? null : { cron: r.cron, tz: r.tz ?? "UTC" }, graceMs: r.grace_ms, createdAt: r.created_at };
}

export type Evaluation = { report: Subsystem; checkAt: number | null };

export function evaluateSubsystem(sql: SqlStorage, row: SubsystemRow, now: number): Evaluation {
  const { kind, name } = splitKey(row.key);
  const col = COLUMN[kind];
  // Open work: for an agent, what it was handed (and when); otherwise what waits (and since when).
  const open = sql
    .exec<{ n: number; since: number | null; p: number | null }>(
      kind === "agent"
        ? "SELECT COUNT(*) AS n, MIN(assigned_at) AS since, MAX(progress_at) AS p FROM tasks WHERE assignee = ? AND state IN ('dispatched', 'claimed')"
        : `SELECT COUNT(*) AS n, MIN(created_at) AS since, MAX(progress_at) AS p FROM tasks WHERE ${col} = ? AND ${OPEN_WORK}`,
      name,
    )
    .one();
  const outcomes = sql
    .exec<Outcome>(`SELECT finished_at AS at, state FROM tasks WHERE ${col} = ? AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?`, name, OUTCOME_SAMPLE)
    .toArray();
  const full = outcomes.length === OUTCOME_SAMPLE;
  let doneTimes = outcomes.filter((o) => o.state === "done").slice(0, PACE_SAMPLE).map((o) => o.at);
  // A long run of failures can push the completions out of the sample: look for them directly.
  if (full && doneTimes.length < PACE_SAMPLE) {
    doneTimes = sql
      .exec<{ at: number }>(`SELECT finished_at AS at FROM tasks WHERE ${col} = ? AND finished_at IS NOT NULL AND state = 'done' ORDER BY finished_at DESC LIMIT ?`, name, PACE_SAMPLE)
      .toArray()
      .map((r) => r.at);
  }
  const lastDoneAt = doneTimes[0] ?? null;
  // Activity is progress on open work, a completion, or a failure reported by whoever did the work.
  const lastActive = outcomes.find((o) => o.state !== "expired")?.at ?? null;
  const lastProgressAt = maxOf(open.p, lastActive, lastDoneAt);

  const expectation = expectationOf(sql, row.key);
  const pace = paceOf(doneTimes, expectation ? declaredPace(expectation, now) : null);
  const stall = evaluateStall({ open: open.n, waitingSince: open.since, lastProgressAt, paceMs: pace.ms, missedDeadlineAt: row.missed_deadline_at }, now);
  let runStart: number | null = null;
  if (full && !outcomes.some((o) => o.state === "done")) {
    runStart = sql
      .exec<{ t: number | null }>(`SELECT MIN(finished_at) AS t FROM tasks WHERE ${col} = ? AND finished_at IS NOT NULL AND finished_at > ?`, name, lastDoneAt ?? -1)
      .one().t;
  }
  const failing = evaluateFailing(outcomes, now, SUBSYSTEM_WINDOW_MS, runStart);
  const missed = expectation ? evaluateMissed(expectation, lastDoneAt, now) : null;

  const flags: SubsystemFlag[] = [];
  if (stall.stalled) flags.push("stalled");
  if (failing.failing) flags.push("failing");
  if (missed?.missed) flags.push("missed");
  const report: Subsystem = {
    kind,
    name,
    flags,
    open: open.n,
    waitingSince: open.since,
    lastProgressAt,
    lastDoneAt,
    pace,
    stalled: stall.stalled,
    stalledSince: stall.since,
    stallReason: stall.reason,
    stallThresholdMs: stall.thresholdMs,
    failing: failing.failing,
    failingSince: failing.since,
    outcomes: { windowMs: SUBSYSTEM_WINDOW_MS, window: failing.window, evidence: failing.evidence },
    expectation: expectation
      ? { everyMs: expectation.everyMs, cron: expectation.cron?.cron ?? null, tz: expectation.cron?.tz ?? null, graceMs: expectation.graceMs, expectedBy: missed?.expectedBy ?? null }
      : null,
    missed: missed?.missed ?? false,
    missedSince: missed?.since ?? null,
    evaluatedAt: now,
  };
  const checks = [stall.dueAt, missed?.dueAt ?? null].filter((x): x is number => x !== null);
  return { report, checkAt: checks.length ? Math.min(...checks) : null };
}

function maxOf(...xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
}

export { checkKey };
