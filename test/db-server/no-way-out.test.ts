// The database token is no more than the database: no files, no other databases, no native
// code, no SQL out of the server's sight, no way to disarm the audit ledger's append-only
// triggers — and EXPLAIN of any write leaves the server healthy. Over HTTP and over WebSocket.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import type { Client } from "@libsql/client";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DB_TRANSPORTS, clientUrl, startDbServerProcess } from "../support/db-server-process.ts";
import type { DbServerProcess, DbTransport } from "../support/db-server-process.ts";

const MIGRATIONS = fileURLToPath(new URL("../../migrations/", import.meta.url));
const AUDIT_MIGRATIONS = ["0005_audit.sql", "0006_audit_append_only.sql"];

let server: DbServerProcess;
let client: Client;
let other: Client;

/** Applies SQL straight to the database file, as `seed init` applies migrations. */
function onFile(sql: string): void {
  const db = new Database(server.dbPath);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

describe.each(DB_TRANSPORTS)("over %s", (transport: DbTransport) => {
  beforeAll(async () => {
    server = await startDbServerProcess();
    for (const file of AUDIT_MIGRATIONS) {
      for (const part of readFileSync(path.join(MIGRATIONS, file), "utf8").split("--> statement-breakpoint")) onFile(part);
    }
    client = createClient({ url: clientUrl(server, transport), authToken: server.token });
    other = createClient({ url: clientUrl(server, transport), authToken: server.token });
    await client.execute(
      "INSERT INTO audit_log (seq, at, actor, action, prev_hash, hash) VALUES (1, 1, 'owner', 'genesis', 'p0', 'h1')",
    );
  });

  afterAll(async () => {
    client?.close();
    other?.close();
    await server?.dispose();
  });

  const refused = { code: "SQL_NOT_ALLOWED" };

  describe("no way out of the database", () => {
    it("refuses the file-system functions in every spelling and position; no file is read, written or listed", async () => {
      const tokenFile = path.join(server.dir, "token");
      const written = path.join(server.dir, "written.txt");
      const attempts = [
        { sql: "SELECT readfile(?)", args: [tokenFile] },
        { sql: 'SELECT "ReadFile"(?)', args: [tokenFile] },
        { sql: "SELECT [readfile] (?)", args: [tokenFile] },
        { sql: "SELECT 1 WHERE EXISTS (SELECT readfile(?))", args: [tokenFile] },
        { sql: "SELECT writefile(?, 'x')", args: [written] },
        { sql: "SELECT name FROM fsdir(?)", args: [server.dir] },
        { sql: "SELECT lsmode(420)", args: [] },
        { sql: "WITH f AS (SELECT writefile(?, 'x')) SELECT * FROM f", args: [written] },
        { sql: "CREATE VIEW leak AS SELECT readfile('/etc/hostname') AS f", args: [] },
      ];
      for (const attempt of attempts) {
        await expect(client.execute(attempt), attempt.sql).rejects.toMatchObject(refused);
      }
      // in scripts and batches too, where nothing of the request runs
      await expect(client.executeMultiple(`CREATE TABLE before_leak (x); SELECT writefile('${written}', 'x');`)).rejects.toMatchObject(refused);
      await expect(client.batch([{ sql: "SELECT writefile(?, 'x')", args: [written] }], "write")).rejects.toMatchObject(refused);
      expect(existsSync(written)).toBe(false);
      const tables = await client.execute("SELECT name FROM sqlite_schema WHERE name IN ('before_leak', 'leak')");
      expect(tables.rows).toEqual([]);
    });

    it("refuses ATTACH, DETACH, VACUUM INTO, extensions, raw pages, cipher changes and SQL that runs SQL; creates no file", async () => {
      const elsewhere = path.join(server.dir, "elsewhere.db");
      const attempts = [
        `ATTACH DATABASE '${elsewhere}' AS other`,
        `attach '${elsewhere}' as other`,
        "DETACH other",
        `VACUUM INTO '${elsewhere}'`,
        `VACUUM main INTO 'file:${elsewhere}?mode=rwc'`,
        "SELECT load_extension('/tmp/evil.so')",
        `SELECT sha3_query('ATTACH ''${elsewhere}'' AS x')`,
        "SELECT data FROM sqlite_dbpage WHERE pgno = 1",
        "UPDATE sqlite_dbpage SET data = zeroblob(4096) WHERE pgno = 2",
        "SELECT sqlite3mc_config('cipher', 'rc4')",
        "EXPLAIN SELECT readfile('/etc/hostname')",
      ];
      for (const sql of attempts) await expect(client.execute(sql), sql).rejects.toMatchObject(refused);
      expect(existsSync(elsewhere)).toBe(false);
      // a plain VACUUM stays allowed
      await client.execute("VACUUM");
    });

    it("keeps SQLite's own guard up: a view planted in the file cannot call unsafe functions through the server", async () => {
      // trusted_schema=OFF: schema objects may call only innocuous functions (readfile() and
      // friends are direct-only anyway; the cipher functions are not, and would run without it)
      onFile("CREATE VIEW planted AS SELECT sqlite3mc_config('cipher') AS c");
      await expect(other.execute("SELECT c FROM planted")).rejects.toMatchObject({
        code: "SQLITE_ERROR",
        message: expect.stringContaining("unsafe use of sqlite3mc_config()"),
      });
      onFile("DROP VIEW planted");
    });

    it("refuses PRAGMAs that would weaken durability, the schema or the triggers, and runs the harmless ones", async () => {
      for (const sql of [
        "PRAGMA journal_mode=DELETE",
        "PRAGMA main.journal_mode = OFF",
        "PRAGMA synchronous=OFF",
        "PRAGMA synchronous(0)",
        "PRAGMA writable_schema=ON",
        "PRAGMA trusted_schema=ON",
        "PRAGMA recursive_triggers=OFF",
        "PRAGMA locking_mode=EXCLUSIVE",
        "PRAGMA schema_version=1",
        "PRAGMA key='secret'",
        "PRAGMA rekey='secret'",
        "PRAGMA temp_store_directory='/tmp'",
        "PRAGMA soft_heap_limit=1",
      ]) {
        await expect(client.execute(sql), sql).rejects.toMatchObject(refused);
      }
      expect((await client.execute("PRAGMA journal_mode")).rows[0]?.[0]).toBe("wal");
      expect((await client.execute("PRAGMA table_info(audit_log)")).rows.length).toBeGreaterThan(5);
      expect((await client.execute("PRAGMA user_version")).rows[0]?.[0]).toBe(0);
      // a setting of the stream's own connection stays allowed (and stays on that connection)
      await client.execute("PRAGMA foreign_keys=OFF");
      expect((await client.execute("PRAGMA foreign_keys")).rows[0]?.[0]).toBe(1);
    });
  });

  describe("the audit ledger stays append-only", () => {
    it("refuses to drop, alter or add to the guarded tables and their triggers, in any spelling", async () => {
      for (const sql of [
        "DROP TRIGGER audit_log_no_delete",
        'DROP TRIGGER IF EXISTS main."audit_log_no_update"',
        "drop trigger [audit_checkpoints_no_delete]",
        "DROP TABLE audit_log",
        "DROP TABLE IF EXISTS main.AUDIT_CHECKPOINTS",
        "ALTER TABLE audit_log RENAME TO audit_old",
        "ALTER TABLE `audit_log` ADD COLUMN note TEXT",
        "ALTER TABLE audit_log DROP COLUMN detail",
        "CREATE TRIGGER swallow BEFORE INSERT ON audit_log BEGIN SELECT RAISE(IGNORE); END",
        "CREATE TEMP TRIGGER swallow BEFORE INSERT ON main.audit_log BEGIN SELECT RAISE(IGNORE); END",
      ]) {
        await expect(client.execute(sql), sql).rejects.toMatchObject(refused);
      }
      await expect(client.executeMultiple("CREATE TABLE x1 (a); DROP TRIGGER audit_log_no_delete;")).rejects.toMatchObject(refused);
      const triggers = await other.execute("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name LIKE 'audit%' ORDER BY name");
      expect(triggers.rows.map((r) => r[0])).toEqual([
        "audit_checkpoints_no_delete",
        "audit_checkpoints_no_update",
        "audit_log_no_delete",
        "audit_log_no_update",
      ]);
    });

    it("refuses to replace, change or remove a row, REPLACE included (delete triggers fire on REPLACE)", async () => {
      const forge = "INSERT INTO audit_log (seq, at, actor, action, prev_hash, hash) VALUES (1, 2, 'forger', 'forged', 'p0', 'h1')";
      for (const sql of [
        forge.replace("INSERT", "INSERT OR REPLACE"),
        forge.replace("INSERT", "REPLACE"),
        "UPDATE audit_log SET actor = 'forger'",
        "DELETE FROM audit_log",
      ]) {
        await expect(client.execute(sql), sql).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT", message: expect.stringContaining("append-only") });
      }
      const rows = await other.execute("SELECT seq, actor, action FROM audit_log");
      expect(rows.rows.map((r) => [r[0], r[1], r[2]])).toEqual([[1, "owner", "genesis"]]);
    });

    it("leaves other tables' triggers to their owners", async () => {
      await client.executeMultiple(`
        CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
        CREATE TRIGGER notes_trim AFTER INSERT ON notes BEGIN UPDATE notes SET body = trim(new.body) WHERE id = new.id; END;
      `);
      await client.execute("DROP TRIGGER notes_trim");
      await client.execute("ALTER TABLE notes ADD COLUMN tag TEXT");
      await client.execute("DROP TABLE notes");
    });
  });

  describe("EXPLAIN", () => {
    beforeAll(async () => {
      await client.executeMultiple(`
        CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);
        CREATE TABLE side (x);
        CREATE TRIGGER side_t AFTER INSERT ON side BEGIN SELECT 1; END;
      `);
    });

    const explained = [
      "EXPLAIN INSERT INTO kv VALUES ('e', 1)",
      "EXPLAIN QUERY PLAN INSERT INTO kv VALUES ('e', 1)",
      "EXPLAIN UPDATE kv SET v = v + 1",
      "EXPLAIN DELETE FROM kv",
      "EXPLAIN REPLACE INTO kv VALUES ('e', 2)",
      "EXPLAIN CREATE TABLE explained (x)",
      "EXPLAIN CREATE INDEX kv_v ON kv (v)",
      "EXPLAIN DROP TABLE side",
      "EXPLAIN DROP TRIGGER side_t",
      "EXPLAIN ALTER TABLE kv ADD COLUMN w",
      "EXPLAIN QUERY PLAN DELETE FROM kv WHERE k = 'x'",
    ];

    it("of every write kind leaves the next write on the same connection visible to another stream", async () => {
      const reader = createClient({ url: clientUrl(server, transport), authToken: server.token });
      try {
        for (const [i, sql] of explained.entries()) {
          const key = `after-${i}`;
          // a read transaction holds a second connection, so the EXPLAIN runs on another one
          const holder = await reader.transaction("read");
          await holder.execute("SELECT count(*) FROM kv");
          const res = await fetch(`${server.url}/v2/pipeline`, {
            method: "POST",
            headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" },
            body: JSON.stringify({
              baton: null,
              requests: [
                { type: "execute", stmt: { sql } },
                { type: "execute", stmt: { sql: "INSERT INTO kv VALUES (?, ?)", args: [{ type: "text", value: key }, { type: "integer", value: String(i) }] } },
                { type: "close" },
              ],
            }),
          });
          const body = (await res.json()) as { results: { type: string }[] };
          expect(body.results.map((r) => r.type), sql).toEqual(["ok", "ok", "ok"]);
          // the held connection is released last, so the next stream gets it: it must see the
          // acknowledged write, and be able to write itself
          await holder.commit();
          const seen = await other.execute({ sql: "SELECT v FROM kv WHERE k = ?", args: [key] });
          expect(seen.rows[0]?.[0], sql).toBe(i);
          await other.execute({ sql: "UPDATE kv SET v = v WHERE k = ?", args: [key] });
        }
      } finally {
        reader.close();
      }
      // nothing was created, dropped or altered by the EXPLAINs
      const schema = await other.execute("SELECT name FROM sqlite_schema WHERE name IN ('explained', 'kv_v', 'side', 'side_t') ORDER BY name");
      expect(schema.rows.map((r) => r[0])).toEqual(["side", "side_t"]);
      expect((await other.execute("SELECT count(*) FROM kv")).rows[0]?.[0]).toBe(explained.length);
    });
  });
});
