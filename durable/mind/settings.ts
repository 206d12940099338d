// Small named values of the mind (mode, planner, cursors, smoothed coherence) as JSON rows.
import type { Mode, PlannerConfig } from "../../lib/mind/wire.ts";
import type { NotifyConfig } from "./alert-delivery.ts";

type Shapes = {
  mode: Mode;
  planner: PlannerConfig;
  /** Consecutive cycles that threw: the retry backs off with it. */
  failedCycles: number;
  /** When the first of those failed cycles started (the watcher says how late the mind is from it). */
  firstFailedAt: number;
  /** The outbound notification webhook (its secret sealed under master.key). */
  notify: NotifyConfig;
  /** How long the mind's cycle memories are kept (days). */
  memoryDays: number;
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
