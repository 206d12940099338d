// The Hrana-over-HTTP surface driven with raw fetch: routes, auth, batons, request shapes,
// limits, and the request types the high-level client rarely sends.
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDbServerProcess } from "../support/db-server-process.ts";
import type { DbServerProcess } from "../support/db-server-process.ts";

const MAX_BODY = 64 * 1024;
let server: DbServerProcess;

interface PipelineBody {
  baton: string | null;
  base_url: string | null;
  results: { type: string; response?: Record<string, unknown> & { type: string }; error?: { message: string; code: string; extended_code?: string } }[];
}

function post(body: unknown, init: { token?: string | null; raw?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const token = init.token === undefined ? server.token : init.token;
  if (token !== null) headers["authorization"] = `Bearer ${token}`;
  return fetch(`${server.url}/v2/pipeline`, { method: "POST", headers, body: init.raw ?? JSON.stringify(body) });
}

async function pipeline(baton: string | null, requests: unknown[]): Promise<PipelineBody> {
  const res = await post({ baton, requests });
  expect(res.status).toBe(200);
  return (await res.json()) as PipelineBody;
}

const exec = (sql: string, extra: Record<string, unknown> = {}): unknown => ({ type: "execute", stmt: { sql, ...extra } });

async function expectServing(): Promise<void> {
  const body = await pipeline(null, [exec("SELECT 42"), { type: "close" }]);
  expect(body.results[0]?.response?.["result"]).toMatchObject({ rows: [[{ type: "integer", value: "42" }]] });
}

beforeAll(async () => {
  server = await startDbServerProcess({ args: ["--max-body-bytes", String(MAX_BODY)] });
  await pipeline(null, [exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v)"), { type: "close" }]);
});

afterAll(async () => {
  await server?.dispose();
});

describe("routes and auth", () => {
  it("answers /health and the version probes without a token (the client probes without one), and nothing else", async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/v2`)).json()).toEqual({ version: 2 });
    for (const route of ["/v2/pipeline", "/v3/pipeline", "/v3-protobuf/pipeline", "/v3/cursor", "/v3-protobuf/cursor"]) {
      const res = await fetch(`${server.url}${route}`, { method: "POST", body: "{}" });
      expect(res.status, route).toBe(401);
    }
    expect((await fetch(`${server.url}/stats`)).status).toBe(401);
  });

  it("answers the v3 probes, and 404 JSON for unknown routes and 405 for a wrong method", async () => {
    const headers = { authorization: `Bearer ${server.token}` };
    for (const route of ["/v3", "/v3-protobuf"]) {
      const res = await fetch(`${server.url}${route}`, { headers });
      expect(res.status, route).toBe(200);
      expect(await res.json()).toEqual({ version: 3 });
    }
    for (const route of ["/v4", "/v1/execute", "/nope", "/v3/pipeline/x"]) {
      const res = await fetch(`${server.url}${route}`, { headers });
      expect(res.status, route).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.json()).toMatchObject({ code: "NOT_FOUND" });
    }
    const wrongMethod = await fetch(`${server.url}/v3/pipeline`, { headers });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toMatchObject({ code: "METHOD_NOT_ALLOWED" });
  });

  it("rejects a missing or wrong token with 401 and the Hrana error shape", async () => {
    for (const token of [null, "wrong", `${server.token}x`, ""]) {
      const res = await post({ baton: null, requests: [exec("SELECT 1")] }, { token });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.json()).toEqual({ message: expect.any(String), code: "UNAUTHORIZED" });
    }
    const basic = await fetch(`${server.url}/v2/pipeline`, {
      method: "POST",
      headers: { authorization: `Basic ${server.token}` },
      body: JSON.stringify({ baton: null, requests: [] }),
    });
    expect(basic.status).toBe(401);
    const client = createClient({ url: server.url, authToken: "wrong-token" });
    await expect(client.execute("SELECT 1")).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    client.close();
  });

  it("never logs the token", () => {
    // The raw bytes of both streams, not parsed JSON lines: a line that is not JSON (a stack
    // trace, a warning) is searched too, and so are the token's base64 and its halves.
    const output = server.output();
    expect(output.length).toBeGreaterThan(0);
    for (const form of [server.token, Buffer.from(server.token).toString("base64"), server.token.slice(0, 24), server.token.slice(24)]) {
      expect(output.includes(form), form).toBe(false);
    }
  });
});

describe("bad requests", () => {
  it("rejects malformed JSON with 400 and keeps serving", async () => {
    for (const raw of ["{", "", "null", "[1,2]", '{"baton": null, "requests": [', "\u0000"]) {
      const res = await post(undefined, { raw });
      expect(res.status, JSON.stringify(raw)).toBe(400);
      expect(await res.json()).toMatchObject({ code: "PROTOCOL_ERROR" });
    }
    await expectServing();
  });

  it("rejects wrong shapes with 400 naming the problem", async () => {
    const cases: [unknown, string][] = [
      [{ baton: null }, "body.requests"],
      [{ baton: 5, requests: [] }, "body.baton"],
      [{ baton: null, requests: [{ type: "launch" }] }, "body.requests[0].type"],
      [{ baton: null, requests: [{ type: "execute" }] }, "body.requests[0].stmt"],
      [{ baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT ?", args: [{ type: "integer", value: "1.5" }] } }] }, "args[0]"],
      [{ baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT ?", args: [{ type: "integer", value: "9223372036854775808" }] } }] }, "64-bit"],
      [{ baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT 1", sql_id: 1 } }] }, "exactly one"],
      [{ baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT ?", args: [{ type: "blob", base64: "***" }] } }] }, "base64"],
      [{ baton: null, requests: [{ type: "batch", batch: { steps: [{ stmt: { sql: "SELECT 1" }, condition: { type: "maybe" } }] } }] }, "condition"],
      [{ baton: null, requests: [{ type: "store_sql", sql_id: "one", sql: "SELECT 1" }] }, "sql_id"],
    ];
    for (const [body, fragment] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = (await res.json()) as { message: string; code: string };
      expect(error.code).toBe("PROTOCOL_ERROR");
      expect(error.message).toContain(fragment);
    }
    await expectServing();
  });

  it("rejects an unknown, replayed or closed baton with 400", async () => {
    const unknown = await post({ baton: "not-a-baton", requests: [exec("SELECT 1")] });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ code: "STREAM_EXPIRED" });

    const opened = await pipeline(null, [exec("SELECT 1")]);
    expect(opened.baton).toEqual(expect.any(String));
    const next = await pipeline(opened.baton, [exec("SELECT 2")]);
    expect(next.baton).not.toBe(opened.baton);
    const replay = await post({ baton: opened.baton, requests: [exec("SELECT 3")] });
    expect(replay.status).toBe(400);
    const closed = await pipeline(next.baton, [{ type: "close" }]);
    expect(closed.baton).toBeNull();
    expect((await post({ baton: next.baton, requests: [exec("SELECT 4")] })).status).toBe(400);
    await expectServing();
  });

  it("rejects an oversized body with 413 and keeps serving", async () => {
    const big = "x".repeat(MAX_BODY + 1);
    const res = await post({ baton: null, requests: [exec("SELECT ?", { args: [{ type: "text", value: big }] })] });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: "BODY_TOO_LARGE" });
    // without a content-length the limit is enforced while streaming
    const chunk = new TextEncoder().encode(" ".repeat(16 * 1024));
    let sent = 0;
    const streamed = await fetch(`${server.url}/v2/pipeline`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" },
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent > MAX_BODY * 4) controller.close();
          else controller.enqueue(chunk);
          sent += chunk.length;
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    // a body just under the limit still works
    const fits = "y".repeat(MAX_BODY - 500);
    const ok = await pipeline(null, [exec("SELECT length(?)", { args: [{ type: "text", value: fits }] }), { type: "close" }]);
    expect(ok.results[0]?.response?.["result"]).toMatchObject({ rows: [[{ type: "integer", value: String(fits.length) }]] });
  });

  it("closes the stream of a malformed request that carried a valid baton", async () => {
    const opened = await pipeline(null, [exec("BEGIN IMMEDIATE"), exec("INSERT INTO kv VALUES ('held', 1)")]);
    const bad = await post({ baton: opened.baton, requests: [{ type: "execute", stmt: {} }] });
    expect(bad.status).toBe(400);
    // the transaction was rolled back and the write lock released: another writer proceeds
    const after = await pipeline(null, [exec("INSERT INTO kv VALUES ('next', 2)"), exec("SELECT k FROM kv"), { type: "close" }]);
    expect(after.results[1]?.response?.["result"]).toMatchObject({ rows: [[{ type: "text", value: "next" }]] });
    await pipeline(null, [exec("DELETE FROM kv"), { type: "close" }]);
  });
});

describe("stream requests", () => {
  it("returns per-request errors without failing the rest of the pipeline", async () => {
    const body = await pipeline(null, [
      exec("SELECT * FROM nowhere"),
      exec("SELECT 1; SELECT 2"),
      exec("  -- nothing\n"),
      { type: "execute", stmt: { sql_id: 77 } },
      exec("SELECT 'still here'"),
      { type: "close" },
      exec("SELECT 'after close'"),
    ]);
    expect(body.baton).toBeNull();
    expect(body.base_url).toBeNull();
    expect(body.results.map((r) => r.type)).toEqual(["error", "error", "error", "error", "ok", "ok", "error"]);
    expect(body.results.map((r) => r.error?.code)).toEqual([
      "SQLITE_ERROR",
      "SQL_MANY_STATEMENTS",
      "SQL_NO_STATEMENT",
      "SQL_NOT_FOUND",
      undefined,
      undefined,
      "STREAM_CLOSED",
    ]);
  });

  it("executes with the full StmtResult shape, want_rows and mixed positional and named args", async () => {
    const body = await pipeline(null, [
      exec("INSERT INTO kv VALUES (?, :v)", {
        args: [{ type: "text", value: "a" }],
        named_args: [{ name: ":v", value: { type: "float", value: 2.5 } }],
      }),
      exec("SELECT k, v, ?2 AS second FROM kv", { args: [{ type: "null" }, { type: "blob", base64: "AAEC" }] }),
      exec("SELECT k FROM kv", { want_rows: false }),
      { type: "close" },
    ]);
    expect(body.results[0]?.response).toEqual({
      type: "execute",
      result: {
        cols: [],
        rows: [],
        affected_row_count: 1,
        last_insert_rowid: expect.stringMatching(/^\d+$/),
        rows_read: 0,
        rows_written: 0,
        query_duration_ms: expect.any(Number),
      },
    });
    expect(body.results[1]?.response?.["result"]).toMatchObject({
      cols: [
        { name: "k", decltype: "TEXT" },
        { name: "v", decltype: null },
        { name: "second", decltype: null },
      ],
      rows: [[{ type: "text", value: "a" }, { type: "float", value: 2.5 }, { type: "blob", base64: "AAEC" }]],
      affected_row_count: 0,
    });
    expect(body.results[2]?.response?.["result"]).toMatchObject({ cols: [{ name: "k" }], rows: [] });
    await pipeline(null, [exec("DELETE FROM kv"), { type: "close" }]);
  });

  it("stores, uses and closes SQL texts per stream; describes statements", async () => {
    const first = await pipeline(null, [
      { type: "store_sql", sql_id: 1, sql: "SELECT :a + 1 AS n, k FROM kv WHERE k = ?2" },
      { type: "execute", stmt: { sql_id: 1, args: [{ type: "integer", value: "1" }, { type: "text", value: "none" }] } },
      { type: "describe", sql_id: 1 },
      { type: "describe", sql: "EXPLAIN SELECT 1" },
      { type: "describe", sql: "INSERT INTO kv VALUES (?, ?)" },
      { type: "store_sql", sql_id: 1, sql: "SELECT 2" },
    ]);
    expect(first.results.map((r) => r.type)).toEqual(["ok", "ok", "ok", "ok", "ok", "error"]);
    expect(first.results[2]?.response?.["result"]).toEqual({
      params: [{ name: ":a" }, { name: "?2" }],
      cols: [
        { name: "n", decltype: null },
        { name: "k", decltype: "TEXT" },
      ],
      is_explain: false,
      is_readonly: true,
    });
    expect(first.results[3]?.response?.["result"]).toMatchObject({ is_explain: true, is_readonly: true });
    expect(first.results[4]?.response?.["result"]).toMatchObject({ params: [{ name: null }, { name: null }], cols: [], is_readonly: false });
    // stored SQL lives on the stream across pipelines until closed
    const second = await pipeline(first.baton, [
      { type: "sequence", sql_id: 1 },
      { type: "close_sql", sql_id: 1 },
      { type: "execute", stmt: { sql_id: 1 } },
      { type: "close" },
    ]);
    expect(second.results.map((r) => r.error?.code ?? r.type)).toEqual(["ok", "ok", "SQL_NOT_FOUND", "ok"]);
    // a stream keeps a bounded amount of SQL
    const big = "SELECT 1 -- " + "x".repeat(50 * 1024);
    let baton: string | null = null;
    const codes: string[] = [];
    for (let i = 0; i < 21; i++) {
      const stored: PipelineBody = await pipeline(baton, [{ type: "store_sql", sql_id: 100 + i, sql: big }]);
      baton = stored.baton;
      codes.push(stored.results[0]?.error?.code ?? "ok");
    }
    expect(codes).toEqual([...Array<string>(20).fill("ok"), "SQL_STORE_FULL"]);
    const freed = await pipeline(baton, [{ type: "close_sql", sql_id: 100 }, { type: "store_sql", sql_id: 200, sql: big }, { type: "close" }]);
    expect(freed.results.map((r) => r.type)).toEqual(["ok", "ok", "ok"]);
    // ...and is invisible to other streams
    const other = await pipeline(null, [{ type: "execute", stmt: { sql_id: 1 } }, { type: "close" }]);
    expect(other.results[0]?.error?.code).toBe("SQL_NOT_FOUND");
  });

  it("evaluates batch conditions and reports get_autocommit", async () => {
    const body = await pipeline(null, [
      { type: "get_autocommit" },
      {
        type: "batch",
        batch: {
          steps: [
            { stmt: { sql: "BEGIN" } },
            { condition: { type: "ok", step: 0 }, stmt: { sql: "INSERT INTO kv VALUES ('b', 1)" } },
            { condition: { type: "ok", step: 1 }, stmt: { sql: "INSERT INTO kv VALUES ('b', 2)" } },
            { condition: { type: "error", step: 2 }, stmt: { sql: "SELECT 'recovering'" } },
            { condition: { type: "and", conds: [{ type: "ok", step: 3 }, { type: "not", cond: { type: "is_autocommit" } }] }, stmt: { sql: "ROLLBACK" } },
            { condition: { type: "or", conds: [{ type: "ok", step: 2 }, { type: "error", step: 4 }] }, stmt: { sql: "SELECT 'skipped'" } },
            { condition: { type: "is_autocommit" }, stmt: { sql: "SELECT count(*) FROM kv" } },
          ],
        },
      },
      { type: "get_autocommit" },
      { type: "close" },
    ]);
    expect(body.results[0]?.response).toEqual({ type: "get_autocommit", is_autocommit: true });
    const result = body.results[1]?.response?.["result"] as { step_results: unknown[]; step_errors: ({ code: string } | null)[] };
    expect(result.step_results.map((r) => r !== null)).toEqual([true, true, false, true, true, false, true]);
    expect(result.step_errors.map((e) => e?.code ?? null)).toEqual([null, null, "SQLITE_CONSTRAINT", null, null, null, null]);
    // sqld's base code in `code`; the extended code beside it
    expect(result.step_errors[2]).toMatchObject({ extended_code: "SQLITE_CONSTRAINT_PRIMARYKEY" });
    expect(result.step_results[6]).toMatchObject({ rows: [[{ type: "integer", value: "0" }]] });
    expect(body.results[2]?.response).toEqual({ type: "get_autocommit", is_autocommit: true });

    const forward = await pipeline(null, [
      { type: "batch", batch: { steps: [{ condition: { type: "ok", step: 0 }, stmt: { sql: "SELECT 1" } }] } },
      { type: "close" },
    ]);
    expect(forward.results[0]?.error?.code).toBe("BATCH_COND_INVALID");
  });

  it("keeps a transaction open across pipelines and reports it in get_autocommit", async () => {
    const opened = await pipeline(null, [exec("BEGIN"), exec("INSERT INTO kv VALUES ('t', 1)"), { type: "get_autocommit" }]);
    expect(opened.results[2]?.response).toEqual({ type: "get_autocommit", is_autocommit: false });
    const committed = await pipeline(opened.baton, [exec("COMMIT"), { type: "get_autocommit" }, { type: "close" }]);
    expect(committed.results[1]?.response).toEqual({ type: "get_autocommit", is_autocommit: true });
    const seen = await pipeline(null, [exec("SELECT v FROM kv WHERE k = 't'"), { type: "close" }]);
    expect(seen.results[0]?.response?.["result"]).toMatchObject({ rows: [[{ type: "integer", value: "1" }]] });
  });

  it("does not leak PRAGMA changes from one stream into the next", async () => {
    await pipeline(null, [
      exec("CREATE TABLE fk_parent (id INTEGER PRIMARY KEY)"),
      exec("CREATE TABLE fk_child (p INTEGER REFERENCES fk_parent(id))"),
      { type: "close" },
    ]);
    const off = await pipeline(null, [exec("PRAGMA foreign_keys=OFF"), exec("PRAGMA foreign_keys"), { type: "close" }]);
    expect(off.results[1]?.response?.["result"]).toMatchObject({ rows: [[{ type: "integer", value: "0" }]] });
    for (let i = 0; i < 4; i++) {
      const body = await pipeline(null, [exec("INSERT INTO fk_child VALUES (999)"), { type: "close" }]);
      expect(body.results[0]?.error).toMatchObject({ code: "SQLITE_CONSTRAINT", extended_code: "SQLITE_CONSTRAINT_FOREIGNKEY" });
    }
  });
});
