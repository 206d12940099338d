// Small builders for createRoute() declarations, so a route table reads as policy + schema + handler.
import type { ZodType } from "zod";

/** A required JSON request body validated by `schema` (pair it with jsonBody(limit) in the middleware). */
export function json<S extends ZodType>(schema: S) {
  return { content: { "application/json": { schema } }, required: true } as const;
}

/** An optional JSON request body: absent means `{}`. */
export function optionalJson<S extends ZodType>(schema: S) {
  return { content: { "application/json": { schema } }, required: false } as const;
}

/** A response documented by its description (schemas for the OpenAPI document come with issue 14). */
export function described(description: string) {
  return { description } as const;
}
