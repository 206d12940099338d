import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Bus } from "../../durable/bus/bus.ts";
import { DUE_LEASES } from "../../durable/bus/bus-store.ts";
import { connect } from "../support/bus-socket.ts";
import { asRoot, bindings, call, expectError, newAgent, unique } from "../support/worker-fetch.ts";

const busStub = () => bindings.BUS.get(bindings.BUS.idFromName("bus"));
const setClock = (ms: number | null) =>
  runInDurableObject(busStub(), (bus: Bus) => {
    bus.clock.now = ms === null ? () => Date.now() : () => ms;
  });

describe("bus WebSocket push", () => {
  it("pushes messages of a followed subscription and takes acks on the same socket", async () => {
    const a = await newAgent();
    const topic = unique("push");
    const sub = unique("s");
    expect((await call("PUT", `/v1/bus/subscriptions/${sub}`, { key: a.token, body: { topic } })).status).toBe(201);
    const s = await connect({ Authorization: `Bearer ${a.token}` });
    s.send({ type: "subscribe", subscription: sub, window: 10 });
    await s.next("subscribed");
    expect((await call("POST", `/v1/bus/topics/${topic}/messages`, { key: a.token, body: { body: { hi: 1 } } })).status).toBe(201);
    const pushed = await s.next("messages");
    expect(pushed.subscription).toBe(sub);
    expect(pushed.messages.map((m) => m.body)).toEqual([{ hi: 1 }]);
    s.send({ type: "ack", subscription: sub, ackIds: [pushed.messages[0]!.ackId] });
    const acked = await s.next("acked");
    expect(acked.results).toEqual([{ ackId: pushed.messages[0]!.ackId, result: "acked" }]);
    s.send({ type: "publish", ref: "r1", topic, messages: [{ body: 2 }, { body: 3 }] });
    const published = await s.next("published");
    expect(published.ref).toBe("r1");
    expect(published.results.map((r) => r.seq)).toEqual([2, 3]);
    const more = await s.next("messages");
    expect(more.messages.map((m) => m.body)).toEqual([2, 3]);
    s.ws.close();
  });

  it("flow control: no more than the window is in flight until acks free it", async () => {
    const a = await newAgent();
    const topic = unique("window");
    const sub = unique("s");
    await call("PUT", `/v1/bus/subscriptions/${sub}`, { key: a.token, body: { topic } });
    const batch = Array.from({ length: 5 }, (_, i) => ({ body: i }));
    expect((await call("POST", `/v1/bus/topics/${topic}/messages:batch`, { key: a.token, body: { messages: batch } })).status).toBe(201);
    const s = await connect({ Authorization: `Bearer ${a.token}` });
    s.send({ type: "subscribe", subscription: sub, window: 2 });
    const first = await s.next("messages");
    expect(first.messages.map((m) => m.body)).toEqual([0, 1]);
    s.send({ type: "ping" });
    await s.next("pong"); // the server has handled everything before the ping
    expect(s.frames.filter((f) => f.type === "messages")).toEqual([]);
    s.send({ type: "ack", subscription: sub, ackIds: [first.messages[0]!.ackId] });
    const second = await s.next("messages");
    expect(second.messages.map((m) => m.body)).toEqual([2]);
    s.ws.close();
  });

  it("the alarm redelivers an unacked push after its lease expires", async () => {
    const a = await newAgent();
    const topic = unique("expire");
    const sub = unique("s");
    const t0 = 1_950_000_000_000;
    await setClock(t0);
    try {
      await call("PUT", `/v1/bus/subscriptions/${sub}`, { key: a.token, body: { topic, ackDeadlineMs: 1000 } });
      const s = await connect({ Authorization: `Bearer ${a.token}` });
      s.send({ type: "subscribe", subscription: sub, window: 1 });
      await s.next("subscribed");
      await call("POST", `/v1/bus/topics/${topic}/messages`, { key: a.token, body: { body: "lost" } });
      const first = await s.next("messages");
      expect(first.messages[0]).toMatchObject({ body: "lost", deliveryAttempt: 1 });
      await setClock(t0 + 2000); // past the deadline and the first backoff
      expect(await runDurableObjectAlarm(busStub())).toBe(true);
      const again = await s.next("messages");
      expect(again.messages[0]).toMatchObject({ body: "lost", deliveryAttempt: 2 });
      s.ws.close();
    } finally {
      await setClock(null);
    }
  });

  it("acks that move the earliest lease end within one grain leave the alarm alone (no setAlarm per commit round)", async () => {
    const a = await newAgent();
    const topic = unique("grain");
    const sub = unique("s");
    const t0 = 1_950_000_000_100; // the two leases end at …031100 and …031300: one grain, one alarm at …032000
    await setClock(t0);
    try {
      await call("PUT", `/v1/bus/subscriptions/${sub}`, { key: a.token, body: { topic } });
      const s = await connect({ Authorization: `Bearer ${a.token}` });
      s.send({ type: "subscribe", subscription: sub, window: 10 });
      await s.next("subscribed");
      s.send({ type: "publish", topic, messages: [{ body: 1 }] });
      const first = await s.next("messages");
      await setClock(t0 + 200);
      s.send({ type: "publish", topic, messages: [{ body: 2 }] });
      await s.next("messages");
      const before = await busStub().activity();
      s.send({ type: "ack", subscription: sub, ackIds: [first.messages[0]!.ackId] });
      await s.next("acked");
      const after = await busStub().activity();
      expect(after.commits).toBe(before.commits + 1);
      expect(after.alarmChanges).toBe(before.alarmChanges);
      const alarm = await runInDurableObject(busStub(), (_bus: Bus, state: DurableObjectState) => state.storage.getAlarm());
      expect(alarm).toBe(1_950_000_032_000);
      s.ws.close();
    } finally {
      await setClock(null);
    }
  });

  it("reads a socket's next frames while an earlier frame's commit is being made durable, and answers them in order", async () => {
    const a = await newAgent();
    const topic = unique("pipelined");
    // Every round waits at "made durable" until the test lets go (workerd reads a socket's next
    // frame only once the handler of the previous one has settled).
    let release: (() => void) | null = null;
    let restore: (() => void) | null = null;
    await runInDurableObject(busStub(), (bus: Bus) => {
      const durable = bus.durable;
      const gate = new Promise<void>((r) => (release = r));
      bus.durable = () => gate.then(durable);
      restore = () => (bus.durable = durable);
    });
    try {
      const s = await connect({ Authorization: `Bearer ${a.token}` });
      const before = await busStub().activity();
      for (let i = 1; i <= 5; i++) s.send({ type: "publish", ref: `r${i}`, topic, messages: [{ body: i }] });
      // The first frame's round is held (its reply may leave: workerd's own output gate, not this
      // stand-in, holds replies until a commit is on disk); the four after it are read and wait.
      let queued = 0;
      for (let i = 0; i < 500 && queued < 4; i++) queued = (await busStub().activity()).queued;
      expect(queued).toBe(4);
      await runInDurableObject(busStub(), () => release!());
      const replies = [];
      for (let i = 1; i <= 5; i++) replies.push(await s.next("published"));
      expect(replies.map((r) => [r.ref, r.results[0]!.seq])).toEqual([["r1", 1], ["r2", 2], ["r3", 3], ["r4", 4], ["r5", 5]]);
      expect((await busStub().activity()).commits).toBe(before.commits + 2);
      s.ws.close();
    } finally {
      await runInDurableObject(busStub(), () => {
        release?.();
        restore?.();
      });
    }
  });

  it("a subscription made on a topic already published to is fed its next publish (the topic's subscriptions are not remembered stale)", async () => {
    const a = await newAgent();
    const topic = unique("late");
    const sub = unique("s");
    expect((await call("POST", `/v1/bus/topics/${topic}/messages`, { key: a.token, body: { body: "before" } })).status).toBe(201);
    expect((await call("PUT", `/v1/bus/subscriptions/${sub}`, { key: a.token, body: { topic } })).status).toBe(201);
    const s = await connect({ Authorization: `Bearer ${a.token}` });
    s.send({ type: "subscribe", subscription: sub, window: 10 });
    await s.next("subscribed");
    s.send({ type: "ping" });
    await s.next("pong");
    s.send({ type: "publish", ref: "p", topic, messages: [{ body: "after" }] });
    await s.next("published");
    s.send({ type: "ping" });
    await s.next("pong");
    expect(s.frames.filter((f) => f.type === "messages").flatMap((f) => (f.type === "messages" ? f.messages.map((m) => m.body) : []))).toEqual(["after"]);
    s.ws.close();
  });

  it("finds due leases through (sub, visible_at), not by walking every lease in flight", async () => {
    const plan = await runInDurableObject(busStub(), (_bus: Bus, state: DurableObjectState) =>
      state.storage.sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${DUE_LEASES}`, 1, 0, 10).toArray().map((r) => r.detail),
    );
    expect(plan.join(" | ")).toMatch(/USING (COVERING )?INDEX deliveries_due/);
  });

  it("accepts the key as a subprotocol and answers with seed.bus.v1", async () => {
    const a = await newAgent();
    const s = await connect({ "Sec-WebSocket-Protocol": `seed.bus.v1, seed.key.${a.token}` });
    expect(s.res.headers.get("Sec-WebSocket-Protocol")).toBe("seed.bus.v1");
    s.send({ type: "ping" });
    expect((await s.next("pong")).type).toBe("pong");
    s.ws.close();
  });

  it("revoking the agent closes its open sockets", async () => {
    const a = await newAgent();
    const s = await connect({ Authorization: `Bearer ${a.token}` });
    s.send({ type: "ping" });
    await s.next("pong");
    expect((await asRoot("DELETE", `/v1/owner/agents/${a.id}`)).status).toBe(200);
    expect((await s.closed()).code).toBe(4001);
  });

  it("rejects bad upgrades and bad frames clearly", async () => {
    const a = await newAgent();
    await expectError(await call("GET", "/v1/bus/connect", { headers: { Upgrade: "websocket" } }), 401);
    await expectError(await call("GET", "/v1/bus/connect", { key: a.token }), 426, "upgrade_required");
    const s = await connect({ Authorization: `Bearer ${a.token}` });
    s.ws.send("{nope");
    expect((await s.next("error")).code).toBe("invalid_json");
    s.send({ type: "launch" });
    expect((await s.next("error")).code).toBe("invalid_frame");
    s.send({ type: "subscribe", subscription: unique("missing") });
    expect((await s.next("error")).code).toBe("subscription_not_found");
    s.send({ type: "publish", topic: "inbox.someone", messages: [{ body: 1 }] });
    expect((await s.next("error")).code).toBe("reserved_topic");
    s.send({ type: "ping" });
    await s.next("pong");
    s.ws.close();
  });
});
