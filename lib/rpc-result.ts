// Errors thrown inside a Durable Object carry a status and a code; RPC hands them back as data
// (an error class does not survive the RPC boundary) and the Worker's route turns them back into
// an HttpError with `unwrap`. Shared by every Durable Object.
import { HttpError } from "./errors.ts";

export type RpcError = { status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 503; code: string; message: string };
export type RpcResult<T> = { ok: true; value: T } | { ok: false; error: RpcError };

export class RpcFailure extends Error {
  readonly error: RpcError;
  constructor(status: RpcError["status"], code: string, message: string) {
    super(message);
    this.name = "RpcFailure";
    this.error = { status, code, message };
  }
}

/** Runs `fn`; an RpcFailure becomes an error result, anything else is thrown on. */
export function run<T>(fn: () => T): RpcResult<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof RpcFailure) return { ok: false, error: err.error };
    throw err;
  }
}

export async function runAsync<T>(fn: () => Promise<T>): Promise<RpcResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof RpcFailure) return { ok: false, error: err.error };
    throw err;
  }
}

/** The value of an RPC result, or its error thrown as the HttpError the route answers with. */
export function unwrap<T>(r: RpcResult<T>): T {
  if (r.ok) return r.value;
  throw new HttpError(r.error.status, r.error.code, r.error.message);
}
