// The audit rows the AuditLedger has committed in its own SQLite and not yet copied to libSQL.
// A helper request is answered once its row is here (durable: the object's storage is fsynced
// before the answer leaves); the ledger copies rows to libSQL's audit_log afterwards, many per
// round, and deletes them here only after libSQL has them. Same columns as audit_log.
import type { AuditRecord } from "./audit-chain.ts";
import type { Migration, MigrationSql } from "../do-migrations.ts";

export const PENDING_TABLE = "pending_rows";

const COLUMNS = ["seq", "at", "actor", "key_id", "action", "method", "route", "scope", "status", "detail", "prev_hash", "hash"] as const;

export const LEDGER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "pending audit rows",
    up: [
      `CREATE TABLE IF NOT EXISTS ${PENDING_TABLE} (
         seq INTEGER PRIMARY KEY,
         at INTEGER NOT NULL,
         actor TEXT NOT NULL,
         key_id TEXT,
         action TEXT NOT NULL,
         method TEXT,
         route TEXT,
         scope TEXT,
         status INTEGER,
         detail TEXT,
         prev_hash TEXT NOT NULL,
         hash TEXT NOT NULL
       )`,
    ],
  },
];

/** `SELECT` of the pending rows as AuditRecords, oldest first (also what the CLI runs on the file). */
export const SELECT_PENDING = `SELECT seq, at, actor, key_id AS keyId, action, method, route, scope, status, detail, prev_hash AS prevHash, hash FROM ${PENDING_TABLE} WHERE seq > ? ORDER BY seq LIMIT ?`;

const INSERT = `INSERT INTO ${PENDING_TABLE} (${COLUMNS.join(", ")}) VALUES `;
const ROW = `(${COLUMNS.map(() => "?").join(", ")})`;
/** Rows per INSERT statement: a Durable Object's SQLite takes at most 100 bound values per statement. */
const ROWS_PER_INSERT = Math.floor(100 / COLUMNS.length);

export class PendingRows {
  readonly #sql: MigrationSql;

  constructor(sql: MigrationSql) {
    this.#sql = sql;
  }

  add(records: readonly AuditRecord[]): void {
    for (let i = 0; i < records.length; i += ROWS_PER_INSERT) {
      const part = records.slice(i, i + ROWS_PER_INSERT);
      this.#sql.exec(INSERT + part.map(() => ROW).join(", "), ...part.flatMap((r) => [r.seq, r.at, r.actor, r.keyId, r.action, r.method, r.route, r.scope, r.status, r.detail, r.prevHash, r.hash]));
    }
  }

  /** Up to `limit` rows after `after`, oldest first. */
  read(limit: number, after = 0): AuditRecord[] {
    return this.#sql.exec(SELECT_PENDING, after, limit).toArray() as AuditRecord[];
  }

  /** The newest pending row, if any. */
  last(): AuditRecord | null {
    return (this.#sql.exec(SELECT_PENDING.replace("ORDER BY seq", "ORDER BY seq DESC"), 0, 1).toArray()[0] as AuditRecord | undefined) ?? null;
  }

  /** Forgets the rows libSQL now holds. */
  dropThrough(seq: number): void {
    this.#sql.exec(`DELETE FROM ${PENDING_TABLE} WHERE seq <= ?`, seq);
  }

  /** Replaces every pending row (they were chained again after rows another writer added). */
  replaceAll(records: readonly AuditRecord[]): void {
    this.#sql.exec(`DELETE FROM ${PENDING_TABLE}`);
    this.add(records);
  }
}
