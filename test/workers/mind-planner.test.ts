// The optional LLM planner: a real chat-completions server on loopback (test/support/llm-server.ts)
// reached only through the LLM service binding, its key an encrypted credential.
import { describe, expect, it } from "vitest";
import type { EventInfo } from "../../durable/mind/event-store.ts";
import { masterKeyFromHex, setCredential } from "../../lib/credentials.ts";
import type { Task } from "../../lib/mind/wire.ts";
import { openDb } from "../../lib/db/client.ts";
import { asRoot, bindings, expectError, newAgent, unique } from "../support/worker-fetch.ts";
import { addStandardSource, fireAlarm, ok, postHook, setClock, standardHeaders, status, T0 } from "./mind-support.ts";

const llm = bindings as typeof bindings & { TEST_LLM_HOST: string; TEST_LLM_TOKEN: string };
const hook = (type: string, data: unknown) => JSON.stringify({ type, timestamp: new Date(T0).toISOString(), data });
type Seen = { model: string; host: string; authorized: boolean; events: number };
const seen = async () => (await (await bindings.LLM!.fetch("http://llm.test/requests")).json()) as Seen[];
const events = async () => (await ok<{ events: EventInfo[] }>(await asRoot("GET", "/v1/owner/mind/events?limit=1000"))).events;

let n = 0;
async function send(source: string, secret: string, t: number, type: string, data: unknown): Promise<string> {
  const text = hook(type, data);
  return (await ok<{ eventId: string }>(await postHook(source, text, await standardHeaders(secret, `pl-${n++}`, t / 1000, text)), 202)).eventId;
}

describe("the LLM planner", () => {
  it("plans the events no rule covers, through the LLM binding, with the credential as its key", async () => {
    await setClock(T0);
    const cap = unique("triage");
    const agent = await newAgent("triager", [cap]);
    const credential = unique("llm-key");
    await setCredential(openDb(bindings) as never, masterKeyFromHex(bindings.SEED_MASTER_KEY), { name: credential, host: llm.TEST_LLM_HOST, secret: llm.TEST_LLM_TOKEN });
    const config = await ok<{ planner: Record<string, unknown> }>(await asRoot("PUT", "/v1/owner/mind/planner", { model: "keyed-planner", credential }));
    expect(config.planner).toEqual({ model: "keyed-planner", credential, path: "/v1/chat/completions", enabled: true, maxEvents: 50 });
    expect((await ok<{ planner: unknown }>(await asRoot("GET", "/v1/owner/mind/planner"))).planner).toEqual(config.planner);

    const secret = await addStandardSource("support");
    const opened = await send("support", secret, T0, "ticket.opened", { needs: cap, text: "invoice missing" });
    const viewed = await send("support", secret, T0, "ticket.viewed", { plan: "none" });
    const odd = await send("support", secret, T0, "ticket.odd", { needs: "nobody-has-this" });
    await fireAlarm();

    expect((await status()).lastCycle).toMatchObject({ ok: true, did: { events: 3, tasksCreated: 1, plannerRejected: 1, dispatched: 1 } });
    const [task, ...rest] = (await ok<{ tasks: Task[] }>(await asRoot("GET", `/v1/work?capability=${cap}`))).tasks;
    expect(rest).toEqual([]);
    expect(task).toMatchObject({ title: "planned: ticket.opened", priority: 7, source: "support", eventId: opened, state: "dispatched", assignee: agent.id });
    expect(task!.payload).toMatchObject({ event: opened, type: "ticket.opened", plannedBy: "keyed-planner", data: { needs: cap } });
    const all = await events();
    for (const id of [viewed, odd]) expect(all.find((e) => e.id === id)).toMatchObject({ state: "handled", tasks: [] });

    const call = (await seen()).filter((s) => s.model === "keyed-planner");
    expect(call).toEqual([{ model: "keyed-planner", host: llm.TEST_LLM_HOST, authorized: true, events: 3 }]);
  });

  it("an answer that is not JSON fails those events alone: retried, then quarantined", async () => {
    const t = T0 + 3_600_000;
    await setClock(t);
    await ok(await asRoot("PUT", "/v1/owner/mind/planner", { model: "plain-model" }));
    const secret = await addStandardSource("chatty");
    const bad = await send("chatty", secret, t, "note.added", { plan: "garbage" });
    await fireAlarm();
    expect((await status()).lastCycle).toMatchObject({ ok: true });
    expect((await events()).find((e) => e.id === bad)).toMatchObject({ state: "pending", attempts: 1, error: "the planner's answer is not JSON" });
    for (const dt of [1000, 3000]) {
      await setClock(t + dt);
      await fireAlarm();
    }
    expect((await events()).find((e) => e.id === bad)).toMatchObject({ state: "quarantined", attempts: 3, error: "the planner's answer is not JSON" });
  });

  it("a refusing endpoint or a missing credential is the events' error, not the loop's", async () => {
    const t = T0 + 2 * 3_600_000;
    await setClock(t);
    const secret = await addStandardSource("refused");
    await ok(await asRoot("PUT", "/v1/owner/mind/planner", { model: "keyed-but-no-key" }));
    const a = await send("refused", secret, t, "x.y", { needs: "anything" });
    await fireAlarm();
    expect((await events()).find((e) => e.id === a)).toMatchObject({ state: "pending", error: "the LLM endpoint answered 401" });
    await ok(await asRoot("PUT", "/v1/owner/mind/planner", { model: "plain-model", credential: "no-such-credential" }));
    const b = await send("refused", secret, t, "x.z", {});
    await fireAlarm();
    expect((await events()).find((e) => e.id === b)).toMatchObject({ state: "pending", error: "the credential no-such-credential does not exist" });
    expect((await status()).lastCycle).toMatchObject({ ok: true });
    await ok(await asRoot("DELETE", "/v1/owner/mind/planner"));
  });

  it("refuses a bad planner configuration", async () => {
    await expectError(await asRoot("PUT", "/v1/owner/mind/planner", { model: "" }), 422, "invalid_input");
    await expectError(await asRoot("PUT", "/v1/owner/mind/planner", { model: "m", credential: "Not Valid" }), 422, "invalid_input");
    await expectError(await asRoot("PUT", "/v1/owner/mind/planner", { model: "m", path: "http://elsewhere/x" }), 422, "invalid_input");
  });
});
