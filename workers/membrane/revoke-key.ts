// Revoking a key: once the UPDATE commits, the very next request with it is 401 (every request
// checks libSQL), and the Bus closes the WebSockets it opened.
import type { Context } from "hono";
import { and, eq, isNull } from "drizzle-orm";
import { keys, type KeyRow } from "../../lib/db/schema.ts";
import { ConflictError, NotFoundError, UnavailableError } from "../../lib/errors.ts";
import type { KeyKind } from "../../lib/keys.ts";
import type { AppEnv } from "../app-env.ts";
import { ownerAction, recordAudit } from "../audit/audit-client.ts";

export type PublicKeyInfo = Omit<KeyRow, "secretHash"> & { state: "live" | "expired" | "revoked" };

/** A key row as the API shows it: never the hash. */
export function keyInfo(row: KeyRow, now = Date.now()): PublicKeyInfo {
  const { secretHash: _omit, ...rest } = row;
  const state = row.revokedAt !== null ? "revoked" : row.expiresAt !== null && row.expiresAt <= now ? "expired" : "live";
  return { ...rest, state };
}

/**
 * Tells the Bus the keys are revoked: when this returns, none of their sockets can act (they are
 * closed and refused at every frame) and an upgrade still in flight is refused. A revoke whose
 * Bus leg failed must not look done: 503, and a retry tells the Bus again (it is idempotent).
 */
export async function closeBusSessions(c: Context<AppEnv>, revoked: { id: string; kind: KeyKind }[]): Promise<number> {
  try {
    return (await c.env.BUS.get(c.env.BUS.idFromName("bus")).revokeKeys(revoked)).closed;
  } catch (cause) {
    console.error("could not tell the bus that keys were revoked");
    throw new UnavailableError("the key is revoked, but the bus could not confirm its sockets are closed; retry the revoke", "bus_unavailable", { cause });
  }
}

export async function revokeKey(c: Context<AppEnv>, id: string, opts: { kind?: KeyRow["kind"]; action: string }): Promise<PublicKeyInfo & { disconnected: number }> {
  const db = c.var.db;
  const row = await db.select().from(keys).where(eq(keys.id, id)).get();
  if (!row || (opts.kind && row.kind !== opts.kind)) throw new NotFoundError(`no ${opts.kind ?? ""} key ${id}`.replace("  ", " "), "key_not_found");
  if (row.revokedAt !== null) {
    await closeBusSessions(c, [{ id, kind: row.kind }]); // a retry after a failed Bus leg completes it
    throw new ConflictError(`key ${id} was revoked at ${new Date(row.revokedAt).toISOString()}`, "already_revoked");
  }
  const now = Date.now();
  const [revoked] = await db.update(keys).set({ revokedAt: now }).where(and(eq(keys.id, id), isNull(keys.revokedAt))).returning();
  if (!revoked) throw new ConflictError(`key ${id} was revoked concurrently`, "already_revoked");
  const disconnected = await closeBusSessions(c, [{ id, kind: row.kind }]);
  await recordAudit(c.env, [ownerAction(c, opts.action, { id, kind: row.kind, name: row.name, disconnected })]);
  return { ...keyInfo(revoked, now), disconnected };
}
