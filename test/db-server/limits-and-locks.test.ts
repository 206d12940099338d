// What one request may use (statements, execution time, result size) and that a long request
// does not starve the others; which statements take the write lock; group commit.
import { createClient } from "@libsql/client";
import type { Client } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDbServerProcess } from "../support/db-server-process.ts";
import type { DbServerProcess } from "../support/db-server-process.ts";

const slow = (rows: number): string => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) SELECT count(*) FROM c`;

type Stats = Record<string, number> & { groupCommits: { groups: number; statements: number; queued: number } };

async function stats(server: DbServerProcess): Promise<Stats> {
  const res = await fetch(`${server.url}/stats`, { headers: { authorization: `Bearer ${server.token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Stats;
}

/** Waits until `count` autocommit writes wait for the next group commit. */
async function queuedWrites(server: DbServerProcess, count: number): Promise<void> {
  while ((await stats(server)).groupCommits.queued < count);
}

describe("request limits", () => {
  let server: DbServerProcess;
  let client: Client;

  beforeAll(async () => {
    server = await startDbServerProcess({
      args: ["--max-statements-per-request", "1000", "--max-request-ms", "400", "--max-result-bytes", "100000"],
    });
    client = createClient({ url: server.url, authToken: server.token });
    await client.execute("CREATE TABLE marks (x)");
  });

  afterAll(async () => {
    client?.close();
    await server?.dispose();
  });

  it("refuses a script longer than a request may run before running any of it", async () => {
    const script = Array.from({ length: 1001 }, (_, i) => `INSERT INTO marks VALUES (${i});`).join("\n");
    await expect(client.executeMultiple(script)).rejects.toMatchObject({
      code: "TOO_MANY_STATEMENTS",
      message: expect.stringContaining("at most 1000"),
    });
    // (the client adds BEGIN, COMMIT and ROLLBACK steps to the 998 statements)
    const batch = Array.from({ length: 998 }, () => "INSERT INTO marks VALUES (0)");
    await expect(client.batch(batch, "write")).rejects.toMatchObject({ code: "TOO_MANY_STATEMENTS" });
    expect((await client.execute("SELECT count(*) FROM marks")).rows[0]?.[0]).toBe(0);
    // at the limit it runs
    await client.executeMultiple(`BEGIN;\n${script.split("\n").slice(0, 998).join("\n")}\nCOMMIT;`);
    expect((await client.execute("SELECT count(*) FROM marks")).rows[0]?.[0]).toBe(998);
    await client.execute("DELETE FROM marks");
  });

  it("stops a request that used its execution time, with a clear error, and runs none of the rest", async () => {
    // each of these takes far longer than 400 ms (10M rows: ~1.5 s on a quiet core; 1M could finish
    // both in under 400 ms): the first runs, the rest does not
    await expect(client.executeMultiple(`${slow(10_000_000)}; ${slow(10_000_000)}; INSERT INTO marks VALUES ('late');`)).rejects.toMatchObject({
      code: "REQUEST_TIMEOUT",
      message: expect.stringContaining("400 ms"),
    });
    expect((await client.execute("SELECT count(*) FROM marks")).rows[0]?.[0]).toBe(0);
    // the next request has its own budget
    expect((await client.execute(slow(1000))).rows[0]?.[0]).toBe(1000);
  });

  it("refuses a result larger than the limit and leaves the connection healthy", async () => {
    await expect(client.execute(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) SELECT 'row ' || x FROM c`)).rejects.toMatchObject({
      code: "RESPONSE_TOO_LARGE",
    });
    await client.execute("INSERT INTO marks VALUES ('after')");
    const other = createClient({ url: server.url, authToken: server.token });
    try {
      expect((await other.execute("SELECT x FROM marks")).rows.map((r) => r[0])).toEqual(["after"]);
    } finally {
      other.close();
    }
  });
});

describe("a long request and everyone else", () => {
  let server: DbServerProcess;

  beforeAll(async () => {
    server = await startDbServerProcess({ args: ["--write-lock-timeout-ms", "2000"] });
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it("lets other clients' requests run while a long script is still running", async () => {
    const long = createClient({ url: server.url, authToken: server.token });
    const quick = createClient({ url: server.url, authToken: server.token });
    try {
      const before = (await stats(server)).statements;
      const order: string[] = [];
      const script = Array.from({ length: 3000 }, () => `${slow(300)};`).join("\n");
      const running = long.executeMultiple(script).then(() => order.push("script"));
      // wait until the script is demonstrably half-way, then ask something small
      for (;;) {
        const now = (await stats(server)).statements;
        if (now - before >= 100) break;
      }
      await quick.execute("SELECT 1").then(() => order.push("quick"));
      await running;
      expect(order).toEqual(["quick", "script"]);
    } finally {
      long.close();
      quick.close();
    }
  });

  it("does not take the write lock for reads: PRAGMA reads, WITH … SELECT, a read-only transaction in a script", async () => {
    const writer = createClient({ url: server.url, authToken: server.token });
    const reader = createClient({ url: server.url, authToken: server.token });
    try {
      await writer.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)");
      const tx = await writer.transaction("write");
      await tx.execute("INSERT INTO items (name) VALUES ('held')");
      // with the lock held, anything that wrongly waited for it would fail after 2 s with SQLITE_BUSY
      expect((await reader.execute("PRAGMA table_info(items)")).rows).toHaveLength(2);
      expect((await reader.execute("PRAGMA user_version")).rows[0]?.[0]).toBe(0);
      expect((await reader.execute("PRAGMA journal_mode")).rows[0]?.[0]).toBe("wal");
      expect((await reader.execute("WITH t(replace) AS (SELECT 1) SELECT replace FROM t")).rows[0]?.[0]).toBe(1);
      expect((await reader.execute("WITH n AS (SELECT count(*) AS c FROM items) SELECT c FROM n")).rows[0]?.[0]).toBe(0);
      await reader.executeMultiple("BEGIN TRANSACTION READONLY; SELECT count(*) FROM items; COMMIT;");
      // …and a read-only transaction opened in a script still refuses writes
      await expect(reader.executeMultiple("BEGIN TRANSACTION READONLY; INSERT INTO items (name) VALUES ('no');")).rejects.toMatchObject({
        code: "SQLITE_READONLY",
      });
      await tx.commit();
      expect((await reader.execute("SELECT name FROM items")).rows.map((r) => r[0])).toEqual(["held"]);
    } finally {
      writer.close();
      reader.close();
    }
  });

  it("commits concurrent autocommit writes together, each keeping its own result or error", async () => {
    const clients = Array.from({ length: 4 }, () => createClient({ url: server.url, authToken: server.token }));
    const [holder, a, b, c] = clients as [Client, Client, Client, Client];
    try {
      await holder.executeMultiple("CREATE TABLE g (id INTEGER PRIMARY KEY, v TEXT UNIQUE); INSERT INTO g (v) VALUES ('taken');");
      const groupsBefore = (await stats(server)).groupCommits.groups;
      // while a transaction holds the write lock, autocommit writes queue up…
      const tx = await holder.transaction("write");
      await tx.execute("INSERT INTO g (v) VALUES ('tx')");
      const writes = [
        a.execute("INSERT INTO g (v) VALUES ('a1') RETURNING id"),
        b.execute("INSERT INTO g (v) VALUES ('taken')"),
        c.execute("UPDATE g SET v = 'tx2' WHERE v = 'tx'"),
        a.execute("INSERT INTO g (v) VALUES ('a2')"),
        b.execute("INSERT OR ROLLBACK INTO g (v) VALUES ('taken')"),
        c.execute("INSERT INTO g (v) VALUES ('c1')"),
      ].map((p) => p.then((rs) => ({ ok: true as const, rs }), (error: unknown) => ({ ok: false as const, error })));
      await queuedWrites(server, writes.length);
      // …and run together once it commits
      await tx.commit();
      const outcomes = await Promise.all(writes);
      expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, true, false, true]);
      expect(outcomes[0]).toMatchObject({ rs: { rowsAffected: 1 } });
      expect(outcomes[1]).toMatchObject({ error: { code: "SQLITE_CONSTRAINT" } });
      expect(outcomes[2]).toMatchObject({ rs: { rowsAffected: 1 } });
      expect(outcomes[4]).toMatchObject({ error: { code: "SQLITE_CONSTRAINT" } });
      const rows = await holder.execute("SELECT v FROM g ORDER BY id");
      expect(rows.rows.map((r) => r[0])).toEqual(["taken", "tx2", "a1", "a2", "c1"]);
      // the OR ROLLBACK conflict undid the shared transaction: the group was run again one by one
      expect(server.events.filter((e) => e.event === "group_commit_replayed")).toHaveLength(1);
      expect((await stats(server)).groupCommits.groups).toBe(groupsBefore);
    } finally {
      for (const client of clients) client.close();
    }
  });

  it("lets more writers queue for the write lock than there are connections: waiting holds none", async () => {
    const holder = createClient({ url: server.url, authToken: server.token });
    const writers = createClient({ url: server.url, authToken: server.token, concurrency: 100 });
    try {
      await holder.execute("CREATE TABLE queued (v INTEGER)");
      const tx = await holder.transaction("write");
      await tx.execute("INSERT INTO queued VALUES (-1)");
      // 80 write transactions (the pool has 64 connections) wait behind the open one
      const waits = server.events.length;
      const batches = Array.from({ length: 80 }, (_, i) => writers.batch([{ sql: "INSERT INTO queued VALUES (?)", args: [i] }], "write"));
      while (server.events.slice(waits).filter((e) => e.event === "write_lock_wait").length < 80) await stats(server);
      await tx.commit();
      await Promise.all(batches);
      expect((await holder.execute("SELECT count(*) FROM queued")).rows[0]?.[0]).toBe(81);
    } finally {
      holder.close();
      writers.close();
    }
  });

  it("shares one commit among concurrent writes that all succeed", async () => {
    const clients = Array.from({ length: 3 }, () => createClient({ url: server.url, authToken: server.token }));
    const [holder, ...writers] = clients as [Client, ...Client[]];
    try {
      await holder.execute("CREATE TABLE shared (v)");
      const before = (await stats(server)).groupCommits;
      const tx = await holder.transaction("write");
      await tx.execute("INSERT INTO shared VALUES ('tx')");
      const writes = writers.flatMap((w, i) => [0, 1, 2].map((j) => w.execute({ sql: "INSERT INTO shared VALUES (?)", args: [`${i}-${j}`] })));
      await queuedWrites(server, writes.length);
      await tx.commit();
      await Promise.all(writes);
      const after = (await stats(server)).groupCommits;
      expect(after.groups).toBe(before.groups + 1);
      expect(after.statements - before.statements).toBe(6);
      expect((await holder.execute("SELECT count(*) FROM shared")).rows[0]?.[0]).toBe(7);
    } finally {
      for (const client of clients) client.close();
    }
  });
});
