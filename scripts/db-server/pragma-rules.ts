// Which PRAGMAs the server runs, and what each needs. The server is the only way into the seed's
// database, so PRAGMAs are an allowlist: a name not listed here is refused. Reading a setting is
// harmless; changing one either stays on the stream's connection (which is then never handed to
// another stream), changes the database (so it takes the write lock), or is refused because it
// would weaken what the server promises (durability, the append-only audit triggers, the file).

export type PragmaUse =
  /** Runs without the write lock and leaves no state behind. */
  | { readonly kind: "read" }
  /** Changes this connection only: the connection is discarded afterwards. */
  | { readonly kind: "connection" }
  /** Writes to the database file: takes the write lock. */
  | { readonly kind: "write" }
  | { readonly kind: "refused"; readonly reason: string };

/** Introspection: their parenthesised argument names a table, index or schema, never a value. */
const INTROSPECTION = new Set([
  "COLLATION_LIST",
  "COMPILE_OPTIONS",
  "DATABASE_LIST",
  "DATA_VERSION",
  "FOREIGN_KEY_CHECK",
  "FOREIGN_KEY_LIST",
  "FREELIST_COUNT",
  "FUNCTION_LIST",
  "INDEX_INFO",
  "INDEX_LIST",
  "INDEX_XINFO",
  "INTEGRITY_CHECK",
  "MODULE_LIST",
  "PAGE_COUNT",
  "PRAGMA_LIST",
  "QUICK_CHECK",
  "SHRINK_MEMORY",
  "TABLE_INFO",
  "TABLE_LIST",
  "TABLE_XINFO",
]);

/** Per-connection settings a client may change for its own stream. */
const CONNECTION_SETTINGS = new Set([
  "ANALYSIS_LIMIT",
  "AUTOMATIC_INDEX",
  "BUSY_TIMEOUT",
  "CACHE_SIZE",
  "CACHE_SPILL",
  "CASE_SENSITIVE_LIKE",
  "CELL_SIZE_CHECK",
  "DEFER_FOREIGN_KEYS",
  "FOREIGN_KEYS",
  "IGNORE_CHECK_CONSTRAINTS",
  "LEGACY_ALTER_TABLE",
  "QUERY_ONLY",
  "REVERSE_UNORDERED_SELECTS",
  "SECURE_DELETE",
  "TEMP_STORE",
  "THREADS",
]);

/** Values stored in the database header. */
const DATABASE_SETTINGS = new Set(["APPLICATION_ID", "USER_VERSION"]);

/** Maintenance that writes the file. */
const ACTIONS = new Set(["INCREMENTAL_VACUUM", "OPTIMIZE", "WAL_CHECKPOINT"]);

/** Settings a client may read but never change through the server. */
const READ_ONLY_SETTINGS: ReadonlyMap<string, string> = new Map([
  ["AUTO_VACUUM", "it only takes effect through VACUUM and changes the file layout"],
  ["ENCODING", "the database encoding is fixed"],
  ["HARD_HEAP_LIMIT", "it limits every connection of the server"],
  ["JOURNAL_MODE", "the server keeps the database in WAL mode"],
  ["JOURNAL_SIZE_LIMIT", "the server manages the journal"],
  ["LOCKING_MODE", "exclusive locking would lock every other stream out"],
  ["MAX_PAGE_COUNT", "it would cap the database for other streams"],
  ["MMAP_SIZE", "the server manages memory mapping"],
  ["PAGE_SIZE", "it changes the file layout"],
  ["READ_UNCOMMITTED", "the server does not use shared cache"],
  ["RECURSIVE_TRIGGERS", "the server keeps it on so REPLACE cannot bypass delete triggers"],
  ["SCHEMA_VERSION", "writing it corrupts the schema"],
  ["SOFT_HEAP_LIMIT", "it limits every connection of the server"],
  ["SYNCHRONOUS", "the server keeps synchronous=FULL so acknowledged writes survive"],
  ["TRUSTED_SCHEMA", "the server keeps it off so views and triggers cannot call unsafe functions"],
  ["WAL_AUTOCHECKPOINT", "the server manages checkpoints"],
  ["WRITABLE_SCHEMA", "editing sqlite_schema could disarm the append-only triggers"],
]);

/**
 * How the server treats `PRAGMA name` (`setting` false) or `PRAGMA name = v` / `PRAGMA name(v)`
 * (`setting` true). `name` is upper-case, without a schema prefix.
 */
export function pragmaUse(name: string, setting: boolean): PragmaUse {
  if (INTROSPECTION.has(name)) return { kind: "read" };
  if (ACTIONS.has(name)) return { kind: "write" };
  if (CONNECTION_SETTINGS.has(name)) return setting ? { kind: "connection" } : { kind: "read" };
  if (DATABASE_SETTINGS.has(name)) return setting ? { kind: "write" } : { kind: "read" };
  const readOnly = READ_ONLY_SETTINGS.get(name);
  if (readOnly !== undefined) {
    return setting ? { kind: "refused", reason: `PRAGMA ${name.toLowerCase()} cannot be changed through the server: ${readOnly}` } : { kind: "read" };
  }
  return { kind: "refused", reason: `PRAGMA ${name.toLowerCase()} is not allowed through the server` };
}
