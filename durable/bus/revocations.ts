// The keys the Bus was told are revoked, kept in its own SQLite (and in memory). A key in this
// set is refused at the upgrade, at every frame and on every Bus call, whatever the Worker
// checked before: an upgrade or a request that was authenticated just before a revoke and
// reaches the Bus after it is not acted on (issue 9 item 1).
import type { KeyKind } from "../../lib/keys.ts";

export type RevokedKey = { id: string; kind: KeyKind };

export class Revocations {
  readonly #sql: SqlStorage;
  readonly #ids: Set<string>;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    this.#ids = new Set(sql.exec<{ key_id: string }>("SELECT key_id FROM revoked_keys").toArray().map((r) => r.key_id));
  }

  has(keyId: string): boolean {
    return this.#ids.has(keyId);
  }

  /** Records the keys (idempotent); call inside a transaction. */
  record(keys: readonly RevokedKey[], now: number): void {
    for (const k of keys) {
      this.#sql.exec("INSERT OR IGNORE INTO revoked_keys (key_id, kind, revoked_at) VALUES (?, ?, ?)", k.id, k.kind, now);
      this.#ids.add(k.id);
    }
  }
}
