import { LibsqlBatchError, createClient } from "@libsql/client";
import type { Client } from "@libsql/client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DB_TRANSPORTS, clientUrl, startDbServerProcess } from "../support/db-server-process.ts";
import type { DbServerProcess, DbTransport } from "../support/db-server-process.ts";

let server: DbServerProcess;
let transport: DbTransport;
let a: Client;
let b: Client;

const connect = (s: DbServerProcess): Client => createClient({ url: clientUrl(s, transport), authToken: s.token, intMode: "number" });

async function names(client: Client): Promise<string[]> {
  const rs = await client.execute("SELECT name FROM items ORDER BY id");
  return rs.rows.map((r) => String(r[0]));
}

/** Settles to "pending" if `promise` has not settled by the time `probe` completes. */
async function stillPendingAfter(promise: Promise<unknown>, probe: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await probe;
  return !settled;
}

describe.each(DB_TRANSPORTS)("over %s", (t: DbTransport) => {
  beforeAll(() => {
    transport = t;
  });

  beforeAll(async () => {
    server = await startDbServerProcess();
    a = connect(server);
    b = connect(server);
    await a.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
  });

  beforeEach(async () => {
    await a.execute("DELETE FROM items");
  });

  afterAll(async () => {
    a?.close();
    b?.close();
    await server?.dispose();
  });

  describe("batch", () => {
    it("commits every step in write mode", async () => {
      const results = await a.batch(
        [
          { sql: "INSERT INTO items (name) VALUES (?)", args: ["w1"] },
          { sql: "INSERT INTO items (name) VALUES (?)", args: ["w2"] },
          "SELECT count(*) FROM items",
        ],
        "write",
      );
      expect(results[2]?.rows[0]?.[0]).toBe(2);
      expect(await names(b)).toEqual(["w1", "w2"]);
    });

    it("rolls the whole batch back when a step fails, and reports the failing step", async () => {
      await a.execute("INSERT INTO items (name) VALUES ('dup')");
      const failure = await a
        .batch(
          [
            "INSERT INTO items (name) VALUES ('before')",
            "INSERT INTO items (name) VALUES ('dup')",
            "INSERT INTO items (name) VALUES ('after')",
          ],
          "write",
        )
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(LibsqlBatchError);
      expect(failure).toMatchObject({ code: "SQLITE_CONSTRAINT", message: expect.stringContaining("UNIQUE constraint failed"), statementIndex: 1 });
      expect(await names(b)).toEqual(["dup"]);
    });

    it("runs deferred batches atomically too", async () => {
      await a.batch(["INSERT INTO items (name) VALUES ('d1')", "INSERT INTO items (name) VALUES ('d2')"], "deferred");
      await expect(
        a.batch(["INSERT INTO items (name) VALUES ('d3')", "INSERT INTO items (name) VALUES (NULL)"], "deferred"),
      ).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT", message: expect.stringContaining("NOT NULL constraint failed") });
      expect(await names(b)).toEqual(["d1", "d2"]);
    });

    it("reads in read mode, refuses writes there, and leaves no read-only connection behind", async () => {
      await a.execute("INSERT INTO items (name) VALUES ('r1')");
      const [rs] = await a.batch(["SELECT name FROM items"], "read");
      expect(rs?.rows.map((r) => r[0])).toEqual(["r1"]);
      await expect(a.batch(["INSERT INTO items (name) VALUES ('r2')"], "read")).rejects.toMatchObject({
        code: expect.stringMatching(/^SQLITE_READONLY/),
      });
      // many writes in a row reuse pooled connections; none may still be in query_only mode
      for (let i = 0; i < 5; i++) await a.execute({ sql: "INSERT INTO items (name) VALUES (?)", args: [`after-read-${i}`] });
      expect(await names(b)).toHaveLength(6);
    });
  });

  describe("interactive transactions", () => {
    it("commits, and keeps uncommitted writes invisible to other clients until then", async () => {
      const tx = await a.transaction("write");
      await tx.execute("INSERT INTO items (name) VALUES ('t1')");
      const inside = await tx.execute("SELECT count(*) FROM items");
      expect(inside.rows[0]?.[0]).toBe(1);
      expect(await names(b)).toEqual([]);
      await tx.execute("INSERT INTO items (name) VALUES ('t2')");
      await tx.commit();
      expect(await names(b)).toEqual(["t1", "t2"]);
    });

    it("rolls back", async () => {
      const tx = await a.transaction("write");
      await tx.execute("INSERT INTO items (name) VALUES ('gone')");
      await tx.rollback();
      expect(await names(b)).toEqual([]);
    });

    it("keeps the transaction usable after a failing statement", async () => {
      await a.execute("INSERT INTO items (name) VALUES ('x')");
      const tx = await a.transaction("write");
      await tx.execute("INSERT INTO items (name) VALUES ('y')");
      await expect(tx.execute("INSERT INTO items (name) VALUES ('x')")).rejects.toMatchObject({
        code: "SQLITE_CONSTRAINT", message: expect.stringContaining("UNIQUE constraint failed"),
      });
      await tx.execute("INSERT INTO items (name) VALUES ('z')");
      await tx.commit();
      expect(await names(b)).toEqual(["x", "y", "z"]);
    });

    it("runs executeMultiple inside a transaction", async () => {
      const tx = await a.transaction("write");
      await tx.executeMultiple("INSERT INTO items (name) VALUES ('m1'); INSERT INTO items (name) VALUES ('m2');");
      expect(await names(b)).toEqual([]);
      await tx.commit();
      expect(await names(b)).toEqual(["m1", "m2"]);
    });

    it("refuses writes in a read transaction while reads see a stable snapshot", async () => {
      await a.execute("INSERT INTO items (name) VALUES ('s1')");
      const tx = await a.transaction("read");
      expect((await tx.execute("SELECT count(*) FROM items")).rows[0]?.[0]).toBe(1);
      // a writer is not blocked by the reader
      await b.execute("INSERT INTO items (name) VALUES ('s2')");
      expect((await tx.execute("SELECT count(*) FROM items")).rows[0]?.[0]).toBe(1);
      await expect(tx.execute("DELETE FROM items")).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_READONLY/) });
      await tx.rollback();
      expect(await names(b)).toEqual(["s1", "s2"]);
    });

    it("queues a second concurrent write transaction until the first one commits", async () => {
      const first = await a.transaction("write");
      await first.execute("INSERT INTO items (name) VALUES ('first')");

      const second = await b.transaction("write");
      const earlier = new Set(server.events);
      const secondInsert = second.execute("INSERT INTO items (name) VALUES ('second')");
      await server.waitForEvent((e) => e.event === "write_lock_wait" && !earlier.has(e));
      // the first transaction keeps working while the second one waits
      expect(await stillPendingAfter(secondInsert, first.execute("INSERT INTO items (name) VALUES ('first-2')"))).toBe(true);
      await first.commit();
      await secondInsert;
      await second.commit();
      expect(await names(a)).toEqual(["first", "first-2", "second"]);
    });

    it("runs many concurrent read-modify-write transactions to completion, one at a time", async () => {
      await a.execute("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
      await a.execute("INSERT OR REPLACE INTO counter (id, n) VALUES (1, 0)");
      const clients = [a, b, connect(server), connect(server)];
      // each transaction reads, then writes what it read plus one, across several round trips:
      // without server-side queuing they would collide with SQLITE_BUSY or lose updates
      await Promise.all(
        Array.from({ length: 24 }, async (_, i) => {
          const tx = await clients[i % clients.length]!.transaction(i % 2 === 0 ? "write" : "deferred");
          const current = Number((await tx.execute("SELECT n FROM counter WHERE id = 1")).rows[0]?.[0]);
          await tx.execute({ sql: "INSERT INTO items (name) VALUES (?)", args: [`c${i}`] });
          await tx.execute({ sql: "UPDATE counter SET n = ? WHERE id = 1", args: [current + 1] });
          await tx.commit();
        }),
      );
      expect((await a.execute("SELECT n FROM counter WHERE id = 1")).rows[0]?.[0]).toBe(24);
      expect(await names(a)).toHaveLength(24);
      clients[2]?.close();
      clients[3]?.close();
    });
  });

  describe("stream lifetime limits", () => {
    let timers: DbServerProcess;

    beforeAll(async () => {
      timers = await startDbServerProcess({ args: ["--idle-stream-ms", "1000", "--write-lock-timeout-ms", "60000"] });
      const c = connect(timers);
      await c.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
      c.close();
    });

    afterAll(async () => {
      await timers?.dispose();
    });

    it("rolls back an abandoned transaction when its stream idles out, and frees the write lock", async () => {
      const abandoner = connect(timers);
      const other = connect(timers);
      const abandoned = await abandoner.transaction("write");
      await abandoned.execute("INSERT INTO items (name) VALUES ('abandoned')");

      // this writer can only get the lock once the server expires the abandoned stream
      const tx = await other.transaction("write");
      await tx.execute("INSERT INTO items (name) VALUES ('survivor')");
      await tx.commit();

      const expired = await timers.waitForEvent((e) => e.event === "stream_expired" && e["rolledBack"] === true);
      expect(expired["releasedWriteLock"]).toBe(true);
      expect(await names(other)).toEqual(["survivor"]);
      await expect(abandoned.execute("SELECT 1")).rejects.toMatchObject({ code: "STREAM_EXPIRED" });
      abandoner.close();
      other.close();
    });

    it("fails a writer that waits longer than the write-lock timeout with SQLITE_BUSY", async () => {
      const impatient = await startDbServerProcess({ args: ["--write-lock-timeout-ms", "200"] });
      const holder = connect(impatient);
      const waiter = connect(impatient);
      try {
        await holder.execute("CREATE TABLE t (x)");
        const tx = await holder.transaction("write");
        await tx.execute("INSERT INTO t VALUES (1)");
        await expect(waiter.execute("INSERT INTO t VALUES (2)")).rejects.toMatchObject({ code: "SQLITE_BUSY" });
        await tx.commit();
        // once the holder is done, writing works again
        await waiter.execute("INSERT INTO t VALUES (3)");
        const rs = await waiter.execute("SELECT x FROM t ORDER BY x");
        expect(rs.rows.map((r) => r[0])).toEqual([1, 3]);
      } finally {
        holder.close();
        waiter.close();
        await impatient.dispose();
      }
    });
  });
});
