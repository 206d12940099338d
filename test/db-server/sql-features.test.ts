import { createClient } from "@libsql/client";
import type { Client } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDbServerProcess } from "../support/db-server-process.ts";
import type { DbServerProcess } from "../support/db-server-process.ts";

let server: DbServerProcess;
let client: Client;

beforeAll(async () => {
  server = await startDbServerProcess();
  client = createClient({ url: server.url, authToken: server.token });
});

afterAll(async () => {
  client?.close();
  await server?.dispose();
});

describe("SQLite errors", () => {
  beforeAll(async () => {
    await client.executeMultiple(`
      CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL);
      CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id));
      INSERT INTO parent (id, code) VALUES (1, 'p1');
    `);
  });

  it("answers constraint violations with SQLite's base code, as sqld does", async () => {
    await expect(client.execute("INSERT INTO parent (code) VALUES ('p1')")).rejects.toMatchObject({
      code: "SQLITE_CONSTRAINT", message: expect.stringContaining("UNIQUE constraint failed"),
    });
    await expect(client.execute("INSERT INTO parent (code) VALUES (NULL)")).rejects.toMatchObject({
      code: "SQLITE_CONSTRAINT", message: expect.stringContaining("NOT NULL constraint failed"),
    });
    // foreign keys are enforced on every connection
    await expect(client.execute("INSERT INTO child (parent_id) VALUES (99)")).rejects.toMatchObject({
      code: "SQLITE_CONSTRAINT", message: expect.stringContaining("FOREIGN KEY constraint failed"),
    });
    await expect(client.execute("SELEC 1")).rejects.toMatchObject({ code: "SQLITE_ERROR" });
    await expect(client.execute("SELECT * FROM missing_table")).rejects.toMatchObject({
      code: "SQLITE_ERROR",
      message: expect.stringContaining("no such table: missing_table"),
    });
  });

  it("refuses to execute more than one statement at once, running none of them", async () => {
    await expect(
      client.execute("INSERT INTO parent (code) VALUES ('multi1'); INSERT INTO parent (code) VALUES ('multi2')"),
    ).rejects.toMatchObject({ code: "SQL_MANY_STATEMENTS" });
    const rs = await client.execute("SELECT count(*) FROM parent WHERE code LIKE 'multi%'");
    expect(rs.rows[0]?.[0]).toBe(0);
    // a trailing semicolon and comments are still one statement
    await client.execute("SELECT 1; -- done");
  });
});

describe("result columns", () => {
  it("follow schema changes: SELECT * after ADD COLUMN, declared types after a table rebuild", async () => {
    await client.execute("CREATE TABLE shape (a INTEGER)");
    expect((await client.execute("SELECT * FROM shape")).columns).toEqual(["a"]);
    expect((await client.execute("SELECT a FROM shape")).columnTypes).toEqual(["INTEGER"]);
    await client.execute("ALTER TABLE shape ADD COLUMN b TEXT");
    expect((await client.execute("SELECT * FROM shape")).columns).toEqual(["a", "b"]);
    await client.executeMultiple("DROP TABLE shape; CREATE TABLE shape (a TEXT);");
    expect((await client.execute("SELECT a FROM shape")).columnTypes).toEqual(["TEXT"]);
  });
});

describe("executeMultiple", () => {
  it("runs scripts with comments, quoted semicolons and trigger bodies", async () => {
    await client.executeMultiple(`
      -- a comment; with a semicolon
      CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, words INTEGER);
      CREATE TABLE audit (note_id INTEGER, what TEXT);
      /* block; comment */
      CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
        INSERT INTO audit VALUES (new.id, 'insert;' || CASE WHEN new.words > 1 THEN 'many' ELSE 'one' END);
        UPDATE notes SET words = coalesce(new.words, 0) WHERE id = new.id;
      END;
      INSERT INTO notes (body, words) VALUES ('semi;colon', 2);
      INSERT INTO notes (body) VALUES ('it''s');
    `);
    const notes = await client.execute("SELECT body, words FROM notes ORDER BY id");
    expect(notes.rows.map((r) => [r[0], r[1]])).toEqual([
      ["semi;colon", 2],
      ["it's", 0],
    ]);
    const audit = await client.execute("SELECT what FROM audit ORDER BY note_id");
    expect(audit.rows.map((r) => r[0])).toEqual(["insert;many", "insert;one"]);
  });

  it("stops at the first failing statement and reports its error", async () => {
    await client.execute("CREATE TABLE seq (x INTEGER UNIQUE)");
    await expect(
      client.executeMultiple("INSERT INTO seq VALUES (1); INSERT INTO seq VALUES (1); INSERT INTO seq VALUES (2);"),
    ).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT", message: expect.stringContaining("UNIQUE constraint failed") });
    const rs = await client.execute("SELECT x FROM seq");
    expect(rs.rows.map((r) => r[0])).toEqual([1]);
  });
});

describe("libSQL extensions", () => {
  it("stores F32_BLOB vectors and finds nearest neighbours through a vector index", async () => {
    await client.executeMultiple(`
      CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, embedding F32_BLOB(3));
      CREATE INDEX docs_vec ON docs (libsql_vector_idx(embedding));
    `);
    await client.batch(
      [
        { sql: "INSERT INTO docs (title, embedding) VALUES (?, vector32(?))", args: ["x-axis", "[1, 0, 0]"] },
        { sql: "INSERT INTO docs (title, embedding) VALUES (?, vector32(?))", args: ["y-axis", "[0, 1, 0]"] },
        { sql: "INSERT INTO docs (title, embedding) VALUES (?, vector32(?))", args: ["z-axis", "[0, 0, 1]"] },
        { sql: "INSERT INTO docs (title, embedding) VALUES (?, vector32(?))", args: ["xy", "[0.7, 0.7, 0]"] },
      ],
      "write",
    );
    const top = await client.execute({
      sql: `SELECT d.title FROM vector_top_k('docs_vec', vector32(?), 2) AS k JOIN docs d ON d.rowid = k.id`,
      args: ["[0.9, 0.2, 0]"],
    });
    expect(top.rows.map((r) => r[0]).sort()).toEqual(["x-axis", "xy"]);
    const dist = await client.execute(
      "SELECT title, vector_distance_cos(embedding, vector32('[1,0,0]')) AS d FROM docs ORDER BY d LIMIT 1",
    );
    expect(dist.rows[0]?.[0]).toBe("x-axis");
    const extracted = await client.execute("SELECT vector_extract(embedding) FROM docs WHERE title = 'y-axis'");
    expect(extracted.rows[0]?.[0]).toBe("[0,1,0]");
  });

  it("ranks FTS5 matches with bm25", async () => {
    await client.executeMultiple(`
      CREATE VIRTUAL TABLE articles USING fts5(title, body);
      INSERT INTO articles VALUES ('Rust', 'memory safety without garbage collection');
      INSERT INTO articles VALUES ('SQLite', 'sqlite sqlite sqlite is an embedded database');
      INSERT INTO articles VALUES ('libSQL', 'a fork of sqlite');
    `);
    const rs = await client.execute({
      sql: "SELECT title, bm25(articles) AS score FROM articles WHERE articles MATCH ? ORDER BY score",
      args: ["sqlite"],
    });
    expect(rs.rows.map((r) => r[0])).toEqual(["SQLite", "libSQL"]);
    expect(typeof rs.rows[0]?.[1]).toBe("number");
    expect(Number(rs.rows[0]?.[1])).toBeLessThan(Number(rs.rows[1]?.[1]));
  });
});
