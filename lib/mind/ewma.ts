// Smoothing of the completion ratio. Each finished task (done, failed or expired) is one
// observation, so the smoothing does not depend on how often cycles run: a window of n outcomes
// with ratio r moves the average as n observations of r would.

/** Fast: about the last 10 outcomes. Slow: about the last 100. */
export const FAST_ALPHA = 0.2;
export const SLOW_ALPHA = 0.02;

export function ewmaUpdate(previous: number | null, ratio: number, outcomes: number, alpha: number): number {
  if (outcomes <= 0) return previous ?? ratio;
  if (previous === null) return ratio;
  const keep = (1 - alpha) ** outcomes;
  return keep * previous + (1 - keep) * ratio;
}

export type Smoothed = { fast: number | null; slow: number | null };

export function smooth(prev: Smoothed, outcomes: { done: number; failed: number; expired: number }): Smoothed {
  const n = outcomes.done + outcomes.failed + outcomes.expired;
  if (n === 0) return prev;
  const ratio = outcomes.done / n;
  return { fast: ewmaUpdate(prev.fast, ratio, n, FAST_ALPHA), slow: ewmaUpdate(prev.slow, ratio, n, SLOW_ALPHA) };
}
