// authenticate() behind the failed-authentication limiter, plus the key's last-used time.
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import { keys } from "../../lib/db/schema.ts";
import { HttpError } from "../../lib/errors.ts";
import type { AppEnv, Caller } from "../app-env.ts";
import { authenticate } from "../auth/authenticate.ts";
import { clientAddress, failedAuth, TooManyRequestsError } from "./failed-auth-limiter.ts";

const CLAIMED_ID = /^Bearer seed_(?:root|agent|helper)_([a-z0-9]{16})_/;
const TOUCH_EVERY_MS = 60_000;
const touched = new Map<string, number>();
/** Requests whose key went through authenticateGuarded (the helper audit needs to know). */
const attempted = new WeakSet<Request>();

export function authenticationAttempted(req: Request): boolean {
  return attempted.has(req);
}

/** The key id a header claims, unverified: only for rate limiting and auditing. */
export function claimedKeyId(header: string | undefined): string | null {
  return header ? (CLAIMED_ID.exec(header)?.[1] ?? null) : null;
}

export async function authenticateGuarded(c: Context<AppEnv>, header: string | undefined): Promise<Caller> {
  attempted.add(c.req.raw);
  const now = Date.now();
  const limiterNow = failedAuth.clock();
  const address = clientAddress(c.req.raw);
  const keyId = claimedKeyId(header);
  try {
    failedAuth.check(address, keyId, limiterNow);
  } catch (err) {
    if (err instanceof TooManyRequestsError) c.header("Retry-After", String(err.retryAfterSeconds));
    throw err;
  }
  let caller: Caller;
  try {
    caller = await authenticate(c.var.db, header, now);
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
