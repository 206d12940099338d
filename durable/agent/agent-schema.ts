// The Agent object's own SQLite: versioned migrations, so a changed table reaches an existing seed.
// Append a new entry; never edit one that shipped. The version lives in a table of its own:
// workerd refuses `PRAGMA user_version` in a Durable Object's SQLite (SQLITE_AUTH).
export const AGENT_MIGRATIONS: string[][] = [
  [
    // One run per dispatch of a task (`<taskId>#<attempt>`): its state, budgets and what the mind
    // has still to be told.
    `CREATE TABLE runs (
      id TEXT PRIMARY KEY,
      task_id TEXT NOT NULL,
      task TEXT NOT NULL,
      state TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      started_at INTEGER,
      deadline_at INTEGER,
      waiting_since INTEGER,
      finished_at INTEGER,
      steps INTEGER NOT NULL DEFAULT 0,
      tokens_in INTEGER NOT NULL DEFAULT 0,
      tokens_out INTEGER NOT NULL DEFAULT 0,
      tool_calls INTEGER NOT NULL DEFAULT 0,
      failures INTEGER NOT NULL DEFAULT 0,
      retry_at INTEGER,
      outcome TEXT,
      reported INTEGER NOT NULL DEFAULT 1,
      reason TEXT
    )`,
    "CREATE INDEX runs_by_state ON runs (state, received_at)",
    // The conversation, one OpenAI chat message per row.
    "CREATE TABLE messages (run_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, seq))",
    // Every tool call the model asked for, and its recorded result: a recorded call never runs again.
    `CREATE TABLE calls (
      run_id TEXT NOT NULL,
      call_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      name TEXT NOT NULL,
      args TEXT NOT NULL,
      state TEXT NOT NULL,
      approval_id TEXT,
      decision_reason TEXT,
      result TEXT,
      started_at INTEGER,
      finished_at INTEGER,
      PRIMARY KEY (run_id, call_id)
    )`,
    "CREATE UNIQUE INDEX calls_by_approval ON calls (approval_id) WHERE approval_id IS NOT NULL",
    `CREATE TABLE usage_days (
      day TEXT PRIMARY KEY,
      tokens_in INTEGER NOT NULL DEFAULT 0,
      tokens_out INTEGER NOT NULL DEFAULT 0,
      steps INTEGER NOT NULL DEFAULT 0,
      tool_calls INTEGER NOT NULL DEFAULT 0,
      tasks_done INTEGER NOT NULL DEFAULT 0,
      tasks_failed INTEGER NOT NULL DEFAULT 0,
      cost REAL
    )`,
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  ],
];

/** Applies the migrations the database has not seen, each in its own transaction. */
export function migrate(storage: DurableObjectStorage, migrations: string[][]): void {
  const sql = storage.sql;
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const version = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0]?.version ?? 0;
  for (let v = version; v < migrations.length; v++) {
    storage.transactionSync(() => {
      for (const stmt of migrations[v]!) sql.exec(stmt);
      sql.exec("DELETE FROM schema_version");
      sql.exec("INSERT INTO schema_version (version) VALUES (?)", v + 1);
    });
  }
}
