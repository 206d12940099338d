// What the memory routes take from the request: the database and the caller's scope.
import type { Context } from "hono";
import type { AnyDb, MemoryScope } from "../../lib/memory/memory-types.ts";
import type { AppEnv } from "../app-env.ts";

export const dbOf = (c: Context<AppEnv>): AnyDb => c.var.db;

/** An agent reaches its own memories and the shared ones; the owner and helpers reach all. */
export function scopeOf(c: Context<AppEnv>): MemoryScope {
  const caller = c.var.caller;
  return caller.kind === "agent" ? { kind: "agent", agentId: caller.keyId } : { kind: "all" };
}
