// Hrana 2 over HTTP (JSON) shapes, after validation. Wire names are snake_case; values are
// decoded to what the native driver binds: null, bigint (INTEGER), number (REAL), string, Buffer.
import type { HranaError } from "./errors.ts";

export type SqlValue = null | bigint | number | string | Buffer;

export interface Stmt {
  sql: string | undefined;
  sqlId: number | undefined;
  args: SqlValue[];
  namedArgs: { name: string; value: SqlValue }[];
  wantRows: boolean;
}

export type BatchCond =
  | { type: "ok"; step: number }
  | { type: "error"; step: number }
  | { type: "not"; cond: BatchCond }
  | { type: "and"; conds: BatchCond[] }
  | { type: "or"; conds: BatchCond[] }
  | { type: "is_autocommit" };

export interface BatchStep {
  condition: BatchCond | undefined;
  stmt: Stmt;
}

export type SqlRef = { sql: string | undefined; sqlId: number | undefined };

export type StreamRequest =
  | { type: "close" }
  | { type: "execute"; stmt: Stmt }
  | { type: "batch"; steps: BatchStep[] }
  | ({ type: "sequence" } & SqlRef)
  | ({ type: "describe" } & SqlRef)
  | { type: "store_sql"; sqlId: number; sql: string }
  | { type: "close_sql"; sqlId: number }
  | { type: "get_autocommit" };

export interface PipelineRequest {
  baton: string | null;
  requests: StreamRequest[];
}

// ---- responses, already in wire form ----

export type WireValue =
  | { type: "null" }
  | { type: "integer"; value: string }
  | { type: "float"; value: number }
  | { type: "text"; value: string }
  | { type: "blob"; base64: string };

export interface WireCol {
  name: string | null;
  decltype: string | null;
}

export interface WireStmtResult {
  cols: WireCol[];
  rows: WireValue[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
  rows_read: number;
  rows_written: number;
  query_duration_ms: number;
}

export interface WireBatchResult {
  step_results: (WireStmtResult | null)[];
  step_errors: (HranaError | null)[];
}

export interface WireDescribeResult {
  params: { name: string | null }[];
  cols: { name: string; decltype: string | null }[];
  is_explain: boolean;
  is_readonly: boolean;
}

export type StreamResponse =
  | { type: "close" }
  | { type: "execute"; result: WireStmtResult }
  | { type: "batch"; result: WireBatchResult }
  | { type: "sequence" }
  | { type: "describe"; result: WireDescribeResult }
  | { type: "store_sql" }
  | { type: "close_sql" }
  | { type: "get_autocommit"; is_autocommit: boolean };

export type StreamResult = { type: "ok"; response: StreamResponse } | { type: "error"; error: HranaError };

export interface PipelineResponse {
  baton: string | null;
  base_url: null;
  results: StreamResult[];
}
