// Budgets of the seed's own agents: tokens per day, steps and time per task. Exceeding one fails
// the task with that reason and tells the mind; the model is not called again.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Agent } from "../../durable/agent/agent.ts";
import { asRoot, unique } from "../support/worker-fetch.ts";
import { ok, T0 } from "./mind-support.ts";
import { agentStub, clockPerModelCall, defineAgent, giveTask, listed, modelCalls, setAgentClock, taskView, work } from "./agents-support.ts";

const progress = { tool_calls: [{ name: "work_progress", arguments: { note: "still going" } }] };

describe("budgets", () => {
  it("tokens per day: the task that crosses the budget fails budget_exhausted, and the next one without a model call", async () => {
    // Each turn costs 100 in + 10 out (the scripted model's usage).
    const agent = await defineAgent({ tools: ["work"], budgetTokensPerDay: 150 }, [progress], true);
    const first = await giveTask(agent);
    await work(agent);
    const failed = await taskView(first.id);
    expect(failed.state).toBe("failed");
    expect(failed.reason).toMatch(/^budget_exhausted: the agent spent its 150 tokens for 2100-01-15/);
    expect((await modelCalls(agent.model)).length).toBe(2);

    const second = await giveTask(agent);
    await work(agent);
    expect((await taskView(second.id)).reason).toMatch(/^budget_exhausted/);
    expect((await modelCalls(agent.model)).length).toBe(2);
    expect((await listed(agent.id)).usage!.total).toMatchObject({ tokensIn: 200, tokensOut: 20, steps: 2, tasksFailed: 2 });

    // A new day (the agent's clock): the budget is whole again.
    await setAgentClock(agent.id, () => T0 + 86_400_000);
    const third = await giveTask(agent);
    await work(agent);
    expect((await taskView(third.id)).reason).toMatch(/^budget_exhausted/);
    expect((await modelCalls(agent.model)).length).toBe(4);
  });

  it("steps per task: max_steps", async () => {
    const agent = await defineAgent({ tools: ["work"], maxSteps: 3 }, [progress], true);
    const task = await giveTask(agent);
    await work(agent);
    expect((await taskView(task.id)).reason).toBe("max_steps: the task used its 3 steps without finishing");
    expect((await modelCalls(agent.model)).length).toBe(3);
  });

  it("time per task: timeout (the agent's clock passes the task's time between steps)", async () => {
    const agent = await defineAgent({ tools: ["work"], maxTaskTime: "2s" }, [progress], true);
    // Each model turn takes 1 s of the agent's clock: the third finds the task's 2 s used up.
    await clockPerModelCall(agent.id, 1000);
    const task = await giveTask(agent);
    await work(agent);
    const v = await taskView(task.id);
    expect(v.reason).toBe("timeout: the task ran out of its time (2 s)");
    expect((await modelCalls(agent.model)).length).toBe(2);
  });

  it("a failing model is retried with backoff (transient) or fails the task (not transient)", async () => {
    const agent = await defineAgent({ tools: ["work"] }, [{ status: 503, times: 2, then: { content: "third time lucky" } }]);
    const task = await giveTask(agent);
    await agentStub(agent.id).inboxReady(agent.id);
    await runDurableObjectAlarm(agentStub(agent.id));
    // 503 is transient: the run waits for a retry, armed on the agent's clock 1 s later, then 2 s.
    expect((await taskView(task.id)).state).toBe("claimed");
    expect((await agentStub(agent.id).status()).runs[0]).toMatchObject({ state: "running", reason: "the LLM endpoint answered 503" });
    expect(await runInDurableObject(agentStub(agent.id), (_a: Agent, ctx) => ctx.storage.getAlarm())).toBe(T0 + 1000);
    await setAgentClock(agent.id, () => T0 + 1000);
    await work(agent);
    expect((await modelCalls(agent.model)).length).toBe(2);
    await setAgentClock(agent.id, () => T0 + 3000);
    await work(agent);
    expect(await taskView(task.id)).toMatchObject({ state: "done", result: "third time lucky" });
    expect((await modelCalls(agent.model)).length).toBe(3);

    const hard = await defineAgent({ tools: ["work"] }, [{ status: 401, error: "bad key" }]);
    const t2 = await giveTask(hard);
    await work(hard);
    expect((await taskView(t2.id)).reason).toBe("model_error: the LLM endpoint answered 401");
  });

  it("an outside agent cannot be given an own agent's fields, and bad definitions are refused clearly", async () => {
    const bad = async (body: Record<string, unknown>, where: string) => {
      const r = await asRoot("POST", "/v1/owner/agents", { name: unique("bad"), ...body });
      expect(r.status).toBe(422);
      const e = (await r.json()) as { error: { code: string; message: string } };
      expect(e.error.code).toBe("invalid_input");
      expect(e.error.message).toContain(where);
    };
    await bad({ tools: ["work"] }, "tools: only for the seed's own agents");
    await bad({ model: "m" }, "instructions: the seed's own agents need instructions");
    await bad({ model: "m", instructions: "x", tools: ["bus:"] }, "tools.0: bus:<topic-glob>");
    await bad({ model: "m", instructions: "x", tools: ["service:lower"] }, "tools.0: service:<NAME>");
    await bad({ model: "m", instructions: "x", maxTaskTime: "0s" }, "maxTaskTime");
    await bad({ model: "m", instructions: "x", maxSteps: 0 }, "maxSteps");
    await bad({ model: "m", instructions: " " }, "instructions are empty");
    await bad({ model: "m", instructions: "x", approve: ["Bad Name"] }, "approve.0");
    const outside = await ok<{ id: string }>(await asRoot("POST", "/v1/owner/agents", { name: unique("outside") }), 201);
    const r = await asRoot("PATCH", `/v1/owner/agents/${outside.id}`, { model: "m" });
    expect(r.status).toBe(409);
  });
});
