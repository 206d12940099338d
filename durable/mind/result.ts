// Errors thrown inside the Mind carry a status and code; RPC hands them back as data (an error
// class does not survive the RPC boundary), and the route turns them into the JSON error shape.
import type { MindError, MindResult } from "../../lib/mind/wire.ts";

export class MindFailure extends Error {
  readonly error: MindError;
  constructor(status: MindError["status"], code: string, message: string) {
    super(message);
    this.name = "MindFailure";
    this.error = { status, code, message };
  }
}

export function run<T>(fn: () => T): MindResult<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof MindFailure) return { ok: false, error: err.error };
    throw err;
  }
}

export async function runAsync<T>(fn: () => Promise<T>): Promise<MindResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof MindFailure) return { ok: false, error: err.error };
    throw err;
  }
}
