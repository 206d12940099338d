// What `seed pulse` prints for a signal, for no signal, and for a stalled subsystem.
import { describe, expect, it } from "vitest";
import type { CoherenceReport, MindStatus } from "../../lib/mind/wire.ts";
import { pulseLines } from "../../scripts/cli/mind-pulse.ts";

const DAY = 86_400_000;
const now = Date.UTC(2026, 10, 26, 12);
const status: MindStatus = { state: "resting", mode: "observe", cycles: 12, lastCycle: null, nextWakeAt: now + 5 * 60_000 };
const window = { ms: DAY, done: 40, failed: 3, expired: 1, ratio: 40 / 44 };

function report(over: Partial<CoherenceReport> = {}): CoherenceReport {
  return {
    at: now,
    mode: "observe",
    pulse: { signal: "ok", C: 0.93, slow: 0.9, drift: 0.03, backlog: 3, regime: "flow", window },
    stalled: [],
    subsystems: [],
    history: [0.5, 0.9, null, 1].map((C, i) => ({ cycle: i + 1, at: now - (4 - i) * 1000, C, drift: 0, backlog: 1, regime: "flow" as const, signal: C === null ? ("no_signal" as const) : ("ok" as const) })),
    ...over,
  };
}

describe("seed pulse", () => {
  it("prints the state, the signal with a sparkline of its history, and no stalls", () => {
    expect(pulseLines(status, report())).toEqual([
      "mind     resting · observe · 12 cycles · next wake 2026-11-26T12:05:00.000Z (in 5m)",
      "pulse    C 0.93 · slow 0.90 · drift +0.03 · backlog 3 · regime flow · window 1d: 40 done, 3 failed, 1 expired",
      "history  ▅█·█  (C over the last 4 cycles, · = no signal)",
      "stalled  none",
    ]);
  });

  it("says 'no signal' rather than healthy, and names a stalled subsystem with its date", () => {
    const lines = pulseLines({ ...status, nextWakeAt: null }, report({
      pulse: { signal: "no_signal", C: 0.99, slow: 0.99, drift: 0, backlog: 30, regime: "no_signal", window: { ms: DAY, done: 0, failed: 0, expired: 0, ratio: null } },
      stalled: [{ kind: "capability", name: "invoices", open: 30, lastProgressAt: now - 30 * DAY, typicalIntervalMs: DAY, stalled: true, stalledSince: now - 30 * DAY, reason: "no_progress" }],
    }));
    expect(lines[0]).toContain("nothing due: no alarm armed");
    expect(lines[1]).toBe('pulse    no signal — nothing finished in the window (not "healthy"); backlog 30 · window 1d: 0 done, 0 failed, 0 expired');
    expect(lines.at(-1)).toBe("stalled  capability invoices since 2026-10-27T12:00:00.000Z (30d ago) · 30 open · no progress; typical interval 1d");
  });
});
