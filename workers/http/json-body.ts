// The one path every request body takes: bytes are counted while they stream in and the request
// stops at the route's limit (hono's bodyLimit: Content-Length checked up front, a chunked body
// counted chunk by chunk, never buffered past the limit); JSON is then checked for depth on its
// text, before anything parses it. Routes declare the limit in their middleware:
//   middleware: [access(...), jsonBody(MESSAGE_LIMIT)]   — JSON, validated by the route's schema
//   middleware: [rawBody(MAX_HOOK_BODY)]                 — raw bytes (webhooks: the signature needs them)
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import { jsonDepthOver, JSON_TOO_DEEP } from "../../lib/json-depth.ts";
import { HttpError, PayloadTooLargeError, UnprocessableError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";

/** The default limit of a JSON body: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;
// What fetch() sends for a string body when the caller set no Content-Type: taken as JSON too.
const PLAIN_TEXT = /^text\/plain\s*(;|$)/i;

function limited(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new PayloadTooLargeError(`request body is over ${maxBytes} bytes`);
    },
  });
}

/**
 * A JSON body of at most `maxBytes`, nested at most 64 deep. A body without Content-Type, or sent
 * as text/plain, is taken as JSON; another media type is 415. An empty body reads as `{}`, so a missing field is named by
 * the schema (422) instead of a bare parse error.
 */
export function jsonBody(maxBytes = DEFAULT_BODY_LIMIT) {
  const limit = limited(maxBytes);
  return createMiddleware<AppEnv>((c, next) =>
    limit(c, async () => {
      const type = c.req.header("Content-Type");
      const json = type !== undefined && JSON_TYPE.test(type);
      if (type !== undefined && !json && !PLAIN_TEXT.test(type)) {
        throw new HttpError(415, "unsupported_media_type", `send the body as JSON with Content-Type: application/json (got ${type.slice(0, 100)})`);
      }
      const text = await c.req.text();
      if (jsonDepthOver(text)) throw new UnprocessableError(JSON_TOO_DEEP, "json_too_deep");
      if (!json || text.trim() === "") useText(c, text.trim() === "" ? "{}" : text);
      await next();
    }),
  );
}

/** The raw bytes of a body of at most `maxBytes`, read with `await c.req.arrayBuffer()`. */
export function rawBody(maxBytes: number) {
  return limited(maxBytes);
}

// The route's validator parses `c.req.json()` and refuses a body whose request has no JSON media
// type: give it a request that says JSON and carries this text (already in memory).
function useText(c: Context<AppEnv>, text: string): void {
  const headers = new Headers(c.req.raw.headers);
  headers.set("Content-Type", "application/json");
  c.req.raw = new Request(c.req.raw, { headers, body: text });
  c.req.bodyCache = {};
}
