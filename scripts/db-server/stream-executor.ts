// Runs Hrana statements, batches, sequences and describes on a stream.
import { checkAppendOnly } from "./append-only-guard.ts";
import { columnsOf } from "./connection-pool.ts";
import { SqlRefusedError, StreamRequestError, toHranaError } from "./errors.ts";
import type { HranaStream, StreamContext } from "./hrana-stream.ts";
import type { BatchCond, BatchResult, BatchStep, DescribeResult, SqlRef, Stmt, StmtResult } from "./hrana-types.ts";
import type { RequestBudget } from "./request-budget.ts";
import { analyzeSql } from "./sql-analysis.ts";
import type { SqlAnalysis, SqlStatement } from "./sql-analysis.ts";
import { runStatement } from "./statement-runner.ts";
import { bindArgs } from "./sql-values.ts";

function checkText(analysis: SqlAnalysis): void {
  if (analysis.problem !== undefined) throw new StreamRequestError(analysis.problem, "SQL_PARSE_ERROR");
}

function singleStatement(sql: string): SqlStatement {
  const analysis = analyzeSql(sql);
  checkText(analysis);
  const { statements } = analysis;
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

/** Refuses what the server never runs; the append-only check reads the stream's live schema. */
function checkAllowed(stream: HranaStream, statement: SqlStatement): void {
  const { refusal, schemaTarget } = statement.info;
  if (refusal !== undefined) throw new SqlRefusedError(refusal);
  if (schemaTarget !== undefined) checkAppendOnly(stream.connection(), schemaTarget);
}

export interface ExecuteOptions {
  /** The stream closes right after this request: its write may join a group commit. */
  readonly closesAfter: boolean;
  /** The statement was already taken from the budget (a batch takes all its steps at once). */
  readonly counted: boolean;
}

/** Runs one statement on the stream's connection (after taking the write lock if it needs it). */
async function runOnStream(
  ctx: StreamContext,
  stream: HranaStream,
  statement: SqlStatement,
  args: Stmt["args"],
  wantRows: boolean,
  budget: RequestBudget,
  cache: boolean,
): Promise<StmtResult> {
  const { info } = statement;
  await stream.lockFor(info.kind);
  try {
    const conn = stream.connection();
    if (info.dirtiesConnection) conn.dirty = true;
    const result = budget.run(() =>
      runStatement(ctx, conn, statement.text, info, args, { wantRows, maxResultBytes: ctx.maxResultBytes, cache }),
    );
    if (info.kind === "begin-readonly") stream.enterReadOnly();
    return result;
  } finally {
    stream.settle();
  }
}

export async function executeStmt(
  ctx: StreamContext,
  stream: HranaStream,
  stmt: Stmt,
  budget: RequestBudget,
  options: ExecuteOptions,
): Promise<StmtResult> {
  const statement = singleStatement(stream.resolveSql(stmt));
  checkAllowed(stream, statement);
  const args = bindArgs(statement.info, stmt);
  if (!options.counted) budget.spend(1);
  if (options.closesAfter && statement.info.isDml && !stream.inTransaction && !stream.hasPrivateState) {
    return ctx.groupCommit.submit(statement.text, statement.info, args, stmt.wantRows);
  }
  return runOnStream(ctx, stream, statement, args, stmt.wantRows, budget, true);
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

/** Steps run in order; a step whose condition is false is skipped (null result and error).
 * Nothing runs if the batch has more steps than the request may still run. */
export async function executeBatch(ctx: StreamContext, stream: HranaStream, steps: readonly BatchStep[], budget: RequestBudget): Promise<BatchResult> {
  steps.forEach((step, i) => {
    if (step.condition !== undefined) checkCondSteps(step.condition, i);
  });
  budget.spend(steps.length);
  const result: BatchResult = { stepResults: [], stepErrors: [] };
  const outcomes: ("ok" | "error" | "skipped")[] = [];
  for (const step of steps) {
    if (step.condition !== undefined && !evalCond(step.condition, outcomes, stream)) {
      outcomes.push("skipped");
      result.stepResults.push(null);
      result.stepErrors.push(null);
      continue;
    }
    try {
      await budget.pace();
      result.stepResults.push(await executeStmt(ctx, stream, step.stmt, budget, { closesAfter: false, counted: true }));
      result.stepErrors.push(null);
      outcomes.push("ok");
    } catch (error) {
      ctx.reportUnexpected(error);
      result.stepResults.push(null);
      result.stepErrors.push(toHranaError(error));
      outcomes.push("error");
    }
  }
  return result;
}

/** Runs the statements of an SQL script one by one, stopping at the first error. Nothing runs
 * if any statement is refused or the script is longer than the request may run. */
export async function executeSequence(ctx: StreamContext, stream: HranaStream, ref: SqlRef, budget: RequestBudget): Promise<void> {
  const analysis = analyzeSql(stream.resolveSql(ref));
  checkText(analysis);
  const { statements } = analysis;
  for (const statement of statements) {
    if (statement.info.refusal !== undefined) throw new SqlRefusedError(statement.info.refusal);
  }
  budget.spend(statements.length);
  // long scripts are not worth caching, and would evict the statements that are
  const cache = statements.length === 1;
  for (const statement of statements) {
    await budget.pace();
    checkAllowed(stream, statement);
    // a sequence takes no arguments: parameters are NULL, as with sqlite3_exec()
    const args = new Array<null>(statement.info.paramCount).fill(null);
    await runOnStream(ctx, stream, statement, args, false, budget, cache);
  }
}

export function describe(ctx: StreamContext, stream: HranaStream, ref: SqlRef): DescribeResult {
  const statement = singleStatement(stream.resolveSql(ref));
  checkAllowed(stream, statement);
  const conn = stream.connection();
  try {
    const prepared = ctx.pool.prepare(conn, statement.text);
    const cols = prepared.reader ? columnsOf(prepared).map((c) => ({ name: c.name ?? "", decltype: c.decltype })) : [];
    return {
      params: statement.info.paramNames.map((name) => ({ name })),
      cols,
      isExplain: statement.info.isExplain,
      isReadonly: statement.info.kind === "read" && !statement.info.dirtiesConnection,
    };
  } finally {
    stream.settle();
  }
}
