// One mapping from a zod failure to the text of a 422: where (the part of the request or frame,
// then the field path) and what. `body.ttl: between 1 minute and 366 days`, `path.topic: …`.
import type { z } from "zod";

export type InputPart = "body" | "path" | "query" | "header" | "frame";

/** `part` is where the value sits: `body`, or a path inside the request like `body.tasks.3`. */
export function issueMessage(part: InputPart | `${InputPart}.${string}`, error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return `${part}: invalid`;
  const where = [part, ...issue.path.map(String)].join(".");
  return `${where}: ${issue.message}`;
}
