// Hrana requests after validation and results before encoding, shared by the JSON and Protobuf
// encodings (hrana-json-*.ts, hrana-protobuf.ts). Values are what the native driver binds and
// returns: null, bigint (INTEGER), number (REAL, ±Infinity included), string, Uint8Array (BLOB).
import type { HranaError } from "./errors.ts";

export type SqlValue = null | bigint | number | string | Uint8Array;

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

export interface CursorRequest {
  baton: string | null;
  steps: BatchStep[];
}

// ---- results ----

export interface Col {
  name: string | null;
  decltype: string | null;
}

export interface StmtResult {
  cols: Col[];
  /** Driver values; encoded per Hrana encoding. */
  rows: unknown[][];
  affectedRowCount: number;
  /** Decimal text of the 64-bit rowid, or null. */
  lastInsertRowid: string | null;
  queryDurationMs: number;
}

export interface BatchResult {
  stepResults: (StmtResult | null)[];
  stepErrors: (HranaError | null)[];
}

export interface DescribeResult {
  params: { name: string | null }[];
  cols: { name: string; decltype: string | null }[];
  isExplain: boolean;
  isReadonly: boolean;
}

export type StreamResponse =
  | { type: "close" }
  | { type: "execute"; result: StmtResult }
  | { type: "batch"; result: BatchResult }
  | { type: "sequence" }
  | { type: "describe"; result: DescribeResult }
  | { type: "store_sql" }
  | { type: "close_sql" }
  | { type: "get_autocommit"; isAutocommit: boolean };

export type StreamResult = { type: "ok"; response: StreamResponse } | { type: "error"; error: HranaError };

export interface PipelineResponse {
  baton: string | null;
  results: StreamResult[];
}

export interface CursorResponse {
  baton: string | null;
  /** The batch's result, or the error that stopped the whole batch. */
  outcome: { type: "ok"; result: BatchResult } | { type: "error"; error: HranaError };
}

// ---- Hrana over WebSocket ----

/** A WebSocket request. Requests that run on a stream are the HTTP pipeline's own (close_stream
 * is its `close`); SQL texts and cursors belong to the connection. */
export type WsRequest =
  | { type: "open_stream"; streamId: number }
  | { type: "stream"; streamId: number; request: Exclude<StreamRequest, { type: "store_sql" | "close_sql" }> }
  | { type: "open_cursor"; streamId: number; cursorId: number; steps: BatchStep[] }
  | { type: "close_cursor"; cursorId: number }
  | { type: "fetch_cursor"; cursorId: number; maxCount: number }
  | { type: "store_sql"; sqlId: number; sql: string }
  | { type: "close_sql"; sqlId: number };

export type WsClientMsg = { type: "hello"; jwt: string | undefined } | { type: "request"; requestId: number; request: WsRequest };

/** Wire-shaped cursor entries (step_begin, row, step_end, step_error, error). */
export type WsResponse =
  | StreamResponse
  | { type: "open_stream" | "open_cursor" | "close_cursor" }
  | { type: "fetch_cursor"; entries: unknown[]; done: boolean };
