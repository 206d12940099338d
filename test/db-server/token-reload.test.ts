// SIGHUP makes the libSQL server read its token file again: a rotated token (seed handoff, seed
// rotate db-token) is accepted and the old one refused at once, without a restart — also on a
// stream (baton) the old token had opened. An empty or unreadable file keeps the current token.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDbServerProcess, type DbServerProcess } from "../support/db-server-process.ts";

let server: DbServerProcess;

const pipeline = (token: string, body: unknown) =>
  fetch(`${server.url}/v2/pipeline`, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
const select1 = { baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }] };

async function reload(): Promise<void> {
  const before = server.events.filter((e) => e.event.startsWith("token_reload")).length;
  process.kill(server.pid, "SIGHUP");
  await server.waitForEvent((e) => e.event.startsWith("token_reload") && server.events.filter((x) => x.event.startsWith("token_reload")).indexOf(e) >= before);
}

beforeAll(async () => {
  server = await startDbServerProcess();
});
afterAll(() => server.dispose());

describe("token reload (SIGHUP)", () => {
  it("a rotated token replaces the old one at once, on new requests and on an open stream", async () => {
    const oldToken = server.token;
    expect((await pipeline(oldToken, select1)).status).toBe(200);
    // A stream the old token opened and keeps open (an interactive transaction's baton).
    const opened = await pipeline(oldToken, { baton: null, requests: [{ type: "execute", stmt: { sql: "BEGIN" } }] });
    const { baton } = (await opened.json()) as { baton: string };
    expect(baton).toBeTruthy();

    const newToken = "b".repeat(48);
    fs.writeFileSync(path.join(server.dir, "token"), `${newToken}\n`);
    await reload();
    expect(server.events.at(-1)?.event).toBe("token_reloaded");
    expect(JSON.stringify(server.events)).not.toContain(newToken);

    expect((await pipeline(oldToken, select1)).status).toBe(401);
    expect((await pipeline(oldToken, { baton, requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }] })).status).toBe(401);
    expect((await pipeline(newToken, select1)).status).toBe(200);
    // the stream the old token opened was rolled back at once: its write lock is free, so a
    // write with the new token does not wait for the stream to idle out
    // (two streams: the BEGIN one and the SELECT 1 one, which was never closed)
    expect(server.events.find((e) => e.event === "token_changed")).toMatchObject({ closedStreams: 2 });
    const write = await pipeline(newToken, { baton: null, requests: [{ type: "execute", stmt: { sql: "CREATE TABLE after_rotation (x)" } }, { type: "close" }] });
    expect(((await write.json()) as { results: { type: string }[] }).results.map((r) => r.type)).toEqual(["ok", "ok"]);
  });

  it("an empty token file keeps the current token and says why", async () => {
    const current = "b".repeat(48);
    fs.writeFileSync(path.join(server.dir, "token"), "\n");
    await reload();
    const last = server.events.at(-1)!;
    expect(last.event).toBe("token_reload_failed");
    expect(String(last.error)).toContain("empty");
    expect((await pipeline(current, select1)).status).toBe(200);
    expect((await pipeline("", select1)).status).toBe(401);
  });
});
