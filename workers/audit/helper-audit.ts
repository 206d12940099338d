// Every request made with a helper key is written to the audit ledger — key id, route, scope
// used, status, time — whether it succeeded or not, before its response leaves. A helper token on
// a route that checks no key (public, or no such route) is checked here. Only a token that proved
// to be the key it names writes a row in that key's name: a live key, or the right secret of a
// revoked or expired one (its holder trying). A forged token — a made-up id, or a real id with a
// wrong secret — writes nothing in the claimed key's name; its failure is only counted in the
// ledger's per-address summary (durable/audit/auth-failures.ts). A token that could not be checked
// (the key store unreachable) is written without a key id. Requests shed by the limiter (429) are
// not written, or a flood would.
import { createMiddleware } from "hono/factory";
import { canonicalDetail, type AuditEntry } from "../../lib/audit/audit-chain.ts";
import { errorBody } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import type { Caller } from "../auth/caller.ts";
import { authenticateGuarded } from "../auth/guarded-authenticate.ts";
import { presentedKey } from "../auth/presented-key.ts";
import { recordAudit } from "./audit-client.ts";

export const helperAudit = createMiddleware<AppEnv>(async (c, next) => {
  const { claimed } = presentedKey(c);
  if (claimed?.kind !== "helper") return next();
  const at = Date.now();
  await next();
  let caller = c.get("caller") as Caller | undefined;
  if (!c.var.authAttempted) {
    // The route answered without a key: check it here (a bad one is counted by the limiter and
    // the per-address summary like any other failure).
    caller = await authenticateGuarded(c).catch(() => undefined);
  }
  const status = c.res.status;
  if (status === 429) return;
  const retired = c.var.retiredKey;
  let entry: Pick<AuditEntry, "actor" | "keyId" | "detail">;
  if (caller?.kind === "helper" && caller.keyId === claimed.id) entry = { actor: "helper", keyId: claimed.id, detail: null };
  else if (retired?.keyId === claimed.id) entry = { actor: "helper", keyId: claimed.id, detail: canonicalDetail({ key: retired.reason }) };
  // The key store was unreachable: the attempt is recorded, but not in a name nobody verified.
  else if (c.var.keyUnverifiable) entry = { actor: "anonymous", keyId: null, detail: canonicalDetail({ key: "unverifiable", claimedKeyId: claimed.id }) };
  else return; // forged: nothing in the claimed key's name
  try {
    await recordAudit(c.env, [{ at, ...entry, action: "request", method: c.req.method, route: c.req.path, scope: c.get("membraneScope") ?? null, status }]);
  } catch {
    // Fail closed: a helper request that cannot be audited is not answered as if it were.
    console.error(`audit write failed for a helper request on ${c.req.method} ${c.req.path}`);
    c.res = c.json(errorBody("audit_unavailable", "the audit ledger could not record this request"), 503);
  }
});
