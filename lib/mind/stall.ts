// When a subsystem (a capability, an agent, a source) counts as stalled, and the pace that
// decides it. Pure: the Mind feeds it facts read from its ledger.

/** Stalled after this many paces without progress. */
export const STALL_FACTOR = 3;
/** Never flag sooner than this, however fast a subsystem usually goes. */
export const MIN_STALL_MS = 10 * 60 * 1000;
/** A subsystem whose pace is not known (too little history, nothing declared) gets this much time. */
export const DEFAULT_STALL_MS = 24 * 60 * 60 * 1000;
/** How many recent completions the pace is learned from. */
export const PACE_SAMPLE = 33;
/** A learned pace needs at least this many intervals between completions (6 completions). */
export const MIN_PACE_INTERVALS = 5;
/** From this many intervals on, a learned pace is called highly confident. */
export const HIGH_CONFIDENCE_INTERVALS = 20;

export type Pace = {
  /** The typical time between completions; null when unknown (the default threshold applies). */
  ms: number | null;
  /** declared: the owner's expectation; learned: the median gap of recent completions; default: neither. */
  basis: "declared" | "learned" | "default";
  /** Intervals between the recent completions the pace was (or could have been) learned from. */
  intervals: number;
  /** declared and ≥ 20 intervals: high; 5–19 intervals: medium; the default: low. */
  confidence: "high" | "medium" | "low";
};

/** The median gap between consecutive completions (any order in, at least two needed). */
export function typicalInterval(doneTimes: number[]): number | null {
  if (doneTimes.length < 2) return null;
  const sorted = [...doneTimes].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!);
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  return gaps.length % 2 ? gaps[mid]! : Math.round((gaps[mid - 1]! + gaps[mid]!) / 2);
}

/** The owner's declared pace wins; else a learned one with enough evidence; else none. */
export function paceOf(doneTimes: number[], declaredMs: number | null): Pace {
  const intervals = Math.max(0, doneTimes.length - 1);
  if (declaredMs !== null) return { ms: declaredMs, basis: "declared", intervals, confidence: "high" };
  if (intervals >= MIN_PACE_INTERVALS) {
    return { ms: typicalInterval(doneTimes), basis: "learned", intervals, confidence: intervals >= HIGH_CONFIDENCE_INTERVALS ? "high" : "medium" };
  }
  return { ms: null, basis: "default", intervals, confidence: "low" };
}

export function stallThreshold(paceMs: number | null): number {
  return paceMs === null ? DEFAULT_STALL_MS : Math.max(MIN_STALL_MS, STALL_FACTOR * paceMs);
}

export type StallFacts = {
  open: number;
  /** When the oldest work still waiting arrived (for an agent: when it was handed over). */
  waitingSince: number | null;
  lastProgressAt: number | null;
  paceMs: number | null;
  /** The earliest deadline this subsystem let pass since it last made progress. */
  missedDeadlineAt: number | null;
};

export type StallVerdict = {
  stalled: boolean;
  /** When it crossed the threshold (or let the deadline pass); null when not stalled. */
  since: number | null;
  reason: "no_progress" | "missed_deadline" | null;
  thresholdMs: number;
  /** When it will count as stalled if nothing changes; null if it is already or cannot be. */
  dueAt: number | null;
};

/**
 * Stalled when it has open work and no progress for longer than its threshold (3 paces, at least
 * 10 min; 24 h when the pace is unknown), or when it let a deadline pass and has not progressed
 * since. The clock starts at the later of its last progress and the arrival of the oldest work it
 * is sitting on (idle time with nothing to do is not a stall); `since` is the moment the
 * threshold was crossed.
 */
export function evaluateStall(f: StallFacts, now: number): StallVerdict {
  const thresholdMs = stallThreshold(f.paceMs);
  let noProgress: number | null = null;
  let dueAt: number | null = null;
  if (f.open > 0 && f.waitingSince !== null) {
    const base = Math.max(f.lastProgressAt ?? f.waitingSince, f.waitingSince);
    if (now > base + thresholdMs) noProgress = base + thresholdMs;
    else dueAt = base + thresholdMs + 1;
  }
  const missed = f.missedDeadlineAt !== null && (f.lastProgressAt === null || f.missedDeadlineAt > f.lastProgressAt) ? f.missedDeadlineAt : null;
  if (noProgress === null && missed === null) return { stalled: false, since: null, reason: null, thresholdMs, dueAt };
  if (missed !== null && (noProgress === null || missed < noProgress)) return { stalled: true, since: missed, reason: "missed_deadline", thresholdMs, dueAt: null };
  return { stalled: true, since: noProgress, reason: "no_progress", thresholdMs, dueAt: null };
}
