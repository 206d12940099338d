// Append-only tables stay append-only. A table is append-only when the schema guards it with a
// trigger that refuses UPDATE or DELETE (BEFORE UPDATE/DELETE … RAISE(ABORT|FAIL|ROLLBACK)), as
// the audit ledger's migrations do. Through the server nobody may drop such a table, alter it,
// drop one of its triggers or add a trigger to it (a BEFORE INSERT … RAISE(IGNORE) would
// silently swallow new rows). Migrations run on the file directly, not through the server.
// The rule is read from the live schema on the stream's own connection, so it needs no list of
// table names and sees the schema as that stream does.
import type { PooledConnection } from "./connection-pool.ts";
import { SqlRefusedError } from "./errors.ts";
import type { SchemaTarget } from "./sql-analysis.ts";

const TRIGGERS_QUERY = "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger'";
const GUARD_EVENT = /\bBEFORE\s+(?:UPDATE|DELETE)\b/i;
const GUARD_RAISE = /\bRAISE\s*\(\s*(?:ABORT|FAIL|ROLLBACK)\b/i;

interface SchemaGuards {
  /** Upper-case names of append-only tables → the guarding trigger's name. */
  readonly tables: Map<string, string>;
  /** Upper-case trigger name → upper-case table name, for every trigger. */
  readonly triggerTables: Map<string, string>;
}

function readGuards(conn: PooledConnection): SchemaGuards {
  const rows = conn.db.prepare(TRIGGERS_QUERY).raw(true).all() as [string, string, string | null][];
  const tables = new Map<string, string>();
  const triggerTables = new Map<string, string>();
  for (const [name, table, sql] of rows) {
    triggerTables.set(name.toUpperCase(), table.toUpperCase());
    if (sql !== null && GUARD_EVENT.test(sql) && GUARD_RAISE.test(sql)) tables.set(table.toUpperCase(), name);
  }
  return { tables, triggerTables };
}

/** Throws SqlRefusedError when `target` would change an append-only table or its triggers. */
export function checkAppendOnly(conn: PooledConnection, target: SchemaTarget): void {
  const guards = readGuards(conn);
  const table = target.action === "drop-trigger" ? guards.triggerTables.get(target.name) : target.name;
  if (table === undefined) return;
  const guard = guards.tables.get(table);
  if (guard === undefined) return;
  const what = {
    "drop-table": "dropped",
    "alter-table": "altered",
    "drop-trigger": "stripped of its triggers",
    "create-trigger": "given new triggers",
  }[target.action];
  throw new SqlRefusedError(`table ${table.toLowerCase()} is append-only (trigger ${guard}); it cannot be ${what} through the server`);
}
