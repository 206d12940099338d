// Hrana 3 over HTTP, Protobuf encoding (`v3-protobuf/pipeline`, `v3-protobuf/cursor`): the
// messages of the spec's "Hrana over HTTP" and "Shared structures" schemas. The official client
// (hrana-client 0.10 with protocol version 3) probes `v3-protobuf` and uses only this encoding.
import { ProtocolError } from "./errors.ts";
import type { HranaError } from "./errors.ts";
import type {
  BatchCond,
  BatchResult,
  BatchStep,
  Col,
  CursorRequest,
  CursorResponse,
  DescribeResult,
  PipelineRequest,
  PipelineResponse,
  SqlValue,
  Stmt,
  StmtResult,
  StreamRequest,
  StreamResponse,
} from "./hrana-types.ts";
import { ProtoReader, ProtoWriter, WIRE_FIXED64, WIRE_LENGTH, WIRE_VARINT, expectWire, readFields } from "./protobuf-wire.ts";

const MAX_COND_DEPTH = 64;

// ---- requests ----

function decodeValue(r: ProtoReader): SqlValue {
  let value: SqlValue | undefined;
  readFields(r, (field, wire) => {
    switch (field) {
      case 1:
        expectWire(wire, WIRE_LENGTH, "Value.null");
        r.message();
        value = null;
        return true;
      case 2:
        expectWire(wire, WIRE_VARINT, "Value.integer");
        value = r.sint64();
        return true;
      case 3:
        expectWire(wire, WIRE_FIXED64, "Value.float");
        value = r.double();
        return true;
      case 4:
        expectWire(wire, WIRE_LENGTH, "Value.text");
        value = r.string();
        return true;
      case 5:
        expectWire(wire, WIRE_LENGTH, "Value.blob");
        value = r.bytes();
        return true;
      default:
        return false;
    }
  });
  if (value === undefined) throw new ProtocolError("A Value has none of null, integer, float, text, blob");
  return value;
}

function decodeStmt(r: ProtoReader): Stmt {
  const stmt: Stmt = { sql: undefined, sqlId: undefined, args: [], namedArgs: [], wantRows: true };
  readFields(r, (field, wire) => {
    switch (field) {
      case 1:
        expectWire(wire, WIRE_LENGTH, "Stmt.sql");
        stmt.sql = r.string();
        return true;
      case 2:
        expectWire(wire, WIRE_VARINT, "Stmt.sql_id");
        stmt.sqlId = r.int32();
        return true;
      case 3:
        expectWire(wire, WIRE_LENGTH, "Stmt.args");
        stmt.args.push(decodeValue(r.message()));
        return true;
      case 4: {
        expectWire(wire, WIRE_LENGTH, "Stmt.named_args");
        const arg = r.message();
        let name: string | undefined;
        let value: SqlValue | undefined;
        readFields(arg, (f, w) => {
          if (f === 1) {
            expectWire(w, WIRE_LENGTH, "NamedArg.name");
            name = arg.string();
            return true;
          }
          if (f === 2) {
            expectWire(w, WIRE_LENGTH, "NamedArg.value");
            value = decodeValue(arg.message());
            return true;
          }
          return false;
        });
        if (name === undefined || value === undefined) throw new ProtocolError("A NamedArg needs a name and a value");
        stmt.namedArgs.push({ name, value });
        return true;
      }
      case 5:
        expectWire(wire, WIRE_VARINT, "Stmt.want_rows");
        stmt.wantRows = r.bool();
        return true;
      default:
        return false;
    }
  });
  if ((stmt.sql === undefined) === (stmt.sqlId === undefined)) throw new ProtocolError("A Stmt must have exactly one of sql and sql_id");
  return stmt;
}

function decodeCond(r: ProtoReader, depth: number): BatchCond {
  if (depth > MAX_COND_DEPTH) throw new ProtocolError("A BatchCond is nested too deeply");
  let cond: BatchCond | undefined;
  const list = (m: ProtoReader): BatchCond[] => {
    const conds: BatchCond[] = [];
    readFields(m, (f, w) => {
      if (f !== 1) return false;
      expectWire(w, WIRE_LENGTH, "BatchCond.CondList.conds");
      conds.push(decodeCond(m.message(), depth + 1));
      return true;
    });
    return conds;
  };
  readFields(r, (field, wire) => {
    switch (field) {
      case 1:
      case 2:
        expectWire(wire, WIRE_VARINT, "BatchCond.step");
        cond = { type: field === 1 ? "ok" : "error", step: r.uint32() };
        return true;
      case 3:
        expectWire(wire, WIRE_LENGTH, "BatchCond.not");
        cond = { type: "not", cond: decodeCond(r.message(), depth + 1) };
        return true;
      case 4:
      case 5:
        expectWire(wire, WIRE_LENGTH, "BatchCond.and/or");
        cond = { type: field === 4 ? "and" : "or", conds: list(r.message()) };
        return true;
      case 6:
        expectWire(wire, WIRE_LENGTH, "BatchCond.is_autocommit");
        r.message();
        cond = { type: "is_autocommit" };
        return true;
      default:
        return false;
    }
  });
  if (cond === undefined) throw new ProtocolError("A BatchCond has no condition");
  return cond;
}

function decodeBatch(r: ProtoReader): BatchStep[] {
  const steps: BatchStep[] = [];
  readFields(r, (field, wire) => {
    if (field !== 1) return false;
    expectWire(wire, WIRE_LENGTH, "Batch.steps");
    const m = r.message();
    let condition: BatchCond | undefined;
    let stmt: Stmt | undefined;
    readFields(m, (f, w) => {
      if (f === 1) {
        expectWire(w, WIRE_LENGTH, "BatchStep.condition");
        condition = decodeCond(m.message(), 0);
        return true;
      }
      if (f === 2) {
        expectWire(w, WIRE_LENGTH, "BatchStep.stmt");
        stmt = decodeStmt(m.message());
        return true;
      }
      return false;
    });
    if (stmt === undefined) throw new ProtocolError("A BatchStep has no stmt");
    steps.push({ condition, stmt });
    return true;
  });
  return steps;
}

/** `{1: sql, 2: sql_id}` of sequence and describe. */
function decodeSqlRef(r: ProtoReader, what: string): { sql: string | undefined; sqlId: number | undefined } {
  let sql: string | undefined;
  let sqlId: number | undefined;
  readFields(r, (field, wire) => {
    if (field === 1) {
      expectWire(wire, WIRE_LENGTH, `${what}.sql`);
      sql = r.string();
      return true;
    }
    if (field === 2) {
      expectWire(wire, WIRE_VARINT, `${what}.sql_id`);
      sqlId = r.int32();
      return true;
    }
    return false;
  });
  if ((sql === undefined) === (sqlId === undefined)) throw new ProtocolError(`${what} must have exactly one of sql and sql_id`);
  return { sql, sqlId };
}

function decodeRequest(r: ProtoReader): StreamRequest {
  let request: StreamRequest | undefined;
  readFields(r, (field, wire) => {
    if (field < 1 || field > 8) return false;
    expectWire(wire, WIRE_LENGTH, "StreamRequest");
    const m = r.message();
    switch (field) {
      case 1:
        request = { type: "close" };
        break;
      case 2: {
        let stmt: Stmt | undefined;
        readFields(m, (f, w) => {
          if (f !== 1) return false;
          expectWire(w, WIRE_LENGTH, "ExecuteStreamReq.stmt");
          stmt = decodeStmt(m.message());
          return true;
        });
        if (stmt === undefined) throw new ProtocolError("An execute request has no stmt");
        request = { type: "execute", stmt };
        break;
      }
      case 3: {
        let steps: BatchStep[] | undefined;
        readFields(m, (f, w) => {
          if (f !== 1) return false;
          expectWire(w, WIRE_LENGTH, "BatchStreamReq.batch");
          steps = decodeBatch(m.message());
          return true;
        });
        request = { type: "batch", steps: steps ?? [] };
        break;
      }
      case 4:
        request = { type: "sequence", ...decodeSqlRef(m, "SequenceStreamReq") };
        break;
      case 5:
        request = { type: "describe", ...decodeSqlRef(m, "DescribeStreamReq") };
        break;
      case 6: {
        let sqlId = 0;
        let sql: string | undefined;
        readFields(m, (f, w) => {
          if (f === 1) {
            expectWire(w, WIRE_VARINT, "StoreSqlStreamReq.sql_id");
            sqlId = m.int32();
            return true;
          }
          if (f === 2) {
            expectWire(w, WIRE_LENGTH, "StoreSqlStreamReq.sql");
            sql = m.string();
            return true;
          }
          return false;
        });
        if (sql === undefined) throw new ProtocolError("A store_sql request has no sql");
        request = { type: "store_sql", sqlId, sql };
        break;
      }
      case 7: {
        let sqlId = 0;
        readFields(m, (f, w) => {
          if (f !== 1) return false;
          expectWire(w, WIRE_VARINT, "CloseSqlStreamReq.sql_id");
          sqlId = m.int32();
          return true;
        });
        request = { type: "close_sql", sqlId };
        break;
      }
      case 8:
        request = { type: "get_autocommit" };
        break;
    }
    return true;
  });
  if (request === undefined) throw new ProtocolError("A StreamRequest has no known request type");
  return request;
}

function decodeBodyWithBaton<T>(body: Uint8Array, field2: (r: ProtoReader) => void, finish: (baton: string | null) => T): T {
  const r = new ProtoReader(body);
  let baton: string | null = null;
  readFields(r, (field, wire) => {
    if (field === 1) {
      expectWire(wire, WIRE_LENGTH, "baton");
      baton = r.string();
      return true;
    }
    if (field === 2) {
      expectWire(wire, WIRE_LENGTH, "body field 2");
      field2(r);
      return true;
    }
    return false;
  });
  return finish(baton);
}

export function decodePipelineProto(body: Uint8Array): PipelineRequest {
  const requests: StreamRequest[] = [];
  return decodeBodyWithBaton(
    body,
    (r) => requests.push(decodeRequest(r.message())),
    (baton) => ({ baton, requests }),
  );
}

export function decodeCursorProto(body: Uint8Array): CursorRequest {
  let steps: BatchStep[] = [];
  return decodeBodyWithBaton(
    body,
    (r) => {
      steps = decodeBatch(r.message());
    },
    (baton) => ({ baton, steps }),
  );
}

/** The baton of a body that failed to decode, so the server can still close its stream. */
export function batonOfProto(body: Uint8Array): string | null {
  try {
    const r = new ProtoReader(body);
    let baton: string | null = null;
    readFields(r, (field, wire) => {
      if (field !== 1 || wire !== WIRE_LENGTH) return false;
      baton = r.string();
      return true;
    });
    return baton;
  } catch {
    return null;
  }
}

// ---- results ----

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
