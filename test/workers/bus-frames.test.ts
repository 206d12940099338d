// Socket frames follow the rules HTTP enforces (issue 9 item 7), and every action a helper key
// takes over a socket is in the audit ledger like its HTTP equivalent (item 1).
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Bus } from "../../durable/bus/bus.ts";
import { connect } from "../support/bus-socket.ts";
import { auditOf, grantHelper } from "../support/membrane.ts";
import { bindings, call, newAgent, unique } from "../support/worker-fetch.ts";

const busStub = () => bindings.BUS.get(bindings.BUS.idFromName("bus"));
const storedOn = (topic: string) =>
  runInDurableObject(busStub(), (bus: Bus) => bus.store.sql.exec<{ n: number }>("SELECT count(*) AS n FROM messages WHERE topic = ?", topic).one().n);

describe("socket frames take the HTTP rules", () => {
  it("a helper with bus:publish:foo.* cannot publish to names HTTP refuses, and an agent not to \"\"", async () => {
    const prefix = unique("foo");
    const h = await grantHelper([`bus:publish:${prefix}.*`]);
    const a = await newAgent();
    const hs = await connect({ Authorization: `Bearer ${h.token}` });
    const as = await connect({ Authorization: `Bearer ${a.token}` });
    const bad = [`${prefix}.UPPER/../bar`, `${prefix}.${"x".repeat(5000)}`, `${prefix}.a\nb`, `${prefix}.a\u0000b`, `${prefix}.é`];
    for (const topic of bad) {
      hs.send({ type: "publish", ref: "r", topic, messages: [{ body: 1 }] });
      const reply = await hs.replyOrClose(["published", "error"]);
      expect(reply).toMatchObject({ type: "error", code: "invalid_frame", status: 422 });
      expect((reply as { message: string }).message).toMatch(/^frame\.topic: /);
      expect(await storedOn(topic)).toBe(0);
      // The same names over HTTP: 422 too (one schema per wire concept).
      expect((await call("POST", `/v1/bus/topics/${encodeURIComponent(topic)}/messages`, { key: a.token, body: { body: 1 } })).status).toBe(422);
    }
    as.send({ type: "publish", ref: "r", topic: "", messages: [{ body: 1 }] });
    expect(await as.replyOrClose(["published", "error"])).toMatchObject({ type: "error", code: "invalid_frame", status: 422 });
    // Within its scope the helper publishes; the socket still works after the refusals.
    hs.send({ type: "publish", ref: "ok", topic: `${prefix}.fine`, messages: [{ body: 1 }] });
    expect(await hs.next("published")).toMatchObject({ ref: "ok" });
    hs.send({ type: "publish", ref: "out", topic: unique("elsewhere"), messages: [{ body: 1 }] });
    expect(await hs.next("error")).toMatchObject({ ref: "out", code: "missing_scope", status: 403 });
    hs.ws.close();
    as.ws.close();
  });

  it("JSON deeper than 64 levels, bad subscription names and bad ack ids are refused; nothing breaks", async () => {
    const a = await newAgent();
    const topic = unique("deep");
    const s = await connect({ Authorization: `Bearer ${a.token}` });
    const deep = `{"type":"publish","topic":"${topic}","messages":[{"body":${"[".repeat(5000)}${"]".repeat(5000)}}]}`;
    s.send(deep);
    expect(await s.next("error")).toMatchObject({ code: "json_too_deep", status: 422 });
    for (const frame of [
      { type: "subscribe", subscription: "" },
      { type: "subscribe", subscription: "../x" },
      { type: "ack", subscription: "s", ackIds: ["x".repeat(201)] },
      { type: "ack", subscription: "s", ackIds: [7] },
      { type: "nack", subscription: "s", ackIds: ["1.1.a"], delayMs: -1 },
      { type: "subscribe", subscription: "s", window: 0 },
    ]) {
      s.send(frame);
      expect(await s.next("error")).toMatchObject({ code: "invalid_frame", status: 422 });
    }
    s.send("x".repeat(1024 * 1024 + 1));
    expect(await s.next("error")).toMatchObject({ code: "frame_too_large", status: 413 });
    s.send({ type: "publish", ref: "big", topic, messages: [{ body: "x".repeat(300 * 1024) }] });
    expect(await s.next("error")).toMatchObject({ ref: "big", code: "body_too_large", status: 413 });
    expect(await storedOn(topic)).toBe(0);
    s.send({ type: "ping" });
    await s.next("pong");
    s.ws.close();
  });
});

describe("a helper's socket is audited frame by frame", () => {
  it("publish, subscribe, the messages pushed to it, ack and a refused frame each have a row", async () => {
    const prefix = unique("aud");
    const topic = `${prefix}.events`;
    const sub = unique("watch");
    const h = await grantHelper([`bus:publish:${prefix}.*`, `bus:read:${prefix}.*`]);
    expect((await call("PUT", `/v1/bus/subscriptions/${sub}`, { key: h.token, body: { topic } })).status).toBe(201);
    const s = await connect({ "Sec-WebSocket-Protocol": `seed.bus.v1, seed.key.${h.token}` });
    s.send({ type: "subscribe", subscription: sub, window: 10 });
    await s.next("subscribed");
    s.send({ type: "publish", ref: "p", topic, messages: [{ body: 1 }, { body: 2 }] });
    await s.next("published");
    const pushed = await s.next("messages");
    s.send({ type: "ack", subscription: sub, ackIds: pushed.messages.map((m) => m.ackId) });
    await s.next("acked");
    s.send({ type: "publish", topic: "Nope", messages: [{ body: 1 }] });
    await s.next("error");
    s.send({ type: "ping" }); // not an action: no row
    await s.next("pong");
    s.ws.close();
    const rows = (await auditOf(h.id)).filter((r) => r.action === "frame");
    const seen = rows.map((r) => ({ method: r.method, route: r.route, status: r.status, scope: r.scope, frame: (JSON.parse(r.detail!) as { frame: string }).frame }));
    // The push of the published messages commits with the publish, so its row may come first.
    const byFrame = (x: { frame: string }, y: { frame: string }) => x.frame.localeCompare(y.frame);
    expect(seen.sort(byFrame)).toEqual(
      [
        { method: "WS", route: "/v1/bus/connect", status: 200, scope: `bus:read:${topic}`, frame: "subscribe" },
        { method: "WS", route: "/v1/bus/connect", status: 201, scope: `bus:publish:${topic}`, frame: "publish" },
        { method: "WS", route: "/v1/bus/connect", status: 200, scope: `bus:read:${topic}`, frame: "messages" },
        { method: "WS", route: "/v1/bus/connect", status: 200, scope: null, frame: "ack" },
        { method: "WS", route: "/v1/bus/connect", status: 422, scope: null, frame: "invalid" },
      ].sort(byFrame),
    );
  });
});
