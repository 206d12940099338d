// Checking a value against a schema by hand (a route that checks items one by one, a path part
// the bus reads itself): the same 422 `invalid_input` as the routes' validators.
import type { z } from "zod";
import { UnprocessableError } from "../../lib/errors.ts";
import { issueMessage, type InputPart } from "../../lib/zod-issue.ts";

/** Where the value sits: a part of the request (`body`), or a path inside it (`body.tasks.3`). */
export type Where = InputPart | `${InputPart}.${string}`;

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: Where = "body"): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new UnprocessableError(issueMessage(where, r.error), "invalid_input");
}
