// The Mind object's own SQLite schema as versioned migrations (lib/do-migrations.ts): a seed made
// by an older build is brought forward at start. Never edit a migration that has shipped; add one.
// Indexes are chosen so a cycle reads what changed and what is open, never the whole history.
import type { Migration } from "../../lib/do-migrations.ts";

/** Version 1: the schema as first shipped (every statement idempotent, so existing seeds pass). */
const V1 = [
  `CREATE TABLE IF NOT EXISTS tasks (
     id TEXT PRIMARY KEY,
     title TEXT NOT NULL,
     capability TEXT NOT NULL,
     payload TEXT,
     source TEXT NOT NULL,
     priority INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     deadline INTEGER,
     state TEXT NOT NULL,
     assignee TEXT,
     assigned_at INTEGER,
     attempts INTEGER NOT NULL DEFAULT 0,
     lease_until INTEGER,
     progress_at INTEGER,
     done_at INTEGER,
     result TEXT,
     reason TEXT,
     event_id TEXT,
     updated_at INTEGER NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS tasks_dispatch ON tasks (state, priority DESC, created_at)`,
  `CREATE INDEX IF NOT EXISTS tasks_state_created ON tasks (state, created_at)`,
  `CREATE INDEX IF NOT EXISTS tasks_capability_state ON tasks (capability, state, created_at)`,
  `CREATE INDEX IF NOT EXISTS tasks_capability_progress ON tasks (capability, progress_at)`,
  `CREATE INDEX IF NOT EXISTS tasks_source_progress ON tasks (source, progress_at)`,
  `CREATE INDEX IF NOT EXISTS tasks_assignee_progress ON tasks (assignee, progress_at)`,
  `CREATE INDEX IF NOT EXISTS tasks_capability_done ON tasks (capability, done_at) WHERE done_at IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS tasks_source_done ON tasks (source, done_at) WHERE done_at IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS tasks_assignee_done ON tasks (assignee, done_at) WHERE done_at IS NOT NULL`,
  // Every state change (and heartbeat) with its time; seq is the cycle's cursor into "what changed".
  `CREATE TABLE IF NOT EXISTS task_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     task_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     state TEXT NOT NULL,
     actor TEXT NOT NULL,
     note TEXT
   )`,
  `CREATE INDEX IF NOT EXISTS task_events_task ON task_events (task_id, seq)`,
  // Finished work per hour: the coherence window is a sum over a few rows, whatever the history.
  `CREATE TABLE IF NOT EXISTS outcome_hours (
     hour INTEGER PRIMARY KEY,
     done INTEGER NOT NULL DEFAULT 0,
     failed INTEGER NOT NULL DEFAULT 0,
     expired INTEGER NOT NULL DEFAULT 0
   )`,
  // The truth about when the mind must wake; the alarm is only ever set to the earliest row.
  `CREATE TABLE IF NOT EXISTS schedule (key TEXT PRIMARY KEY, due_at INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS schedule_due ON schedule (due_at)`,
  `CREATE TABLE IF NOT EXISTS hook_sources (
     name TEXT PRIMARY KEY,
     scheme TEXT NOT NULL,
     secret TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS hook_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     source TEXT NOT NULL,
     delivery_id TEXT NOT NULL,
     type TEXT NOT NULL,
     body TEXT NOT NULL,
     received_at INTEGER NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     error TEXT,
     handled_at INTEGER,
     tasks TEXT,
     next_attempt_at INTEGER
   )`,
  `CREATE UNIQUE INDEX IF NOT EXISTS hook_events_delivery ON hook_events (source, delivery_id)`,
  `CREATE INDEX IF NOT EXISTS hook_events_state ON hook_events (state, seq)`,
  `CREATE INDEX IF NOT EXISTS hook_events_handled ON hook_events (state, handled_at)`,
  `CREATE TABLE IF NOT EXISTS rules (
     id TEXT PRIMARY KEY,
     source TEXT NOT NULL,
     event TEXT NOT NULL,
     capability TEXT NOT NULL,
     title TEXT NOT NULL,
     priority INTEGER,
     deadline_in_ms INTEGER,
     created_at INTEGER NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS rules_source ON rules (source)`,
  `CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS cycles (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     started_at INTEGER NOT NULL,
     ended_at INTEGER,
     ok INTEGER NOT NULL DEFAULT 0,
     trigger TEXT NOT NULL,
     did TEXT,
     pulse TEXT,
     error TEXT
   )`,
  `CREATE INDEX IF NOT EXISTS cycles_started ON cycles (started_at)`,
  // Per subsystem: what the last evaluation found, so flags and alerts change only on transitions.
  `CREATE TABLE IF NOT EXISTS subsystems (
     key TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     open INTEGER NOT NULL DEFAULT 0,
     last_progress_at INTEGER,
     typical_ms INTEGER,
     missed_deadline_at INTEGER,
     stalled INTEGER NOT NULL DEFAULT 0,
     stalled_since INTEGER,
     reason TEXT,
     dirty INTEGER NOT NULL DEFAULT 0,
     updated_at INTEGER NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS subsystems_watch ON subsystems (key) WHERE open > 0 OR stalled = 1 OR dirty = 1`,
];

/**
 * Version 2 (issue 10): every finished task has `finished_at`; a task records its `origin` and the
 * caller's `label`; subsystems keep their last evaluation (flags, pace, outcomes) and are
 * re-evaluated only when marked dirty; expectations, cron schedules, imports as units, alerts and
 * their outbox. Per-subsystem indexes serve "open work" and "latest outcomes".
 */
const V2 = [
  `ALTER TABLE tasks ADD COLUMN finished_at INTEGER`,
  `ALTER TABLE tasks ADD COLUMN label TEXT`,
  `ALTER TABLE tasks ADD COLUMN origin TEXT NOT NULL DEFAULT 'api'`,
  `UPDATE tasks SET finished_at = COALESCE(done_at, updated_at) WHERE state IN ('done', 'failed', 'expired')`,
  `UPDATE tasks SET origin = 'rule' WHERE event_id IS NOT NULL`,
  `UPDATE tasks SET origin = 'import' WHERE id IN (SELECT task_id FROM task_events WHERE actor = 'import')`,
  `DROP INDEX IF EXISTS tasks_capability_progress`,
  `DROP INDEX IF EXISTS tasks_source_progress`,
  `DROP INDEX IF EXISTS tasks_assignee_progress`,
  `DROP INDEX IF EXISTS tasks_capability_done`,
  `DROP INDEX IF EXISTS tasks_source_done`,
  `DROP INDEX IF EXISTS tasks_assignee_done`,
  `CREATE INDEX tasks_source_state ON tasks (source, state, created_at)`,
  `CREATE INDEX tasks_assignee_state ON tasks (assignee, state, assigned_at)`,
  `CREATE INDEX tasks_capability_finished ON tasks (capability, finished_at, state) WHERE finished_at IS NOT NULL`,
  `CREATE INDEX tasks_source_finished ON tasks (source, finished_at, state) WHERE finished_at IS NOT NULL`,
  `CREATE INDEX tasks_assignee_finished ON tasks (assignee, finished_at, state) WHERE finished_at IS NOT NULL`,
  `CREATE INDEX tasks_finished ON tasks (finished_at, state) WHERE finished_at IS NOT NULL`,
  // A subsystem's last evaluation as its report entry (JSON); dirty 1 = evaluate at the next
  // cycle, 2 = touched by an import still open (evaluated when the import finishes).
  `DROP TABLE subsystems`,
  `CREATE TABLE subsystems (
     key TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     report TEXT,
     flagged INTEGER NOT NULL DEFAULT 0,
     dirty INTEGER NOT NULL DEFAULT 0,
     missed_deadline_at INTEGER,
     updated_at INTEGER NOT NULL
   )`,
  `CREATE INDEX subsystems_dirty ON subsystems (dirty) WHERE dirty > 0`,
  `CREATE INDEX subsystems_flagged ON subsystems (flagged) WHERE flagged = 1`,
  `INSERT OR IGNORE INTO subsystems (key, kind, name, dirty, updated_at) SELECT DISTINCT 'capability:' || capability, 'capability', capability, 1, 0 FROM tasks`,
  `INSERT OR IGNORE INTO subsystems (key, kind, name, dirty, updated_at) SELECT DISTINCT 'source:' || source, 'source', source, 1, 0 FROM tasks`,
  `INSERT OR IGNORE INTO subsystems (key, kind, name, dirty, updated_at) SELECT DISTINCT 'agent:' || assignee, 'agent', assignee, 1, 0 FROM tasks WHERE assignee IS NOT NULL`,
  `DELETE FROM schedule WHERE key LIKE 'stall:%'`,
  `DELETE FROM settings WHERE key IN ('ledgerCursor', 'smoothed')`,
  `CREATE TABLE expectations (
     key TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     every_ms INTEGER,
     cron TEXT,
     tz TEXT,
     grace_ms INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   )`,
  `CREATE TABLE cron_schedules (
     name TEXT PRIMARY KEY,
     cron TEXT NOT NULL,
     tz TEXT NOT NULL,
     capability TEXT NOT NULL,
     title TEXT NOT NULL,
     payload TEXT,
     priority INTEGER,
     deadline_in_ms INTEGER,
     created_at INTEGER NOT NULL,
     next_at INTEGER,
     last_run_at INTEGER,
     runs INTEGER NOT NULL DEFAULT 0,
     missed_runs INTEGER NOT NULL DEFAULT 0
   )`,
  `CREATE TABLE imports (
     id TEXT PRIMARY KEY,
     started_at INTEGER NOT NULL,
     last_batch_at INTEGER NOT NULL,
     batches INTEGER NOT NULL DEFAULT 0,
     imported INTEGER NOT NULL DEFAULT 0,
     skipped INTEGER NOT NULL DEFAULT 0,
     finished_at INTEGER,
     ended TEXT
   )`,
  `CREATE INDEX imports_open ON imports (last_batch_at) WHERE finished_at IS NULL`,
  // One row per condition of a subsystem (or a quarantined event) while it lasts; reminders back off.
  `CREATE TABLE alerts (
     key TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     condition TEXT NOT NULL,
     kind TEXT,
     name TEXT,
     since INTEGER,
     opened_at INTEGER NOT NULL,
     closed_at INTEGER,
     sends INTEGER NOT NULL DEFAULT 0,
     next_reminder_at INTEGER
   )`,
  `CREATE INDEX alerts_reminder ON alerts (next_reminder_at) WHERE closed_at IS NULL`,
  // What must still reach the bus topic and the webhook; a delivery keeps its id across retries.
  `CREATE TABLE alert_outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     body TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     bus_sent INTEGER NOT NULL DEFAULT 0,
     hook_state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     last_error TEXT
   )`,
];

/**
 * Version 3: indexes over open work only hold open rows (partial), so finished history — most of
 * the ledger, and all of a typical import — does not pay for them.
 */
const V3 = [
  `DROP INDEX IF EXISTS tasks_dispatch`,
  `DROP INDEX IF EXISTS tasks_source_state`,
  `DROP INDEX IF EXISTS tasks_assignee_state`,
  `CREATE INDEX tasks_open ON tasks (priority DESC, created_at) WHERE state = 'open'`,
  `CREATE INDEX tasks_source_open ON tasks (source, created_at) WHERE state IN ('open', 'dispatched', 'claimed')`,
  `CREATE INDEX tasks_assignee_open ON tasks (assignee, assigned_at) WHERE state IN ('dispatched', 'claimed')`,
];

/**
 * Version 4: GitHub signs only the body, so a captured delivery replayed with a new
 * X-GitHub-Delivery (or another X-GitHub-Event) is the same signed event: its replay is caught by
 * the body's digest (issue 9 item 6). NULL for schemes that sign their own delivery id.
 */
const V4 = [
  `ALTER TABLE hook_events ADD COLUMN body_digest TEXT`,
  `CREATE UNIQUE INDEX hook_events_body ON hook_events (source, body_digest) WHERE body_digest IS NOT NULL`,
];

/**
 * Version 5: the two indexes by state that still held every row hold open work only, so a finished
 * task — nearly all of an import — is written to the table, its id and the four indexes that
 * read outcomes (one b-tree fewer per index dropped: 100,000 imported tasks took ~0.33 s of
 * workerd CPU per index). Queries on open work repeat the index's condition (OPEN_STATES in
 * task-row.ts) so SQLite may use it; listing finished work by state reads the table.
 */
const V5 = [
  `DROP INDEX IF EXISTS tasks_state_created`,
  `DROP INDEX IF EXISTS tasks_capability_state`,
  `CREATE INDEX tasks_state_open ON tasks (state, created_at) WHERE state IN ('open', 'dispatched', 'claimed')`,
  `CREATE INDEX tasks_capability_open ON tasks (capability, state, created_at) WHERE state IN ('open', 'dispatched', 'claimed')`,
];

export const MIND_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial", up: V1 },
  { version: 2, name: "issue 10: outcomes, expectations, schedules, imports, alerts", up: V2 },
  { version: 3, name: "partial indexes over open work", up: V3 },
  { version: 4, name: "GitHub replays keyed on the signed body's digest", up: V4 },
  { version: 5, name: "indexes by state hold open work only", up: V5 },
];
