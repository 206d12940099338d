// SQL texts a client stored with `store_sql` to refer to later by id: per stream over HTTP, per
// connection over WebSocket. Bounded, since a client decides what it keeps here.
import { StreamRequestError } from "./errors.ts";
import type { SqlRef } from "./hrana-types.ts";

const MAX_STORED_SQL = 1024;
const MAX_STORED_SQL_CHARS = 1024 * 1024;

export class SqlStore {
  readonly #texts = new Map<number, string>();
  #chars = 0;

  store(sqlId: number, sql: string): void {
    if (this.#texts.has(sqlId)) {
      throw new StreamRequestError(`SQL text id ${sqlId} is already in use`, "SQL_ID_IN_USE");
    }
    if (this.#texts.size >= MAX_STORED_SQL || this.#chars + sql.length > MAX_STORED_SQL_CHARS) {
      throw new StreamRequestError(
        `At most ${MAX_STORED_SQL} SQL texts of ${MAX_STORED_SQL_CHARS} characters in all can be stored; close some with close_sql`,
        "SQL_STORE_FULL",
      );
    }
    this.#texts.set(sqlId, sql);
    this.#chars += sql.length;
  }

  close(sqlId: number): void {
    const sql = this.#texts.get(sqlId);
    if (sql === undefined) return;
    this.#texts.delete(sqlId);
    this.#chars -= sql.length;
  }

  resolve(ref: SqlRef): string {
    if (ref.sql !== undefined) return ref.sql;
    const stored = ref.sqlId === undefined ? undefined : this.#texts.get(ref.sqlId);
    if (stored === undefined) throw new StreamRequestError(`SQL text id ${ref.sqlId} is not stored`, "SQL_NOT_FOUND");
    return stored;
  }

  clear(): void {
    this.#texts.clear();
    this.#chars = 0;
  }
}
