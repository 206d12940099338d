// Runs one prepared statement on a connection and builds its result. Two driver behaviours are
// handled here, in one place:
// - An EXPLAIN of a write stepped to its end still counts as an active *writing* statement
//   until it is reset (SQLite halts EXPLAIN programs only on reset). While it is active the
//   connection cannot commit: later autocommit writes stay uncommitted, its read snapshot stays
//   pinned, other writers get SQLITE_BUSY_SNAPSHOT. The driver resets a statement only inside
//   get(), so EXPLAIN statements are reset through get() after their rows are read.
// - A statement read only partly would stay active the same way; reads are read to the end or
//   reset the same way when their result grows too large.
import { columnsOf } from "./connection-pool.ts";
import type { ConnectionPool, PooledConnection, Prepared } from "./connection-pool.ts";
import { ResponseTooLargeError } from "./errors.ts";
import type { Col, SqlValue, StmtResult } from "./hrana-types.ts";
import type { StatementInfo } from "./sql-analysis.ts";
import type { StallWatchdog } from "./stall-watchdog.ts";

const ROWID_QUERY = "SELECT changes(), last_insert_rowid()";

export interface RunCounters {
  statements: number;
  statementMs: number;
}

/** What every statement runs with. */
export interface StatementEnv {
  readonly pool: ConnectionPool;
  readonly counters: RunCounters;
  readonly watchdog: StallWatchdog;
}

export interface RunOptions {
  readonly wantRows: boolean;
  /** Largest result a read may build (a rough count of encoded bytes). */
  readonly maxResultBytes: number;
  /** Cache the prepared statement on the connection (false for one-off script statements). */
  readonly cache: boolean;
}

// all(), not get(): a statement left un-finished would pin the connection's read snapshot.
function rowidMeta(pool: ConnectionPool, conn: PooledConnection): unknown[] {
  const rows = pool.prepare(conn, ROWID_QUERY).stmt.all() as unknown[][];
  return rows[0] ?? [0, null];
}

function rowidText(value: unknown): string | null {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return null;
}

/** A cheap upper bound of a value's encoded size. */
function sizeOf(value: unknown): number {
  if (typeof value === "string") return 16 + value.length * 3;
  if (value instanceof Uint8Array) return 16 + Math.ceil(value.byteLength * 1.34);
  return 40;
}

/** Ends a statement that is still active, without side effects: get() re-runs it up to its
 * first row and resets it. Only for statements that cannot write (reads and EXPLAIN). */
function reset(prepared: Prepared, args: readonly SqlValue[]): void {
  prepared.stmt.get(args);
}

function readRows(prepared: Prepared, info: StatementInfo, args: readonly SqlValue[], options: RunOptions): unknown[][] {
  if (info.kind !== "read" || info.isExplain) {
    // a write with RETURNING must run to its end whatever its size: stopping it half-way
    // would leave the statement active, and re-running it would write twice
    const rows = prepared.stmt.all(args) as unknown[][];
    return options.wantRows ? rows : [];
  }
  const rows: unknown[][] = [];
  let size = 0;
  for (const row of prepared.stmt.iterate(args) as Iterable<unknown[]>) {
    if (!options.wantRows) continue;
    for (const value of row) size += sizeOf(value);
    if (size > options.maxResultBytes) {
      reset(prepared, args);
      throw new ResponseTooLargeError(options.maxResultBytes);
    }
    rows.push(row);
  }
  return rows;
}

export function runStatement(
  env: StatementEnv,
  conn: PooledConnection,
  sql: string,
  info: StatementInfo,
  args: readonly SqlValue[],
  options: RunOptions,
): StmtResult {
  return env.watchdog.guard(() => run(env, conn, sql, info, args, options));
}

function run(env: StatementEnv, conn: PooledConnection, sql: string, info: StatementInfo, args: readonly SqlValue[], options: RunOptions): StmtResult {
  const { pool, counters } = env;
  const started = performance.now();
  try {
    const prepared = pool.prepare(conn, sql, options.cache);
    if (!prepared.reader) {
      const result = prepared.stmt.run(args);
      if (info.changesSchema) pool.refreshColumns(conn);
      let lastRowid = rowidText(result.lastInsertRowid);
      // the driver reports the rowid as a double; past 2^53 ask SQLite for the exact value
      if (lastRowid === null) lastRowid = rowidText(rowidMeta(pool, conn)[1]);
      return { cols: [], rows: [], affectedRowCount: result.changes, lastInsertRowid: lastRowid, queryDurationMs: performance.now() - started };
    }
    const rows = readRows(prepared, info, args, options);
    if (info.isExplain) reset(prepared, args);
    const cols: Col[] = columnsOf(prepared);
    let affected = 0;
    let lastRowid: string | null = null;
    if (info.kind !== "read") {
      // INSERT … RETURNING and friends: the row count and rowid are not in the rows.
      const meta = rowidMeta(pool, conn);
      affected = Number(meta[0]);
      lastRowid = rowidText(meta[1]);
    }
    return { cols, rows, affectedRowCount: affected, lastInsertRowid: lastRowid, queryDurationMs: performance.now() - started };
  } finally {
    counters.statements++;
    counters.statementMs += performance.now() - started;
  }
}
