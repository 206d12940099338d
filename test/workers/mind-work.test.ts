// The work ledger over HTTP: creating, dispatching over the bus, claiming, heartbeats, completion,
// failure, lapsed leases, deadlines, and who may do what.
import { describe, expect, it } from "vitest";
import type { Delivered } from "../../lib/bus/wire.ts";
import { keys } from "../../lib/db/schema.ts";
import { mintKey } from "../../lib/keys.ts";
import type { Task, TaskChange } from "../../lib/mind/wire.ts";
import { openDb } from "../../lib/db/client.ts";
import { asRoot, bindings, call, expectError, newAgent, unique, type TestAgent } from "../support/worker-fetch.ts";
import { alarmAt, coherence, fireAlarm, ok, scheduled, setClock, T0 } from "./mind-support.ts";

const MIN = 60_000;
type TaskView = Task & { history: TaskChange[] };

const create = async (body: Record<string, unknown>, key = bindings.TEST_ROOT_KEY) => ok<Task>(await call("POST", "/v1/work", { key, body }), 201);
const get = async (id: string) => ok<TaskView>(await asRoot("GET", `/v1/work/${id}`));
const act = (a: TestAgent, id: string, action: string, body?: unknown) => call("POST", `/v1/work/${id}/${action}`, { key: a.token, body });

async function inbox(a: TestAgent): Promise<Delivered[]> {
  return (await ok<{ messages: Delivered[] }>(await call("POST", "/v1/bus/subscriptions/inbox/pull", { key: a.token, body: { max: 100 } }))).messages;
}

async function helperKey(scopes: string[]): Promise<string> {
  const k = await mintKey("helper");
  await openDb(bindings).insert(keys).values({ id: k.id, kind: "helper", name: unique("helper"), scopes, secretHash: k.secretHash, createdAt: Date.now() });
  return k.token;
}

describe("creating and dispatching work", () => {
  it("POST /v1/work → 201; the mind wakes at once and hands the task to an agent's inbox", async () => {
    await setClock(T0);
    const cap = unique("cap");
    const agent = await newAgent("worker", [cap]);
    const task = await create({ title: "reconcile october", capability: cap, payload: { month: 10 }, priority: 7 });
    expect(task).toMatchObject({ title: "reconcile october", capability: cap, payload: { month: 10 }, priority: 7, state: "open", source: "owner", attempts: 0, assignee: null, createdAt: T0, deadline: null });
    expect(await alarmAt()).toBe(T0);

    expect(await fireAlarm()).toBe(true);
    const [m, ...rest] = await inbox(agent);
    expect(rest).toEqual([]);
    expect(m!.from).toBe("mind");
    expect(m!.headers).toMatchObject({ "seed-kind": "task", "seed-task-id": task.id });
    expect(m!.body).toMatchObject({ type: "seed.task", task: { id: task.id, title: "reconcile october", capability: cap, payload: { month: 10 } } });

    const after = await get(task.id);
    expect(after).toMatchObject({ state: "dispatched", assignee: agent.id, attempts: 1 });
    expect(after.history.map((h) => [h.state, h.at, h.actor])).toEqual([
      ["open", T0, "owner"],
      ["dispatched", T0, "mind"],
    ]);
  });

  it("a payload too big for a bus message stays in the ledger; the message says so", async () => {
    const cap = unique("cap");
    const agent = await newAgent("bulk", [cap]);
    const big = { rows: "r".repeat(300 * 1024) };
    const task = await create({ title: "big one", capability: cap, payload: big });
    await fireAlarm();
    const [m] = await inbox(agent);
    expect(m!.body).toMatchObject({ type: "seed.task", payloadOmitted: true, task: { id: task.id, payload: null } });
    expect((await get(task.id)).payload).toEqual(big);
  });

  it("agents create work too, with their own source, and list it by state and capability", async () => {
    const cap = unique("cap");
    const a = await newAgent("creator");
    const t = await create({ title: "from an agent", capability: cap }, a.token);
    expect(t.source).toBe(`agent:${a.id}`);
    const listed = await ok<{ tasks: Task[] }>(await asRoot("GET", `/v1/work?state=open&capability=${cap}`));
    expect(listed.tasks.map((x) => x.id)).toEqual([t.id]);
    expect((await ok<{ tasks: Task[] }>(await asRoot("GET", `/v1/work?state=done&capability=${cap}`))).tasks).toEqual([]);
  });
});

describe("who asked is recorded from the key (issue 9 item 10)", () => {
  it("a caller cannot choose its source: `source` in the body is 422; its own label goes in `label`", async () => {
    const a = await newAgent("labeller");
    const cap = unique("cap");
    await expectError(await call("POST", "/v1/work", { key: a.token, body: { title: "x", capability: cap, source: "github" } }), 422, "invalid_input");
    const helper = await helperKey(["work:write"]);
    await expectError(await call("POST", "/v1/work", { key: helper, body: { title: "x", capability: cap, source: "owner" } }), 422, "invalid_input");
    const t = await create({ title: "labelled", capability: cap, label: "github" }, a.token);
    expect(t).toMatchObject({ source: `agent:${a.id}`, label: "github" });
    const h = await create({ title: "labelled", capability: cap, label: "owner" }, helper);
    expect(h.source).toMatch(/^helper:[a-z0-9]{16}$/);
    expect(h.label).toBe("owner");
    expect((await get(t.id)).source).toBe(`agent:${a.id}`);
  });
});

describe("the assigned agent's transitions", () => {
  it("claim, heartbeat, complete; every change is in the history with its time; illegal moves are 409", async () => {
    await setClock(T0 + 1000);
    const cap = unique("cap");
    const agent = await newAgent("doer", [cap]);
    const other = await newAgent("other", [unique("cap")]);
    const task = await create({ title: "do it", capability: cap });
    await fireAlarm();

    await expectError(await act(other, task.id, "claim"), 409, "not_assignee");
    await expectError(await call("POST", `/v1/work/${task.id}/claim`, { key: bindings.TEST_ROOT_KEY }), 403, "wrong_key_kind");
    await expectError(await act(agent, task.id, "progress", { note: "early" }), 409, "illegal_transition");

    await setClock(T0 + 2000);
    expect(await ok<Task>(await act(agent, task.id, "claim"))).toMatchObject({ state: "claimed", assignee: agent.id });
    await expectError(await act(agent, task.id, "claim"), 409, "illegal_transition");
    expect(await scheduled(`lease:${task.id}`)).toBe(T0 + 2000 + 5 * MIN);

    await setClock(T0 + 3000);
    await ok(await act(agent, task.id, "progress", { note: "half way" }));
    expect(await scheduled(`lease:${task.id}`)).toBe(T0 + 3000 + 5 * MIN);

    await setClock(T0 + 4000);
    expect(await ok<Task>(await act(agent, task.id, "complete", { result: { rows: 12 } }))).toMatchObject({ state: "done", result: { rows: 12 } });
    expect(await scheduled(`lease:${task.id}`)).toBeNull();
    await expectError(await act(agent, task.id, "complete"), 409, "illegal_transition");
    await expectError(await act(agent, task.id, "fail", { reason: "too late" }), 409, "illegal_transition");

    const view = await get(task.id);
    expect(view.history.map((h) => [h.state, h.at, h.note])).toEqual([
      ["open", T0 + 1000, null],
      ["dispatched", T0 + 1000, agent.id],
      ["claimed", T0 + 2000, null],
      ["progress", T0 + 3000, "half way"],
      ["done", T0 + 4000, null],
    ]);
  });

  it("a retryable failure goes back to open and out again; a final one fails the task", async () => {
    await setClock(T0 + 10 * MIN);
    const cap = unique("cap");
    const agent = await newAgent("flaky", [cap]);
    const task = await create({ title: "try", capability: cap });
    await fireAlarm();
    await ok(await act(agent, task.id, "claim"));
    expect(await ok<Task>(await act(agent, task.id, "fail", { reason: "db busy", retryable: true }))).toMatchObject({ state: "open", assignee: null });
    expect(await scheduled("wake")).toBe(T0 + 10 * MIN);
    await fireAlarm();
    expect(await get(task.id)).toMatchObject({ state: "dispatched", assignee: agent.id, attempts: 2 });
    await ok(await act(agent, task.id, "claim"));
    expect(await ok<Task>(await act(agent, task.id, "fail", { reason: "bad input" }))).toMatchObject({ state: "failed", reason: "bad input" });
  });
});

describe("leases and deadlines", () => {
  it("a claim whose heartbeat lapses is re-dispatched to another agent with the capability", async () => {
    const t = T0 + 60 * MIN;
    await setClock(t);
    const cap = unique("cap");
    const first = await newAgent("sleepy", [cap]);
    const task = await create({ title: "long job", capability: cap });
    await fireAlarm();
    await ok(await act(first, task.id, "claim"));
    const second = await newAgent("awake", [cap]);
    await setClock(t + 5 * MIN + 1);
    await fireAlarm();
    const view = await get(task.id);
    expect(view).toMatchObject({ state: "dispatched", assignee: second.id, attempts: 2 });
    expect(view.history.find((h) => h.state === "open" && h.actor === "mind")?.note).toBe(`heartbeat lapsed at ${first.id}`);
    expect((await inbox(second)).map((m) => (m.body as { task: Task }).task.id)).toEqual([task.id]);
    await expectError(await act(first, task.id, "complete"), 409, "not_assignee");
  });

  it("a task past its deadline expires when its deadline row fires, and its subsystem is flagged", async () => {
    const t = T0 + 2 * 60 * MIN;
    await setClock(t);
    const cap = unique("cap");
    const task = await create({ title: "due soon", capability: cap, deadlineInMs: 30 * MIN });
    expect(task.deadline).toBe(t + 30 * MIN);
    expect(await scheduled(`deadline:${task.id}`)).toBe(t + 30 * MIN);
    await fireAlarm(); // nobody has this capability: it waits
    expect((await get(task.id)).state).toBe("open");
    await setClock(t + 30 * MIN);
    await fireAlarm();
    const view = await get(task.id);
    expect(view).toMatchObject({ state: "expired", reason: "deadline passed" });
    expect(view.history.at(-1)).toMatchObject({ state: "expired", at: t + 30 * MIN, actor: "mind" });
    expect(await scheduled(`deadline:${task.id}`)).toBeNull();
    const flagged = (await coherence()).stalled.find((s) => s.name === cap);
    expect(flagged).toMatchObject({ kind: "capability", stallReason: "missed_deadline", stalledSince: t + 30 * MIN });
  });
});

describe("input and access", () => {
  it("bad input is 400/422, unknown tasks 404, no key 401", async () => {
    await expectError(await call("POST", "/v1/work", { key: bindings.TEST_ROOT_KEY, raw: "{nope", headers: { "Content-Type": "application/json" } }), 400, "invalid_json");
    await expectError(await asRoot("POST", "/v1/work", { title: "x" }), 422, "invalid_input");
    await expectError(await asRoot("POST", "/v1/work", { title: "x", capability: "Not A Cap" }), 422, "invalid_input");
    await expectError(await asRoot("POST", "/v1/work", { title: "x", capability: "c", deadline: T0, deadlineInMs: 5 }), 422, "invalid_input");
    await expectError(await asRoot("POST", "/v1/work", { title: "x", capability: "c", surprise: 1 }), 422, "invalid_input");
    await expectError(await asRoot("GET", "/v1/work?state=sleeping"), 422, "invalid_input");
    await expectError(await asRoot("GET", "/v1/work/t_doesnotexist"), 404, "task_not_found");
    const a = await newAgent("x");
    await expectError(await act(a, "t_doesnotexist", "claim"), 404, "task_not_found");
    await expectError(await act(a, "t_x", "fail", { retryable: true }), 422, "invalid_input");
    await expectError(await call("GET", "/v1/work"), 401, "unauthorized");
  });

  it("helpers need work:read to list and work:write to create", async () => {
    const reader = await helperKey(["work:read"]);
    expect((await call("GET", "/v1/work?limit=1", { key: reader })).status).toBe(200);
    await expectError(await call("POST", "/v1/work", { key: reader, body: { title: "x", capability: "c" } }), 403, "missing_scope");
    const writer = await helperKey(["work:write"]);
    const t = await create({ title: "from the provider", capability: unique("cap") }, writer);
    expect(t.source).toMatch(/^helper:/);
    await expectError(await call("GET", "/v1/mind", { key: writer }), 403, "missing_scope");
    expect((await call("GET", "/v1/mind", { key: await helperKey(["status:read"]) })).status).toBe(200);
    expect((await call("GET", "/v1/mind/coherence", { key: await helperKey(["coherence:read"]) })).status).toBe(200);
  });
});
