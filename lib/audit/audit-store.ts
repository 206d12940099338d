// Reads and writes of the audit tables. Works with any drizzle libSQL database: the Worker's
// (through the LIBSQL binding) and the CLI's (the database file).
import type { Client, InStatement, InValue } from "@libsql/client";
import { and, asc, desc, eq, getTableColumns, getTableName, gt } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { auditCheckpoints, auditLog } from "../db/schema-audit.ts";
import { EMPTY_HEAD, type AuditRecord, type ChainHead } from "./audit-chain.ts";
import type { Checkpoint } from "./checkpoint.ts";

type AnyDb = LibSQLDatabase<Record<string, unknown>> & { $client: Client };

export async function readHead(db: AnyDb): Promise<ChainHead> {
  const row = await db.select({ seq: auditLog.seq, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1).get();
  return row ?? EMPTY_HEAD;
}

export async function lastCheckpoint(db: AnyDb): Promise<Checkpoint | null> {
  return (await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.seq)).limit(1).get()) ?? null;
}

type InsertShape = { head: string; row: string; keys: string[] };
const shapes = new WeakMap<SQLiteTable, InsertShape>();

/** The table's `INSERT INTO … (<every column>) VALUES`, its row of placeholders and its keys, read once. */
function insertShape(table: SQLiteTable): InsertShape {
  let shape = shapes.get(table);
  if (!shape) {
    const columns = Object.entries(getTableColumns(table));
    shape = {
      head: `INSERT INTO "${getTableName(table)}" (${columns.map(([, c]) => `"${c.name}"`).join(", ")}) VALUES `,
      row: `(${columns.map(() => "?").join(", ")})`,
      keys: columns.map(([key]) => key),
    };
    shapes.set(table, shape);
  }
  return shape;
}

/**
 * `INSERT INTO <table> (<every column>) VALUES (?, …), …` for `rows`, with the values in the
 * table's column order: built from the drizzle table, so it cannot drift from the schema.
 */
function insertStatement(table: SQLiteTable, rows: Record<string, unknown>[], suffix = ""): InStatement {
  const { head, row, keys } = insertShape(table);
  return {
    sql: head + rows.map(() => row).join(", ") + suffix,
    args: rows.flatMap((r) => keys.map((key) => (r[key] ?? null) as InValue)),
  };
}

/**
 * Inserts chained records (and a checkpoint) in one transaction: all or nothing. Straight through
 * the libSQL client, not drizzle's query builder: this is the helper audit's hot path (one round
 * per group commit), and building the query was a visible part of workerd's CPU per round.
 */
export async function insertRecords(db: AnyDb, records: AuditRecord[], checkpoint?: Checkpoint): Promise<void> {
  const stmts = [
    ...(records.length ? [insertStatement(auditLog, records)] : []),
    ...(checkpoint ? [insertStatement(auditCheckpoints, [checkpoint], " ON CONFLICT DO NOTHING")] : []),
  ];
  if (stmts.length) await db.$client.batch(stmts, "write");
}

export type AuditQuery = { after?: number; limit?: number; keyId?: string; action?: string };

export async function readRecords(db: AnyDb, q: AuditQuery = {}): Promise<AuditRecord[]> {
  const where = [gt(auditLog.seq, q.after ?? 0)];
  if (q.keyId) where.push(eq(auditLog.keyId, q.keyId));
  if (q.action) where.push(eq(auditLog.action, q.action));
  return db.select().from(auditLog).where(and(...where)).orderBy(asc(auditLog.seq)).limit(q.limit ?? 100).all();
}

export async function readCheckpoints(db: AnyDb): Promise<Checkpoint[]> {
  return db.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.seq)).all();
}

/** Every row in seq order, a page at a time (the ledger may be larger than memory should hold). */
export async function* allRecords(db: AnyDb, pageSize = 1000): AsyncGenerator<AuditRecord> {
  let after = 0;
  for (;;) {
    const page = await db.select().from(auditLog).where(gt(auditLog.seq, after)).orderBy(asc(auditLog.seq)).limit(pageSize).all();
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.seq;
  }
}
