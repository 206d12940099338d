import { eq, sql } from "drizzle-orm";
import { keys } from "../../lib/db/schema.ts";
import { BadRequestError, UnauthorizedError, UnavailableError } from "../../lib/errors.ts";
import { digestsEqual, parseKey, sha256Hex } from "../../lib/keys.ts";
import type { Db } from "../../lib/db/client.ts";
import type { Caller } from "./caller.ts";
import { keyCache } from "./key-cache.ts";

const BEARER = /^Bearer ([^\s]+)$/;

// The key lookup is built once per client and only bound per request: building the query each
// time (drizzle's SQL builder) was a tenth of workerd's CPU on an authenticated GET.
const lookup = (db: Db) => db.select().from(keys).where(eq(keys.id, sql.placeholder("id"))).prepare();
const lookups = new WeakMap<Db, ReturnType<typeof lookup>>();
async function keyRow(db: Db, id: string) {
  const cached = keyCache.get(id);
  if (cached) return cached;
  let q = lookups.get(db);
  if (!q) lookups.set(db, (q = lookup(db)));
  const since = keyCache.epoch();
  const row = await q.get({ id });
  if (row) keyCache.remember(row, since);
  return row;
}

/**
 * The right secret of a revoked or expired key: 401 like any other failure (the same answer), but
 * the holder is known, so the helper audit may write the attempt in that key's name. A forged
 * token (a wrong secret for a real id) never gets this.
 */
export class RetiredKeyError extends UnauthorizedError {
  readonly keyId: string;
  readonly reason: "revoked" | "expired";
  constructor(keyId: string, reason: "revoked" | "expired") {
    super();
    this.keyId = keyId;
    this.reason = reason;
  }
}

/**
 * Resolves an Authorization header to the key that signed it: its row from libSQL, or from the key
 * cache that every change to a key clears before the change returns (workers/auth/key-cache.ts),
 * so no cache outlives a revocation. libSQL down means 503, never a pass.
 */
export async function authenticate(db: Db, header: string | undefined, now: number): Promise<Caller> {
  if (header === undefined || header === "") throw new UnauthorizedError("missing Authorization header");
  const m = BEARER.exec(header);
  if (!m) throw new BadRequestError("Authorization header must be `Bearer <key>`", "malformed_authorization");
  const parsed = parseKey(m[1]!);
  if (!parsed) throw new UnauthorizedError();

  let row;
  try {
    row = await keyRow(db, parsed.id);
  } catch (cause) {
    throw new UnavailableError("the key store (libSQL) is unreachable", "key_store_unavailable", { cause });
  }
  // Hash even when the row is missing so both paths cost the same.
  const presented = await sha256Hex(parsed.secret);
  const expected = row?.secretHash ?? "0".repeat(64);
  const matches = digestsEqual(presented, expected);
  if (!row || !matches || row.kind !== parsed.kind) throw new UnauthorizedError();
  if (row.revokedAt !== null) throw new RetiredKeyError(row.id, "revoked");
  if (row.expiresAt !== null && row.expiresAt <= now) throw new RetiredKeyError(row.id, "expired");
  return { kind: row.kind, keyId: row.id, name: row.name, scopes: row.scopes, expiresAt: row.expiresAt };
}
