// The one Mind object, and turning its MindResult errors into the app's HTTP errors.
import type { Context } from "hono";
import { HttpError } from "../../lib/errors.ts";
import type { MindResult } from "../../lib/mind/wire.ts";
import type { AppEnv, Bindings } from "../app-env.ts";

export const mindOf = (env: Bindings) => env.MIND.get(env.MIND.idFromName("mind"));
export const mind = (c: Context<AppEnv>) => mindOf(c.env);

export function unwrap<T>(r: MindResult<T>): T {
  if (r.ok) return r.value;
  throw new HttpError(r.error.status, r.error.code, r.error.message);
}
