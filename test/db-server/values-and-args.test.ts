import { createClient } from "@libsql/client";
import type { Client } from "@libsql/client";
import { createClient as createWebClient } from "@libsql/client/web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DB_TRANSPORTS, clientUrl, startDbServerProcess } from "../support/db-server-process.ts";
import type { DbServerProcess, DbTransport } from "../support/db-server-process.ts";

let server: DbServerProcess;
let transport: DbTransport;
let client: Client;

describe.each(DB_TRANSPORTS)("over %s", (t: DbTransport) => {
  beforeAll(() => {
    transport = t;
  });

  beforeAll(async () => {
    server = await startDbServerProcess();
    client = createClient({ url: clientUrl(server, transport), authToken: server.token, intMode: "bigint" });
    await client.execute("CREATE TABLE vals (id INTEGER PRIMARY KEY, i INTEGER, f REAL, t TEXT, b BLOB, n)");
  });

  afterAll(async () => {
    client?.close();
    await server?.dispose();
  });

  describe("values", () => {
    it("round-trips null, 64-bit integers, floats, text and blobs with their SQLite types", async () => {
      const big = 2n ** 62n + 7n; // far beyond 2^53
      const blob = new Uint8Array([0, 1, 2, 253, 254, 255]);
      const text = "héllo ✓ 'quoted' \"double\" ; -- not a comment";
      await client.execute({ sql: "INSERT INTO vals (id, i, f, t, b, n) VALUES (1, ?, ?, ?, ?, ?)", args: [big, 1.0, text, blob, null] });
      await client.execute({
        sql: "INSERT INTO vals (id, i, f) VALUES (2, ?, ?)",
        args: [9223372036854775807n, -0.5],
      });
      await client.execute({ sql: "INSERT INTO vals (id, i) VALUES (3, ?)", args: [-9223372036854775808n] });

      const rs = await client.execute(
        "SELECT i, f, t, b, n, typeof(i), typeof(f), typeof(t), typeof(b), typeof(n) FROM vals WHERE id = 1",
      );
      const row = rs.rows[0];
      expect(row?.[0]).toBe(big);
      expect(row?.[1]).toBe(1);
      expect(typeof row?.[1]).toBe("number");
      expect(row?.[2]).toBe(text);
      expect(new Uint8Array(row?.[3] as ArrayBuffer)).toEqual(blob);
      expect(row?.[4]).toBeNull();
      expect([5, 6, 7, 8, 9].map((i) => row?.[i])).toEqual([
        "integer",
        "real",
        "text",
        "blob",
        "null",
      ]);
      expect(rs.columns).toEqual(["i", "f", "t", "b", "n", "typeof(i)", "typeof(f)", "typeof(t)", "typeof(b)", "typeof(n)"]);
      expect(rs.columnTypes.slice(0, 4)).toEqual(["INTEGER", "REAL", "TEXT", "BLOB"]);

      const extremes = await client.execute("SELECT i FROM vals WHERE id IN (2, 3) ORDER BY id");
      expect(extremes.rows.map((r) => r[0])).toEqual([9223372036854775807n, -9223372036854775808n]);
    });

    it("keeps an integral REAL a float and a small INTEGER an integer", async () => {
      const rs = await client.execute({ sql: "SELECT ?, typeof(?), ?, typeof(?)", args: [2.0, 2.0, 2n, 2n] });
      expect(rs.rows[0]?.[0]).toBe(2);
      expect(rs.rows[0]?.[1]).toBe("real");
      expect(rs.rows[0]?.[2]).toBe(2n);
      expect(rs.rows[0]?.[3]).toBe("integer");
    });

    it("reports rowsAffected and an exact lastInsertRowid past 2^53", async () => {
      const rowid = 2n ** 60n + 3n;
      const ins = await client.execute({ sql: "INSERT INTO vals (id, t) VALUES (?, 'big rowid')", args: [rowid] });
      expect(ins.rowsAffected).toBe(1);
      expect(ins.lastInsertRowid).toBe(rowid);
      const upd = await client.execute("UPDATE vals SET n = 'x' WHERE id IN (1, 2, 3)");
      expect(upd.rowsAffected).toBe(3);
      const ret = await client.execute("INSERT INTO vals (t) VALUES ('r1'), ('r2') RETURNING id, t");
      expect(ret.rows.map((r) => r[1])).toEqual(["r1", "r2"]);
      expect(ret.rowsAffected).toBe(2);
      expect(ret.lastInsertRowid).toBe(ret.rows[1]?.[0]);
    });
  });

  describe("values that would not come back as sent", () => {
    it("refuses text with NUL or a lone surrogate instead of storing something else, and stores nothing", async () => {
      await client.execute("CREATE TABLE exact (v)");
      for (const value of ["a\u0000b", "\u0000", "lone \ud800 high", "lone \udc00 low"]) {
        await expect(client.execute({ sql: "INSERT INTO exact VALUES (?)", args: [value] }), JSON.stringify(value)).rejects.toMatchObject({
          code: "ARGS_INVALID",
          message: expect.stringMatching(/NUL|surrogate/),
        });
        await expect(client.execute({ sql: "INSERT INTO exact VALUES (:v)", args: { v: value } })).rejects.toMatchObject({ code: "ARGS_INVALID" });
      }
      // the same in the SQL text itself: the driver would stop reading it at the NUL
      await expect(client.execute("INSERT INTO exact VALUES ('a\u0000b')")).rejects.toMatchObject({ code: "SQL_PARSE_ERROR" });
      await expect(client.execute("SELECT 1; \u0000 DROP TABLE exact")).rejects.toMatchObject({ code: "SQL_PARSE_ERROR" });
      expect((await client.execute("SELECT count(*) FROM exact")).rows[0]?.[0]).toBe(0n);
      // a pair of surrogates is one ordinary character and round-trips, as does a 64 KiB value
      const big = `${"😀".repeat(8)}${"x".repeat(64 * 1024)}`;
      await client.execute({ sql: "INSERT INTO exact VALUES (?)", args: [big] });
      expect((await client.execute("SELECT v, length(v) FROM exact")).rows[0]?.[0]).toBe(big);
      // binary data with NUL bytes travels as a blob
      const blob = new Uint8Array([97, 0, 98]);
      expect(new Uint8Array((await client.execute({ sql: "SELECT ?", args: [blob] })).rows[0]?.[0] as ArrayBuffer)).toEqual(blob);
    });

    it("returns ±Infinity as ±Infinity (1e999 in JSON), not NULL", async () => {
      await client.execute("CREATE TABLE inf (v REAL)");
      await client.execute("INSERT INTO inf VALUES (1e999), (-1e999), (9e307 * 10)");
      const rs = await client.execute("SELECT v, typeof(v) FROM inf ORDER BY rowid");
      expect(rs.rows.map((r) => [r[0], r[1]])).toEqual([
        [Infinity, "real"],
        [-Infinity, "real"],
        [Infinity, "real"],
      ]);
      const raw = await fetch(`${server.url}/v2/pipeline`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.token}` },
        body: JSON.stringify({ baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT -1e999, 'inf'" } }, { type: "close" }] }),
      });
      const text = await raw.text();
      expect(text).toContain('{"type":"float","value":-1e999}');
      expect(text).toContain('{"type":"text","value":"inf"}');
    });
  });

  describe("arguments", () => {
    it("keeps the first name of a slot when ?NNN names it again, as SQLite does, and describes it so", async () => {
      const rs = await client.execute({ sql: "SELECT :b, :a, ?1", args: { b: "bee", a: "ay" } });
      expect(Array.from(rs.rows[0] ?? [])).toEqual(["bee", "ay", "bee"]);
      // a later named parameter takes the next free slot
      await expect(client.execute({ sql: "SELECT ?2, :x", args: ["one", "two"] })).rejects.toMatchObject({
        code: "ARGS_INVALID",
        message: expect.stringContaining(":x"),
      });
      const res = await fetch(`${server.url}/v2/pipeline`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.token}` },
        body: JSON.stringify({ baton: null, requests: [{ type: "describe", sql: "SELECT :b, :a, ?1, ?4, @c" }, { type: "close" }] }),
      });
      const body = (await res.json()) as { results: { response: { result: { params: unknown[] } } }[] };
      expect(body.results[0]?.response.result.params).toEqual([{ name: ":b" }, { name: ":a" }, { name: null }, { name: "?4" }, { name: "@c" }]);
    });

    it("binds positional ? and ?NNN arguments", async () => {
      const rs = await client.execute({ sql: "SELECT ?, ?, ?1, ?3", args: ["a", "b", "c"] });
      expect(Array.from(rs.rows[0] ?? [])).toEqual(["a", "b", "a", "c"]);
    });

    it("binds named arguments with :, @ and $ prefixes, with or without the prefix in the key", async () => {
      const rs = await client.execute({
        sql: "SELECT :a AS a, @b AS b, $c AS c, :a AS a2",
        args: { a: 1n, "@b": "two", $c: 3.5 },
      });
      expect(rs.rows[0]?.["a"]).toBe(1n);
      expect(rs.rows[0]?.["b"]).toBe("two");
      expect(rs.rows[0]?.["c"]).toBe(3.5);
      expect(rs.rows[0]?.["a2"]).toBe(1n);
    });

    it("rejects arguments that match no parameter instead of guessing", async () => {
      await expect(client.execute({ sql: "SELECT :a", args: { b: 1 } })).rejects.toMatchObject({ code: "ARGS_INVALID" });
      await expect(client.execute({ sql: "SELECT ?", args: [1, 2] })).rejects.toMatchObject({ code: "ARGS_INVALID" });
      await expect(client.execute({ sql: "SELECT ?, ?", args: [1] })).rejects.toMatchObject({ code: "ARGS_INVALID" });
    });
  });

  describe("@libsql/client/web", () => {
    it("executes, batches and runs transactions against the server", async () => {
      const web = createWebClient({ url: server.url, authToken: server.token, intMode: "bigint" });
      try {
        await web.execute("CREATE TABLE web_t (id INTEGER PRIMARY KEY, v TEXT)");
        await web.batch([{ sql: "INSERT INTO web_t (v) VALUES (?)", args: ["one"] }, "INSERT INTO web_t (v) VALUES ('two')"], "write");
        const tx = await web.transaction("write");
        await tx.execute({ sql: "INSERT INTO web_t (v) VALUES (:v)", args: { v: "three" } });
        await tx.commit();
        const rs = await web.execute("SELECT v FROM web_t ORDER BY id");
        expect(rs.rows.map((r) => r[0])).toEqual(["one", "two", "three"]);
        const blob = await web.execute({ sql: "SELECT ?", args: [new Uint8Array([9, 8, 7])] });
        expect(new Uint8Array(blob.rows[0]?.[0] as ArrayBuffer)).toEqual(new Uint8Array([9, 8, 7]));
        // the same answers as through the Node client: exact values, clear refusals, base codes
        expect(Array.from((await web.execute("SELECT 1e999, -1e999")).rows[0] ?? [])).toEqual([Infinity, -Infinity]);
        await expect(web.execute({ sql: "SELECT ?", args: ["a\u0000b"] })).rejects.toMatchObject({ code: "ARGS_INVALID" });
        await expect(web.execute("INSERT INTO web_t (id, v) VALUES (1, 'again')")).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT" });
        await expect(web.execute("SELECT readfile('/etc/hostname')")).rejects.toMatchObject({ code: "SQL_NOT_ALLOWED" });
      } finally {
        web.close();
      }
    });
  });
});
