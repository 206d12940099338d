// Every request made with a helper key is written to the audit ledger — key id, route, scope
// used, status, time — whether it succeeded or not, before its response leaves. A helper token on
// a route that checks no key (public, or no such route) is checked here, so that every row comes
// from a key that was verified or a failure the rate limiter counted: a made-up token cannot
// write rows for free. Requests shed by the limiter (429) are not written, or a flood would.
import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import { canonicalDetail } from "../../lib/audit/audit-chain.ts";
import { errorBody, HttpError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { authenticateGuarded, authenticationAttempted } from "../membrane/guarded-authenticate.ts";
import { recordAudit } from "./audit-client.ts";

const HELPER_TOKEN = /^seed_helper_([a-z0-9]{16})_/;

/** The helper key the request presents (Authorization, or the bus's WebSocket subprotocol). */
export function presentedHelperKey(c: Context<AppEnv>): { keyId: string; header: string } | null {
  const auth = c.req.header("Authorization");
  const token = auth
    ? auth.replace(/^Bearer\s+/, "")
    : (c.req.header("Sec-WebSocket-Protocol") ?? "").split(",").map((s) => s.trim()).find((p) => p.startsWith("seed.key."))?.slice("seed.key.".length);
  const keyId = token ? HELPER_TOKEN.exec(token)?.[1] : undefined;
  return keyId ? { keyId, header: auth ?? `Bearer ${token}` } : null;
}

export const helperAudit = createMiddleware<AppEnv>(async (c, next) => {
  const presented = presentedHelperKey(c);
  if (presented === null) return next();
  const at = Date.now();
  await next();
  let detail: string | null = null;
  if (!authenticationAttempted(c.req.raw)) {
    try {
      await authenticateGuarded(c, presented.header);
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
      { at, actor: "helper", keyId: presented.keyId, action: "request", method: c.req.method, route: c.req.path, scope: c.get("membraneScope") ?? null, status, detail },
    ]);
  } catch {
    // Fail closed: a helper request that cannot be audited is not answered as if it were.
    console.error(`audit write failed for a helper request on ${c.req.method} ${c.req.path}`);
    c.res = c.json(errorBody("audit_unavailable", "the audit ledger could not record this request"), 503);
  }
});
