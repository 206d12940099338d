// Hrana over WebSocket: what only this transport has — the hello, one connection multiplexing
// streams, SQL texts and cursors owned by the connection — driven with raw frames and with the
// official client on a ws:// URL. (The behaviour shared with HTTP is covered by the suites that
// run over both transports: no-way-out, transactions, values-and-args.)
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { buildDbServer } from "../../scripts/cli/build-db-server.ts";
import { clientUrl, startDbServerProcess } from "../support/db-server-process.ts";
import type { DbServerProcess } from "../support/db-server-process.ts";

let server: DbServerProcess;

interface ServerMsg {
  type: string;
  request_id?: number;
  response?: Record<string, unknown> & { type: string };
  error?: { message: string; code: string };
}

/** A raw Hrana 3 connection: sends frames, collects the server's messages and the close. */
class Raw {
  readonly messages: ServerMsg[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #socket: WebSocket;
  #waiters: (() => void)[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on("message", (data) => {
      this.messages.push(JSON.parse(String(data)) as ServerMsg);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async open(pathname = "/"): Promise<Raw> {
    const socket = new WebSocket(`${clientUrl(server, "ws")}${pathname}`, ["hrana3"]);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    expect(socket.protocol).toBe("hrana3");
    return new Raw(socket);
  }

  send(...msgs: unknown[]): void {
    for (const msg of msgs) this.#socket.send(JSON.stringify(msg));
  }

  sendBinary(bytes: Uint8Array): void {
    this.#socket.send(bytes);
  }

  /** Resolves once `count` messages arrived in all. */
  async received(count: number): Promise<ServerMsg[]> {
    while (this.messages.length < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.messages;
  }

  response(requestId: number): ServerMsg | undefined {
    return this.messages.find((m) => m.request_id === requestId);
  }

  close(): void {
    this.#socket.close();
  }
}

const hello = (jwt = server.token): unknown => ({ type: "hello", jwt });
const request = (id: number, req: Record<string, unknown>): unknown => ({ type: "request", request_id: id, request: req });
const execute = (id: number, stream: number, stmt: Record<string, unknown>): unknown => request(id, { type: "execute", stream_id: stream, stmt });

interface Stats {
  groupCommits: { groups: number; statements: number; queued: number };
  openStreams: number;
}

async function stats(): Promise<Stats> {
  const res = await fetch(`${server.url}/stats`, { headers: { authorization: `Bearer ${server.token}` } });
  return (await res.json()) as Stats;
}

beforeAll(async () => {
  server = await startDbServerProcess({ args: ["--max-statements-per-request", "50"] });
  const c = createClient({ url: clientUrl(server, "ws"), authToken: server.token });
  await c.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
  c.close();
});

afterAll(async () => {
  await server?.dispose();
});

describe("Hrana over WebSocket", () => {
  it("authenticates in the hello: a wrong token gets hello_error and the socket closes; a request before hello closes it", async () => {
    const wrong = await Raw.open();
    wrong.send(hello("not-the-token"));
    expect((await wrong.received(1))[0]).toMatchObject({ type: "hello_error", error: { code: "UNAUTHORIZED" } });
    expect((await wrong.closed).code).toBe(1008);

    const early = await Raw.open();
    early.send(request(1, { type: "open_stream", stream_id: 1 }));
    expect(await early.closed).toMatchObject({ code: 3003 });
    expect(early.messages).toEqual([]);

    const binary = await Raw.open();
    binary.send(hello());
    await binary.received(1);
    binary.sendBinary(new Uint8Array([1, 2, 3]));
    expect((await binary.closed).code).toBe(3003);

    const elsewhere = await Raw.open("/v2").catch((e: unknown) => e);
    expect(String(elsewhere)).toContain("404");
    expect((await stats()).openStreams).toBe(0);
  });

  it("runs a statement on the SQL text stored when it arrived, even if close_sql and store_sql reuse the id right after", async () => {
    const raw = await Raw.open();
    raw.send(
      hello(),
      request(1, { type: "store_sql", sql_id: 7, sql: "SELECT 'first'" }),
      request(2, { type: "open_stream", stream_id: 1 }),
      execute(3, 1, { sql_id: 7 }),
      request(4, { type: "close_sql", sql_id: 7 }),
      request(5, { type: "store_sql", sql_id: 7, sql: "SELECT 'second'" }),
      execute(6, 1, { sql_id: 7 }),
      execute(7, 1, { sql_id: 99 }),
      request(8, { type: "close_stream", stream_id: 1 }),
      execute(9, 1, { sql: "SELECT 1" }),
    );
    await raw.received(10);
    const value = (id: number): unknown => (raw.response(id)?.response?.["result"] as { rows: { value: string }[][] }).rows[0]?.[0]?.value;
    expect(value(3)).toBe("first");
    expect(value(6)).toBe("second");
    expect(raw.response(7)).toMatchObject({ type: "response_error", error: { code: "SQL_NOT_FOUND" } });
    expect(raw.response(8)).toMatchObject({ type: "response_ok", response: { type: "close_stream" } });
    // queued behind the close_stream (STREAM_CLOSED), or, when the frames arrived in separate
    // reads, after the stream was gone (STREAM_EXPIRED); then certainly once it is gone
    expect(raw.response(9)).toMatchObject({ type: "response_error" });
    expect(["STREAM_CLOSED", "STREAM_EXPIRED"]).toContain(raw.response(9)?.error?.code);
    raw.send(execute(10, 1, { sql: "SELECT 1" }));
    await raw.received(11);
    expect(raw.response(10)).toMatchObject({ type: "response_error", error: { code: "STREAM_EXPIRED" } });
    raw.close();
  });

  it("lets autocommit writes join a group commit, as an HTTP pipeline's do", async () => {
    const holder = createClient({ url: clientUrl(server, "ws"), authToken: server.token });
    const client = createClient({ url: clientUrl(server, "ws"), authToken: server.token });
    const before = await stats();
    // while a transaction holds the write lock, the writes queue for the next group
    const tx = await holder.transaction("write");
    await tx.execute("INSERT INTO items (name) VALUES ('holder')");
    const writes = Array.from({ length: 8 }, (_, i) => client.execute({ sql: "INSERT INTO items (name) VALUES (?)", args: [`g${i}`] }));
    while ((await stats()).groupCommits.queued < writes.length);
    await tx.commit();
    const results = await Promise.all(writes);
    expect(new Set(results.map((r) => r.lastInsertRowid)).size).toBe(8);
    const after = await stats();
    expect(after.groupCommits.groups).toBe(before.groupCommits.groups + 1);
    expect(after.groupCommits.statements - before.groupCommits.statements).toBe(8);
    holder.close();
    client.close();
  });

  it("pages a batch's rows through its cursor and applies the request limits of HTTP", async () => {
    const client = createClient({ url: clientUrl(server, "ws"), authToken: server.token });
    const [series] = await client.batch(["WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) SELECT i FROM n"], "read");
    expect(series?.rows.map((r) => r[0])).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
    const script = Array.from({ length: 60 }, (_, i) => `INSERT INTO items (name) VALUES ('s${i}');`).join("\n");
    await expect(client.executeMultiple(script)).rejects.toMatchObject({ code: "TOO_MANY_STATEMENTS" });
    expect((await client.execute("SELECT count(*) FROM items WHERE name LIKE 's%'")).rows[0]?.[0]).toBe(0);
    client.close();
  });

  it("closes WebSocket connections when the token changes, rolling back their transactions at once", async () => {
    const client = createClient({ url: clientUrl(server, "ws"), authToken: server.token });
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO items (name) VALUES ('rotated-away')");
    const newToken = "c".repeat(48);
    fs.writeFileSync(path.join(server.dir, "token"), `${newToken}\n`);
    process.kill(server.pid, "SIGHUP");
    const changed = await server.waitForEvent((e) => e.event === "token_changed");
    // (connections of earlier tests may still be closing)
    expect(changed["closedSockets"]).toBeGreaterThanOrEqual(1);
    await expect(tx.execute("SELECT 1")).rejects.toBeDefined();
    // the write lock is free at once: a writer with the new token does not wait for an idle timeout
    const next = createClient({ url: clientUrl(server, "ws"), authToken: newToken });
    await next.execute("INSERT INTO items (name) VALUES ('after')");
    expect((await next.execute("SELECT name FROM items WHERE name IN ('rotated-away', 'after')")).rows.map((r) => r[0])).toEqual(["after"]);
    const stale = await Raw.open();
    stale.send(hello(server.token));
    expect((await stale.received(1))[0]?.type).toBe("hello_error");
    next.close();
    client.close();
  });

  it("works in the bundle seed up runs (db-server.mjs, where CommonJS dependencies need a require)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-ws-bundle-"));
    const tokenFile = path.join(dir, "token");
    fs.writeFileSync(tokenFile, "bundle-token-0123456789", { mode: 0o600 });
    const bundle = await buildDbServer(path.join(dir, "db-server.mjs"));
    const child = spawn(process.execPath, [bundle, "--db", path.join(dir, "b.db"), "--token-file", tokenFile], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let output = "";
        const read = (chunk: Buffer): void => {
          output += String(chunk);
          const match = /"event":"listening","url":"[^"]*","port":(\d+)/.exec(output);
          if (match !== null) resolve(Number(match[1]));
        };
        child.stdout.on("data", read);
        child.stderr.on("data", read);
        child.once("exit", () => reject(new Error(`the bundle exited: ${output}`)));
      });
      const client = createClient({ url: `ws://127.0.0.1:${port}`, authToken: "bundle-token-0123456789" });
      expect((await client.execute("SELECT 40 + 2")).rows[0]?.[0]).toBe(42);
      client.close();
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("shuts down promptly past a client that never answers the close frame", async () => {
    const own = await startDbServerProcess();
    try {
      const client = createClient({ url: clientUrl(own, "ws"), authToken: own.token });
      const tx = await client.transaction("write");
      await tx.execute("CREATE TABLE uncommitted (x)");
      const silent = new WebSocket(clientUrl(own, "ws"), ["hrana3"]);
      await new Promise((resolve) => silent.once("open", resolve));
      // stop reading: the server's close frame is never answered
      (silent as unknown as { _socket: { pause(): void } })._socket.pause();
      const started = performance.now();
      expect(await own.stop()).toBe(0);
      // 1 s of close timeout plus the shutdown itself, far below ws's default 30 s even on a loaded box
      expect(performance.now() - started).toBeLessThan(15_000);
      silent.terminate();
      client.close();
    } finally {
      await own.dispose();
    }
  });
});
