// The one mapping from a thrown error to the JSON error shape `{ error: { code, message } }`.
import type { ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { errorBody, HttpError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";

// hono's own exceptions (its validator's parse error, zod-openapi's media-type gate) get codes and
// messages in the seed's words.
const HONO_ERRORS: Partial<Record<number, [string, string]>> = {
  400: ["invalid_json", "request body is not valid JSON"],
  413: ["payload_too_large", "request body is too large"],
  415: ["unsupported_media_type", "send the body as JSON with Content-Type: application/json"],
};

export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof HttpError) return c.json(errorBody(err.code, err.message), err.status);
  if (err instanceof HTTPException) {
    const [code, message] = HONO_ERRORS[err.status] ?? ["http_error", err.message];
    return c.json(errorBody(code, message), err.status);
  }
  // Details stay out of the response; the log line names the error class only, never a secret.
  console.error(`unhandled ${err.name} on ${c.req.method} ${c.req.path}`);
  return c.json(errorBody("internal", "internal error"), 500);
};
