// Revoking one key by id from an owner route: 404 if there is no such key (of that kind), 409 if
// it was already revoked (its sessions are closed again all the same), else the key as it is now.
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import { keys, type KeyRow } from "../../lib/db/schema.ts";
import { ConflictError, NotFoundError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { keyInfo, type PublicKeyInfo } from "../auth/key-info.ts";
import { revokeKeys } from "../auth/revoke-keys.ts";

export async function revokeOne(c: Context<AppEnv>, id: string, opts: { kind?: KeyRow["kind"]; action: string }): Promise<PublicKeyInfo & { disconnected: number }> {
  const row = await c.var.db.select().from(keys).where(eq(keys.id, id)).get();
  if (!row || (opts.kind && row.kind !== opts.kind)) throw new NotFoundError(`no ${opts.kind ? `${opts.kind} ` : ""}key ${id}`, "key_not_found");
  const { revoked, sessionsClosed } = await revokeKeys(c, [id], { action: opts.action });
  const now = revoked[0];
  if (!now) throw new ConflictError(`key ${id} was revoked at ${new Date(row.revokedAt ?? Date.now()).toISOString()}`, "already_revoked");
  return { ...keyInfo(now), disconnected: sessionsClosed };
}
