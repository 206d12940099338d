import fs from "node:fs";
import { createClient } from "@libsql/client";
import type { Client } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { startDbServerProcess } from "../support/db-server-process.ts";
import type { DbServerProcess } from "../support/db-server-process.ts";

let server: DbServerProcess | undefined;
const clients: Client[] = [];

function connect(s: DbServerProcess): Client {
  const client = createClient({ url: s.url, authToken: s.token, intMode: "number" });
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.dispose();
  server = undefined;
});

describe("durability", () => {
  it("runs every connection with synchronous=FULL in WAL mode, and keeps writes acknowledged just before kill -9", async () => {
    const s = (server = await startDbServerProcess());
    const client = connect(s);
    // FULL, not NORMAL or OFF: a kill -9 alone cannot tell (the page cache survives it), power loss can
    for (let i = 0; i < 3; i++) {
      expect((await client.execute("PRAGMA synchronous")).rows[0]?.[0]).toBe(2);
      expect((await client.execute("PRAGMA journal_mode")).rows[0]?.[0]).toBe("wal");
    }
    await client.execute("CREATE TABLE marker (v TEXT)");
    await client.execute("INSERT INTO marker VALUES ('autocommit, acknowledged')");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO marker VALUES ('transaction, acknowledged')");
    await tx.commit();
    expect(await s.kill("SIGKILL")).toMatchObject({ signal: "SIGKILL" });

    await s.restart();
    const rs = await connect(s).execute("SELECT v FROM marker ORDER BY rowid");
    expect(rs.rows.map((r) => r[0])).toEqual(["autocommit, acknowledged", "transaction, acknowledged"]);
  });

  it("runs every pooled connection, not just the first, with synchronous=FULL in WAL mode", async () => {
    const s = (server = await startDbServerProcess());
    const client = connect(s);
    // Transactions held open at once each hold their own connection.
    const held = await Promise.all([0, 1, 2, 3].map(() => client.transaction("read")));
    const settings = await Promise.all(
      held.map(async (tx) => [(await tx.execute("PRAGMA synchronous")).rows[0]?.[0], (await tx.execute("PRAGMA journal_mode")).rows[0]?.[0]]),
    );
    for (const tx of held) tx.close();
    expect(settings).toEqual(held.map(() => [2, "wal"]));
  });

  it("keeps every acknowledged write after kill -9 in the middle of a stream of writes", async () => {
    const s = (server = await startDbServerProcess());
    const client = connect(s);
    await client.execute("CREATE TABLE journal (writer INTEGER, seq INTEGER, payload TEXT, PRIMARY KEY (writer, seq))");

    const acknowledged: string[] = [];
    const KILL_AFTER = 300;
    let killed: Promise<unknown> | undefined;
    const afterAck = (key: string): void => {
      acknowledged.push(key);
      if (acknowledged.length === KILL_AFTER) killed = s.kill("SIGKILL");
    };
    // autocommit writers and interactive-transaction writers, all racing the kill
    const writer = async (w: number): Promise<void> => {
      for (let seq = 0; ; seq++) {
        try {
          if (w % 2 === 0) {
            await client.execute({ sql: "INSERT INTO journal VALUES (?, ?, ?)", args: [w, seq, "x".repeat(200)] });
          } else {
            const tx = await client.transaction("write");
            await tx.execute({ sql: "INSERT INTO journal VALUES (?, ?, ?)", args: [w, seq, "tx"] });
            await tx.commit();
          }
        } catch {
          return; // the server is gone
        }
        afterAck(`${w}:${seq}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
    expect(killed).toBeDefined();
    expect(await killed).toMatchObject({ signal: "SIGKILL" });

    await s.restart();
    const after = connect(s);
    const rs = await after.execute("SELECT writer, seq FROM journal");
    const present = new Set(rs.rows.map((r) => `${r[0]}:${r[1]}`));
    const missing = acknowledged.filter((key) => !present.has(key));
    expect(missing).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    // the database is healthy and writable after recovery
    const check = await after.execute("PRAGMA integrity_check");
    expect(check.rows[0]?.[0]).toBe("ok");
    await after.execute("INSERT INTO journal VALUES (99, 0, 'after restart')");
  });

  it("stops itself, to be restarted, when one statement never ends; acknowledged writes survive", async () => {
    const s = (server = await startDbServerProcess({ args: ["--max-stall-ms", "1500"] }));
    const client = connect(s);
    await client.execute("CREATE TABLE kept (v TEXT)");
    await client.execute("INSERT INTO kept VALUES ('before the stall')");
    // an unbounded recursive query: the driver can neither interrupt nor time it out
    const endless = client.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c");
    await expect(endless).rejects.toBeDefined();
    const stalled = await s.waitForEvent((e) => e.event === "stalled");
    expect(stalled).toMatchObject({ limitMs: 1500 });
    expect(Number(stalled["stalledMs"])).toBeGreaterThanOrEqual(1500);
    expect(await s.exited()).toMatchObject({ signal: "SIGKILL" });

    await s.restart();
    expect((await connect(s).execute("SELECT v FROM kept")).rows.map((r) => r[0])).toEqual(["before the stall"]);
  });

  it("keeps no watcher thread at rest, and still catches a never-ending statement that is the first after a quiet spell", async () => {
    const s = (server = await startDbServerProcess({ args: ["--max-stall-ms", "1500", "--stall-watcher-idle-ms", "100"] }));
    const threads = () => fs.readdirSync(`/proc/${s.pid}/task`).length;
    const atRest = threads();
    const client = connect(s);
    await client.execute("CREATE TABLE kept (v TEXT)");
    await client.execute("INSERT INTO kept VALUES ('before the quiet spell')");
    // the watcher started with the first statement ends itself once no statement came for 100 ms
    for (let i = 0; threads() > atRest; i++) {
      expect(i, "the watcher thread is still there").toBeLessThan(500);
      await new Promise((r) => setTimeout(r, 20));
    }
    // no watcher now: this statement starts one, which boots while the statement holds the main thread
    const endless = client.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c");
    await expect(endless).rejects.toBeDefined();
    expect(await s.waitForEvent((e) => e.event === "stalled")).toMatchObject({ limitMs: 1500 });
    expect(await s.exited()).toMatchObject({ signal: "SIGKILL" });
  });

  it("shuts down gracefully on SIGTERM: rolls back open transactions and truncates the WAL", async () => {
    const s = (server = await startDbServerProcess());
    const client = connect(s);
    await client.execute("CREATE TABLE t (v TEXT)");
    await client.batch(["INSERT INTO t VALUES ('committed-1')", "INSERT INTO t VALUES ('committed-2')"], "write");
    const open = await client.transaction("write");
    await open.execute("INSERT INTO t VALUES ('uncommitted')");

    expect(await s.stop()).toBe(0);
    expect(s.events.map((e) => e.event)).toContain("closed");
    expect(fs.statSync(`${s.dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);

    await s.restart();
    const rs = await connect(s).execute("SELECT v FROM t ORDER BY rowid");
    expect(rs.rows.map((r) => r[0])).toEqual(["committed-1", "committed-2"]);
  });
});
