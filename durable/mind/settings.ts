// Small named values of the mind (mode, planner, cursors, smoothed coherence) as JSON rows.
import type { Mode, PlannerConfig } from "../../lib/mind/wire.ts";
import type { Smoothed } from "../../lib/mind/ewma.ts";

type Shapes = {
  mode: Mode;
  planner: PlannerConfig;
  /** The last task_events seq a cycle measured: the next cycle's window starts after it. */
  ledgerCursor: number;
  smoothed: Smoothed;
  /** Consecutive cycles that threw: the retry backs off with it. */
  failedCycles: number;
  /** Consecutive cycles that found open work no live agent can take. */
  idleDispatches: number;
};

export class Settings {
  readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  get<K extends keyof Shapes>(key: K): Shapes[K] | undefined {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM settings WHERE key = ?", key).toArray()[0];
    return row ? (JSON.parse(row.value) as Shapes[K]) : undefined;
  }

  set<K extends keyof Shapes>(key: K, value: Shapes[K]): void {
    this.sql.exec("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, JSON.stringify(value));
  }

  delete(key: keyof Shapes): void {
    this.sql.exec("DELETE FROM settings WHERE key = ?", key);
  }

  mode(): Mode {
    return this.get("mode") ?? "observe";
  }
}
