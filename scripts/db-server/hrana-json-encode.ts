// Hrana over HTTP, JSON encoding: results to response text (snake_case wire names).
//
// JSON has no literal for ±Infinity, which SQLite REALs can hold; JSON.stringify would write
// null and the value would silently change. The server writes 1e999 / -1e999 instead: valid
// JSON that JavaScript's JSON.parse (and so the official client) reads back as ±Infinity.
import type { HranaError } from "./errors.ts";
import type { BatchResult, CursorResponse, DescribeResult, PipelineResponse, StmtResult, StreamResponse, WsResponse } from "./hrana-types.ts";

type JsonValue =
  | { type: "null" }
  | { type: "integer"; value: string }
  | { type: "float"; value: number | string }
  | { type: "text"; value: string }
  | { type: "blob"; base64: string };

const NULL_VALUE: JsonValue = { type: "null" };
// Stand-ins for ±Infinity that JSON.stringify keeps as strings. A NUL can appear in no other
// string of a response: the driver returns text cut at NUL, and NUL in requests is refused.
const POSITIVE_INFINITY = "\u0000+inf";
const NEGATIVE_INFINITY = "\u0000-inf";
const ESCAPED_MARK = "\\u0000";

export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return NULL_VALUE;
  switch (typeof value) {
    case "bigint":
      return { type: "integer", value: value.toString() };
    case "number":
      if (Number.isFinite(value)) return { type: "float", value };
      // NaN never comes out of SQLite (it stores NULL instead)
      return { type: "float", value: value > 0 ? POSITIVE_INFINITY : NEGATIVE_INFINITY };
    case "string":
      return { type: "text", value };
    default:
      if (value instanceof Uint8Array) {
        return { type: "blob", base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
      }
      return { type: "text", value: String(value) };
  }
}

function stmtResult(r: StmtResult): unknown {
  return {
    cols: r.cols,
    rows: r.rows.map((row) => row.map(toJsonValue)),
    affected_row_count: r.affectedRowCount,
    last_insert_rowid: r.lastInsertRowid,
    rows_read: 0,
    rows_written: 0,
    query_duration_ms: r.queryDurationMs,
  };
}

function batchResult(r: BatchResult): unknown {
  return { step_results: r.stepResults.map((s) => (s === null ? null : stmtResult(s))), step_errors: r.stepErrors };
}

function describeResult(r: DescribeResult): unknown {
  return { params: r.params, cols: r.cols, is_explain: r.isExplain, is_readonly: r.isReadonly };
}

function streamResponse(r: WsResponse): unknown {
  switch (r.type) {
    case "execute":
      return { type: r.type, result: stmtResult(r.result) };
    case "batch":
      return { type: r.type, result: batchResult(r.result) };
    case "describe":
      return { type: r.type, result: describeResult(r.result) };
    case "get_autocommit":
      return { type: r.type, is_autocommit: r.isAutocommit };
    default:
      return r;
  }
}

function stringify(body: unknown): string {
  const text = JSON.stringify(body);
  if (!text.includes(ESCAPED_MARK)) return text;
  return text
    .replaceAll(JSON.stringify(POSITIVE_INFINITY), "1e999")
    .replaceAll(JSON.stringify(NEGATIVE_INFINITY), "-1e999");
}

export function encodePipelineJson(response: PipelineResponse): string {
  return stringify({
    baton: response.baton,
    base_url: null,
    results: response.results.map((r) => (r.type === "ok" ? { type: "ok", response: streamResponse(r.response) } : r)),
  });
}

/** A batch's outcome as cursor entries (wire-shaped objects). */
export function cursorEntries(outcome: CursorResponse["outcome"]): unknown[] {
  const entries: unknown[] = [];
  if (outcome.type === "error") {
    entries.push({ type: "error", error: outcome.error });
    return entries;
  }
  const { stepResults, stepErrors } = outcome.result;
  stepResults.forEach((result, step) => {
    const error: HranaError | null = stepErrors[step] ?? null;
    if (error !== null) {
      entries.push({ type: "step_error", step, error });
    } else if (result !== null) {
      entries.push({ type: "step_begin", step, cols: result.cols });
      for (const row of result.rows) entries.push({ type: "row", row: row.map(toJsonValue) });
      entries.push({ type: "step_end", affected_row_count: result.affectedRowCount, last_insert_rowid: result.lastInsertRowid });
    }
  });
  return entries;
}

/** `v3/cursor`: the response body line, then one line per cursor entry. */
export function encodeCursorJson(response: CursorResponse): string {
  const lines = [stringify({ baton: response.baton, base_url: null })];
  for (const entry of cursorEntries(response.outcome)) lines.push(stringify(entry));
  return `${lines.join("\n")}\n`;
}

/** Hrana over WebSocket: a response to request `requestId`. */
export function encodeWsResponseJson(requestId: number, response: WsResponse): string {
  const wire = response.type === "close" ? { type: "close_stream" } : streamResponse(response);
  return stringify({ type: "response_ok", request_id: requestId, response: wire });
}

/** Hrana over WebSocket: the error that answers request `requestId`. */
export function encodeWsErrorJson(requestId: number, error: HranaError): string {
  return JSON.stringify({ type: "response_error", request_id: requestId, error });
}

/** An error that ends the whole request (HTTP 4xx/5xx). */
export function encodeErrorJson(error: HranaError): string {
  return JSON.stringify(error);
}
