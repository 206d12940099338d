import type { Context } from "hono";
import type { z } from "zod";
import { BadRequestError, PayloadTooLargeError, UnprocessableError } from "../lib/errors.ts";

export const DEFAULT_MAX_BODY = 1024 * 1024;

/**
 * Reads and validates a JSON body at the edge: too large → 413, not JSON → 400,
 * JSON of the wrong shape → 422 naming the first offending field.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S, maxBytes = DEFAULT_MAX_BODY): Promise<z.output<S>> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxBytes) throw new PayloadTooLargeError(`request body is over ${maxBytes} bytes`);
  const text = await c.req.text();
  if (new TextEncoder().encode(text).byteLength > maxBytes) throw new PayloadTooLargeError(`request body is over ${maxBytes} bytes`);
  let value: unknown;
  try {
    value = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new BadRequestError("request body is not valid JSON", "invalid_json");
  }
  return parseWith(schema, value);
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.length ? issue.path.join(".") : "body";
  throw new UnprocessableError(`${where}: ${issue.message}`, "invalid_input");
}
