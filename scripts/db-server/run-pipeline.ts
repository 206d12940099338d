// Executes the requests of one pipeline on a stream, strictly in order. Every request gets a
// result; a failing request never stops the ones after it (the spec's "always executes all").
import { StreamRequestError, toHranaError } from "./errors.ts";
import type { HranaStream, StreamContext } from "./hrana-stream.ts";
import type { StreamRequest, StreamResponse, StreamResult } from "./hrana-types.ts";
import { describe, executeBatch, executeSequence, executeStmt } from "./stream-executor.ts";

async function runRequest(ctx: StreamContext, stream: HranaStream, request: StreamRequest): Promise<StreamResponse> {
  if (stream.closed) throw new StreamRequestError("The stream was closed earlier in this pipeline", "STREAM_CLOSED");
  switch (request.type) {
    case "close":
      stream.close();
      return { type: "close" };
    case "execute":
      return { type: "execute", result: await executeStmt(ctx, stream, request.stmt) };
    case "batch":
      return { type: "batch", result: await executeBatch(ctx, stream, request.steps) };
    case "sequence":
      await executeSequence(stream, request);
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
      return { type: "get_autocommit", is_autocommit: !stream.inTransaction };
  }
}

export async function runPipeline(
  ctx: StreamContext,
  stream: HranaStream,
  requests: readonly StreamRequest[],
): Promise<StreamResult[]> {
  const results: StreamResult[] = [];
  for (const request of requests) {
    try {
      results.push({ type: "ok", response: await runRequest(ctx, stream, request) });
    } catch (error) {
      ctx.reportUnexpected(error);
      results.push({ type: "error", error: toHranaError(error) });
    }
  }
  return results;
}
