// Revoking a key: once the UPDATE commits, the very next request with it is 401 (every request
// checks libSQL), and the Bus closes the WebSockets it opened.
import type { Context } from "hono";
import { and, eq, isNull } from "drizzle-orm";
import { keys, type KeyRow } from "../../lib/db/schema.ts";
import { ConflictError, NotFoundError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { ownerAction, recordAudit } from "../audit/audit-client.ts";

export type PublicKeyInfo = Omit<KeyRow, "secretHash"> & { state: "live" | "expired" | "revoked" };

/** A key row as the API shows it: never the hash. */
export function keyInfo(row: KeyRow, now = Date.now()): PublicKeyInfo {
  const { secretHash: _omit, ...rest } = row;
  const state = row.revokedAt !== null ? "revoked" : row.expiresAt !== null && row.expiresAt <= now ? "expired" : "live";
  return { ...rest, state };
}

/** Closes the key's open WebSockets; the key is already dead, so a failure here is only logged. */
export async function disconnectKey(c: Context<AppEnv>, keyId: string): Promise<number> {
  try {
    return await c.env.BUS.get(c.env.BUS.idFromName("bus")).disconnectKey(keyId);
  } catch {
    console.error(`could not ask the bus to close the sockets of a revoked key`);
    return 0;
  }
}

export async function revokeKey(c: Context<AppEnv>, id: string, opts: { kind?: KeyRow["kind"]; action: string }): Promise<PublicKeyInfo & { disconnected: number }> {
  const db = c.var.db;
  const row = await db.select().from(keys).where(eq(keys.id, id)).get();
  if (!row || (opts.kind && row.kind !== opts.kind)) throw new NotFoundError(`no ${opts.kind ?? ""} key ${id}`.replace("  ", " "), "key_not_found");
  if (row.revokedAt !== null) throw new ConflictError(`key ${id} was revoked at ${new Date(row.revokedAt).toISOString()}`, "already_revoked");
  const now = Date.now();
  const [revoked] = await db.update(keys).set({ revokedAt: now }).where(and(eq(keys.id, id), isNull(keys.revokedAt))).returning();
  if (!revoked) throw new ConflictError(`key ${id} was revoked concurrently`, "already_revoked");
  const disconnected = await disconnectKey(c, id);
  await recordAudit(c.env, [ownerAction(c, opts.action, { id, kind: row.kind, name: row.name, disconnected })]);
  return { ...keyInfo(revoked, now), disconnected };
}
