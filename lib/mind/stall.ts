// When a subsystem (a capability, an agent or a source) counts as stalled. Pure: the Mind feeds
// it facts read from its ledger.

/** Stalled after this many typical intervals without progress. */
export const STALL_FACTOR = 3;
/** Never flag sooner than this, however fast a subsystem usually goes. */
export const MIN_STALL_MS = 10 * 60 * 1000;
/** A subsystem with too little history to learn its pace gets this much time. */
export const DEFAULT_STALL_MS = 24 * 60 * 60 * 1000;
/** How many recent completions the typical interval is learned from. */
export const PACE_SAMPLE = 33;

/** The median gap between consecutive completions (any order in, at least two needed). */
export function typicalInterval(doneTimes: number[]): number | null {
  if (doneTimes.length < 2) return null;
  const sorted = [...doneTimes].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!);
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  return gaps.length % 2 ? gaps[mid]! : Math.round((gaps[mid - 1]! + gaps[mid]!) / 2);
}

export function stallThreshold(typicalMs: number | null): number {
  return typicalMs === null ? DEFAULT_STALL_MS : Math.max(MIN_STALL_MS, STALL_FACTOR * typicalMs);
}

export type StallFacts = {
  open: number;
  /** When the oldest work still waiting arrived (for an agent: when it was handed over). */
  waitingSince: number | null;
  lastProgressAt: number | null;
  typicalMs: number | null;
  /** The earliest deadline this subsystem let pass since it last made progress. */
  missedDeadlineAt: number | null;
};

export type StallVerdict = {
  stalled: boolean;
  since: number | null;
  reason: "no_progress" | "missed_deadline" | null;
  /** When it will count as stalled if nothing changes; null if it is already or cannot be. */
  dueAt: number | null;
};

/**
 * Stalled when it has open work and no progress for longer than its threshold, or when it let a
 * deadline pass and has not progressed since. The stall starts at the later of its last progress
 * and the arrival of the work it is sitting on: idle time with nothing to do is not a stall.
 */
export function evaluateStall(f: StallFacts, now: number): StallVerdict {
  let noProgress: number | null = null;
  let dueAt: number | null = null;
  if (f.open > 0 && f.waitingSince !== null) {
    const base = Math.max(f.lastProgressAt ?? f.waitingSince, f.waitingSince);
    const threshold = stallThreshold(f.typicalMs);
    if (now - base > threshold) noProgress = base;
    else dueAt = base + threshold + 1;
  }
  const missed = f.missedDeadlineAt !== null && (f.lastProgressAt === null || f.missedDeadlineAt > f.lastProgressAt) ? f.missedDeadlineAt : null;
  if (noProgress === null && missed === null) return { stalled: false, since: null, reason: null, dueAt };
  if (missed !== null && (noProgress === null || missed < noProgress)) return { stalled: true, since: missed, reason: "missed_deadline", dueAt: null };
  return { stalled: true, since: noProgress, reason: "no_progress", dueAt: null };
}
