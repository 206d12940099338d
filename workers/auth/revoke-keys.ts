// The one way a key dies — agents remove, keys revoke, membrane revoke, handoff. The revoke
// commits in libSQL and the key cache forgets the keys at once (workers/auth/key-cache.ts), so the
// next request with the key is 401; then every live session of the key is closed
// (workers/auth/live-sessions.ts), then each revoke is written to the audit ledger. It returns only when nothing can still accept the key.
import type { Context } from "hono";
import { and, inArray, isNull } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { keys, type KeyRow } from "../../lib/db/schema.ts";
import { UnavailableError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { ownerAction, recordAudit } from "../audit/audit-client.ts";
import { forgetKeys } from "./key-cache.ts";
import { LIVE_SESSIONS, type RevokedKey } from "./live-sessions.ts";

export type RevokeOptions = {
  /** The audit action of each revoke: `key.revoke`, `membrane.revoke`, `agent.remove`, `handoff.revoke-root`. */
  action: string;
  /** Statements committed in the same transaction as the revoke (an agent's removal, the new root key). */
  alongside?: BatchItem<"sqlite">[];
  /**
   * Handoff: once the keys have changed hands the new token must reach the caller, so a failure
   * after the commit (closing sessions, the audit) is logged instead of thrown.
   */
  afterCommit?: "throw" | "log";
};

export type RevokeResult = { revoked: KeyRow[]; sessionsClosed: number };

const CLOSE_ATTEMPTS = 3;

export async function revokeKeys(c: Context<AppEnv>, ids: string[], opts: RevokeOptions): Promise<RevokeResult> {
  const db = c.var.db;
  const now = Date.now();
  const update = db
    .update(keys)
    .set({ revokedAt: now })
    .where(and(inArray(keys.id, ids.length ? ids : [""]), isNull(keys.revokedAt)))
    .returning();
  // Sessions are closed for every key asked for, revoked now or before: a retried revoke finishes
  // what a failed one left open.
  const all: RevokedKey[] = await db.select({ id: keys.id, kind: keys.kind }).from(keys).where(inArray(keys.id, ids.length ? ids : [""])).all();
  let revoked: KeyRow[];
  try {
    [revoked] = await db.batch([update, ...(opts.alongside ?? [])]);
  } finally {
    // Committed, or its outcome unknown: either way no request may still be served from memory.
    forgetKeys(ids);
  }
  let sessionsClosed = 0;
  try {
    sessionsClosed = await closeSessions(c.env, all);
    if (revoked.length > 0) {
      await recordAudit(c.env, revoked.map((r) => ownerAction(c, opts.action, { id: r.id, kind: r.kind, name: r.name, sessionsClosed })));
    }
  } catch (err) {
    if (opts.afterCommit !== "log") throw err;
    console.error(`${opts.action}: the keys are revoked, but closing their sessions or auditing it failed`);
  }
  return { revoked, sessionsClosed };
}

async function closeSessions(env: Env, revoked: RevokedKey[]): Promise<number> {
  if (revoked.length === 0) return 0;
  let closed = 0;
  for (const sessions of LIVE_SESSIONS) {
    for (let attempt = 1; ; attempt++) {
      try {
        closed += await sessions.close(env, revoked);
        break;
      } catch (cause) {
        if (attempt < CLOSE_ATTEMPTS) continue;
        console.error(`revoke: could not close the ${sessions.name} of a revoked key`);
        throw new UnavailableError(`the key is revoked, but its ${sessions.name} could not be confirmed closed; revoke it again`, "sessions_not_closed", { cause });
      }
    }
  }
  return closed;
}
