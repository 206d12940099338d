// What the mind shows: its status, whether it is on time (the watcher watched), its coherence
// report and its cycle log.
import type { CoherenceReport, CycleRecord, MindStatus, Pulse, Watch } from "../../lib/mind/wire.ts";
import { openImports } from "./ledger-import.ts";
import type { MindParts } from "./mind-alarm.ts";
import { allSubsystems, flaggedSubsystems } from "./subsystem-store.ts";

type CycleRow = { id: number; started_at: number; ended_at: number | null; ok: number; trigger: string; did: string | null; pulse: string | null; error: string | null };

const toCycle = (r: CycleRow): CycleRecord => ({
  id: r.id,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  ok: r.ok === 1,
  trigger: JSON.parse(r.trigger) as string[],
  did: r.did ? (JSON.parse(r.did) as Record<string, number>) : {},
  pulse: r.pulse ? (JSON.parse(r.pulse) as Pulse) : null,
  error: r.error,
});

export function cycleLog(sql: SqlStorage, limit: number): CycleRecord[] {
  return sql.exec<CycleRow>("SELECT * FROM cycles ORDER BY id DESC LIMIT ?", limit).toArray().map(toCycle);
}

/** A due alarm may run this late (a busy box, a long cycle) before the mind counts as late. */
export const LATE_AFTER_MS = 60_000;
/** This many failed cycles in a row make the mind late, however soon the next retry is. */
export const FAILING_CYCLES_LATE = 3;

/**
 * Is the watcher on time? Late when a schedule row is overdue by more than a minute (its alarm did
 * not fire), when rows are due and no alarm points at them (it never re-armed), or when cycles
 * keep failing. `lateByMs` counts from the moment the work was due (or the first failed cycle).
 */
export function watchOf(mind: MindParts, alarmAt: number | null): Watch {
  const now = mind.now();
  const dueAt = mind.schedule.earliest();
  const failedCycles = mind.settings.get("failedCycles") ?? 0;
  const last = mind.storage.sql.exec<{ t: number }>("SELECT started_at AS t FROM cycles ORDER BY id DESC LIMIT 1").toArray()[0]?.t ?? null;
  const base = { dueAt, alarmAt, failedCycles, lastCycleAt: last };
  if (failedCycles >= FAILING_CYCLES_LATE) {
    const since = mind.settings.get("firstFailedAt") ?? last ?? now;
    return { ...base, late: true, reason: "cycles_failing", lateByMs: Math.max(0, now - since) };
  }
  if (dueAt !== null && !mind.awake.value) {
    if (alarmAt === null || alarmAt > dueAt) return { ...base, late: true, reason: "alarm_not_armed", lateByMs: Math.max(0, now - dueAt) };
    if (now - dueAt > LATE_AFTER_MS) return { ...base, late: true, reason: "alarm_late", lateByMs: now - dueAt };
  }
  return { ...base, late: false, reason: null, lateByMs: null };
}

export function mindStatus(mind: MindParts, alarmAt: number | null): MindStatus {
  const sql = mind.storage.sql;
  const last = sql.exec<CycleRow>("SELECT * FROM cycles ORDER BY id DESC LIMIT 1").toArray()[0];
  return {
    state: mind.awake.value ? "awake" : "resting",
    mode: mind.settings.mode(),
    cycles: last?.id ?? 0,
    lastCycle: last ? toCycle(last) : null,
    nextWakeAt: mind.schedule.earliest(),
    watch: watchOf(mind, alarmAt),
    openImports: openImports(sql),
  };
}

const HISTORY_LIMIT = 500;
/** The report lists at most this many subsystems (flagged ones first); `flagged` lists them all. */
const SUBSYSTEM_LIMIT = 2000;

export function coherenceReport(mind: MindParts, windowMs: number, alarmAt: number | null): CoherenceReport {
  const now = mind.now();
  const sql = mind.storage.sql;
  const flagged = flaggedSubsystems(sql);
  const history = sql
    .exec<CycleRow>("SELECT * FROM cycles WHERE started_at >= ? AND pulse IS NOT NULL ORDER BY id DESC LIMIT ?", now - windowMs, HISTORY_LIMIT)
    .toArray()
    .reverse()
    .map((r) => {
      const p = JSON.parse(r.pulse!) as Pulse;
      return { cycle: r.id, at: r.started_at, C: p.C, drift: p.drift, backlog: p.backlog, regime: p.regime, signal: p.signal };
    });
  return {
    at: now,
    mode: mind.settings.mode(),
    watch: watchOf(mind, alarmAt),
    pulse: mind.coherence.pulseNow(now, windowMs),
    flagged,
    stalled: flagged.filter((s) => s.stalled),
    subsystems: allSubsystems(sql, SUBSYSTEM_LIMIT),
    history,
  };
}
