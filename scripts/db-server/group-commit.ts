// Group commit for autocommit writes. Every commit costs an fsync (synchronous=FULL), and the
// driver runs on the event loop's thread, so N clients each writing one row would pay N fsyncs
// one after another. Writes that arrive while others are being handled are queued and, at the
// next turn of the event loop, run together in one transaction: each in its own savepoint, so
// one statement's error undoes only that statement, and all are acknowledged only after the one
// COMMIT (and its fsync) succeeded. A lone write runs on its own, exactly as before.
//
// If anything makes the shared transaction unusable — a statement whose conflict clause or
// trigger rolls back the whole transaction, a COMMIT that fails (deferred foreign keys) — the
// group is rolled back and every statement is run again alone, in plain autocommit: none had
// been acknowledged, and none of their effects remained.
//
// Only statements whose stream is about to close are grouped (the official client's execute()
// is [execute, close]): no later statement on that stream can see connection-level state such
// as last_insert_rowid() from a different connection.
import type { ConnectionPool, PooledConnection } from "./connection-pool.ts";
import type { SqlValue, StmtResult } from "./hrana-types.ts";
import type { StatementInfo } from "./sql-analysis.ts";
import type { StatementEnv } from "./statement-runner.ts";
import { runStatement } from "./statement-runner.ts";
import type { WriteLock } from "./write-lock.ts";

interface Pending {
  sql: string;
  info: StatementInfo;
  args: readonly SqlValue[];
  wantRows: boolean;
  resolve: (result: StmtResult) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  readonly env: StatementEnv;
  readonly pool: ConnectionPool;
  readonly lock: WriteLock;
  readonly writeLockTimeoutMs: number;
  readonly maxResultBytes: number;
  /** Most statements one group runs (the event loop is held while a group runs). */
  readonly maxGroup: number;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

type Outcome = { ok: true; result: StmtResult } | { ok: false; error: unknown };

export class GroupCommit {
  readonly #o: GroupCommitOptions;
  readonly #queue: Pending[] = [];
  #running = false;
  /** Groups committed with more than one statement, and the statements in them. */
  groups = 0;
  grouped = 0;

  constructor(options: GroupCommitOptions) {
    this.#o = options;
  }

  submit(sql: string, info: StatementInfo, args: readonly SqlValue[], wantRows: boolean): Promise<StmtResult> {
    return new Promise<StmtResult>((resolve, reject) => {
      this.#queue.push({ sql, info, args, wantRows, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        // let every request that is already readable reach the queue first
        setImmediate(() => void this.#drain());
      }
    });
  }

  /** Statements waiting for the next group. */
  get queued(): number {
    return this.#queue.length;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        try {
          await this.#o.lock.acquire(this, this.#o.writeLockTimeoutMs, () => this.#o.log("write_lock_wait", { stream: "group" }));
        } catch (error) {
          for (const p of this.#queue.splice(0)) p.reject(error);
          continue;
        }
        // everything that queued while the lock was busy joins this group
        const group = this.#queue.splice(0, this.#o.maxGroup);
        try {
          this.#runGroup(group);
        } finally {
          this.#o.lock.release(this);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  #run(conn: PooledConnection, p: Pending): StmtResult {
    return runStatement(this.#o.env, conn, p.sql, p.info, p.args, { wantRows: p.wantRows, maxResultBytes: this.#o.maxResultBytes, cache: true });
  }

  #exec(conn: PooledConnection, sql: string): void {
    this.#o.env.watchdog.guard(() => this.#o.pool.prepare(conn, sql).stmt.run());
  }

  #runGroup(group: Pending[]): void {
    let conn: PooledConnection;
    try {
      conn = this.#o.pool.acquire();
    } catch (error) {
      // every connection is held by an open transaction: the writes fail, clearly (503)
      for (const p of group) p.reject(error);
      return;
    }
    try {
      const outcomes = group.length === 1 ? undefined : this.#together(conn, group);
      if (outcomes === undefined) {
        for (const p of group) this.#settle(p, this.#alone(conn, p));
      } else {
        this.groups++;
        this.grouped += group.length;
        group.forEach((p, i) => this.#settle(p, outcomes[i] ?? { ok: false, error: new Error("missing outcome") }));
      }
    } catch (error) {
      // BEGIN, SAVEPOINT or ROLLBACK itself failed: nothing of the group was acknowledged
      if (conn.db.inTransaction) conn.dirty = true;
      for (const p of group) p.reject(error);
    } finally {
      if (conn.db.inTransaction) conn.dirty = true;
      this.#o.pool.release(conn);
    }
  }

  #settle(p: Pending, outcome: Outcome): void {
    if (outcome.ok) p.resolve(outcome.result);
    else p.reject(outcome.error);
  }

  #alone(conn: PooledConnection, p: Pending): Outcome {
    try {
      return { ok: true, result: this.#run(conn, p) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** All statements in one transaction; undefined when the group must be run one by one. */
  #together(conn: PooledConnection, group: Pending[]): Outcome[] | undefined {
    this.#exec(conn, "BEGIN IMMEDIATE");
    const outcomes: Outcome[] = [];
    for (const p of group) {
      this.#exec(conn, "SAVEPOINT seed_group");
      try {
        outcomes.push({ ok: true, result: this.#run(conn, p) });
        this.#exec(conn, "RELEASE seed_group");
      } catch (error) {
        if (!conn.db.inTransaction) return this.#abandon(conn, "transaction_rolled_back");
        this.#exec(conn, "ROLLBACK TO seed_group");
        this.#exec(conn, "RELEASE seed_group");
        outcomes.push({ ok: false, error });
      }
    }
    try {
      this.#exec(conn, "COMMIT");
    } catch (error) {
      return this.#abandon(conn, "commit_failed", error);
    }
    return outcomes;
  }

  #abandon(conn: PooledConnection, reason: string, error?: unknown): undefined {
    if (conn.db.inTransaction) this.#exec(conn, "ROLLBACK");
    this.#o.log("group_commit_replayed", { reason, ...(error === undefined ? {} : { error: String(error) }) });
    return undefined;
  }
}
