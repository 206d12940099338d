// What the mind shows: its status, its coherence report and its cycle log.
import type { CoherenceReport, CycleRecord, MindStatus, Pulse } from "../../lib/mind/wire.ts";
import type { MindParts } from "./mind-alarm.ts";

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

export function mindStatus(mind: MindParts): MindStatus {
  const sql = mind.storage.sql;
  const last = sql.exec<CycleRow>("SELECT * FROM cycles ORDER BY id DESC LIMIT 1").toArray()[0];
  return {
    state: mind.awake.value ? "awake" : "resting",
    mode: mind.settings.mode(),
    cycles: last?.id ?? 0,
    lastCycle: last ? toCycle(last) : null,
    nextWakeAt: mind.schedule.earliest(),
  };
}

const HISTORY_LIMIT = 500;

export function coherenceReport(mind: MindParts, windowMs: number): CoherenceReport {
  const now = mind.now();
  const subsystems = mind.coherence.all();
  const history = mind.storage.sql
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
    pulse: mind.coherence.pulseNow(now, windowMs),
    stalled: subsystems.filter((s) => s.stalled),
    subsystems,
    history,
  };
}
