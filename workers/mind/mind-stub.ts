// The one Mind object.
import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";

export const mindOf = (env: Env) => env.MIND.get(env.MIND.idFromName("mind"));
export const mind = (c: Context<AppEnv>) => mindOf(c.env);
