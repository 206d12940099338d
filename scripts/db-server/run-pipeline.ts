// Executes the requests of one pipeline (or the batch of one cursor) on a stream, strictly in
// order. Every request gets a result; a failing request never stops the ones after it (the
// spec's "always executes all"), except that a request over its budget stops running SQL.
import { StreamRequestError, toHranaError } from "./errors.ts";
import type { HranaStream, StreamContext } from "./hrana-stream.ts";
import type { BatchStep, CursorResponse, StreamRequest, StreamResponse, StreamResult } from "./hrana-types.ts";
import { RequestBudget } from "./request-budget.ts";
import { describe, executeBatch, executeSequence, executeStmt } from "./stream-executor.ts";

/** Runs one request on the stream (shared by HTTP pipelines and WebSocket requests). */
export async function runStreamRequest(
  ctx: StreamContext,
  stream: HranaStream,
  request: StreamRequest,
  budget: RequestBudget,
  closesAfter: boolean,
): Promise<StreamResponse> {
  if (stream.closed) throw new StreamRequestError("The stream was closed earlier in this pipeline", "STREAM_CLOSED");
  switch (request.type) {
    case "close":
      stream.close();
      return { type: "close" };
    case "execute":
      return { type: "execute", result: await executeStmt(ctx, stream, request.stmt, budget, { closesAfter, counted: false }) };
    case "batch":
      return { type: "batch", result: await executeBatch(ctx, stream, request.steps, budget) };
    case "sequence":
      await executeSequence(ctx, stream, request, budget);
      return { type: "sequence" };
    case "describe":
      return { type: "describe", result: describe(ctx, stream, request) };
    case "store_sql":
      stream.storeSql(request.sqlId, request.sql);
      return { type: "store_sql" };
    case "close_sql":
      stream.closeSql(request.sqlId);
      return { type: "close_sql" };
    case "get_autocommit":
      return { type: "get_autocommit", isAutocommit: !stream.inTransaction };
  }
}

export async function runPipeline(ctx: StreamContext, stream: HranaStream, requests: readonly StreamRequest[]): Promise<StreamResult[]> {
  const budget = new RequestBudget(ctx.budget);
  const results: StreamResult[] = [];
  for (let i = 0; i < requests.length; i++) {
    const request = requests[i];
    if (request === undefined) continue;
    try {
      await budget.pace();
      const closesAfter = requests[i + 1]?.type === "close" && i + 2 === requests.length;
      results.push({ type: "ok", response: await runStreamRequest(ctx, stream, request, budget, closesAfter) });
    } catch (error) {
      ctx.reportUnexpected(error);
      results.push({ type: "error", error: toHranaError(error) });
    }
  }
  return results;
}

/** `v3/cursor`: one batch, whose result is sent as a stream of entries. */
export async function runCursor(ctx: StreamContext, stream: HranaStream, steps: readonly BatchStep[]): Promise<CursorResponse["outcome"]> {
  const budget = new RequestBudget(ctx.budget);
  try {
    if (stream.closed) throw new StreamRequestError("The stream is closed", "STREAM_CLOSED");
    return { type: "ok", result: await executeBatch(ctx, stream, steps, budget) };
  } catch (error) {
    ctx.reportUnexpected(error);
    return { type: "error", error: toHranaError(error) };
  }
}
