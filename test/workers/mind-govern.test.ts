// Observe flags and alerts; govern also acts on the flags: it holds dispatch to a stalled agent
// and re-dispatches that agent's work to another agent with the capability.
import { describe, expect, it } from "vitest";
import type { Delivered } from "../../lib/bus/wire.ts";
import type { Task } from "../../lib/mind/wire.ts";
import { asRoot, call, expectError, newAgent, unique, type TestAgent } from "../support/worker-fetch.ts";
import { coherence, fireAlarm, ok, setClock, status, T0 } from "./mind-support.ts";

const MIN = 60_000;
const create = async (body: Record<string, unknown>) => ok<Task>(await asRoot("POST", "/v1/work", body), 201);
const get = async (id: string) => ok<Task>(await asRoot("GET", `/v1/work/${id}`));
const act = (a: TestAgent, id: string, action: string, body?: unknown) => call("POST", `/v1/work/${id}/${action}`, { key: a.token, body });

describe("observe, then govern", () => {
  it("an agent that let a deadline pass is flagged (observe: alert only); in govern its work moves to another agent", async () => {
    await setClock(T0);
    const watcher = await newAgent("govern-watch");
    await ok(await call("PUT", "/v1/bus/subscriptions/alerts", { key: watcher.token, body: { topic: "seed.alerts", startAt: "earliest" } }), 201);
    const cap = unique("ledgerwork");
    const slow = await newAgent("slowpoke", [cap]);
    const urgent = await create({ title: "urgent", capability: cap, deadlineInMs: 4 * MIN });
    const steady = await create({ title: "steady", capability: cap });
    await fireAlarm();
    expect((await get(urgent.id)).assignee).toBe(slow.id);
    expect((await get(steady.id)).assignee).toBe(slow.id);
    await ok(await act(slow, urgent.id, "claim"));
    await ok(await act(slow, steady.id, "claim"));

    // The deadline passes while the agent sits on it.
    await setClock(T0 + 4 * MIN);
    await fireAlarm();
    expect((await get(urgent.id)).state).toBe("expired");
    const flagged = (await coherence()).stalled.find((s) => s.kind === "agent" && s.name === slow.id);
    expect(flagged).toMatchObject({ stallReason: "missed_deadline", stalledSince: T0 + 4 * MIN, open: 1 });
    // Observe: the agent keeps its work; an alert says what happened.
    expect(await get(steady.id)).toMatchObject({ state: "claimed", assignee: slow.id });
    const alerts = (await ok<{ messages: Delivered[] }>(await call("POST", "/v1/bus/subscriptions/alerts/pull", { key: watcher.token, body: {} }))).messages.map((m) => m.body);
    expect(alerts).toContainEqual(expect.objectContaining({ type: "subsystem.stalled", mode: "observe", subsystem: { kind: "agent", name: slow.id }, reason: "missed_deadline" }));

    // A second agent with the capability arrives; the owner switches to govern.
    const fresh = await newAgent("fresh", [cap]);
    await ok(await asRoot("POST", "/v1/owner/mind/mode", { mode: "govern" }));
    await setClock(T0 + 4 * MIN + 1000);
    const next = await create({ title: "next", capability: cap });
    await fireAlarm();
    expect((await status()).lastCycle).toMatchObject({ ok: true, did: { held: 1, redispatched: 1 } });
    expect(await get(steady.id)).toMatchObject({ state: "dispatched", assignee: fresh.id, attempts: 2 });
    expect(await get(next.id)).toMatchObject({ state: "dispatched", assignee: fresh.id });
    await expectError(await act(slow, steady.id, "complete"), 409, "not_assignee");

    // Without the hold, `next` would have gone to the held agent: it had nothing in hand, `fresh` had one.
    await ok(await asRoot("POST", "/v1/owner/mind/mode", { mode: "observe" }));
  });
});
