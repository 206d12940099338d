// Who may call a route. Every route declares its policy once; the presented key is checked on
// every request (authenticateGuarded: libSQL, or the key cache every revoke clears), then against the policy.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ForbiddenError } from "../../lib/errors.ts";
import { scopeGrants } from "../../lib/scopes.ts";
import type { AppEnv } from "../app-env.ts";
import { authenticateGuarded } from "./guarded-authenticate.ts";

export type AccessPolicy = {
  /** The owner's root key. */
  owner?: boolean;
  /** Any live agent key. */
  agent?: boolean;
  /** A helper (membrane) key holding this scope; a function derives it from the request. */
  helper?: string | ((c: Context<AppEnv>) => string);
  /** How the OpenAPI document names a scope that `helper` derives from the request. */
  helperDoc?: string;
};

export function access(policy: AccessPolicy) {
  const middleware = createMiddleware<AppEnv>(async (c, next) => {
    // Rate-limited on failure (per address and key id): workers/auth/failed-auth-limiter.ts.
    const caller = await authenticateGuarded(c);
    c.set("caller", caller);
    if (caller.kind === "root" && policy.owner) return next();
    if (caller.kind === "agent" && policy.agent) return next();
    if (caller.kind === "helper" && policy.helper !== undefined) {
      const required = typeof policy.helper === "function" ? policy.helper(c) : policy.helper;
      c.set("membraneScope", required); // the audit ledger records the scope a helper used
      if (caller.scopes.some((s) => scopeGrants(s, required))) return next();
      throw new ForbiddenError(`this key lacks the scope ${required}`, "missing_scope");
    }
    const allowed = [policy.owner && "the owner's root key", policy.agent && "an agent key", policy.helper && "a helper key with the right scope"].filter(Boolean);
    throw new ForbiddenError(`this route needs ${allowed.join(" or ")}`, "wrong_key_kind");
  });
  // The policy stays readable on the middleware: tests enumerate the owner's routes from the app.
  return Object.assign(middleware, { policy });
}
