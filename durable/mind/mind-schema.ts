// The Mind object's own SQLite schema. Applied in the constructor; every statement is idempotent.
// Indexes are chosen so a cycle reads what changed and what is open, never the whole history.
export const MIND_SCHEMA = [
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
