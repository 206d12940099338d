import { describe, expect, it } from "vitest";
import { analyzeSql } from "../../scripts/db-server/sql-analysis.ts";
import { splitStatements } from "../../scripts/db-server/sql-tokenizer.ts";

const texts = (sql: string): string[] => splitStatements(sql).map((s) => s.text);

describe("splitStatements", () => {
  it("splits on semicolons and drops empty statements", () => {
    expect(texts("select 1; ; select 2;;")).toEqual(["select 1", "select 2"]);
    expect(texts("  ;  -- only a comment\n /* and another */ ")).toEqual([]);
  });

  it("ignores semicolons inside strings, quoted identifiers and comments", () => {
    const sql = `insert into "a;b" values ('x;''y', [c;d], \`e;f\`) -- tail;\n; /* x; */ select 2`;
    expect(texts(sql)).toEqual([`insert into "a;b" values ('x;''y', [c;d], \`e;f\`)`, "select 2"]);
  });

  it("keeps a CREATE TRIGGER body with inner semicolons and CASE … END in one statement", () => {
    const trigger =
      "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN " +
      "UPDATE t SET n = CASE WHEN new.n > 0 THEN 1 ELSE 2 END; " +
      "INSERT INTO log VALUES ('end;'); END";
    expect(texts(`${trigger}; select 1`)).toEqual([trigger, "select 1"]);
    expect(texts(`explain ${trigger}`)).toHaveLength(1);
  });
});

describe("analyzeSql", () => {
  it("numbers parameters like SQLite", () => {
    const info = analyzeSql("select :x, ?, :x, ?5, @y, $z, ?").statements[0]?.info;
    expect(info?.paramCount).toBe(8);
    expect(info?.paramNames).toEqual([":x", null, null, null, "?5", "@y", "$z", null]);
    expect(info?.paramUsed).toEqual([true, true, false, false, true, true, true, true]);
  });

  it("does not mistake identifiers or strings for parameters", () => {
    const info = analyzeSql("select a$b, ':nope', \"@nope\" from t").statements[0]?.info;
    expect(info?.paramCount).toBe(0);
  });

  it("classifies reads, writes, read-only BEGIN and transaction ends", () => {
    const kind = (sql: string): string | undefined => analyzeSql(sql).statements[0]?.info.kind;
    expect(kind("SELECT 1")).toBe("read");
    expect(kind("values (1)")).toBe("read");
    expect(kind("with x as (select 1) select replace('a','a','b') from x")).toBe("read");
    expect(kind("with x as (select 1) insert into t select * from x")).toBe("write");
    expect(kind("BEGIN TRANSACTION READONLY")).toBe("begin-readonly");
    expect(kind("BEGIN DEFERRED")).toBe("write");
    expect(kind("BEGIN IMMEDIATE")).toBe("write");
    expect(kind("COMMIT")).toBe("end");
    expect(kind("ROLLBACK")).toBe("end");
    expect(kind("ROLLBACK TO sp1")).toBe("write");
    expect(kind("PRAGMA table_info(t)")).toBe("read");
    expect(analyzeSql("PRAGMA foreign_keys=off").statements[0]?.info.dirtiesConnection).toBe(true);
    expect(analyzeSql("EXPLAIN QUERY PLAN select 1").statements[0]?.info.isExplain).toBe(true);
  });
});

describe("analyzeSql: parameters named like SQLite names them", () => {
  it("keeps the first name of a slot that ?NNN names again", () => {
    expect(analyzeSql("SELECT :b, :a, ?1").statements[0]?.info.paramNames).toEqual([":b", ":a"]);
    expect(analyzeSql("SELECT ?, ?1").statements[0]?.info.paramNames).toEqual(["?1"]);
    expect(analyzeSql("SELECT ?2, :x, ?2").statements[0]?.info.paramNames).toEqual([null, "?2", ":x"]);
    expect(analyzeSql("SELECT :a, ?3, :b").statements[0]?.info.paramNames).toEqual([":a", null, "?3", ":b"]);
  });
});

describe("analyzeSql: what takes the write lock", () => {
  const info = (sql: string) => analyzeSql(sql).statements[0]?.info;

  it("reads PRAGMA settings and introspection without the lock; settings change only the stream's connection", () => {
    for (const sql of ["PRAGMA user_version", "pragma main.journal_mode", "PRAGMA table_info(t)", "PRAGMA index_list('t')", "PRAGMA integrity_check"]) {
      expect(info(sql), sql).toMatchObject({ kind: "read", dirtiesConnection: false, refusal: undefined });
    }
    expect(info("PRAGMA foreign_keys = OFF")).toMatchObject({ kind: "read", dirtiesConnection: true, refusal: undefined });
    expect(info("PRAGMA user_version = 3")).toMatchObject({ kind: "write", refusal: undefined });
    expect(info("PRAGMA wal_checkpoint(TRUNCATE)")).toMatchObject({ kind: "write", refusal: undefined });
  });

  it("reads WITH … SELECT whatever the CTEs are called, and treats WITH … INSERT as a write", () => {
    expect(info("WITH t(replace) AS (SELECT 1) SELECT replace FROM t")?.kind).toBe("read");
    expect(info("WITH a AS (SELECT 1), b AS MATERIALIZED (SELECT 2) SELECT * FROM a, b")?.kind).toBe("read");
    expect(info("WITH x AS (SELECT 1) DELETE FROM t WHERE id IN x")).toMatchObject({ kind: "write", isDml: true });
  });

  it("treats EXPLAIN of anything as a read that changes nothing, and still judges what it explains", () => {
    expect(info("EXPLAIN INSERT INTO t VALUES (1)")).toMatchObject({ kind: "read", isExplain: true, isDml: false, dirtiesConnection: false });
    expect(info("EXPLAIN QUERY PLAN CREATE TEMP TABLE x (a)")).toMatchObject({ kind: "read", dirtiesConnection: false });
    expect(info("EXPLAIN ATTACH 'x' AS y")?.refusal).toContain("ATTACH");
    expect(info("EXPLAIN DROP TRIGGER audit_log_no_delete")?.schemaTarget).toEqual({ action: "drop-trigger", name: "AUDIT_LOG_NO_DELETE" });
  });

  it("groups only plain DML", () => {
    expect(info("INSERT INTO t VALUES (1)")?.isDml).toBe(true);
    expect(info("REPLACE INTO t VALUES (1)")?.isDml).toBe(true);
    expect(info("CREATE TABLE t (a)")?.isDml).toBe(false);
    expect(info("PRAGMA user_version = 1")?.isDml).toBe(false);
  });
});

describe("analyzeSql: what the server refuses", () => {
  const refusal = (sql: string): string | undefined => analyzeSql(sql).statements[0]?.info.refusal;

  it("finds denied functions in any spelling, and not in strings, parameters or longer names", () => {
    for (const sql of ["SELECT readfile('x')", 'SELECT "READFILE"(1)', "SELECT `writefile`(1, 2)", "SELECT * FROM main.sqlite_dbpage", "SELECT edit('x')", "SELECT sqlite3mc_version()"]) {
      expect(refusal(sql), sql).toBeDefined();
    }
    for (const sql of ["SELECT 'readfile(x)'", "SELECT :readfile", "SELECT readfile_count FROM t", "SELECT edit FROM t", "SELECT -- readfile(x)\n 1"]) {
      expect(refusal(sql), sql).toBeUndefined();
    }
  });

  it("names the schema object a DROP, ALTER or CREATE TRIGGER changes", () => {
    const target = (sql: string) => analyzeSql(sql).statements[0]?.info.schemaTarget;
    expect(target('DROP TABLE IF EXISTS main."Audit_Log"')).toEqual({ action: "drop-table", name: "AUDIT_LOG" });
    expect(target("ALTER TABLE [audit_log] RENAME TO x")).toEqual({ action: "alter-table", name: "AUDIT_LOG" });
    expect(target("CREATE TEMP TRIGGER IF NOT EXISTS t BEFORE UPDATE OF a, b ON main.audit_log BEGIN SELECT 1; END")).toEqual({
      action: "create-trigger",
      name: "AUDIT_LOG",
    });
    expect(target("DROP INDEX audit_log_key_idx")).toBeUndefined();
  });
});
