// Connections to the one database file. A stream borrows one for the length of a pipeline, or
// for as long as it keeps a transaction open. Idle connections are kept with their prepared
// statement caches, so the hot path neither opens files nor re-parses SQL, nor asks the driver
// again what it already told us (whether a statement returns rows, and its columns: each a
// native call that showed in profiles).
import Database from "libsql";
import { TooManyConnectionsError } from "./errors.ts";

type NativeDatabase = Database.Database;
type NativeStatement = Database.Statement;

export interface Column {
  name: string;
  decltype: string | null;
}

export interface Prepared {
  readonly stmt: NativeStatement;
  /** Returns rows (SELECT, RETURNING, PRAGMA reads, EXPLAIN). */
  readonly reader: boolean;
  /** Result columns once read; never kept for texts with `*`, whose columns follow the schema. */
  columns: Column[] | undefined;
  readonly keepColumns: boolean;
}

export interface PooledConnection {
  readonly id: number;
  readonly db: NativeDatabase;
  readonly statements: Map<string, Prepared>;
  /** The schema version the cached columns belong to, and when it was last read. */
  schemaVersion: number;
  schemaCheckedAt: number;
  /** Connection-level state was changed (PRAGMA, ATTACH, TEMP objects): never hand it on. */
  dirty: boolean;
}

const SCHEMA_VERSION = "PRAGMA schema_version";
// Reading the schema version is itself a statement (about as dear as asking for the columns), so
// a connection looks at most this often; the server's own schema changes refresh at once.
const SCHEMA_CHECK_MS = 1_000;

export interface ConnectionPoolOptions {
  dbPath: string;
  synchronous: "FULL" | "NORMAL";
  busyTimeoutMs: number;
  maxOpen: number;
  maxIdle: number;
  statementCacheSize: number;
}

function configure(stmt: NativeStatement, sql: string): Prepared {
  stmt.safeIntegers(true);
  const reader = stmt.reader;
  if (reader) stmt.raw(true);
  return { stmt, reader, columns: undefined, keepColumns: !sql.includes("*") };
}

/** The columns of a prepared statement, asked of the driver once where that is safe. */
export function columnsOf(prepared: Prepared): Column[] {
  if (prepared.columns !== undefined) return prepared.columns;
  const columns = prepared.stmt.columns().map((c) => ({ name: c.name, decltype: c.type }));
  if (prepared.keepColumns) prepared.columns = columns;
  return columns;
}

export class ConnectionPool {
  readonly #options: ConnectionPoolOptions;
  readonly #idle: PooledConnection[] = [];
  #open = 0;
  #nextId = 1;
  #closed = false;

  constructor(options: ConnectionPoolOptions) {
    this.#options = options;
    // The first connection switches the file to WAL; the mode is persistent, so later
    // connections only need their per-connection settings.
    const first = this.#openConnection();
    const mode = first.db.prepare("PRAGMA journal_mode=WAL").raw(true).all() as unknown[][];
    if (String(mode[0]?.[0]).toLowerCase() !== "wal") {
      first.db.close();
      throw new Error(`Could not switch ${options.dbPath} to WAL mode`);
    }
    this.#idle.push(first);
  }

  get openCount(): number {
    return this.#open;
  }

  #openConnection(): PooledConnection {
    const db = new Database(this.#options.dbPath);
    try {
      // trusted_schema=OFF: views and triggers may call only functions SQLite marks innocuous,
      // so no schema object can reach readfile()/writefile() on a reader's behalf.
      // recursive_triggers=ON: a REPLACE that deletes a conflicting row fires its DELETE
      // triggers, so `INSERT OR REPLACE` cannot overwrite a row an append-only trigger guards.
      db.exec(
        `PRAGMA busy_timeout=${this.#options.busyTimeoutMs}; PRAGMA synchronous=${this.#options.synchronous}; ` +
          "PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF; PRAGMA recursive_triggers=ON;",
      );
    } catch (error) {
      db.close();
      throw error;
    }
    this.#open++;
    return { id: this.#nextId++, db, statements: new Map(), schemaVersion: -1, schemaCheckedAt: performance.now(), dirty: false };
  }

  acquire(): PooledConnection {
    if (this.#closed) throw new Error("Connection pool is closed");
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      if (performance.now() - idle.schemaCheckedAt >= SCHEMA_CHECK_MS) this.refreshColumns(idle);
      return idle;
    }
    if (this.#open >= this.#options.maxOpen) throw new TooManyConnectionsError(this.#options.maxOpen);
    return this.#openConnection();
  }

  /** Forgets cached result columns if the schema changed since they were read (by anyone,
   * migrations on the file included). Called when a connection is handed out (at most once a
   * second per connection) and after a statement on it changed the schema. */
  refreshColumns(conn: PooledConnection): void {
    conn.schemaCheckedAt = performance.now();
    const version = Number((this.prepare(conn, SCHEMA_VERSION).stmt.get() as unknown[])[0]);
    if (version === conn.schemaVersion) return;
    conn.schemaVersion = version;
    for (const prepared of conn.statements.values()) prepared.columns = undefined;
  }

  /** Takes a connection back. It must be out of any transaction; dirty or surplus ones close. */
  release(conn: PooledConnection): void {
    if (this.#closed || conn.dirty || conn.db.inTransaction || this.#idle.length >= this.#options.maxIdle) {
      this.discard(conn);
      return;
    }
    this.#idle.push(conn);
  }

  discard(conn: PooledConnection): void {
    conn.statements.clear();
    try {
      conn.db.close();
    } catch {
      // already closed or broken; nothing left to release
    }
    this.#open--;
  }

  /** A prepared statement, cached per connection unless `cache` is false (one-off scripts would
   * evict the hot statements); readers return raw rows, and integers always come as bigint so
   * INTEGER and REAL stay distinguishable. */
  prepare(conn: PooledConnection, sql: string, cache = true): Prepared {
    if (!cache) return configure(conn.db.prepare(sql), sql);
    const cached = conn.statements.get(sql);
    if (cached !== undefined) {
      // refresh recency: Map iteration order is insertion order
      conn.statements.delete(sql);
      conn.statements.set(sql, cached);
      return cached;
    }
    const prepared = configure(conn.db.prepare(sql), sql);
    if (conn.statements.size >= this.#options.statementCacheSize) {
      const oldest = conn.statements.keys().next();
      if (oldest.done !== true) conn.statements.delete(oldest.value);
    }
    conn.statements.set(sql, prepared);
    return prepared;
  }

  /** Runs a checkpoint that empties the WAL, then closes every idle connection. Connections
   * still borrowed are closed by their owners through release(). */
  close(): void {
    if (this.#closed) return;
    const conn = this.#idle.pop() ?? this.#openConnection();
    try {
      conn.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } finally {
      this.#closed = true;
      this.discard(conn);
      for (const idle of this.#idle.splice(0)) this.discard(idle);
    }
  }
}
