// Recurring work: each schedule makes a task at the times of its cron expression, driven by the
// mind's one alarm (a `cron:<name>` schedule row at its next run — nothing runs in between).
// After downtime the runs it missed are caught up once — one task, noting how many runs it stands
// for — and the next run is on time again, never a burst of N tasks.
import { nextRun, runsBetween } from "../../lib/mind/cron.ts";
import type { Mode, ScheduleInfo, ScheduleInput } from "../../lib/mind/wire.ts";
import type { Ledger } from "./ledger.ts";
import { MindFailure } from "./result.ts";
import type { Schedule } from "./schedule.ts";

export const cronKey = (name: string) => `cron:${name}`;

type Row = { name: string; cron: string; tz: string; capability: string; title: string; payload: string | null; priority: number | null; deadline_in_ms: number | null; created_at: number; next_at: number | null; last_run_at: number | null; runs: number; missed_runs: number };

const toInfo = (r: Row): ScheduleInfo => ({
  name: r.name,
  cron: r.cron,
  tz: r.tz,
  capability: r.capability,
  title: r.title,
  ...(r.payload === null ? {} : { payload: JSON.parse(r.payload) as unknown }),
  ...(r.priority === null ? {} : { priority: r.priority }),
  ...(r.deadline_in_ms === null ? {} : { deadlineInMs: r.deadline_in_ms }),
  createdAt: r.created_at,
  nextAt: r.next_at,
  lastRunAt: r.last_run_at,
  runs: r.runs,
  missedRuns: r.missed_runs,
});

export class CronSchedules {
  readonly sql: SqlStorage;
  readonly schedule: Schedule;
  readonly now: () => number;

  constructor(sql: SqlStorage, schedule: Schedule, now: () => number) {
    this.sql = sql;
    this.schedule = schedule;
    this.now = now;
  }

  put(input: ScheduleInput): { schedule: ScheduleInfo; created: boolean } {
    const now = this.now();
    const next = nextRun({ cron: input.cron, tz: input.tz }, now);
    if (next === null) throw new MindFailure(422, "invalid_input", `cron: ${input.cron} never runs again`);
    const existed = this.get(input.name) !== null;
    this.sql.exec(
      `INSERT INTO cron_schedules (name, cron, tz, capability, title, payload, priority, deadline_in_ms, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, tz = excluded.tz, capability = excluded.capability, title = excluded.title,
         payload = excluded.payload, priority = excluded.priority, deadline_in_ms = excluded.deadline_in_ms, next_at = excluded.next_at`,
      input.name, input.cron, input.tz, input.capability, input.title, input.payload === undefined ? null : JSON.stringify(input.payload),
      input.priority ?? null, input.deadlineInMs ?? null, now, next,
    );
    this.schedule.set(cronKey(input.name), next);
    return { schedule: this.get(input.name)!, created: !existed };
  }

  get(name: string): ScheduleInfo | null {
    const r = this.sql.exec<Row>("SELECT * FROM cron_schedules WHERE name = ?", name).toArray()[0];
    return r ? toInfo(r) : null;
  }

  list(): ScheduleInfo[] {
    return this.sql.exec<Row>("SELECT * FROM cron_schedules ORDER BY name").toArray().map(toInfo);
  }

  remove(name: string): boolean {
    this.schedule.remove(cronKey(name));
    return this.sql.exec("DELETE FROM cron_schedules WHERE name = ?", name).rowsWritten > 0;
  }

  /** The schedules whose rows came due: one task each (a catch-up counts its missed runs), then the next run. */
  run(ledger: Ledger, names: string[], _mode: Mode): { created: number; missed: number } {
    const now = this.now();
    let created = 0;
    let missed = 0;
    for (const name of names) {
      const r = this.sql.exec<Row>("SELECT * FROM cron_schedules WHERE name = ?", name).toArray()[0];
      if (!r || r.next_at === null || r.next_at > now) continue;
      const spec = { cron: r.cron, tz: r.tz };
      // Every run time from the one that was due up to now: more than one means the seed was down.
      const later = runsBetween(spec, r.next_at, now);
      const runs = 1 + later.count;
      const scheduledFor = later.last ?? r.next_at;
      const skipped = runs - 1;
      const note = skipped > 0 ? `caught up: ${runs} runs from ${new Date(r.next_at).toISOString()} to ${new Date(scheduledFor).toISOString()} were missed while the seed was down; this one task stands for them` : null;
      const payload = r.payload === null ? undefined : (JSON.parse(r.payload) as unknown);
      const task = ledger.create(
        {
          title: r.title,
          capability: r.capability,
          payload: { schedule: r.name, scheduledFor, ...(skipped > 0 ? { missedRuns: skipped } : {}), ...(payload === undefined ? {} : { payload }) } as never,
          ...(r.priority === null ? {} : { priority: r.priority }),
          ...(r.deadline_in_ms === null ? {} : { deadlineInMs: r.deadline_in_ms }),
        },
        `schedule:${r.name}`,
        { source: `schedule:${r.name}`, origin: "schedule", wake: false },
      );
      if (note) ledger.sql.exec("UPDATE task_events SET note = ? WHERE task_id = ? AND state = 'open'", note, task.id);
      const next = nextRun(spec, now);
      this.sql.exec("UPDATE cron_schedules SET next_at = ?, last_run_at = ?, runs = runs + 1, missed_runs = missed_runs + ? WHERE name = ?", next, now, skipped, name);
      if (next !== null) this.schedule.set(cronKey(name), next);
      else this.schedule.remove(cronKey(name));
      created++;
      missed += skipped;
    }
    return { created, missed };
  }
}
