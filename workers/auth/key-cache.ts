// The keys table's rows, remembered by the one isolate that serves every request (workerd runs the
// seed's Worker in one isolate; see failed-auth-limiter.ts). Every change to a key after it was
// minted goes through forgetKeys() in this isolate — revokeKeys(), an agent's new capabilities, an
// unaudited key's removal — and it runs synchronously right after that change commits, so no cache
// outlives a revocation: the first request after the revoke returns reads libSQL again.
// A lookup that was already on its way to libSQL when a key was forgotten may have read the row
// from before the change: the epoch makes it not remember what it read (it still answers its own
// request, which was sent before the revoke returned).
// Only proof of a key is cached, never its secret: the presented secret is hashed and compared with
// the stored hash on every request, and expiry is checked against the clock on every request.
// Editing the keys table behind the seed's back (sqlite3 on the file while it runs) is seen only
// after a restart: revoke through the API (`seed keys revoke`, `seed membrane revoke`).
import type { KeyRow } from "../../lib/db/schema.ts";

const MAX_KEYS = 10_000;

let epoch = 0;
const rows = new Map<string, KeyRow>();

export const keyCache = {
  get: (id: string): KeyRow | undefined => rows.get(id),
  /** The epoch a lookup starts in; pass it back to remember(). */
  epoch: (): number => epoch,
  /** Remembers a row read from libSQL, unless a key was forgotten since the lookup began. */
  remember(row: KeyRow, since: number): void {
    if (since !== epoch) return;
    if (rows.size >= MAX_KEYS && !rows.has(row.id)) rows.delete(rows.keys().next().value!);
    rows.set(row.id, row);
  },
};

/** Call right after a change to these keys' rows commits (and when its outcome is unknown). */
export function forgetKeys(ids: readonly string[]): void {
  epoch++;
  for (const id of ids) rows.delete(id);
}

