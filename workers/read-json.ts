// Transitional: the bus routes (workers/bus, converted to createRoute by door-bus) still read
// their bodies here. It takes the same path as jsonBody(): bytes counted while they stream in,
// depth checked on the text, one 422 mapping. New routes use createRoute + jsonBody (CONVENTIONS.md).
import type { Context } from "hono";
import type { z } from "zod";
import { BadRequestError, UnprocessableError } from "../lib/errors.ts";
import { JSON_TOO_DEEP, jsonDepthOver } from "../lib/json-depth.ts";
import type { AppEnv } from "./app-env.ts";
import { DEFAULT_BODY_LIMIT, rawBody } from "./http/json-body.ts";
import { parseWith } from "./http/parse-with.ts";

export async function readJson<S extends z.ZodType>(c: Context<AppEnv>, schema: S, maxBytes = DEFAULT_BODY_LIMIT): Promise<z.output<S>> {
  let text = "";
  await rawBody(maxBytes)(c, async () => {
    text = await c.req.text();
  });
  if (jsonDepthOver(text)) throw new UnprocessableError(JSON_TOO_DEEP, "json_too_deep");
  let value: unknown;
  try {
    value = text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    throw new BadRequestError("request body is not valid JSON", "invalid_json");
  }
  return parseWith(schema, value);
}
