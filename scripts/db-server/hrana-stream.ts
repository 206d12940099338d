// One Hrana stream: the SQL connection state a client sees across pipelines. It borrows a pooled
// connection while it works or keeps a transaction open, holds the write lock from its first
// write until the connection is back in autocommit, and enforces read-only transactions.
import type { ConnectionPool, PooledConnection } from "./connection-pool.ts";
import { StreamRequestError } from "./errors.ts";
import type { GroupCommit } from "./group-commit.ts";
import type { SqlRef } from "./hrana-types.ts";
import type { BudgetLimits } from "./request-budget.ts";
import type { StatementKind } from "./sql-analysis.ts";
import { SqlStore } from "./sql-store.ts";
import type { StatementEnv } from "./statement-runner.ts";
import type { WriteLock } from "./write-lock.ts";

export interface StreamContext extends StatementEnv {
  readonly pool: ConnectionPool;
  readonly lock: WriteLock;
  readonly writeLockTimeoutMs: number;
  readonly groupCommit: GroupCommit;
  readonly budget: BudgetLimits;
  /** Largest result one read may build. */
  readonly maxResultBytes: number;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
  /** Logs errors that are neither SQLite's nor the server's own (i.e. bugs). */
  readonly reportUnexpected: (error: unknown) => void;
}

export class HranaStream {
  readonly id: number;
  readonly #ctx: StreamContext;
  #conn: PooledConnection | undefined;
  #holdsLock = false;
  #queryOnly = false;
  #closed = false;
  readonly #sql = new SqlStore();

  constructor(id: number, ctx: StreamContext) {
    this.id = id;
    this.#ctx = ctx;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get inTransaction(): boolean {
    return this.#conn !== undefined && this.#conn.db.inTransaction;
  }

  get holdsLock(): boolean {
    return this.#holdsLock;
  }

  /** The stream's connection carries state of its own (TEMP objects, PRAGMA settings), so its
   * statements must run on it and nowhere else. */
  get hasPrivateState(): boolean {
    return this.#conn !== undefined && this.#conn.dirty;
  }

  connection(): PooledConnection {
    if (this.#closed) throw new StreamRequestError("The stream is closed", "STREAM_CLOSED");
    this.#conn ??= this.#ctx.pool.acquire();
    return this.#conn;
  }

  storeSql(sqlId: number, sql: string): void {
    this.#sql.store(sqlId, sql);
  }

  closeSql(sqlId: number): void {
    this.#sql.close(sqlId);
  }

  resolveSql(ref: SqlRef): string {
    return this.#sql.resolve(ref);
  }

  /**
   * Takes the write lock if `kind` needs it. Inside a transaction the stream either holds the
   * lock already or is in a read-only transaction, where a write fails in SQLite on its own.
   */
  async lockFor(kind: StatementKind): Promise<void> {
    if (this.#holdsLock || kind === "read" || kind === "begin-readonly" || kind === "end") return;
    if (this.inTransaction) return;
    // A stream waiting for its turn holds no connection: with many writers queued, the pool
    // would otherwise run dry (503) while nobody but the lock holder could use one.
    if (this.#conn !== undefined && !this.#conn.dirty) {
      this.#ctx.pool.release(this.#conn);
      this.#conn = undefined;
    }
    await this.#ctx.lock.acquire(this, this.#ctx.writeLockTimeoutMs, () =>
      this.#ctx.log("write_lock_wait", { stream: this.id }),
    );
    this.#holdsLock = true;
  }

  /** Called right after BEGIN TRANSACTION READONLY succeeded. */
  enterReadOnly(): void {
    const conn = this.connection();
    conn.db.exec("PRAGMA query_only=ON");
    this.#queryOnly = true;
  }

  /** Bookkeeping after every statement: once the connection is back in autocommit (COMMIT,
   * ROLLBACK, or an error that ended the transaction) the lock and read-only mode go. */
  settle(): void {
    const conn = this.#conn;
    if (conn === undefined || conn.db.inTransaction) return;
    if (this.#queryOnly) {
      this.#queryOnly = false;
      try {
        conn.db.exec("PRAGMA query_only=OFF");
      } catch {
        conn.dirty = true; // never hand a read-only connection to another stream
      }
    }
    if (this.#holdsLock) {
      this.#holdsLock = false;
      this.#ctx.lock.release(this);
    }
  }

  /** Between pipelines: give the connection back unless a transaction or state of the stream's
   * own (TEMP objects, PRAGMA settings) keeps it; such a connection is closed with the stream. */
  park(): void {
    this.settle();
    const conn = this.#conn;
    if (conn !== undefined && !conn.db.inTransaction && !conn.dirty) {
      this.#conn = undefined;
      this.#ctx.pool.release(conn);
    }
  }

  /** Rolls back whatever is open and releases the connection and the lock. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn !== undefined) {
      if (conn.db.inTransaction) {
        try {
          conn.db.exec("ROLLBACK");
        } catch {
          conn.dirty = true;
        }
      }
      if (this.#queryOnly) {
        this.#queryOnly = false;
        conn.dirty = true;
      }
      if (conn.db.inTransaction) conn.dirty = true;
      if (conn.dirty) this.#ctx.pool.discard(conn);
      else this.#ctx.pool.release(conn);
    }
    if (this.#holdsLock) {
      this.#holdsLock = false;
      this.#ctx.lock.release(this);
    }
    this.#sql.clear();
  }
}
