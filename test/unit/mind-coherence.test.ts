// The mind's pure logic: smoothing, regimes, stalls, templates, durations, sparklines.
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../lib/mind/duration.ts";
import { eventTypeMatches } from "../../lib/mind/event-type.ts";
import { ewmaUpdate, FAST_ALPHA, SLOW_ALPHA, smooth } from "../../lib/mind/ewma.ts";
import { backlogIsHigh, regimeOf } from "../../lib/mind/regime.ts";
import { sparkline } from "../../lib/mind/sparkline.ts";
import { DEFAULT_STALL_MS, evaluateStall, MIN_STALL_MS, stallThreshold, typicalInterval } from "../../lib/mind/stall.ts";
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

  it("flags open work without progress past the threshold, since the later of last progress and arrival", () => {
    const now = 100 * DAY;
    const stalledSince = now - 30 * DAY;
    expect(evaluateStall({ open: 30, waitingSince: stalledSince, lastProgressAt: stalledSince, typicalMs: DAY, missedDeadlineAt: null }, now)).toEqual({ stalled: true, since: stalledSince, reason: "no_progress", dueAt: null });
    // Waiting work that arrived long after the last progress counts from its arrival.
    expect(evaluateStall({ open: 1, waitingSince: now - 2 * DAY, lastProgressAt: now - 60 * DAY, typicalMs: DAY, missedDeadlineAt: null }, now)).toEqual({ stalled: false, since: null, reason: null, dueAt: now + DAY + 1 });
    // Idle with nothing to do is not stalled, however long ago it last worked.
    expect(evaluateStall({ open: 0, waitingSince: null, lastProgressAt: now - 90 * DAY, typicalMs: DAY, missedDeadlineAt: null }, now)).toEqual({ stalled: false, since: null, reason: null, dueAt: null });
  });

  it("flags a missed deadline until the next progress", () => {
    const now = 10 * DAY;
    expect(evaluateStall({ open: 0, waitingSince: null, lastProgressAt: now - DAY, typicalMs: null, missedDeadlineAt: now - HOUR }, now)).toMatchObject({ stalled: true, since: now - HOUR, reason: "missed_deadline" });
    expect(evaluateStall({ open: 0, waitingSince: null, lastProgressAt: now - 1000, typicalMs: null, missedDeadlineAt: now - HOUR }, now).stalled).toBe(false);
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
