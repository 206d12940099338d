// Issue 9 item 1: a revoked key kept a live socket that could still publish. With WebSocket
// upgrades in flight during a revoke, sockets were accepted after the revoke had returned, never
// closed, and their publish frames were acted on (and delivered) long after. Must hold: after a
// revoke returns, no frame or Bus call of that key is acted on and every socket of it is closed.
import { describe, expect, it } from "vitest";
import type { Bus } from "../../durable/bus/bus.ts";
import type { BusCaller } from "../../lib/bus/wire.ts";
import { socketOf } from "../support/bus-socket.ts";
import { grantHelper } from "../support/membrane.ts";
import { asRoot, bindings, call, newAgent, unique } from "../support/worker-fetch.ts";

const busStub = () => bindings.BUS.get(bindings.BUS.idFromName("bus")) as DurableObjectStub<Bus>;

/** What the Worker hands the Bus for an upgrade it authenticated. */
const upgradeFor = (caller: BusCaller) =>
  busStub().fetch(new Request("http://bus/connect", { headers: { Upgrade: "websocket", "x-seed-caller": JSON.stringify(caller) } }));

/** Messages on `topic` sent by `keyId`, read through a fresh subscription from the start. */
async function sentBy(topic: string, keyIds: string[]): Promise<number> {
  const reader = await newAgent("reader");
  const sub = unique("audit-reader");
  expect((await call("PUT", `/v1/bus/subscriptions/${sub}`, { key: reader.token, body: { topic, startAt: "earliest" } })).status).toBe(201);
  const res = await call("POST", `/v1/bus/subscriptions/${sub}/pull`, { key: reader.token, body: { max: 1000 } });
  const { messages } = (await res.json()) as { messages: { from: string }[] };
  return messages.filter((m) => keyIds.includes(m.from)).length;
}

describe("revoking a key while its sockets open", () => {
  it("an upgrade the Worker authenticated before the revoke, reaching the Bus after it, is refused", async () => {
    const topic = unique("rv.late");
    const h = await grantHelper([`bus:publish:rv.*`, `bus:read:rv.*`]);
    const a = await newAgent("late");
    expect((await asRoot("DELETE", `/v1/owner/membrane/${h.id}`)).status).toBe(200);
    expect((await asRoot("DELETE", `/v1/owner/agents/${a.id}`)).status).toBe(200);
    for (const caller of [
      { keyId: h.id, kind: "helper", scopes: h.scopes },
      { keyId: a.id, kind: "agent", scopes: [] },
    ] satisfies BusCaller[]) {
      const res = await upgradeFor(caller);
      let published = false;
      if (res.status === 101) {
        const s = socketOf(res);
        s.send({ type: "publish", topic, messages: [{ body: "after the revoke" }] });
        published = (await s.replyOrClose(["published", "error"])).type === "published";
        s.ws.close();
      } else await res.arrayBuffer();
      expect({ kind: caller.kind, status: res.status, published }).toEqual({ kind: caller.kind, status: 401, published: false });
    }
    expect(await sentBy(topic, [h.id, a.id])).toBe(0);
  });

  it("a Bus call the Worker authenticated before the revoke is refused once the revoke returned", async () => {
    const topic = unique("rv.rpc");
    const h = await grantHelper([`bus:publish:rv.*`]);
    expect((await asRoot("DELETE", `/v1/owner/membrane/${h.id}`)).status).toBe(200);
    const r = await busStub().publish({ keyId: h.id, kind: "helper", scopes: h.scopes }, topic, [{ body: "late" }]);
    expect(r.ok ? "accepted" : r.error.code).toBe("key_revoked");
    expect(await sentBy(topic, [h.id])).toBe(0);
  });
});
