// One revokeKeys() (issue 9): every way a key dies — `seed keys revoke`, `seed membrane revoke`,
// an agent's removal (and the handoff: test/system/lockout-drill.test.ts) — goes through it, so
// each closes the key's bus sockets and MCP sessions before answering and writes its revoke row
// (which counts the sessions it closed). One path per caller, each with a socket and an MCP
// session open.
import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../lib/audit/audit-chain.ts";
import { connect } from "../support/bus-socket.ts";
import { grantHelper } from "../support/membrane.ts";
import { asRoot, call, newAgent } from "../support/worker-fetch.ts";

const MCP_HEADERS = { Accept: "application/json, text/event-stream" };
const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "revoke-paths", version: "1" } } };

async function openMcp(token: string): Promise<string> {
  const res = await call("POST", "/mcp", { key: token, body: initialize, headers: MCP_HEADERS });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return res.headers.get("mcp-session-id")!;
}

const head = async () => ((await (await asRoot("GET", "/v1/owner/audit?limit=1")).json()) as { head: { seq: number } }).head.seq;

type Path = { name: string; key: () => Promise<{ id: string; token: string }>; revoke: (id: string) => Promise<Response>; action: string };
const PATHS: Path[] = [
  { name: "seed keys revoke", key: () => newAgent("revoked"), revoke: (id) => asRoot("DELETE", `/v1/owner/keys/${id}`), action: "key.revoke" },
  { name: "seed membrane revoke", key: () => grantHelper(["bus:read:*", "status:read"]), revoke: (id) => asRoot("DELETE", `/v1/owner/membrane/${id}`), action: "membrane.revoke" },
  { name: "seed agents remove", key: () => newAgent("removed"), revoke: (id) => asRoot("DELETE", `/v1/owner/agents/${id}`), action: "key.revoke" },
];

describe("every revoke goes through revokeKeys", () => {
  it.each(PATHS.map((p) => [p.name, p] as const))("%s: the socket closes, the MCP session ends, one row counts both", async (_name, p) => {
    const k = await p.key();
    const socket = await connect({ Authorization: `Bearer ${k.token}` });
    socket.send({ type: "ping" });
    await socket.next("pong");
    const session = await openMcp(k.token);
    const before = await head();
    const res = await p.revoke(k.id);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect((await socket.closed()).code).toBe(4001);
    const rows = ((await (await asRoot("GET", `/v1/owner/audit?after=${before}&action=${p.action}&limit=1000`)).json()) as { rows: AuditRecord[] }).rows.filter(
      (r) => (JSON.parse(r.detail ?? "{}") as { id?: string }).id === k.id,
    );
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.detail!)).toMatchObject({ id: k.id, sessionsClosed: 2 });
    const again = await call("POST", "/mcp", { key: k.token, body: { jsonrpc: "2.0", id: 2, method: "tools/list" }, headers: { ...MCP_HEADERS, "mcp-session-id": session } });
    await again.arrayBuffer();
    expect(again.status).toBe(401);
  }, 120_000); // a socket, an MCP session and an audited revoke each: generous on a loaded machine
});
