// authenticate() behind the failed-authentication limiter, plus the key's last-used time.
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import { keys } from "../../lib/db/schema.ts";
import { HttpError, TooManyRequestsError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { authenticate } from "./authenticate.ts";
import type { Caller } from "./caller.ts";
import { clientAddress, failedAuth } from "./failed-auth-limiter.ts";
import { presentedKey } from "./presented-key.ts";

const TOUCH_EVERY_MS = 60_000;
const touched = new Map<string, number>();
/** Verifies the key this request presents (workers/auth/presented-key.ts) or throws 400/401/429/503. */
export async function authenticateGuarded(c: Context<AppEnv>): Promise<Caller> {
  c.set("authAttempted", true); // the helper audit checks a key no route checked
  const { authorization, claimed } = presentedKey(c);
  const now = Date.now();
  const limiterNow = failedAuth.clock();
  const address = clientAddress(c.req.raw);
  const keyId = claimed?.id ?? null;
  try {
    failedAuth.check(address, keyId, limiterNow);
  } catch (err) {
    if (err instanceof TooManyRequestsError) c.header("Retry-After", String(err.retryAfterSeconds));
    throw err;
  }
  let caller: Caller;
  try {
    caller = await authenticate(c.var.db, authorization, now);
  } catch (err) {
    if (err instanceof HttpError && (err.status === 401 || err.status === 400)) failedAuth.fail(address, keyId, limiterNow);
    throw err;
  }
  touchLastUsed(c, caller.keyId, now);
  return caller;
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
