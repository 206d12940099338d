// Any JSON value, as a named recursive schema: zod's own z.json() is a lazy schema with no name,
// which the OpenAPI generator follows forever; named, it becomes one `$ref: JsonValue`.
import { z } from "zod";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const JsonValue: z.ZodType<JsonValue> = z
  .lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonValue), z.record(z.string(), JsonValue)]))
  .meta({ id: "JsonValue", description: "any JSON value" });
