// Named errors of the libSQL server. Each carries the Hrana error `code` the client surfaces as
// `LibsqlError.code`, and the HTTP status used when the error ends the whole request.

export class DbServerError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(message: string, code: string, status: number) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** The request body or one of its parts does not follow the Hrana protocol. */
export class ProtocolError extends DbServerError {
  constructor(message: string) {
    super(message, "PROTOCOL_ERROR", 400);
  }
}

export class UnauthorizedError extends DbServerError {
  constructor() {
    super("Missing or invalid bearer token", "UNAUTHORIZED", 401);
  }
}

export class BodyTooLargeError extends DbServerError {
  constructor(limit: number) {
    super(`Request body exceeds ${limit} bytes`, "BODY_TOO_LARGE", 413);
  }
}

/** The client went away before its request body arrived; there is nobody left to answer. */
export class RequestAbortedError extends DbServerError {
  constructor() {
    super("The request was aborted by the client", "REQUEST_ABORTED", 400);
  }
}

export class RouteNotFoundError extends DbServerError {
  constructor(path: string) {
    super(`No route for ${path}`, "NOT_FOUND", 404);
  }
}

export class MethodNotAllowedError extends DbServerError {
  constructor(method: string, path: string) {
    super(`${method} is not allowed on ${path}`, "METHOD_NOT_ALLOWED", 405);
  }
}

/** The baton is unknown: never issued, already used, or its stream expired or was closed. */
export class StreamNotFoundError extends DbServerError {
  constructor() {
    super("Unknown or expired baton: the stream is closed", "STREAM_EXPIRED", 400);
  }
}

export class ServerClosingError extends DbServerError {
  constructor() {
    super("The database server is shutting down", "SERVER_SHUTTING_DOWN", 503);
  }
}

/** A single stream request failed for a reason the client caused (bad args, unknown sql_id…);
 * reported inside the pipeline result, not as an HTTP error. */
export class StreamRequestError extends DbServerError {
  constructor(message: string, code: string) {
    super(message, code, 400);
  }
}

/** Waiting for the process-wide write lock took too long. Reported with SQLite's own code so
 * clients treat it like any other busy database. */
export class WriteLockTimeoutError extends DbServerError {
  constructor(waitedMs: number) {
    super(
      `SQLITE_BUSY: database is locked: waited ${waitedMs} ms for another stream's write transaction to finish`,
      "SQLITE_BUSY",
      503,
    );
  }
}

export class TooManyStreamsError extends DbServerError {
  constructor(limit: number) {
    super(`All ${limit} streams are open; close streams (or let idle ones expire) and retry`, "TOO_MANY_STREAMS", 503);
  }
}

export class TooManyConnectionsError extends DbServerError {
  constructor(limit: number) {
    super(`All ${limit} database connections are in use by open transactions`, "TOO_MANY_CONNECTIONS", 503);
  }
}

/** The statement is one the server never runs (it would reach outside the database). */
export class SqlRefusedError extends StreamRequestError {
  constructor(reason: string) {
    super(`The server refuses this statement: ${reason}`, "SQL_NOT_ALLOWED");
  }
}

/** The request has used up its statement count or its execution time; later statements of the
 * request do not run. */
export class RequestBudgetError extends StreamRequestError {
  constructor(message: string, code: "TOO_MANY_STATEMENTS" | "REQUEST_TIMEOUT") {
    super(message, code);
  }
}

export class ResponseTooLargeError extends StreamRequestError {
  constructor(limit: number) {
    super(`The result of the statement exceeds ${limit} bytes; select fewer rows or columns (LIMIT/OFFSET)`, "RESPONSE_TOO_LARGE");
  }
}

/** Hrana's Error. sqld puts SQLite's base code in `code`; the extended code (which the official
 * client reads as `extendedCode` from its local driver) travels as `extended_code`, a field
 * clients that do not know it ignore. */
export interface HranaError {
  message: string;
  code: string;
  extended_code?: string;
}

interface SqliteLikeError {
  message: string;
  code: string;
}

function isSqliteError(error: unknown): error is SqliteLikeError {
  return (
    error instanceof Error &&
    error.name === "SqliteError" &&
    typeof (error as { code?: unknown }).code === "string"
  );
}

/** SQLITE_CONSTRAINT_UNIQUE → SQLITE_CONSTRAINT. Base code names contain no underscore of their
 * own, so the base is the first two parts of the extended name. */
export function baseSqliteCode(code: string): string {
  const second = code.indexOf("_", "SQLITE_".length);
  return second === -1 ? code : code.slice(0, second);
}

/** The Hrana `Error` for a failed stream request. */
export function toHranaError(error: unknown): HranaError {
  if (error instanceof DbServerError) return { message: error.message, code: error.code };
  if (isSqliteError(error)) {
    const code = baseSqliteCode(error.code);
    return code === error.code
      ? { message: error.message, code }
      : { message: error.message, code, extended_code: error.code };
  }
  return { message: "Internal error while executing the request", code: "INTERNAL_ERROR" };
}

export function isExpectedError(error: unknown): boolean {
  return error instanceof DbServerError || isSqliteError(error);
}
