// The seed's own agents (issue 13): an agent defined by the owner is dispatched work by the mind
// through the bus, claims it, runs a tool-calling loop against the scripted chat-completions model
// (a real HTTP server on loopback, reached only through the LLM binding) and completes the task.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Agent } from "../../durable/agent/agent.ts";
import type { Delivered } from "../../lib/bus/wire.ts";
import { masterKeyFromHex, setCredential } from "../../lib/credentials.ts";
import { openDb } from "../../lib/db/client.ts";
import { asRoot, bindings, call, newAgent, unique } from "../support/worker-fetch.ts";
import { ok } from "./mind-support.ts";
import { agentStub, clockPerModelCall, defineAgent, giveTask, listed, modelCalls, taskView, work } from "./agents-support.ts";

const env = bindings as typeof bindings & { TEST_ECHO_HOST: string; TEST_MCP_HOST: string; TEST_MCP_TOKEN: string; ECHO?: Fetcher; DOCS?: Fetcher };

describe("the seed's own agents", () => {
  it("complete a dispatched task after calling memory_recall and bus_publish", async () => {
    const fact = unique("fact");
    await ok(await asRoot("POST", "/v1/memory", { text: `the invoice code is ${fact}`, shared: true, tags: ["billing"] }), 201);
    const topic = unique("reports");
    const reader = await newAgent("reader");
    const subName = unique("sub");
    await ok(await call("PUT", `/v1/bus/subscriptions/${subName}`, { key: reader.token, body: { topic, startAt: "earliest" } }), 201);

    const agent = await defineAgent({ tools: ["memory", `bus:${topic.split("-")[0]}-*`, "work"] }, [
      { tool_calls: [{ name: "memory_recall", arguments: { query: "invoice code" } }] },
      { tool_calls: [{ name: "bus_publish", arguments: { topic, body: { found: fact } } }] },
      { content: `published ${fact}` },
    ]);
    await clockPerModelCall(agent.id, 1000); // a model turn takes a second: each step's progress reaches the mind
    const task = await giveTask(agent, { payload: { ask: "find the invoice code" } });
    expect((await taskView(task.id)).state).toBe("dispatched");
    await work(agent);

    const done = await taskView(task.id);
    expect(done).toMatchObject({ state: "done", assignee: agent.id, result: `published ${fact}` });
    expect(done.history.map((h) => h.state)).toEqual(["open", "dispatched", "claimed", "progress", "progress", "done"]);

    const calls = await modelCalls(agent.model);
    expect(calls.map((c) => c.turn)).toEqual([0, 1, 2]);
    expect(calls[0]!.tools.sort()).toEqual(["bus_publish", "memory_recall", "memory_remember", "work_fail", "work_progress"]);
    expect(calls[0]!.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(JSON.parse(calls[0]!.messages[1]!.content!)).toMatchObject({ task: { id: task.id, payload: { ask: "find the invoice code" } } });
    const recalled = calls[1]!.messages.at(-1)!;
    expect(recalled.role).toBe("tool");
    expect(recalled.content).toContain(fact);
    expect(JSON.parse(calls[2]!.messages.at(-1)!.content!)).toMatchObject({ published: { seq: 1 } });

    const pulled = await ok<{ messages: Delivered[] }>(await call("POST", `/v1/bus/subscriptions/${subName}/pull`, { key: reader.token, body: { max: 10 } }));
    expect(pulled.messages.map((m) => [m.from, m.body])).toEqual([[agent.id, { found: fact }]]);

    // The agent's clock is T0 (year 2100): its usage is in that day, so read the total.
    const usage = (await listed(agent.id)).usage!;
    expect(usage.total).toMatchObject({ tokensIn: 300, tokensOut: 30, steps: 3, toolCalls: 2, tasksDone: 1, tasksFailed: 0, cost: null });
    // The same usage in the coherence report and in /v1/status.
    type WithAgents = { agents: { agentId: string; kind: string; total: { tasksDone: number } }[] };
    for (const path of ["/v1/mind/coherence", "/v1/status"]) {
      const listedThere = (await ok<WithAgents>(await asRoot("GET", path))).agents.find((a) => a.agentId === agent.id);
      expect(listedThere, path).toMatchObject({ kind: "own", total: { tasksDone: 1, tokensIn: 300 } });
    }
    // At rest: no alarm is left armed.
    expect(await agentStub(agent.id).status()).toMatchObject({ state: "idle", runs: [] });
  });
});

describe("what an agent may use", () => {
  it("a tool outside its grant is refused, and the refusal reaches the model", async () => {
    const agent = await defineAgent({ tools: ["bus:allowed.*"] }, [
      { tool_calls: [{ name: "bus_publish", arguments: { topic: "secrets.out", body: 1 } }, { name: "http_request", arguments: { service: "ECHO", path: "/" } }] },
      { tool_calls: [{ name: "memory_remember", arguments: { text: "sneaky" } }, { name: "no_such_tool", arguments: {} }, { name: "bus_publish", arguments: "{not json" }] },
      { content: "gave up" },
    ]);
    const task = await giveTask(agent);
    await work(agent);
    expect(await taskView(task.id)).toMatchObject({ state: "done", result: "gave up" });
    const calls = await modelCalls(agent.model);
    expect(calls[0]!.tools).toEqual(["bus_publish"]);
    const results = (i: number) => calls[i]!.messages.filter((m) => m.role === "tool").slice(i === 1 ? 0 : 2).map((m) => JSON.parse(m.content!) as { error: string; message: string });
    expect(results(1)).toEqual([
      { error: "not_granted", message: "the topic secrets.out is outside this agent's grant (bus:allowed.*)" },
      { error: "not_granted", message: "http_request is not granted to this agent" },
    ]);
    expect(results(2)).toEqual([
      { error: "not_granted", message: "memory_remember is not granted to this agent" },
      { error: "unknown_tool", message: 'there is no tool "no_such_tool"; use only the tools you were given' },
      { error: "invalid_arguments", message: "the arguments are not valid JSON" },
    ]);
  });

  it("http_request reaches only a granted, declared service, with its credential injected — never shown to the model", async () => {
    const secret = `echo-secret-${unique("s")}`;
    await setCredential(openDb(bindings) as never, masterKeyFromHex(bindings.SEED_MASTER_KEY), { name: "echo-key", host: env.TEST_ECHO_HOST, secret });
    const agent = await defineAgent({ tools: ["service:ECHO", "work"] }, [
      {
        tool_calls: [
          { name: "http_request", arguments: { service: "ECHO", method: "POST", path: "/orders?x=1", body: { n: 1 }, headers: { Authorization: "Bearer stolen", "X-Trace": "t1" } } },
          { name: "http_request", arguments: { service: "LLM", path: "/v1/models" } },
        ],
      },
      { content: "called" },
    ]);
    const task = await giveTask(agent);
    await work(agent);
    expect((await taskView(task.id)).state).toBe("done");
    const tool = (await modelCalls(agent.model))[1]!.messages.filter((m) => m.role === "tool");
    expect(tool[0]!.content).not.toContain(secret);
    const echoed = JSON.parse(tool[0]!.content!) as { status: number; body: string };
    expect(echoed.status).toBe(200);
    const seen = (JSON.parse(echoed.body) as { echo: { method: string; path: string; authorization: string; idempotencyKey: string; body: string } }).echo;
    expect(seen).toMatchObject({ method: "POST", path: "/orders?x=1", authorization: "Bearer [secret removed by the seed]", body: '{"n":1}' });
    expect(seen.idempotencyKey).toMatch(new RegExp(`^${task.id}#1:call_0_0$`));
    expect(JSON.parse(tool[1]!.content!)).toEqual({ error: "not_granted", message: "the service LLM is not granted to this agent" });
    // What the service really received: the credential, not what the model asked for.
    const all = (await (await env.ECHO!.fetch("http://echo/__seen")).json()) as { authorization: string; path: string }[];
    expect(all.find((s) => s.path === "/orders?x=1")!.authorization).toBe(`Bearer ${secret}`);
  });

  it("a credential is sent only to its host: bound to another host, it is refused and nothing reaches the service", async () => {
    const secret = `echo-secret-${unique("elsewhere")}`;
    const path = `/${unique("mismatch")}`;
    const master = masterKeyFromHex(bindings.SEED_MASTER_KEY);
    await setCredential(openDb(bindings) as never, master, { name: "echo-key", host: "elsewhere.example", secret });
    try {
      const agent = await defineAgent({ tools: ["service:ECHO", "work"] }, [
        { tool_calls: [{ name: "http_request", arguments: { service: "ECHO", path } }] },
        { content: "refused" },
      ]);
      const task = await giveTask(agent);
      await work(agent);
      expect((await taskView(task.id)).state).toBe("done");
      const tool = (await modelCalls(agent.model))[1]!.messages.filter((m) => m.role === "tool");
      expect(JSON.parse(tool[0]!.content!)).toMatchObject({ error: "credential_host_mismatch" });
      expect(tool[0]!.content).not.toContain(secret);
      // The echo server never saw the request, let alone the secret.
      const seen = await (await env.ECHO!.fetch("http://echo/__seen")).text();
      expect(seen).not.toContain(path);
      expect(seen).not.toContain(secret);
    } finally {
      await setCredential(openDb(bindings) as never, master, { name: "echo-key", host: env.TEST_ECHO_HOST, secret: `echo-secret-${unique("s")}` });
    }
  });

  it("uses the tools of a declared MCP server it was granted", async () => {
    await setCredential(openDb(bindings) as never, masterKeyFromHex(bindings.SEED_MASTER_KEY), { name: "docs-key", host: env.TEST_MCP_HOST, secret: env.TEST_MCP_TOKEN });
    const title = unique("ticket");
    const agent = await defineAgent({ tools: ["mcp:DOCS"] }, [
      { tool_calls: [{ name: "mcp_docs_lookup", arguments: { term: "seed" } }, { name: "mcp_docs_create_ticket", arguments: { title } }] },
      { content: "filed" },
    ]);
    const task = await giveTask(agent);
    await work(agent);
    expect((await taskView(task.id)).state).toBe("done");
    const calls = await modelCalls(agent.model);
    expect(calls[0]!.tools.sort()).toEqual(["mcp_docs_create_ticket", "mcp_docs_lookup"]);
    const results = calls[1]!.messages.filter((m) => m.role === "tool").map((m) => m.content);
    expect(results[0]).toContain("seed: a word from the docs");
    expect(results[1]).toContain("opened");
    const tickets = (await (await env.DOCS!.fetch("http://docs/__tickets")).json()) as { title: string }[];
    expect(tickets.filter((t) => t.title === title)).toHaveLength(1);
  });
});

describe("a step's cost", () => {
  it("a step does not wait for the mind: progress goes beside the model, notes coalesce, the outcome comes after them", async () => {
    const agent = await defineAgent({ tools: ["work"] }, [
      { tool_calls: [{ name: "work_progress", arguments: { note: "first" } }] },
      { tool_calls: [{ name: "work_progress", arguments: { note: "second" } }] },
      { tool_calls: [{ name: "work_progress", arguments: { note: "third" } }] },
      { content: "done" },
    ]);
    await clockPerModelCall(agent.id, 1000);
    const task = await giveTask(agent);
    // The mind answers no progress report until released: the steps must go on without it.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const told: string[] = [];
    await runInDurableObject(agentStub(agent.id), (a: Agent) => {
      const real = a.io;
      a.io = {
        ...real,
        async transition(agentId, taskId, action, input) {
          told.push(input.note === undefined ? action : `${action}: ${input.note}`);
          if (action === "progress") await gate;
          return real.transition(agentId, taskId, action, input);
        },
      };
    });
    await agentStub(agent.id).inboxReady(agent.id);
    const working = runDurableObjectAlarm(agentStub(agent.id));
    const end = Date.now() + 10_000;
    while ((await modelCalls(agent.model)).length < 4) if (Date.now() > end) throw new Error("the steps waited for the mind");
    // Every model turn ran while the first report was held; the outcome waits behind it.
    expect(told).toEqual(["claim", "progress: first"]);
    expect((await taskView(task.id)).state).toBe("claimed");
    release();
    await working;
    expect(told).toEqual(["claim", "progress: first", "progress: third", "complete"]);
    const done = await taskView(task.id);
    expect(done.state).toBe("done");
    expect(done.history.filter((h) => h.state === "progress").map((h) => h.note)).toEqual(["first", "third"]);
  });

  it("the conversation kept in memory follows the stored one, also when a transaction rolls back", async () => {
    const agent = await defineAgent({ tools: ["work"] });
    await runInDurableObject(agentStub(agent.id), (a: Agent, ctx) => {
      const run = "r#1";
      a.store.append(run, { role: "user", content: "one" });
      expect(a.store.conversation(run)).toEqual([JSON.stringify({ role: "user", content: "one" })]);
      expect(() =>
        ctx.storage.transactionSync(() => {
          a.store.append(run, { role: "user", content: "rolled back" });
          throw new Error("abort");
        }),
      ).toThrow("abort");
      a.store.append(run, { role: "user", content: "two" });
      expect(a.store.conversation(run).map((b) => (JSON.parse(b) as { content: string }).content)).toEqual(["one", "two"]);
      a.store.append("r#2", { role: "user", content: "other run" });
      expect(a.store.conversation("r#2")).toHaveLength(1);
      expect(a.store.conversation(run)).toHaveLength(2);
    });
  });

  it("progress reaches the mind at most once a second: faster steps' notes coalesce into the latest, the outcome supersedes the rest", async () => {
    const note = (n: string) => ({ tool_calls: [{ name: "work_progress", arguments: { note: n } }] });
    const agent = await defineAgent({ tools: ["work"] }, [note("a"), note("b"), note("c"), note("d"), { content: "done" }]);
    await clockPerModelCall(agent.id, 400);
    const task = await giveTask(agent);
    const told: string[] = [];
    await runInDurableObject(agentStub(agent.id), (a: Agent) => {
      const real = a.io;
      a.io = {
        ...real,
        transition(agentId, taskId, action, input) {
          told.push(input.note === undefined ? action : `${action}: ${input.note}`);
          return real.transition(agentId, taskId, action, input);
        },
      };
    });
    await work(agent);
    // Claimed at 0 s; notes at 0.4, 0.8, 1.2, 1.6 s; the one pending when the next turn starts at
    // 1.2 s goes; "d" is still within the second when the task ends.
    expect(told).toEqual(["claim", "progress: c", "complete"]);
    expect((await modelCalls(agent.model)).length).toBe(5);
    const done = await taskView(task.id);
    expect(done.history.filter((h) => h.state === "progress").map((h) => h.note)).toEqual(["c"]);
  });
});
