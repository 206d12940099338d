// The mind's pure logic: smoothing, regimes, stalls, templates, durations, sparklines.
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../lib/mind/duration.ts";
import { eventTypeMatches } from "../../lib/mind/event-type.ts";
import { ewmaUpdate, FAST_ALPHA, SLOW_ALPHA, smooth } from "../../lib/mind/ewma.ts";
import { backlogIsHigh, regimeOf } from "../../lib/mind/regime.ts";
import { sparkline } from "../../lib/mind/sparkline.ts";
import { DEFAULT_STALL_MS, evaluateStall, MIN_STALL_MS, paceOf, stallThreshold, typicalInterval } from "../../lib/mind/stall.ts";
import { evaluateFailing, type Outcome } from "../../lib/mind/failing.ts";
import { defaultGrace, evaluateMissed } from "../../lib/mind/expectation.ts";
import { checkCron, CronError, nextRun, runsBetween } from "../../lib/mind/cron.ts";
import { checkTemplate, renderTemplate, TemplateError } from "../../lib/mind/template.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe("EWMA of the completion ratio", () => {
  it("a window of n outcomes moves the average as n single outcomes would", () => {
    let one = 1;
    for (let i = 0; i < 5; i++) one = ewmaUpdate(one, 0, 1, FAST_ALPHA);
    expect(ewmaUpdate(1, 0, 5, FAST_ALPHA)).toBeCloseTo(one, 12);
    expect(ewmaUpdate(1, 0, 5, FAST_ALPHA)).toBeCloseTo(0.8 ** 5, 12);
  });

  it("starts at the first ratio, keeps its value with no outcomes, and fast moves more than slow", () => {
    expect(ewmaUpdate(null, 0.75, 4, FAST_ALPHA)).toBe(0.75);
    expect(ewmaUpdate(0.5, 1, 0, FAST_ALPHA)).toBe(0.5);
    const s = smooth({ fast: 1, slow: 1 }, { done: 0, failed: 3, expired: 1 });
    expect(s.fast!).toBeCloseTo(0.8 ** 4, 12);
    expect(s.slow!).toBeCloseTo(0.98 ** 4, 12);
    expect(s.fast! - s.slow!).toBeLessThan(0); // drift turns negative first
    expect(smooth(s, { done: 0, failed: 0, expired: 0 })).toEqual(s);
    expect(SLOW_ALPHA).toBeLessThan(FAST_ALPHA);
  });
});

describe("regimes", () => {
  it("maps completion and backlog to flow, coercion, chaos and stall; no outcomes is no signal", () => {
    expect(regimeOf({ signal: true, C: 0.95, backlog: 2, doneInWindow: 40 })).toBe("flow");
    expect(regimeOf({ signal: true, C: 0.95, backlog: 200, doneInWindow: 40 })).toBe("coercion");
    expect(regimeOf({ signal: true, C: 0.3, backlog: 2, doneInWindow: 40 })).toBe("chaos");
    expect(regimeOf({ signal: true, C: 0.3, backlog: 200, doneInWindow: 40 })).toBe("stall");
    expect(regimeOf({ signal: false, C: 0.99, backlog: 0, doneInWindow: 0 })).toBe("no_signal");
    expect(regimeOf({ signal: true, C: null, backlog: 0, doneInWindow: 0 })).toBe("no_signal");
  });

  it("is never flow while a subsystem is stalled, missed or failing", () => {
    const healthy = { signal: true, C: 0.95, backlog: 2, doneInWindow: 40 };
    expect(regimeOf({ ...healthy, flagged: { stalled: 0, failing: 0, missed: 0 } })).toBe("flow");
    expect(regimeOf({ ...healthy, flagged: { stalled: 1, failing: 0, missed: 0 } })).toBe("stall");
    expect(regimeOf({ ...healthy, flagged: { stalled: 0, failing: 0, missed: 1 } })).toBe("stall");
    expect(regimeOf({ ...healthy, flagged: { stalled: 0, failing: 1, missed: 0 } })).toBe("chaos");
    expect(regimeOf({ ...healthy, backlog: 200, flagged: { stalled: 2, failing: 1, missed: 0 } })).toBe("stall");
  });

  it("a backlog is high above the floor and above what the window completed", () => {
    expect(backlogIsHigh(10, 0)).toBe(false);
    expect(backlogIsHigh(11, 0)).toBe(true);
    expect(backlogIsHigh(50, 60)).toBe(false);
  });
});

describe("stalls", () => {
  it("learns the typical interval as the median gap between completions", () => {
    expect(typicalInterval([])).toBeNull();
    expect(typicalInterval([5])).toBeNull();
    expect(typicalInterval([30 * DAY, 0, 10 * DAY, 20 * DAY])).toBe(10 * DAY);
    expect(typicalInterval([0, HOUR, 2 * HOUR, 30 * DAY])).toBe(HOUR);
    expect(typicalInterval([0, 1, 3, 6])).toBe(2);
  });

  it("thresholds: factor times the interval, never under the floor; a default without history", () => {
    expect(stallThreshold(DAY)).toBe(3 * DAY);
    expect(stallThreshold(1000)).toBe(MIN_STALL_MS);
    expect(stallThreshold(null)).toBe(DEFAULT_STALL_MS);
  });

  it("flags open work without progress past the threshold; `since` is when it crossed the threshold, not when the work arrived", () => {
    const now = 100 * DAY;
    const stoppedAt = now - 30 * DAY;
    expect(evaluateStall({ open: 30, waitingSince: stoppedAt, lastProgressAt: stoppedAt, paceMs: DAY, missedDeadlineAt: null }, now)).toEqual({ stalled: true, since: stoppedAt + 3 * DAY, reason: "no_progress", thresholdMs: 3 * DAY, dueAt: null });
    // Waiting work that arrived long after the last progress counts from its arrival.
    expect(evaluateStall({ open: 1, waitingSince: now - 2 * DAY, lastProgressAt: now - 60 * DAY, paceMs: DAY, missedDeadlineAt: null }, now)).toEqual({ stalled: false, since: null, reason: null, thresholdMs: 3 * DAY, dueAt: now + DAY + 1 });
    // Idle with nothing to do is not stalled, however long ago it last worked.
    expect(evaluateStall({ open: 0, waitingSince: null, lastProgressAt: now - 90 * DAY, paceMs: DAY, missedDeadlineAt: null }, now)).toEqual({ stalled: false, since: null, reason: null, thresholdMs: 3 * DAY, dueAt: null });
  });

  it("a pace needs evidence: 5 intervals to learn one (else the default), and a declared one wins", () => {
    const times = (n: number, gap: number) => Array.from({ length: n }, (_, i) => 1_000_000 + i * gap);
    // `reports`: two completions ever → one interval → no learned pace, low confidence.
    expect(paceOf(times(2, HOUR), null)).toEqual({ ms: null, basis: "default", intervals: 1, confidence: "low" });
    expect(paceOf(times(5, HOUR), null)).toMatchObject({ ms: null, basis: "default", intervals: 4 });
    expect(paceOf(times(6, HOUR), null)).toEqual({ ms: HOUR, basis: "learned", intervals: 5, confidence: "medium" });
    expect(paceOf(times(21, HOUR), null)).toEqual({ ms: HOUR, basis: "learned", intervals: 20, confidence: "high" });
    expect(paceOf(times(2, HOUR), 7 * DAY)).toEqual({ ms: 7 * DAY, basis: "declared", intervals: 1, confidence: "high" });
    // With the default pace, one new task waiting 4 h is not stalled (the `reports` defect).
    expect(evaluateStall({ open: 1, waitingSince: 0, lastProgressAt: -200 * DAY, paceMs: paceOf(times(2, HOUR), null).ms, missedDeadlineAt: null }, 4 * HOUR).stalled).toBe(false);
  });

  it("flags a missed deadline until the next progress", () => {
    const now = 10 * DAY;
    expect(evaluateStall({ open: 0, waitingSince: null, lastProgressAt: now - DAY, paceMs: null, missedDeadlineAt: now - HOUR }, now)).toMatchObject({ stalled: true, since: now - HOUR, reason: "missed_deadline" });
    expect(evaluateStall({ open: 0, waitingSince: null, lastProgressAt: now - 1000, paceMs: null, missedDeadlineAt: now - HOUR }, now).stalled).toBe(false);
  });
});

describe("failing", () => {
  const run = (states: Outcome["state"][], end: number, gap: number): Outcome[] => states.map((state, i) => ({ at: end - i * gap, state }));

  it("failures dominating the window flag it, since the first failure after the last success", () => {
    const now = 100 * DAY;
    // `ingest`: every 2 h, done until 5 days ago, failed every time since (newest first).
    const outcomes = [...run(Array(60).fill("failed"), now - HOUR, 2 * HOUR), ...run(Array(100).fill("done"), now - HOUR - 60 * 2 * HOUR, 2 * HOUR)];
    const v = evaluateFailing(outcomes, now, DAY);
    expect(v).toMatchObject({ failing: true, since: now - HOUR - 59 * 2 * HOUR, window: { done: 0, failed: 12, ratio: 0 } });
    // `support`: 1 in 20 failing is not failing.
    const support = run(Array.from({ length: 200 }, (_, i) => (i % 20 === 7 ? "failed" : "done")), now, 15 * 60_000);
    expect(evaluateFailing(support, now, DAY)).toMatchObject({ failing: false, since: null, window: { done: 91, failed: 5 } });
  });

  it("a slow subsystem is judged on its last 5 outcomes; fewer than 3 are no evidence", () => {
    const now = 100 * DAY;
    expect(evaluateFailing(run(["failed", "failed", "failed", "done", "done"], now - DAY, 7 * DAY), now, DAY)).toMatchObject({ failing: true, since: now - DAY - 2 * 7 * DAY, evidence: { done: 2, failed: 3 } });
    expect(evaluateFailing(run(["failed", "failed"], now - DAY, 7 * DAY), now, DAY).failing).toBe(false);
    // The caller's exact start of a long run wins over the sample's oldest failure.
    expect(evaluateFailing(run(Array(5).fill("failed"), now, HOUR), now, DAY, now - 50 * DAY).since).toBe(now - 50 * DAY);
  });
});

describe("expectations and cron", () => {
  it("every N with a grace: missed once the expected moment plus grace has passed, since then", () => {
    const e = { everyMs: HOUR, cron: null, graceMs: 30 * 60_000, createdAt: 50 * DAY };
    const lastDone = 10 * DAY;
    expect(evaluateMissed(e, lastDone, 13 * DAY)).toEqual({ missed: true, expectedBy: lastDone + HOUR, since: lastDone + HOUR + 30 * 60_000, dueAt: null });
    expect(evaluateMissed(e, lastDone, lastDone + HOUR)).toEqual({ missed: false, expectedBy: lastDone + HOUR, since: null, dueAt: lastDone + HOUR + 30 * 60_000 + 1 });
    // Never done: counted from when the expectation was declared.
    expect(evaluateMissed(e, null, 50 * DAY + 2 * HOUR)).toMatchObject({ missed: true, expectedBy: 50 * DAY + HOUR });
    expect(defaultGrace(7 * DAY)).toBe(HOUR);
    expect(defaultGrace(HOUR)).toBe(30 * 60_000);
    expect(defaultGrace(60_000)).toBe(60_000);
  });

  it("cron: next runs in a time zone, a completion a little early counts for its run, a bad expression is refused", () => {
    const fri = Date.UTC(2100, 0, 15, 12); // a Friday, noon UTC
    const spec = { cron: "0 9 * * FRI", tz: "UTC" };
    expect(nextRun(spec, fri)).toBe(Date.UTC(2100, 0, 22, 9));
    expect(nextRun({ cron: "0 9 * * *", tz: "Europe/Paris" }, fri)).toBe(Date.UTC(2100, 0, 16, 8));
    expect(runsBetween({ cron: "0 * * * *", tz: "UTC" }, fri, fri + 5 * HOUR)).toEqual({ count: 5, last: fri + 5 * HOUR });
    const e = { everyMs: null, cron: spec, graceMs: HOUR, createdAt: 0 };
    // Done at 08:50 on the 22nd: that counts for the 09:00 run, the next is expected a week later.
    expect(evaluateMissed(e, Date.UTC(2100, 0, 22, 8, 50), Date.UTC(2100, 0, 22, 12)).expectedBy).toBe(Date.UTC(2100, 0, 29, 9));
    expect(() => checkCron({ cron: "61 * * * *", tz: "UTC" })).toThrow(CronError);
    expect(() => checkCron({ cron: "0 9 * * *", tz: "Mars/Base" })).toThrow(/Mars\/Base/);
    expect(() => checkCron({ cron: "* * * * * *", tz: "UTC" })).toThrow(CronError);
  });
});

describe("templates, durations, event types, sparklines", () => {
  it("renders placeholders from the event; missing values are empty; bad templates are refused", () => {
    const ctx = { type: "order.paid", data: { order: 42, lines: [{ sku: "A" }], customer: { name: "Ada" } } };
    expect(renderTemplate("ship {{data.order}} ({{ data.customer.name }}) {{data.lines.0.sku}} {{data.nope}}|{{type}}", ctx)).toBe("ship 42 (Ada) A |order.paid");
    expect(renderTemplate("{{data.customer}}", ctx)).toBe('{"name":"Ada"}');
    expect(renderTemplate("{{data.constructor}}{{data.__proto__}}", ctx)).toBe("");
    expect(() => checkTemplate("fine {{a.b}}")).not.toThrow();
    expect(() => checkTemplate("broken {{a b}}")).toThrow(TemplateError);
    expect(() => checkTemplate("half {{a")).toThrow(TemplateError);
  });

  it("parses and formats durations", () => {
    expect(parseDuration("24h")).toBe(DAY);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1.5m")).toBe(90_000);
    expect(parseDuration("7d")).toBe(7 * DAY);
    expect(parseDuration("250")).toBe(250);
    for (const bad of ["", "h", "-1h", "0", "1y", "soon"]) expect(parseDuration(bad), bad).toBeNull();
    expect(formatDuration(30 * DAY)).toBe("30d");
    expect(formatDuration(90_000)).toBe("1.5m");
  });

  it("matches event types exactly or by glob", () => {
    expect(eventTypeMatches("invoice.paid", "invoice.paid")).toBe(true);
    expect(eventTypeMatches("invoice.paid", "invoice.paidx")).toBe(false);
    expect(eventTypeMatches("invoice.*", "invoice.paid")).toBe(true);
    expect(eventTypeMatches("invoice.*", "invoicexpaid")).toBe(false);
    expect(eventTypeMatches("*", "anything")).toBe(true);
  });

  it("draws a sparkline with dots for no signal", () => {
    expect(sparkline([0, 0.5, 1, null, 0.99])).toBe("▁▅█·█");
  });
});
