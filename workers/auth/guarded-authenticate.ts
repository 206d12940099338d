// authenticate() behind the failed-authentication limiter, plus the key's last-used time.
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import { keys } from "../../lib/db/schema.ts";
import { HttpError, TooManyRequestsError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthFailure } from "../../durable/audit/auth-failures.ts";
import { auditLedger } from "../audit/audit-client.ts";
import { authenticate, RetiredKeyError } from "./authenticate.ts";
import type { Caller } from "./caller.ts";
import { clientAddress, failedAuth } from "./failed-auth-limiter.ts";
import { inProcessCaller } from "./in-process-caller.ts";
import { presentedKey, type PresentedKey } from "./presented-key.ts";

const TOUCH_EVERY_MS = 60_000;
const touched = new Map<string, number>();
/**
 * Verifies the key this request presents (workers/auth/presented-key.ts) or throws 400/401/429/503.
 * The limiter is consulted only once the key has failed, so a correct key never meets it, whatever
 * anyone else did from the same address; and it is consulted and charged in one synchronous step
 * after the await, so parallel failures are all counted (checking before the await let 500
 * parallel bad keys through the gate together). Every failure goes to the audit ledger's
 * per-address summary, never to a row of its own.
 */
export async function authenticateGuarded(c: Context<AppEnv>, presented: PresentedKey = presentedKey(c)): Promise<Caller> {
  c.set("authAttempted", true); // the helper audit checks a key no route checked
  // The console's own requests: the session's key was checked against libSQL on this request.
  const preset = inProcessCaller(c.req.raw);
  if (preset) return preset;
  const { authorization, claimed } = presented;
  const now = Date.now();
  let caller: Caller;
  try {
    caller = await authenticate(c.var.db, authorization, now);
  } catch (err) {
    if (err instanceof HttpError && err.status === 503) c.set("keyUnverifiable", true);
    if (!(err instanceof HttpError && (err.status === 401 || err.status === 400))) throw err;
    if (err instanceof RetiredKeyError) c.set("retiredKey", { keyId: err.keyId, reason: err.reason });
    const address = clientAddress(c.req.raw);
    const keyId = claimed?.id ?? null;
    const limiterNow = failedAuth.clock();
    const wait = failedAuth.check(address, keyId, limiterNow);
    if (wait === 0) failedAuth.fail(address, keyId, limiterNow);
    await noteFailure(c, { address, claimedKeyId: keyId, shed: wait > 0, at: now });
    if (wait > 0) {
      const shed = new TooManyRequestsError(Math.ceil(wait / 1000));
      c.header("Retry-After", String(shed.retryAfterSeconds));
      throw shed;
    }
    throw err;
  }
  touchLastUsed(c, caller.keyId, now);
  return caller;
}

/** Into the ledger's per-address summary; a ledger that cannot count it must not change the answer. */
async function noteFailure(c: Context<AppEnv>, f: AuthFailure): Promise<void> {
  try {
    await auditLedger(c.env).noteAuthFailure(f);
  } catch {
    console.error("a failed authentication could not be counted in the audit ledger");
  }
}

/** Records lastUsedAt at most once a minute per key, after the response (not on its path). */
function touchLastUsed(c: Context<AppEnv>, keyId: string, now: number): void {
  if (now - (touched.get(keyId) ?? 0) < TOUCH_EVERY_MS) return;
  touched.set(keyId, now);
  if (touched.size > 10_000) touched.delete(touched.keys().next().value!);
  const write = c.var.db
    .update(keys)
    .set({ lastUsedAt: now })
    .where(eq(keys.id, keyId))
    .then(
      () => {},
      () => touched.delete(keyId), // try again on the next request
    );
  try {
    c.executionCtx.waitUntil(write);
  } catch {
    // No execution context (a direct app.fetch without one): the promise still runs.
  }
}
