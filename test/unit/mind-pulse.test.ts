// What `seed pulse` prints: the signal, the watcher's own timeliness, no signal, and each flag.
import { describe, expect, it } from "vitest";
import type { CoherenceReport, MindStatus, Subsystem, Watch } from "../../lib/mind/wire.ts";
import { pulseLines } from "../../scripts/cli/mind-pulse.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const now = Date.UTC(2026, 10, 26, 12);
const onTime: Watch = { late: false, reason: null, lateByMs: null, dueAt: now + 5 * 60_000, alarmAt: now + 5 * 60_000, failedCycles: 0, lastCycleAt: now - 1000 };
const status: MindStatus = { state: "resting", mode: "observe", cycles: 12, lastCycle: null, nextWakeAt: now + 5 * 60_000, watch: onTime, openImports: 0 };
const window = { ms: DAY, done: 40, failed: 3, expired: 1, ratio: 40 / 44 };
const none = { stalled: 0, failing: 0, missed: 0 };

function report(over: Partial<CoherenceReport> = {}): CoherenceReport {
  return {
    at: now,
    mode: "observe",
    watch: onTime,
    pulse: { signal: "ok", C: 0.93, slow: 0.9, drift: 0.03, backlog: 3, regime: "flow", flagged: none, window },
    flagged: [],
    stalled: [],
    subsystems: [],
    history: [0.5, 0.9, null, 1].map((C, i) => ({ cycle: i + 1, at: now - (4 - i) * 1000, C, drift: 0, backlog: 1, regime: "flow" as const, signal: C === null ? ("no_signal" as const) : ("ok" as const) })),
    ...over,
  };
}

const counts = (done: number, failed: number) => ({ done, failed, expired: 0, ratio: done + failed ? done / (done + failed) : null });

function sub(over: Partial<Subsystem>): Subsystem {
  return {
    kind: "capability", name: "x", flags: [], open: 0, waitingSince: null, lastProgressAt: null, lastDoneAt: null,
    pace: { ms: DAY, basis: "learned", intervals: 30, confidence: "high" },
    stalled: false, stalledSince: null, stallReason: null, stallThresholdMs: 3 * DAY, failing: false, failingSince: null,
    outcomes: { windowMs: DAY, window: counts(0, 0), evidence: counts(0, 0) }, expectation: null, missed: false, missedSince: null, evaluatedAt: now,
    ...over,
  };
}

describe("seed pulse", () => {
  it("prints the state, that the mind is on time, the signal with a sparkline, and no flags", () => {
    expect(pulseLines(status, report())).toEqual([
      "mind     resting · observe · 12 cycles · next wake 2026-11-26T12:05:00.000Z (in 5m)",
      "watch    on time",
      "pulse    C 0.93 · slow 0.90 · drift +0.03 · backlog 3 · regime flow · window 1d: 40 done, 3 failed, 1 expired",
      "history  ▅█·█  (C over the last 4 cycles, · = no signal)",
      "flagged  none",
    ]);
  });

  it("says 'no signal' rather than healthy, says how late the mind is, and names every flag with its dates", () => {
    const late: Watch = { ...onTime, late: true, reason: "alarm_late", lateByMs: 5 * 60_000, dueAt: now - 5 * 60_000 };
    const lines = pulseLines({ ...status, nextWakeAt: null, watch: late }, report({
      watch: late,
      pulse: { signal: "no_signal", C: 0.99, slow: 0.99, drift: 0, backlog: 30, regime: "no_signal", flagged: { stalled: 1, failing: 1, missed: 1 }, window: { ms: DAY, done: 0, failed: 0, expired: 0, ratio: null } },
      flagged: [
        sub({ name: "invoices", flags: ["stalled"], open: 30, waitingSince: now - 30 * DAY, stalled: true, stalledSince: now - 27 * DAY, stallReason: "no_progress" }),
        sub({ name: "ingest", flags: ["failing"], failing: true, failingSince: now - 5 * DAY, outcomes: { windowMs: DAY, window: counts(0, 12), evidence: counts(0, 12) } }),
        sub({ name: "archive", flags: ["missed"], missed: true, missedSince: now - 3 * DAY + 2 * HOUR, lastDoneAt: now - 3 * DAY, expectation: { everyMs: HOUR, cron: null, tz: null, graceMs: HOUR, expectedBy: now - 3 * DAY + HOUR } }),
      ],
    }));
    expect(lines[0]).toContain("nothing due: no alarm armed");
    expect(lines[1]).toBe("watch    LATE by 5m: its alarm did not fire when work was due (alarm_late)");
    expect(lines[2]).toBe('pulse    no signal — nothing finished in the window (not "healthy"); backlog 30 · window 1d: 0 done, 0 failed, 0 expired · 1 stalled, 1 failing, 1 missed');
    expect(lines.slice(-3)).toEqual([
      "flagged  capability invoices STALLED since 2026-10-30T12:00:00.000Z (27d ago) · 30 open, waiting since 2026-10-27T12:00:00.000Z · no progress past 3d; pace 1d learned, high confidence",
      "flagged  capability ingest FAILING since 2026-11-21T12:00:00.000Z (5d ago) · 12 of 12 recent outcomes failed",
      "flagged  capability archive MISSED since 2026-11-23T14:00:00.000Z (2.9d ago) · expected every 1h, last done 2026-11-23T12:00:00.000Z",
    ]);
  });
});
