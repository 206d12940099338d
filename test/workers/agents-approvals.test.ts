// Approval gates: a tool the owner listed pauses the task as waiting_approval; approve resumes the
// loop with the tool's result, deny hands the denial to the model. A waiting agent has no alarm.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Agent } from "../../durable/agent/agent.ts";
import type { Approval } from "../../lib/agents/wire.ts";
import { asRoot, unique } from "../support/worker-fetch.ts";
import { expectError } from "../support/worker-fetch.ts";
import { ok } from "./mind-support.ts";
import { agentStub, defineAgent, giveTask, listed, modelCalls, taskView, work } from "./agents-support.ts";

const pending = async (agentId: string) => (await ok<{ approvals: Approval[] }>(await asRoot("GET", `/v1/owner/approvals?agent=${agentId}`))).approvals;

describe("approvals", () => {
  it("a gated tool pauses the task; approve resumes it with the tool's result", async () => {
    const topic = unique("gated");
    const agent = await defineAgent({ tools: [`bus:${topic}`, "work"], approve: ["bus_publish"] }, [
      { tool_calls: [{ name: "bus_publish", arguments: { topic, body: { pay: 100 } } }] },
      { content: "paid" },
    ]);
    const task = await giveTask(agent);
    await work(agent);
    const [a, ...more] = await pending(agent.id);
    expect(more).toEqual([]);
    expect(a).toMatchObject({ agentId: agent.id, agentName: agent.name, taskId: task.id, tool: "bus_publish", state: "pending" });
    expect(JSON.parse(a!.arguments)).toEqual({ topic, body: { pay: 100 } });
    // The mind expects no heartbeat meanwhile: claimed, no lease, a `waiting` event naming the approval.
    const waiting = await taskView(task.id);
    expect(waiting).toMatchObject({ state: "claimed", leaseUntil: null });
    expect(waiting.history.at(-1)).toMatchObject({ state: "waiting", actor: agent.id, note: `waiting for the owner's approval of bus_publish (${a!.id})` });
    expect(await agentStub(agent.id).status()).toMatchObject({ state: "waiting_approval" });
    expect((await listed(agent.id)).pendingApprovals).toBe(1);
    // Waiting costs nothing: no alarm, and the model was asked once.
    expect(await runInDurableObject(agentStub(agent.id), (_a: Agent, ctx) => ctx.storage.getAlarm())).toBeNull();
    expect((await modelCalls(agent.model)).length).toBe(1);

    const decided = await ok<Approval>(await asRoot("POST", `/v1/owner/approvals/${a!.id}/approve`, { reason: "ok this once" }));
    expect(decided).toMatchObject({ id: a!.id, state: "approved", decidedBy: "owner", reason: "ok this once" });
    await expectError(await asRoot("POST", `/v1/owner/approvals/${a!.id}/deny`), 409, "already_decided");
    await work(agent);
    expect(await taskView(task.id)).toMatchObject({ state: "done", result: "paid" });
    const calls = await modelCalls(agent.model);
    expect(JSON.parse(calls[1]!.messages.at(-1)!.content!)).toMatchObject({ published: { seq: 1 } });
  });

  it("deny returns the denial to the model, which carries on", async () => {
    const agent = await defineAgent({ tools: ["memory", "work"], approve: ["memory_remember"] }, [
      { tool_calls: [{ name: "memory_remember", arguments: { text: "the owner's secret plan" } }] },
      { content: "understood, not remembered" },
    ]);
    const task = await giveTask(agent);
    await work(agent);
    const [a] = await pending(agent.id);
    await ok(await asRoot("POST", `/v1/owner/approvals/${a!.id}/deny`, { reason: "not that" }));
    await work(agent);
    expect(await taskView(task.id)).toMatchObject({ state: "done", result: "understood, not remembered" });
    const denial = JSON.parse((await modelCalls(agent.model))[1]!.messages.at(-1)!.content!) as { error: string; message: string };
    expect(denial).toEqual({ error: "denied", message: "the owner denied this call: not that" });
    expect((await ok<{ approvals: Approval[] }>(await asRoot("GET", `/v1/owner/approvals?state=denied&agent=${agent.id}`))).approvals).toHaveLength(1);
  });

  it("unknown approvals are 404, bad states 422; removing the agent cancels its approvals and releases its task", async () => {
    await expectError(await asRoot("POST", "/v1/owner/approvals/apr_nope/approve"), 404, "approval_not_found");
    await expectError(await asRoot("GET", "/v1/owner/approvals?state=maybe"), 422, "invalid_input");
    const agent = await defineAgent({ tools: ["work"], approve: ["work_progress"] }, [{ tool_calls: [{ name: "work_progress", arguments: {} }] }, { content: "x" }]);
    const task = await giveTask(agent);
    await work(agent);
    const [a] = await pending(agent.id);
    expect(a!.state).toBe("pending");
    const removed = await ok<{ released: number }>(await asRoot("DELETE", `/v1/owner/agents/${agent.id}`));
    expect(removed.released).toBe(1);
    const after = await taskView(task.id);
    expect(after.state).toBe("open");
    expect(after.history.at(-1)).toMatchObject({ state: "open", actor: agent.id });
    expect((await ok<{ approvals: Approval[] }>(await asRoot("GET", `/v1/owner/approvals?state=all&agent=${agent.id}`))).approvals[0]).toMatchObject({ id: a!.id, state: "cancelled" });
  });
});
