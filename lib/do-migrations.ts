// Versioned migrations for a Durable Object's own SQLite, so a changed column or a new table
// reaches a seed that already has data. Each migration runs once, in its own transaction, in
// version order; the version reached is stored in the database itself.
//
// Why a table and not `PRAGMA user_version`: workerd's SQLite refuses that pragma
// (`not authorized: SQLITE_AUTH`, workerd 1.20261102), so the version lives in a one-row table.

/** The parts of a Durable Object's SQL storage this needs (structural: lib/ is also compiled for Node). */
export type MigrationSql = { exec(query: string, ...bindings: (string | number | null)[]): { toArray(): Record<string, unknown>[] } };
export type MigrationStorage = { sql: MigrationSql; transactionSync<T>(fn: () => T): T };

export type Migration = {
  /** 1, 2, 3 … without gaps; never renumber one that has shipped. */
  version: number;
  name: string;
  /** Statements, or a function for work that needs reads (backfills). */
  up: readonly string[] | ((sql: MigrationSql) => void);
};

const VERSION_TABLE = "schema_version";

export function schemaVersion(sql: MigrationSql): number {
  sql.exec(`CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)`);
  return (sql.exec(`SELECT version FROM ${VERSION_TABLE} WHERE id = 1`).toArray()[0]?.version as number | undefined) ?? 0;
}

/** Applies every migration above the stored version; returns the versions applied. */
export function migrate(storage: MigrationStorage, migrations: readonly Migration[]): number[] {
  const sql = storage.sql;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const applied: number[] = [];
  let current = schemaVersion(sql);
  if (current > migrations.length) throw new Error(`the database is at schema version ${current}, newer than this code (${migrations.length}): refusing to run an older build on it`);
  for (const m of migrations.slice(current)) {
    storage.transactionSync(() => {
      if (typeof m.up === "function") m.up(sql);
      else for (const stmt of m.up) sql.exec(stmt);
      sql.exec(`INSERT INTO ${VERSION_TABLE} (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version`, m.version);
    });
    current = m.version;
    applied.push(m.version);
  }
  return applied;
}
