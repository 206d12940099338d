// The loop: it rests when nothing is due (no alarm, no cycle), wakes at once on a signed webhook,
// coalesces a burst into few cycles, and retries a cycle that throws.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { EventInfo } from "../../durable/mind/event-store.ts";
import { liveIo } from "../../durable/mind/mind-io.ts";
import type { Mind } from "../../durable/mind/mind.ts";
import type { CycleRecord, Task } from "../../lib/mind/wire.ts";
import { asRoot, call, newAgent, unique } from "../support/worker-fetch.ts";
import { addStandardSource, alarmAt, coherence, DAY, fireAlarm, mindStub, ok, postHook, scheduled, setClock, settle, standardHeaders, status, T0 } from "./mind-support.ts";

const MIN = 60_000;
const hook = (type: string, data: unknown, at: number) => JSON.stringify({ type, timestamp: new Date(at).toISOString(), data });

async function tasksOf(cap: string): Promise<Task[]> {
  return (await ok<{ tasks: Task[] }>(await asRoot("GET", `/v1/work?capability=${cap}&limit=1000`))).tasks;
}

describe("rest and wake", () => {
  it("with nothing due, no alarm is armed and no cycle runs; a stray alarm runs no cycle", async () => {
    await setClock(T0);
    expect(await status()).toMatchObject({ state: "resting", mode: "observe", cycles: 0, lastCycle: null, nextWakeAt: null, openImports: 0, watch: { late: false, reason: null } });
    expect(await alarmAt()).toBeNull();
    expect(await fireAlarm()).toBe(false);
    await runInDurableObject(mindStub(), (_m: Mind, ctx) => ctx.storage.setAlarm(T0));
    expect(await fireAlarm()).toBe(true);
    expect((await status()).cycles).toBe(0);
    expect(await alarmAt()).toBeNull();
    // And with nothing finished, the signal is "no signal", never healthy.
    const report = await coherence();
    expect(report.pulse).toMatchObject({ signal: "no_signal", regime: "no_signal", C: null, backlog: 0, window: { done: 0, failed: 0, expired: 0, ratio: null } });
  });

  it("a signed webhook causes a cycle at once, and its rule turns it into dispatched work", async () => {
    await setClock(T0);
    const cap = unique("fulfil");
    const agent = await newAgent("packer", [cap]);
    const secret = await addStandardSource("shop");
    await ok(await asRoot("POST", "/v1/owner/mind/rules", { source: "shop", event: "order.paid", capability: cap, title: "ship order {{data.order}} for {{data.customer.name}}", priority: 8, deadlineInMs: 60 * MIN }), 201);

    const text = hook("order.paid", { order: 42, customer: { name: "Ada" } }, T0);
    const { eventId } = await ok<{ eventId: string }>(await postHook("shop", text, await standardHeaders(secret, "msg_w1", T0 / 1000, text)), 202);
    expect(await alarmAt()).toBe(T0);
    expect((await status()).nextWakeAt).toBe(T0);

    expect(await fireAlarm()).toBe(true);
    const s = await status();
    expect(s.cycles).toBe(1);
    expect(s.lastCycle).toMatchObject({ ok: true, trigger: ["wake"], did: { events: 1, tasksCreated: 1, dispatched: 1, quarantined: 0 } });
    const [task] = await tasksOf(cap);
    expect(task).toMatchObject({ title: "ship order 42 for Ada", priority: 8, source: "shop", eventId, state: "dispatched", assignee: agent.id, deadline: T0 + 60 * MIN });
    const events = await ok<{ events: EventInfo[] }>(await asRoot("GET", "/v1/owner/mind/events?state=handled"));
    expect(events.events.find((e) => e.id === eventId)).toMatchObject({ tasks: [task!.id], attempts: 1, error: null });
    // Resting again, until the earliest thing that is due: the claim's deadline, five minutes out.
    expect(s.state).toBe("resting");
    expect(await alarmAt()).toBe(T0 + 5 * MIN);

    // An event no rule covers (and no planner) is handled with no work.
    const other = hook("order.viewed", {}, T0);
    const viewed = await ok<{ eventId: string }>(await postHook("shop", other, await standardHeaders(secret, "msg_w2", T0 / 1000, other)), 202);
    await fireAlarm();
    const all = await ok<{ events: EventInfo[] }>(await asRoot("GET", "/v1/owner/mind/events"));
    expect(all.events.find((e) => e.id === viewed.eventId)).toMatchObject({ state: "handled", tasks: [] });

    // Once the work is done, nothing is due: no alarm at all.
    await ok(await call("POST", `/v1/work/${task!.id}/claim`, { key: agent.token }));
    await ok(await call("POST", `/v1/work/${task!.id}/complete`, { key: agent.token, body: { result: "shipped" } }));
    await fireAlarm();
    expect(await alarmAt()).toBeNull();
    expect(await status()).toMatchObject({ state: "resting", nextWakeAt: null });
    const cyclesNow = (await status()).cycles;
    expect(await fireAlarm()).toBe(false);
    expect((await status()).cycles).toBe(cyclesNow);
    expect((await coherence()).pulse).toMatchObject({ signal: "ok", C: 1, regime: "flow", window: { done: 1 } });
  });

  it("500 webhooks in a burst are all handled, in far fewer cycles", async () => {
    const t = T0 + DAY;
    await setClock(t);
    const cap = unique("burst");
    const secret = await addStandardSource("burst");
    await ok(await asRoot("POST", "/v1/owner/mind/rules", { source: "burst", event: "*", capability: cap, title: "item {{data.n}}" }), 201);
    const cyclesBefore = (await status()).cycles;
    const send = async (n: number) => {
      const text = hook("item.created", { n }, t);
      return (await postHook("burst", text, await standardHeaders(secret, `msg_b${n}`, t / 1000, text))).status;
    };
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
    const firstHalf = await Promise.all(range(0, 250).map(send));
    // The second half arrives while the mind is already in a cycle.
    const [secondHalf] = await Promise.all([Promise.all(range(250, 500).map(send)), fireAlarm()]);
    expect([...firstHalf, ...secondHalf].every((s) => s === 202)).toBe(true);
    await settle(t);

    const cycles = (await status()).cycles - cyclesBefore;
    expect(cycles).toBeGreaterThanOrEqual(1);
    expect(cycles).toBeLessThanOrEqual(5);
    const tasks = await tasksOf(cap);
    expect(tasks).toHaveLength(500);
    expect(new Set(tasks.map((x) => x.title)).size).toBe(500);
    expect((await ok<{ events: EventInfo[] }>(await asRoot("GET", "/v1/owner/mind/events?state=pending"))).events).toEqual([]);
  });
});

describe("failures of the loop itself", () => {
  it("a cycle that throws is recorded, retried with backoff, and the loop goes on", async () => {
    const t = T0 + 10 * DAY;
    await setClock(t);
    const cap = unique("fragile");
    const agent = await newAgent("patient", [cap]);
    await runInDurableObject(mindStub(), (m: Mind) => {
      m.io = { ...m.io, listAgents: async () => Promise.reject(new Error("agent registry down")) };
    });
    const task = await ok<Task>(await asRoot("POST", "/v1/work", { title: "needs an agent", capability: cap }), 201);
    await fireAlarm();
    expect((await status()).lastCycle).toMatchObject({ ok: false, error: "Error: agent registry down" });
    // Everything that was due waits one second (then 2, 4 …): retried, not lost, not spinning.
    expect(await scheduled("wake")).toBe(t + 1000);
    expect(await alarmAt()).toBeLessThanOrEqual(t + 1000);

    await setClock(t + 1000);
    await fireAlarm();
    expect((await status()).lastCycle).toMatchObject({ ok: false });
    expect(await scheduled("wake")).toBe(t + 1000 + 2000);

    await runInDurableObject(mindStub(), (m: Mind) => {
      m.io = liveIo(env);
    });
    await setClock(t + 3000);
    await fireAlarm();
    expect((await status()).lastCycle).toMatchObject({ ok: true });
    const got = await ok<Task>(await asRoot("GET", `/v1/work/${task.id}`));
    expect(got).toMatchObject({ state: "dispatched", assignee: agent.id });
    const log = await ok<{ cycles: CycleRecord[] }>(await asRoot("GET", "/v1/owner/mind/cycles?limit=3"));
    expect(log.cycles.map((c) => c.ok)).toEqual([true, false, false]);
  });
});
