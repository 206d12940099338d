import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Bus } from "../../durable/bus/bus.ts";
import type { Delivered } from "../../lib/bus/wire.ts";
import { bindings, call, expectError, newAgent, unique, type TestAgent } from "../support/worker-fetch.ts";

const busStub = () => bindings.BUS.get(bindings.BUS.idFromName("bus"));

/** Drives the Bus object's clock: leases and backoff follow it, not the wall clock. */
async function setClock(ms: number): Promise<void> {
  await runInDurableObject(busStub(), (bus: Bus) => {
    bus.clock.now = () => ms;
  });
}

async function resetClock(): Promise<void> {
  await runInDurableObject(busStub(), (bus: Bus) => {
    bus.clock.now = () => Date.now();
  });
}

async function ok<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

const publish = (a: TestAgent, topic: string, body: unknown, extra: Record<string, unknown> = {}) =>
  call("POST", `/v1/bus/topics/${topic}/messages`, { key: a.token, body: { body, ...extra } });
const subscribe = (a: TestAgent, name: string, body: Record<string, unknown>) => call("PUT", `/v1/bus/subscriptions/${name}`, { key: a.token, body });
const pull = async (a: TestAgent, name: string, body: Record<string, unknown> = {}) =>
  (await ok<{ messages: Delivered[] }>(await call("POST", `/v1/bus/subscriptions/${name}/pull`, { key: a.token, body }))).messages;
const ack = async (a: TestAgent, name: string, ackIds: string[]) =>
  (await ok<{ results: { ackId: string; result: string }[] }>(await call("POST", `/v1/bus/subscriptions/${name}/ack`, { key: a.token, body: { ackIds } }))).results;
const stats = async (a: TestAgent, name: string) =>
  ok<{ backlog: number; inFlight: number; oldestUnackedAgeMs: number | null; deadLetters: number }>(await call("GET", `/v1/bus/subscriptions/${name}/stats`, { key: a.token }));

describe("publish and pull", () => {
  it("delivers a committed message with its sender, then forgets it once acked", async () => {
    const a = await newAgent("pub");
    const b = await newAgent("sub");
    const topic = unique("orders");
    expect((await subscribe(b, unique("s"), { topic })).status).toBe(201);
    const sub = unique("s");
    await ok(await subscribe(b, sub, { topic, startAt: "earliest" }), 201);
    const p = await ok<{ id: string; seq: number }>(await publish(a, topic, { n: 1, from: "forged" }, { headers: { kind: "test" } }), 201);
    expect(p.seq).toBe(1);
    const [m, ...rest] = await pull(b, sub);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ id: p.id, seq: 1, topic, from: a.id, body: { n: 1, from: "forged" }, headers: { kind: "test" }, deliveryAttempt: 1 });
    expect(typeof m!.publishedAt).toBe("number");
    expect(await ack(b, sub, [m!.ackId])).toEqual([{ ackId: m!.ackId, result: "acked" }]);
    expect(await ack(b, sub, [m!.ackId])).toEqual([{ ackId: m!.ackId, result: "unknown" }]);
    expect(await pull(b, sub)).toEqual([]);
    expect(await stats(b, sub)).toMatchObject({ backlog: 0, inFlight: 0, deadLetters: 0 });
  });

  it("an idempotency key stores one message and returns the first id", async () => {
    const a = await newAgent();
    const topic = unique("idem");
    const sub = unique("s");
    await ok(await subscribe(a, sub, { topic }), 201);
    const first = await ok<{ id: string; seq: number }>(await publish(a, topic, "x", { key: "k1" }), 201);
    const again = await ok<{ id: string; seq: number }>(await publish(a, topic, "y", { key: "k1" }), 201);
    expect(again).toEqual(first);
    const batch = await ok<{ results: { id: string; seq: number }[] }>(
      await call("POST", `/v1/bus/topics/${topic}/messages:batch`, { key: a.token, body: { messages: [{ body: 1, key: "k1" }, { body: 2, key: "k2" }, { body: 3, key: "k2" }] } }),
      201,
    );
    expect(batch.results[0]).toEqual(first);
    expect(batch.results[2]).toEqual(batch.results[1]);
    const got = await pull(a, sub, { max: 10 });
    expect(got.map((m) => m.body)).toEqual(["x", 2]);
  });

  it("delivers in seq order across a batch and several pulls", async () => {
    const a = await newAgent();
    const topic = unique("order");
    const sub = unique("s");
    await ok(await subscribe(a, sub, { topic }), 201);
    const messages = Array.from({ length: 50 }, (_, i) => ({ body: i }));
    const r = await ok<{ results: { seq: number }[] }>(await call("POST", `/v1/bus/topics/${topic}/messages:batch`, { key: a.token, body: { messages } }), 201);
    expect(r.results.map((x) => x.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) seen.push(...(await pull(a, sub, { max: 10 })).map((m) => m.body as number));
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("a batch is atomic: one oversized body rejects the whole batch", async () => {
    const a = await newAgent();
    const topic = unique("atomic");
    const sub = unique("s");
    await ok(await subscribe(a, sub, { topic }), 201);
    const big = "x".repeat(256 * 1024);
    await expectError(await call("POST", `/v1/bus/topics/${topic}/messages:batch`, { key: a.token, body: { messages: [{ body: 1 }, { body: big }] } }), 413);
    expect(await stats(a, sub)).toMatchObject({ backlog: 0 });
  });

  it("long-poll returns as soon as a message arrives", async () => {
    const a = await newAgent();
    const topic = unique("lp");
    const sub = unique("s");
    await ok(await subscribe(a, sub, { topic }), 201);
    expect(await pull(a, sub, { waitMs: 0 })).toEqual([]);
    const waiting = pull(a, sub, { waitMs: 20_000 });
    await ok(await publish(a, topic, "wake"), 201);
    const got = await waiting;
    expect(got.map((m) => m.body)).toEqual(["wake"]);
  });
});

describe("leases, redelivery and dead letters (driven clock)", () => {
  it("redelivers after the ack deadline plus backoff; the old ack id is then expired", async () => {
    const a = await newAgent();
    const topic = unique("lease");
    const sub = unique("s");
    const t0 = 1_900_000_000_000;
    await setClock(t0);
    try {
      await ok(await subscribe(a, sub, { topic, ackDeadlineMs: 1000, maxDeliveries: 5 }), 201);
      await ok(await publish(a, topic, "work"), 201);
      const [first] = await pull(a, sub);
      expect(first!.deliveryAttempt).toBe(1);
      expect(await stats(a, sub)).toMatchObject({ inFlight: 1, backlog: 0 });
      await setClock(t0 + 1000);
      expect(await pull(a, sub)).toEqual([]); // deadline passed, backoff (1 s) not yet
      await setClock(t0 + 2000);
      const [second] = await pull(a, sub);
      expect(second).toMatchObject({ seq: first!.seq, deliveryAttempt: 2 });
      expect(second!.ackId).not.toBe(first!.ackId);
      expect(await ack(a, sub, [first!.ackId])).toEqual([{ ackId: first!.ackId, result: "expired" }]);
      expect(await ack(a, sub, [second!.ackId])).toEqual([{ ackId: second!.ackId, result: "acked" }]);
      await setClock(t0 + 60_000);
      expect(await pull(a, sub)).toEqual([]);
    } finally {
      await resetClock();
    }
  });

  it("after maxDeliveries the message moves to <topic>.dead with the reason", async () => {
    const a = await newAgent();
    const topic = unique("dl");
    const sub = unique("s");
    const dead = unique("d");
    const t0 = 1_900_000_000_000;
    await setClock(t0);
    try {
      await ok(await subscribe(a, sub, { topic, ackDeadlineMs: 1000, maxDeliveries: 2 }), 201);
      await ok(await subscribe(a, dead, { topic: `${topic}.dead`, startAt: "earliest" }), 201);
      const p = await ok<{ id: string }>(await publish(a, topic, { job: 7 }), 201);
      expect((await pull(a, sub))[0]!.deliveryAttempt).toBe(1);
      await setClock(t0 + 2_000);
      expect((await pull(a, sub))[0]!.deliveryAttempt).toBe(2);
      await setClock(t0 + 10_000);
      expect(await pull(a, sub)).toEqual([]);
      expect(await stats(a, sub)).toMatchObject({ deadLetters: 1, backlog: 0, inFlight: 0 });
      const [d] = await pull(a, dead);
      expect(d!.body).toEqual({ job: 7 });
      expect(d!.from).toBe(a.id);
      expect(d!.headers).toMatchObject({ "x-dead-reason": "not acknowledged after 2 deliveries", "x-original-id": p.id, "x-original-topic": topic });
    } finally {
      await resetClock();
    }
  });

  it("nack makes a message due again after its delay", async () => {
    const a = await newAgent();
    const topic = unique("nack");
    const sub = unique("s");
    const t0 = 1_900_000_000_000;
    await setClock(t0);
    try {
      await ok(await subscribe(a, sub, { topic, ackDeadlineMs: 60_000 }), 201);
      await ok(await publish(a, topic, "retry me"), 201);
      const [m] = await pull(a, sub);
      const r = await ok<{ results: { result: string }[] }>(await call("POST", `/v1/bus/subscriptions/${sub}/nack`, { key: a.token, body: { ackIds: [m!.ackId, "999.1.nope"], delayMs: 5000 } }));
      expect(r.results.map((x) => x.result)).toEqual(["nacked", "unknown"]);
      expect(await pull(a, sub)).toEqual([]);
      await setClock(t0 + 5000);
      expect((await pull(a, sub))[0]).toMatchObject({ body: "retry me", deliveryAttempt: 2 });
    } finally {
      await resetClock();
    }
  });
});

describe("ownership, inboxes, seek, retention", () => {
  it("subscription names belong to their owner: the same name is another subscription for each caller (issue 9 item 10)", async () => {
    const a = await newAgent();
    const b = await newAgent();
    const topicA = unique("mine");
    const topicB = unique("theirs");
    const sub = unique("mx-bar");
    await ok(await subscribe(a, sub, { topic: topicA }), 201);
    // Before: b's PUT of the same name was 403 `not_your_subscription`; the owner's blocked everyone.
    await ok(await subscribe(b, sub, { topic: topicB }), 201);
    await ok(await call("PUT", `/v1/bus/subscriptions/${sub}`, { key: bindings.TEST_ROOT_KEY, body: { topic: topicB } }), 201);
    await ok(await publish(a, topicA, "for a"), 201);
    await ok(await publish(b, topicB, "for b"), 201);
    expect((await pull(a, sub)).map((m) => m.body)).toEqual(["for a"]);
    expect((await pull(b, sub)).map((m) => m.body)).toEqual(["for b"]);
    // Each sees only its own: deleting b's leaves a's; another owner's name is simply not there.
    await ok(await call("DELETE", `/v1/bus/subscriptions/${sub}`, { key: b.token }));
    await expectError(await call("POST", `/v1/bus/subscriptions/${sub}/pull`, { key: b.token, body: {} }), 404, "subscription_not_found");
    await expectError(await call("GET", `/v1/bus/subscriptions/${sub}/stats`, { key: b.token }), 404);
    expect((await stats(a, sub)).inFlight).toBe(1);
    const listed = await ok<{ subscriptions: { name: string; topic: string }[] }>(await call("GET", "/v1/bus/subscriptions", { key: a.token }));
    expect(listed.subscriptions.filter((x) => x.name === sub)).toEqual([expect.objectContaining({ topic: topicA })]);
    await expectError(await call("POST", `/v1/bus/subscriptions/${unique("nope")}/pull`, { key: a.token, body: {} }), 404, "subscription_not_found");
  });

  it("direct messages reach only the addressee's inbox", async () => {
    const a = await newAgent();
    const b = await newAgent();
    await ok(await call("POST", `/v1/bus/agents/${b.id}/inbox`, { key: a.token, body: { body: { hello: "b" } } }), 201);
    expect(await pull(a, "inbox")).toEqual([]);
    const [m] = await pull(b, "inbox");
    expect(m).toMatchObject({ body: { hello: "b" }, from: a.id, topic: `inbox.${b.id}` });
    await expectError(await call("POST", `/v1/bus/agents/nosuchagent00000/inbox`, { key: a.token, body: { body: 1 } }), 404);
    await expectError(await publish(a, `inbox.${b.id}`, "sneak"), 403, "reserved_topic");
    await expectError(await subscribe(a, unique("spy"), { topic: `inbox.${b.id}` }), 403, "reserved_topic");
  });

  it("seek replays from a seq or a time", async () => {
    const a = await newAgent();
    const topic = unique("seek");
    const sub = unique("s");
    await ok(await subscribe(a, sub, { topic }), 201);
    for (const n of [1, 2, 3]) await ok(await publish(a, topic, n), 201);
    const got = await pull(a, sub, { max: 10 });
    await ack(a, sub, got.map((m) => m.ackId));
    await ok(await call("POST", `/v1/bus/subscriptions/${sub}/seek`, { key: a.token, body: { seq: 2 } }));
    expect((await pull(a, sub, { max: 10 })).map((m) => m.body)).toEqual([2, 3]);
    await ok(await call("POST", `/v1/bus/subscriptions/${sub}/seek`, { key: a.token, body: { time: 0 } }));
    expect((await pull(a, sub, { max: 10 })).map((m) => m.body)).toEqual([1, 2, 3]);
  });

  it("retention keeps at most maxMessages per topic", async () => {
    const a = await newAgent();
    const topic = unique("ret");
    await ok(await call("PUT", `/v1/bus/topics/${topic}`, { key: a.token, body: { maxMessages: 3 } }));
    for (const n of [1, 2, 3, 4, 5]) await ok(await publish(a, topic, n), 201);
    const sub = unique("s");
    await ok(await subscribe(a, sub, { topic, startAt: "earliest" }), 201);
    expect((await pull(a, sub, { max: 10 })).map((m) => m.body)).toEqual([3, 4, 5]);
  });
});

describe("time-based limits (driven clock)", () => {
  it("retention by age drops old messages when the alarm sweeps", async () => {
    const a = await newAgent();
    const topic = unique("age");
    const t0 = 1_960_000_000_000;
    await setClock(t0);
    try {
      await ok(await call("PUT", `/v1/bus/topics/${topic}`, { key: a.token, body: { maxAgeMs: 1000 } }));
      await ok(await publish(a, topic, "old"), 201);
      await setClock(t0 + 1500);
      await ok(await publish(a, topic, "new"), 201);
      expect(await runDurableObjectAlarm(busStub())).toBe(true);
      const sub = unique("s");
      await ok(await subscribe(a, sub, { topic, startAt: "earliest" }), 201);
      expect((await pull(a, sub, { max: 10 })).map((m) => m.body)).toEqual(["new"]);
    } finally {
      await resetClock();
    }
  });

  it("an idempotency key is remembered for 24 hours, then a new message is stored", async () => {
    const a = await newAgent();
    const topic = unique("idem24");
    const t0 = 1_970_000_000_000;
    await setClock(t0);
    try {
      const first = await ok<{ seq: number }>(await publish(a, topic, 1, { key: "daily" }), 201);
      await setClock(t0 + 24 * 3600_000 - 1);
      expect(await ok<{ seq: number }>(await publish(a, topic, 2, { key: "daily" }), 201)).toEqual(first);
      await setClock(t0 + 24 * 3600_000 + 1);
      expect((await ok<{ seq: number }>(await publish(a, topic, 3, { key: "daily" }), 201)).seq).toBe(first.seq + 1);
    } finally {
      await resetClock();
    }
  });
});

describe("bad input", () => {
  it("answers each with a clear 4xx", async () => {
    const a = await newAgent();
    const topic = unique("bad");
    const sub = unique("s");
    await ok(await subscribe(a, sub, { topic }), 201);
    await expectError(await publish(a, "Bad_Topic", 1), 422, "invalid_input");
    await expectError(await call("POST", `/v1/bus/topics/${topic}/messages`, { key: a.token, raw: "{not json" }), 400, "invalid_json");
    await expectError(await call("POST", `/v1/bus/topics/${topic}/messages`, { key: a.token, body: { nobody: 1 } }), 422);
    await expectError(await publish(a, topic, "x".repeat(300 * 1024)), 413);
    for (const body of [{ max: 0 }, { max: 1001 }, { waitMs: -1 }, { waitMs: 30_001 }, { max: "3" }]) {
      await expectError(await call("POST", `/v1/bus/subscriptions/${sub}/pull`, { key: a.token, body }), 422);
    }
    await expectError(await call("POST", `/v1/bus/subscriptions/${sub}/ack`, { key: a.token, body: { ackIds: [] } }), 422);
    await expectError(await subscribe(a, unique("s"), { topic, ackDeadlineMs: 5 }), 422);
    await expectError(await subscribe(a, unique("s"), { topic, startAt: "middle" }), 422);
    await expectError(await subscribe(a, "inbox", { topic }), 409);
    await expectError(await subscribe(a, sub, { topic: unique("other") }), 409, "topic_mismatch");
    await expectError(await call("POST", `/v1/bus/subscriptions/${sub}/seek`, { key: a.token, body: {} }), 422);
    await expectError(await call("POST", `/v1/bus/topics/${topic}/messages`, { body: { body: 1 } }), 401);
    // Nothing accepted before was lost.
    await ok(await publish(a, topic, "still here"), 201);
    expect((await pull(a, sub)).map((m) => m.body)).toEqual(["still here"]);
  });
});
