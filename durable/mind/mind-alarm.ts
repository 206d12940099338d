// The alarm: the only thing that runs a cycle. Idempotent (nothing due → no cycle), records every
// cycle in the cycle log, retries a cycle that threw with backoff, and re-arms in `finally`.
import type { Alerts } from "./alerts.ts";
import type { Coherence } from "./coherence.ts";
import type { CronSchedules } from "./cron-schedules.ts";
import { runCycle } from "./cycle.ts";
import type { EventStore } from "./event-store.ts";
import type { Ledger } from "./ledger.ts";
import type { MindIo } from "./mind-io.ts";
import type { Rules } from "./rules.ts";
import { WAKE, type Schedule, type ScheduleRow } from "./schedule.ts";
import type { Settings } from "./settings.ts";

/** The Mind object's parts, as its alarm and views use them. */
export type MindParts = {
  storage: DurableObjectStorage;
  env: Env;
  /** Read on each use: tests replace the Mind's io and clock. */
  readonly io: MindIo;
  now(): number;
  schedule: Schedule;
  settings: Settings;
  ledger: Ledger;
  events: EventStore;
  rules: Rules;
  coherence: Coherence;
  alerts: Alerts;
  crons: CronSchedules;
  awake: { value: boolean };
  arm(): Promise<void>;
};

/** Cycles kept in the log; older rows are dropped as new ones are written. */
export const CYCLE_LOG_KEEP = 10_000;
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 5 * 60_000;

export function triggerSummary(due: ScheduleRow[]): string[] {
  const counts = new Map<string, number>();
  for (const r of due) {
    const kind = r.key.split(":")[0]!;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => (n === 1 ? k : `${k}×${n}`));
}

export async function runAlarm(mind: MindParts): Promise<void> {
  const sql = mind.storage.sql;
  const startedAt = mind.now();
  const due = mind.schedule.due(startedAt);
  if (due.length === 0 || mind.awake.value) {
    await mind.arm();
    return;
  }
  const wakesBefore = mind.schedule.wakes;
  const trigger = triggerSummary(due);
  const cycleId = sql.exec<{ id: number }>("INSERT INTO cycles (started_at, trigger) VALUES (?, ?) RETURNING id", startedAt, JSON.stringify(trigger)).one().id;
  mind.awake.value = true;
  try {
    const out = await runCycle(
      {
        env: mind.env,
        storage: mind.storage,
        ledger: mind.ledger,
        events: mind.events,
        rules: mind.rules,
        settings: mind.settings,
        schedule: mind.schedule,
        coherence: mind.coherence,
        alerts: mind.alerts,
        crons: mind.crons,
        io: mind.io,
        now: () => mind.now(),
      },
      cycleId,
      startedAt,
      due,
    );
    mind.storage.transactionSync(() => {
      const endedAt = mind.now();
      sql.exec("UPDATE cycles SET ended_at = ?, ok = 1, did = ?, pulse = ? WHERE id = ?", endedAt, JSON.stringify(out.did), JSON.stringify(out.pulse), cycleId);
      mind.schedule.consume(due);
      // New input during the cycle, or work left over: one more cycle right away.
      if (out.again || mind.schedule.wakes !== wakesBefore) mind.schedule.set(WAKE, endedAt);
      mind.settings.set("failedCycles", 0);
      mind.settings.delete("firstFailedAt");
      sql.exec("DELETE FROM cycles WHERE id <= ?", cycleId - CYCLE_LOG_KEEP);
      mind.events.prune(endedAt);
    });
  } catch (err) {
    const failures = (mind.settings.get("failedCycles") ?? 0) + 1;
    const endedAt = mind.now();
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    // Only the class name reaches the log; the message (which may quote a remote answer) stays in the cycle log.
    console.error(`mind: cycle ${cycleId} failed (${err instanceof Error ? err.name : "error"}); retrying`);
    mind.storage.transactionSync(() => {
      sql.exec("UPDATE cycles SET ended_at = ?, ok = 0, error = ? WHERE id = ?", endedAt, error.slice(0, 2000), cycleId);
      mind.settings.set("failedCycles", failures);
      if (failures === 1) mind.settings.set("firstFailedAt", startedAt);
      mind.schedule.postpone(startedAt, endedAt + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (failures - 1)));
    });
  } finally {
    mind.awake.value = false;
    await mind.arm();
  }
}
