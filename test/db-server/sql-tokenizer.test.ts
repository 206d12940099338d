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
