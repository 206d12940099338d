// Hrana over HTTP, JSON encoding: results to response text (snake_case wire names).
//
// JSON has no literal for ±Infinity, which SQLite REALs can hold; JSON.stringify would write
// null and the value would silently change. The server writes 1e999 / -1e999 instead: valid
// JSON that JavaScript's JSON.parse (and so the official client) reads back as ±Infinity.
import type { HranaError } from "./errors.ts";
import type { BatchResult, CursorResponse, DescribeResult, PipelineResponse, StmtResult, StreamResponse } from "./hrana-types.ts";

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

function streamResponse(r: StreamResponse): unknown {
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

/** `v3/cursor`: the response body line, then one line per cursor entry. */
export function encodeCursorJson(response: CursorResponse): string {
  const lines = [stringify({ baton: response.baton, base_url: null })];
  const entry = (value: unknown): void => {
    lines.push(stringify(value));
  };
  if (response.outcome.type === "error") {
    entry({ type: "error", error: response.outcome.error });
  } else {
    const { stepResults, stepErrors } = response.outcome.result;
    stepResults.forEach((result, step) => {
      const error: HranaError | null = stepErrors[step] ?? null;
      if (error !== null) {
        entry({ type: "step_error", step, error });
      } else if (result !== null) {
        entry({ type: "step_begin", step, cols: result.cols });
        for (const row of result.rows) entry({ type: "row", row: row.map(toJsonValue) });
        entry({ type: "step_end", affected_row_count: result.affectedRowCount, last_insert_rowid: result.lastInsertRowid });
      }
    });
  }
  return `${lines.join("\n")}\n`;
}

/** An error that ends the whole request (HTTP 4xx/5xx). */
export function encodeErrorJson(error: HranaError): string {
  return JSON.stringify(error);
}
