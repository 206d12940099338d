// The seed's own agents (issue 13): an agent defined by the owner is dispatched work by the mind
// through the bus, claims it, runs a tool-calling loop against the scripted chat-completions model
// (a real HTTP server on loopback, reached only through the LLM binding) and completes the task.
import { describe, expect, it } from "vitest";
import type { Delivered } from "../../lib/bus/wire.ts";
import { asRoot, call, newAgent, unique } from "../support/worker-fetch.ts";
import { ok } from "./mind-support.ts";
import { agentStub, defineAgent, giveTask, listed, modelCalls, taskView, work } from "./agents-support.ts";

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
    // At rest: no alarm is left armed.
    expect(await agentStub(agent.id).status()).toMatchObject({ state: "idle", runs: [] });
  });
});
