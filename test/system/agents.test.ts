// The seed's own agents and the MCP door under a real `seed up` (one seed for the file): the MCP
// door per key kind with the official SDK client from Node over loopback, revocation mid-session;
// an agent's task survives kill -9 of workerd without repeating a recorded tool call (100 defined
// agents at rest: test/rest/agents-rest.test.ts). Waits are polls for an event, each bounded.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Task } from "../../lib/mind/wire.ts";
import { runCli } from "../support/cli.ts";
import type { SeenCall, startScriptedModel, Turn } from "../support/scripted-model.ts";
import { addAgent, callSeed, startSeedWithModel, until as poll, type SeedProcess } from "../support/seed-process.ts";
import { tempDir } from "../support/seed-home.ts";

let seed: SeedProcess;
let model: Awaited<ReturnType<typeof startScriptedModel>>;
let agentToken: string;
const api = <T>(method: string, p: string, body?: unknown, key?: string) => callSeed<T>(seed, method, p, body, key);
/** Polls (60 s, a failing check is retried: workerd restarts in these tests). */
const until = <T>(what: string, check: () => Promise<T | null | undefined | false>) => poll<T>(what, check, { boundMs: 60_000, retryErrors: true });



async function script(name: string, turns: Turn[]): Promise<void> {
  await fetch(`${model.url}/scripts/${name}`, { method: "PUT", body: JSON.stringify({ turns }) });
}
const calls = async (name: string) => (await (await fetch(`${model.url}/scripts/${name}/calls`)).json()) as SeenCall[];

async function mcpClient(key: string): Promise<Client> {
  const client = new Client({ name: "system-test", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${seed.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

const toolNames = async (c: Client) => (await c.listTools()).tools.map((t) => t.name).sort();
const text = (r: Awaited<ReturnType<Client["callTool"]>>) => (r.content as { type: string; text: string }[])[0]!.text;


describe("the seed's own agents and the MCP door (system)", () => {
  beforeAll(async () => {
    ({ seed, model } = await startSeedWithModel("seed agents"));
  }, 180_000);

  afterAll(async () => {
    await seed?.stop();
    await model?.close();
  });

  it("MCP: each kind of key sees its own tools; owner powers are never tools", async () => {
    const owner = await mcpClient(seed.rootKey());
    const ownerTools = await toolNames(owner);
    expect(ownerTools).toContain("work_create");
    expect(ownerTools).toContain("agents_list");
    expect(ownerTools).not.toContain("work_claim");
    for (const power of ["key", "credential", "service", "handoff", "membrane", "approve", "mode"]) expect(ownerTools.filter((t) => t.includes(power))).toEqual([]);
    const created = await owner.callTool({ name: "work_create", arguments: { title: "from MCP", capability: "mcp-sys" } });
    expect(created.isError).toBeFalsy();
    expect(created.structuredContent).toMatchObject({ title: "from MCP", capability: "mcp-sys", state: "open", source: "owner" });
    await owner.close();

    const agent = await addAgent(seed, "mcp-outside", ["mcp-sys"]);
    agentToken = agent.token;
    const a = await mcpClient(agent.token);
    const agentTools = await toolNames(a);
    expect(agentTools).toEqual(
      ["bus_ack", "bus_publish", "bus_pull", "bus_subscribe", "coherence_report", "memory_get", "memory_recall", "memory_remember", "mind_status", "work_claim", "work_complete", "work_create", "work_fail", "work_get", "work_list", "work_progress"].sort(),
    );
    const denied = await a.callTool({ name: "agents_list", arguments: {} });
    expect(denied.isError).toBe(true);
    expect(text(denied)).toMatch(/^403 /);
    await a.close();
  }, 60_000);

  it("MCP: a helper with coherence:read,work:write sees those tools only; every call is audited; revoking ends its session at once", async () => {
    const grant = await api<{ id: string; token: string }>("POST", "/v1/owner/membrane", { name: "mcp-helper", scopes: ["coherence:read", "work:write"] });
    expect(grant.status).toBe(201);
    const h = await mcpClient(grant.json.token);
    expect(await toolNames(h)).toEqual(["coherence_report", "work_create"]);
    const report = await h.callTool({ name: "coherence_report", arguments: { window: "1h" } });
    expect(report.isError).toBeFalsy();
    expect(report.structuredContent).toHaveProperty("pulse");
    const made = await h.callTool({ name: "work_create", arguments: { title: "helper work", capability: "mcp-sys" } });
    expect(made.structuredContent).toMatchObject({ title: "helper work", state: "open" });
    const outOfScope = await h.callTool({ name: "memory_recall", arguments: { query: "anything" } });
    expect(outOfScope.isError).toBe(true);
    expect(text(outOfScope)).toContain("403 missing_scope");
    const badArgs = await h.callTool({ name: "work_create", arguments: { title: "" } });
    expect(text(badArgs)).toMatch(/^422 invalid_input: arguments\.title/);
    await expect(h.callTool({ name: "no_such_tool", arguments: {} })).rejects.toThrow(/no tool/);

    const rows = (await api<{ rows: { method: string; route: string; status: number; scope: string | null }[] }>("GET", `/v1/owner/audit?keyId=${grant.json.id}&limit=1000`)).json.rows;
    const seen = rows.map((r) => `${r.method} ${r.route} ${r.status}`);
    expect(seen).toContain("GET /v1/mind/coherence 200");
    expect(seen).toContain("POST /v1/work 201");
    expect(seen).toContain("POST /v1/memory/recall 403");
    expect(seen.filter((s) => s.startsWith("POST /mcp ")).length).toBeGreaterThanOrEqual(5);

    const revoked = await api("DELETE", `/v1/owner/membrane/${grant.json.id}`);
    expect(revoked.status).toBe(200);
    await expect(h.callTool({ name: "coherence_report", arguments: {} })).rejects.toThrow(/unauthorized/);
    await expect(mcpClient(grant.json.token)).rejects.toThrow(/unauthorized/);
    await h.close().catch(() => {});

    // The outside agent finishes the work MCP created, with its own tools (nothing left pending).
    const a = await mcpClient(agentToken);
    const listedWork = (await a.callTool({ name: "work_list", arguments: { capability: "mcp-sys" } })).structuredContent as { tasks: Task[] };
    expect(listedWork.tasks.map((t) => t.title).sort()).toEqual(["from MCP", "helper work"]);
    for (const t of listedWork.tasks) {
      expect((await a.callTool({ name: "work_claim", arguments: { id: t.id } })).structuredContent).toMatchObject({ state: "claimed" });
      expect((await a.callTool({ name: "work_complete", arguments: { id: t.id, result: { via: "mcp" } } })).structuredContent).toMatchObject({ state: "done" });
    }
    await a.close();
  }, 60_000);

  it("MCP: no key is 401, GET opens no stream (405), an unknown session is 404", async () => {
    expect((await fetch(`${seed.url}/mcp`, { method: "POST", body: "{}" })).status).toBe(401);
    const get = await fetch(`${seed.url}/mcp`, { headers: { Authorization: `Bearer ${seed.rootKey()}` } });
    expect(get.status).toBe(405);
    const stale = await fetch(`${seed.url}/mcp`, {
      method: "POST",
      headers: { Authorization: `Bearer ${seed.rootKey()}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "Mcp-Session-Id": "mcp_nope" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(stale.status).toBe(404);
  });

  it("an agent's task survives kill -9 of workerd mid-task without repeating a recorded tool call", async () => {
    await script("resume-model", [
      { tool_calls: [{ name: "bus_publish", arguments: { topic: "resume.out", body: { once: true } } }] },
      { hold: true, then: { content: "finished after the crash" } },
    ]);
    const agent = await api<{ id: string }>("POST", "/v1/owner/agents", { name: "resumer", capabilities: ["resume"], model: "resume-model", instructions: "Publish, then answer.", tools: ["bus:resume.*", "work"] });
    expect(agent.status).toBe(201);
    const reader = await addAgent(seed, "resume-reader");
    expect((await api("PUT", "/v1/bus/subscriptions/resume-watch", { topic: "resume.out", startAt: "earliest" }, reader.token)).status).toBe(201);

    const task = (await api<Task>("POST", "/v1/work", { title: "publish once", capability: "resume" })).json;
    // The second model turn is held: by then the bus_publish result is recorded in the agent.
    await until("the held model turn", async () => (await calls("resume-model")).some((c) => c.turn === 1));
    const old = seed.pidOf("workerd");
    process.kill(old, "SIGKILL");
    await seed.waitFor(/workerd exited \(signal SIGKILL\); restarting/);
    await fetch(`${model.url}/scripts/resume-model/release`, { method: "POST" });

    const done = await until("the task done after the restart", async () => {
      const r = await api<Task>("GET", `/v1/work/${task.id}`);
      return r.status === 200 && r.json.state === "done" ? r.json : null;
    });
    expect(done.result).toBe("finished after the crash");
    expect(seed.pidOf("workerd")).not.toBe(old);
    const seen = await calls("resume-model");
    expect(seen.filter((c) => c.turn === 0)).toHaveLength(1);
    expect(seen.filter((c) => c.turn === 1).length).toBeGreaterThanOrEqual(2);
    expect(seen.at(-1)!.messages.filter((m) => m.role === "tool")).toHaveLength(1);
    const pulled = await api<{ messages: { body: unknown; ackId: string }[] }>("POST", "/v1/bus/subscriptions/resume-watch/pull", { max: 10 }, reader.token);
    expect(pulled.json.messages.map((m) => m.body)).toEqual([{ once: true }]);
    expect((await api("POST", "/v1/bus/subscriptions/resume-watch/ack", { ackIds: pulled.json.messages.map((m) => m.ackId) }, reader.token)).status).toBe(200);
  }, 120_000);

  it("a call that must not run twice (http POST) is on disk before it runs: after kill -9 mid-call it is reported interrupted, never sent again", async () => {
    await script("post-model", [
      { tool_calls: [{ name: "http_request", arguments: { service: "LLM", method: "POST", path: "/sink/orders", body: { order: 1 } } }] },
      { content: "told the owner" },
    ]);
    const agent = await api<{ id: string }>("POST", "/v1/owner/agents", { name: "poster", capabilities: ["post-once"], model: "post-model", instructions: "Place the order.", tools: ["service:LLM", "work"] });
    expect(agent.status).toBe(201);
    const sinks = async () => (await (await fetch(`${model.url}/sinks`)).json()) as { method: string; path: string }[];
    const task = (await api<Task>("POST", "/v1/work", { title: "order once", capability: "post-once" })).json;
    // The sink holds the first POST: the call is in flight when workerd dies.
    await until("the POST in flight", async () => (await sinks()).length === 1);
    const old = seed.pidOf("workerd");
    process.kill(old, "SIGKILL");
    await until("workerd restarted", async () => seed.pidOf("workerd") !== old);

    const done = await until("the task done after the restart", async () => {
      const r = await api<Task>("GET", `/v1/work/${task.id}`);
      return r.status === 200 && r.json.state === "done" ? r.json : null;
    });
    expect(done.result).toBe("told the owner");
    expect(await sinks()).toEqual([{ method: "POST", path: "/sink/orders", body: JSON.stringify({ order: 1 }) }]);
    const last = (await calls("post-model")).at(-1)!;
    const results = last.messages.filter((m) => m.role === "tool");
    expect(results).toHaveLength(1);
    expect(results[0]!.content).toContain("interrupted");
  }, 120_000);

  it("the CLI: seed agents add/list/show/update, seed approvals list/approve", async () => {
    await script("cli-model", [{ tool_calls: [{ name: "memory_remember", arguments: { text: "the CLI approved this" } }] }, { content: "remembered" }]);
    const dir = tempDir("seed agents cli ");
    const instructions = path.join(dir, "instructions.md");
    writeFileSync(instructions, "Remember what you are told.\n");
    const cli = (...args: string[]) => runCli(args, { SEED_HOME: seed.home });
    const add = cli("agents", "add", "cli-agent", "--capability", "cli-notes", "--model", "cli-model", "--instructions-file", instructions, "--tools", "memory,work", "--approve", "memory_remember", "--budget-tokens-per-day", "100000", "--price-in", "1", "--price-out", "2");
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toContain("runs inside the seed");
    expect(add.stdout).toContain("waits for approval: memory_remember");
    expect(add.stdout).not.toMatch(/seed_agent_/);
    const missing = cli("agents", "add", "x", "--model", "m", "--instructions-file", path.join(dir, "nope.md"));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("cannot read the instructions file");

    const task = (await api<Task>("POST", "/v1/work", { title: "note this", capability: "cli-notes" })).json;
    const listed = await until("an approval waiting", async () => {
      const r = cli("approvals", "list");
      return r.stdout.includes("memory_remember") ? r.stdout : null;
    });
    const id = /^(apr_[a-z0-9]+)/m.exec(listed)![1]!;
    expect(listed).toContain(`cli-agent: memory_remember for task ${task.id}`);
    const approve = cli("approvals", "approve", id, "--reason", "fine");
    expect(approve.status, approve.stderr).toBe(0);
    expect(approve.stdout).toContain(`${id} approved`);
    await until("the task done", async () => (await api<Task>("GET", `/v1/work/${task.id}`)).json.state === "done");

    const list = cli("agents", "list");
    expect(list.stdout).toMatch(/cli-agent\s+own\s+cli-model\s+200\/20\s+2\s+1\s+0\s+0\.0002/);
    const show = cli("agents", "show", "cli-agent");
    expect(show.stdout).toContain("state: idle");
    expect(show.stdout).toContain(task.id);
    const update = cli("agents", "update", "cli-agent", "--max-steps", "5", "--clear-budget");
    expect(update.status, update.stderr).toBe(0);
    expect(update.stdout).toContain("no token budget, 5 steps");
    const rows = (await api<{ rows: { action: string }[] }>("GET", "/v1/owner/audit?limit=1000&action=agent.update")).json.rows;
    expect(rows.length).toBeGreaterThanOrEqual(1);
    const remove = cli("agents", "remove", "cli-agent");
    expect(remove.status, remove.stderr).toBe(0);
    expect(cli("agents", "list").stdout).not.toContain("cli-agent");
  }, 120_000);
});
