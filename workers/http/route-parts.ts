// Small builders for createRoute() declarations, so a route table reads as policy + schema + handler.
import { z, type ZodType } from "zod";

/** A required JSON request body validated by `schema` (pair it with jsonBody(limit) in the middleware). */
export function json<S extends ZodType>(schema: S) {
  return { content: { "application/json": { schema } }, required: true } as const;
}

/** An optional JSON request body: absent means `{}`. */
export function optionalJson<S extends ZodType>(schema: S) {
  return { content: { "application/json": { schema } }, required: false } as const;
}

/** A response documented by its description only (its body is not described yet). */
export function described(description: string) {
  return { description } as const;
}

/** A JSON response whose body the OpenAPI document describes with `schema`. */
export function returns<S extends ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

/** Every answer that is not 2xx: `{error: {code, message}}` (lib/errors.ts). */
export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
