// The libSQL server's statement classification at its edges (complements sql-tokenizer.test.ts):
// every function and statement the token may not use is refused with its reason, and only where
// it is one; durability settings cannot be changed through the server; what changes the schema or
// the connection; EXPLAIN prefixes; parameter indexes SQLite itself refuses; the analysis cache.
import { describe, expect, it } from "vitest";
import { analyzeSql } from "../../scripts/db-server/sql-analysis.ts";

const info = (sql: string) => analyzeSql(sql).statements[0]!.info;
const WAY_OUT = "the server gives no way out of the database";

describe("no way out of the database", () => {
  it("refuses every file, extension, raw-page and eval function by name, wherever it appears", () => {
    const denied: [string, string][] = [
      ["readfile", "reads files"],
      ["writefile", "writes files"],
      ["fsdir", "lists files"],
      ["lsmode", "belongs to the file-system functions"],
      ["load_extension", "loads native code"],
      ["sha3_query", "runs SQL the server cannot check"],
      ["sqlite_dbpage", "reads and writes raw database pages"],
      ["fts3_tokenizer", "registers native tokenizers"],
      ["zipfile", "reads and writes files"],
      ["sqlar_compress", "belongs to the archive functions"],
      ["sqlar_uncompress", "belongs to the archive functions"],
    ];
    for (const [name, why] of denied) {
      expect(info(`SELECT 1 FROM t WHERE x IN (SELECT ${name}(1))`).refusal, name).toBe(`${name} ${why}; ${WAY_OUT}`);
      // Named without a call too (a table-valued function, a column of one): still refused.
      expect(info(`SELECT * FROM ${name}`).refusal, name).toBe(`${name} ${why}; ${WAY_OUT}`);
    }
  });

  it("refuses edit() and eval() only when called: they are also plausible column names", () => {
    expect(info("SELECT edit('x')").refusal).toBe(`edit starts an editor; ${WAY_OUT}`);
    expect(info("SELECT eval('select 1')").refusal).toBe(`eval runs SQL the server cannot check; ${WAY_OUT}`);
    expect(info("SELECT eval, edit FROM t").refusal).toBeUndefined();
  });

  it("refuses ATTACH, DETACH, VACUUM INTO and the cipher functions, but not VACUUM itself", () => {
    expect(info("ATTACH DATABASE 'x.db' AS x").refusal).toBe(`ATTACH opens other files; ${WAY_OUT}`);
    expect(info("DETACH x").refusal).toBe(`DETACH belongs to ATTACH, which the server refuses; ${WAY_OUT}`);
    expect(info("VACUUM INTO '/tmp/copy.db'").refusal).toBe(`VACUUM INTO writes another file; ${WAY_OUT}`);
    expect(info("VACUUM").refusal).toBeUndefined();
    expect(info("SELECT sqlite3mc_config('cipher')").refusal).toBe("sqlite3mc_config changes database encryption; the server refuses it");
    expect(info("SELECT 'attach', 1 AS detach").refusal).toBeUndefined();
  });
});

describe("durability and connection settings", () => {
  it("synchronous, journal mode and the other server-kept settings can be read, never changed", () => {
    expect(info("PRAGMA synchronous = OFF").refusal).toBe("PRAGMA synchronous cannot be changed through the server: the server keeps synchronous=FULL so acknowledged writes survive");
    expect(info("PRAGMA main.synchronous(0)").refusal).toContain("PRAGMA synchronous cannot be changed");
    expect(info("PRAGMA journal_mode = DELETE").refusal).toBe("PRAGMA journal_mode cannot be changed through the server: the server keeps the database in WAL mode");
    expect(info("PRAGMA synchronous")).toMatchObject({ kind: "read", refusal: undefined, dirtiesConnection: false });
    expect(info("PRAGMA no_such_pragma").refusal).toBe("PRAGMA no_such_pragma is not allowed through the server");
    // A refused statement is still judged a write that dirties its connection: never run half-trusted.
    expect(info("PRAGMA writable_schema = 1")).toMatchObject({ kind: "write", dirtiesConnection: true });
    expect(info("PRAGMA")).toMatchObject({ kind: "write", dirtiesConnection: true });
  });

  it("only TEMP objects dirty the connection; CREATE, DROP and ALTER change the schema", () => {
    expect(info("CREATE TEMP TABLE x (a)")).toMatchObject({ kind: "write", dirtiesConnection: true, changesSchema: true });
    expect(info("CREATE TEMPORARY VIEW v AS SELECT 1")).toMatchObject({ dirtiesConnection: true, changesSchema: true });
    expect(info("CREATE TABLE x (a)")).toMatchObject({ kind: "write", dirtiesConnection: false, changesSchema: true });
    expect(info("DROP TABLE x")).toMatchObject({ kind: "write", changesSchema: true });
    expect(info("ALTER TABLE x ADD COLUMN b")).toMatchObject({ kind: "write", changesSchema: true });
    expect(info("INSERT INTO x VALUES (1)")).toMatchObject({ changesSchema: false, dirtiesConnection: false });
    expect(info("SELECT 1")).toMatchObject({ changesSchema: false, isExplain: false, isDml: false });
  });
});

describe("transactions and WITH", () => {
  it("BEGIN READONLY with or without TRANSACTION, nothing after it; END ends like COMMIT", () => {
    expect(info("BEGIN READONLY").kind).toBe("begin-readonly");
    expect(info("begin transaction readonly").kind).toBe("begin-readonly");
    expect(info("BEGIN TRANSACTION READONLY x").kind).toBe("write");
    expect(info("BEGIN").kind).toBe("write");
    expect(info("END").kind).toBe("end");
    expect(info("END TRANSACTION").kind).toBe("end");
    expect(info("ROLLBACK TRANSACTION TO SAVEPOINT a").kind).toBe("write");
    expect(info("SAVEPOINT a").kind).toBe("write");
  });

  it("a WITH whose main verb is not found is a write but not groupable DML", () => {
    expect(info("WITH x AS (SELECT 1)")).toMatchObject({ kind: "write", isDml: false });
    expect(info("WITH x AS (INSERT INTO t VALUES (1)) SELECT 1").kind).toBe("read");
    expect(info("WITH x AS (SELECT 1) UPDATE t SET a = 1")).toMatchObject({ kind: "write", isDml: true });
  });
});

describe("EXPLAIN and schema targets", () => {
  it("EXPLAIN QUERY PLAN is one prefix; EXPLAIN QUERY alone is not", () => {
    expect(info("EXPLAIN QUERY PLAN DROP TABLE audit_log")).toMatchObject({ isExplain: true, kind: "read", changesSchema: false, schemaTarget: { action: "drop-table", name: "AUDIT_LOG" } });
    expect(info("EXPLAIN DROP TABLE audit_log").schemaTarget).toEqual({ action: "drop-table", name: "AUDIT_LOG" });
    expect(info("EXPLAIN QUERY DROP TABLE audit_log").schemaTarget).toBeUndefined();
    expect(info("EXPLAIN QUERY PLAN INSERT INTO t VALUES (1)")).toMatchObject({ kind: "read", isDml: false });
  });

  it("names tables with or without a schema, IF [NOT] EXISTS skipped, and nothing for half a name", () => {
    const target = (sql: string) => info(sql).schemaTarget;
    expect(target("DROP TRIGGER IF EXISTS main.guard")).toEqual({ action: "drop-trigger", name: "GUARD" });
    expect(target("DROP TABLE t")).toEqual({ action: "drop-table", name: "T" });
    expect(target("DROP TABLE main.")).toBeUndefined();
    expect(target("DROP TABLE")).toBeUndefined();
    expect(target("ALTER TABLE")).toBeUndefined();
    expect(target("ALTER TABLE s.t RENAME TO u")).toEqual({ action: "alter-table", name: "T" });
    expect(target("CREATE TRIGGER IF NOT EXISTS g AFTER INSERT ON main.t BEGIN SELECT 1; END")).toEqual({ action: "create-trigger", name: "T" });
    expect(target("CREATE TRIGGER g BEGIN SELECT 1 FROM x ON y; END")).toBeUndefined();
    expect(target("CREATE TABLE t (a)")).toBeUndefined();
    expect(target("DROP VIEW v")).toBeUndefined();
  });
});

describe("parameters and the text itself", () => {
  it("skips the ?NNN indexes SQLite refuses (0, above 32766) and takes the largest it allows", () => {
    expect(info("SELECT ?0, ?32767").paramCount).toBe(0);
    expect(info("SELECT ?32766").paramCount).toBe(32766);
    expect(info("SELECT ?1, ?1").paramNames).toEqual(["?1"]);
  });

  it("names the problem of a text the driver would cut", () => {
    expect(analyzeSql("SELECT 'a\0b'").problem).toBe("The SQL text contains a NUL character (U+0000), which the database driver cuts text at");
    expect(analyzeSql("SELECT 1").problem).toBeUndefined();
  });

  it("caches short texts (the same analysis again) but not long ones, and forgets the oldest past 2048", () => {
    const first = analyzeSql("SELECT 'cache probe 0'");
    expect(analyzeSql("SELECT 'cache probe 0'")).toBe(first);
    const long = `SELECT '${"x".repeat(5000)}'`;
    expect(analyzeSql(long)).not.toBe(analyzeSql(long));
    expect(analyzeSql(long)).toEqual(analyzeSql(long));
    for (let i = 1; i <= 2048; i++) analyzeSql(`SELECT 'cache probe ${i}'`);
    expect(analyzeSql("SELECT 'cache probe 0'")).not.toBe(first);
    expect(analyzeSql("SELECT 'cache probe 2048'")).toBe(analyzeSql("SELECT 'cache probe 2048'"));
  });
});

describe("exact verdicts (what Stryker's mutants of sql-analysis.ts and sql-policy.ts change)", () => {
  const exact = (kind: string, isDml: boolean, dirtiesConnection: boolean, refusal?: string) => ({ kind, isDml, dirtiesConnection, refusal });
  const verdict = (sql: string) => {
    const { kind, isDml, dirtiesConnection, refusal } = info(sql);
    return { kind, isDml, dirtiesConnection, refusal };
  };

  it("every kind of statement: its kind, whether it is DML, whether it dirties the connection, no refusal", () => {
    const cases: [string, ReturnType<typeof exact>][] = [
      ["SELECT 1", exact("read", false, false)],
      ["VALUES (1)", exact("read", false, false)],
      ["WITH x AS (SELECT 1) VALUES (2)", exact("read", false, false)],
      ["WITH x AS (SELECT 1) SELECT * FROM x", exact("read", false, false)],
      ["WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", exact("write", true, false)],
      ["WITH x AS (SELECT 1) REPLACE INTO t SELECT * FROM x", exact("write", true, false)],
      ["WITH x AS (SELECT 1) DELETE FROM t", exact("write", true, false)],
      ["INSERT INTO t VALUES (1)", exact("write", true, false)],
      ["UPDATE t SET a = 1", exact("write", true, false)],
      ["DELETE FROM t", exact("write", true, false)],
      ["REPLACE INTO t VALUES (1)", exact("write", true, false)],
      ["PRAGMA synchronous", exact("read", false, false)],
      ["PRAGMA foreign_keys = OFF", exact("read", false, true)],
      ["PRAGMA user_version = 7", exact("write", false, false)],
      ["PRAGMA", exact("write", false, true)],
      ["BEGIN READONLY", exact("begin-readonly", false, false)],
      ["COMMIT", exact("end", false, false)],
      ["ROLLBACK", exact("end", false, false)],
      ["CREATE TABLE x (a)", exact("write", false, false)],
      ["VACUUM", exact("write", false, false)],
    ];
    for (const [sql, want] of cases) expect(verdict(sql), sql).toEqual(want);
    expect(verdict("PRAGMA synchronous = OFF")).toMatchObject({ kind: "write", isDml: false, dirtiesConnection: true });
  });

  it("INTO refuses only after VACUUM; only the cipher prefix is refused as a prefix", () => {
    expect(info("INSERT INTO t VALUES (1)").refusal).toBeUndefined();
    expect(info("SELECT 1 INTO").refusal).toBeUndefined();
    expect(info("SELECT sqlite3mc_x, x_sqlite3mc_ FROM t").refusal).toBe("sqlite3mc_x changes database encryption; the server refuses it");
    expect(info("SELECT x_sqlite3mc_ FROM t").refusal).toBeUndefined();
  });

  it("a trigger's table is the one after its first ON; nothing else with an ON is a trigger", () => {
    const target = (sql: string) => info(sql).schemaTarget;
    expect(target("CREATE TEMPORARY TRIGGER g AFTER INSERT ON t BEGIN SELECT 1; END")).toEqual({ action: "create-trigger", name: "T" });
    expect(target("CREATE TEMP TRIGGER IF NOT EXISTS main.g BEFORE DELETE ON s.t BEGIN SELECT 1; END")).toEqual({ action: "create-trigger", name: "T" });
    expect(target("CREATE INDEX i ON t (a)")).toBeUndefined();
    expect(target("CREATE VIEW v AS SELECT * FROM a JOIN b ON a.x = b.x")).toBeUndefined();
    // `trigger` is a column name SQLite accepts: a SELECT is never a trigger, whatever its words.
    expect(target("SELECT trigger FROM a JOIN b ON a.x = b.x")).toBeUndefined();
    expect(target("CREATE TRIGGER g AFTER INSERT ON")).toBeUndefined();
    expect(target("CREATE TRIGGER")).toBeUndefined();
  });

  it("EXPLAIN is one word unless QUERY PLAN follows: EXPLAIN DETACH plan is still refused", () => {
    // `plan` is a schema name SQLite accepts; the statement under the EXPLAIN is still judged.
    expect(info("EXPLAIN DETACH plan")).toMatchObject({ isExplain: true, refusal: `DETACH belongs to ATTACH, which the server refuses; ${WAY_OUT}` });
    expect(info("EXPLAIN QUERY PLAN DETACH plan").refusal).toBe(`DETACH belongs to ATTACH, which the server refuses; ${WAY_OUT}`);
  });

  it("?NNN: the highest index counts, whatever the order; ?0 is no parameter at all", () => {
    expect(info("SELECT ?3, ?1")).toMatchObject({ paramCount: 3, paramNames: ["?1", null, "?3"], paramUsed: [true, false, true] });
    const zero = info("SELECT ?0");
    expect(zero.paramCount).toBe(0);
    expect(zero.paramNames).toEqual([]);
    expect(zero.paramUsed).toEqual([]);
  });

  it("the cache keeps more than one text, and a text of exactly 4 KiB is cached", () => {
    const a = analyzeSql("SELECT 'cache pair a'");
    const b = analyzeSql("SELECT 'cache pair b'");
    expect(analyzeSql("SELECT 'cache pair a'")).toBe(a);
    expect(analyzeSql("SELECT 'cache pair b'")).toBe(b);
    const edge = `SELECT '${"y".repeat(4096 - 9)}'`;
    expect(edge.length).toBe(4096);
    expect(analyzeSql(edge)).toBe(analyzeSql(edge));
  });
});
