// Hrana 3 over HTTP, Protobuf encoding (`v3-protobuf/pipeline`, `v3-protobuf/cursor`): request
// bodies, as the spec's "Hrana over HTTP" and "Shared structures" schemas define them. The
// official client (hrana-client 0.10 with protocol version 3) probes `v3-protobuf` and uses only
// this encoding. Unknown fields are skipped, as the spec requires.
import { ProtocolError } from "./errors.ts";
import type { BatchCond, BatchStep, CursorRequest, PipelineRequest, SqlValue, Stmt, StreamRequest } from "./hrana-types.ts";
import { ProtoReader, WIRE_FIXED64, WIRE_LENGTH, WIRE_VARINT, expectWire, readFields } from "./protobuf-wire.ts";

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
