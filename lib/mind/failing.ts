// When a subsystem counts as failing: among its recent outcomes, failures dominate. Pure.

/** The evidence: outcomes in the window, or at least this many of the latest ones. */
export const FAILING_LAST_OUTCOMES = 5;
/** Fewer outcomes than this are not evidence enough to call anything failing. */
export const FAILING_MIN_OUTCOMES = 3;

/** One finished task: when, and how it ended. */
export type Outcome = { at: number; state: "done" | "failed" | "expired" };

export type OutcomeCounts = { done: number; failed: number; expired: number; ratio: number | null };

export type FailingVerdict = {
  failing: boolean;
  /** The first failure after the last success (or the first failure in the evidence). */
  since: number | null;
  /** Finished work in the window (at most the sample read). */
  window: OutcomeCounts;
  /** What the verdict was made on: the window's outcomes, or the latest 5 when the window has fewer. */
  evidence: OutcomeCounts;
};

export function counts(outcomes: Outcome[]): OutcomeCounts {
  const c = { done: 0, failed: 0, expired: 0 };
  for (const o of outcomes) c[o.state]++;
  const n = c.done + c.failed + c.expired;
  return { ...c, ratio: n === 0 ? null : c.done / n };
}

/**
 * `newestFirst` is the subsystem's latest outcomes, newest first. Failing when the evidence holds
 * at least 3 outcomes and more of them failed or expired than were done. `firstFailureAfterLastDone`
 * (when the caller looked further back than the sample) makes `since` exact for long failure runs.
 */
export function evaluateFailing(newestFirst: Outcome[], now: number, windowMs: number, firstFailureAfterLastDone: number | null = null): FailingVerdict {
  const inWindow = newestFirst.filter((o) => o.at > now - windowMs);
  const evidenceList = inWindow.length >= FAILING_LAST_OUTCOMES ? inWindow : newestFirst.slice(0, FAILING_LAST_OUTCOMES);
  const window = counts(inWindow);
  const evidence = counts(evidenceList);
  const n = evidence.done + evidence.failed + evidence.expired;
  const failing = n >= FAILING_MIN_OUTCOMES && evidence.failed + evidence.expired > evidence.done;
  if (!failing) return { failing, since: null, window, evidence };
  let since: number | null = firstFailureAfterLastDone;
  if (since === null) {
    // Walk back from the newest outcome to the last success: the failure run starts after it.
    for (const o of newestFirst) {
      if (o.state === "done") break;
      since = o.at;
    }
  }
  if (since === null) since = Math.min(...evidenceList.filter((o) => o.state !== "done").map((o) => o.at));
  return { failing, since, window, evidence };
}
