// Poison events: one whose handling fails, and one whose cycles die, are both quarantined with
// their error after a few tries while everything else keeps flowing.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { EventInfo } from "../../durable/mind/event-store.ts";
import type { Mind } from "../../durable/mind/mind.ts";
import type { Delivered } from "../../lib/bus/wire.ts";
import type { CycleRecord, Task } from "../../lib/mind/wire.ts";
import { asRoot, call, newAgent, unique } from "../support/worker-fetch.ts";
import { addStandardSource, fireAlarm, mindStub, ok, postHook, scheduled, setClock, standardHeaders, status, T0 } from "./mind-support.ts";

const hook = (type: string, data: unknown) => JSON.stringify({ type, timestamp: new Date(T0).toISOString(), data });
const events = async (state?: string) => (await ok<{ events: EventInfo[] }>(await asRoot("GET", `/v1/owner/mind/events${state ? `?state=${state}` : ""}`))).events;
const lastCycles = async (n: number) => (await ok<{ cycles: CycleRecord[] }>(await asRoot("GET", `/v1/owner/mind/cycles?limit=${n}`))).cycles;

describe("poison events", () => {
  it("an event whose cycles keep dying is tried alone, then quarantined; the loop goes on", async () => {
    await setClock(T0);
    const watcher = await newAgent("poison-watch");
    await ok(await call("PUT", "/v1/bus/subscriptions/alerts", { key: watcher.token, body: { topic: "seed.alerts", startAt: "earliest" } }), 201);
    const secret = await addStandardSource("crashy");
    // No rule covers it, so it goes to the planner — whose binding blows up the whole cycle.
    await ok(await asRoot("PUT", "/v1/owner/mind/planner", { model: "any-model" }));
    await runInDurableObject(mindStub(), (m: Mind) => {
      m.io = { ...m.io, llm: () => { throw new Error("binding crashed"); } };
    });
    const text = hook("mystery.thing", {});
    const { eventId } = await ok<{ eventId: string }>(await postHook("crashy", text, await standardHeaders(secret, "m1", T0 / 1000, text)), 202);

    const times = [T0, T0 + 1000, T0 + 3000, T0 + 7000];
    for (const t of times.slice(0, 3)) {
      await setClock(t);
      await fireAlarm();
      expect((await status()).lastCycle).toMatchObject({ ok: false, error: "Error: binding crashed" });
    }
    expect((await events("pending")).find((e) => e.id === eventId)).toMatchObject({ attempts: 3, error: null });

    await setClock(times[3]!);
    await fireAlarm();
    expect((await status()).lastCycle).toMatchObject({ ok: true, did: { quarantined: 1 } });
    const q = (await events("quarantined")).find((e) => e.id === eventId);
    expect(q).toMatchObject({ attempts: 3, error: "cycles handling it failed 3 times without finishing" });
    const pulled = await ok<{ messages: Delivered[] }>(await call("POST", "/v1/bus/subscriptions/alerts/pull", { key: watcher.token, body: {} }));
    expect(pulled.messages.map((m) => m.body)).toContainEqual(expect.objectContaining({ type: "event.quarantined", eventId, source: "crashy" }));

    // The loop keeps going: a later event that a rule covers is turned into work.
    const cap = unique("after");
    await ok(await asRoot("POST", "/v1/owner/mind/rules", { source: "crashy", event: "known.thing", capability: cap, title: "known" }), 201);
    const next = hook("known.thing", {});
    await ok(await postHook("crashy", next, await standardHeaders(secret, "m2", T0 / 1000, next)), 202);
    await fireAlarm();
    expect((await status()).lastCycle).toMatchObject({ ok: true, did: { events: 1, tasksCreated: 1 } });
    await ok(await asRoot("DELETE", "/v1/owner/mind/planner"));
  });

  it("an event that cannot make a valid task fails alone, is retried with backoff, then quarantined", async () => {
    const t = T0 + 3_600_000;
    await setClock(t);
    const cap = unique("titled");
    const secret = await addStandardSource("titles");
    await ok(await asRoot("POST", "/v1/owner/mind/rules", { source: "titles", event: "*", capability: cap, title: "{{data.title}}" }), 201);
    const poison = hook("doc.created", { title: "x".repeat(600) });
    const good = hook("doc.created", { title: "a normal title" });
    const p = await ok<{ eventId: string }>(await postHook("titles", poison, await standardHeaders(secret, "p1", t / 1000, poison)), 202);
    await ok(await postHook("titles", good, await standardHeaders(secret, "g1", t / 1000, good)), 202);

    await fireAlarm();
    // The good one went through in the same cycle; the cycle itself did not fail.
    expect((await status()).lastCycle).toMatchObject({ ok: true, did: { events: 1, tasksCreated: 1 } });
    const tasks = (await ok<{ tasks: Task[] }>(await asRoot("GET", `/v1/work?capability=${cap}`))).tasks;
    expect(tasks.map((x) => x.title)).toEqual(["a normal title"]);
    const first = (await events("pending")).find((e) => e.id === p.eventId)!;
    expect(first).toMatchObject({ attempts: 1 });
    expect(first.error).toMatch(/makes an invalid task: title: /);
    expect(await scheduled("event-retry")).toBe(t + 1000);

    await setClock(t + 1000);
    await fireAlarm();
    expect(await scheduled("event-retry")).toBe(t + 1000 + 2000);
    await setClock(t + 3000);
    await fireAlarm();
    expect((await events("quarantined")).find((e) => e.id === p.eventId)).toMatchObject({ attempts: 3, error: expect.stringMatching(/title/) });
    expect(await scheduled("event-retry")).toBeNull();
    expect((await lastCycles(3)).every((c) => c.ok)).toBe(true);
  });
});
