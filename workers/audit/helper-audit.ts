// Every request made with a helper key is written to the audit ledger — key id, route, scope
// used, status, time — whether it succeeded or not, before its response leaves. A helper token on
// a route that checks no key (public, or no such route) is checked here, so that every row comes
// from a key that was verified or a failure the rate limiter counted: a made-up token cannot
// write rows for free. Requests shed by the limiter (429) are not written, or a flood would.
import { createMiddleware } from "hono/factory";
import { canonicalDetail } from "../../lib/audit/audit-chain.ts";
import { errorBody, HttpError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { authenticateGuarded } from "../auth/guarded-authenticate.ts";
import { presentedKey } from "../auth/presented-key.ts";
import { recordAudit } from "./audit-client.ts";

export const helperAudit = createMiddleware<AppEnv>(async (c, next) => {
  const { claimed } = presentedKey(c);
  if (claimed?.kind !== "helper") return next();
  const at = Date.now();
  await next();
  let detail: string | null = null;
  if (!c.var.authAttempted) {
    try {
      await authenticateGuarded(c);
    } catch (err) {
      if (err instanceof HttpError && err.status === 429) return; // shed, not written
      // The route answered without a key; the row says this one was not good.
      detail = canonicalDetail({ key: err instanceof HttpError ? err.code : "unchecked" });
    }
  }
  const status = c.res.status;
  if (status === 429) return;
  try {
    await recordAudit(c.env, [
      { at, actor: "helper", keyId: claimed.id, action: "request", method: c.req.method, route: c.req.path, scope: c.get("membraneScope") ?? null, status, detail },
    ]);
  } catch {
    // Fail closed: a helper request that cannot be audited is not answered as if it were.
    console.error(`audit write failed for a helper request on ${c.req.method} ${c.req.path}`);
    c.res = c.json(errorBody("audit_unavailable", "the audit ledger could not record this request"), 503);
  }
});
