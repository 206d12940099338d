// Runs Hrana statements, batches, sequences and describes on a stream's connection.
import type { PooledConnection } from "./connection-pool.ts";
import { StreamRequestError, toHranaError } from "./errors.ts";
import type { HranaStream, StreamContext } from "./hrana-stream.ts";
import type {
  BatchCond,
  BatchStep,
  SqlRef,
  Stmt,
  WireBatchResult,
  WireCol,
  WireDescribeResult,
  WireStmtResult,
  WireValue,
} from "./hrana-types.ts";
import { analyzeSql } from "./sql-analysis.ts";
import type { StatementInfo } from "./sql-analysis.ts";
import { bindArgs, toWireValue } from "./sql-values.ts";

const ROWID_QUERY = "SELECT changes(), last_insert_rowid()";

function singleStatement(sql: string): StatementInfo {
  const { statements } = analyzeSql(sql);
  const first = statements[0];
  if (first === undefined) throw new StreamRequestError("The SQL text contains no statement", "SQL_NO_STATEMENT");
  if (statements.length > 1) {
    throw new StreamRequestError(
      `The SQL text contains ${statements.length} statements; execute runs exactly one (use sequence for more)`,
      "SQL_MANY_STATEMENTS",
    );
  }
  return first;
}

// all(), not get(): a statement left un-finished would pin the connection's read snapshot.
function rowidMeta(ctx: StreamContext, conn: PooledConnection): unknown[] {
  const rows = ctx.pool.prepare(conn, ROWID_QUERY).all() as unknown[][];
  return rows[0] ?? [0, null];
}

function rowidText(value: unknown): string | null {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return null;
}

export async function executeStmt(ctx: StreamContext, stream: HranaStream, stmt: Stmt): Promise<WireStmtResult> {
  const sql = stream.resolveSql(stmt);
  const info = singleStatement(sql);
  const args = bindArgs(info, stmt);
  await stream.lockFor(info.kind);
  const conn = stream.connection();
  const started = performance.now();
  try {
    if (info.dirtiesConnection) conn.dirty = true;
    const prepared = ctx.pool.prepare(conn, sql);
    let rows: WireValue[][] = [];
    let cols: WireCol[] = [];
    let affected = 0;
    let lastRowid: string | null = null;
    if (prepared.reader) {
      const raw = prepared.all(args) as unknown[][];
      cols = prepared.columns().map((c) => ({ name: c.name, decltype: c.type }));
      if (stmt.wantRows) rows = raw.map((row) => row.map(toWireValue));
      if (info.kind !== "read") {
        // INSERT … RETURNING and friends: the row count and rowid are not in the rows.
        const meta = rowidMeta(ctx, conn);
        affected = Number(meta[0]);
        lastRowid = rowidText(meta[1]);
      }
    } else {
      const result = prepared.run(args);
      affected = result.changes;
      lastRowid = rowidText(result.lastInsertRowid);
      if (lastRowid === null) {
        // the driver reports the rowid as a double; past 2^53 ask SQLite for the exact value
        const meta = rowidMeta(ctx, conn);
        lastRowid = rowidText(meta[1]);
      }
    }
    if (info.kind === "begin-readonly") stream.enterReadOnly();
    return {
      cols,
      rows,
      affected_row_count: affected,
      last_insert_rowid: lastRowid,
      rows_read: 0,
      rows_written: 0,
      query_duration_ms: performance.now() - started,
    };
  } finally {
    stream.settle();
  }
}

function evalCond(cond: BatchCond, outcomes: readonly ("ok" | "error" | "skipped")[], stream: HranaStream): boolean {
  switch (cond.type) {
    case "ok":
      return outcomes[cond.step] === "ok";
    case "error":
      return outcomes[cond.step] === "error";
    case "not":
      return !evalCond(cond.cond, outcomes, stream);
    case "and":
      return cond.conds.every((c) => evalCond(c, outcomes, stream));
    case "or":
      return cond.conds.some((c) => evalCond(c, outcomes, stream));
    case "is_autocommit":
      return !stream.inTransaction;
  }
}

function checkCondSteps(cond: BatchCond, current: number): void {
  switch (cond.type) {
    case "ok":
    case "error":
      if (cond.step >= current) {
        throw new StreamRequestError(`Batch step ${current} has a condition on step ${cond.step}, which has not run yet`, "BATCH_COND_INVALID");
      }
      return;
    case "not":
      checkCondSteps(cond.cond, current);
      return;
    case "and":
    case "or":
      for (const c of cond.conds) checkCondSteps(c, current);
      return;
    case "is_autocommit":
      return;
  }
}

export async function executeBatch(ctx: StreamContext, stream: HranaStream, steps: readonly BatchStep[]): Promise<WireBatchResult> {
  steps.forEach((step, i) => {
    if (step.condition !== undefined) checkCondSteps(step.condition, i);
  });
  const result: WireBatchResult = { step_results: [], step_errors: [] };
  const outcomes: ("ok" | "error" | "skipped")[] = [];
  for (const step of steps) {
    if (step.condition !== undefined && !evalCond(step.condition, outcomes, stream)) {
      outcomes.push("skipped");
      result.step_results.push(null);
      result.step_errors.push(null);
      continue;
    }
    try {
      result.step_results.push(await executeStmt(ctx, stream, step.stmt));
      result.step_errors.push(null);
      outcomes.push("ok");
    } catch (error) {
      ctx.reportUnexpected(error);
      result.step_results.push(null);
      result.step_errors.push(toHranaError(error));
      outcomes.push("error");
    }
  }
  return result;
}

export async function executeSequence(stream: HranaStream, ref: SqlRef): Promise<void> {
  const sql = stream.resolveSql(ref);
  const { statements } = analyzeSql(sql);
  if (statements.length === 0) return;
  // exec() cannot be intercepted between statements, so a read-only BEGIN in here is treated as
  // a write: the lock is taken and held like for any other transaction.
  const writes = statements.some((s) => s.kind === "write" || s.kind === "begin-readonly");
  if (writes) await stream.lockFor("sequence-write");
  const conn = stream.connection();
  try {
    if (statements.some((s) => s.dirtiesConnection)) conn.dirty = true;
    conn.db.exec(sql);
  } finally {
    stream.settle();
  }
}

export function describe(ctx: StreamContext, stream: HranaStream, ref: SqlRef): WireDescribeResult {
  const sql = stream.resolveSql(ref);
  const info = singleStatement(sql);
  const conn = stream.connection();
  const prepared = ctx.pool.prepare(conn, sql);
  const cols = prepared.reader ? prepared.columns().map((c) => ({ name: c.name, decltype: c.type })) : [];
  return {
    params: info.paramNames.map((name) => ({ name })),
    cols,
    is_explain: info.isExplain,
    is_readonly: info.kind === "read",
  };
}
