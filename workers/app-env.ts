import type { Db } from "../lib/db/client.ts";
import type { Caller } from "./auth/caller.ts";

/** Hono's environment for the seed's app: workerd's Env (workers/env.d.ts) and per-request values. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    db: Db;
    caller: Caller;
    /** The scope a helper request was checked against (audited). */
    membraneScope?: string;
    /** Set when the request's key went through authenticateGuarded (workers/auth). */
    authAttempted?: boolean;
    /** The presented key had the right secret but is revoked or expired (its holder is known). */
    retiredKey?: { keyId: string; reason: "revoked" | "expired" };
    /** The key could not be checked (the key store is unreachable): neither good nor bad. */
    keyUnverifiable?: boolean;
  };
};
