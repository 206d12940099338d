// Hrana 3 over HTTP: the official client (hrana-client with protocol version 3, and
// @libsql/client's own transaction code on top of it) negotiates v3-protobuf and relies on
// is_autocommit conditions and cursors; the JSON variant serves the same requests.
import * as hrana from "@libsql/hrana-client";
import { LibsqlBatchError } from "@libsql/client";
import { HttpTransaction } from "@libsql/client/http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDbServerProcess } from "../support/db-server-process.ts";
import type { DbServerProcess } from "../support/db-server-process.ts";

let server: DbServerProcess;
let v3: hrana.HttpClient;

beforeAll(async () => {
  server = await startDbServerProcess();
  v3 = hrana.openHttp(server.url, server.token, undefined, undefined, 3);
  v3.intMode = "bigint";
  const s = v3.openStream();
  await s.run("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
  s.close();
});

beforeEach(async () => {
  const s = v3.openStream();
  await s.run("DELETE FROM items");
  s.close();
});

afterAll(async () => {
  v3?.close();
  await server?.dispose();
});

async function names(): Promise<string[]> {
  const s = v3.openStream();
  try {
    return (await s.query("SELECT name FROM items ORDER BY id")).rows.map((r) => String(r[0]));
  } finally {
    s.close();
  }
}

describe("the official client on Hrana 3", () => {
  it("negotiates version 3 (Protobuf) and round-trips every value type exactly", async () => {
    expect(await v3.getVersion()).toBe(3);
    const s = v3.openStream();
    try {
      const row = (
        await s.queryRow(
          new hrana.Stmt("SELECT ?, ?, ?, ?, ?, 1e999, -1e999, typeof(?)").bindIndexes([
            null,
            9223372036854775807n,
            -2.5,
            "héllo ✓",
            new Uint8Array([0, 255, 7]),
            0.1,
          ]),
        )
      ).row;
      expect(row?.[0]).toBeNull();
      expect(row?.[1]).toBe(9223372036854775807n);
      expect(row?.[2]).toBe(-2.5);
      expect(row?.[3]).toBe("héllo ✓");
      expect(new Uint8Array(row?.[4] as ArrayBuffer)).toEqual(new Uint8Array([0, 255, 7]));
      expect([row?.[5], row?.[6], row?.[7]]).toEqual([Infinity, -Infinity, "real"]);
      expect(await s.getAutocommit()).toBe(true);
      await s.run("BEGIN");
      expect(await s.getAutocommit()).toBe(false);
      await s.run("ROLLBACK");
      const described = await s.describe("SELECT :b, :a, ?1 AS n FROM items");
      expect(described.paramNames).toEqual([":b", ":a"]);
      expect(described.isReadonly).toBe(true);
    } finally {
      s.close();
    }
  });

  it("runs @libsql/client transactions over cursors; a ROLLBACK inside one stops it and nothing after it runs", async () => {
    const tx = new HttpTransaction(v3.openStream(), "write", 3);
    await tx.execute("INSERT INTO items (name) VALUES ('a')");
    const failure = await tx
      .batch(["INSERT INTO items (name) VALUES ('b')", "ROLLBACK", "INSERT INTO items (name) VALUES ('c')"])
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(LibsqlBatchError);
    expect(failure).toMatchObject({ code: "TRANSACTION_CLOSED", statementIndex: 2 });
    await expect(tx.execute("INSERT INTO items (name) VALUES ('d')")).rejects.toMatchObject({ code: "TRANSACTION_CLOSED" });
    tx.close();
    // the rollback undid a and b; c and d never ran outside the transaction
    expect(await names()).toEqual([]);

    const ok = new HttpTransaction(v3.openStream(), "write", 3);
    await ok.batch(["INSERT INTO items (name) VALUES ('x')", "INSERT INTO items (name) VALUES ('y')"]);
    await ok.commit();
    expect(await names()).toEqual(["x", "y"]);
  });

  it("runs a client-style batch whose statement rolls back: later steps are skipped, COMMIT does not run", async () => {
    // the steps @libsql/client's batch() sends on version 3
    const s = v3.openStream();
    const batch = s.batch(true);
    const begin = batch.step();
    const beginDone = begin.run("BEGIN IMMEDIATE");
    const insert = batch.step().condition(hrana.BatchCond.ok(begin)).condition(hrana.BatchCond.not(hrana.BatchCond.isAutocommit(batch)));
    const insertDone = insert.run("INSERT INTO items (name) VALUES ('p')");
    const rollback = batch.step().condition(hrana.BatchCond.ok(insert)).condition(hrana.BatchCond.not(hrana.BatchCond.isAutocommit(batch)));
    const rollbackDone = rollback.run("ROLLBACK");
    const after = batch.step().condition(hrana.BatchCond.ok(rollback)).condition(hrana.BatchCond.not(hrana.BatchCond.isAutocommit(batch)));
    const afterDone = after.run("INSERT INTO items (name) VALUES ('q')");
    const commit = batch.step().condition(hrana.BatchCond.ok(after)).condition(hrana.BatchCond.not(hrana.BatchCond.isAutocommit(batch)));
    const commitDone = commit.run("COMMIT");
    await batch.execute();
    expect(await beginDone).toBeDefined();
    expect(await insertDone).toBeDefined();
    expect(await rollbackDone).toBeDefined();
    expect(await afterDone).toBeUndefined();
    expect(await commitDone).toBeUndefined();
    s.close();
    expect(await names()).toEqual([]);
  });

  it("reports per-step errors through the cursor and keeps the stream usable", async () => {
    const s = v3.openStream();
    const batch = s.batch(true);
    const first = batch.step().run("INSERT INTO items (name) VALUES ('dup')");
    const second = batch.step().run("INSERT INTO items (name) VALUES ('dup')");
    const third = batch.step().query("SELECT name FROM items");
    await batch.execute();
    await first;
    await expect(second).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT" });
    expect((await third)?.rows.map((r) => r[0])).toEqual(["dup"]);
    expect(await s.queryValue("SELECT count(*) FROM items")).toMatchObject({ value: 1n });
    s.close();
  });
});

describe("Hrana 3 over JSON", () => {
  const post = (route: string, body: unknown): Promise<Response> =>
    fetch(`${server.url}${route}`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("serves v3/pipeline like v2, and v3/cursor as one JSON line per entry", async () => {
    const pipeline = (await (await post("/v3/pipeline", { baton: null, requests: [{ type: "get_autocommit" }] })).json()) as {
      baton: string;
      results: unknown[];
    };
    expect(pipeline.results).toEqual([{ type: "ok", response: { type: "get_autocommit", is_autocommit: true } }]);
    const cursor = await post("/v3/cursor", {
      baton: pipeline.baton,
      batch: {
        steps: [
          { stmt: { sql: "INSERT INTO items (name) VALUES ('j')" } },
          { stmt: { sql: "SELECT name FROM items" } },
          { stmt: { sql: "SELECT nope" } },
          { condition: { type: "not", cond: { type: "is_autocommit" } }, stmt: { sql: "SELECT 'skipped'" } },
        ],
      },
    });
    expect(cursor.status).toBe(200);
    const lines = (await cursor.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toEqual({ baton: expect.any(String), base_url: null });
    expect(lines.slice(1).map((e) => e["type"])).toEqual([
      "step_begin",
      "step_end",
      "step_begin",
      "row",
      "step_end",
      "step_error",
    ]);
    expect(lines[4]).toEqual({ type: "row", row: [{ type: "text", value: "j" }] });
    expect(lines[6]).toMatchObject({ type: "step_error", step: 2, error: { code: "SQLITE_ERROR" } });
    const close = await post("/v3/pipeline", { baton: lines[0]?.["baton"], requests: [{ type: "close" }] });
    expect(((await close.json()) as { baton: unknown }).baton).toBeNull();
  });

  it("rejects malformed Protobuf with 400 and keeps serving", async () => {
    for (const body of [new Uint8Array([0xff]), new Uint8Array([0x12, 0x10, 0x01]), new Uint8Array([0x12, 0x02, 0x12, 0x00])]) {
      const res = await fetch(`${server.url}/v3-protobuf/pipeline`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.token}`, "content-type": "application/x-protobuf" },
        body,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: "PROTOCOL_ERROR" });
    }
    expect(await names()).toEqual([]);
  });
});
