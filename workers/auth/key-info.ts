import type { KeyRow } from "../../lib/db/schema.ts";

export type PublicKeyInfo = Omit<KeyRow, "secretHash"> & { state: "live" | "expired" | "revoked" };

/** A key row as the API shows it: never the hash. */
export function keyInfo(row: KeyRow, now = Date.now()): PublicKeyInfo {
  const { secretHash: _omit, ...rest } = row;
  const state = row.revokedAt !== null ? "revoked" : row.expiresAt !== null && row.expiresAt <= now ? "expired" : "live";
  return { ...rest, state };
}
