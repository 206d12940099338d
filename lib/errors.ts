// The one error class of the seed's HTTP surface. A named subclass carries a status and a stable
// code; one onError (workers/http/on-error.ts) maps it to `{ error: { code, message } }`; anything
// else becomes a 500 whose details stay in the server.
import type { ContentfulStatusCode } from "hono/utils/http-status";

export class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  constructor(status: ContentfulStatusCode, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, code = "bad_request", options?: { cause?: unknown }) {
    super(400, code, message, options);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = "missing, wrong, expired or revoked key", code = "unauthorized") {
    super(401, code, message);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string, code = "forbidden") {
    super(403, code, message);
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string, code = "not_found") {
    super(404, code, message);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string, code = "conflict") {
    super(409, code, message);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(message: string, code = "payload_too_large") {
    super(413, code, message);
  }
}

export class UnprocessableError extends HttpError {
  constructor(message: string, code = "unprocessable") {
    super(422, code, message);
  }
}

export class TooManyRequestsError extends HttpError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message = `too many failed authentication attempts; retry in ${retryAfterSeconds} s`, code = "too_many_failures") {
    super(429, code, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class UnavailableError extends HttpError {
  constructor(message: string, code = "unavailable", options?: { cause?: unknown }) {
    super(503, code, message, options);
  }
}

export type ErrorBody = { error: { code: string; message: string } };

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
