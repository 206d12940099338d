// Hrana over HTTP, JSON encoding: validates a parsed request body into typed requests. Anything off-shape is a
// ProtocolError naming the offending path, so a bad client gets a 400 it can debug instead of
// the server tripping over `undefined` later. Unknown fields are ignored, as the spec requires.
import { ProtocolError } from "./errors.ts";
import type { BatchCond, BatchStep, CursorRequest, PipelineRequest, SqlRef, SqlValue, Stmt, StreamRequest, WsClientMsg, WsRequest } from "./hrana-types.ts";

type JsonObject = Record<string, unknown>;

const MAX_COND_DEPTH = 64;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^-?\d{1,20}$/;
const BASE64_TEXT = /^[A-Za-z0-9+/\-_]*={0,2}$/;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function object(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new ProtocolError(`${path} must be an object`);
  return value;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ProtocolError(`${path} must be an array`);
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string") throw new ProtocolError(`${path} must be a string`);
  return value;
}

function int32(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new ProtocolError(`${path} must be a 32-bit integer`);
  }
  return value;
}

function uint32(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
    throw new ProtocolError(`${path} must be a non-negative integer`);
  }
  return value;
}

function optional<T>(value: unknown, path: string, read: (v: unknown, p: string) => T): T | undefined {
  return value === undefined || value === null ? undefined : read(value, path);
}

export function decodeValue(raw: unknown, path: string): SqlValue {
  const value = object(raw, path);
  const type = value["type"];
  switch (type) {
    case "null":
      return null;
    case "integer": {
      const text = value["value"];
      if (typeof text === "number" && Number.isSafeInteger(text)) return BigInt(text);
      if (typeof text !== "string" || !INTEGER_TEXT.test(text)) {
        throw new ProtocolError(`${path}.value must be a decimal integer string`);
      }
      const n = BigInt(text);
      if (n < INT64_MIN || n > INT64_MAX) throw new ProtocolError(`${path}.value is outside the 64-bit range`);
      return n;
    }
    case "float": {
      const n = value["value"];
      if (typeof n !== "number") throw new ProtocolError(`${path}.value must be a number`);
      return n;
    }
    case "text":
      return string(value["value"], `${path}.value`);
    case "blob": {
      const text = string(value["base64"], `${path}.base64`);
      if (!BASE64_TEXT.test(text)) throw new ProtocolError(`${path}.base64 is not base64`);
      return Buffer.from(text, "base64");
    }
    default:
      throw new ProtocolError(`${path}.type must be one of null, integer, float, text, blob`);
  }
}

function sqlRef(obj: JsonObject, path: string): SqlRef {
  const sql = optional(obj["sql"], `${path}.sql`, string);
  const sqlId = optional(obj["sql_id"], `${path}.sql_id`, int32);
  if ((sql === undefined) === (sqlId === undefined)) {
    throw new ProtocolError(`${path} must have exactly one of sql and sql_id`);
  }
  return { sql, sqlId };
}

export function decodeStmt(raw: unknown, path: string): Stmt {
  const obj = object(raw, path);
  const { sql, sqlId } = sqlRef(obj, path);
  const args = (optional(obj["args"], `${path}.args`, array) ?? []).map((v, i) => decodeValue(v, `${path}.args[${i}]`));
  const namedArgs = (optional(obj["named_args"], `${path}.named_args`, array) ?? []).map((v, i) => {
    const p = `${path}.named_args[${i}]`;
    const arg = object(v, p);
    return { name: string(arg["name"], `${p}.name`), value: decodeValue(arg["value"], `${p}.value`) };
  });
  const wantRows = obj["want_rows"];
  if (wantRows !== undefined && wantRows !== null && typeof wantRows !== "boolean") {
    throw new ProtocolError(`${path}.want_rows must be a boolean`);
  }
  return { sql, sqlId, args, namedArgs, wantRows: wantRows !== false };
}

function decodeCond(raw: unknown, path: string, depth: number): BatchCond {
  if (depth > MAX_COND_DEPTH) throw new ProtocolError(`${path} is nested too deeply`);
  const obj = object(raw, path);
  switch (obj["type"]) {
    case "ok":
    case "error":
      return { type: obj["type"], step: uint32(obj["step"], `${path}.step`) };
    case "not":
      return { type: "not", cond: decodeCond(obj["cond"], `${path}.cond`, depth + 1) };
    case "and":
    case "or":
      return {
        type: obj["type"],
        conds: array(obj["conds"], `${path}.conds`).map((c, i) => decodeCond(c, `${path}.conds[${i}]`, depth + 1)),
      };
    case "is_autocommit":
      return { type: "is_autocommit" };
    default:
      throw new ProtocolError(`${path}.type must be one of ok, error, not, and, or, is_autocommit`);
  }
}

function decodeSteps(raw: unknown, path: string): BatchStep[] {
  const batch = object(raw, path);
  return array(batch["steps"], `${path}.steps`).map((s, i) => {
    const p = `${path}.steps[${i}]`;
    const step = object(s, p);
    const condition = optional(step["condition"], `${p}.condition`, (c, cp) => decodeCond(c, cp, 0));
    return { condition, stmt: decodeStmt(step["stmt"], `${p}.stmt`) };
  });
}

function decodeRequest(raw: unknown, path: string): StreamRequest {
  const obj = object(raw, path);
  const type = obj["type"];
  switch (type) {
    case "close":
    case "get_autocommit":
      return { type };
    case "execute":
      return { type, stmt: decodeStmt(obj["stmt"], `${path}.stmt`) };
    case "batch":
      return { type, steps: decodeSteps(obj["batch"], `${path}.batch`) };
    case "sequence":
    case "describe":
      return { type, ...sqlRef(obj, path) };
    case "store_sql":
      return { type, sqlId: int32(obj["sql_id"], `${path}.sql_id`), sql: string(obj["sql"], `${path}.sql`) };
    case "close_sql":
      return { type, sqlId: int32(obj["sql_id"], `${path}.sql_id`) };
    default:
      throw new ProtocolError(
        `${path}.type must be one of close, execute, batch, sequence, describe, store_sql, close_sql, get_autocommit`,
      );
  }
}

export function decodePipeline(raw: unknown): PipelineRequest {
  const body = object(raw, "body");
  const baton = optional(body["baton"], "body.baton", string) ?? null;
  const requests = array(body["requests"], "body.requests").map((r, i) => decodeRequest(r, `body.requests[${i}]`));
  return { baton, requests };
}

export function decodeCursor(raw: unknown): CursorRequest {
  const body = object(raw, "body");
  const baton = optional(body["baton"], "body.baton", string) ?? null;
  return { baton, steps: decodeSteps(body["batch"], "body.batch") };
}

/** The baton of a body that failed validation, so the server can still close its stream. */
export function batonOf(raw: unknown): string | null {
  return isObject(raw) && typeof raw["baton"] === "string" ? raw["baton"] : null;
}

function decodeWsRequest(raw: unknown, path: string): WsRequest {
  const obj = object(raw, path);
  const type = obj["type"];
  const streamId = (): number => int32(obj["stream_id"], `${path}.stream_id`);
  const cursorId = (): number => int32(obj["cursor_id"], `${path}.cursor_id`);
  switch (type) {
    case "open_stream":
      return { type, streamId: streamId() };
    case "close_stream":
      return { type: "stream", streamId: streamId(), request: { type: "close" } };
    case "execute":
    case "batch":
    case "sequence":
    case "describe":
    case "get_autocommit": {
      const request = decodeRequest(obj, path);
      if (request.type === "store_sql" || request.type === "close_sql") throw new ProtocolError(`${path}.type is not a stream request`);
      return { type: "stream", streamId: streamId(), request };
    }
    case "open_cursor":
      return { type, streamId: streamId(), cursorId: cursorId(), steps: decodeSteps(obj["batch"], `${path}.batch`) };
    case "close_cursor":
      return { type, cursorId: cursorId() };
    case "fetch_cursor":
      return { type, cursorId: cursorId(), maxCount: uint32(obj["max_count"], `${path}.max_count`) };
    case "store_sql":
    case "close_sql": {
      const request = decodeRequest(obj, path);
      if (request.type !== "store_sql" && request.type !== "close_sql") throw new ProtocolError(`${path}.type is not a SQL text request`);
      return request;
    }
    default:
      throw new ProtocolError(
        `${path}.type must be one of open_stream, close_stream, execute, batch, open_cursor, close_cursor, fetch_cursor, sequence, describe, store_sql, close_sql, get_autocommit`,
      );
  }
}

/** A WebSocket message from the client (hello or request). */
export function decodeWsClientMsg(raw: unknown): WsClientMsg {
  const msg = object(raw, "message");
  switch (msg["type"]) {
    case "hello":
      return { type: "hello", jwt: optional(msg["jwt"], "message.jwt", string) };
    case "request":
      return {
        type: "request",
        requestId: int32(msg["request_id"], "message.request_id"),
        request: decodeWsRequest(msg["request"], "message.request"),
      };
    default:
      throw new ProtocolError("message.type must be hello or request");
  }
}
