// Helpers for the tests of the seed's own agents: define one, script its model (the scripted
// model inside test/support/llm-server.ts, reached through the LLM binding), hand it a task through
// the mind, and drive its object's alarm — time is the agent's injected clock, never a sleep.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { Agent } from "../../durable/agent/agent.ts";
import type { SeenCall, Turn } from "../support/scripted-model.ts";
import type { Task, TaskChange } from "../../lib/mind/wire.ts";
import { asRoot, bindings, unique } from "../support/worker-fetch.ts";
import { fireAlarm, ok, setClock, T0 } from "./mind-support.ts";

export type OwnAgent = { id: string; name: string; model: string; capability: string };

export const agentStub = (id: string) => bindings.AGENT.get(bindings.AGENT.idFromName(id));

export async function script(model: string, turns: Turn[], repeatLast = false): Promise<void> {
  const r = await bindings.LLM!.fetch(`http://llm.test/scripts/${encodeURIComponent(model)}`, { method: "PUT", body: JSON.stringify({ turns, repeatLast }) });
  expect(r.status).toBe(200);
}

export async function modelCalls(model: string): Promise<SeenCall[]> {
  return (await (await bindings.LLM!.fetch(`http://llm.test/scripts/${encodeURIComponent(model)}/calls`)).json()) as SeenCall[];
}

/** Defines one of the seed's own agents with a fresh model name and capability. */
export async function defineAgent(opts: Record<string, unknown> = {}, turns?: Turn[], repeatLast = false): Promise<OwnAgent> {
  const model = unique("model");
  const capability = unique("cap");
  if (turns) await script(model, turns, repeatLast);
  const res = await asRoot("POST", "/v1/owner/agents", { name: unique("own"), capabilities: [capability], model, instructions: "You work for the tests.", ...opts });
  const body = await ok<{ id: string; name: string }>(res, 201);
  // The agent's clock stands at T0, like the mind's: its alarms never fire by themselves.
  await setAgentClock(body.id, () => T0);
  return { id: body.id, name: body.name, model, capability };
}

export async function setAgentClock(id: string, now: () => number): Promise<void> {
  await runInDurableObject(agentStub(id), (a: Agent) => {
    a.clock.now = now;
  });
}

/**
 * The agent's clock moves only when it calls its model, by `stepMs` each time: time passes in the
 * model's turns, deterministically (a clock that moves at every read depends on how often the
 * loop reads it).
 */
export async function clockPerModelCall(id: string, stepMs: number): Promise<void> {
  await runInDurableObject(agentStub(id), (a: Agent) => {
    let t = a.clock.now();
    a.clock.now = () => t;
    const real = a.io;
    a.io = {
      ...real,
      fetcher(binding) {
        const f = real.fetcher(binding);
        if (binding !== "LLM" || !f) return f;
        return { fetch: (input: RequestInfo | URL, init?: RequestInit) => ((t += stepMs), f.fetch(input, init)) } as Fetcher;
      },
    };
  });
}

/** Creates a task for the agent's capability and lets the mind dispatch it (one cycle). */
export async function giveTask(agent: OwnAgent, extra: Record<string, unknown> = {}): Promise<Task> {
  await setClock(T0);
  const task = await ok<Task>(await asRoot("POST", "/v1/work", { title: unique("task"), capability: agent.capability, ...extra }), 201);
  expect(await fireAlarm()).toBe(true);
  return task;
}

/** Runs the agent's alarm until nothing is due at its clock (each run works every step it can). */
export async function work(agent: OwnAgent, max = 10): Promise<number> {
  // The bus's wake-up is asynchronous: ask the object to look at its inbox now.
  await agentStub(agent.id).inboxReady(agent.id);
  let runs = 0;
  for (let i = 0; i < max; i++) {
    const [at, now] = await runInDurableObject(agentStub(agent.id), async (a: Agent, ctx) => [await ctx.storage.getAlarm(), a.clock.now()] as const);
    if (at === null || at > now) return runs;
    await runDurableObjectAlarm(agentStub(agent.id));
    runs++;
  }
  throw new Error(`the agent was still due after ${max} alarms`);
}

export const taskView = async (id: string) => ok<Task & { history: TaskChange[] }>(await asRoot("GET", `/v1/work/${id}`));

export type ListedAgent = { id: string; kind: string; usage: { today: Record<string, number | null>; total: Record<string, number | null> } | null; pendingApprovals: number };
export const listed = async (id: string) => (await ok<{ agents: ListedAgent[] }>(await asRoot("GET", "/v1/owner/agents"))).agents.find((a) => a.id === id)!;
