// Hrana 3 over HTTP, Protobuf encoding: pipeline results and cursor entries (see
// hrana-protobuf-decode.ts for the requests).
import type { HranaError } from "./errors.ts";
import type { BatchResult, Col, CursorResponse, DescribeResult, PipelineResponse, StmtResult, StreamResponse } from "./hrana-types.ts";
import { ProtoWriter } from "./protobuf-wire.ts";

function writeValue(w: ProtoWriter, value: unknown): void {
  if (value === null || value === undefined) w.message(1, () => undefined);
  else if (typeof value === "bigint") w.sint64(2, value);
  else if (typeof value === "number") w.double(3, value);
  else if (typeof value === "string") w.string(4, value);
  else if (value instanceof Uint8Array) w.bytes(5, value);
  else w.string(4, String(value));
}

function writeCol(w: ProtoWriter, col: Col): void {
  if (col.name !== null) w.string(1, col.name);
  if (col.decltype !== null) w.string(2, col.decltype);
}

function writeRow(w: ProtoWriter, row: readonly unknown[]): void {
  for (const value of row) w.message(1, (v) => writeValue(v, value));
}

function writeError(w: ProtoWriter, error: HranaError): void {
  w.string(1, error.message);
  w.string(2, error.code);
}

function writeStmtResult(w: ProtoWriter, r: StmtResult): void {
  for (const col of r.cols) w.message(1, (c) => writeCol(c, col));
  for (const row of r.rows) w.message(2, (x) => writeRow(x, row));
  w.uint(3, r.affectedRowCount);
  if (r.lastInsertRowid !== null) w.sint64(4, BigInt(r.lastInsertRowid));
}

function writeBatchResult(w: ProtoWriter, r: BatchResult): void {
  r.stepResults.forEach((result, step) => {
    if (result !== null) {
      w.message(1, (e) => {
        e.uint(1, step);
        e.message(2, (s) => writeStmtResult(s, result));
      });
    }
  });
  r.stepErrors.forEach((error, step) => {
    if (error !== null) {
      w.message(2, (e) => {
        e.uint(1, step);
        e.message(2, (x) => writeError(x, error));
      });
    }
  });
}

function writeDescribeResult(w: ProtoWriter, r: DescribeResult): void {
  for (const param of r.params) w.message(1, (p) => (param.name === null ? undefined : p.string(1, param.name)));
  for (const col of r.cols) {
    w.message(2, (c) => {
      c.string(1, col.name);
      if (col.decltype !== null) c.string(2, col.decltype);
    });
  }
  w.bool(3, r.isExplain);
  w.bool(4, r.isReadonly);
}

const RESPONSE_FIELDS = {
  close: 1,
  execute: 2,
  batch: 3,
  sequence: 4,
  describe: 5,
  store_sql: 6,
  close_sql: 7,
  get_autocommit: 8,
} as const satisfies Record<StreamResponse["type"], number>;

function writeStreamResponse(w: ProtoWriter, r: StreamResponse): void {
  w.message(RESPONSE_FIELDS[r.type], (m) => {
    switch (r.type) {
      case "execute":
        m.message(1, (x) => writeStmtResult(x, r.result));
        return;
      case "batch":
        m.message(1, (x) => writeBatchResult(x, r.result));
        return;
      case "describe":
        m.message(1, (x) => writeDescribeResult(x, r.result));
        return;
      case "get_autocommit":
        m.bool(1, r.isAutocommit);
        return;
      default:
        return;
    }
  });
}

export function encodePipelineProto(response: PipelineResponse): Uint8Array {
  const w = new ProtoWriter();
  if (response.baton !== null) w.string(1, response.baton);
  for (const result of response.results) {
    w.message(3, (m) => {
      if (result.type === "ok") m.message(1, (x) => writeStreamResponse(x, result.response));
      else m.message(2, (x) => writeError(x, result.error));
    });
  }
  return w.finish();
}

/** `v3-protobuf/cursor`: length-delimited CursorRespBody, then length-delimited CursorEntry. */
export function encodeCursorProto(response: CursorResponse): Uint8Array {
  const w = new ProtoWriter();
  const baton = response.baton;
  w.delimited((m) => (baton === null ? undefined : m.string(1, baton)));
  const outcome = response.outcome;
  if (outcome.type === "error") {
    w.delimited((m) => m.message(5, (x) => writeError(x, outcome.error)));
    return w.finish();
  }
  const { stepResults, stepErrors } = outcome.result;
  stepResults.forEach((result, step) => {
    const error = stepErrors[step] ?? null;
    if (error !== null) {
      w.delimited((m) =>
        m.message(3, (x) => {
          x.uint(1, step);
          x.message(2, (e) => writeError(e, error));
        }),
      );
    } else if (result !== null) {
      w.delimited((m) =>
        m.message(1, (x) => {
          x.uint(1, step);
          for (const col of result.cols) x.message(2, (c) => writeCol(c, col));
        }),
      );
      for (const row of result.rows) w.delimited((m) => m.message(4, (x) => writeRow(x, row)));
      w.delimited((m) =>
        m.message(2, (x) => {
          x.uint(1, result.affectedRowCount);
          if (result.lastInsertRowid !== null) x.sint64(2, BigInt(result.lastInsertRowid));
        }),
      );
    }
  });
  return w.finish();
}
