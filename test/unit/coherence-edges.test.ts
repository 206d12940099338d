// The coherence arithmetic at its boundaries (complements mind-coherence.test.ts): the exact
// moment a subsystem becomes stalled, failing or missed, ties between reasons, and the constants
// the README promises (3 paces, at least 10 min, 24 h without a pace, 80% completion, a floor of 10).
import { describe, expect, it } from "vitest";
import { declaredPace, defaultGrace, evaluateMissed } from "../../lib/mind/expectation.ts";
import { counts, evaluateFailing, FAILING_LAST_OUTCOMES, FAILING_MIN_OUTCOMES, type Outcome } from "../../lib/mind/failing.ts";
import { BACKLOG_FLOOR, backlogIsHigh, COMPLETION_HIGH, regimeOf } from "../../lib/mind/regime.ts";
import { DEFAULT_STALL_MS, evaluateStall, HIGH_CONFIDENCE_INTERVALS, MIN_PACE_INTERVALS, MIN_STALL_MS, paceOf, PACE_SAMPLE, STALL_FACTOR, stallThreshold, typicalInterval } from "../../lib/mind/stall.ts";

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe("the promised constants", () => {
  it("3 paces, at least 10 minutes, 24 hours without a pace; 5 and 20 intervals; 80%; 10 waiting; 5 and 3 outcomes", () => {
    expect([STALL_FACTOR, MIN_STALL_MS, DEFAULT_STALL_MS]).toEqual([3, 10 * MIN, 24 * HOUR]);
    expect([MIN_PACE_INTERVALS, HIGH_CONFIDENCE_INTERVALS, PACE_SAMPLE]).toEqual([5, 20, 33]);
    expect([COMPLETION_HIGH, BACKLOG_FLOOR]).toEqual([0.8, 10]);
    expect([FAILING_LAST_OUTCOMES, FAILING_MIN_OUTCOMES]).toEqual([5, 3]);
  });
});

describe("stall boundaries", () => {
  const base = { open: 1, waitingSince: 0, lastProgressAt: 0, paceMs: HOUR, missedDeadlineAt: null };

  it("not stalled at exactly the threshold, stalled one millisecond after, since the threshold", () => {
    expect(evaluateStall(base, 3 * HOUR)).toEqual({ stalled: false, since: null, reason: null, thresholdMs: 3 * HOUR, dueAt: 3 * HOUR + 1 });
    expect(evaluateStall(base, 3 * HOUR + 1)).toEqual({ stalled: true, since: 3 * HOUR, reason: "no_progress", thresholdMs: 3 * HOUR, dueAt: null });
  });

  it("the clock starts at the later of the last progress and the oldest waiting work; no progress ever counts from the work", () => {
    expect(evaluateStall({ ...base, waitingSince: 0, lastProgressAt: 5 * HOUR }, 8 * HOUR).stalled).toBe(false);
    expect(evaluateStall({ ...base, waitingSince: 0, lastProgressAt: 5 * HOUR }, 8 * HOUR + 1).since).toBe(8 * HOUR);
    expect(evaluateStall({ ...base, waitingSince: 2 * HOUR, lastProgressAt: null }, 5 * HOUR + 1).since).toBe(5 * HOUR);
    expect(evaluateStall({ ...base, waitingSince: 2 * HOUR, lastProgressAt: null }, 5 * HOUR).dueAt).toBe(5 * HOUR + 1);
    // Open work with no known arrival cannot be timed: nothing due.
    expect(evaluateStall({ ...base, waitingSince: null }, 100 * DAY)).toMatchObject({ stalled: false, dueAt: null });
  });

  it("a deadline missed exactly at the last progress is not missed; the earlier of two reasons wins, a tie is no_progress", () => {
    expect(evaluateStall({ ...base, open: 0, waitingSince: null, lastProgressAt: HOUR, missedDeadlineAt: HOUR }, DAY).stalled).toBe(false);
    expect(evaluateStall({ ...base, open: 0, waitingSince: null, lastProgressAt: null, missedDeadlineAt: HOUR }, DAY)).toMatchObject({ stalled: true, since: HOUR, reason: "missed_deadline" });
    expect(evaluateStall({ ...base, missedDeadlineAt: 2 * HOUR }, DAY)).toMatchObject({ since: 2 * HOUR, reason: "missed_deadline" });
    expect(evaluateStall({ ...base, missedDeadlineAt: 4 * HOUR }, DAY)).toMatchObject({ since: 3 * HOUR, reason: "no_progress" });
    expect(evaluateStall({ ...base, missedDeadlineAt: 3 * HOUR }, DAY)).toMatchObject({ since: 3 * HOUR, reason: "no_progress" });
    // Progress after the deadline clears it; progress before it does not.
    expect(evaluateStall({ ...base, lastProgressAt: 2 * HOUR, waitingSince: 2 * HOUR, missedDeadlineAt: HOUR }, 3 * HOUR).stalled).toBe(false);
  });

  it("thresholds at the floor; medians of an even number of gaps round half up", () => {
    expect(stallThreshold(4 * MIN)).toBe(12 * MIN);
    expect(stallThreshold((10 * MIN) / 3)).toBe(10 * MIN);
    expect(stallThreshold(3 * MIN)).toBe(10 * MIN);
    expect(typicalInterval([0, 1, 3])).toBe(2); // gaps 1 and 2: 1.5 rounds to 2
    expect(typicalInterval([0, 10, 30, 60, 100])).toBe(25); // gaps 10, 20, 30, 40
    expect(typicalInterval([7, 7])).toBe(0);
  });

  it("completions in any order give the same median gap; gaps are sorted before the middle is taken", () => {
    expect(typicalInterval([100, 0, 60, 10, 30])).toBe(25); // the gaps of 0, 10, 30, 60, 100
    expect(typicalInterval([130, 0, 110, 100])).toBe(20); // gaps 100, 10, 20: the median is 20, not the middle one
    expect(typicalInterval([0, 100, 110, 130, 200])).toBe(45); // gaps 100, 10, 20, 70 → 20 and 70
  });

  it("idle time with nothing open is no stall, however long; a deadline missed at time 0 with no progress ever is missed", () => {
    expect(evaluateStall({ ...base, open: 0, waitingSince: 0, lastProgressAt: null }, 100 * DAY)).toEqual({ stalled: false, since: null, reason: null, thresholdMs: 3 * HOUR, dueAt: null });
    expect(evaluateStall({ ...base, open: 0, waitingSince: null, lastProgressAt: null, missedDeadlineAt: 0 }, DAY)).toMatchObject({ stalled: true, since: 0, reason: "missed_deadline" });
  });

  it("19 intervals are medium confidence, none at all is 0 intervals", () => {
    const times = (n: number) => Array.from({ length: n }, (_, i) => i * HOUR);
    expect(paceOf(times(20), null)).toMatchObject({ basis: "learned", intervals: 19, confidence: "medium" });
    expect(paceOf([], null)).toEqual({ ms: null, basis: "default", intervals: 0, confidence: "low" });
    expect(paceOf([], 0)).toEqual({ ms: 0, basis: "declared", intervals: 0, confidence: "high" });
  });
});

describe("failing boundaries", () => {
  const at = (state: Outcome["state"], t: number): Outcome => ({ at: t, state });
  const now = 100 * DAY;

  it("counts every kind; no outcome is no ratio", () => {
    expect(counts([])).toEqual({ done: 0, failed: 0, expired: 0, ratio: null });
    expect(counts([at("done", 1), at("failed", 2), at("expired", 3), at("done", 4)])).toEqual({ done: 2, failed: 1, expired: 1, ratio: 0.5 });
  });

  it("three outcomes are evidence, a tie is not failing, expired counts as a failure", () => {
    expect(evaluateFailing([at("failed", now - 1), at("failed", now - 2), at("done", now - 3)], now, DAY).failing).toBe(true);
    expect(evaluateFailing([at("expired", now - 1), at("expired", now - 2), at("done", now - 3)], now, DAY).failing).toBe(true);
    expect(evaluateFailing([at("failed", now - 1), at("failed", now - 2), at("done", now - 3), at("done", now - 4)], now, DAY).failing).toBe(false);
    expect(evaluateFailing([at("failed", now - 1), at("failed", now - 2)], now, DAY).failing).toBe(false);
  });

  it("the window excludes an outcome exactly one window old; five in the window are the evidence, four are not", () => {
    const v = evaluateFailing([at("failed", now - 1), at("done", now - DAY)], now, DAY);
    expect(v.window).toMatchObject({ failed: 1, done: 0 });
    const five = [1, 2, 3, 4, 5].map((i) => at("done", now - i));
    const older = [6, 7, 8, 9].map((i) => at("failed", now - DAY - i));
    expect(evaluateFailing([...five, ...older], now, DAY).evidence).toMatchObject({ done: 5, failed: 0 });
    // More than 5 in the window: all of them are the evidence, not the latest 5.
    const seven = [at("done", now - 1), at("done", now - 2), at("done", now - 3), ...[4, 5, 6, 7].map((i) => at("failed", now - i))];
    expect(evaluateFailing(seven, now, DAY)).toMatchObject({ failing: true, evidence: { done: 3, failed: 4 }, since: now - 7 });
    const four = five.slice(0, 4);
    expect(evaluateFailing([...four, ...older], now, DAY).evidence).toMatchObject({ done: 4, failed: 1 });
  });

  it("since: the oldest failure of the newest run; when the newest outcome is a success, the oldest failure in the evidence", () => {
    const run = [at("failed", now - 1), at("expired", now - 2), at("done", now - 3), at("failed", now - 4), at("failed", now - 5)];
    expect(evaluateFailing(run, now, DAY).since).toBe(now - 2);
    const doneFirst = [at("done", now - 1), at("failed", now - 2), at("failed", now - 3), at("failed", now - 4), at("done", now - 5)];
    expect(evaluateFailing(doneFirst, now, DAY)).toMatchObject({ failing: true, since: now - 4 });
    expect(evaluateFailing(run, now, DAY, now - DAY).since).toBe(now - DAY);
  });
});

describe("regime boundaries", () => {
  it("80% completion is completing, a little less is not; a backlog equal to the window's completions is not high", () => {
    expect(regimeOf({ signal: true, C: 0.8, backlog: 0, doneInWindow: 5 })).toBe("flow");
    expect(regimeOf({ signal: true, C: 0.79, backlog: 0, doneInWindow: 5 })).toBe("chaos");
    expect(backlogIsHigh(60, 60)).toBe(false);
    expect(backlogIsHigh(61, 60)).toBe(true);
  });

  it("flags weigh only on flow and coercion: chaos and stall stay as they are", () => {
    const flagged = { stalled: 1, failing: 1, missed: 0 };
    expect(regimeOf({ signal: true, C: 0.3, backlog: 0, doneInWindow: 5, flagged })).toBe("chaos");
    expect(regimeOf({ signal: true, C: 0.3, backlog: 100, doneInWindow: 5, flagged: { stalled: 0, failing: 1, missed: 0 } })).toBe("stall");
    expect(regimeOf({ signal: true, C: 0.95, backlog: 100, doneInWindow: 5, flagged: { stalled: 0, failing: 1, missed: 0 } })).toBe("chaos");
    expect(regimeOf({ signal: true, C: 0.95, backlog: 100, doneInWindow: 5, flagged: { stalled: 0, failing: 0, missed: 0 } })).toBe("coercion");
  });
});

describe("expectation boundaries", () => {
  it("the default grace: half the period, at least a minute, at most an hour, rounded", () => {
    expect(defaultGrace(3 * MIN)).toBe(90_000);
    expect(defaultGrace(125_001)).toBe(62_501);
    expect(defaultGrace(90_000)).toBe(MIN);
    expect(defaultGrace(3 * HOUR)).toBe(HOUR);
  });

  it("the pace an expectation declares: its interval, the gap of its cron, or none", () => {
    expect(declaredPace({ everyMs: 2 * HOUR, cron: null, graceMs: 0, createdAt: 0 }, 0)).toBe(2 * HOUR);
    expect(declaredPace({ everyMs: null, cron: { cron: "0 */6 * * *", tz: "UTC" }, graceMs: 0, createdAt: 0 }, Date.UTC(2100, 0, 1, 1))).toBe(6 * HOUR);
    expect(declaredPace({ everyMs: null, cron: null, graceMs: 0, createdAt: 0 }, 0)).toBeNull();
    // A cron that never runs (30 February) declares no pace.
    expect(declaredPace({ everyMs: null, cron: { cron: "0 0 30 2 *", tz: "UTC" }, graceMs: 0, createdAt: 0 }, Date.UTC(2100, 0, 1))).toBeNull();
  });

  it("missed one millisecond after the expected moment plus grace, not at it; nothing declared is never missed", () => {
    const e = { everyMs: HOUR, cron: null, graceMs: 10 * MIN, createdAt: 0 };
    expect(evaluateMissed(e, DAY, DAY + HOUR + 10 * MIN)).toEqual({ missed: false, expectedBy: DAY + HOUR, since: null, dueAt: DAY + HOUR + 10 * MIN + 1 });
    expect(evaluateMissed(e, DAY, DAY + HOUR + 10 * MIN + 1)).toMatchObject({ missed: true, since: DAY + HOUR + 10 * MIN });
    expect(evaluateMissed({ everyMs: null, cron: null, graceMs: 0, createdAt: 0 }, null, DAY)).toEqual({ missed: false, expectedBy: null, since: null, dueAt: null });
    // A cron never done counts from its declaration, without the grace's head start.
    const c = { everyMs: null, cron: { cron: "0 * * * *", tz: "UTC" }, graceMs: 10 * MIN, createdAt: Date.UTC(2100, 0, 1, 0, 55) };
    expect(evaluateMissed(c, null, Date.UTC(2100, 0, 1, 0, 56)).expectedBy).toBe(Date.UTC(2100, 0, 1, 1));
    expect(evaluateMissed(c, Date.UTC(2100, 0, 1, 0, 55), Date.UTC(2100, 0, 1, 0, 56)).expectedBy).toBe(Date.UTC(2100, 0, 1, 2));
  });
});
